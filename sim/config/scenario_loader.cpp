// Scenario files (scenarios/*.yaml, schema in docs/scenario-format.md) → validated ScenarioSpec,
// with the models of each arm resolved and overridden, and command-line overrides applied.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "config/scenario.hpp"
#include "config/yaml_util.hpp"

namespace kindred {
namespace {

using detail::Field;
using detail::Map;

const std::vector<std::string> kScenarioKeys = {
    "name",       "description", "seed",   "weeks",     "replicates",     "population",
    "parameters", "arms",        "output", "knockouts", "counterfactual", "sweep"};
const std::vector<std::string> kEgoKeys = {
    "generator",     "patients",           "family_mean",    "friends_mean",
    "high_ee_share", "rewire_probability", "peer_ties_mean", "coordinator_caseload"};
const std::vector<std::string> kCsvKeys = {"generator", "agents", "ties"};
/// Keys of every community network model, then those of each model (docs/performance.md).
const std::vector<std::string> kCommunityKeys = {"generator",     "agents",
                                                 "patient_share", "household_mean",
                                                 "high_ee_share", "coordinator_caseload",
                                                 "tie_strength",  "tie_valence"};
const std::vector<std::string> kCommunityModelKeys = {
    "mean_degree",         "rewire_probability",  "attach",   "block_shares",
    "block_probabilities", "degree_distribution", "exponent", "min_degree",
    "max_degree",          "degrees_file"};
constexpr std::string_view kNetworkModels =
    "erdos_renyi, watts_strogatz, barabasi_albert, stochastic_block, configuration";

std::optional<NetworkModel> parse_network_model(std::string_view name) {
    for (const NetworkModel model :
         {NetworkModel::erdos_renyi, NetworkModel::watts_strogatz, NetworkModel::barabasi_albert,
          NetworkModel::stochastic_block, NetworkModel::configuration}) {
        if (to_string(model) == name) return model;
    }
    return std::nullopt;
}

/// The keys a community population with this model accepts.
std::vector<std::string> community_keys(NetworkModel model) {
    std::vector<std::string> keys = kCommunityKeys;
    switch (model) {
        case NetworkModel::erdos_renyi:
            keys.emplace_back("mean_degree");
            break;
        case NetworkModel::watts_strogatz:
            keys.insert(keys.end(), {"mean_degree", "rewire_probability"});
            break;
        case NetworkModel::barabasi_albert:
            keys.emplace_back("attach");
            break;
        case NetworkModel::stochastic_block:
            keys.insert(keys.end(), {"block_shares", "block_probabilities"});
            break;
        case NetworkModel::configuration:
            keys.insert(keys.end(), {"degree_distribution", "mean_degree", "exponent", "min_degree",
                                     "max_degree", "degrees_file"});
            break;
    }
    return keys;
}
const std::vector<std::string> kArmKeys = {"name", "control", "share", "count", "programs"};
const std::vector<std::string> kProgramEntryKeys = {"model",
                                                    "reciprocity",
                                                    "expertise",
                                                    "resources",
                                                    "duration_weeks",
                                                    "start_week",
                                                    "valence",
                                                    "strength",
                                                    "group_strength",
                                                    "caseload",
                                                    "group_size",
                                                    "staff_per_group",
                                                    "a_w",
                                                    "a_q",
                                                    "persist_probability"};
const std::vector<std::string> kOutputKeys = {"file", "trajectories", "tie_snapshots",
                                              "compression"};
const std::vector<std::string> kTrajectoryKeys = {"enabled", "every_weeks", "agent_fraction",
                                                  "roles"};

constexpr double kShareTolerance = 1e-9;
/// Largest weeks and replicates accepted (about 1900 years; a million replicates): larger
/// values are typing errors, and weeks size per-week buffers (docs/robustness.md, "Limits").
constexpr int kMaxWeeks = 100000;
constexpr int kMaxReplicates = 1000000;
constexpr double kInf = std::numeric_limits<double>::infinity();

/// What an override sets.
enum class OverrideKind { run, parameter, population, program, knockout };

/// One command-line "--set name=value", parsed and checked as far as possible without the
/// scenario (not yet applied).
struct Override {
    std::string text;
    std::string name;
    OverrideKind kind = OverrideKind::run;
    std::string value_text;
    double value = 0.0;      ///< parameters, weeks, replicates
    std::uint64_t seed = 0;  ///< seed
    /// program overrides: arm name or "*", program name, field ("resources.x" allowed)
    std::string arm, program, field;

