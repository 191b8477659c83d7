// Counter-based random streams (spec §7): pure functions of their keys, with the right
// distributions.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/rng.hpp"

namespace kindred {
namespace {

TEST(RandomStream, IsAPureFunctionOfItsKey) {
    RandomStream a(1, 2, 3, 4, Purpose::distress_noise);
    RandomStream b(1, 2, 3, 4, Purpose::distress_noise);
    for (int i = 0; i < 100; ++i) EXPECT_EQ(a.uniform(), b.uniform());
    RandomStream c(1, 2, 3, 4, Purpose::life_event);
    RandomStream d(1, 2, 3, 5, Purpose::distress_noise);
    RandomStream e(1, 3, 3, 4, Purpose::distress_noise);
    RandomStream f(1, 2, 3, 4, Purpose::distress_noise);
    const double first = f.uniform();
    EXPECT_NE(c.uniform(), first);
    EXPECT_NE(d.uniform(), first);
    EXPECT_NE(e.uniform(), first);
}

// Sample moments from 200 000 draws: the standard error of a mean is below 0.003 for all
// distributions here, so a tolerance of 0.01 is over three standard errors and the test
// is deterministic anyway (fixed keys).
constexpr int kDraws = 200000;

TEST(RandomStream, DistributionsHaveTheirMeans) {
    RandomStream s(42, 0, 0, 0, Purpose::population);
    double uniform = 0, normal = 0, normal_sq = 0, beta = 0, poisson = 0, gamma_small = 0;
    for (int i = 0; i < kDraws; ++i) {
        uniform += s.uniform();
        const double z = s.normal();
        normal += z;
        normal_sq += z * z;
        beta += s.beta(7, 3);
        poisson += s.poisson(4.0);
        gamma_small += s.gamma(0.5);
    }
    EXPECT_NEAR(uniform / kDraws, 0.5, 0.01);
    EXPECT_NEAR(normal / kDraws, 0.0, 0.01);
    EXPECT_NEAR(normal_sq / kDraws, 1.0, 0.01);
    EXPECT_NEAR(beta / kDraws, 0.7, 0.01);
    EXPECT_NEAR(poisson / kDraws, 4.0, 0.02);
    EXPECT_NEAR(gamma_small / kDraws, 0.5, 0.01);
}

TEST(RandomStream, BelowStaysInRange) {
    RandomStream s(1, 0, 0, 0, Purpose::friendship_partner);
    std::vector<int> counts(7, 0);
    for (int i = 0; i < 70000; ++i) {
        const auto x = s.below(7);
        ASSERT_LT(x, 7u);
        ++counts[x];
    }
    for (const int c : counts) EXPECT_NEAR(c, 10000, 400);  // 4 sd of a binomial count
}

}  // namespace
}  // namespace kindred
