// The analysis of a sweep file: PRCC of every varied parameter with every outcome, and Sobol
// indices for Saltelli designs. The sweep file is read through the sweep layer's SweepFile
// (sim/sweep/sweep_file.hpp), the one place that knows its layout.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>

#include "analysis/analyze.hpp"
#include "analysis/sensitivity.hpp"
#include "sweep/sweep_file.hpp"

namespace kindred::analysis {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// The per-run outcomes analysed: the [arms × outcome weeks] fields of the runs table.
constexpr const char* kOutcomeFields[] = {"distress", "effect_size", "share_recovered",
                                          "help_received"};

std::uint64_t mix(std::uint64_t seed, std::uint64_t salt) {
    std::uint64_t z = seed + 0x9e3779b97f4a7c15ull * (salt + 1);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/// "a, b, c and 4 more".
std::string list_some(const std::vector<std::string>& items, std::size_t shown = 4) {
    std::string out;
    for (std::size_t i = 0; i < items.size() && i < shown; ++i) {
        if (i > 0) out += i + 1 == items.size() ? " and " : ", ";
        out += items[i];
    }
    if (items.size() > shown) out += fmt::format(" and {} more", items.size() - shown);
    return out;
}

/// The notes explaining PRCC rows that are exactly ±1 or NaN, for each variable and reason:
/// `where` lists the outcomes ("distress [control] at week 10").
std::vector<std::string> prcc_notes(
    const std::map<std::pair<PartialStatus, std::string>, std::vector<std::string>>& where,
    std::size_t inputs) {
    std::vector<std::string> notes;
    for (const auto& [key, outcomes] : where) {
        const auto& [status, variable] = key;
        const std::string at = list_some(outcomes);
        switch (status) {
            case PartialStatus::exact:
                notes.push_back(fmt::format(
                    "The PRCC of {} is exactly ±1 for {}: the outcome's ranks are a linear "
                    "function of the parameters' ranks{}. Its p_value is 0 (t is infinite) and "
                    "its interval is that of the resamples{}. With few points this can happen by "
                    "chance (one parameter, n points without ties and no effect: probability "
                    "2/n!).",
                    variable, at,
                    inputs == 1 ? " (the outcome is strictly monotone in the parameter)" : "",
                    inputs == 1 ? " ([±1, ±1]: every resample is monotone too)" : ""));
                break;
            case PartialStatus::too_few_rows:
                notes.push_back(fmt::format(
                    "PRCC needs at least {} design points with a finite outcome (parameters + 3); "
                    "{} has fewer: no PRCC of {} (NaN).",
                    inputs + 3, at, variable));
                break;
            case PartialStatus::constant_input:
                notes.push_back(fmt::format(
                    "{} takes one value at the design points used for {}: no PRCC (NaN).", variable,
                    at));
                break;
            case PartialStatus::input_collinear:
                notes.push_back(fmt::format(
                    "The ranks of {} are a linear function of the other parameters' ranks at the "
                    "design points used for {}: its PRCC is undefined (NaN).",
                    variable, at));
                break;
            case PartialStatus::output_explained:
                notes.push_back(fmt::format(
                    "The ranks of {} are a linear function of the parameters' ranks other than "
                    "{}: nothing is left for {} to explain, its PRCC is undefined (NaN).",
                    at, variable, variable));
                break;
            case PartialStatus::defined:
            case PartialStatus::constant_output:  // noted with the outcome
                break;
        }
    }
    return notes;
}

}  // namespace

AnalysisResult analyze_sweep(const std::filesystem::path& path, const AnalyzeOptions& options) {
    const std::unique_ptr<sweep::SweepFile> file = sweep::SweepFile::open(path, false);
    const sweep::SweepHeader& header = file->header();
    const sweep::OutcomeLayout layout = header.layout();
    AnalysisResult result;
    result.kind = "sweep";
    result.source = path;
    result.attributes = {{"kind", "sweep"},
                         {"source_file", path.string()},
                         {"source_kindred_version", header.kindred_version},
                         {"scenario_name", header.scenario_name},
                         {"design", header.design},
                         {"points", std::to_string(header.points)},
                         {"replicates", std::to_string(header.replicates)},
                         {"bootstrap", std::to_string(options.bootstrap)},
                         {"seed", std::to_string(options.seed)}};
    if (!options.weeks.empty()) {
        result.notes.push_back(
            "--weeks does not apply to sweep files: the outcome weeks are the "
            "sweep's own.");
    }
    if (header.shard.count > 1) {
        result.notes.push_back(
            fmt::format("This is shard {} of the sweep: only its runs are "
                        "analysed (kindred merge joins the shards).",
                        header.shard.label()));
    }
    const std::vector<std::int8_t> done = file->done();
    std::size_t done_count = 0;
    for (const std::int8_t flag : done) done_count += flag != 0 ? 1 : 0;
    if (done_count < done.size()) {
        result.notes.push_back(
            fmt::format("The sweep is incomplete: {} of {} runs done; only "
                        "finished runs are analysed.",
                        done_count, done.size()));
    }

    const auto points = static_cast<std::size_t>(header.points);
    const std::size_t variables = header.variables.size();
    const std::size_t arms = header.arm_names.size();
    const std::size_t weeks = header.outcome_weeks.size();
    // Run rows → design points.
    std::vector<std::int64_t> point_of_row(done.size());
    for (std::size_t r = 0; r < done.size(); ++r) {
        point_of_row[r] =
            header.run_key(header.shard.run_of_row(static_cast<std::int64_t>(r))).point;
    }

    // Inputs of PRCC: the varied parameters (categorical ones left out).
    std::vector<std::size_t> prcc_variables;
    for (std::size_t v = 0; v < variables; ++v) {
        if (header.variable_kinds[v] == "expertise") {
            result.notes.push_back(
                fmt::format("{} is categorical (expertise): it has Sobol indices but no PRCC.",
                            header.variables[v]));
        } else {
            prcc_variables.push_back(v);
        }
    }
    const bool saltelli = header.design == "saltelli" && !header.saltelli_base.empty();
    if (!saltelli) {
        result.notes.push_back(fmt::format(
            "Sobol indices need a Saltelli design; this sweep's design is {}: PRCC only.",
            header.design));
    }
    if (header.replicates > 1) {
        // The replicates actually done at each point (an incomplete sweep or a shard has
        // fewer than the design's).
        std::vector<int> done_at(points, 0);
        for (std::size_t r = 0; r < done.size(); ++r) {
            if (done[r] != 0) ++done_at[static_cast<std::size_t>(point_of_row[r])];
        }
        int fewest = header.replicates, most = 0;
        std::size_t without = 0;
        for (const int count : done_at) {
            if (count == 0) {
                ++without;
                continue;
            }
            fewest = std::min(fewest, count);
            most = std::max(most, count);
        }
        const std::size_t with = points - without;
        std::string note;
        if (with == 0) {
            note = fmt::format("No design point has a finished replicate (of {} each).",
                               header.replicates);
        } else if (fewest == most && most == header.replicates) {
            note = fmt::format("Each design point's outcome is the mean over its {} replicates.",
                               most);
        } else if (fewest == most) {
            note = fmt::format(
                "Each design point's outcome is the mean over its {} finished {} "
                "(of {}).",
                most, most == 1 ? "replicate" : "replicates", header.replicates);
        } else {
            note = fmt::format(
                "Each design point's outcome is the mean over its finished replicates: {} to {} "
                "of {}, depending on the point.",
                fewest, most, header.replicates);
        }
        if (with > 0 && without > 0) {
            note += fmt::format(" {} of the {} points {} none and {} left out.", without, points,
                                without == 1 ? "has" : "have", without == 1 ? "is" : "are");
        }
        result.notes.push_back(note);
    }

    Table prcc_table("prcc", "Partial rank correlation of each varied parameter with each outcome",
                     {{"outcome", ColumnKind::text, "outcome field of the sweep's runs table"},
                      {"arm", ColumnKind::text, "trial arm"},
                      {"week", ColumnKind::integer, "outcome week"},
                      {"variable", ColumnKind::text, "varied parameter"},
                      {"n", ColumnKind::integer, "design points used"},
                      {"prcc", ColumnKind::number, "partial rank correlation coefficient"},
                      {"ci_low", ColumnKind::number, "bootstrap 95% interval"},
                      {"ci_high", ColumnKind::number, ""},
                      {"p_value", ColumnKind::number, "two-sided, H0: PRCC = 0"}});
    prcc_table.description =
        "Spearman-type partial correlation: the parameters and the outcome are ranked, and each "
        "parameter's rank is correlated with the outcome's rank after removing the linear effect "
        "of the other parameters' ranks. ±1: a monotone effect; 0: none (or a non-monotone one).";
    Table sobol_table(
        "sobol", "Sobol sensitivity indices (Saltelli design)",
        {{"outcome", ColumnKind::text, "outcome field"},
         {"arm", ColumnKind::text, "trial arm"},
         {"week", ColumnKind::integer, "outcome week"},
         {"variable", ColumnKind::text, "varied parameter"},
         {"base_samples", ColumnKind::integer, "N used"},
         {"first_order", ColumnKind::number, "S_i: share of variance from x_i alone"},
         {"first_low", ColumnKind::number, "bootstrap 95% interval"},
         {"first_high", ColumnKind::number, ""},
         {"total", ColumnKind::number, "ST_i: share of variance involving x_i (with interactions)"},
         {"total_low", ColumnKind::number, "bootstrap 95% interval"},
         {"total_high", ColumnKind::number, ""}});
    sobol_table.description =
        "Variance-based indices: S_i (Saltelli 2010) and ST_i (Jansen 1999) over the sweep's "
        "ranges. ST_i − S_i is the part of x_i's influence that acts through interactions.";

    std::map<std::pair<PartialStatus, std::string>, std::vector<std::string>> prcc_cases;
    std::uint64_t salt = 0;
    for (const char* field_name : kOutcomeFields) {
        std::size_t f = layout.fields.size();
        for (std::size_t k = 0; k < layout.fields.size(); ++k) {
            if (layout.fields[k].name == field_name) f = k;
        }
        if (f == layout.fields.size()) continue;
        const std::vector<double> values = file->read_outcome_field(f);
        for (std::size_t a = 0; a < arms; ++a) {
            if (std::string(field_name) == "effect_size" && header.arm_control[a] != 0) continue;
            for (std::size_t w = 0; w < weeks; ++w) {
                // Mean over the done replicates of each point.
                std::vector<double> sum(points, 0.0);
                std::vector<int> count(points, 0);
                for (std::size_t r = 0; r < done.size(); ++r) {
                    if (done[r] == 0) continue;
                    const double y = values[r * arms * weeks + a * weeks + w];
                    if (!std::isfinite(y)) continue;
                    const auto p = static_cast<std::size_t>(point_of_row[r]);
                    sum[p] += y;
                    ++count[p];
                }
                std::vector<double> outcome(points, kNaN);
                for (std::size_t p = 0; p < points; ++p) {
                    if (count[p] > 0) outcome[p] = sum[p] / count[p];
                }
                const std::string arm = header.arm_names[a];
                const int week = header.outcome_weeks[w];
                double lowest = std::numeric_limits<double>::infinity(), highest = -lowest;
                for (const double y : outcome) {
                    if (!std::isfinite(y)) continue;
                    lowest = std::min(lowest, y);
                    highest = std::max(highest, y);
                }
                if (!(highest > lowest)) {
                    result.notes.push_back(fmt::format(
                        "{} [{}] at week {} is the same at every point: no sensitivity indices "
                        "(NaN rows).",
                        field_name, arm, week));
                }
                ++salt;
                Eigen::MatrixXd inputs(static_cast<Eigen::Index>(points),
                                       static_cast<Eigen::Index>(prcc_variables.size()));
                for (std::size_t p = 0; p < points; ++p) {
                    for (std::size_t c = 0; c < prcc_variables.size(); ++c) {
                        inputs(static_cast<Eigen::Index>(p), static_cast<Eigen::Index>(c)) =
                            header.values[p * variables + prcc_variables[c]];
                    }
                }
                const Eigen::VectorXd y = Eigen::Map<const Eigen::VectorXd>(
                    outcome.data(), static_cast<Eigen::Index>(points));
                if (!prcc_variables.empty()) {
                    const PrccResult prcc = partial_rank_correlation(inputs, y, options.bootstrap,
                                                                     mix(options.seed, 2 * salt));
                    for (std::size_t c = 0; c < prcc_variables.size(); ++c) {
                        if (prcc.status[c] != PartialStatus::defined) {
                            prcc_cases[{prcc.status[c], header.variables[prcc_variables[c]]}]
                                .push_back(
                                    fmt::format("{} [{}] at week {}", field_name, arm, week));
                        }
                        prcc_table.add_row({std::string(field_name), arm, std::int64_t{week},
                                            header.variables[prcc_variables[c]],
                                            std::int64_t{prcc.n}, prcc.coefficient[c],
                                            prcc.interval[c].low, prcc.interval[c].high,
                                            prcc.p_value[c]});
                    }
                }
                if (saltelli) {
                    const SaltelliOutputs gathered = saltelli_outputs(
                        header.saltelli_base, header.saltelli_block, header.saltelli_column,
                        outcome, static_cast<int>(variables));
                    const SobolResult sobol =
                        sobol_indices(gathered, options.bootstrap, mix(options.seed, 2 * salt + 1));
                    for (std::size_t v = 0; v < variables; ++v) {
                        sobol_table.add_row(
                            {std::string(field_name), arm, std::int64_t{week}, header.variables[v],
                             std::int64_t{sobol.base_samples}, sobol.first_order[v],
                             sobol.first_order_interval[v].low, sobol.first_order_interval[v].high,
                             sobol.total[v], sobol.total_interval[v].low,
                             sobol.total_interval[v].high});
                    }
                }
            }
        }
    }
    for (std::string& note : prcc_notes(prcc_cases, prcc_variables.size())) {
        result.notes.push_back(std::move(note));
    }
    result.tables.push_back(std::move(prcc_table));
    if (saltelli) result.tables.push_back(std::move(sobol_table));
    return result;
}

}  // namespace kindred::analysis