    /// The value as a located field, so the readers of file values check it and name it.
    Field as_field() const {
        YAML::Node node;
        try {
            node = YAML::Load(value_text);
        } catch (const YAML::Exception&) {
            node = YAML::Node(value_text);
        }
        return Field{&where, name, node, YAML::Mark::null_mark()};
    }
    std::string where;  ///< "--set TEXT", the location of errors
};

[[noreturn]] void fail_override(const std::string& text, std::string_view expected,
                                std::string_view found) {
    throw InputError(fmt::format("--set {}: expected {}, found {}", text, expected, found));
}

const MechanismInfo* find_mechanism(std::string_view name) {
    for (const MechanismInfo& info : mechanism_table()) {
        if (info.name == name) return &info;
    }
    return nullptr;
}

std::string mechanism_names() {
    std::vector<std::string> names;
    for (const MechanismInfo& info : mechanism_table()) names.emplace_back(info.name);
    return detail::join(names);
}

constexpr std::string_view kOverrideNames =
    "a spec §6 parameter name, seed, weeks, replicates, population.KEY, ARM.PROGRAM.FIELD "
    "(ARM may be *) or knockout.MECHANISM";

std::vector<Override> parse_overrides(const std::vector<std::string>& texts) {
    std::vector<Override> overrides;
    for (const std::string& text : texts) {
        const std::size_t equals = text.find('=');
        if (equals == std::string::npos || equals == 0) {
            fail_override(text, "NAME=VALUE", equals == 0 ? "no name" : "no '='");
        }
        Override entry;
        entry.text = text;
        entry.where = "--set " + text;
        entry.name = text.substr(0, equals);
        entry.value_text = text.substr(equals + 1);
        const std::string found = "'" + entry.value_text + "'";
        const std::vector<std::string> parts = detail::split(entry.name, '.');
        if (entry.name == "seed") {
            const std::optional<std::uint64_t> seed = detail::parse_uint64_text(entry.value_text);
            if (!seed) {
                fail_override(
                    text,
                    fmt::format("an integer in [0, {}]", std::numeric_limits<std::uint64_t>::max()),
                    found);
            }
            entry.seed = *seed;
        } else if (entry.name == "weeks" || entry.name == "replicates") {
            const std::optional<std::int64_t> value = detail::parse_integer_text(entry.value_text);
            const int most = entry.name == "weeks" ? kMaxWeeks : kMaxReplicates;
            if (!value || *value < 1 || *value > most) {
                fail_override(text, detail::integer_range_text(1, most), found);
            }
            entry.value = static_cast<double>(*value);
        } else if (find_parameter(entry.name) != nullptr) {
            entry.kind = OverrideKind::parameter;
            const std::optional<double> value = detail::parse_number_text(entry.value_text);
            if (!value || !std::isfinite(*value)) fail_override(text, "a finite number", found);
            entry.value = *value;
            Parameters scratch;
            set_parameter(scratch, entry.name, entry.value, "--set " + text);
        } else if (parts.size() == 2 && parts[0] == "population") {
            entry.kind = OverrideKind::population;
            entry.field = parts[1];
            std::vector<std::string> keys(kEgoKeys.begin() + 1, kEgoKeys.end());
            for (const auto* list : {&kCommunityKeys, &kCommunityModelKeys}) {
                for (const std::string& key : *list) {
                    if (key != "generator" &&
                        std::find(keys.begin(), keys.end(), key) == keys.end()) {
                        keys.push_back(key);
                    }
                }
            }
            if (std::find(keys.begin(), keys.end(), entry.field) == keys.end()) {
                fail_override(text, "population.KEY with KEY one of " + detail::join(keys),
                              "'" + entry.field + "'");
            }
        } else if (parts.size() == 2 && parts[0] == "knockout") {
            entry.kind = OverrideKind::knockout;
            entry.field = parts[1];
            if (find_mechanism(entry.field) == nullptr) {
                fail_override(text, "knockout.MECHANISM with MECHANISM one of " + mechanism_names(),
                              "'" + entry.field + "'");
            }
        } else if ((parts.size() == 3 || (parts.size() == 4 && parts[2] == "resources")) &&
                   !parts[0].empty() && !parts[1].empty() && !parts[2].empty()) {
            entry.kind = OverrideKind::program;
            entry.arm = parts[0];
            entry.program = parts[1];
            entry.field = parts.size() == 4 ? "resources." + parts[3] : parts[2];
        } else {
            fail_override(text, kOverrideNames, "unknown name '" + entry.name + "'");
        }
        overrides.push_back(std::move(entry));
    }
    return overrides;
}

bool is_arm_name(std::string_view name) {
    return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
               c == '_' || c == '-';
    });
}

bool is_scenario_name(std::string_view name) {
    return !name.empty() && name != "." && name != ".." &&
           std::all_of(name.begin(), name.end(),
                       [](char c) { return is_arm_name(std::string_view(&c, 1)) || c == '.'; });
}

