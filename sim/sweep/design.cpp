// Designs on the unit hypercube (see design.hpp): Sobol points from Joe & Kuo's direction
// numbers, Latin hypercubes from counter-based draws, Saltelli's matrices and estimators.
#include "sweep/design.hpp"

#include <Random123/philox.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <numbers>
#include <stdexcept>

#include "sweep/sobol_directions.hpp"

namespace kindred::sweep {
namespace {

constexpr int kSobolBits = 32;
/// Second word of the Philox key of design draws, so that they never coincide with the
/// model's streams (keyed by seed and replicate): "kindswp" in ASCII.
constexpr std::uint64_t kDesignKeyTag = 0x6b696e6473777000ull;

/// Direction numbers v_1 … v_32 of dimension `dimension` (0-based), scaled by 2^32.
std::array<std::uint32_t, kSobolBits + 1> direction_numbers(int dimension) {
    std::array<std::uint32_t, kSobolBits + 1> v{};
    if (dimension == 0) {
        for (int k = 1; k <= kSobolBits; ++k) v[k] = 1u << (kSobolBits - k);
        return v;
    }
    const detail::SobolDirection& row = detail::kSobolDirections[dimension - 1];
    const int s = row.degree;
    for (int k = 1; k <= std::min(s, kSobolBits); ++k) {
        v[k] = static_cast<std::uint32_t>(row.m[k - 1]) << (kSobolBits - k);
    }
    for (int k = s + 1; k <= kSobolBits; ++k) {
        v[k] = v[k - s] ^ (v[k - s] >> s);
        for (int l = 1; l <= s - 1; ++l) {
            if (((row.a >> (s - 1 - l)) & 1u) != 0) v[k] ^= v[k - l];
        }
    }
    return v;
}

/// Uniform double in [0,1) with 53 random bits, a pure function of (seed, a, b, c).
double design_uniform(std::uint64_t seed, std::uint64_t a, std::uint64_t b, std::uint64_t c) {
    r123::Philox4x64 generator;
    const r123::Philox4x64::ctr_type counter{{a, b, c, 0}};
    const r123::Philox4x64::key_type key{{seed, kDesignKeyTag}};
    const r123::Philox4x64::ctr_type bits = generator(counter, key);
    return static_cast<double>(bits[0] >> 11) * 0x1.0p-53;
}

/// Polynomial c[0] + c[1]·x + … by Horner's rule.
template <std::size_t N>
double horner(const std::array<double, N>& c, double x) {
    double value = c[N - 1];
    for (std::size_t i = N - 1; i-- > 0;) value = value * x + c[i];
    return value;
}

}  // namespace

UnitDesign sobol_points(std::uint64_t first, std::size_t n, int d) {
    if (d < 1 || d > kSobolMaxDimensions) {
        throw std::invalid_argument(
            fmt::format("sobol_points: {} dimensions, expected 1 … {}", d, kSobolMaxDimensions));
    }
    if (first + n > (std::uint64_t{1} << kSobolBits)) {
        throw std::invalid_argument(
            fmt::format("sobol_points: points up to {} exceed 2^32", first + n));
    }
    UnitDesign design{n, d, std::vector<double>(n * static_cast<std::size_t>(d))};
    for (int j = 0; j < d; ++j) {
        const auto v = direction_numbers(j);
        for (std::size_t i = 0; i < n; ++i) {
            const std::uint64_t index = first + i;
            const std::uint64_t gray = index ^ (index >> 1);
            std::uint32_t x = 0;
            for (int bit = 0; bit < kSobolBits; ++bit) {
                if (((gray >> bit) & 1u) != 0) x ^= v[bit + 1];
            }
            design.at(i, j) = static_cast<double>(x) * 0x1.0p-32;
        }
    }
    return design;
}

UnitDesign sobol_design(std::size_t n, int d) {
    std::uint64_t skip = 1;
    while (skip < n) skip <<= 1;
    return sobol_points(skip, n, d);
}

UnitDesign latin_hypercube(std::size_t n, int d, std::uint64_t seed) {
    if (d < 1) throw std::invalid_argument("latin_hypercube: needs at least one dimension");
    UnitDesign design{n, d, std::vector<double>(n * static_cast<std::size_t>(d))};
    std::vector<std::size_t> stratum(n);
    for (int j = 0; j < d; ++j) {
        for (std::size_t i = 0; i < n; ++i) stratum[i] = i;
        // Fisher–Yates: position i swaps with a uniform position in [0, i].
        for (std::size_t i = n; i-- > 1;) {
            const double u = design_uniform(seed, static_cast<std::uint64_t>(j), i, 1);
            const auto k = std::min(i, static_cast<std::size_t>(u * static_cast<double>(i + 1)));
            std::swap(stratum[i], stratum[k]);
        }
        for (std::size_t i = 0; i < n; ++i) {
            const double jitter = design_uniform(seed, static_cast<std::uint64_t>(j), i, 2);
            const double low = static_cast<double>(stratum[i]);
            const double top = std::nextafter((low + 1.0) / static_cast<double>(n), 0.0);
            design.at(i, j) = std::min((low + jitter) / static_cast<double>(n), top);
        }
    }
    return design;
}

SaltelliDesign saltelli_design(std::size_t base_samples, int k, bool second_order) {
    if (k < 1 || 2 * k > kSobolMaxDimensions) {
        throw std::invalid_argument(
            fmt::format("saltelli_design: {} inputs, expected 1 … {}", k, kSobolMaxDimensions / 2));
    }
    if (base_samples < 1) throw std::invalid_argument("saltelli_design: no base samples");
    const UnitDesign base = sobol_design(base_samples, 2 * k);
    SaltelliDesign design;
    design.base_samples = base_samples;
    design.k = k;
    design.second_order = second_order;
    const std::size_t per_base = static_cast<std::size_t>(second_order ? 2 * k + 2 : k + 2);
    design.unit = UnitDesign{base_samples * per_base, k, {}};
    design.unit.u.reserve(design.unit.n * static_cast<std::size_t>(k));
    const auto add = [&](std::size_t j, SaltelliBlock block, int column, auto&& value) {
        for (int i = 0; i < k; ++i) design.unit.u.push_back(value(i));
        design.base.push_back(static_cast<std::int32_t>(j));
        design.block.push_back(block);
        design.column.push_back(column);
    };
    for (std::size_t j = 0; j < base_samples; ++j) {
        const auto a = [&](int i) { return base.at(j, i); };
        const auto b = [&](int i) { return base.at(j, k + i); };
        add(j, SaltelliBlock::a, -1, a);
        for (int c = 0; c < k; ++c) {
            add(j, SaltelliBlock::ab, c, [&](int i) { return i == c ? b(i) : a(i); });
        }
        if (second_order) {
            for (int c = 0; c < k; ++c) {
                add(j, SaltelliBlock::ba, c, [&](int i) { return i == c ? a(i) : b(i); });
            }
        }
        add(j, SaltelliBlock::b, -1, b);
    }
    return design;
}

SensitivityIndices saltelli_indices(const SaltelliDesign& design, std::span<const double> y) {
    if (y.size() != design.unit.n) {
        throw std::invalid_argument(
            fmt::format("saltelli_indices: {} outputs for {} points", y.size(), design.unit.n));
    }
    const std::size_t n = design.base_samples;
    const int k = design.k;
    std::vector<double> f_a(n), f_b(n);
    std::vector<std::vector<double>> f_ab(static_cast<std::size_t>(k), std::vector<double>(n));
    for (std::size_t p = 0; p < y.size(); ++p) {
        const auto j = static_cast<std::size_t>(design.base[p]);
        switch (design.block[p]) {
            case SaltelliBlock::a:
                f_a[j] = y[p];
                break;
            case SaltelliBlock::b:
                f_b[j] = y[p];
                break;
            case SaltelliBlock::ab:
                f_ab[static_cast<std::size_t>(design.column[p])][j] = y[p];
                break;
            case SaltelliBlock::ba:
                break;
        }
    }
    double mean = 0.0;
    for (std::size_t j = 0; j < n; ++j) mean += f_a[j] + f_b[j];
    mean /= static_cast<double>(2 * n);
    double variance = 0.0;
    for (std::size_t j = 0; j < n; ++j) {
        variance += (f_a[j] - mean) * (f_a[j] - mean) + (f_b[j] - mean) * (f_b[j] - mean);
    }
    variance /= static_cast<double>(2 * n);
    SensitivityIndices indices;
    for (int i = 0; i < k; ++i) {
        const auto& ab = f_ab[static_cast<std::size_t>(i)];
        double first = 0.0, total = 0.0;
        for (std::size_t j = 0; j < n; ++j) {
            first += f_b[j] * (ab[j] - f_a[j]);
            total += (f_a[j] - ab[j]) * (f_a[j] - ab[j]);
        }
        indices.first_order.push_back(first / static_cast<double>(n) / variance);
        indices.total.push_back(total / static_cast<double>(2 * n) / variance);
    }
    return indices;
}

std::vector<std::vector<std::int32_t>> grid_levels(const std::vector<std::int32_t>& levels) {
    std::size_t count = 1;
    for (std::int32_t l : levels) {
        if (l < 1) throw std::invalid_argument("grid_levels: a variable without levels");
        count *= static_cast<std::size_t>(l);
    }
    std::vector<std::vector<std::int32_t>> points;
    points.reserve(count);
    std::vector<std::int32_t> current(levels.size(), 0);
    for (std::size_t p = 0; p < count; ++p) {
        points.push_back(current);
        for (std::size_t v = levels.size(); v-- > 0;) {
            if (++current[v] < levels[v]) break;
            current[v] = 0;
        }
    }
    return points;
}

std::vector<std::int64_t> coverage_order(std::size_t n) {
    int bits = 0;
    while ((std::size_t{1} << bits) < n) ++bits;
    std::vector<std::int64_t> order;
    order.reserve(n);
    for (std::uint64_t k = 0; k < (std::uint64_t{1} << bits); ++k) {
        std::uint64_t reversed = 0;
        for (int b = 0; b < bits; ++b) reversed |= ((k >> b) & 1u) << (bits - 1 - b);
        if (reversed < n) order.push_back(static_cast<std::int64_t>(reversed));
    }
    return order;
}

double normal_quantile(double p) {
    static constexpr std::array<double, 8> a = {3.3871328727963666080e0,  1.3314166789178437745e+2,
                                                1.9715909503065514427e+3, 1.3731693765509461125e+4,
                                                4.5921953931549871457e+4, 6.7265770927008700853e+4,
                                                3.3430575583588128105e+4, 2.5090809287301226727e+3};
    static constexpr std::array<double, 8> b = {1.0,
                                                4.2313330701600911252e+1,
                                                6.8718700749205790830e+2,
                                                5.3941960214247511077e+3,
                                                2.1213794301586595867e+4,
                                                3.9307895800092710610e+4,
                                                2.8729085735721942674e+4,
                                                5.2264952788528545610e+3};
    static constexpr std::array<double, 8> c = {
        1.42343711074968357734e0,  4.63033784615654529590e0, 5.76949722146069140550e0,
        3.64784832476320460504e0,  1.27045825245236838258e0, 2.41780725177450611770e-1,
        2.27238449892691845833e-2, 7.74545014278341407640e-4};
    static constexpr std::array<double, 8> d = {1.0,
                                                2.05319162663775882187e0,
                                                1.67638483018380384940e0,
                                                6.89767334985100004550e-1,
                                                1.48103976427480074590e-1,
                                                1.51986665636164571966e-2,
                                                5.47593808499534494600e-4,
                                                1.05075007164441684324e-9};
    static constexpr std::array<double, 8> e = {
        6.65790464350110377720e0,  5.46378491116411436990e0,  1.78482653991729133580e0,
        2.96560571828504891230e-1, 2.65321895265761230930e-2, 1.24266094738807843860e-3,
        2.71155556874348757815e-5, 2.01033439929228813265e-7};
    static constexpr std::array<double, 8> f = {1.0,
                                                5.99832206555887937690e-1,
                                                1.36929880922735805310e-1,
                                                1.48753612908506148525e-2,
                                                7.86869131145613259100e-4,
                                                1.84631831751005468180e-5,
                                                1.42151175831644588870e-7,
                                                2.04426310338993978564e-15};
    constexpr double kInf = std::numeric_limits<double>::infinity();
    if (std::isnan(p) || p < 0.0 || p > 1.0) return std::numeric_limits<double>::quiet_NaN();
    if (p == 0.0) return -kInf;
    if (p == 1.0) return kInf;
    const double q = p - 0.5;
    if (std::abs(q) <= 0.425) {
        const double r = 0.180625 - q * q;
        return q * horner(a, r) / horner(b, r);
    }
    double r = std::sqrt(-std::log(q < 0.0 ? p : 1.0 - p));
    double value;
    if (r <= 5.0) {
        r -= 1.6;
        value = horner(c, r) / horner(d, r);
    } else {
        r -= 5.0;
        value = horner(e, r) / horner(f, r);
    }
    return q < 0.0 ? -value : value;
}

double normal_cdf(double x) { return 0.5 * std::erfc(-x / std::numbers::sqrt2); }

double centered_l2_discrepancy(const UnitDesign& design) {
    const std::size_t n = design.n;
    const int d = design.d;
    double single = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
        double product = 1.0;
        for (int j = 0; j < d; ++j) {
            const double z = std::abs(design.at(i, j) - 0.5);
            product *= 1.0 + 0.5 * z - 0.5 * z * z;
        }
        single += product;
    }
    double pairs = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
        for (std::size_t l = 0; l < n; ++l) {
            double product = 1.0;
            for (int j = 0; j < d; ++j) {
                const double zi = std::abs(design.at(i, j) - 0.5);
                const double zl = std::abs(design.at(l, j) - 0.5);
                product *=
                    1.0 + 0.5 * zi + 0.5 * zl - 0.5 * std::abs(design.at(i, j) - design.at(l, j));
            }
            pairs += product;
        }
    }
    const auto count = static_cast<double>(n);
    return std::pow(13.0 / 12.0, d) - 2.0 / count * single + pairs / (count * count);
}

}  // namespace kindred::sweep
