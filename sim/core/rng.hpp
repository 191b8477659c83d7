// Counter-based randomness (spec §7): every draw is a pure function of
// (seed, replicate, week, entity, purpose, draw number), computed with Philox4x64-10.
#pragma once

#include <Random123/philox.h>

#include <cmath>
#include <cstdint>
#include <numbers>

namespace kindred {

/// What a draw is for. Part of the counter, so streams for different purposes never overlap.
/// Values are fixed forever: changing one changes every result.
enum class Purpose : std::uint64_t {
    distress_noise = 1,
    life_event = 2,
    friendship_attempt = 3,
    friendship_partner = 4,
    persist = 5,
    arm_assignment = 6,
    population = 7,  ///< ego-network generator (entity = patient or member id, sub-purpose below)
    trajectory_sample = 8,
    community = 9,  ///< community generators (entity = agent, tie slot or chunk; sub-purpose)
    narration_sample = 10,  ///< `kindred run --narrate`: patients told about (entity = arm)
};

/// Week value used for draws made before the first step (population, arms).
inline constexpr std::uint64_t kInitialisationWeek = 0xFFFF'FFFF'FFFF'FFFFull;

/// Key of a tie for randomness: (smaller id, larger id, enrolment or none) packed in 64 bits.
inline std::uint64_t tie_entity(std::int32_t smaller, std::int32_t larger) {
    return (static_cast<std::uint64_t>(static_cast<std::uint32_t>(smaller)) << 32) |
           static_cast<std::uint32_t>(larger);
}

/// A reproducible stream of random numbers for one (seed, replicate, week, entity, purpose).
/// Cheap to construct; each call to next_* advances a draw counter inside the stream.
class RandomStream {
  public:
    using Philox = r123::Philox4x64;

    /// `sub` distinguishes streams that share entity and purpose (e.g. the enrolment of a
    /// program tie, or a step of the population generator).
    RandomStream(std::uint64_t seed, std::uint64_t replicate, std::uint64_t week,
                 std::uint64_t entity, Purpose purpose, std::uint64_t sub = 0)
        : key_{{seed, replicate}},
          counter_{{week, entity, (static_cast<std::uint64_t>(purpose) << 56) ^ sub, 0}} {}

    /// Uniform double in [0, 1) with 53 random bits.
    double uniform() {
        if (used_ == 4) refill();
        const std::uint64_t bits = block_[used_++];
        return static_cast<double>(bits >> 11) * 0x1.0p-53;
    }

    /// Uniform double in (0, 1): never 0, safe for logarithms.
    double uniform_open() {
        double u;
        do {
            u = uniform();
        } while (u == 0.0);
        return u;
    }

    /// Uniform integer in [0, n), n > 0 (multiply-shift; bias below 2^-53·n, negligible).
    std::uint64_t below(std::uint64_t n) {
        return static_cast<std::uint64_t>(uniform() * static_cast<double>(n));
    }

    bool bernoulli(double p) { return uniform() < p; }

    /// Standard normal by Box–Muller (both values of a pair are used in turn).
    double normal() {
        if (has_spare_) {
            has_spare_ = false;
            return spare_;
        }
        const double u1 = uniform_open();
        const double u2 = uniform();
        const double radius = normal_radius(u1);
        const double angle = normal_angle(u2);
        spare_ = radius * std::sin(angle);
        has_spare_ = true;
        return radius * std::cos(angle);
    }

    /// Box–Muller's radius and angle of the pair drawn from uniforms u1 ∈ (0, 1) and
    /// u2 ∈ [0, 1): normal() gives radius·cos(angle), then radius·sin(angle).
    static double normal_radius(double u1) { return std::sqrt(-2.0 * std::log(u1)); }
    static double normal_angle(double u2) { return 2.0 * std::numbers::pi * u2; }

    /// Gamma(shape, 1) by Marsaglia–Tsang (shape > 0).
    double gamma(double shape) {
        if (shape < 1.0) {
            const double boost = std::pow(uniform_open(), 1.0 / shape);
            return gamma(shape + 1.0) * boost;
        }
        const double d = shape - 1.0 / 3.0;
        const double c = 1.0 / std::sqrt(9.0 * d);
        for (;;) {
            double x;
            double v;
            do {
                x = normal();
                v = 1.0 + c * x;
            } while (v <= 0.0);
            v = v * v * v;
            const double u = uniform_open();
            if (u < 1.0 - 0.0331 * x * x * x * x) return d * v;
            if (std::log(u) < 0.5 * x * x + d * (1.0 - v + std::log(v))) return d * v;
        }
    }

    /// Beta(alpha, beta) as X/(X+Y) of two gamma variates.
    double beta(double alpha, double beta_param) {
        const double x = gamma(alpha);
        const double y = gamma(beta_param);
        return x / (x + y);
    }

    /// Poisson(mean) by multiplication of uniforms (for the small means of the generator).
    int poisson(double mean) {
        const double limit = std::exp(-mean);
        int count = 0;
        double product = uniform_open();
        while (product > limit) {
            ++count;
            product *= uniform_open();
        }
        return count;
    }

  private:
    void refill() {
        block_ = Philox()(counter_, key_);
        counter_.v[3] += 1;
        used_ = 0;
    }

    Philox::key_type key_;
    Philox::ctr_type counter_;
    Philox::ctr_type block_{};
    int used_ = 4;
    bool has_spare_ = false;
    double spare_ = 0.0;
};

}  // namespace kindred
