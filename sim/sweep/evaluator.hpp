// One run of a sweep: builds the point's world, runs the weekly step and measures the
// outcomes of the runs table while it runs (no trial file is written). The outcomes are a
// flat vector of doubles laid out by OutcomeLayout, the one place that names them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "config/scenario.hpp"

namespace kindred::sweep {

/// One dataset of the runs table (/runs/<name>): its per-run shape and meaning.
struct OutcomeField {
    std::string name;                ///< relative to /runs ("distress", "trajectories/distress")
    std::vector<std::size_t> shape;  ///< per run: [arms, outcome weeks] or with a last axis
    std::string meaning;
};

/// The outcome fields of a sweep and where each lies in a run's flat vector of values.
///
///     field                      per-run shape   A = arms, W = outcome weeks, T = weeks
///     distress                   [A, W]          mean distress of the arm's patients
///     effect_size                [A, W]          Hedges' g of distress vs the control arm
///     effect_size_se             [A, W]          its standard error
///     share_recovered            [A, W]          share with recovered_week set and ≤ week
///     help_received, help_given  [A, W]          mean H and G of the arm's patients
///     ties_per_patient           [A, W, 4]       ties by type per patient
///     trajectories/…             [A, T+1]        (if asked) weekly distress,
///                                                share_recovered, help_received, help_given
struct OutcomeLayout {
    int arms = 0;
    std::vector<int> outcome_weeks;
    int weeks = 0;  ///< T
    bool trajectories = false;
    std::vector<OutcomeField> fields;
    std::vector<std::size_t> offsets;  ///< start of each field in the flat vector
    std::size_t size = 0;              ///< values per run

    static OutcomeLayout make(int arms, std::vector<int> outcome_weeks, int weeks,
                              bool trajectories);
    /// Values per run of field f.
    std::size_t field_size(std::size_t f) const;
};

/// Runs the scenario of one sweep point with random streams keyed (scenario.seed, stream)
/// and returns its outcomes laid out by `layout` (NaN where undefined: an empty arm, g without
/// a control arm or for the control arm itself). Deterministic: depends on nothing but its
/// arguments, whatever the thread count. O(weeks · (agents + ties)).
std::vector<double> evaluate_run(const ScenarioSpec& scenario, std::uint64_t stream,
                                 const OutcomeLayout& layout);

}  // namespace kindred::sweep
