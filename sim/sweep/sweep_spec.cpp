// The `sweep:` section → SweepSpec (located errors in the config layer's style), and the plan:
// design points, their override strings and validated scenarios, the run identities.
#include "sweep/sweep_spec.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <set>

#include "config/yaml_util.hpp"
#include "core/parallel.hpp"
#include "trial/trial.hpp"

namespace kindred::sweep {
namespace {

using kindred::detail::Field;
using kindred::detail::Map;

const std::vector<std::string> kSweepKeys = {
    "design",        "points",       "second_order", "seed", "replicates", "common_random_numbers",
    "outcome_weeks", "trajectories", "variables"};
const std::vector<std::string> kRangeKeys = {"min", "max", "steps", "scale"};
const std::vector<std::string> kDistributionKeys = {"distribution", "min",  "max",  "mean",
                                                    "sd",           "mode", "steps"};
const std::vector<std::string> kIntegerProgramFields = {"start_week", "duration_weeks", "caseload",
                                                        "group_size", "staff_per_group"};
/// Largest number of points a design may have (the plan holds one scenario per point, a few
/// kilobytes each).
constexpr std::int64_t kMaxPoints = 1'000'000;
/// Largest number of runs: a run's stream key is passed on as an int replicate.
constexpr std::int64_t kMaxRuns = std::numeric_limits<std::int32_t>::max();
constexpr double kInf = std::numeric_limits<double>::infinity();
/// Distribution quantiles are taken at probabilities clamped to [kTiny, 1 − kTiny].
constexpr double kTiny = 0x1.0p-53;

/// The kind of value an override name takes. Unknown names are left to the scenario loader,
/// which reports them with the full list of valid names.
ValueKind value_kind(const std::string& name, const Field& field) {
    if (name == "seed" || name == "weeks" || name == "replicates") {
        field.fail(
            "a parameter, population.KEY, ARM.PROGRAM.FIELD or knockout.MECHANISM name (seed, "
            "weeks and replicates cannot vary within a sweep: use the sweep's replicates)",
            "'" + name + "'");
    }
    if (const ParameterInfo* info = find_parameter(name)) {
        return info->integer ? ValueKind::integer : ValueKind::real;
    }
    const std::vector<std::string> parts = kindred::detail::split(name, '.');
    if (parts.size() == 2 && parts[0] == "population") {
        return parts[1] == "patients" || parts[1] == "coordinator_caseload" ? ValueKind::integer
                                                                            : ValueKind::real;
    }
    if (parts.size() == 2 && parts[0] == "knockout") return ValueKind::integer;
    if (parts.size() == 3) {
        const std::string& field_name = parts[2];
        if (field_name == "reciprocity") return ValueKind::reciprocity;
        if (field_name == "expertise") return ValueKind::expertise;
        if (std::find(kIntegerProgramFields.begin(), kIntegerProgramFields.end(), field_name) !=
            kIntegerProgramFields.end()) {
            return ValueKind::integer;
        }
    }
    return ValueKind::real;
}

double read_value(const Field& field, ValueKind kind) {
    if (kind == ValueKind::integer) {
        return static_cast<double>(
            kindred::detail::read_integer(field, std::numeric_limits<std::int32_t>::min(),
                                          std::numeric_limits<std::int32_t>::max()));
    }
    return kindred::detail::read_number(field, -kInf, kInf);
}

/// One element of a list of values.
double read_level(const Field& item, ValueKind kind) {
    if (kind == ValueKind::expertise) {
        const std::optional<Expertise> expertise =
            item.node.IsScalar() ? parse_expertise(item.node.Scalar()) : std::nullopt;
        if (!expertise) item.fail("one of " + expertise_names());
        return static_cast<double>(*expertise);
    }
    if (kind == ValueKind::reciprocity && item.node.IsScalar()) {
        const std::string& word = item.node.Scalar();
        if (word == "reciprocal") return 1.0;
        if (word == "partial") return 0.5;
        if (word == "unidirectional") return 0.0;
        if (!kindred::detail::parse_number_text(word)) {
            item.fail("reciprocal, partial, unidirectional or a number in [0, 1]");
        }
    }
    return read_value(item, kind);
}

double round_half_away(double value) { return static_cast<double>(std::llround(value)); }

/// Throws at `field` when rounding to integers made two levels equal.
void check_distinct_levels(const std::vector<double>& levels, const Field& field) {
    std::set<double> seen;
    for (double level : levels) {
        if (!seen.insert(level).second) {
            field.fail("levels that stay distinct after rounding to integers (fewer steps)",
                       fmt::format("{} twice", level));
        }
    }
}

void read_list_variable(VariableSpec& variable, const Field& field) {
    const std::string expected = variable.kind == ValueKind::expertise
                                     ? "a list of expertise names (" + expertise_names() + ")"
                                     : "a list of values";
    const std::vector<Field> items = kindred::detail::read_list(field, expected);
    if (items.empty()) field.fail(expected + " (at least one)", "an empty list");
    std::vector<Field> seen;
    for (const Field& item : items) {
        const double level = read_level(item, variable.kind);
        for (std::size_t i = 0; i < variable.levels.size(); ++i) {
            if (variable.levels[i] == level) {
                item.fail("each value once",
                          fmt::format("{} again (first at {})",
                                      kindred::detail::describe(item.node), seen[i].where()));
            }
        }
        variable.levels.push_back(level);
        seen.push_back(item);
    }
}

void read_range_variable(VariableSpec& variable, const Field& field) {
    const Map map(field, kRangeKeys, "a range {min, max} with optional steps and scale");
    const Field min_field = map.require("min", "the smallest value");
    const Field max_field = map.require("max", "the largest value");
    variable.min = read_value(min_field, variable.kind);
    variable.max = read_value(max_field, variable.kind);
    if (!(variable.max > variable.min)) {
        max_field.fail(fmt::format("a number > min = {}", variable.min));
    }
    bool log_scale = false;
    if (auto scale = map.find("scale")) {
        const std::string text = kindred::detail::read_string(*scale);
        if (text == "log") {
            log_scale = true;
        } else if (text != "linear") {
            scale->fail("linear or log");
        }
        if (log_scale && variable.min <= 0.0) {
            min_field.fail("a number > 0 (scale: log)");
        }
    }
    variable.distribution = log_scale ? Distribution::loguniform : Distribution::uniform;
    const std::optional<Field> steps = map.find("steps");
    if (!steps) {
        variable.discrete = false;
        return;
    }
    const int count = kindred::detail::read_int(*steps, 1);
    variable.discrete = true;
    for (int i = 0; i < count; ++i) {
        const double t = count == 1 ? 0.0 : static_cast<double>(i) / (count - 1);
        double value = log_scale ? std::exp(std::log(variable.min) +
                                            t * (std::log(variable.max) - std::log(variable.min)))
                                 : variable.min + t * (variable.max - variable.min);
        if (i == count - 1 && count > 1) value = variable.max;
        // 15 significant digits drop the binary noise of the arithmetic: 0.01 … 0.03 in three
        // steps gives 0.02, not 0.019999999999999997.
        value = std::stod(fmt::format("{:.15g}", value));
        if (variable.kind == ValueKind::integer) value = round_half_away(value);
        variable.levels.push_back(value);
    }
    check_distinct_levels(variable.levels, *steps);
}

void read_distribution_variable(VariableSpec& variable, const Field& field) {
    const Map map(field, kDistributionKeys, "a distribution");
    const Field kind_field =
        map.require("distribution", "uniform, loguniform, normal or triangular");
    const std::string name = kindred::detail::read_string(kind_field);
    variable.discrete = false;
    const auto number = [&](std::string_view key, std::string_view what) {
        return kindred::detail::read_number(map.require(key, what), -kInf, kInf);
    };
    const auto forbid = [&](std::string_view key) {
        if (auto extra = map.find(key)) {
            extra->fail(fmt::format("no '{}' for a {} distribution", key, name), "one");
        }
    };
    if (name == "uniform" || name == "loguniform") {
        variable.distribution =
            name == "uniform" ? Distribution::uniform : Distribution::loguniform;
        variable.min = number("min", "the lower bound");
        variable.max = number("max", "the upper bound");
        forbid("mean");
        forbid("sd");
        forbid("mode");
        if (!(variable.max > variable.min)) {
            map.require("max", "").fail(fmt::format("a number > min = {}", variable.min));
        }
        if (name == "loguniform" && variable.min <= 0.0) {
            map.require("min", "").fail("a number > 0 (loguniform)");
        }
    } else if (name == "normal") {
        variable.distribution = Distribution::normal;
        variable.mean = number("mean", "the mean");
        const Field sd_field = map.require("sd", "the standard deviation (> 0)");
        variable.sd = kindred::detail::read_number(sd_field, 0.0, kInf, true);
        forbid("mode");
        if (auto lo = map.find("min")) {
            variable.min = kindred::detail::read_number(*lo, -kInf, kInf);
            variable.truncated_below = true;
        }
        if (auto hi = map.find("max")) {
            variable.max = kindred::detail::read_number(*hi, -kInf, kInf);
            variable.truncated_above = true;
            if (variable.truncated_below && !(variable.max > variable.min)) {
                hi->fail(fmt::format("a number > min = {}", variable.min));
            }
        }
        const double lo = variable.truncated_below
                              ? normal_cdf((variable.min - variable.mean) / variable.sd)
                              : 0.0;
        const double hi = variable.truncated_above
                              ? normal_cdf((variable.max - variable.mean) / variable.sd)
                              : 1.0;
        if (!(hi - lo > 1e-12)) {
            const std::string below =
                variable.truncated_below ? fmt::format("[{}", variable.min) : std::string("(-inf");
            const std::string above =
                variable.truncated_above ? fmt::format("{}]", variable.max) : std::string("inf)");
            field.fail("truncation bounds that keep some of the normal distribution",
                       fmt::format("{}, {}, which holds under 1e-12 of N(mean {}, sd {})", below,
                                   above, variable.mean, variable.sd));
        }
    } else if (name == "triangular") {
        variable.distribution = Distribution::triangular;
        variable.min = number("min", "the lower bound");
        variable.mode = number("mode", "the most likely value");
        variable.max = number("max", "the upper bound");
        forbid("mean");
        forbid("sd");
        if (!(variable.max > variable.min) || variable.mode < variable.min ||
            variable.mode > variable.max) {
            map.require("mode", "")
                .fail("min ≤ mode ≤ max with min < max",
                      fmt::format("min {}, mode {}, max {}", variable.min, variable.mode,
                                  variable.max));
        }
    } else {
        kind_field.fail("uniform, loguniform, normal or triangular");
    }
    if (auto steps = map.find("steps")) variable.steps = kindred::detail::read_int(*steps, 1);
}

VariableSpec read_variable(const std::string& name, const Field& field) {
    VariableSpec variable;
    variable.name = name;
    variable.location = field.where();
    variable.kind = value_kind(name, field);
    if (field.node.IsSequence()) {
        read_list_variable(variable, field);
    } else if (field.node.IsMap() && variable.kind != ValueKind::expertise) {
        if (field.node["distribution"]) {
            read_distribution_variable(variable, field);
        } else {
            read_range_variable(variable, field);
        }
    } else {
        field.fail(variable.kind == ValueKind::expertise
                       ? "a list of expertise names (" + expertise_names() + ")"
                       : "a list of values, a range {min, max, steps, scale} or a distribution "
                         "{distribution: uniform | loguniform | normal | triangular, …}");
    }
    return variable;
}

std::string strip_set_prefix(const std::string& message) {
    constexpr std::string_view prefix = "--set ";
    return message.rfind(prefix, 0) == 0 ? message.substr(prefix.size()) : message;
}

std::string join(const std::vector<std::string>& parts, std::string_view separator) {
    std::string text;
    for (const std::string& part : parts) {
        if (!text.empty()) text += separator;
        text += part;
    }
    return text;
}

std::vector<std::string> with(const std::vector<std::string>& base,
                              const std::vector<std::string>& extra) {
    std::vector<std::string> all = base;
    all.insert(all.end(), extra.begin(), extra.end());
    return all;
}

}  // namespace

std::string_view to_string(DesignKind kind) {
    switch (kind) {
        case DesignKind::grid:
            return "grid";
        case DesignKind::latin_hypercube:
            return "latin_hypercube";
        case DesignKind::sobol:
            return "sobol";
        case DesignKind::saltelli:
            return "saltelli";
    }
    return "grid";
}

double VariableSpec::value_at(double u) const {
    u = std::clamp(u, 0.0, 1.0);
    if (discrete) {
        const auto n = levels.size();
        const auto index = std::min(n - 1, static_cast<std::size_t>(u * static_cast<double>(n)));
        return levels[index];
    }
    const bool integer = kind == ValueKind::integer;
    double value = 0.0;
    switch (distribution) {
        case Distribution::uniform:
            if (integer) {
                // Each integer of [min, max] equally likely.
                return std::min(max, std::floor(min + u * (max - min + 1.0)));
            }
            value = min + u * (max - min);
            break;
        case Distribution::loguniform:
            value = std::exp(std::log(min) + u * (std::log(max) - std::log(min)));
            break;
        case Distribution::normal: {
            const double lo = truncated_below ? normal_cdf((min - mean) / sd) : 0.0;
            const double hi = truncated_above ? normal_cdf((max - mean) / sd) : 1.0;
            const double p = std::clamp(lo + u * (hi - lo), kTiny, 1.0 - kTiny);
            value = mean + sd * normal_quantile(p);
            if (truncated_below) value = std::max(value, min);
            if (truncated_above) value = std::min(value, max);
            break;
        }
        case Distribution::triangular: {
            const double split = (mode - min) / (max - min);
            value = u < split ? min + std::sqrt(u * (max - min) * (mode - min))
                              : max - std::sqrt((1.0 - u) * (max - min) * (max - mode));
            break;
        }
    }
    return integer ? round_half_away(value) : value;
}

std::vector<double> VariableSpec::grid_values() const {
    if (discrete) return levels;
    std::vector<double> values;
    for (int i = 0; i < steps; ++i) values.push_back(value_at((i + 0.5) / steps));
    return values;
}

std::string VariableSpec::override_text(double value) const {
    switch (kind) {
        case ValueKind::expertise:
            return fmt::format(
                "{}={}", name,
                to_string(static_cast<Expertise>(static_cast<int>(std::lround(value)))));
        case ValueKind::integer:
            return fmt::format("{}={}", name, std::llround(value));
        case ValueKind::real:
        case ValueKind::reciprocity:
            break;
    }
    // fmt's default is the shortest text that reads back as the same double.
    return fmt::format("{}={}", name, value);
}

SweepSpec parse_sweep(const ScenarioSpec& scenario) {
    const std::string file = scenario.source_path.string();
    const YAML::Node& node = scenario.sweep_node;
    if (!node.IsDefined() || node.IsNull()) {
        throw InputError(
            fmt::format("{}: key 'sweep': expected a sweep section with at least one variable (see "
                        "docs/scenario-format.md, \"Sweeps\"), found {}",
                        file, node.IsDefined() ? "an empty value" : "nothing"));
    }
    const Field root{&file, "sweep", node, node.Mark()};
    const Map map(root, kSweepKeys, "a map of sweep settings");
    SweepSpec sweep;
    sweep.seed = scenario.seed;
    sweep.replicates = scenario.replicates;

    std::optional<Field> design_field;
    if (auto field = map.find("design")) {
        design_field = field;
        const std::string name = kindred::detail::read_string(*field);
        if (name == "grid") {
            sweep.design = DesignKind::grid;
        } else if (name == "latin_hypercube") {
            sweep.design = DesignKind::latin_hypercube;
        } else if (name == "sobol") {
            sweep.design = DesignKind::sobol;
        } else if (name == "saltelli") {
            sweep.design = DesignKind::saltelli;
        } else {
            field->fail("grid, latin_hypercube, sobol or saltelli");
        }
    }
    const std::string design_name(to_string(sweep.design));
    if (auto field = map.find("points")) {
        if (sweep.design == DesignKind::grid) {
            field->fail(
                "no 'points' for a grid design (its points are every combination of "
                "the variables' levels)",
                "points");
        }
        sweep.points = kindred::detail::read_integer(field.value(), 1, kMaxPoints);
    } else if (sweep.design != DesignKind::grid) {
        map.require("points", sweep.design == DesignKind::saltelli
                                  ? "the number of base samples N (N·(k+2) points)"
                                  : "the number of points");
    }
    if (auto field = map.find("second_order")) {
        if (sweep.design != DesignKind::saltelli) {
            field->fail("second_order only with design: saltelli", "design " + design_name);
        }
        sweep.second_order = kindred::detail::read_bool(*field);
    }
    if (auto field = map.find("seed")) {
        if (sweep.design != DesignKind::latin_hypercube) {
            field->fail(
                "seed only with design: latin_hypercube (the other designs draw nothing; "
                "runs are keyed by the scenario's seed)",
                "design " + design_name);
        }
        sweep.seed = kindred::detail::read_uint64(*field);
    }
    if (auto field = map.find("replicates"))
        sweep.replicates = kindred::detail::read_int(*field, 1);
    if (auto field = map.find("common_random_numbers")) {
        sweep.common_random_numbers = kindred::detail::read_bool(*field);
    }
    if (auto field = map.find("trajectories")) {
        sweep.trajectories = kindred::detail::read_bool(*field);
    }
    if (auto field = map.find("outcome_weeks")) {
        const std::string expected = fmt::format("a list of weeks in [0, {}]", scenario.weeks);
        const std::vector<Field> items = kindred::detail::read_list(*field, expected);
        if (items.empty()) field->fail(expected + " (at least one)", "an empty list");
        for (const Field& item : items) {
            const int week = kindred::detail::read_int(item, 0);
            if (week > scenario.weeks) item.fail(fmt::format("a week in [0, {}]", scenario.weeks));
            if (std::find(sweep.outcome_weeks.begin(), sweep.outcome_weeks.end(), week) !=
                sweep.outcome_weeks.end()) {
                item.fail("each week once", fmt::format("{} again", week));
            }
            sweep.outcome_weeks.push_back(week);
        }
        std::sort(sweep.outcome_weeks.begin(), sweep.outcome_weeks.end());
    } else {
        sweep.outcome_weeks = {std::min(52, scenario.weeks)};
        if (scenario.weeks > 52) sweep.outcome_weeks.push_back(scenario.weeks);
    }

    const Field variables_field =
        map.require("variables", "a map of override names to values, ranges or distributions");
    const Map variables = Map::any_keys(variables_field, "a map of override names to values");
    if (variables.entries().empty()) {
        variables_field.fail("at least one variable", "an empty map");
    }
    for (const auto& [name, value] : variables.entries()) {
        sweep.variables.push_back(read_variable(name, value));
    }
    const auto variable_count = static_cast<int>(sweep.variables.size());
    if (sweep.design == DesignKind::sobol && variable_count > kSobolMaxDimensions) {
        variables_field.fail(
            fmt::format("at most {} variables for a sobol design", kSobolMaxDimensions),
            fmt::format("{}", variable_count));
    }
    if (sweep.design == DesignKind::saltelli && 2 * variable_count > kSobolMaxDimensions) {
        variables_field.fail(
            fmt::format("at most {} variables for a saltelli design", kSobolMaxDimensions / 2),
            fmt::format("{}", variable_count));
    }
    if (sweep.design == DesignKind::grid) {
        for (const auto& [name, value] : variables.entries()) {
            const auto it = std::find_if(sweep.variables.begin(), sweep.variables.end(),
                                         [&](const VariableSpec& v) { return v.name == name; });
            if (!it->discrete && it->steps == 0) {
                value.fail(
                    "levels for a grid design: a list, or 'steps' with a range or "
                    "distribution",
                    "a continuous range without steps");
            }
        }
    }
    YAML::Emitter emitter;
    emitter << node;
    sweep.definition = emitter.c_str();
    return sweep;
}

RunKey SweepPlan::run_key(std::int64_t run_id) const {
    RunKey key;
    key.run_id = run_id;
    const std::int64_t k = run_id % point_count;
    key.replicate = static_cast<std::int32_t>(run_id / point_count);
    key.point = order[static_cast<std::size_t>(k)];
    key.stream =
        sweep.common_random_numbers
            ? static_cast<std::uint64_t>(key.replicate)
            : static_cast<std::uint64_t>(key.point) * static_cast<std::uint64_t>(sweep.replicates) +
                  static_cast<std::uint64_t>(key.replicate);
    return key;
}

std::uint64_t fnv1a(std::string_view bytes, std::uint64_t hash) {
    for (unsigned char c : bytes) {
        hash ^= c;
        hash *= 0x100000001b3ull;
    }
    return hash;
}

SweepPlan make_plan(const std::string& text, const std::filesystem::path& path,
                    const ModelCatalogue& models, const std::vector<std::string>& overrides) {
    SweepPlan plan;
    plan.scenario_text = text;
    plan.scenario_path = path;
    plan.base_overrides = overrides;
    plan.base = load_scenario_text(text, path, models, overrides);
    plan.sweep = parse_sweep(plan.base);
    const SweepSpec& sweep = plan.sweep;
    const auto variable_count = sweep.variables.size();
    const YAML::Mark sweep_mark = plan.base.sweep_node.Mark();
    const std::string sweep_location = kindred::detail::location(path.string(), sweep_mark);

    // Each name on its own with a value from its range, so a bad name is blamed on its key.
    for (const VariableSpec& variable : sweep.variables) {
        const double trial = variable.discrete ? variable.levels.front() : variable.value_at(0.5);
        try {
            load_scenario_text(text, path, models,
                               with(overrides, {variable.override_text(trial)}));
        } catch (const InputError& error) {
            throw InputError(fmt::format("{}: key 'sweep.variables.{}': {}", variable.location,
                                         variable.name, strip_set_prefix(error.what())));
        }
    }

    // The design: values, unit coordinates and levels of every point.
    std::size_t points = 0;
    const auto set_size = [&](std::size_t n) {
        points = n;
        plan.values.assign(n * variable_count, 0.0);
        plan.unit.assign(n * variable_count, std::numeric_limits<double>::quiet_NaN());
        plan.level.assign(n * variable_count, -1);
    };
    const auto level_of = [](const VariableSpec& variable, double u) {
        const auto n = variable.levels.size();
        return static_cast<std::int32_t>(
            std::min(n - 1, static_cast<std::size_t>(u * static_cast<double>(n))));
    };
    const auto fill_from_unit = [&](const UnitDesign& design) {
        set_size(design.n);
        for (std::size_t p = 0; p < design.n; ++p) {
            for (std::size_t v = 0; v < variable_count; ++v) {
                const VariableSpec& variable = sweep.variables[v];
                const double u = design.at(p, static_cast<int>(v));
                plan.unit[p * variable_count + v] = u;
                plan.values[p * variable_count + v] = variable.value_at(u);
                if (variable.discrete) plan.level[p * variable_count + v] = level_of(variable, u);
            }
        }
    };
    switch (sweep.design) {
        case DesignKind::grid: {
            std::vector<std::vector<double>> values;
            std::vector<std::int32_t> counts;
            double total = 1.0;
            for (const VariableSpec& variable : sweep.variables) {
                values.push_back(variable.grid_values());
                if (variable.kind == ValueKind::integer && !variable.discrete) {
                    std::set<double> distinct(values.back().begin(), values.back().end());
                    if (distinct.size() != values.back().size()) {
                        throw InputError(fmt::format(
                            "{}: key 'sweep.variables.{}': expected quantile levels that stay "
                            "distinct after rounding to integers (fewer steps), found repeats",
                            variable.location, variable.name));
                    }
                }
                counts.push_back(static_cast<std::int32_t>(values.back().size()));
                total *= static_cast<double>(values.back().size());
            }
            if (total > static_cast<double>(kMaxPoints)) {
                throw InputError(fmt::format(
                    "{}: key 'sweep.variables': expected a grid of at most {} points, found {}",
                    sweep_location, kMaxPoints, total));
            }
            const auto grid = grid_levels(counts);
            set_size(grid.size());
            for (std::size_t p = 0; p < grid.size(); ++p) {
                for (std::size_t v = 0; v < variable_count; ++v) {
                    const auto l = grid[p][v];
                    plan.values[p * variable_count + v] = values[v][static_cast<std::size_t>(l)];
                    if (sweep.variables[v].discrete) plan.level[p * variable_count + v] = l;
                }
            }
            plan.order = coverage_order(grid.size());
            break;
        }
        case DesignKind::latin_hypercube:
            fill_from_unit(latin_hypercube(static_cast<std::size_t>(sweep.points),
                                           static_cast<int>(variable_count), sweep.seed));
            break;
        case DesignKind::sobol:
            fill_from_unit(sobol_design(static_cast<std::size_t>(sweep.points),
                                        static_cast<int>(variable_count)));
            break;
        case DesignKind::saltelli: {
            plan.saltelli = saltelli_design(static_cast<std::size_t>(sweep.points),
                                            static_cast<int>(variable_count), sweep.second_order);
            if (static_cast<double>(plan.saltelli.unit.n) > static_cast<double>(kMaxPoints)) {
                throw InputError(
                    fmt::format("{}: key 'sweep.points': expected at most {} points "
                                "in all, found {}",
                                sweep_location, kMaxPoints, plan.saltelli.unit.n));
            }
            fill_from_unit(plan.saltelli.unit);
            plan.saltelli.unit.u.clear();
            plan.saltelli.unit.u.shrink_to_fit();
            break;
        }
    }
    plan.point_count = static_cast<std::int64_t>(points);
    if (plan.point_count * sweep.replicates > kMaxRuns) {
        throw InputError(
            fmt::format("{}: key 'sweep.replicates': expected at most {} runs in all, "
                        "found {} points × {} replicates",
                        sweep_location, kMaxRuns, plan.point_count, sweep.replicates));
    }
    if (plan.order.empty()) {
        plan.order.resize(points);
        for (std::size_t p = 0; p < points; ++p) plan.order[p] = static_cast<std::int64_t>(p);
    }

    // Every point's scenario, loaded (and so validated) before anything runs.
    std::vector<std::vector<std::string>> point_overrides(points);
    plan.point_overrides.resize(points);
    for (std::size_t p = 0; p < points; ++p) {
        for (std::size_t v = 0; v < variable_count; ++v) {
            point_overrides[p].push_back(
                sweep.variables[v].override_text(plan.values[p * variable_count + v]));
        }
        plan.point_overrides[p] = join(point_overrides[p], "\n");
    }
    plan.scenarios.resize(points);
    std::vector<std::string> errors(points);
    // The project's helper (std::threads under ThreadSanitizer); one point per task.
    parallel_for_each_index(
        points,
        [&](std::size_t p) {
            try {
                ScenarioSpec spec =
                    load_scenario_text(text, path, models, with(overrides, point_overrides[p]));
                spec.source_text.clear();
                spec.description.clear();
                spec.sweep_node = YAML::Node();
                plan.scenarios[p] = std::move(spec);
            } catch (const InputError& error) {
                errors[p] = strip_set_prefix(error.what());
            }
        },
        1);
    for (std::size_t p = 0; p < points; ++p) {
        if (!errors[p].empty()) {
            throw InputError(fmt::format("{}: key 'sweep': point {} ({}): {}", sweep_location, p,
                                         join(point_overrides[p], ", "), errors[p]));
        }
    }

    // Everything the runs depend on, so that resume and merge can tell sweeps apart.
    std::uint64_t hash = fnv1a("kindred-sweep 1\n");
    for (const std::string& part :
         {kindred_version(), text, join(overrides, "\n"), sweep.definition}) {
        hash = fnv1a(part, hash);
        hash = fnv1a(std::string_view("\0", 1), hash);
    }
    for (const std::string& line : plan.point_overrides) hash = fnv1a(line + "\n", hash);
    hash = fnv1a(std::string_view(reinterpret_cast<const char*>(plan.values.data()),
                                  plan.values.size() * sizeof(double)),
                 hash);
    hash = fnv1a(fmt::format("{} {} {}", sweep.replicates, sweep.common_random_numbers ? 1 : 0,
                             plan.base.seed),
                 hash);
    plan.digest = fmt::format("{:016x}", hash);
    return plan;
}

SweepPlan make_plan_from_file(const std::filesystem::path& path, const ModelCatalogue& models,
                              const std::vector<std::string>& overrides) {
    return make_plan(kindred::detail::read_text_file(path, "scenario file"), path, models,
                     overrides);
}

}  // namespace kindred::sweep
