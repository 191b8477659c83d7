// The `kindred` Python module (pybind11): load a scenario (with overrides), run one replicate
// in memory and get the per-arm aggregates and per-agent trajectories as NumPy arrays, for
// Jupyter and scripts. docs/python.md has the tutorial.
//
//     import kindred
//     scenario = kindred.load_scenario("scenarios/default.yaml", overrides=["weeks=52"])
//     run = scenario.run(replicate=0)
//     run.aggregates["befriending"]["distress"][:, 0]     # weekly mean distress
//     run.trajectories["distress"]                         # [weeks, agents]
#include <fmt/format.h>
#include <pybind11/functional.h>
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "config/scenario.hpp"
#include "config/yaml_util.hpp"
#include "core/simulation.hpp"
#include "core/types.hpp"
#include "output/recorder.hpp"
#include "trial/limits.hpp"
#include "trial/trial.hpp"

#ifndef KINDRED_MODELS_DIR
#define KINDRED_MODELS_DIR "models"
#endif

namespace py = pybind11;

namespace kindred::python {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

Variable parse_variable(const std::string& name) {
    for (int v = 0; v < kVariableCount; ++v) {
        if (to_string(static_cast<Variable>(v)) == name) return static_cast<Variable>(v);
    }
    std::string known;
    for (int v = 0; v < kVariableCount; ++v) {
        known += (known.empty() ? "" : ", ") + std::string(to_string(static_cast<Variable>(v)));
    }
    throw InputError("unknown variable '" + name + "' (expected one of " + known + ")");
}

Role parse_role(const std::string& name) {
    for (int r = 0; r < kRoleCount; ++r) {
        if (to_string(static_cast<Role>(r)) == name) return static_cast<Role>(r);
    }
    throw InputError("unknown role '" + name + "'");
}

template <typename T>
py::array_t<T> to_array(const std::vector<T>& values, std::vector<py::ssize_t> shape) {
    py::array_t<T> array(shape);
    std::copy(values.begin(), values.end(), array.mutable_data());
    return array;
}

}  // namespace

/// A loaded, validated scenario.
struct Scenario {
    ScenarioSpec spec;
};

/// One replicate's results, as NumPy arrays.
struct RunResult {
    py::array_t<std::int32_t> weeks;             ///< [T+1]
    py::dict aggregates;                         ///< arm → {variable → [T+1, 5], …}
    py::array_t<std::int32_t> trajectory_weeks;  ///< [W]
    py::dict trajectories;                       ///< variable → [W, N]
    py::array_t<std::int32_t> agent_id;          ///< [N]
    py::list role;                               ///< [N] role names
    py::array_t<std::int32_t> arm;               ///< [N], −1 for none
    py::array_t<std::int32_t> created_week;      ///< [N]
    py::dict patients;  ///< id, arm, recovered_week, initial/final distress
    std::vector<std::string> arm_names;
    int replicate = 0;
};

/// Refuses, before anything is built, a run that cannot fit: the world (as `kindred run`
/// checks it, ids included) plus the trajectories this call keeps in memory and copies into
/// NumPy arrays.
void check_run_memory(const ScenarioSpec& spec, const std::string& max_memory, int every_weeks,
                      std::size_t variables, const std::vector<Role>& roles) {
    MemoryLimit limit;
    try {
        if (!max_memory.empty()) limit = parse_memory_limit(max_memory);
        check_memory(spec, limit);
    } catch (const InputError& error) {
        // The command line's option names, as this function's argument.
        std::string message = error.what();
        for (const auto& [option, argument] :
             {std::pair<std::string, std::string>{"--max-memory SIZE", "max_memory='SIZE'"},
              {"--max-memory", "max_memory"}}) {
            for (std::size_t at = message.find(option); at != std::string::npos;
                 at = message.find(option, at + argument.size())) {
                message.replace(at, option.size(), argument);
            }
        }
        throw InputError(message);
    }
    if (limit.kind == MemoryLimit::Kind::unlimited) return;
    const std::optional<std::uint64_t> available = limit.kind == MemoryLimit::Kind::bytes
                                                       ? std::optional<std::uint64_t>(limit.bytes)
                                                       : available_memory();
    if (!available) return;
    double rows = 0;
    for (int week = 0; week <= spec.weeks; ++week) {
        rows += is_trajectory_week(week, spec.weeks, every_weeks) ? 1 : 0;
    }
    const MemoryEstimate estimate = estimate_memory(spec);
    // The agents kept: the patients alone (the default) when the population says how many,
    // else every agent the run can have.
    const bool patients_only = roles.size() == 1 && roles.front() == Role::patient;
    const double kept = patients_only && spec.population.patients() > 0
                            ? static_cast<double>(spec.population.patients())
                            : estimate.agents;
    // Kept as rows of doubles, then copied into the returned arrays: twice.
    const double trajectories = 2.0 * kept * rows * static_cast<double>(variables) * 8;
    if (estimate.bytes + trajectories > static_cast<double>(*available)) {
        throw InputError(fmt::format(
            "{}: expected a run whose trajectories fit in memory, found {} for the world and {} "
            "for {} variables of up to {:.0f} agents in {:.0f} rows, with {} {} (keep fewer "
            "variables= or roles=, use a larger every_weeks=, or pass max_memory='unlimited')",
            spec.source_path.string(), format_bytes(estimate.bytes), format_bytes(trajectories),
            variables, kept, rows, format_bytes(static_cast<double>(*available)),
            limit.kind == MemoryLimit::Kind::bytes ? "allowed by max_memory" : "available"));
    }
}

