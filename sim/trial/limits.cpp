// The memory estimate of a scenario and the check against the memory available.
#include "trial/limits.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "network/community.hpp"
#include "network/population.hpp"
#include "output/recorder.hpp"

namespace kindred {
namespace {

/// Population size before programs: agents, ties and patients per arm.
struct PopulationCounts {
    double agents = 0;
    double ties = 0;
    std::vector<double> arm_patients;
    double patients = 0;
};

/// Ego network (spec §5), per patient with family mean f, friends mean r: 1 + f + r agents
/// (plus a coordinator per caseload); ties: f to the family, E[F(F−1)/2] = f²/2 inside it,
/// r to the friends, two ring ties per member, the peer ties, one coordinator tie.
PopulationCounts ego_counts(const EgoNetworkParams& ego) {
    const double n = ego.patients;
    const double f = ego.family_mean, r = ego.friends_mean;
    PopulationCounts counts;
    counts.patients = n;
    counts.agents = n * (1 + f + r) + std::ceil(n / ego.coordinator_caseload);
    counts.ties = n * (f + f * f / 2 + r + 2 * (f + r) + ego.peer_ties_mean + 1);
    return counts;
}

/// Mean of a power law k^−γ on [lo, hi] (continuous approximation).
double power_law_mean(double gamma, double lo, double hi) {
    if (hi <= lo) return lo;
    const auto integral = [&](double exponent) {  // ∫ k^exponent dk over [lo, hi]
        if (std::abs(exponent + 1) < 1e-12) return std::log(hi / lo);
        return (std::pow(hi, exponent + 1) - std::pow(lo, exponent + 1)) / (exponent + 1);
    };
    return integral(1 - gamma) / integral(-gamma);
}

/// Sum of the degrees in a degrees file (one per line; lines that are not numbers are left
/// to the generator to report).
double degree_file_sum(const std::filesystem::path& path) {
    std::ifstream in(path);
    double sum = 0;
    std::string line;
    while (std::getline(in, line)) {
        double value = 0;
        const char* begin = line.data();
        while (begin < line.data() + line.size() && (*begin == ' ' || *begin == '\t')) ++begin;
        if (std::from_chars(begin, line.data() + line.size(), value).ec == std::errc() &&
            std::isfinite(value) && value > 0) {
            sum += value;
        }
    }
    return sum;
}

/// Community populations: agents + coordinators; ties of the households (household size
/// 1 + X, X ~ Poisson(λ = mean − 1): E[h(h−1)/2] per household, agents / (1 + λ) households),
/// of the network model, and one per patient to a coordinator.
PopulationCounts community_counts(const CommunityParams& c) {
    const double n = c.agents;
    const double patients = community_patients(c);
    PopulationCounts counts;
    counts.patients = patients;
    counts.agents = n + std::ceil(patients / c.coordinator_caseload);
    const double lambda = c.household_mean - 1;
    const double household_ties = n * (2 * lambda + lambda * lambda) / (2 * (1 + lambda));
    double network = 0;
    switch (c.model) {
        case NetworkModel::erdos_renyi:
        case NetworkModel::watts_strogatz:
            network = n * c.mean_degree / 2;
            break;
        case NetworkModel::barabasi_albert:
            network = n * c.attach;
            break;
        case NetworkModel::stochastic_block: {
            const std::vector<std::size_t> sizes =
                block_sizes(c.block_shares, static_cast<std::size_t>(c.agents));
            for (std::size_t a = 0; a < sizes.size(); ++a) {
                for (std::size_t b = a; b < sizes.size(); ++b) {
                    const double p =
                        a < c.block_probabilities.size() && b < c.block_probabilities[a].size()
                            ? c.block_probabilities[a][b]
                            : 0.0;
                    const auto sa = static_cast<double>(sizes[a]);
                    const auto sb = static_cast<double>(sizes[b]);
                    network += p * (a == b ? sa * (sa - 1) / 2 : sa * sb);
                }
            }
            break;
        }
        case NetworkModel::configuration:
            switch (c.degree_distribution) {
                case DegreeDistribution::fixed:
                case DegreeDistribution::poisson:
                    network = n * c.mean_degree / 2;
                    break;
                case DegreeDistribution::power_law: {
                    const double hi = c.max_degree > 0 ? c.max_degree : std::max(1.0, n - 1);
                    network = n * power_law_mean(c.exponent, c.min_degree, hi) / 2;
                    break;
                }
                case DegreeDistribution::file:
                    network = degree_file_sum(c.degrees_file) / 2;
                    break;
            }
            break;
    }
    counts.ties = household_ties + network + patients;
    return counts;
}

/// Rows of a CSV file after its header, and the agents file's rows per arm (last column).
PopulationCounts csv_counts(const ScenarioSpec& scenario) {
    PopulationCounts counts;
    counts.arm_patients.assign(scenario.arms.size(), 0);
    const auto rows = [](const std::filesystem::path& path, const auto& on_row) {
        std::ifstream in(path);
        std::string line;
        bool header = true;
        while (std::getline(in, line)) {
            if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
            if (header) {
                header = false;
                continue;
            }
            on_row(line);
        }
    };
    rows(scenario.population.agents_csv, [&](const std::string& line) {
        ++counts.agents;
        std::string arm = line.substr(line.rfind(',') + 1);
        arm.erase(0, arm.find_first_not_of(" \t"));
        arm.erase(arm.find_last_not_of(" \t\r") + 1);
        for (std::size_t a = 0; a < scenario.arms.size(); ++a) {
            if (scenario.arms[a].name == arm) {
                ++counts.arm_patients[a];
                ++counts.patients;
            }
        }
    });
    rows(scenario.population.ties_csv, [&](const std::string&) { ++counts.ties; });
    return counts;
}

PopulationCounts population_counts(const ScenarioSpec& scenario) {
    if (scenario.population.kind == PopulationSpec::Kind::csv) return csv_counts(scenario);
    PopulationCounts counts = scenario.population.kind == PopulationSpec::Kind::community
                                  ? community_counts(scenario.population.community)
                                  : ego_counts(scenario.population.ego);
    std::vector<std::optional<double>> shares;
    std::vector<std::optional<int>> counts_of_arms;
    for (const ArmSpec& arm : scenario.arms) {
        shares.push_back(arm.share);
        counts_of_arms.push_back(arm.count);
    }
    try {
        for (const int size : arm_sizes(scenario.population.patients(), shares, counts_of_arms)) {
            counts.arm_patients.push_back(size);
        }
    } catch (const InputError&) {
        // Reported with its location when the world is built; estimate with every patient.
        counts.arm_patients.assign(scenario.arms.size(), counts.patients);
    }
    return counts;
}

/// Agents and ties the programs of an arm with `n` patients add over the run (every
/// enrolment counted as if all were active at once: an upper bound).
void add_program_counts(const ProgramSpec& program, double n, double& agents, double& ties) {
    if (n <= 0) return;
    for (const DeliveryElement& element : program.delivery) {
        switch (element.kind) {
            case ElementKind::professional:
            case ElementKind::peer_worker:
                agents += std::ceil(n / program.caseload);
                ties += n;
                break;
            case ElementKind::volunteer:
                agents += n;
                ties += n;
                break;
            case ElementKind::group: {
                const double size = std::min<double>(program.group_size, n);
                const double full = std::floor(n / size);
                const double rest = n - full * size;
                ties += full * size * (size - 1) / 2 + rest * (rest - 1) / 2;
                break;
            }
            case ElementKind::staff:
                agents += std::ceil(n / program.group_size) * program.staff_per_group;
                ties += n * program.staff_per_group;
                break;
            case ElementKind::activate:
                break;
        }
    }
}

std::string count_text(double count) {
    if (count >= 1e9) return fmt::format("{:.1f} billion", count / 1e9);
    if (count >= 1e6) return fmt::format("{:.1f} million", count / 1e6);
    return fmt::format("{:.0f}", count);
}

std::optional<std::uint64_t> read_number_file(const char* path) {
    std::ifstream in(path);
    std::string text;
    if (!(in >> text) || text == "max") return std::nullopt;
    std::uint64_t value = 0;
    if (std::from_chars(text.data(), text.data() + text.size(), value).ec != std::errc()) {
        return std::nullopt;
    }
    return value;
}

}  // namespace

std::string MemoryEstimate::describe() const {
    return fmt::format("{} ({} agents, {} ties)", format_bytes(bytes), count_text(agents),
                       count_text(ties));
}

std::string format_bytes(double bytes) {
    constexpr double kKiB = 1024.0;
    if (bytes >= kKiB * kKiB * kKiB * kKiB) {
        return fmt::format("{:.1f} TiB", bytes / (kKiB * kKiB * kKiB * kKiB));
    }
    if (bytes >= kKiB * kKiB * kKiB) return fmt::format("{:.1f} GiB", bytes / (kKiB * kKiB * kKiB));
    if (bytes >= kKiB * kKiB) return fmt::format("{:.0f} MiB", bytes / (kKiB * kKiB));
    if (bytes >= kKiB) return fmt::format("{:.0f} KiB", bytes / kKiB);
    return fmt::format("{:.0f} bytes", bytes);
}

MemoryEstimate estimate_memory(const ScenarioSpec& scenario) {
    const PopulationCounts population = population_counts(scenario);
    MemoryEstimate estimate;
    estimate.population_agents = population.agents;
    estimate.population_ties = population.ties;
    estimate.agents = population.agents;
    estimate.ties = population.ties;
    for (std::size_t a = 0; a < scenario.arms.size(); ++a) {
        const double n = a < population.arm_patients.size() ? population.arm_patients[a] : 0;
        for (const ProgramSpec& program : scenario.arms[a].programs) {
            add_program_counts(program, n, estimate.agents, estimate.ties);
        }
    }
    const bool trajectories = scenario.output.trajectories.enabled;
    const double per_agent = kBytesPerAgent + (trajectories ? kBytesPerTrajectoryAgent : 0.0);
    const double copies = scenario.counterfactual ? 2 : 1;
    const double world =
        kGrowthSlack * copies * (estimate.agents * per_agent + estimate.ties * kBytesPerTie);
    // The generator's scratch is freed before the run grows the world further.
    const double generator =
        population.agents * kGeneratorBytesPerAgent + population.ties * kGeneratorBytesPerTie;
    const double weeks = scenario.weeks + 1.0;
    const double aggregates =
        weeks * static_cast<double>(scenario.arms.size() + 1) * sizeof(PatientAggregates);
    // Paired runs: distress with and without per patient and week (16 bytes), and the
    // individual effects computed when they are written (8).
    const double counterfactual = scenario.counterfactual ? weeks * population.patients * 24 : 0;
    // The summary keeps distress at weeks 0, min(52, T) and T of every patient of every
    // replicate (and two individual effects with paired runs), plus the patient table (40).
    const double samples =
        population.patients * (scenario.replicates * (scenario.counterfactual ? 40.0 : 24.0) + 40);
    const double building = generator + kGrowthSlack * (population.agents * kBytesPerAgent +
                                                        population.ties * kBytesPerTie);
    estimate.bytes =
        kFixedBytes + std::max(world, building) + aggregates + counterfactual + samples;
    return estimate;
}

std::optional<std::uint64_t> available_memory() {
    std::optional<std::uint64_t> available;
    {
        std::ifstream meminfo("/proc/meminfo");
        std::string key, unit;
        std::uint64_t value = 0;
        while (meminfo >> key >> value) {
            std::getline(meminfo, unit);
            if (key == "MemAvailable:") {
                available = value * 1024;  // kB
                break;
            }
        }
    }
    // cgroup v2: the limit of this process's group, less what it uses.
    const auto limit = read_number_file("/sys/fs/cgroup/memory.max");
    const auto used = read_number_file("/sys/fs/cgroup/memory.current");
    if (limit && used) {
        const std::uint64_t left = *limit > *used ? *limit - *used : 0;
        available = available ? std::min(*available, left) : left;
    }
    return available;
}

MemoryLimit parse_memory_limit(std::string_view text) {
    const auto fail = [&]() -> MemoryLimit {
        throw InputError(fmt::format(
            "--max-memory {}: expected a size such as 512M, 16G or 1.5T (units K, M, G, T of "
            "1024), or 'unlimited', found '{}'",
            text, text));
    };
    if (text == "unlimited") return {MemoryLimit::Kind::unlimited, 0};
    double number = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
    if (error != std::errc() || end == text.data() || !std::isfinite(number) || number <= 0) {
        return fail();
    }
    std::string unit(end, text.data() + text.size());
    for (char& c : unit) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    double scale = 1;
    if (unit.empty() || unit == "B") {
        scale = 1;
    } else if (unit == "K" || unit == "KB" || unit == "KIB") {
        scale = 1024.0;
    } else if (unit == "M" || unit == "MB" || unit == "MIB") {
        scale = 1024.0 * 1024;
    } else if (unit == "G" || unit == "GB" || unit == "GIB") {
        scale = 1024.0 * 1024 * 1024;
    } else if (unit == "T" || unit == "TB" || unit == "TIB") {
        scale = 1024.0 * 1024 * 1024 * 1024;
    } else {
        return fail();
    }
    const double bytes = number * scale;
    if (bytes >= 1.8e19) return fail();
    return {MemoryLimit::Kind::bytes, static_cast<std::uint64_t>(bytes)};
}

void check_memory(const ScenarioSpec& scenario, const MemoryLimit& limit, int concurrent_runs) {
    const MemoryEstimate estimate = estimate_memory(scenario);
    const std::string file = scenario.source_path.string();
    if (estimate.agents > kMaxWorldEntities || estimate.ties > kMaxWorldEntities) {
        throw InputError(
            fmt::format("{}: population: expected at most {} agents and ties (32-bit ids), found a "
                        "scenario that reaches {} agents and {} ties (population and programs)",
                        file, count_text(kMaxWorldEntities), count_text(estimate.agents),
                        count_text(estimate.ties)));
    }
    if (limit.kind == MemoryLimit::Kind::unlimited) return;
    std::uint64_t budget = limit.bytes;
    if (limit.kind == MemoryLimit::Kind::available) {
        const std::optional<std::uint64_t> available = available_memory();
        if (!available) return;  // unknown: nothing to compare with
        budget = *available;
    }
    // The program itself (kFixedBytes) once; each run at once its own world and buffers.
    const double per_run = estimate.bytes - kFixedBytes;
    const double needed = kFixedBytes + per_run * std::max(1, concurrent_runs);
    if (needed <= static_cast<double>(budget)) return;
    throw InputError(fmt::format(
        "{}: population: expected a scenario that fits in memory, found one that needs an "
        "estimated {}{} but {} {} (docs/robustness.md); make the population smaller{}, or pass "
        "--max-memory SIZE (or unlimited) to run it anyway",
        file, estimate.describe(),
        concurrent_runs > 1
            ? fmt::format(" per run, {} for {} runs at once", format_bytes(needed), concurrent_runs)
            : "",
        format_bytes(static_cast<double>(budget)),
        limit.kind == MemoryLimit::Kind::available ? "is available" : "is the --max-memory limit",
        concurrent_runs > 1 ? ", run fewer at once (--threads)" : ""));
}

}  // namespace kindred
