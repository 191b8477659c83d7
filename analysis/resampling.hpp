// Reproducible bootstrap resampling: a counter-based random stream per bootstrap replicate
// (so results never depend on the order or the threads replicates are computed in), stratified
// resampling of indices, and percentile intervals.
//
// @code
//   std::vector<std::vector<std::size_t>> strata = {treated_rows, control_rows};
//   std::vector<double> draws = bootstrap(2000, seed, [&](ResampleStream& random) {
//       std::vector<std::size_t> rows = resample_strata(strata, random);
//       return statistic(rows);
//   });
//   Interval ci = percentile_interval(draws);   // 95% percentile interval
// @endcode
#pragma once

#include <Random123/philox.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

namespace kindred::analysis {

/// Uniform draws for one bootstrap replicate: Philox4x64-10 keyed by (seed, replicate), so the
/// draws of replicate b are the same whatever else is computed.
class ResampleStream {
  public:
    ResampleStream(std::uint64_t seed, std::uint64_t replicate)
        : key_{{seed, replicate}}, counter_{{0, 0, 0, 0x6b696e64726564ull}} {}

    /// Uniform double in [0, 1) with 53 random bits.
    double uniform() {
        if (used_ == 4) {
            block_ = r123::Philox4x64()(counter_, key_);
            counter_.v[0]++;
            used_ = 0;
        }
        return static_cast<double>(block_.v[used_++] >> 11) * 0x1.0p-53;
    }

    /// Uniform index in [0, n), n > 0 (multiply-shift; bias below 2^-53·n).
    std::size_t below(std::size_t n) {
        return static_cast<std::size_t>(uniform() * static_cast<double>(n));
    }

    /// Standard normal (Box–Muller, one value per call). For simulated test data.
    double normal();

  private:
    r123::Philox4x64::key_type key_;
    r123::Philox4x64::ctr_type counter_;
    r123::Philox4x64::ctr_type block_{};
    int used_ = 4;
};

/// A two-sided interval; NaN bounds when undefined.
struct Interval {
    double low;
    double high;
};

/// The percentile interval of level `level` (0.95: the 2.5% and 97.5% quantiles, linear
/// interpolation between order statistics as numpy's default) of the finite values among
/// `draws`; NaN bounds when fewer than two are finite. O(n log n).
Interval percentile_interval(std::vector<double> draws, double level = 0.95);

/// One resample of `strata`: from every stratum, as many indices drawn with replacement
/// from it as it holds, concatenated in stratum order. O(total size).
std::vector<std::size_t> resample_strata(const std::vector<std::vector<std::size_t>>& strata,
                                         ResampleStream& random);

/// `replicates` values of `statistic`, replicate b called with ResampleStream(seed, b).
/// Runs the replicates in parallel (oneTBB); the result depends only on the arguments.
std::vector<double> bootstrap(int replicates, std::uint64_t seed,
                              const std::function<double(ResampleStream&)>& statistic);

/// As bootstrap(), for statistics with several values: row b holds replicate b's values.
std::vector<std::vector<double>> bootstrap_many(
    int replicates, std::uint64_t seed,
    const std::function<std::vector<double>(ResampleStream&)>& statistic);

/// Column `column` of the rows of bootstrap_many().
std::vector<double> column_of(const std::vector<std::vector<double>>& rows, std::size_t column);

}  // namespace kindred::analysis