/// Reads one scenario file; the state shared by its parts.
class ScenarioReader {
  public:
    ScenarioReader(const std::string& text, const std::filesystem::path& path,
                   const ModelCatalogue& models, const std::vector<std::string>& overrides)
        : file_(path.string()), directory_(path.parent_path()), models_(models) {
        spec_.source_path = path;
        spec_.source_text = text;
        spec_.overrides = overrides;
        spec_.name = path.stem().string();
        overrides_ = parse_overrides(overrides);
        root_ = detail::parse_yaml(text, file_);
    }

    ScenarioSpec read() {
        const Map map(Field{&file_, "", root_, root_.Mark()}, kScenarioKeys,
                      "a map of scenario keys");
        if (auto field = map.find("name")) {
            spec_.name = detail::read_string(*field);
            if (!is_scenario_name(spec_.name)) {
                field->fail("a name of letters, digits, '.', '_' and '-'");
            }
        }
        if (auto field = map.find("description")) {
            spec_.description = detail::read_string(*field, false);
        }
        if (auto field = map.find("seed")) spec_.seed = detail::read_uint64(*field);
        if (auto field = map.find("weeks")) spec_.weeks = detail::read_int(*field, 1, kMaxWeeks);
        if (auto field = map.find("replicates")) {
            spec_.replicates = detail::read_int(*field, 1, kMaxReplicates);
        }
        apply_run_overrides();

        if (auto field = map.find("population")) read_population(*field);
        apply_population_overrides();
        if (auto field = map.find("parameters")) read_parameters(*field);
        apply_parameter_overrides();

        read_arms(map.require("arms", "a list of one or more arms"));
        apply_program_overrides();
        if (auto field = map.find("knockouts")) read_knockouts(*field);
        apply_knockout_overrides();
        if (auto field = map.find("counterfactual")) {
            spec_.counterfactual = detail::read_bool(*field);
        }
        if (auto field = map.find("sweep")) spec_.sweep_node = field->node;
        if (auto field = map.find("output")) read_output(*field);
        return std::move(spec_);
    }

  private:
    void apply_run_overrides() {
        for (const Override& entry : overrides_) {
            if (entry.name == "seed") {
                spec_.seed = entry.seed;
            } else if (entry.name == "weeks") {
                spec_.weeks = static_cast<int>(entry.value);
                weeks_note_ = fmt::format(" (weeks = {} from --set {})", spec_.weeks, entry.text);
            } else if (entry.name == "replicates") {
                spec_.replicates = static_cast<int>(entry.value);
            }
        }
    }

    void apply_parameter_overrides() {
        for (const Override& entry : overrides_) {
            if (find_parameter(entry.name) != nullptr) {
                set_parameter(spec_.params, entry.name, entry.value, "--set " + entry.text);
            }
        }
    }

    void read_population(const Field& field) {
        const std::vector<std::string> all_keys = [] {
            std::vector<std::string> keys = kEgoKeys;
            for (const auto* list : {&kCsvKeys, &kCommunityKeys, &kCommunityModelKeys}) {
                for (const std::string& key : *list) {
                    if (std::find(keys.begin(), keys.end(), key) == keys.end()) keys.push_back(key);
                }
            }
            return keys;
        }();
        const Map any(field, all_keys, "a map with the population's generator");
        PopulationSpec& population = spec_.population;
        population_field_ = field;
        if (auto generator = any.find("generator")) {
            const std::string name = detail::read_string(*generator);
            if (name == "csv") {
                population.kind = PopulationSpec::Kind::csv;
            } else if (const std::optional<NetworkModel> model = parse_network_model(name)) {
                population.kind = PopulationSpec::Kind::community;
                population.community.model = *model;
            } else if (name != "ego_network") {
                generator->fail(
                    fmt::format("ego_network or csv, or a network model ({})", kNetworkModels));
            }
        }
        if (population.kind == PopulationSpec::Kind::community) {
            const Map map(field, community_keys(population.community.model));
            for (const auto& [key, value] : map.entries()) {
                if (key == "generator") continue;
                read_community_key(population.community, key, value);
                community_fields_.insert_or_assign(key, value);
            }
            return;
        }
        if (population.kind == PopulationSpec::Kind::csv) {
            const Map map(field, kCsvKeys);
            population.agents_csv = read_csv_path(map.require("agents", "the agents CSV file"));
            population.ties_csv = read_csv_path(map.require("ties", "the ties CSV file"));
            return;
        }
        const Map map(field, kEgoKeys);
        for (const auto& [key, value] : map.entries()) {
            if (key != "generator") read_ego_key(population.ego, key, value);
        }
    }