RunResult run_scenario(const Scenario& scenario, int replicate,
                       const std::vector<std::string>& variable_names,
                       const std::vector<std::string>& role_names, int every_weeks,
                       const std::function<void(int, py::dict)>& callback,
                       const std::string& max_memory) {
    const ScenarioSpec& spec = scenario.spec;
    if (replicate < 0) throw InputError("replicate must be ≥ 0");
    if (every_weeks < 1) throw InputError("every_weeks must be ≥ 1");
    std::vector<Variable> variables;
    for (const auto& name : variable_names) variables.push_back(parse_variable(name));
    std::vector<Role> roles;
    for (const auto& name : role_names) roles.push_back(parse_role(name));
    check_run_memory(spec, max_memory, every_weeks, variables.size(), roles);
    const auto keep_role = [&](Role role) {
        return roles.empty() || std::find(roles.begin(), roles.end(), role) != roles.end();
    };
    const int weeks = spec.weeks;
    const int arm_count = static_cast<int>(spec.arms.size());

    // Aggregates per arm (and all patients): [week][group] → PatientAggregates.
    std::vector<std::vector<PatientAggregates>> aggregates;
    std::vector<std::int32_t> trajectory_weeks;
    // Per trajectory week and variable, the values of the sampled agents at that time.
    std::vector<std::vector<std::vector<double>>> rows;  // [variable][row][agent]
    rows.resize(variables.size());
    std::vector<std::int32_t> sampled;     // agent ids, ascending (ids only grow)
    std::vector<double> initial_distress;  // every agent's distress at week 0

    std::optional<Simulation> sim;
    {
        py::gil_scoped_release release;
        RunSpec run;
        run.params = spec.params;
        run.mechanisms = spec.mechanisms;
        run.seed = spec.seed;
        run.replicate = static_cast<std::uint64_t>(replicate);
        run.weeks = weeks;
        run.enrolments = scenario_enrolments(spec);
        sim.emplace(build_world(spec, replicate), std::move(run));
    }
    for (int week = 0;; ++week) {
        // Ctrl-C (or any Python signal handler that raises) stops the run between weeks.
        if (PyErr_CheckSignals() != 0) throw py::error_already_set();
        {
            py::gil_scoped_release release;
            sim->begin_week();
            aggregates.push_back(aggregate_patients(week, sim->world(), sim->flows(), arm_count));
            if (week == 0) initial_distress = sim->world().state.distress;
            if (is_trajectory_week(week, weeks, every_weeks)) {
                const World& world = sim->world();
                for (std::size_t i = sampled.empty() ? 0 : sampled.back() + 1;
                     i < world.agent_count(); ++i) {
                    if (keep_role(world.role[i])) sampled.push_back(static_cast<std::int32_t>(i));
                }
                trajectory_weeks.push_back(week);
                for (std::size_t v = 0; v < variables.size(); ++v) {
                    const auto values = variable_values(variables[v], world, sim->flows());
                    std::vector<double> row;
                    row.reserve(sampled.size());
                    for (const std::int32_t id : sampled) row.push_back(values[id]);
                    rows[v].push_back(std::move(row));
                }
            }
        }
        if (callback) {
            const World& world = sim->world();
            py::dict state;
            for (int v = 0; v < kVariableCount; ++v) {
                const auto values = variable_values(static_cast<Variable>(v), world, sim->flows());
                state[py::str(std::string(to_string(static_cast<Variable>(v))))] =
                    to_array(std::vector<double>(values.begin(), values.end()),
                             {static_cast<py::ssize_t>(values.size())});
            }
            std::vector<std::int32_t> arm(world.arm.begin(), world.arm.end());
            state["arm"] = to_array(arm, {static_cast<py::ssize_t>(arm.size())});
            std::vector<std::int8_t> role;
            for (const Role r : world.role) role.push_back(static_cast<std::int8_t>(r));
            state["role"] = to_array(role, {static_cast<py::ssize_t>(role.size())});
            state["ties"] = py::int_(world.tie_count());
            callback(week, state);
        }
        if (week == weeks) break;
        py::gil_scoped_release release;
        sim->finish_week();
    }

    RunResult result;
    result.replicate = replicate;
    for (const ArmSpec& arm : spec.arms) result.arm_names.push_back(arm.name);
    std::vector<std::int32_t> week_numbers(static_cast<std::size_t>(weeks) + 1);
    for (int w = 0; w <= weeks; ++w) week_numbers[static_cast<std::size_t>(w)] = w;
    result.weeks = to_array(week_numbers, {weeks + 1});
    const auto rows_count = static_cast<py::ssize_t>(weeks + 1);
    for (int g = 0; g <= arm_count; ++g) {
        py::dict group;
        for (int v = 0; v < kVariableCount; ++v) {
            std::vector<double> table;
            for (const auto& week : aggregates) {
                const Summary& s =
                    week[static_cast<std::size_t>(g)].variables[static_cast<std::size_t>(v)];
                table.insert(table.end(), {s.mean, s.sd, s.q25, s.median, s.q75});
            }
            group[py::str(std::string(to_string(static_cast<Variable>(v))))] =
                to_array(table, {rows_count, kSummaryColumns});
        }
        std::vector<std::int32_t> n;
        std::vector<double> share, ties, strength;
        for (const auto& week : aggregates) {
            const PatientAggregates& a = week[static_cast<std::size_t>(g)];
            n.push_back(a.n_patients);
            share.push_back(a.share_recovered);
            ties.insert(ties.end(), a.ties_per_patient.begin(), a.ties_per_patient.end());
            strength.insert(strength.end(), a.mean_tie_strength.begin(), a.mean_tie_strength.end());
        }
        group["n_patients"] = to_array(n, {rows_count});
        group["share_recovered"] = to_array(share, {rows_count});
        group["ties_per_patient"] = to_array(ties, {rows_count, kTieTypeCount});
        group["mean_tie_strength"] = to_array(strength, {rows_count, kTieTypeCount});
        const std::string name = g < arm_count ? spec.arms[static_cast<std::size_t>(g)].name
                                               : std::string("all_patients");
        result.aggregates[py::str(name)] = group;
    }

    const auto n_agents = static_cast<py::ssize_t>(sampled.size());
    const auto n_rows = static_cast<py::ssize_t>(trajectory_weeks.size());
    result.trajectory_weeks = to_array(trajectory_weeks, {n_rows});
    for (std::size_t v = 0; v < variables.size(); ++v) {
        py::array_t<double> matrix({n_rows, n_agents});
        double* data = matrix.mutable_data();
        for (py::ssize_t r = 0; r < n_rows; ++r) {
            const auto& row = rows[v][static_cast<std::size_t>(r)];
            for (py::ssize_t j = 0; j < n_agents; ++j) {
                data[r * n_agents + j] = static_cast<std::size_t>(j) < row.size()
                                             ? row[static_cast<std::size_t>(j)]
                                             : kNaN;
            }
        }
        result.trajectories[py::str(variable_names[v])] = matrix;
    }
    const World& world = sim->world();
    std::vector<std::int32_t> arm, created;
    for (const std::int32_t id : sampled) {
        result.role.append(py::str(std::string(to_string(world.role[id]))));
        arm.push_back(world.arm[id]);
        created.push_back(world.created_week[id]);
    }
    result.agent_id = to_array(sampled, {n_agents});
    result.arm = to_array(arm, {n_agents});
    result.created_week = to_array(created, {n_agents});

    std::vector<std::int32_t> id, patient_arm, recovered;
    std::vector<double> initial, final_distress;
    for (std::size_t i = 0; i < world.agent_count(); ++i) {
        if (world.role[i] != Role::patient) continue;
        id.push_back(static_cast<std::int32_t>(i));
        patient_arm.push_back(world.arm[i]);
        recovered.push_back(world.recovered_week[i]);
        initial.push_back(i < initial_distress.size() ? initial_distress[i] : kNaN);
        final_distress.push_back(world.state.distress[i]);
    }
    const auto p = static_cast<py::ssize_t>(id.size());
    result.patients["id"] = to_array(id, {p});
    result.patients["arm"] = to_array(patient_arm, {p});
    result.patients["recovered_week"] = to_array(recovered, {p});
    result.patients["initial_distress"] = to_array(initial, {p});
    result.patients["final_distress"] = to_array(final_distress, {p});
    return result;
}

}  // namespace kindred::python

