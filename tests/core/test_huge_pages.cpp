// HugePageAllocator: large buffers on 2 MiB boundaries (where the kernel can back them with
// huge pages), small ones from operator new, and both behave as ordinary vector storage.
#include <gtest/gtest.h>

#include <cstdint>
#include <numeric>
#include <vector>

#include "core/huge_pages.hpp"

namespace kindred {
namespace {

TEST(HugePageAllocator, LargeBuffersStartOnAHugePageAndKeepTheirValues) {
    constexpr std::size_t kHuge = HugePageAllocator<double>::kHugePage;
    std::vector<double, HugePageAllocator<double>> large(3 * kHuge / sizeof(double) + 5);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(large.data()) % kHuge, 0U);
    std::iota(large.begin(), large.end(), 0.0);
    large.resize(large.size() * 2, -1.0);  // reallocates: the values move with it
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(large.data()) % kHuge, 0U);
    for (std::size_t i = 0; i < large.size() / 2; ++i) ASSERT_EQ(large[i], static_cast<double>(i));
    EXPECT_EQ(large.back(), -1.0);
}

TEST(HugePageAllocator, SmallBuffersAreOrdinaryAllocations) {
    std::vector<int, HugePageAllocator<int>> small(100, 7);
    EXPECT_EQ(std::accumulate(small.begin(), small.end(), 0), 700);
    small.clear();
    small.shrink_to_fit();
    EXPECT_TRUE(small.empty());
}

}  // namespace
}  // namespace kindred
