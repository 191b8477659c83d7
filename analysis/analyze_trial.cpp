// The analysis of a trial file: distress, effects (Hedges' g with bootstrap intervals),
// recovery (risk difference, NNT), time to recovery (Kaplan–Meier, log-rank), mediation
// (product of coefficients) and the knock-out decomposition. Formulas: docs/analysis.md.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <iterator>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <tuple>

#include "analysis/analyze.hpp"
#include "analysis/effect_size.hpp"
#include "analysis/knockouts.hpp"
#include "analysis/mediation.hpp"
#include "analysis/proportions.hpp"
#include "analysis/resampling.hpp"
#include "analysis/survival.hpp"
#include "core/types.hpp"
#include "trial/trial.hpp"

namespace kindred::analysis {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

/// A seed for one analysis, derived from the user's seed and a label, so that different
/// analyses use different resamples (SplitMix64 of seed ⊕ FNV-1a of the label).
std::uint64_t derive_seed(std::uint64_t seed, const std::string& label) {
    std::uint64_t hash = 0xcbf29ce484222325ull;
    for (const char c : label) {
        hash ^= static_cast<unsigned char>(c);
        hash *= 0x100000001b3ull;
    }
    std::uint64_t z = seed ^ hash;
    z += 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/// Every patient in an arm, over all replicates of the file: one row each.
struct Patients {
    std::vector<PatientKey> keys;
    std::vector<int> arm;
    std::vector<int> recovered_week;  ///< −1 for none
    std::vector<double> baseline;     ///< initial distress
    std::vector<double> final_distress;
    /// Distress at middle_week, the week every replicate's patient table also holds (−1: none).
    std::vector<double> middle_distress;
    int middle_week = -1;
    /// Row of (replicate, id).
    std::map<std::pair<int, std::int32_t>, std::size_t> row_of;
};

Patients load_patients(const TrialFile& file) {
    Patients p;
    bool first = true;
    for (const int replicate : file.replicates) {
        const PatientTable table = file.patients(replicate);
        // The middle week counts only when every replicate stores it, for the same week.
        if (first) p.middle_week = table.middle_week;
        if (table.middle_week != p.middle_week) p.middle_week = -1;
        first = false;
        for (std::size_t i = 0; i < table.id.size(); ++i) {
            if (table.arm[i] < 0) continue;
            p.row_of[{replicate, table.id[i]}] = p.keys.size();
            p.keys.push_back({replicate, table.id[i]});
            p.arm.push_back(table.arm[i]);
            p.recovered_week.push_back(table.recovered_week[i]);
            p.baseline.push_back(table.initial_distress[i]);
            p.final_distress.push_back(table.final_distress[i]);
            p.middle_distress.push_back(table.middle_distress.empty() ? kNaN
                                                                      : table.middle_distress[i]);
        }
    }
    return p;
}

/// Per-patient values of a trajectory variable at `week` (NaN for patients not sampled), or
/// nothing when a replicate has no trajectory row for that week.
std::optional<std::vector<double>> trajectory_values(const TrialFile& file,
                                                     const Patients& patients,
                                                     const std::string& variable, int week) {
    std::vector<double> values(patients.keys.size(), kNaN);
    for (const int replicate : file.replicates) {
        const auto weeks = file.trajectory_weeks(replicate);
        if (std::find(weeks.begin(), weeks.end(), week) == weeks.end()) return std::nullopt;
        const auto agents = file.trajectory_agents(replicate);
        const std::vector<double> row = file.trajectory_row(replicate, variable, week);
        for (std::size_t j = 0; j < agents.size(); ++j) {
            const auto found = patients.row_of.find({replicate, agents[j]});
            if (found != patients.row_of.end()) values[found->second] = row[j];
        }
    }
    return values;
}

/// Distress of every patient at `week`: trajectories, or the patient table at weeks 0 and T.
std::optional<std::vector<double>> distress_values(const TrialFile& file, const Patients& patients,
                                                   int week) {
    // The patient table holds every patient at weeks 0, T and the middle week.
    const std::vector<double>* table = week == 0                      ? &patients.baseline
                                       : week == file.weeks           ? &patients.final_distress
                                       : week == patients.middle_week ? &patients.middle_distress
                                                                      : nullptr;
    if (auto values = trajectory_values(file, patients, "distress", week)) {
        // Patients outside a trajectory subsample come from the patient table at those weeks.
        if (table != nullptr) {
            for (std::size_t i = 0; i < values->size(); ++i) {
                if (std::isnan((*values)[i])) (*values)[i] = (*table)[i];
            }
        }
        return values;
    }
    if (table != nullptr) return *table;
    return std::nullopt;
}

/// Supportive tie strength Σ w · max(q, 0) of every patient at a snapshot week.
std::vector<double> supportive_ties(const TrialFile& file, const Patients& patients, int week) {
    std::vector<double> values(patients.keys.size(), kNaN);
    for (const int replicate : file.replicates) {
        for (std::size_t i = 0; i < patients.keys.size(); ++i) {
            if (patients.keys[i].replicate == replicate) values[i] = 0.0;
        }
        const TieSnapshot ties = file.ties(replicate, week);
        for (std::size_t e = 0; e < ties.u.size(); ++e) {
            const double support = ties.w[e] * std::max(ties.q[e], 0.0);
            for (const std::int32_t end : {ties.u[e], ties.v[e]}) {
                const auto found = patients.row_of.find({replicate, end});
                if (found != patients.row_of.end()) values[found->second] += support;
            }
        }
    }
    return values;
}

/// Rows of `arm` with a finite value, grouped by replicate (the bootstrap strata).
std::vector<std::vector<std::size_t>> strata(const Patients& patients, int arm,
                                             const std::vector<double>& values) {
    std::map<int, std::vector<std::size_t>> by_replicate;
    for (std::size_t i = 0; i < patients.keys.size(); ++i) {
        if (patients.arm[i] == arm && std::isfinite(values[i])) {
            by_replicate[patients.keys[i].replicate].push_back(i);
        }
    }
    std::vector<std::vector<std::size_t>> out;
    for (auto& [replicate, rows] : by_replicate) out.push_back(std::move(rows));
    return out;
}

std::vector<double> gather(const std::vector<double>& values,
                           const std::vector<std::vector<std::size_t>>& groups) {
    std::vector<double> out;
    for (const auto& group : groups) {
        for (const std::size_t i : group) out.push_back(values[i]);
    }
    return out;
}

std::vector<double> gather_rows(const std::vector<double>& values,
                                const std::vector<std::size_t>& rows) {
    std::vector<double> out;
    out.reserve(rows.size());
    for (const std::size_t i : rows) out.push_back(values[i]);
    return out;
}

/// Pooled n, mean and sample sd of an arm's aggregates over the replicates at `week`.
struct Pooled {
    double n = 0, mean = kNaN, sd = kNaN;
};
Pooled pooled_aggregates(const TrialFile& file, int arm, int week) {
    double n = 0, sum = 0, sum_sq = 0;
    for (const int replicate : file.replicates) {
        const AggregateSeries s = file.aggregates(replicate, arm, "distress");
        const auto w = static_cast<std::size_t>(week);
        const double k = s.n_patients[w];
        if (k <= 0) continue;
        const double sd = k > 1 ? s.sd[w] : 0.0;
        n += k;
        sum += k * s.mean[w];
        sum_sq += (k - 1) * sd * sd + k * s.mean[w] * s.mean[w];
    }
    Pooled p;
    p.n = n;
    if (n > 0) p.mean = sum / n;
    if (n > 1) p.sd = std::sqrt(std::max(0.0, (sum_sq - n * p.mean * p.mean) / (n - 1)));
    return p;
}

/// The recorded week nearest `target` among `available` (ties: the earlier), or −1.
int nearest_week(const std::vector<int>& available, double target) {
    int best = -1;
    for (const int w : available) {
        if (best < 0 || std::abs(w - target) < std::abs(best - target)) best = w;
    }
    return best;
}

/// The weeks that every replicate of `file` has in `weeks_of` (a TrialFile member giving a
/// replicate's recorded weeks, ascending): trajectory rows or tie snapshots.
template <typename WeeksOf>
std::vector<int> common_weeks(const TrialFile& file, WeeksOf weeks_of) {
    std::vector<int> common;
    bool first = true;
    for (const int replicate : file.replicates) {
        const auto weeks = std::invoke(weeks_of, file, replicate);
        const std::vector<int> these(weeks.begin(), weeks.end());
        if (first) {
            common = these;
            first = false;
        } else {
            std::vector<int> both;
            std::set_intersection(common.begin(), common.end(), these.begin(), these.end(),
                                  std::back_inserter(both));
            common = both;
        }
    }
    return common;
}

std::string text(const std::string& value) { return value; }
std::int64_t integer(long long value) { return static_cast<std::int64_t>(value); }

}  // namespace

AnalysisResult analyze_trial(const TrialFile& file, const AnalyzeOptions& options,
                             const ModelCatalogue* catalogue) {
    AnalysisResult result;
    result.kind = "trial";
    result.source = file.path();
    const int T = file.weeks;

    std::vector<int> weeks = options.weeks;
    if (weeks.empty()) {
        for (const int w : {26, 52, 104}) {
            if (w <= T) weeks.push_back(w);
        }
        if (weeks.empty()) weeks.push_back(T);
    }
    for (const int w : weeks) {
        if (w < 0 || w > T) {
            throw InputError(
                fmt::format("--weeks: expected weeks 0 … {} (the weeks of {}), found {}", T,
                            file.path().string(), w));
        }
    }
    std::sort(weeks.begin(), weeks.end());
    weeks.erase(std::unique(weeks.begin(), weeks.end()), weeks.end());
    if (options.mediator_week && (*options.mediator_week < 0 || *options.mediator_week > T)) {
        throw InputError(
            fmt::format("--mediator-week: expected a week 0 … {} (the weeks of {}), "
                        "found {}",
                        T, file.path().string(), *options.mediator_week));
    }

    const Patients patients = load_patients(file);
    const int arms = static_cast<int>(file.arms.size());
    const int control = file.control_arm;
    const int B = options.bootstrap;
    std::string weeks_text;
    for (const int w : weeks) weeks_text += (weeks_text.empty() ? "" : ",") + std::to_string(w);
    result.attributes = {{"kind", "trial"},
                         {"source_file", file.path().string()},
                         {"source_kindred_version", file.kindred_version},
                         {"scenario_name", file.scenario_name},
                         {"weeks", weeks_text},
                         {"file_weeks", std::to_string(T)},
                         {"replicates", std::to_string(file.replicates.size())},
                         {"bootstrap", std::to_string(B)},
                         {"seed", std::to_string(options.seed)},
                         {"control_arm", control >= 0 ? file.arms[control].name : ""}};
    if (control < 0) {
        result.notes.push_back(
            "The trial has no control arm: effects, recovery differences, "
            "mediation and knock-outs need one and are left out.");
    }
    if (!file.complete) {
        result.notes.push_back(fmt::format(
            "The trial file is incomplete (a run stopped early): {} of {} replicates are in it "
            "and analysed; `kindred run --resume` adds the others.",
            file.replicates.size(), file.replicates_requested));
    }
    if (file.replicates.size() > 1) {
        result.notes.push_back(fmt::format(
            "{} replicates: patients are pooled over replicates; the bootstrap resamples "
            "patients within each replicate and arm, and mediation models include replicate "
            "indicators.",
            file.replicates.size()));
    }

    // Distress of every patient at the outcome weeks (patient level where recorded).
    std::map<int, std::vector<double>> distress;
    for (const int w : weeks) {
        if (auto values = distress_values(file, patients, w)) {
            distress[w] = std::move(*values);
        } else {
            result.notes.push_back(fmt::format(
                "Week {}: no per-patient distress in the file (trajectories off or not recorded "
                "that week): mean, sd and g come from the per-arm aggregates, without bootstrap "
                "intervals; mediation at that week is left out.",
                w));
        }
    }

    // ---- distress ----
    Table distress_table("distress", "Distress of each arm's patients at the outcome weeks",
                         {{"arm", ColumnKind::text, "trial arm"},
                          {"week", ColumnKind::integer, "week (0 = initial state)"},
                          {"n", ColumnKind::integer, "patients (pooled over replicates)"},
                          {"mean", ColumnKind::number, "mean distress"},
                          {"sd", ColumnKind::number, "sample standard deviation"},
                          {"source", ColumnKind::text,
                           "patients: per-patient values; aggregates: the file's per-arm rows"}});
    distress_table.description =
        "Distress d in [0,1] (spec §1: symptom severity, the primary outcome) of the patients of "
        "each arm.";
    for (int a = 0; a < arms; ++a) {
        for (const int w : weeks) {
            const auto found = distress.find(w);
            if (found != distress.end()) {
                const auto values = gather(found->second, strata(patients, a, found->second));
                distress_table.add_row({text(file.arms[a].name), integer(w),
                                        integer(static_cast<long long>(values.size())),
                                        mean(values), sample_sd(values), text("patients")});
            } else {
                const Pooled p = pooled_aggregates(file, a, w);
                distress_table.add_row({text(file.arms[a].name), integer(w),
                                        integer(static_cast<long long>(p.n)), p.mean, p.sd,
                                        text("aggregates")});
            }
        }
    }
    result.tables.push_back(std::move(distress_table));

    // ---- effects ----
    Table effects("effects", "Hedges' g of distress versus control",
                  {{"arm", ColumnKind::text, "trial arm"},
                   {"week", ColumnKind::integer, "outcome week"},
                   {"n", ColumnKind::integer, "patients of the arm"},
                   {"n_control", ColumnKind::integer, "patients of the control arm"},
                   {"mean_difference", ColumnKind::number, "mean distress, arm − control"},
                   {"g", ColumnKind::number, "Hedges' g (negative = less distress than control)"},
                   {"se", ColumnKind::number, "large-sample standard error of g"},
                   {"ci_low", ColumnKind::number, "g − 1.959964 se"},
                   {"ci_high", ColumnKind::number, "g + 1.959964 se"},
                   {"boot_low", ColumnKind::number, "2.5% percentile of bootstrap g"},
                   {"boot_high", ColumnKind::number, "97.5% percentile of bootstrap g"}});
    effects.description =
        "Standardised mean difference of distress (arm − control) with Hedges' small-sample "
        "correction; bootstrap: patients resampled with replacement within arm (and replicate).";
    // ---- recovery ----
    Table recovery(
        "recovery", "Share recovered by the outcome weeks; risk difference and NNT",
        {{"arm", ColumnKind::text, "trial arm"},
         {"week", ColumnKind::integer, "outcome week"},
         {"n", ColumnKind::integer, "patients"},
         {"recovered", ColumnKind::integer, "patients with recovered_week ≤ week"},
         {"share", ColumnKind::number, "recovered / n"},
         {"risk_difference", ColumnKind::number, "share − control share"},
         {"rd_ci_low", ColumnKind::number, "Wald 95% interval"},
         {"rd_ci_high", ColumnKind::number, "Wald 95% interval"},
         {"rd_boot_low", ColumnKind::number, "bootstrap percentile 95% interval"},
         {"rd_boot_high", ColumnKind::number, "bootstrap percentile 95% interval"},
         {"nnt", ColumnKind::number, "1 / risk difference (patients per extra recovery)"},
         {"nnt_ci_low", ColumnKind::number, "1 / rd_boot_high (Altman 1998)"},
         {"nnt_ci_high", ColumnKind::number,
          "1 / rd_boot_low; when negative the interval runs through infinity"}});
    recovery.description =
        "Recovery (spec §3.5: distress below d_rec for rec_weeks weeks in a row) by the outcome "
        "week. NNT = 1/RD; when the RD interval contains 0, the NNT interval is "
        "nnt_ci_low (benefit) … ∞ … |nnt_ci_high| (harm).";
    if (control >= 0) {
        for (int a = 0; a < arms; ++a) {
            for (const int w : weeks) {
                const auto found = distress.find(w);
                std::vector<std::vector<std::size_t>> t_groups, c_groups;
                std::vector<double> t_values, c_values;
                EffectSize g{kNaN, kNaN, kNaN, kNaN};
                Interval boot{kNaN, kNaN};
                double difference = kNaN, nt = 0, nc = 0;
                if (found != distress.end()) {
                    t_groups = strata(patients, a, found->second);
                    c_groups = strata(patients, control, found->second);
                    t_values = gather(found->second, t_groups);
                    c_values = gather(found->second, c_groups);
                    nt = static_cast<double>(t_values.size());
                    nc = static_cast<double>(c_values.size());
                    difference = mean(t_values) - mean(c_values);
                    g = hedges_g(t_values, c_values);
                    if (B > 0 && a != control) {
                        const std::vector<double>& values = found->second;
                        auto draws =
                            bootstrap(B, derive_seed(options.seed, fmt::format("g/{}/{}", a, w)),
                                      [&](ResampleStream& random) {
                                          const auto t_rows = resample_strata(t_groups, random);
                                          const auto c_rows = resample_strata(c_groups, random);
                                          return hedges_g(gather_rows(values, t_rows),
                                                          gather_rows(values, c_rows))
                                              .g;
                                      });
                        boot = percentile_interval(std::move(draws));
                    }
                } else {
                    const Pooled t = pooled_aggregates(file, a, w);
                    const Pooled c = pooled_aggregates(file, control, w);
                    nt = t.n;
                    nc = c.n;
                    difference = t.mean - c.mean;
                    g = hedges_g_from_summary(t.mean, t.sd, t.n, c.mean, c.sd, c.n);
                }
                if (a != control) {
                    effects.add_row({text(file.arms[a].name), integer(w),
                                     integer(static_cast<long long>(nt)),
                                     integer(static_cast<long long>(nc)), difference, g.g, g.se,
                                     g.ci_low, g.ci_high, boot.low, boot.high});
                }

                // Recovery by week w, from the patient table (always complete).
                std::vector<double> recovered(patients.keys.size(), kNaN);
                for (std::size_t i = 0; i < recovered.size(); ++i) {
                    const int r = patients.recovered_week[i];
                    recovered[i] = r >= 0 && r <= w ? 1.0 : 0.0;
                }
                const auto rt = strata(patients, a, recovered);
                const auto rc = strata(patients, control, recovered);
                const auto sum = [](const std::vector<double>& v) {
                    double s = 0;
                    for (const double x : v) s += x;
                    return s;
                };
                const std::vector<double> rt_values = gather(recovered, rt);
                const std::vector<double> rc_values = gather(recovered, rc);
                const int events_t = static_cast<int>(sum(rt_values));
                const int events_c = static_cast<int>(sum(rc_values));
                const RiskDifference rd =
                    risk_difference(events_t, static_cast<int>(rt_values.size()), events_c,
                                    static_cast<int>(rc_values.size()));
                Interval rd_boot{kNaN, kNaN};
                double nnt_low = kNaN, nnt_high = kNaN;
                if (B > 0 && a != control && !rt_values.empty() && !rc_values.empty()) {
                    auto draws =
                        bootstrap(B, derive_seed(options.seed, fmt::format("rd/{}/{}", a, w)),
                                  [&](ResampleStream& random) {
                                      const auto t_rows = resample_strata(rt, random);
                                      const auto c_rows = resample_strata(rc, random);
                                      return mean(gather_rows(recovered, t_rows)) -
                                             mean(gather_rows(recovered, c_rows));
                                  });
                    rd_boot = percentile_interval(std::move(draws));
                    nnt_interval(rd_boot.low, rd_boot.high, nnt_low, nnt_high);
                }
                const bool is_control = a == control;
                recovery.add_row({text(file.arms[a].name), integer(w),
                                  integer(static_cast<long long>(rt_values.size())),
                                  integer(events_t), rd.risk_treated,
                                  is_control ? kNaN : rd.difference, is_control ? kNaN : rd.ci_low,
                                  is_control ? kNaN : rd.ci_high, rd_boot.low, rd_boot.high,
                                  is_control ? kNaN : rd.nnt, nnt_low, nnt_high});
            }
        }
        result.tables.push_back(std::move(effects));
        result.tables.push_back(std::move(recovery));
    }

    // ---- time to recovery: Kaplan–Meier per arm, log-rank versus control ----
    Table km_table("kaplan_meier", "Time to recovery: Kaplan–Meier estimate per arm",
                   {{"arm", ColumnKind::text, "trial arm"},
                    {"week", ColumnKind::integer, "week with a recovery or a censoring"},
                    {"at_risk", ColumnKind::integer, "patients not yet recovered before the week"},
                    {"recovered", ColumnKind::integer, "recoveries that week"},
                    {"censored", ColumnKind::integer, "patients censored that week (end of run)"},
                    {"not_recovered", ColumnKind::number, "S(week): share not yet recovered"},
                    {"se", ColumnKind::number, "Greenwood standard error of S"},
                    {"ci_low", ColumnKind::number, "95% interval of S (log–log)"},
                    {"ci_high", ColumnKind::number, "95% interval of S (log–log)"},
                    {"cumulative_recovered", ColumnKind::number, "1 − S"}});
    km_table.description =
        "Kaplan–Meier estimate of the share not yet recovered; recovery time = recovered_week, "
        "patients not recovered by week T censored at T.";
    Table time_table("recovery_time", "Time to recovery: summary per arm",
                     {{"arm", ColumnKind::text, "trial arm"},
                      {"n", ColumnKind::integer, "patients"},
                      {"recovered", ColumnKind::integer, "recoveries by week T"},
                      {"censored", ColumnKind::integer, "not recovered by week T"},
                      {"median_weeks", ColumnKind::number,
                       "median time to recovery (NaN: fewer than half recover by T)"},
                      {"cumulative_recovered_T", ColumnKind::number, "1 − S(T)"},
                      {"logrank_chi2", ColumnKind::number, "log-rank χ² versus control, 1 df"},
                      {"logrank_p", ColumnKind::number, "its p-value"}});
    time_table.description =
        "Recoveries over the whole run (weeks 0 … T) and the log-rank test "
        "of equal recovery hazards versus the control arm.";
    std::vector<std::vector<double>> times(static_cast<std::size_t>(arms));
    std::vector<std::vector<std::uint8_t>> events(static_cast<std::size_t>(arms));
    for (std::size_t i = 0; i < patients.keys.size(); ++i) {
        const int r = patients.recovered_week[i];
        times[static_cast<std::size_t>(patients.arm[i])].push_back(r >= 0 ? r : T);
        events[static_cast<std::size_t>(patients.arm[i])].push_back(r >= 0 ? 1 : 0);
    }
    for (int a = 0; a < arms; ++a) {
        const auto ua = static_cast<std::size_t>(a);
        const KaplanMeier km = kaplan_meier(times[ua], events[ua]);
        for (const SurvivalRow& row : km.rows) {
            km_table.add_row({text(file.arms[a].name), integer(static_cast<long long>(row.time)),
                              integer(row.at_risk), integer(row.events), integer(row.censored),
                              row.survival, row.se, row.ci_low, row.ci_high, 1.0 - row.survival});
        }
        LogRank test{};
        test.chi_square = test.p_value = kNaN;
        if (control >= 0 && a != control) {
            const auto uc = static_cast<std::size_t>(control);
            test = log_rank(times[ua], events[ua], times[uc], events[uc]);
        }
        time_table.add_row({text(file.arms[a].name), integer(km.subjects), integer(km.events),
                            integer(km.subjects - km.events), km.median, 1.0 - km.survival_at(T),
                            test.chi_square, test.p_value});
    }
    result.tables.push_back(std::move(km_table));
    result.tables.push_back(std::move(time_table));

    if (control < 0) return result;

    // ---- mediation ----
    Table mediation_table(
        "mediation", "Mediation of each program's effect on distress (product of coefficients)",
        {{"arm", ColumnKind::text, "trial arm (treatment = this arm, reference = control)"},
         {"mediator", ColumnKind::text,
          "help_received (H), agency (a) or ties (supportive tie strength Σ w·max(q,0))"},
         {"mediator_week", ColumnKind::integer, "week the mediator is measured"},
         {"week", ColumnKind::integer, "outcome week (distress)"},
         {"n", ColumnKind::integer, "patients in the model"},
         {"a", ColumnKind::number, "arm → mediator"},
         {"a_se", ColumnKind::number, "OLS standard error of a"},
         {"b", ColumnKind::number, "mediator → distress given arm"},
         {"b_se", ColumnKind::number, "OLS standard error of b"},
         {"total", ColumnKind::number, "c: arm → distress"},
         {"total_low", ColumnKind::number, "bootstrap 95% interval of c"},
         {"total_high", ColumnKind::number, ""},
         {"direct", ColumnKind::number, "c': arm → distress given the mediator"},
         {"direct_low", ColumnKind::number, "bootstrap 95% interval of c'"},
         {"direct_high", ColumnKind::number, ""},
         {"indirect", ColumnKind::number, "a·b"},
         {"indirect_low", ColumnKind::number, "bootstrap 95% interval of a·b"},
         {"indirect_high", ColumnKind::number, ""},
         {"proportion_mediated", ColumnKind::number, "a·b / c"}});
    mediation_table.description =
        "Single-mediator models, each adjusted for baseline distress (and replicate): "
        "mediator = a·arm + …; distress = c'·arm + b·mediator + …; distress = c·arm + …. "
        "Effects are in distress units (negative = less distress).";
    const std::vector<int> trajectory_weeks_common =
        common_weeks(file, &TrialFile::trajectory_weeks);
    const std::vector<int> snapshot_weeks_common = common_weeks(file, &TrialFile::snapshot_weeks);
    const bool many_replicates = file.replicates.size() > 1;
    std::set<std::string> mediation_notes;
    // (arm, week, mediator) → proportion mediated, for the decomposition table.
    std::map<std::tuple<int, int, std::string>, double> mediated;
    for (const int w : weeks) {
        if (w == 0) continue;
        const auto outcome = distress.find(w);
        if (outcome == distress.end()) continue;
        for (const std::string mediator : {"help_received", "agency", "ties"}) {
            const bool from_ties = mediator == "ties";
            std::vector<int> available;
            for (const int m : from_ties ? snapshot_weeks_common : trajectory_weeks_common) {
                if (m >= 1 && m <= w) available.push_back(m);
            }
            int m = -1;
            if (options.mediator_week) {
                if (std::find(available.begin(), available.end(), *options.mediator_week) !=
                    available.end()) {
                    m = *options.mediator_week;
                } else {
                    mediation_notes.insert(fmt::format(
                        "Mediator {}: week {} not recorded (or after outcome week {}); left out.",
                        mediator, *options.mediator_week, w));
                    continue;
                }
            } else {
                m = nearest_week(available, w / 2.0);
            }
            if (m < 0) {
                mediation_notes.insert(fmt::format(
                    "Mediator {}: no {} between week 1 and week {}; left out for that week.",
                    mediator, from_ties ? "tie snapshot" : "trajectory row", w));
                continue;
            }
            std::vector<double> values;
            if (from_ties) {
                values = supportive_ties(file, patients, m);
            } else {
                auto found = trajectory_values(file, patients, mediator, m);
                if (!found) continue;
                values = std::move(*found);
            }
            for (int a = 0; a < arms; ++a) {
                if (a == control) continue;
                std::vector<double> treatment, mediator_values, outcome_values, baseline;
                std::vector<int> stratum;
                std::vector<std::vector<double>> replicate_columns(
                    many_replicates ? file.replicates.size() - 1 : 0);
                for (std::size_t i = 0; i < patients.keys.size(); ++i) {
                    if (patients.arm[i] != a && patients.arm[i] != control) continue;
                    treatment.push_back(patients.arm[i] == a ? 1.0 : 0.0);
                    mediator_values.push_back(values[i]);
                    outcome_values.push_back(outcome->second[i]);
                    baseline.push_back(patients.baseline[i]);
                    const int r = patients.keys[i].replicate;
                    stratum.push_back(r * 2 + (patients.arm[i] == a ? 1 : 0));
                    for (std::size_t k = 0; k < replicate_columns.size(); ++k) {
                        replicate_columns[k].push_back(r == file.replicates[k + 1] ? 1.0 : 0.0);
                    }
                }
                std::vector<std::vector<double>> covariates = {baseline};
                for (auto& column : replicate_columns) covariates.push_back(std::move(column));
                const Mediation model = analysis::mediation(
                    treatment, mediator_values, outcome_values, covariates, stratum, B,
                    derive_seed(options.seed, fmt::format("mediation/{}/{}/{}", a, w, mediator)));
                mediated[{a, w, mediator}] = model.proportion_mediated;
                mediation_table.add_row(
                    {text(file.arms[a].name), text(mediator), integer(m), integer(w),
                     integer(model.n), model.a, model.a_se, model.b, model.b_se, model.total,
                     model.total_ci.low, model.total_ci.high, model.direct, model.direct_ci.low,
                     model.direct_ci.high, model.indirect, model.indirect_ci.low,
                     model.indirect_ci.high, model.proportion_mediated});
            }
        }
    }
    for (const auto& note : mediation_notes) result.notes.push_back(note);
    result.tables.push_back(std::move(mediation_table));

    // ---- knock-out decomposition ----
    bool run_knockouts_now = false;
    long size = static_cast<long>(patients.keys.size());
    switch (options.knockouts) {
        case KnockoutRuns::on:
            run_knockouts_now = true;
            break;
        case KnockoutRuns::off:
            break;
        case KnockoutRuns::automatic:
            run_knockouts_now = size <= kKnockoutAutoPatients;
            break;
    }
    std::vector<int> knockout_weeks;
    for (const int w : weeks) {
        if (w > 0) knockout_weeks.push_back(w);
    }
    std::map<std::tuple<int, int, std::string>, double> remaining;
    std::vector<std::string> mechanism_names;
    if (!run_knockouts_now) {
        result.notes.push_back(
            options.knockouts == KnockoutRuns::off
                ? "Knock-out decomposition not run (--knockouts off)."
                : fmt::format("Knock-out decomposition not run: {} patients × replicates is more "
                              "than {} (ask for it with --knockouts on).",
                              size, kKnockoutAutoPatients));
    } else if (catalogue == nullptr) {
        result.notes.push_back("Knock-out decomposition not run: no model catalogue.");
    } else if (knockout_weeks.empty()) {
        result.notes.push_back("Knock-out decomposition not run: no outcome week after week 0.");
    } else {
        std::vector<std::string> already_off;
        std::vector<KnockoutRun> runs;
        try {
            runs = run_knockouts(file, *catalogue, knockout_weeks, patients.keys, already_off,
                                 options.progress);
        } catch (const InputError& error) {
            result.notes.push_back(
                fmt::format("Knock-out decomposition not run: the stored scenario cannot be "
                            "loaded again ({}).",
                            error.what()));
        }
        if (!already_off.empty()) {
            std::string names;
            for (const auto& name : already_off) names += (names.empty() ? "" : ", ") + name;
            result.notes.push_back(
                "Already knocked out in the stored scenario (not re-run): " + names + ".");
        }
        if (!runs.empty()) {
            const double difference = runs.front().max_difference_from_file;
            result.attributes.emplace_back("knockout_reproduction_difference",
                                           fmt::format("{}", difference));
            if (difference > 1e-9) {
                result.notes.push_back(fmt::format(
                    "The re-run of the stored scenario differs from the file (largest difference "
                    "of an arm's mean distress {:.3g}): the Kindred version ({} now, {} in the "
                    "file) or the models differ. Knock-out shares compare re-runs with each "
                    "other and remain consistent.",
                    difference, kindred::kindred_version(), file.kindred_version));
            }
            Table knockouts(
                "knockouts", "Knock-out decomposition: the program effect with each mechanism off",
                {{"arm", ColumnKind::text, "trial arm"},
                 {"week", ColumnKind::integer, "outcome week"},
                 {"mechanism", ColumnKind::text, "mechanism switched off (none = as stored)"},
                 {"effect", ColumnKind::number, "mean distress, arm − control, in the re-run"},
                 {"effect_low", ColumnKind::number, "bootstrap 95% interval"},
                 {"effect_high", ColumnKind::number, ""},
                 {"g", ColumnKind::number, "Hedges' g in the re-run"},
                 {"share_remaining", ColumnKind::number,
                  "effect with the mechanism off / effect as stored"},
                 {"share_low", ColumnKind::number, "paired bootstrap 95% interval"},
                 {"share_high", ColumnKind::number, ""}});
            knockouts.description =
                "The stored scenario re-run (same world and random numbers) with one mechanism "
                "switched off everywhere, control arm included. share_remaining = 1: the "
                "mechanism carries none of the effect; 0: all of it; > 1: it worked against "
                "the effect.";
            for (const auto& run : runs) {
                if (run.mechanism != "none") mechanism_names.push_back(run.mechanism);
            }
            for (int a = 0; a < arms; ++a) {
                if (a == control) continue;
                for (std::size_t k = 0; k < knockout_weeks.size(); ++k) {
                    const int w = knockout_weeks[k];
                    const auto& base = runs.front().distress[k];
                    const auto t_groups = strata(patients, a, base);
                    const auto c_groups = strata(patients, control, base);
                    const auto effect_of = [&](const std::vector<double>& d,
                                               const std::vector<std::size_t>& t_rows,
                                               const std::vector<std::size_t>& c_rows) {
                        return mean(gather_rows(d, t_rows)) - mean(gather_rows(d, c_rows));
                    };
                    std::vector<std::size_t> t_all, c_all;
                    for (const auto& g : t_groups) t_all.insert(t_all.end(), g.begin(), g.end());
                    for (const auto& g : c_groups) c_all.insert(c_all.end(), g.begin(), g.end());
                    // One paired resample per replicate b for every run at once.
                    const auto draws = bootstrap_many(
                        B, derive_seed(options.seed, fmt::format("knockouts/{}/{}", a, w)),
                        [&](ResampleStream& random) {
                            const auto t_rows = resample_strata(t_groups, random);
                            const auto c_rows = resample_strata(c_groups, random);
                            std::vector<double> values;
                            const double base_effect = effect_of(base, t_rows, c_rows);
                            for (const auto& run : runs) {
                                const double e = effect_of(run.distress[k], t_rows, c_rows);
                                values.push_back(e);
                                values.push_back(e / base_effect);
                            }
                            return values;
                        });
                    const double base_effect = effect_of(base, t_all, c_all);
                    for (std::size_t r = 0; r < runs.size(); ++r) {
                        const auto& d = runs[r].distress[k];
                        const double e = effect_of(d, t_all, c_all);
                        const Interval e_ci = percentile_interval(column_of(draws, 2 * r));
                        const Interval share_ci = percentile_interval(column_of(draws, 2 * r + 1));
                        const EffectSize g = hedges_g(gather_rows(d, t_all), gather_rows(d, c_all));
                        const double share = e / base_effect;
                        remaining[{a, w, runs[r].mechanism}] = share;
                        knockouts.add_row({text(file.arms[a].name), integer(w),
                                           text(runs[r].mechanism), e, e_ci.low, e_ci.high, g.g,
                                           share, r == 0 ? kNaN : share_ci.low,
                                           r == 0 ? kNaN : share_ci.high});
                    }
                }
            }
            result.tables.push_back(std::move(knockouts));
        }
    }

    // ---- decomposition: mediation and knock-outs side by side ----
    std::vector<ColumnSpec> columns = {
        {"arm", ColumnKind::text, "trial arm"},
        {"week", ColumnKind::integer, "outcome week"},
        {"mediated_help_received", ColumnKind::number, "a·b / c through help received"},
        {"mediated_agency", ColumnKind::number, "a·b / c through agency"},
        {"mediated_ties", ColumnKind::number, "a·b / c through supportive ties"}};
    for (const auto& name : mechanism_names) {
        columns.push_back({"remaining_without_" + name, ColumnKind::number,
                           "share of the effect that remains with " + name + " off"});
    }
    Table decomposition("decomposition", "Mediation and knock-out decomposition side by side",
                        std::move(columns));
    decomposition.description =
        "Left: the share of each program's effect that runs through a measured mediator "
        "(statistical, from one run). Right: the share that remains when a mechanism is switched "
        "off (causal within the model, from re-runs). A mediator that carries an effect should "
        "have a mechanism whose knock-out removes it: help received ↔ help_flow; agency ↔ "
        "helper_effect, expertise_effects; ties ↔ tie_dynamics, friendship_formation, activation.";
    const auto lookup = [](const auto& map, const auto& key) {
        const auto found = map.find(key);
        return found == map.end() ? kNaN : found->second;
    };
    for (int a = 0; a < arms; ++a) {
        if (a == control) continue;
        for (const int w : weeks) {
            if (w == 0) continue;
            std::vector<Cell> row = {
                text(file.arms[a].name), integer(w),
                lookup(mediated, std::make_tuple(a, w, std::string("help_received"))),
                lookup(mediated, std::make_tuple(a, w, std::string("agency"))),
                lookup(mediated, std::make_tuple(a, w, std::string("ties")))};
            for (const auto& name : mechanism_names) {
                row.emplace_back(lookup(remaining, std::make_tuple(a, w, name)));
            }
            decomposition.add_row(std::move(row));
        }
    }
    result.tables.push_back(std::move(decomposition));
    return result;
}

}  // namespace kindred::analysis