    /// One ego-network generator parameter (a key of kEgoKeys other than generator).
    static void read_ego_key(EgoNetworkParams& ego, const std::string& key, const Field& value) {
        if (key == "patients") {
            ego.patients = detail::read_int(value, 1);
        } else if (key == "family_mean") {
            ego.family_mean = detail::read_number(value, 0.0, kInf);
        } else if (key == "friends_mean") {
            ego.friends_mean = detail::read_number(value, 0.0, kInf);
        } else if (key == "high_ee_share") {
            ego.high_ee_share = detail::read_number(value, 0.0, 1.0);
        } else if (key == "rewire_probability") {
            ego.rewire_probability = detail::read_number(value, 0.0, 1.0);
        } else if (key == "peer_ties_mean") {
            ego.peer_ties_mean = detail::read_number(value, 0.0, kInf);
        } else if (key == "coordinator_caseload") {
            ego.coordinator_caseload = detail::read_int(value, 1);
        }
    }

    void apply_population_overrides() {
        PopulationSpec& population = spec_.population;
        for (const Override& entry : overrides_) {
            if (entry.kind != OverrideKind::population) continue;
            if (population.kind == PopulationSpec::Kind::csv) {
                fail_override(entry.text, "a scenario with a generated population",
                              "a csv population");
            }
            const std::vector<std::string> keys = population.kind == PopulationSpec::Kind::community
                                                      ? community_keys(population.community.model)
                                                      : kEgoKeys;
            if (std::find(keys.begin() + 1, keys.end(), entry.field) == keys.end()) {
                fail_override(entry.text,
                              fmt::format("population.KEY with KEY one of {} (the {} generator)",
                                          detail::join({keys.begin() + 1, keys.end()}),
                                          population.kind == PopulationSpec::Kind::community
                                              ? to_string(population.community.model)
                                              : std::string_view("ego_network")),
                              "'" + entry.field + "'");
            }
            if (population.kind == PopulationSpec::Kind::community) {
                read_community_key(population.community, entry.field, entry.as_field());
                community_fields_.insert_or_assign(entry.field, entry.as_field());
            } else {
                read_ego_key(population.ego, entry.field, entry.as_field());
            }
        }
        if (population.kind == PopulationSpec::Kind::community) check_community();
    }

    /// One community population parameter (a key of community_keys() other than generator).
    void read_community_key(CommunityParams& c, const std::string& key, const Field& value) const {
        if (key == "agents") {
            c.agents = detail::read_int(value, 1);
        } else if (key == "patient_share") {
            c.patient_share = detail::read_number(value, 0.0, 1.0);
        } else if (key == "household_mean") {
            c.household_mean = detail::read_number(value, 1.0, kInf);
        } else if (key == "high_ee_share") {
            c.high_ee_share = detail::read_number(value, 0.0, 1.0);
        } else if (key == "coordinator_caseload") {
            c.coordinator_caseload = detail::read_int(value, 1);
        } else if (key == "tie_strength") {
            c.tie_strength = detail::read_number(value, 0.0, 1.0);
        } else if (key == "tie_valence") {
            c.tie_valence = detail::read_number(value, -1.0, 1.0);
        } else if (key == "mean_degree") {
            c.mean_degree = detail::read_number(value, 0.0, kInf);
        } else if (key == "rewire_probability") {
            c.rewire_probability = detail::read_number(value, 0.0, 1.0);
        } else if (key == "attach") {
            c.attach = detail::read_int(value, 1);
        } else if (key == "block_shares") {
            c.block_shares.clear();
            for (const Field& item : detail::read_list(value, "a list of block shares")) {
                c.block_shares.push_back(detail::read_number(item, 0.0, 1.0));
            }
        } else if (key == "block_probabilities") {
            c.block_probabilities.clear();
            const std::string expected = "a list of rows, each a list of probabilities";
            for (const Field& row : detail::read_list(value, expected)) {
                std::vector<double>& out = c.block_probabilities.emplace_back();
                for (const Field& item : detail::read_list(row, expected)) {
                    out.push_back(detail::read_number(item, 0.0, 1.0));
                }
            }
        } else if (key == "degree_distribution") {
            const std::string name = detail::read_string(value);
            if (name == "fixed") {
                c.degree_distribution = DegreeDistribution::fixed;
            } else if (name == "poisson") {
                c.degree_distribution = DegreeDistribution::poisson;
            } else if (name == "power_law") {
                c.degree_distribution = DegreeDistribution::power_law;
            } else if (name == "file") {
                c.degree_distribution = DegreeDistribution::file;
            } else {
                value.fail("fixed, poisson, power_law or file");
            }
        } else if (key == "exponent") {
            c.exponent = detail::read_number(value, 1.0, kInf, true);
        } else if (key == "min_degree") {
            c.min_degree = detail::read_int(value, 1);
        } else if (key == "max_degree") {
            c.max_degree = detail::read_int(value, 0);
        } else if (key == "degrees_file") {
            c.degrees_file = read_csv_path(value);
        }
    }

