// The vector exp (core/vector_exp.hpp) against std::exp, bit for bit: the agent update uses it
// only where it gives the C library's results, so a run's bits do not depend on it.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "core/vector_exp.hpp"

namespace kindred {
namespace {

#if defined(__x86_64__)
bool has_avx2_and_fma() {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

__attribute__((target("avx2,fma"))) std::vector<double> exp4_of(const std::vector<double>& x) {
    std::vector<double> out(x.size());
    for (std::size_t i = 0; i + 4 <= x.size(); i += 4) {
        _mm256_storeu_pd(&out[i], detail::exp4(_mm256_loadu_pd(&x[i])));
    }
    return out;
}

std::uint64_t bits(double x) { return std::bit_cast<std::uint64_t>(x); }

// On the machines this project runs on (x86-64 with AVX2 and FMA, GNU C library) the check at
// start-up must pass; if it did not, the agent update would quietly take the scalar path.
TEST(VectorExp, UsableWhereTheCpuHasAvx2AndFma) {
    if (!has_avx2_and_fma()) GTEST_SKIP() << "this CPU lacks AVX2 or FMA";
    EXPECT_TRUE(detail::vector_exp_usable());
}

TEST(VectorExp, SameBitsAsStdExpOverTheRangeAndTheSpecialCases) {
    if (!has_avx2_and_fma()) GTEST_SKIP() << "this CPU lacks AVX2 or FMA";
    std::mt19937_64 random(20261126);
    std::vector<double> x;
    // Where the agent update evaluates it: −H/h0 for help H ≥ 0 of any size.
    std::uniform_real_distribution<double> help(0.0, 40.0);
    for (int i = 0; i < 400000; ++i) x.push_back(-help(random) / 0.5);
    // Every exponent of the fast path's range, |x| from 2^-54 to 2^9, both signs, mantissas at
    // random (a group of four with a value outside it goes through std::exp whole).
    std::uniform_int_distribution<std::uint64_t> any;
    for (int i = 0; i < 400000; ++i) {
        const std::uint64_t r = any(random);
        const std::uint64_t exponent = 1023 - 54 + r % 63;
        x.push_back(std::bit_cast<double>(((r >> 63) << 63) | (exponent << 52) |
                                          (any(random) & ((std::uint64_t{1} << 52) - 1))));
    }
    // Special values and the ends of the fast path's range, each in a group of four with
    // ordinary ones (a group with a value outside the range goes to std::exp whole).
    const double special[] = {0.0,
                              -0.0,
                              0x1p-54,
                              -0x1p-54,
                              -0x1p-55,
                              511.99999999999994,
                              -511.99999999999994,
                              512.0,
                              -512.0,
                              700.0,
                              -740.0,
                              -1000.0,
                              std::numeric_limits<double>::infinity(),
                              -std::numeric_limits<double>::infinity(),
                              std::numeric_limits<double>::quiet_NaN(),
                              std::numeric_limits<double>::denorm_min()};
    for (const double s : special) {
        x.push_back(-1.5);
        x.push_back(s);
        x.push_back(0.25);
        x.push_back(-3.0);
    }
    while (x.size() % 4 != 0) x.push_back(-1.0);
    const std::vector<double> fast = exp4_of(x);
    std::size_t differ = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
        const double expected = std::exp(x[i]);
        if (bits(fast[i]) != bits(expected) && !(std::isnan(fast[i]) && std::isnan(expected))) {
            if (++differ <= 5) {
                ADD_FAILURE() << "exp(" << x[i] << "): " << fast[i] << " against " << expected;
            }
        }
    }
    EXPECT_EQ(differ, 0U) << "of " << x.size() << " values";
}
#endif

}  // namespace
}  // namespace kindred
