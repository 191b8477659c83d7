// Limits of a run: the memory a scenario needs, estimated before its world is built, checked
// against the memory available (or --max-memory), and the sizes that no run may exceed.
//
// The estimate (docs/robustness.md, "Limits") counts the largest world a run can reach — the
// population plus every agent and tie its programs create, as if all enrolments were active
// at once — and multiplies by bytes per agent and per tie derived from the arrays of World,
// Simulation and the recorders:
//
//   bytes = fixed + slack · copies · (agents · per_agent + ties · per_tie)
//         + weeks-dependent buffers (aggregates, counterfactual table) + summary samples
//
// with copies = 2 for paired counterfactual runs (two simulations in lockstep).
//
// @code
//   const MemoryEstimate estimate = estimate_memory(scenario);
//   check_memory(scenario, parse_memory_limit("8G"));   // throws InputError if it won't fit
// @endcode
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "config/scenario.hpp"

namespace kindred {

/// Bytes of one agent: World (role 1, state and next 2 × 5 × 8, tau, vulnerability 16, set points
/// 24, streak, recovered_week, arm, created_week 16, adjacency offset 8 = 145), Simulation
/// (flows 4 × 8, exposure 6 × 8 + 2 × 4, friendship pool 4 = 92), recorder (initial distress 8).
inline constexpr double kBytesPerAgent = 145 + 92 + 8;
/// Extra bytes of an agent when trajectories are recorded: one row of the eight variables
/// (8 × 8), the values of one variable (8) and the HDF5 chunk caches (8 datasets × 1.5 × 8).
inline constexpr double kBytesPerTrajectoryAgent = 64 + 8 + 96;
/// Bytes of one tie: World (ends 8, type 1, w q rho 24, expertise 1, client provider 8,
/// enrolment element 8, two adjacency entries 16, renumbering 4 = 70), Simulation (tie flows
/// 16, knowledge 8, w and q at t+1 16, activation rates 16, dissolve 1 = 57), removal flags 1.
inline constexpr double kBytesPerTie = 70 + 57 + 1;
/// Scratch of the population generators while they build a world: per agent (household
/// tables, ring order, ring candidates) and per tie (candidate edge lists, sorting).
inline constexpr double kGeneratorBytesPerAgent = 64;
inline constexpr double kGeneratorBytesPerTie = 32;
/// Arrays grow by doubling, so more is allocated than used; measured peaks (docs/robustness.md)
/// stay below the estimate with this margin.
inline constexpr double kGrowthSlack = 1.25;
/// The program, its libraries, thread stacks and HDF5 caches.
inline constexpr double kFixedBytes = 128.0 * 1024 * 1024;

/// Ids are int32: no world may have more agents or ties than this.
inline constexpr double kMaxWorldEntities = 2147483647.0;

/// What a run of a scenario needs at most.
struct MemoryEstimate {
    double agents = 0;  ///< population plus program agents
    double ties = 0;    ///< natural ties plus program ties
    double population_agents = 0;
    double population_ties = 0;
    double bytes = 0;  ///< total

    /// "2.1 GiB (1.2 million agents, 8.3 million ties)".
    std::string describe() const;
};

/// The estimate for one run (one replicate) of `scenario`, plus the summary samples that a
/// trial keeps across replicates. Reads the CSV files of a CSV population (line counts and
/// the arm column) but builds nothing. O(patients) for generated populations.
MemoryEstimate estimate_memory(const ScenarioSpec& scenario);

/// Memory this process may still use: MemAvailable of /proc/meminfo, lowered to the cgroup's
/// remaining limit (memory.max − memory.current) when there is one; nullopt when unknown.
std::optional<std::uint64_t> available_memory();

/// How much memory a run may use: what is available (default), a size, or no limit.
struct MemoryLimit {
    enum class Kind { available, bytes, unlimited };
    Kind kind = Kind::available;
    std::uint64_t bytes = 0;  ///< Kind::bytes
};

/// Parses --max-memory: "unlimited", or a size: a number with an optional unit K, M, G, T
/// (binary: 1K = 1024 bytes; "KiB", "MB", … accepted alike). Throws InputError
/// "--max-memory TEXT: expected …, found …".
MemoryLimit parse_memory_limit(std::string_view text);

/// "1.5 GiB", "312 MiB", "900 KiB", "12 bytes".
std::string format_bytes(double bytes);

/// Throws InputError naming the scenario file when a run of `scenario` cannot fit: more agents
/// or ties than int32 ids allow, or (unless the limit is unlimited) `concurrent_runs` runs
/// need more than the limit. The message gives the estimate, the limit and how to override it.
void check_memory(const ScenarioSpec& scenario, const MemoryLimit& limit, int concurrent_runs = 1);

}  // namespace kindred