    /// The field that set a community key (file or --set), else the population map.
    Field community_field(const std::string& key) const {
        const auto it = community_fields_.find(key);
        if (it != community_fields_.end()) return it->second;
        if (population_field_) return *population_field_;
        return Field{&file_, "population", YAML::Node(), YAML::Mark::null_mark()};
    }

    /// Checks that involve several community keys.
    void check_community() const {
        const CommunityParams& c = spec_.population.community;
        const double max_degree = static_cast<double>(c.agents) - 1.0;
        switch (c.model) {
            case NetworkModel::erdos_renyi:
                if (c.mean_degree > max_degree) {
                    community_field("mean_degree")
                        .fail(fmt::format("a mean degree of at most agents - 1 = {}", max_degree),
                              fmt::format("{}", c.mean_degree));
                }
                break;
            case NetworkModel::watts_strogatz: {
                const double k = c.mean_degree;
                if (k != std::floor(k) || static_cast<long long>(k) % 2 != 0 || k < 2 ||
                    k >= c.agents) {
                    community_field("mean_degree")
                        .fail(fmt::format("an even integer mean degree k with 2 <= k < agents = {}",
                                          c.agents),
                              fmt::format("{}", k));
                }
                break;
            }
            case NetworkModel::barabasi_albert:
                if (c.attach >= c.agents) {
                    community_field("attach").fail(fmt::format("attach < agents = {}", c.agents),
                                                   fmt::format("{}", c.attach));
                }
                break;
            case NetworkModel::stochastic_block: {
                const std::size_t blocks = c.block_shares.size();
                double total = 0.0;
                for (const double share : c.block_shares) total += share;
                if (blocks == 0 || std::abs(total - 1.0) > kShareTolerance) {
                    community_field("block_shares")
                        .fail("one or more block shares summing to 1",
                              fmt::format("{} shares summing to {}", blocks, total));
                }
                bool square = c.block_probabilities.size() == blocks;
                for (const auto& row : c.block_probabilities)
                    square = square && row.size() == blocks;
                if (!square) {
                    community_field("block_probabilities")
                        .fail(fmt::format("a {0} x {0} matrix (one row and column per block share)",
                                          blocks),
                              fmt::format("{} rows", c.block_probabilities.size()));
                }
                for (std::size_t r = 0; r < blocks; ++r) {
                    for (std::size_t s = 0; s < blocks; ++s) {
                        if (c.block_probabilities[r][s] != c.block_probabilities[s][r]) {
                            community_field("block_probabilities")
                                .fail("a symmetric matrix",
                                      fmt::format("rows {} and {} differing ({} vs {})", r, s,
                                                  c.block_probabilities[r][s],
                                                  c.block_probabilities[s][r]));
                        }
                    }
                }
                break;
            }
            case NetworkModel::configuration:
                if (c.degree_distribution == DegreeDistribution::file && c.degrees_file.empty()) {
                    community_field("degrees_file")
                        .fail(
                            "a degrees_file (one degree per agent) with degree_distribution: file",
                            "none");
                }
                if (c.degree_distribution == DegreeDistribution::power_law && c.max_degree != 0 &&
                    c.max_degree < c.min_degree) {
                    community_field("max_degree")
                        .fail(fmt::format("0 (no cap) or at least min_degree = {}", c.min_degree),
                              fmt::format("{}", c.max_degree));
                }
                if (c.degree_distribution != DegreeDistribution::file &&
                    c.degree_distribution != DegreeDistribution::power_law &&
                    c.mean_degree > max_degree) {
                    community_field("mean_degree")
                        .fail(fmt::format("a mean degree of at most agents - 1 = {}", max_degree),
                              fmt::format("{}", c.mean_degree));
                }
                break;
        }
    }

    /// ARM.PROGRAM.FIELD: the field of that program in that arm (or every arm with ARM = *).
    void apply_program_overrides() {
        for (const Override& entry : overrides_) {
            if (entry.kind != OverrideKind::program) continue;
            int matched = 0;
            for (ArmSpec& arm : spec_.arms) {
                if (entry.arm != "*" && entry.arm != arm.name) continue;
                for (ProgramSpec& program : arm.programs) {
                    if (program.name != entry.program) continue;
                    ++matched;
                    apply_program_override(program, entry);
                }
            }
            if (matched == 0) {
                std::vector<std::string> pairs;
                bool arm_exists = entry.arm == "*";
                for (const ArmSpec& arm : spec_.arms) {
                    arm_exists = arm_exists || arm.name == entry.arm;
                    for (const ProgramSpec& program : arm.programs) {
                        pairs.push_back(arm.name + "." + program.name);
                    }
                }
                fail_override(
                    entry.text,
                    "ARM.PROGRAM.FIELD naming a program of an arm (" +
                        (pairs.empty() ? std::string("this scenario has none")
                                       : detail::join(pairs)) +
                        ")",
                    entry.arm == "*" ? fmt::format("no arm with program '{}'", entry.program)
                    : arm_exists
                        ? fmt::format("no program '{}' in arm '{}'", entry.program, entry.arm)
                        : fmt::format("no arm '{}'", entry.arm));
            }
        }
    }

