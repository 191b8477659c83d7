// The `sweep:` section of a scenario (docs/scenario-format.md, "Sweeps") and the plan built
// from it: the design's points, the override strings that make each point's scenario, the
// run order and the randomness of every run.
//
// A sweep varies things only through scenario overrides: point p's scenario is the base
// scenario loaded with the base overrides followed by one "NAME=VALUE" per variable, so a
// variable is any name that `--set` accepts (a spec §6 parameter, population.KEY,
// ARM.PROGRAM.FIELD, knockout.MECHANISM).
//
// Runs: run r·P + k (r = 0 … R−1 replicates, k = 0 … P−1) is replicate r of point order[k],
// so every replicate pass visits all points before the next begins, in the design's coverage
// order. Its random streams are keyed (scenario seed, stream) with stream = point·R + r: every
// run of a sweep draws from streams no other run uses, whatever the thread, shard or rank that
// computes it. With common_random_numbers, stream = r (replicate r of every point shares its
// draws: paired comparisons across points).
//
// @code
//   SweepPlan plan = make_plan(text, "scenarios/sweep_example.yaml", catalogue, {});
//   for (std::int64_t id = 0; id < plan.runs_total(); ++id) {
//       RunKey key = plan.run_key(id);
//       const ScenarioSpec& scenario = plan.point_scenario(key.point);
//       ...
//   }
// @endcode
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "config/scenario.hpp"
#include "sweep/design.hpp"

namespace kindred::sweep {

enum class DesignKind { grid, latin_hypercube, sobol, saltelli };
std::string_view to_string(DesignKind kind);

/// What kind of value a variable takes, from its name.
enum class ValueKind {
    real,         ///< any number the override accepts
    integer,      ///< rounded to an integer (rec_weeks, population.patients, caseload, …)
    reciprocity,  ///< a number in [0,1] or reciprocal | partial | unidirectional in lists
    expertise,    ///< a word (none, provider, patient, peers, everyone), lists only
};

/// Continuous distributions of a variable (used by latin_hypercube, sobol and saltelli, and
/// by grid designs through `steps` quantiles).
enum class Distribution { uniform, loguniform, normal, triangular };

/// One varied quantity: either discrete levels (a list, or a range with steps) or a
/// continuous distribution (a range without steps, or a distribution).
struct VariableSpec {
    std::string name;      ///< the override name ("beta_help", "population.patients", …)
    std::string location;  ///< "FILE:LINE:COL" of its key, for messages
    ValueKind kind = ValueKind::real;

    bool discrete = true;
    std::vector<double> levels;  ///< discrete: the values (expertise: codes into its names)

    Distribution distribution = Distribution::uniform;  ///< continuous
    double min = 0.0, max = 0.0;  ///< uniform, loguniform, triangular; normal truncation
    double mean = 0.0, sd = 0.0;  ///< normal
    double mode = 0.0;            ///< triangular
    bool truncated_below = false, truncated_above = false;  ///< normal
    int steps = 0;  ///< continuous: levels for a grid design (0: none given)

    /// The value at u in [0,1): a discrete level floor(u·n), or the distribution's quantile
    /// (integers: a uniform range gives each integer of [min, max] equal probability, other
    /// distributions are rounded half away from zero).
    double value_at(double u) const;
    /// The levels a grid design uses: the discrete levels (a list; a range with steps: evenly
    /// spaced from min to max, geometrically with scale: log, rounded to 15 significant
    /// digits), or, for a distribution with steps, its quantiles at (i + ½)/steps. Integer
    /// variables are rounded.
    std::vector<double> grid_values() const;
    /// "NAME=VALUE": integers without a decimal point, reals as the shortest text that reads
    /// back as the same double, expertise as its word.
    std::string override_text(double value) const;
};

/// The parsed `sweep:` section.
struct SweepSpec {
    DesignKind design = DesignKind::grid;
    std::int64_t points = 0;    ///< latin_hypercube, sobol: points; saltelli: base samples N
    bool second_order = false;  ///< saltelli: also the BA matrices (N(2k+2) points)
    std::uint64_t seed = 0;     ///< latin_hypercube draws (default: the scenario's seed)
    int replicates = 1;         ///< runs per point (default: the scenario's replicates)
    bool common_random_numbers = false;
    std::vector<int> outcome_weeks;  ///< ascending, in 0 … T (default: min(52, T) and T)
    bool trajectories = false;       ///< per-run weekly means per arm
    std::vector<VariableSpec> variables;
    std::string definition;  ///< the section as canonical YAML (yaml-cpp's emitter)
};

/// Reads `scenario.sweep_node`. Throws InputError "FILE:LINE:COL: key 'sweep.…': expected …,
/// found …" (or "FILE: …: no sweep section" when there is none).
SweepSpec parse_sweep(const ScenarioSpec& scenario);

/// Identity of one run.
struct RunKey {
    std::int64_t run_id = 0;
    std::int64_t point = 0;
    std::int32_t replicate = 0;  ///< 0 … R−1 within its point
    std::uint64_t stream = 0;    ///< the `replicate` key of the run's random streams
};

/// A sweep ready to run: the base scenario, the design, every point's scenario (loaded and
/// validated), and the run identities. Immutable after make_plan; safe to share between
/// threads.
struct SweepPlan {
    std::string scenario_text;
    std::filesystem::path scenario_path;
    std::vector<std::string> base_overrides;
    ScenarioSpec base;  ///< the scenario with the base overrides only
    SweepSpec sweep;

    std::int64_t point_count = 0;     ///< P
    std::vector<double> values;       ///< P × V, the value of each variable at each point
    std::vector<double> unit;         ///< P × V, design coordinates in [0,1) (NaN for grids)
    std::vector<std::int32_t> level;  ///< P × V, level index of discrete values, else −1
    std::vector<std::string> point_overrides;  ///< P, "NAME=VALUE" lines
    std::vector<std::int64_t> order;           ///< P, the coverage order of points
    SaltelliDesign saltelli;                   ///< design == saltelli: blocks (unit.u left empty)
    std::vector<ScenarioSpec> scenarios;       ///< P, without source text or sweep node
    std::string digest;                        ///< hex FNV-1a of everything that defines the runs

    std::int64_t runs_total() const { return point_count * sweep.replicates; }
    RunKey run_key(std::int64_t run_id) const;
    const ScenarioSpec& point_scenario(std::int64_t point) const {
        return scenarios[static_cast<std::size_t>(point)];
    }
};

/// Loads the scenario (text of the file at `path`) with `overrides`, reads its sweep section,
/// builds the design and loads the scenario of every point (in parallel), so that every input
/// error surfaces before anything runs. Throws InputError naming the file and the key.
SweepPlan make_plan(const std::string& text, const std::filesystem::path& path,
                    const ModelCatalogue& models, const std::vector<std::string>& overrides);

/// The same from a file.
SweepPlan make_plan_from_file(const std::filesystem::path& path, const ModelCatalogue& models,
                              const std::vector<std::string>& overrides);

/// 64-bit FNV-1a of `bytes`, continuing from `hash` (start: kFnvOffset).
inline constexpr std::uint64_t kFnvOffset = 0xcbf29ce484222325ull;
std::uint64_t fnv1a(std::string_view bytes, std::uint64_t hash = kFnvOffset);

}  // namespace kindred::sweep
