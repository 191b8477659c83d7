// Small hand-built worlds and deterministic parameters shared by the core tests.
#pragma once

#include "core/parameters.hpp"
#include "core/program.hpp"
#include "core/simulation.hpp"
#include "core/world.hpp"

namespace kindred::testing {

/// Turns the vector kernels back on however a test that switches them ends.
struct VectorKernelsSwitch {
    ~VectorKernelsSwitch() { set_vector_kernels(true); }
};

/// Parameters with every source of randomness off (σ = 0, p_event = 0, φ = 0).
inline Parameters deterministic_parameters() {
    Parameters p;
    p.sigma = 0.0;
    p.p_event = 0.0;
    p.phi = 0.0;
    return p;
}

inline AgentInit agent(Role role, double d, double a, double k, double s, double r, double tau,
                       double v, int arm = kNone) {
    AgentInit init;
    init.role = role;
    init.d = d;
    init.a = a;
    init.k = k;
    init.s = s;
    init.r = r;
    init.tau = tau;
    init.v = v;
    init.arm = arm;
    return init;
}

inline TieInit natural_tie(AgentId i, AgentId j, TieType type, double w, double q) {
    TieInit tie;
    tie.i = i;
    tie.j = j;
    tie.type = type;
    tie.w = w;
    tie.q = q;
    return tie;
}

/// A program with the given resources and one delivery element of `kind`.
inline ProgramSpec program_with(ElementKind kind, ResourceVector resources) {
    ProgramSpec program;
    program.name = std::string("test_") + std::string(to_string(kind));
    program.resources = resources;
    DeliveryElement element;
    element.kind = kind;
    program.delivery.push_back(element);
    return program;
}

inline Enrolment enrol(int arm, ProgramSpec program, int start, int duration) {
    Enrolment enrolment;
    enrolment.arm = arm;
    enrolment.program = std::move(program);
    enrolment.start_week = start;
    enrolment.end_week = start + duration;
    return enrolment;
}

}  // namespace kindred::testing