    void apply_program_override(ProgramSpec& program, const Override& entry) const {
        const Field value = entry.as_field();
        if (entry.field.rfind("resources.", 0) == 0) {
            const std::string resource = entry.field.substr(10);
            if (!parse_resource(resource)) {
                fail_override(entry.text, "resources.NAME with NAME one of " + resource_names(),
                              "'" + resource + "'");
            }
            program.resources[static_cast<int>(*parse_resource(resource))] =
                detail::read_number(value, 0.0, 1.0);
        } else if (entry.field == "a_w" || entry.field == "a_q" ||
                   entry.field == "persist_probability") {
            apply_element_override(program, entry.field, value);
        } else if (!detail::read_program_field(program, entry.field, value, false)) {
            fail_override(
                entry.text,
                "a program field (" +
                    detail::join({kProgramEntryKeys.begin() + 1, kProgramEntryKeys.end()}) +
                    ", resources.NAME)",
                "'" + entry.field + "'");
        }
        if (entry.field == "start_week") check_start_week(program, value, false);
    }

    void read_knockouts(const Field& field) {
        const std::string expected = "a list of mechanisms (" + mechanism_names() + ")";
        std::vector<std::string> seen;
        for (const Field& item : detail::read_list(field, expected)) {
            const MechanismInfo* info =
                item.node.IsScalar() ? find_mechanism(item.node.Scalar()) : nullptr;
            if (info == nullptr) item.fail("one of " + mechanism_names());
            if (std::find(seen.begin(), seen.end(), info->name) != seen.end()) {
                item.fail("each mechanism once", describe_again(item));
            }
            seen.emplace_back(info->name);
            spec_.mechanisms.*(info->flag) = false;
        }
    }

    void apply_knockout_overrides() {
        for (const Override& entry : overrides_) {
            if (entry.kind != OverrideKind::knockout) continue;
            const bool off = detail::read_int(entry.as_field(), 0, 1) == 1;
            spec_.mechanisms.*(find_mechanism(entry.field)->flag) = !off;
        }
    }

    std::filesystem::path read_csv_path(const Field& field) const {
        const std::string text = detail::read_string(field);
        std::filesystem::path path(text);
        if (path.is_relative()) path = directory_ / path;
        path = path.lexically_normal();
        std::error_code ec;
        const std::filesystem::file_status status = std::filesystem::status(path, ec);
        if (!std::filesystem::is_regular_file(status)) {
            field.fail("an existing CSV file (paths are relative to the scenario file)",
                       fmt::format("'{}' ({} {})", text, path.string(),
                                   std::filesystem::exists(status)
                                       ? "is " + std::string(detail::file_type_name(status.type()))
                                       : std::string("does not exist")));
        }
        return path;
    }

    void read_parameters(const Field& field) {
        const Map map = Map::any_keys(field, "a map of spec §6 parameters to numbers");
        for (const auto& [name, value] : map.entries()) {
            const std::string where = value.where() + ": parameters";
            // An unknown name is reported by set_parameter before its value is looked at.
            const double number =
                find_parameter(name) != nullptr ? detail::read_number(value, -kInf, kInf) : 0.0;
            set_parameter(spec_.params, name, number, where);
        }
    }

    void read_arms(const Field& field) {
        const std::vector<Field> items = detail::read_list(field, "a list of one or more arms");
        if (items.empty()) field.fail("a list of one or more arms", "an empty list");
        std::vector<Field> name_fields;
        std::optional<Field> control_field;
        double share_total = 0.0;
        long long count_total = 0;
        for (const Field& item : items) {
            const Map map(item, kArmKeys,
                          "a map with the arm's name, share or count, and programs");
            ArmSpec arm;
            const Field name_field =
                map.require("name", "an arm name (letters, digits, '_' and '-')");
            arm.name = detail::read_string(name_field);
            if (!is_arm_name(arm.name))
                name_field.fail("an arm name of letters, digits, '_' and '-'");
            for (std::size_t i = 0; i < spec_.arms.size(); ++i) {
                if (spec_.arms[i].name == arm.name) {
                    name_field.fail(
                        "a unique arm name",
                        fmt::format("'{}' again (first at {})", arm.name, name_fields[i].where()));
                }
            }
            name_fields.push_back(name_field);

            if (auto value = map.find("control")) {
                arm.control = detail::read_bool(*value);
                if (arm.control) {
                    if (control_field) {
                        value->fail(
                            "at most one arm with control: true",
                            fmt::format("a second one (first at {})", control_field->where()));
                    }
                    control_field = *value;
                    spec_.control_arm = static_cast<int>(spec_.arms.size());
                }
            }

            read_arm_size(map, item, arm, share_total, count_total);
            if (auto value = map.find("programs")) read_programs(*value, arm);
            spec_.arms.push_back(std::move(arm));
        }
        if (!control_field) {
            for (std::size_t i = 0; i < spec_.arms.size(); ++i) {
                if (spec_.arms[i].name == "control") spec_.control_arm = static_cast<int>(i);
            }
        }
    }

