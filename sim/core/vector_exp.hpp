#pragma once
// e^x for four doubles at a time, with the same bits as the C library's exp() on the machines
// where that is checked to hold (see vector_exp_usable()).
#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace kindred::detail {

/// True if exp4() may be used: the CPU has AVX2 and FMA, and exp4() gave the bits of std::exp
/// on every value of a check run once per process (values over the whole range of doubles,
/// the special cases among them). False elsewhere, and then callers use std::exp.
bool vector_exp_usable();

#if defined(__x86_64__)
/// e^x of each lane, as std::exp computes it here. The lanes are evaluated with the C
/// library's algorithm for |x| in [2^-54, 512) (its table of 2^(i/128), its polynomial and its
/// fused multiply–adds, in its order); if any lane is outside that range (0, tiny, huge,
/// infinite or NaN) all four go through std::exp. Call only where vector_exp_usable().
__attribute__((target("avx2,fma"))) __m256d exp4(__m256d x);
#endif

}  // namespace kindred::detail
