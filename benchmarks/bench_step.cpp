// Micro-benchmarks of the weekly step on default ego-network worlds of growing size.
// Reports agent-weeks per second (items) for a whole week and for its main parts.
#include <benchmark/benchmark.h>

#include "core/simulation.hpp"
#include "network/population.hpp"

namespace kindred {
namespace {

World make_world(int patients) {
    EgoNetworkParams params;
    params.patients = patients;
    World world = build_ego_network(params, 1, 0);
    assign_arms(world, arm_sizes(patients, {0.5, 0.5}, {}), 1, 0);
    return world;
}

RunSpec befriending_trial() {
    RunSpec spec;
    spec.weeks = 1 << 20;
    ProgramSpec befriending;
    befriending.name = "befriending";
    befriending.resources = {1, 0, 0, 0, 1, 0};
    DeliveryElement volunteer;
    volunteer.kind = ElementKind::volunteer;
    befriending.delivery.push_back(volunteer);
    Enrolment enrolment;
    enrolment.arm = 1;
    enrolment.program = befriending;
    enrolment.start_week = 0;
    enrolment.end_week = 1 << 20;
    spec.enrolments.push_back(enrolment);
    return spec;
}

/// One whole week (delivery, flows, updates, dissolution, formation, recovery).
void BM_Week(benchmark::State& state) {
    Simulation sim(make_world(static_cast<int>(state.range(0))), befriending_trial());
    sim.step();  // week 0 delivers the program
    for (auto _ : state) sim.step();
    state.SetItemsProcessed(state.iterations() *
                            static_cast<std::int64_t>(sim.world().agent_count()));
    state.counters["agents"] = static_cast<double>(sim.world().agent_count());
    state.counters["ties"] = static_cast<double>(sim.world().tie_count());
}
BENCHMARK(BM_Week)->RangeMultiplier(10)->Range(1000, 100000)->Unit(benchmark::kMillisecond);

/// Generating the population (spec §5).
void BM_EgoNetwork(benchmark::State& state) {
    EgoNetworkParams params;
    params.patients = static_cast<int>(state.range(0));
    std::size_t agents = 0;
    for (auto _ : state) {
        World world = build_ego_network(params, 1, 0);
        agents = world.agent_count();
        benchmark::DoNotOptimize(world.tie_w.data());
    }
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(agents));
}
BENCHMARK(BM_EgoNetwork)->RangeMultiplier(10)->Range(1000, 100000)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace kindred

BENCHMARK_MAIN();