    void read_arm_size(const Map& map, const Field& item, ArmSpec& arm, double& share_total,
                       long long& count_total) const {
        const std::optional<Field> share = map.find("share");
        const std::optional<Field> count = map.find("count");
        if (spec_.population.kind == PopulationSpec::Kind::csv) {
            if (share || count) {
                (share ? *share : *count)
                    .fail(
                        "no share or count with a csv population (its agents' arm column "
                        "assigns the patients)");
            }
            return;
        }
        if (share && count) count->fail("a share or a count, not both", "both");
        if (!share && !count) {
            item.fail("an arm with a share or a count of the patients", "neither");
        }
        const int patients = spec_.population.patients();
        const std::string patients_name =
            spec_.population.kind == PopulationSpec::Kind::community
                ? "the population's patients (round(patient_share x agents))"
                : "population.patients";
        if (share) {
            arm.share = detail::read_number(*share, 0.0, 1.0);
            share_total += *arm.share;
            if (share_total > 1.0 + kShareTolerance) {
                share->fail("shares of all arms summing to at most 1",
                            fmt::format("a total of {}", share_total));
            }
        } else {
            arm.count = detail::read_int(*count, 0);
            count_total += *arm.count;
            if (count_total > patients) {
                count->fail(fmt::format("counts of all arms totalling at most {} = {}",
                                        patients_name, patients),
                            fmt::format("a total of {}", count_total));
            }
        }
        const double needed = static_cast<double>(count_total) + share_total * patients;
        if (needed > patients * (1.0 + kShareTolerance)) {
            (share ? *share : *count)
                .fail(fmt::format("shares and counts that together need at most "
                                  "{} = {} patients",
                                  patients_name, patients),
                      fmt::format("{} needed", needed));
        }
    }

    void read_programs(const Field& field, ArmSpec& arm) const {
        constexpr std::string_view expected =
            "a list of programs (model names, paths, or maps "
            "with 'model' and overrides)";
        std::vector<Field> entry_fields;
        for (const Field& entry : detail::read_list(field, expected)) {
            ProgramSpec program = read_program(entry);
            for (std::size_t i = 0; i < arm.programs.size(); ++i) {
                if (arm.programs[i].name == program.name) {
                    entry.fail("each program at most once in an arm",
                               fmt::format("'{}' again (first at {})", program.name,
                                           entry_fields[i].where()));
                }
            }
            entry_fields.push_back(entry);
            arm.programs.push_back(std::move(program));
        }
    }

    ProgramSpec read_program(const Field& entry) const {
        constexpr std::string_view expected =
            "a model name, a path to a model file, or a map with 'model' and overrides";
        if (!entry.node.IsDefined() || (!entry.node.IsScalar() && !entry.node.IsMap())) {
            entry.fail(expected);
        }
        if (entry.node.IsScalar()) {
            ProgramSpec program = load_program(entry);
            check_start_week(program, entry, true);
            return program;
        }
        const Map map(entry, kProgramEntryKeys, expected);
        const Field model_field = map.require("model", "a model name or a path to a model file");
        ProgramSpec program = load_program(model_field);
        std::optional<Field> start_field;
        for (const auto& [key, value] : map.entries()) {
            if (key == "model") continue;
            if (key == "start_week") start_field = value;
            if (detail::read_program_field(program, key, value, false)) continue;
            apply_element_override(program, key, value);
        }
        check_start_week(program, start_field ? *start_field : model_field, !start_field);
        return program;
    }

    ProgramSpec load_program(const Field& field) const {
        const std::string name = detail::read_string(field);
        const std::optional<std::filesystem::path> path =
            detail::resolve_model(models_, name, directory_);
        if (!path) {
            if (detail::is_model_path(name)) {
                std::filesystem::path missing(name);
                if (missing.is_relative()) missing = directory_ / missing;
                missing = missing.lexically_normal();
                field.fail("an existing model file (paths are relative to the scenario file)",
                           fmt::format("'{}' ({} does not exist)", name, missing.string()));
            }
            field.fail(fmt::format("a model name from the catalogue ({})",
                                   detail::catalogue_summary(models_)),
                       "'" + name + "'");
        }
        return load_model_file(*path);
    }