PYBIND11_MODULE(kindred, m) {
    using namespace kindred;
    using namespace kindred::python;
    m.doc() =
        "Kindred: agent-based simulation of relationship-driven recovery. Load a scenario, "
        "run it, and get aggregates and trajectories as NumPy arrays (docs/python.md).";
    m.attr("__version__") = kindred_version();
    // Bad input (a scenario's line and key, an unknown override) raises kindred.InputError, a
    // ValueError; other failures (RuntimeFailure: I/O) raise RuntimeError.
    // The message is escaped as the command line prints it: a path with bytes that are not
    // UTF-8 would otherwise leave Python an exception without a message.
    static py::exception<InputError> input_error(m, "InputError", PyExc_ValueError);
    py::register_exception_translator([](std::exception_ptr thrown) {
        try {
            if (thrown) std::rethrow_exception(thrown);
        } catch (const InputError& error) {
            input_error(
                detail::printable(error.what(), std::numeric_limits<std::size_t>::max()).c_str());
        }
    });

    py::class_<Scenario>(m, "Scenario", "A loaded and validated scenario (read-only).")
        .def_property_readonly("name", [](const Scenario& s) { return s.spec.name; })
        .def_property_readonly("description", [](const Scenario& s) { return s.spec.description; })
        .def_property_readonly("seed", [](const Scenario& s) { return s.spec.seed; })
        .def_property_readonly("weeks", [](const Scenario& s) { return s.spec.weeks; })
        .def_property_readonly("replicates", [](const Scenario& s) { return s.spec.replicates; })
        .def_property_readonly("arms",
                               [](const Scenario& s) {
                                   std::vector<std::string> names;
                                   for (const auto& arm : s.spec.arms) names.push_back(arm.name);
                                   return names;
                               })
        .def_property_readonly(
            "control_arm",
            [](const Scenario& s) -> py::object {
                if (s.spec.control_arm < 0) return py::none();
                return py::str(s.spec.arms[static_cast<std::size_t>(s.spec.control_arm)].name);
            })
        .def_property_readonly(
            "programs",
            [](const Scenario& s) {
                py::dict programs;
                for (const auto& arm : s.spec.arms) {
                    std::vector<std::string> names;
                    for (const auto& program : arm.programs) names.push_back(program.name);
                    programs[py::str(arm.name)] = names;
                }
                return programs;
            },
            "Catalogue names of each arm's programs.")
        .def_property_readonly("parameters",
                               [](const Scenario& s) {
                                   py::dict values;
                                   for (const auto& info : parameter_table()) {
                                       values[py::str(std::string(info.name))] =
                                           info.get(s.spec.params);
                                   }
                                   return values;
                               })
        .def_property_readonly("text", [](const Scenario& s) { return s.spec.source_text; })
        .def("run", &run_scenario, py::arg("replicate") = 0,
             py::arg("variables") =
                 std::vector<std::string>{"distress", "agency", "knowledge", "strengths",
                                          "recreation", "help_received", "help_given", "strain"},
             py::arg("roles") = std::vector<std::string>{"patient"}, py::arg("every_weeks") = 1,
             py::arg("callback") = std::function<void(int, py::dict)>{},
             py::arg("max_memory") = std::string(),
             R"(Runs one replicate in memory (nothing is written) and returns a Run.

replicate: replicate index (random streams keyed (seed, replicate), as `kindred run`).
variables: per-agent variables kept in the trajectories.
roles: roles kept in the trajectories ([] = every role).
every_weeks: trajectory rows at weeks 0, n, 2n, ... and the last week.
callback: called as callback(week, state) after each week is computed, state a dict of
    NumPy arrays of every agent (distress, agency, ..., help_received, arm, role codes).
max_memory: as `kindred run --max-memory` ('16G', 'unlimited'; default: what is available).
    A run whose world and returned trajectories would not fit raises InputError before it
    starts. Ctrl-C stops a run between weeks (KeyboardInterrupt).)");

    py::class_<RunResult>(m, "Run", "The results of one replicate, as NumPy arrays.")
        .def_readonly("replicate", &RunResult::replicate)
        .def_readonly("arms", &RunResult::arm_names)
        .def_readonly("weeks", &RunResult::weeks, "[T+1] weeks 0 ... T")
        .def_readonly("aggregates", &RunResult::aggregates,
                      "arm name (and 'all_patients') → dict: each variable → [T+1, 5] (mean, "
                      "sd, q25, median, q75); n_patients, share_recovered [T+1]; "
                      "ties_per_patient, mean_tie_strength [T+1, 4] (professional, peer, "
                      "friend, family). As the trial file's aggregates.")
        .def_readonly("trajectory_weeks", &RunResult::trajectory_weeks, "[W]")
        .def_readonly("trajectories", &RunResult::trajectories,
                      "variable → [W, N]; column j is agent agent_id[j]; NaN before the "
                      "agent's creation")
        .def_readonly("agent_id", &RunResult::agent_id, "[N]")
        .def_readonly("role", &RunResult::role, "[N] role names")
        .def_readonly("arm", &RunResult::arm, "[N] arm index, -1 for none")
        .def_readonly("created_week", &RunResult::created_week, "[N]")
        .def_readonly("patients", &RunResult::patients,
                      "id, arm, recovered_week (-1: none), initial_distress, final_distress, one "
                      "entry per patient at week T")
        .def("__repr__", [](const RunResult& r) {
            return "<kindred.Run replicate " + std::to_string(r.replicate) + ", " +
                   std::to_string(r.weeks.size() - 1) + " weeks, " +
                   std::to_string(r.agent_id.size()) + " agents in the trajectories>";
        });

    m.def(
        "load_scenario",
        [](const std::filesystem::path& path, const std::vector<std::string>& overrides,
           const std::vector<std::filesystem::path>& models_dirs) {
            return Scenario{load_scenario_file(
                path, catalogue_from_environment(models_dirs, KINDRED_MODELS_DIR), overrides)};
        },
        py::arg("path"), py::arg("overrides") = std::vector<std::string>{},
        py::arg("models_dirs") = std::vector<std::filesystem::path>{},
        R"(Loads and validates a scenario file; `overrides` are "name=value" settings as
`kindred run --set` (parameters, seed, weeks, replicates, population.KEY, ARM.PROGRAM.FIELD,
knockout.NAME). Raises kindred.InputError (a ValueError) naming the file, line and key.)");
    m.def(
        "load_scenario_text",
        [](const std::string& text, const std::vector<std::string>& overrides,
           const std::vector<std::filesystem::path>& models_dirs,
           const std::filesystem::path& path) {
            return Scenario{load_scenario_text(
                text, path, catalogue_from_environment(models_dirs, KINDRED_MODELS_DIR),
                overrides)};
        },
        py::arg("text"), py::arg("overrides") = std::vector<std::string>{},
        py::arg("models_dirs") = std::vector<std::filesystem::path>{},
        py::arg("path") = std::filesystem::path("scenario.yaml"),
        "As load_scenario, from YAML text (relative paths resolve against `path`'s folder).");
    m.def(
        "run",
        [](const std::filesystem::path& path, const std::vector<std::string>& overrides,
           int replicate) {
            const Scenario scenario{load_scenario_file(
                path, catalogue_from_environment({}, KINDRED_MODELS_DIR), overrides)};
            return run_scenario(scenario, replicate,
                                {"distress", "agency", "knowledge", "strengths", "recreation",
                                 "help_received", "help_given", "strain"},
                                {"patient"}, 1, {}, {});
        },
        py::arg("path"), py::arg("overrides") = std::vector<std::string>{},
        py::arg("replicate") = 0, "load_scenario(path, overrides).run(replicate).");
    m.def(
        "parameters",
        []() {
            py::dict defaults;
            const Parameters params;
            for (const auto& info : parameter_table()) {
                defaults[py::str(std::string(info.name))] = info.get(params);
            }
            return defaults;
        },
        "Every model parameter (spec §6) with its version-1 default.");
}