    /// a_w, a_q (activate elements) and persist_probability (volunteer, peer_worker elements).
    static void apply_element_override(ProgramSpec& program, const std::string& key,
                                       const Field& value) {
        const bool activate = key == "a_w" || key == "a_q";
        const auto applies = [activate](const DeliveryElement& element) {
            if (activate) return element.kind == ElementKind::activate;
            return element.kind == ElementKind::volunteer ||
                   element.kind == ElementKind::peer_worker;
        };
        if (std::none_of(program.delivery.begin(), program.delivery.end(), applies)) {
            value.fail(activate ? "a program with an activate element"
                                : "a program with a volunteer or peer_worker element",
                       fmt::format("model '{}' without one", program.name));
        }
        const double number = detail::read_number(value, 0.0, 1.0);
        for (DeliveryElement& element : program.delivery) {
            if (!applies(element)) continue;
            if (key == "a_w") {
                element.a_w = number;
            } else if (key == "a_q") {
                element.a_q = number;
            } else {
                element.persist_probability = number;
            }
        }
    }

    /// start_week must fall within the run; `from_model` says the value is the model's default.
    void check_start_week(const ProgramSpec& program, const Field& field, bool from_model) const {
        if (program.start_week <= spec_.weeks - 1) return;
        field.fail(fmt::format("a start_week in [0, {}]{}", spec_.weeks - 1, weeks_note_),
                   from_model ? fmt::format("{} (the default start_week of model '{}')",
                                            program.start_week, program.name)
                              : fmt::format("{}", program.start_week));
    }

    void read_output(const Field& field) {
        const Map map(field, kOutputKeys);
        OutputSpec& output = spec_.output;
        if (auto value = map.find("file")) output.path = detail::read_string(*value);
        if (auto value = map.find("trajectories")) read_trajectories(*value);
        if (auto value = map.find("tie_snapshots")) {
            const std::string expected =
                fmt::format("a list of weeks in [0, {}]{}", spec_.weeks, weeks_note_);
            for (const Field& item : detail::read_list(*value, expected)) {
                const int week = detail::read_int(item, 0);
                if (week > spec_.weeks) {
                    item.fail(fmt::format("a week in [0, {}]{}", spec_.weeks, weeks_note_));
                }
                auto& weeks = output.tie_snapshot_weeks;
                if (std::find(weeks.begin(), weeks.end(), week) != weeks.end()) {
                    item.fail("each week once", fmt::format("{} again", week));
                }
                weeks.push_back(week);
            }
            std::sort(output.tie_snapshot_weeks.begin(), output.tie_snapshot_weeks.end());
        }
        if (auto value = map.find("compression")) {
            output.compression_level = detail::read_int(*value, 0, 9);
        }
    }

    void read_trajectories(const Field& field) {
        const Map map(field, kTrajectoryKeys);
        TrajectoryOptions& options = spec_.output.trajectories;
        if (auto value = map.find("enabled")) options.enabled = detail::read_bool(*value);
        if (auto value = map.find("every_weeks")) options.every_weeks = detail::read_int(*value, 1);
        if (auto value = map.find("agent_fraction")) {
            options.agent_fraction = detail::read_number(*value, 0.0, 1.0, true);
        }
        if (auto value = map.find("roles")) {
            const std::string expected = "a list of roles (" + role_names() + ")";
            for (const Field& item : detail::read_list(*value, expected)) {
                if (!item.node.IsScalar()) item.fail("one of " + role_names());
                const std::optional<Role> role = parse_role(item.node.Scalar());
                if (!role) item.fail("one of " + role_names());
                if (std::find(options.roles.begin(), options.roles.end(), *role) !=
                    options.roles.end()) {
                    item.fail("each role once", describe_again(item));
                }
                options.roles.push_back(*role);
            }
        }
    }

    static std::string describe_again(const Field& field) {
        return detail::describe(field.node) + " again";
    }

    std::string file_;
    std::filesystem::path directory_;
    const ModelCatalogue& models_;
    std::vector<Override> overrides_;
    YAML::Node root_;
    ScenarioSpec spec_;
    std::string weeks_note_;                 ///< appended to week ranges when --set changed weeks
    std::optional<Field> population_field_;  ///< the `population:` map, when present
    std::map<std::string, Field> community_fields_;  ///< where each community key was set
};

}  // namespace

ScenarioSpec load_scenario_text(const std::string& text, const std::filesystem::path& path,
                                const ModelCatalogue& models,
                                const std::vector<std::string>& overrides) {
    return ScenarioReader(text, path, models, overrides).read();
}

ScenarioSpec load_scenario_file(const std::filesystem::path& path, const ModelCatalogue& models,
                                const std::vector<std::string>& overrides) {
    const std::string text = detail::read_text_file(path, "scenario file");
    return load_scenario_text(text, path, models, overrides);
}

}  // namespace kindred
