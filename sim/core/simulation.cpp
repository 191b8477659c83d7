// The weekly step of spec §2–§4. Each phase is a pure function of the state at week t and
// keyed random streams (spec §7), computed per agent or per tie in parallel, so a run gives
// bit-identical results for any number of threads.
#include "core/simulation.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstring>
#include <mutex>
#include <numeric>
#include <utility>

#include "core/parallel.hpp"
#include "core/rng.hpp"
#include "core/vector_exp.hpp"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace kindred {
namespace {

double clip01(double x) { return std::min(std::max(x, 0.0), 1.0); }
double positive_part(double x) { return std::max(x, 0.0); }
double negative_part(double x) { return std::max(-x, 0.0); }

constexpr int kResSocial = static_cast<int>(Resource::social_relationships);
constexpr int kResDecision = static_cast<int>(Resource::decision_making);
constexpr int kResExperience = static_cast<int>(Resource::experiential_knowledge);
constexpr int kResStrengths = static_cast<int>(Resource::individual_strengths);
constexpr int kResRecreation = static_cast<int>(Resource::recreational_activities);
constexpr int kResSelfActualising = static_cast<int>(Resource::self_actualising);

/// Initial state of agents created by a program (spec §4).
AgentInit provider_init(Role role, int week) {
    AgentInit init;
    init.role = role;
    init.d = role == Role::peer_worker ? 0.2 : 0.1;
    init.a = 0.7;
    init.k = role == Role::peer_worker ? 0.8 : 0.0;
    init.s = 0.7;
    init.r = 0.5;
    init.tau = 0.5;
    init.v = 0.0;
    init.arm = kNone;
    init.created_week = week;
    return init;
}

/// Stores a value that will not be read again soon (a non-temporal store on x86-64: the
/// week's big write-only arrays do not evict what the loop still reads, and cost no read for
/// ownership). Ranges that use it end with store_fence().
inline void stream_store(double* where, double value) {
#if defined(__x86_64__)
    _mm_stream_si64(reinterpret_cast<long long*>(where), std::bit_cast<long long>(value));
#else
    *where = value;
#endif
}

/// Orders the non-temporal stores of this thread before what follows (the join of the loop).
inline void store_fence() {
#if defined(__x86_64__)
    _mm_sfence();
#endif
}

/// How many ties (or adjacency entries) ahead the step prefetches its random accesses (measured
/// at 10^6 agents: 16 → 32 → 64 → 128 ahead gave 0.155, 0.134, 0.118, 0.109 s a week; 256 no
/// better).
constexpr std::size_t kPrefetchDistance = 128;

/// The same for the vector gather, whose prefetches are spread over the steps of a block of
/// four agents, at most four per step (at 10^6 agents: 128, 192, 256, 384 entries ahead gave
/// 20.2–20.8, 17.0–17.3, 16.4–16.7, 17.3–17.4 ms; 96 gave 23.7–24.0 ms; all of a block's
/// prefetches at its start, 128 ahead: 22.2–25.0 ms).
constexpr std::size_t kGatherPrefetchDistance = 256;

/// Times a friendship partner is drawn at random before the eligible agents are listed.
constexpr int kFallbackRejectionTries = 64;

std::atomic<bool> vector_kernels_enabled{true};

/// One range of the tie pass (Simulation::compute_tie_pass): per tie, the help both ways, the
/// strain, the knowledge offered, and the natural-tie update of spec §3.3 (w', q' and
/// dissolution), from the state at t. Local copies of the parameters, switches and array
/// pointers: the loop's stores cannot alias them, so they stay in registers.
struct TiePass {
    using TieFlow = Simulation::TieFlow;

    Parameters p;
    bool flows_on, dynamics_on, activated, knowledge_flows;
    std::size_t m;
    const AgentId *u_of, *v_of;
    const double *w_of, *q_of, *rho_of;
    const TieType* type_of;
    const Expertise* expertise_of;
    const AgentId* client_of;
    const EnrolmentId* enrolment_of;
    const double *dd, *kk;
    const double *activation_w, *activation_q;
    TieFlow* flow;
    double* knowledge_out;
    double* w_new;
    double* q_out;
    std::vector<TieIndex>
        dissolving{};            ///< natural ties that dissolve (rare: allocated on the first)
    bool negative_zero = false;  ///< a natural tie has q = −0.0 (or q outside [−1, 1])

    static constexpr std::uint64_t kNegativeZero = std::uint64_t{1} << 63;

    void run(std::size_t begin, std::size_t end) {
        for (std::size_t e = begin; e < end; ++e) tie(e);
    }

    /// Tie e. The vector kernel below evaluates the same operations in the same order.
    void tie(std::size_t e) {
        // The far end's distress is a random access (the near end's is sequential when ties
        // are sorted): fetch it ahead so that the misses overlap.
        if (e + kPrefetchDistance < m) __builtin_prefetch(&dd[v_of[e + kPrefetchDistance]]);
        const AgentId u = u_of[e], v = v_of[e];
        const double w = w_of[e];
        const double q = q_of[e];
        const double d_u = dd[u], d_v = dd[v];
        // h(u→v) and h(v→u) of spec §3.1, evaluated as help_on_tie() does. No help flows where
        // q ≤ 0 (or with the knock-out): there q_help = +0, so the products below are 0 too
        // (w and 1 − d are ≥ 0), without a hard-to-predict branch on q.
        const double q_help = flows_on && q > 0.0 ? q : 0.0;
        double from_u = w * q_help * (1.0 - d_u);
        double from_v = w * q_help * (1.0 - d_v);
        const AgentId client = client_of[e];
        if (client == u) from_u *= rho_of[e];
        if (client == v) from_v *= rho_of[e];
        if (type_of[e] == TieType::peer) {
            from_u *= 1.0 + p.beta_peer * kk[u];
            from_v *= 1.0 + p.beta_peer * kk[v];
        }
        stream_store(&flow[e].to_u, q < 0.0 ? -(w * negative_part(q)) : from_v);
        stream_store(&flow[e].to_v, from_u);
        if (knowledge_flows) {
            const Expertise expertise = expertise_of[e];
            double offered = 0.0;
            if (expertise == Expertise::peers || expertise == Expertise::everyone) {
                const double to_u = w * positive_part(kk[v] - kk[u]);
                const double to_v = w * positive_part(kk[u] - kk[v]);
                offered = to_u > 0.0 ? to_u : (to_v > 0.0 ? -to_v : 0.0);
            }
            knowledge_out[e] = offered;
        }

        // Natural tie update of spec §3.3 (program ties keep their w and q), from the state at
        // t; applied in finish_week().
        double w_next = w;
        if (enrolment_of[e] == kNone) {
            const double a_w = activated ? activation_w[e] : 0.0;
            const double a_q = activated ? activation_q[e] : 0.0;
            if (activated) {
                q_out[e] = std::min(std::max(q + a_q * (1.0 - q), -1.0), 1.0);
            } else {
                // Without activation q' = clip(q + 0·(1 − q)) equals q bit for bit, except for
                // q = −0.0 (which becomes +0.0) or a q outside [−1, 1].
                negative_zero |=
                    !(q >= -1.0 && q <= 1.0) || std::bit_cast<std::uint64_t>(q) == kNegativeZero;
            }
            if (!dynamics_on) {  // knock-out: only activation changes a natural tie
                w_next = clip01(w + a_w * (1.0 - w));
            } else {
                const double mutual = w > 0.0 ? std::min(from_u, from_v) / w : 0.0;
                w_next = clip01(w + p.kappa_reciprocity * mutual * (1.0 - w) -
                                p.kappa_withdrawal * w * (d_u + d_v) / 2.0 - p.kappa_decay * w +
                                a_w * (1.0 - w));
                // Family ties are held at the floor, others below w_min dissolve (branch-free:
                // family ties are frequent and unpredictable).
                const bool family = type_of[e] == TieType::family;
                w_next = family ? std::max(w_next, p.w_floor_family) : w_next;
                if (!family && w_next < p.w_min) dissolving.push_back(static_cast<TieIndex>(e));
            }
        } else if (activated) {
            q_out[e] = q;
        }
        stream_store(&w_new[e], w_next);
    }

#if defined(__x86_64__)
    /// Four doubles to 32-byte aligned memory, non-temporal if `stream`, else to any address.
    __attribute__((target("avx2"))) static void store_avx2(bool stream, double* where,
                                                           __m256d value) {
        if (stream) {
            _mm256_stream_pd(where, value);
        } else {
            _mm256_storeu_pd(where, value);
        }
    }

    /// The same pass, four ties at a time with AVX2, for weeks in which help flows, ties change
    /// and nothing is activated or taught (compute_tie_pass checks). A group of four natural
    /// ties is computed in vector registers with the IEEE operations of tie() in the same
    /// order, so the results are the same bits (no fused multiply–add: the target is "avx2"
    /// alone); a group with a program tie goes through tie(). Intel's MINPD/MAXPD return the second
    /// operand unless the first is strictly smaller/larger, so std::min(a, b) is min_pd(b, a)
    /// and std::max(a, b) is max_pd(b, a).
    __attribute__((target("avx2"))) void run_avx2(std::size_t begin, std::size_t end) {
        const __m256d zero = _mm256_setzero_pd(), one = _mm256_set1_pd(1.0);
        const __m256d two = _mm256_set1_pd(2.0), sign = _mm256_set1_pd(-0.0);
        const __m256d kappa_r = _mm256_set1_pd(p.kappa_reciprocity);
        const __m256d kappa_w = _mm256_set1_pd(p.kappa_withdrawal);
        const __m256d kappa_0 = _mm256_set1_pd(p.kappa_decay);
        const __m256d w_floor = _mm256_set1_pd(p.w_floor_family), w_min = _mm256_set1_pd(p.w_min);
        const __m256d lowest = _mm256_set1_pd(-1.0);
        const __m256i family_type = _mm256_set1_epi64x(static_cast<int>(TieType::family));
        const __m256i peer_type = _mm256_set1_epi64x(static_cast<int>(TieType::peer));
        const __m256d beta_peer = _mm256_set1_pd(p.beta_peer);
        const __m256i negative_zero_bits =
            _mm256_set1_epi64x(static_cast<long long>(kNegativeZero));
        // Local copies of the pointers: the intrinsics' stores may alias anything, members
        // included, so GCC would reload members after every store.
        const AgentId *const us = u_of, *const vs = v_of;
        const double *const ws = w_of, *const qs = q_of;
        const TieType* const type_at = type_of;
        const EnrolmentId* const enrolments = enrolment_of;
        const double *const distress = dd, *const knowledge = kk;
        TieFlow* const flows = flow;
        double* const w_out = w_new;
        const std::size_t ties = m;
        bool odd_valence = false;
        // The new w and the flow records are written once and read only after the pass: with
        // non-temporal stores they cost no read for ownership. Those need 32-byte alignment:
        // single ties go first until w_out + e is aligned, and then flows + e is too where the
        // buffers' alignments allow it (the flow records' buffer is on a huge page when large).
        std::size_t e = begin;
        const auto aligned = [](const void* where) {
            return reinterpret_cast<std::uintptr_t>(where) % 32 == 0;
        };
        for (; e < end && !aligned(w_out + e); ++e) tie(e);
        const bool stream_w = e < end, stream_flows = e < end && aligned(flows + e);
        for (; e + 4 <= end; e += 4) {
            bool scalar = false;
            for (std::size_t x = e; x < e + 4; ++x) {
                if (x + kPrefetchDistance < ties) {
                    const std::size_t ahead = x + kPrefetchDistance;
                    __builtin_prefetch(&distress[vs[ahead]]);
                    // Peer ties (few) read both ends' knowledge, at random.
                    if (type_at[ahead] == TieType::peer) {
                        __builtin_prefetch(&knowledge[us[ahead]]);
                        __builtin_prefetch(&knowledge[vs[ahead]]);
                    }
                }
                scalar |= enrolments[x] != kNone;
            }
            if (scalar) {  // program ties (client, ρ; kept w): one by one
                for (std::size_t x = e; x < e + 4; ++x) tie(x);
                continue;
            }
            const __m256d d_u = _mm256_set_pd(distress[us[e + 3]], distress[us[e + 2]],
                                              distress[us[e + 1]], distress[us[e]]);
            const __m256d d_v = _mm256_set_pd(distress[vs[e + 3]], distress[vs[e + 2]],
                                              distress[vs[e + 1]], distress[vs[e]]);
            const __m256d w = _mm256_loadu_pd(ws + e), q = _mm256_loadu_pd(qs + e);
            // Help both ways, and the strain slot (as tie()).
            const __m256d q_help = _mm256_and_pd(q, _mm256_cmp_pd(q, zero, _CMP_GT_OQ));
            const __m256d w_q = _mm256_mul_pd(w, q_help);
            // Peer ties: lived experience makes help worth more. The factor is exactly 1 on the
            // other ties, and the knowledge is read only on peer ties (they are few).
            std::uint32_t types = 0;
            std::memcpy(&types, type_at + e, sizeof types);
            static_assert(sizeof(TieType) == 1);
            const __m256i type = _mm256_cvtepu8_epi64(_mm_cvtsi32_si128(static_cast<int>(types)));
            const __m256d peer = _mm256_castsi256_pd(_mm256_cmpeq_epi64(type, peer_type));
            __m256d from_u = _mm256_mul_pd(w_q, _mm256_sub_pd(one, d_u));
            __m256d from_v = _mm256_mul_pd(w_q, _mm256_sub_pd(one, d_v));
            if (_mm256_movemask_pd(peer) != 0) {
                // The knowledge of both ends, loaded only on the peer lanes (a masked gather:
                // no branch per lane); the other lanes hold 0, as their factor is exactly 1.
                const __m128i u_index = _mm_loadu_si128(reinterpret_cast<const __m128i*>(us + e));
                const __m128i v_index = _mm_loadu_si128(reinterpret_cast<const __m128i*>(vs + e));
                const __m256d k_u = _mm256_mask_i32gather_pd(zero, knowledge, u_index, peer, 8);
                const __m256d k_v = _mm256_mask_i32gather_pd(zero, knowledge, v_index, peer, 8);
                from_u = _mm256_mul_pd(
                    from_u,
                    _mm256_blendv_pd(one, _mm256_add_pd(one, _mm256_mul_pd(beta_peer, k_u)), peer));
                from_v = _mm256_mul_pd(
                    from_v,
                    _mm256_blendv_pd(one, _mm256_add_pd(one, _mm256_mul_pd(beta_peer, k_v)), peer));
            }
            const __m256d negative = _mm256_max_pd(zero, _mm256_xor_pd(q, sign));  // max(−q, 0)
            const __m256d to_u =
                _mm256_blendv_pd(from_v, _mm256_xor_pd(_mm256_mul_pd(w, negative), sign),
                                 _mm256_cmp_pd(q, zero, _CMP_LT_OQ));
            const __m256d low = _mm256_unpacklo_pd(to_u, from_u);   // ties 0 and 2
            const __m256d high = _mm256_unpackhi_pd(to_u, from_u);  // ties 1 and 3
            store_avx2(stream_flows, &flows[e].to_u, _mm256_permute2f128_pd(low, high, 0x20));
            store_avx2(stream_flows, &flows[e + 2].to_u, _mm256_permute2f128_pd(low, high, 0x31));
            // A −0.0 valence, or one outside [−1, 1] (as tie()).
            const __m256d outside = _mm256_or_pd(_mm256_cmp_pd(q, lowest, _CMP_NGE_UQ),
                                                 _mm256_cmp_pd(q, one, _CMP_NLE_UQ));
            const __m256d minus_zero =
                _mm256_castsi256_pd(_mm256_cmpeq_epi64(_mm256_castpd_si256(q), negative_zero_bits));
            odd_valence |= _mm256_movemask_pd(_mm256_or_pd(outside, minus_zero)) != 0;
            // The natural-tie update, term by term in tie()'s order (a_w = 0: no activation).
            const __m256d mutual = _mm256_and_pd(_mm256_cmp_pd(w, zero, _CMP_GT_OQ),
                                                 _mm256_div_pd(_mm256_min_pd(from_v, from_u), w));
            const __m256d one_minus_w = _mm256_sub_pd(one, w);
            __m256d sum =
                _mm256_add_pd(w, _mm256_mul_pd(_mm256_mul_pd(kappa_r, mutual), one_minus_w));
            sum = _mm256_sub_pd(
                sum, _mm256_div_pd(
                         _mm256_mul_pd(_mm256_mul_pd(kappa_w, w), _mm256_add_pd(d_u, d_v)), two));
            sum = _mm256_sub_pd(sum, _mm256_mul_pd(kappa_0, w));
            sum = _mm256_add_pd(sum, _mm256_mul_pd(zero, one_minus_w));
            const __m256d clipped = _mm256_min_pd(one, _mm256_max_pd(zero, sum));
            const __m256d family = _mm256_castsi256_pd(_mm256_cmpeq_epi64(type, family_type));
            const __m256d w_next =
                _mm256_blendv_pd(clipped, _mm256_max_pd(w_floor, clipped), family);
            store_avx2(stream_w, w_out + e, w_next);
            if (const int dissolves = _mm256_movemask_pd(
                    _mm256_andnot_pd(family, _mm256_cmp_pd(w_next, w_min, _CMP_LT_OQ)))) {
                for (int lane = 0; lane < 4; ++lane) {
                    if (dissolves & (1 << lane)) {
                        dissolving.push_back(
                            static_cast<TieIndex>(e + static_cast<std::size_t>(lane)));
                    }
                }
            }
        }
        negative_zero |= odd_valence;
        for (; e < end; ++e) tie(e);
    }
#endif
};

/// One range of the gather (Simulation::gather_flows): per agent, its ties' flows summed in
/// ascending tie order (the adjacency's), as every run of the model sums them. Local copies of
/// the pointers: the loops' stores cannot alias them, so they stay in registers.
struct Gather {
    using TieFlow = Simulation::TieFlow;

    const std::size_t* offsets;
    const AdjacencyEntry* entries;
    std::size_t entry_count;
    const TieFlow* flows;
    const double* tie_knowledge;  ///< nullptr: no knowledge offered this week
    double *received_out, *given_out, *strain_out;
    double* offered_out;  ///< nullptr: no knowledge offered, and the array holds zeros already

    /// Agents [begin, end), one at a time.
    void run(std::size_t begin, std::size_t end) const {
        const bool knowledge = tie_knowledge != nullptr;
        const AdjacencyEntry* const stop = entries + entry_count;
        const AdjacencyEntry* it = entries + offsets[begin];
        for (std::size_t index = begin; index < end; ++index) {
            const auto i = static_cast<AgentId>(index);
            const AdjacencyEntry* const agent_end = entries + offsets[index + 1];
            double received = 0.0, given = 0.0, strain = 0.0, offered = 0.0;
            for (; it != agent_end; ++it) {
                // The tie flows of other agents' ties are random accesses: fetch ahead.
                if (stop - it > static_cast<std::ptrdiff_t>(kPrefetchDistance)) {
                    __builtin_prefetch(
                        &flows[static_cast<std::size_t>((it + kPrefetchDistance)->tie)]);
                }
                const TieFlow flow = flows[static_cast<std::size_t>(it->tie)];
                const bool i_is_u = it->neighbour > i;
                // Branch-free; adding +0.0 leaves a sum unchanged, so this equals adding only
                // the tie's non-zero parts.
                const bool hostile = flow.to_u < 0.0;
                const double in = i_is_u ? flow.to_u : flow.to_v;
                const double out = i_is_u ? flow.to_v : flow.to_u;
                received += hostile ? 0.0 : in;
                given += hostile ? 0.0 : out;
                strain += hostile ? -flow.to_u : 0.0;
                if (knowledge) {
                    const double x = tie_knowledge[static_cast<std::size_t>(it->tie)];
                    if (i_is_u ? x > 0.0 : x < 0.0) offered += i_is_u ? x : -x;
                }
            }
            received_out[index] = received;
            given_out[index] = given;
            strain_out[index] = strain;
            if (offered_out != nullptr) offered_out[index] = offered;
        }
    }

#if defined(__x86_64__)
    /// The same sums for four consecutive agents at a time, one agent per AVX2 lane, for weeks
    /// without knowledge offered: step k adds each lane's k-th tie, so every agent's sums are
    /// still taken in its own tie order, with run()'s operations (a lane past its last tie
    /// keeps its sums). The four agents' additions overlap instead of waiting on one another,
    /// and the loop ends once per four agents instead of once per agent.
    __attribute__((target("avx2"))) void run_avx2(std::size_t begin, std::size_t end) const {
        const std::size_t* const offset = offsets;
        const AdjacencyEntry* const entry = entries;
        const TieFlow* const flow = flows;
        const std::size_t entry_end = entry_count;
        double *const received_of = received_out, *const given_of = given_out;
        double *const strain_of = strain_out, *const offered_of = offered_out;
        static_assert(sizeof(AdjacencyEntry) == 8 && offsetof(AdjacencyEntry, tie) == 4);
        const __m256d zero = _mm256_setzero_pd(), sign = _mm256_set1_pd(-0.0);
        const __m256i one = _mm256_set1_epi64x(1);
        const __m256i low_half = _mm256_set1_epi64x(0xffffffffLL);
        std::size_t ahead = offset[begin];  // next entry whose flow is fetched ahead
        std::size_t index = begin;
        for (; index + 4 <= end; index += 4) {
            const std::size_t first = offset[index], last = offset[index + 4];
            if (last == first) {  // four agents without ties
                for (std::size_t j = index; j < index + 4; ++j) {
                    received_of[j] = given_of[j] = strain_of[j] = 0.0;
                    if (offered_of != nullptr) offered_of[j] = 0.0;
                }
                continue;
            }
            const std::size_t until = std::min(last + kGatherPrefetchDistance, entry_end);
            __m256i position = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(offset + index));
            const __m256i stop =
                _mm256_loadu_si256(reinterpret_cast<const __m256i*>(offset + index + 1));
            const __m256i self = _mm256_set_epi64x(
                static_cast<long long>(index + 3), static_cast<long long>(index + 2),
                static_cast<long long>(index + 1), static_cast<long long>(index));
            std::size_t steps = 0;
            for (std::size_t j = index; j < index + 4; ++j) {
                steps = std::max(steps, offset[j + 1] - offset[j]);
            }
            __m256d received = zero, given = zero, strain = zero;
            for (std::size_t k = 0; k < steps; ++k) {
                // The flows of the entries ahead, a few per step (spread out, so that the misses
                // do not queue up in bursts).
                for (int q = 0; q < 4 && ahead < until; ++q, ++ahead) {
                    __builtin_prefetch(&flow[static_cast<std::size_t>(entry[ahead].tie)]);
                }
                // Lanes past their last tie read entry `first` (a valid one) and keep their sums.
                const __m256i active = _mm256_cmpgt_epi64(stop, position);
                alignas(32) std::uint64_t at[4];
                _mm256_store_si256(
                    reinterpret_cast<__m256i*>(at),
                    _mm256_blendv_epi8(_mm256_set1_epi64x(static_cast<long long>(first)), position,
                                       active));
                std::uint64_t raw[4];
                std::memcpy(&raw[0], entry + at[0], 8);
                std::memcpy(&raw[1], entry + at[1], 8);
                std::memcpy(&raw[2], entry + at[2], 8);
                std::memcpy(&raw[3], entry + at[3], 8);
                const __m128d f0 = _mm_loadu_pd(&flow[raw[0] >> 32].to_u);
                const __m128d f1 = _mm_loadu_pd(&flow[raw[1] >> 32].to_u);
                const __m128d f2 = _mm_loadu_pd(&flow[raw[2] >> 32].to_u);
                const __m128d f3 = _mm_loadu_pd(&flow[raw[3] >> 32].to_u);
                const __m256d f02 = _mm256_insertf128_pd(_mm256_castpd128_pd256(f0), f2, 1);
                const __m256d f13 = _mm256_insertf128_pd(_mm256_castpd128_pd256(f1), f3, 1);
                const __m256d to_u = _mm256_unpacklo_pd(f02, f13);
                const __m256d to_v = _mm256_unpackhi_pd(f02, f13);
                const __m256i neighbour = _mm256_and_si256(
                    _mm256_set_epi64x(
                        static_cast<long long>(raw[3]), static_cast<long long>(raw[2]),
                        static_cast<long long>(raw[1]), static_cast<long long>(raw[0])),
                    low_half);
                const __m256d i_is_u = _mm256_castsi256_pd(_mm256_cmpgt_epi64(neighbour, self));
                const __m256d hostile = _mm256_cmp_pd(to_u, zero, _CMP_LT_OQ);
                const __m256d in = _mm256_blendv_pd(to_v, to_u, i_is_u);
                const __m256d out = _mm256_blendv_pd(to_u, to_v, i_is_u);
                const __m256d lane = _mm256_castsi256_pd(active);
                received = _mm256_blendv_pd(
                    received, _mm256_add_pd(received, _mm256_blendv_pd(in, zero, hostile)), lane);
                given = _mm256_blendv_pd(
                    given, _mm256_add_pd(given, _mm256_blendv_pd(out, zero, hostile)), lane);
                strain = _mm256_blendv_pd(
                    strain,
                    _mm256_add_pd(strain,
                                  _mm256_blendv_pd(zero, _mm256_xor_pd(to_u, sign), hostile)),
                    lane);
                position = _mm256_add_epi64(position, one);
            }
            for (; ahead < until; ++ahead) {  // where the block had more than four per step
                __builtin_prefetch(&flow[static_cast<std::size_t>(entry[ahead].tie)]);
            }
            _mm256_storeu_pd(received_of + index, received);
            _mm256_storeu_pd(given_of + index, given);
            _mm256_storeu_pd(strain_of + index, strain);
            if (offered_of != nullptr) _mm256_storeu_pd(offered_of + index, zero);
        }
        run(index, end);
    }
#endif
};

/// True if some tie has expertise peers or everyone (knowledge flows on it). A scan of a byte
/// per tie every week: blocks without an early exit inside, so that GCC vectorises them.
bool any_teaching_tie(const std::vector<Expertise>& expertise) {
    static_assert(sizeof(Expertise) == 1 &&
                  static_cast<int>(Expertise::everyone) == static_cast<int>(Expertise::peers) + 1);
    constexpr std::size_t kBlock = 4096;
    constexpr auto kPeers = static_cast<std::uint8_t>(Expertise::peers);
    const auto* const x = reinterpret_cast<const std::uint8_t*>(expertise.data());
    const std::size_t n = expertise.size();
    for (std::size_t begin = 0; begin < n; begin += kBlock) {
        const std::size_t end = std::min(n, begin + kBlock);
        std::uint8_t found = 0;
        for (std::size_t e = begin; e < end; ++e) {
            found |= static_cast<std::uint8_t>(static_cast<std::uint8_t>(x[e] - kPeers) < 2);
        }
        if (found != 0) return true;
    }
    return false;
}

/// One range of the agent update of spec §3.2 (Simulation::update_agents): from the state at t
/// and the week's flows and exposure into the next state. Local copies of the parameters and
/// array pointers: the loops' stores cannot alias them, so they stay in registers.
struct AgentUpdate {
    Parameters p;
    std::uint64_t seed, replicate, week;
    bool helper_effect;
    const ResourceVector* resources;  ///< nullptr: no exposure this week (all zero)
    const int *expert_self, *expert_provider;
    const double *distress, *agency, *knowledge, *strengths, *recreation;
    const double *tau, *vulnerability, *agency0, *strengths0, *recreation0;
    const double *received, *given, *strain;
    const double* offered;  ///< nullptr: no knowledge offered this week (all +0.0)
    double *next_d, *next_a, *next_k, *next_s, *next_r;

    /// Agent i's life event (spec §3.2), 0 without one.
    double event(std::size_t i) const {
        if (!(p.p_event > 0.0)) return 0.0;
        RandomStream stream(seed, replicate, week, i, Purpose::life_event);
        return stream.bernoulli(p.p_event) ? p.event_size : 0.0;
    }
    /// Agent i's distress noise, 0 without noise.
    double noise(std::size_t i) const {
        if (!(p.sigma > 0.0)) return 0.0;
        RandomStream stream(seed, replicate, week, i, Purpose::distress_noise);
        return p.sigma * stream.normal();
    }

    /// Agents per block of draw_block().
    static constexpr std::size_t kDrawBlock = 64;
    /// event(i) and noise(i) of agents begin … begin + count − 1 (count ≤ kDrawBlock) into
    /// events[] and noises[]: the same draws and operations, but each step for the whole block
    /// before the next (the streams, the logarithms, the cosines), so that the library calls
    /// of different agents overlap rather than each agent's waiting on its own chain of them.
    void draw_block(std::size_t begin, std::size_t count, double* events, double* noises) const {
        if (p.p_event > 0.0) {
            for (std::size_t j = 0; j < count; ++j) events[j] = event(begin + j);
        }
        if (!(p.sigma > 0.0)) return;
        std::array<double, kDrawBlock> radius, cosine;
        for (std::size_t j = 0; j < count; ++j) {
            RandomStream stream(seed, replicate, week, begin + j, Purpose::distress_noise);
            radius[j] = stream.uniform_open();  // normal()'s u1, then u2
            cosine[j] = stream.uniform();
        }
        for (std::size_t j = 0; j < count; ++j) radius[j] = RandomStream::normal_radius(radius[j]);
        for (std::size_t j = 0; j < count; ++j) {
            cosine[j] = std::cos(RandomStream::normal_angle(cosine[j]));
        }
        for (std::size_t j = 0; j < count; ++j) noises[j] = p.sigma * (radius[j] * cosine[j]);
    }

    void run(std::size_t begin, std::size_t end) const {
        static const ResourceVector kNoResources{};
        const bool exposed = resources != nullptr;
        for (std::size_t i = begin; i < end; ++i) {
            const ResourceVector& m = exposed ? resources[i] : kNoResources;
            const int self = exposed ? expert_self[i] : 0;
            const int provider = exposed ? expert_provider[i] : 0;
            const double d = distress[i], a = agency[i], k = knowledge[i];
            const double s = strengths[i], r = recreation[i];
            const double help = received[i];

            const double relief =
                (p.beta_0 + p.beta_help * help + p.beta_agency * a +
                 p.beta_knowledge * m[kResExperience] * k + p.beta_strengths * s +
                 p.beta_recreation * r) *
                (1.0 + p.gamma_self_actualising * m[kResSelfActualising] * tau[i]);
            const double stress = p.theta_0 + p.theta_vulnerability * vulnerability[i] +
                                  p.theta_strain * strain[i] +
                                  p.theta_loneliness * std::exp(-help / p.h_0) + event(i);
            next_d[i] = clip01(d - relief * d + stress * (1.0 - d) + noise(i));

            const double help_given = helper_effect ? given[i] : 0.0;
            const double gain = p.alpha_help_given * help_given + p.alpha_expert_self * self +
                                p.alpha_decision * m[kResDecision];
            const double loss = p.delta_dependency * provider + p.delta_distress * d;
            next_a[i] = clip01(a + gain * (1.0 - a) - loss * a + p.mu * (agency0[i] - a));
            next_k[i] = clip01(k + (p.alpha_knowledge * (offered != nullptr ? offered[i] : 0.0) +
                                    p.alpha_experience * m[kResExperience]) *
                                       (1.0 - k));
            next_s[i] = clip01(s + p.alpha_strengths * m[kResStrengths] * (1.0 - s) -
                               p.delta_distress * d * s + p.mu * (strengths0[i] - s));
            next_r[i] = clip01(r + p.alpha_recreation * m[kResRecreation] * (1.0 - r) -
                               p.delta_distress * d * r + p.mu * (recreation0[i] - r));
        }
    }

#if defined(__x86_64__)
    /// clip01 of four values: std::max(x, 0.0) is max_pd(0, x) and std::min(y, 1.0) is
    /// min_pd(1, y) (MAXPD and MINPD return their second operand unless the first is strictly
    /// larger or smaller).
    __attribute__((target("avx2"))) static __m256d clip01_avx2(__m256d x) {
        return _mm256_min_pd(_mm256_set1_pd(1.0), _mm256_max_pd(_mm256_setzero_pd(), x));
    }
    /// s' or r' of spec §3.2 for four agents, in run()'s order:
    /// clip01(x + (α·m)·(1 − x) − (δ·d)·x + μ·(x0 − x)), with gained = α·m and worn = δ·d.
    __attribute__((target("avx2"))) static __m256d restored_avx2(__m256d x, __m256d gained,
                                                                 __m256d worn, __m256d mu,
                                                                 __m256d x0) {
        __m256d next =
            _mm256_add_pd(x, _mm256_mul_pd(gained, _mm256_sub_pd(_mm256_set1_pd(1.0), x)));
        next = _mm256_sub_pd(next, _mm256_mul_pd(worn, x));
        next = _mm256_add_pd(next, _mm256_mul_pd(mu, _mm256_sub_pd(x0, x)));
        return clip01_avx2(next);
    }
    /// Resource `which` of the exposure of agents i … i + 3.
    __attribute__((target("avx2"))) __m256d resource_avx2(std::size_t i, int which) const {
        const auto r = static_cast<std::size_t>(which);
        return _mm256_set_pd(resources[i + 3][r], resources[i + 2][r], resources[i + 1][r],
                             resources[i][r]);
    }

    /// The same update, four agents at a time with AVX2: run()'s IEEE operations in the same
    /// order (no fused multiply–add; clip01's max and min with their operands ordered as
    /// std::max and std::min order them), so the results are the same bits. The exponential
    /// is detail::exp4 where it gives std::exp's bits, else std::exp per agent; the life events
    /// and the noise come from draw_block(), a block of agents at a time.
    __attribute__((target("avx2"))) void run_avx2(std::size_t begin, std::size_t end) const {
        const bool exposed = resources != nullptr;
        const __m256d zero = _mm256_setzero_pd(), one = _mm256_set1_pd(1.0);
        const __m256d sign = _mm256_set1_pd(-0.0);
        const __m256d beta_0 = _mm256_set1_pd(p.beta_0), beta_help = _mm256_set1_pd(p.beta_help);
        const __m256d beta_agency = _mm256_set1_pd(p.beta_agency),
                      beta_knowledge = _mm256_set1_pd(p.beta_knowledge);
        const __m256d beta_strengths = _mm256_set1_pd(p.beta_strengths);
        const __m256d beta_recreation = _mm256_set1_pd(p.beta_recreation);
        const __m256d gamma = _mm256_set1_pd(p.gamma_self_actualising);
        const __m256d theta_0 = _mm256_set1_pd(p.theta_0),
                      theta_v = _mm256_set1_pd(p.theta_vulnerability);
        const __m256d theta_s = _mm256_set1_pd(p.theta_strain),
                      theta_l = _mm256_set1_pd(p.theta_loneliness);
        const __m256d h_0 = _mm256_set1_pd(p.h_0);
        const __m256d alpha_given = _mm256_set1_pd(p.alpha_help_given),
                      alpha_self = _mm256_set1_pd(p.alpha_expert_self);
        const __m256d alpha_decision = _mm256_set1_pd(p.alpha_decision);
        const __m256d delta_dependency = _mm256_set1_pd(p.delta_dependency);
        const __m256d delta_distress = _mm256_set1_pd(p.delta_distress), mu = _mm256_set1_pd(p.mu);
        const __m256d alpha_knowledge = _mm256_set1_pd(p.alpha_knowledge);
        const __m256d alpha_experience = _mm256_set1_pd(p.alpha_experience);
        const __m256d alpha_strengths = _mm256_set1_pd(p.alpha_strengths);
        const __m256d alpha_recreation = _mm256_set1_pd(p.alpha_recreation);
        const bool events = p.p_event > 0.0, noisy = p.sigma > 0.0;
        const bool fast_exp = detail::vector_exp_usable();  // std::exp's bits, four at a time
        alignas(32) std::array<double, kDrawBlock> event_block, noise_block;
        std::size_t block_begin = begin, block_end = begin;
        std::size_t i = begin;
        for (; i + 4 <= end; i += 4) {
            if ((events || noisy) && i == block_end) {
                block_begin = i;
                block_end = i + std::min(kDrawBlock, (end - i) / 4 * 4);
                draw_block(i, block_end - i, event_block.data(), noise_block.data());
            }
            const std::size_t in_block = i - block_begin;
            const __m256d d = _mm256_loadu_pd(distress + i), a = _mm256_loadu_pd(agency + i);
            const __m256d k = _mm256_loadu_pd(knowledge + i);
            const __m256d s = _mm256_loadu_pd(strengths + i);
            const __m256d r = _mm256_loadu_pd(recreation + i);
            const __m256d help = _mm256_loadu_pd(received + i);
            __m256d m_experience = zero, m_self_actualising = zero, m_decision = zero;
            __m256d m_strengths = zero, m_recreation = zero, self = zero, provider = zero;
            if (exposed) {
                m_experience = resource_avx2(i, kResExperience);
                m_self_actualising = resource_avx2(i, kResSelfActualising);
                m_decision = resource_avx2(i, kResDecision);
                m_strengths = resource_avx2(i, kResStrengths);
                m_recreation = resource_avx2(i, kResRecreation);
                self = _mm256_cvtepi32_pd(
                    _mm_loadu_si128(reinterpret_cast<const __m128i*>(expert_self + i)));
                provider = _mm256_cvtepi32_pd(
                    _mm_loadu_si128(reinterpret_cast<const __m128i*>(expert_provider + i)));
            }

            __m256d sum = _mm256_add_pd(beta_0, _mm256_mul_pd(beta_help, help));
            sum = _mm256_add_pd(sum, _mm256_mul_pd(beta_agency, a));
            sum = _mm256_add_pd(sum, _mm256_mul_pd(_mm256_mul_pd(beta_knowledge, m_experience), k));
            sum = _mm256_add_pd(sum, _mm256_mul_pd(beta_strengths, s));
            sum = _mm256_add_pd(sum, _mm256_mul_pd(beta_recreation, r));
            const __m256d relief = _mm256_mul_pd(
                sum, _mm256_add_pd(one, _mm256_mul_pd(_mm256_mul_pd(gamma, m_self_actualising),
                                                      _mm256_loadu_pd(tau + i))));
            const __m256d lonely_exponent = _mm256_div_pd(_mm256_xor_pd(help, sign), h_0);
            alignas(32) double lonely[4];
            if (fast_exp) {
                _mm256_store_pd(lonely, detail::exp4(lonely_exponent));
            } else {
                _mm256_store_pd(lonely, lonely_exponent);
                for (double& x : lonely) x = std::exp(x);
            }
            __m256d stress =
                _mm256_add_pd(theta_0, _mm256_mul_pd(theta_v, _mm256_loadu_pd(vulnerability + i)));
            stress = _mm256_add_pd(stress, _mm256_mul_pd(theta_s, _mm256_loadu_pd(strain + i)));
            stress = _mm256_add_pd(stress, _mm256_mul_pd(theta_l, _mm256_load_pd(lonely)));
            stress = _mm256_add_pd(stress,
                                   events ? _mm256_load_pd(event_block.data() + in_block) : zero);
            __m256d next = _mm256_sub_pd(d, _mm256_mul_pd(relief, d));
            next = _mm256_add_pd(next, _mm256_mul_pd(stress, _mm256_sub_pd(one, d)));
            next =
                _mm256_add_pd(next, noisy ? _mm256_load_pd(noise_block.data() + in_block) : zero);
            _mm256_storeu_pd(next_d + i, clip01_avx2(next));

            const __m256d help_given = helper_effect ? _mm256_loadu_pd(given + i) : zero;
            __m256d gain = _mm256_add_pd(_mm256_mul_pd(alpha_given, help_given),
                                         _mm256_mul_pd(alpha_self, self));
            gain = _mm256_add_pd(gain, _mm256_mul_pd(alpha_decision, m_decision));
            const __m256d loss = _mm256_add_pd(_mm256_mul_pd(delta_dependency, provider),
                                               _mm256_mul_pd(delta_distress, d));
            next = _mm256_add_pd(a, _mm256_mul_pd(gain, _mm256_sub_pd(one, a)));
            next = _mm256_sub_pd(next, _mm256_mul_pd(loss, a));
            next = _mm256_add_pd(next,
                                 _mm256_mul_pd(mu, _mm256_sub_pd(_mm256_loadu_pd(agency0 + i), a)));
            _mm256_storeu_pd(next_a + i, clip01_avx2(next));

            const __m256d taught = _mm256_add_pd(
                _mm256_mul_pd(alpha_knowledge,
                              offered != nullptr ? _mm256_loadu_pd(offered + i) : zero),
                _mm256_mul_pd(alpha_experience, m_experience));
            _mm256_storeu_pd(next_k + i, clip01_avx2(_mm256_add_pd(
                                             k, _mm256_mul_pd(taught, _mm256_sub_pd(one, k)))));

            const __m256d worn = _mm256_mul_pd(delta_distress, d);
            _mm256_storeu_pd(next_s + i,
                             restored_avx2(s, _mm256_mul_pd(alpha_strengths, m_strengths), worn, mu,
                                           _mm256_loadu_pd(strengths0 + i)));
            _mm256_storeu_pd(next_r + i,
                             restored_avx2(r, _mm256_mul_pd(alpha_recreation, m_recreation), worn,
                                           mu, _mm256_loadu_pd(recreation0 + i)));
        }
        run(i, end);
    }
#endif
};

/// kernel.run_avx2(begin, end) where `vectorise` (vector_kernels_active() and the kernel's own
/// conditions), else kernel.run(begin, end): both give the same bits.
template <typename Kernel>
void run_kernel(Kernel& kernel, bool vectorise, std::size_t begin, std::size_t end) {
#if defined(__x86_64__)
    if (vectorise) {
        kernel.run_avx2(begin, end);
        return;
    }
#else
    (void)vectorise;
#endif
    kernel.run(begin, end);
}
}  // namespace

void set_vector_kernels(bool enabled) { vector_kernels_enabled.store(enabled); }

bool vector_kernels_active() {
#if defined(__x86_64__)
    static const bool supported = [] {
        __builtin_cpu_init();  // also safe when called before libgcc's own initialiser ran
        return __builtin_cpu_supports("avx2") != 0;
    }();
    return supported && vector_kernels_enabled.load(std::memory_order_relaxed);
#else
    return false;
#endif
}

std::span<const MechanismInfo> mechanism_table() {
    static constexpr MechanismInfo kTable[] = {
        {"help_flow", "help on ties (H, G and mutual help)", &Mechanisms::help_flow},
        {"helper_effect", "agency gained by giving help (alpha_help_given)",
         &Mechanisms::helper_effect},
        {"expertise_effects", "agency gained or lost through where expertise lies (Es, Ep)",
         &Mechanisms::expertise_effects},
        {"knowledge_transfer", "experiential knowledge offered on peer-expertise ties (Kin)",
         &Mechanisms::knowledge_transfer},
        {"tie_dynamics", "strengthening, weakening, decay and dissolution of natural ties",
         &Mechanisms::tie_dynamics},
        {"friendship_formation", "new friendships", &Mechanisms::friendship_formation},
        {"activation", "programs activating natural ties", &Mechanisms::activation},
    };
    return kTable;
}

void Flows::resize(std::size_t n) {
    help_received.resize(n);
    help_given.resize(n);
    strain.resize(n);
    knowledge_offered.resize(n);
}

void Exposure::resize(std::size_t n) {
    resources.assign(n, ResourceVector{});
    expert_self.assign(n, 0);
    expert_provider.assign(n, 0);
}

Simulation::Simulation(World world, RunSpec spec)
    : world_(std::move(world)), spec_(std::move(spec)) {
    if (spec_.weeks < 1) {
        throw InputError(fmt::format("weeks: expected at least 1, found {}", spec_.weeks));
    }
    int arm_count = 0;
    for (std::size_t i = 0; i < world_.agent_count(); ++i) {
        if (world_.arm[i] != kNone) {
            if (world_.role[i] != Role::patient) {
                throw InputError(fmt::format("agent {}: only patients belong to arms, found {}", i,
                                             to_string(world_.role[i])));
            }
            arm_count = std::max(arm_count, world_.arm[i] + 1);
        }
    }
    for (std::size_t e = 0; e < spec_.enrolments.size(); ++e) {
        const Enrolment& enrolment = spec_.enrolments[e];
        if (enrolment.arm < 0) {
            throw InputError(fmt::format("enrolment {} ({}): invalid arm {}", e,
                                         enrolment.program.name, enrolment.arm));
        }
        if (enrolment.start_week < 0 || enrolment.start_week >= spec_.weeks ||
            enrolment.end_week <= enrolment.start_week) {
            throw InputError(fmt::format(
                "enrolment {} ({}): expected 0 <= start_week < weeks ({}) and start_week < "
                "end_week, found {} and {}",
                e, enrolment.program.name, spec_.weeks, enrolment.start_week, enrolment.end_week));
        }
        if (enrolment.program.caseload < 1 || enrolment.program.group_size < 1 ||
            enrolment.program.staff_per_group < 0) {
            throw InputError(
                fmt::format("enrolment {} ({}): caseload and group_size must be at "
                            "least 1 and staff_per_group at least 0",
                            e, enrolment.program.name));
        }
        arm_count = std::max(arm_count, enrolment.arm + 1);
    }
    arm_patients_.resize(static_cast<std::size_t>(arm_count));
    for (std::size_t i = 0; i < world_.agent_count(); ++i) {
        if (world_.arm[i] != kNone) arm_patients_[world_.arm[i]].push_back(static_cast<AgentId>(i));
    }
    if (!world_.adjacency_valid()) world_.rebuild_adjacency();
}

bool Simulation::enrolment_active(EnrolmentId e) const {
    const Enrolment& enrolment = spec_.enrolments[e];
    return enrolment.start_week <= week_ && week_ < enrolment.end_week;
}

double Simulation::help_on_tie(TieIndex e, AgentId from) const {
    const double q = world_.tie_q[e];
    if (q <= 0.0 || !spec_.mechanisms.help_flow) return 0.0;
    double help = world_.tie_w[e] * q * (1.0 - world_.state.distress[from]);
    if (world_.tie_client[e] == from) help *= world_.tie_rho[e];
    if (world_.tie_type[e] == TieType::peer) {
        help *= 1.0 + spec_.params.beta_peer * world_.state.knowledge[from];
    }
    return help;
}

// ---- Step 1: delivery (spec §4) ----------------------------------------------------------

void Simulation::start_enrolment(EnrolmentId e) {
    const Enrolment& enrolment = spec_.enrolments[e];
    const ProgramSpec& program = enrolment.program;
    const std::vector<AgentId>& patients = arm_patients_[enrolment.arm];
    const std::size_t n = patients.size();
    if (n == 0) return;
    const double m_soc = program.social_resource();
    const double one_to_one_w = program.strength * m_soc;
    const double group_w = program.group_strength * m_soc;
    const auto caseload = static_cast<std::size_t>(program.caseload);
    const auto group_size = static_cast<std::size_t>(program.group_size);

    for (std::size_t el = 0; el < program.delivery.size(); ++el) {
        const DeliveryElement& element = program.delivery[el];
        TieInit tie;
        tie.q = program.valence;
        tie.rho = program.reciprocity;
        tie.expertise = program.expertise;
        tie.enrolment = e;
        tie.element = static_cast<std::int32_t>(el);
        tie.w = one_to_one_w;
        switch (element.kind) {
            case ElementKind::professional:
            case ElementKind::peer_worker: {
                const bool peer = element.kind == ElementKind::peer_worker;
                const Role role = peer ? Role::peer_worker : Role::professional;
                tie.type = peer ? TieType::peer : TieType::professional;
                const std::size_t providers = (n + caseload - 1) / caseload;
                const auto first = static_cast<AgentId>(world_.agent_count());
                for (std::size_t p = 0; p < providers; ++p) {
                    world_.add_agent(provider_init(role, week_));
                }
                for (std::size_t k = 0; k < n; ++k) {
                    tie.i = patients[k];
                    tie.j = first + static_cast<AgentId>(k / caseload);
                    tie.client = tie.i;
                    tie.provider = tie.j;
                    world_.add_tie(tie);
                }
                break;
            }
            case ElementKind::volunteer: {
                tie.type = TieType::friend_;
                for (std::size_t k = 0; k < n; ++k) {
                    const AgentId volunteer =
                        world_.add_agent(provider_init(Role::volunteer, week_));
                    tie.i = patients[k];
                    tie.j = volunteer;
                    tie.client = tie.i;
                    tie.provider = volunteer;
                    world_.add_tie(tie);
                }
                break;
            }
            case ElementKind::group: {
                tie.type = element.group_tie_type;
                tie.w = group_w;
                tie.rho = 1.0;
                tie.client = kNone;
                tie.provider = kNone;
                for (std::size_t begin = 0; begin < n; begin += group_size) {
                    const std::size_t end = std::min(begin + group_size, n);
                    for (std::size_t x = begin; x < end; ++x) {
                        for (std::size_t y = x + 1; y < end; ++y) {
                            tie.i = patients[x];
                            tie.j = patients[y];
                            world_.add_tie(tie);
                        }
                    }
                }
                break;
            }
            case ElementKind::staff: {
                tie.type = TieType::professional;
                for (std::size_t begin = 0; begin < n; begin += group_size) {
                    const std::size_t end = std::min(begin + group_size, n);
                    for (int s = 0; s < program.staff_per_group; ++s) {
                        const AgentId staff =
                            world_.add_agent(provider_init(Role::professional, week_));
                        for (std::size_t x = begin; x < end; ++x) {
                            tie.i = patients[x];
                            tie.j = staff;
                            tie.client = patients[x];
                            tie.provider = staff;
                            world_.add_tie(tie);
                        }
                    }
                }
                break;
            }
            case ElementKind::activate:
                break;  // acts through compute_exposure() while the enrolment is active
        }
    }
}

void Simulation::end_enrolments() {
    std::vector<std::uint8_t> ending(spec_.enrolments.size(), 0);
    bool any_ending = false;
    for (std::size_t e = 0; e < spec_.enrolments.size(); ++e) {
        if (spec_.enrolments[e].end_week == week_) ending[e] = any_ending = true;
    }
    if (!any_ending) return;
    if (!world_.adjacency_valid()) world_.update_adjacency();
    std::vector<std::uint8_t> remove(world_.tie_count(), 0);
    bool any_removed = false;
    // One pass in tie index order, which is creation order across all enrolments ending now;
    // a converted tie is natural at once, so a later tie of the same pair sees it through
    // has_natural_tie() and is removed instead.
    for (std::size_t t = 0; t < world_.tie_count(); ++t) {
        const EnrolmentId e = world_.tie_enrolment[t];
        if (e == kNone || !ending[e]) continue;
        const auto tie = static_cast<TieIndex>(t);
        const DeliveryElement& element =
            spec_.enrolments[e].program.delivery[world_.tie_element[t]];
        bool convert = false;
        if (element.kind == ElementKind::group) {
            convert = true;
        } else if (element.kind == ElementKind::volunteer ||
                   element.kind == ElementKind::peer_worker) {
            const double p = element.persist_probability;
            if (p > 0.0) {
                RandomStream stream(spec_.seed, spec_.replicate, static_cast<std::uint64_t>(week_),
                                    tie_entity(world_.tie_u[t], world_.tie_v[t]), Purpose::persist,
                                    static_cast<std::uint64_t>(e) + 1);
                convert = stream.bernoulli(p);
            }
        }
        if (convert && !world_.has_natural_tie(world_.tie_u[t], world_.tie_v[t])) {
            world_.tie_enrolment[tie] = kNone;
            world_.tie_element[tie] = kNone;
            world_.tie_rho[tie] = 1.0;
            world_.tie_expertise[tie] = Expertise::none;
            world_.tie_client[tie] = kNone;
            world_.tie_provider[tie] = kNone;
        } else {
            remove[t] = 1;
            any_removed = true;
        }
    }
    if (any_removed) world_.remove_ties(remove);  // patches the adjacency
}

// ---- Step 2: exposure and activation --------------------------------------------------------

void Simulation::compute_exposure() {
    const std::size_t n = world_.agent_count();
    bool any_active = false;
    bool activates = false;
    for (std::size_t e = 0; e < spec_.enrolments.size(); ++e) {
        if (!enrolment_active(static_cast<EnrolmentId>(e))) continue;
        any_active = true;
        const ProgramSpec& program = spec_.enrolments[e].program;
        for (const DeliveryElement& element : program.delivery) {
            activates = activates ||
                        (element.kind == ElementKind::activate && program.social_resource() > 0.0);
        }
    }
    activation_on_ = activates && spec_.mechanisms.activation;
    if (!any_active) {
        // Nothing to expose: zeros, written only when something changed; never allocated
        // while no enrolment has been active (update_agents() then reads no exposure).
        if (!exposure_zero_ ||
            (!exposure_.expert_self.empty() && exposure_.expert_self.size() != n)) {
            exposure_.resize(n);
        }
        exposure_zero_ = true;
        return;
    }
    exposure_.resize(n);
    exposure_zero_ = false;
    if (activation_on_) {
        activation_w_.assign(world_.tie_count(), 0.0);
        activation_q_.assign(world_.tie_count(), 0.0);
    }
    for (std::size_t e = 0; e < spec_.enrolments.size(); ++e) {
        if (!enrolment_active(static_cast<EnrolmentId>(e))) continue;
        const ProgramSpec& program = spec_.enrolments[e].program;
        const double m_soc = program.social_resource();
        for (const AgentId patient : arm_patients_[spec_.enrolments[e].arm]) {
            ResourceVector& m = exposure_.resources[patient];
            for (int r = 0; r < kResourceCount; ++r) m[r] = std::max(m[r], program.resources[r]);
            if (spec_.mechanisms.expertise_effects) {
                if (program.expertise == Expertise::patient ||
                    program.expertise == Expertise::everyone) {
                    ++exposure_.expert_self[patient];
                }
                if (program.expertise == Expertise::provider) {
                    ++exposure_.expert_provider[patient];
                }
            }
            // No social resource: activates nothing.
            if (m_soc <= 0.0 || !activation_on_) continue;
            for (const DeliveryElement& element : program.delivery) {
                if (element.kind != ElementKind::activate) continue;
                for (auto it = world_.neighbours_begin(patient);
                     it != world_.neighbours_end(patient); ++it) {
                    const TieIndex tie = it->tie;
                    if (world_.tie_enrolment[tie] != kNone) continue;
                    if (std::find(element.activate_types.begin(), element.activate_types.end(),
                                  world_.tie_type[tie]) == element.activate_types.end()) {
                        continue;
                    }
                    activation_w_[tie] = std::max(activation_w_[tie], element.a_w * m_soc);
                    activation_q_[tie] = std::max(activation_q_[tie], element.a_q * m_soc);
                }
            }
        }
    }
}

// ---- Step 3: flows (spec §3.1) --------------------------------------------------------------

void Simulation::compute_tie_pass() {
    const std::size_t m = world_.tie_count();
    const bool activation = activation_on_;
    // Knowledge flows only on ties with expertise peers or everyone (program ties): skip the
    // array while there are none.
    knowledge_on_ = spec_.mechanisms.knowledge_transfer && any_teaching_tie(world_.tie_expertise);
    tie_flow_.resize(m);
    w_next_.resize(m);
    if (knowledge_on_) tie_knowledge_.resize(m);
    if (activation) q_next_.resize(m);
    dissolving_.clear();
    std::mutex dissolving_mutex;  // ranges with dissolving ties append them (order is not used)
    std::atomic<bool> negative_zero_q{false};
    // The vector kernel covers the common week: help flowing, ties changing, no activation and
    // no knowledge transfer (the other weeks take the scalar path throughout).
    const bool vectorise = vector_kernels_active() && spec_.mechanisms.help_flow &&
                           spec_.mechanisms.tie_dynamics && !activation && !knowledge_on_;

    // What every range starts from (each range copies it and keeps its own findings).
    const TiePass start{spec_.params,
                        spec_.mechanisms.help_flow,
                        spec_.mechanisms.tie_dynamics,
                        activation,
                        knowledge_on_,
                        m,
                        world_.tie_u.data(),
                        world_.tie_v.data(),
                        world_.tie_w.data(),
                        world_.tie_q.data(),
                        world_.tie_rho.data(),
                        world_.tie_type.data(),
                        world_.tie_expertise.data(),
                        world_.tie_client.data(),
                        world_.tie_enrolment.data(),
                        world_.state.distress.data(),
                        world_.state.knowledge.data(),
                        activation ? activation_w_.data() : nullptr,
                        activation ? activation_q_.data() : nullptr,
                        tie_flow_.data(),
                        knowledge_on_ ? tie_knowledge_.data() : nullptr,
                        w_next_.data(),
                        activation ? q_next_.data() : nullptr,
                        {}};

    parallel_for_ranges(
        m,
        [&](std::size_t begin, std::size_t end) {
            TiePass pass = start;
            run_kernel(pass, vectorise, begin, end);
            store_fence();
            if (pass.negative_zero) negative_zero_q.store(true, std::memory_order_relaxed);
            if (!pass.dissolving.empty()) {
                const std::lock_guard<std::mutex> lock(dissolving_mutex);
                dissolving_.insert(dissolving_.end(), pass.dissolving.begin(),
                                   pass.dissolving.end());
            }
        },
        4096);
    negative_zero_q_ = negative_zero_q.load();
}

void Simulation::gather_flows() {
    const std::size_t n = world_.agent_count();
    flows_.resize(n);
    const Gather start{world_.adjacency_offsets(),
                       world_.adjacency_entries(),
                       n > 0 ? world_.adjacency_offsets()[n] : 0,
                       tie_flow_.data(),
                       knowledge_on_ ? tie_knowledge_.data() : nullptr,
                       flows_.help_received.data(),
                       flows_.help_given.data(),
                       flows_.strain.data(),
                       knowledge_on_ || !offered_zero_ ? flows_.knowledge_offered.data() : nullptr};
    // The vector kernel covers the weeks in which no knowledge is offered (as the tie pass's).
    const bool vectorise = vector_kernels_active() && !knowledge_on_;
    parallel_for_ranges(n, [&](std::size_t begin, std::size_t end) {
        const Gather gather = start;
        run_kernel(gather, vectorise, begin, end);
    });
    // Without knowledge offered the gather wrote +0.0 for every agent (or left the zeros there).
    offered_zero_ = !knowledge_on_;
}

void Simulation::begin_week() {
    if (week_begun_) throw RuntimeFailure("Simulation::begin_week called twice for one week");
    for (std::size_t e = 0; e < spec_.enrolments.size(); ++e) {
        if (spec_.enrolments[e].start_week == week_) start_enrolment(static_cast<EnrolmentId>(e));
    }
    end_enrolments();
    if (!world_.adjacency_valid()) world_.update_adjacency();
    compute_exposure();
    compute_tie_pass();
    gather_flows();
    agents_at_begin_ = world_.agent_count();
    ties_at_begin_ = world_.tie_count();
    week_begun_ = true;
}

// ---- Step 4: updates (spec §3.2–§3.5) -------------------------------------------------------

void Simulation::update_agents() {
    DynamicState& next = world_.next;
    next.resize(world_.agent_count());
    const bool exposed = !exposure_zero_;
    const AgentUpdate start{spec_.params,
                            spec_.seed,
                            spec_.replicate,
                            static_cast<std::uint64_t>(week_),
                            spec_.mechanisms.helper_effect,
                            exposed ? exposure_.resources.data() : nullptr,
                            exposed ? exposure_.expert_self.data() : nullptr,
                            exposed ? exposure_.expert_provider.data() : nullptr,
                            world_.state.distress.data(),
                            world_.state.agency.data(),
                            world_.state.knowledge.data(),
                            world_.state.strengths.data(),
                            world_.state.recreation.data(),
                            world_.tau.data(),
                            world_.vulnerability.data(),
                            world_.agency0.data(),
                            world_.strengths0.data(),
                            world_.recreation0.data(),
                            flows_.help_received.data(),
                            flows_.help_given.data(),
                            flows_.strain.data(),
                            offered_zero_ ? nullptr : flows_.knowledge_offered.data(),
                            next.distress.data(),
                            next.agency.data(),
                            next.knowledge.data(),
                            next.strengths.data(),
                            next.recreation.data()};
    const bool vectorise = vector_kernels_active();
    parallel_for_ranges(world_.agent_count(), [&](std::size_t begin, std::size_t end) {
        const AgentUpdate update = start;
        run_kernel(update, vectorise, begin, end);
    });
}

void Simulation::update_natural_ties() {
    // The new w and q were computed with the flows (compute_tie_pass) from the state at t.
    std::swap(world_.tie_w, w_next_);
    if (activation_on_) {
        std::swap(world_.tie_q, q_next_);
    } else if (negative_zero_q_) {  // q + 0·(1 − q) turns −0.0 into +0.0 on natural ties
        for (std::size_t e = 0; e < world_.tie_count(); ++e) {
            if (world_.tie_enrolment[e] == kNone) {
                const double q = world_.tie_q[e];
                world_.tie_q[e] = std::min(std::max(q + 0.0 * (1.0 - q), -1.0), 1.0);
            }
        }
    }
    if (!dissolving_.empty()) {  // patches the adjacency
        std::vector<std::uint8_t> dissolve(world_.tie_count(), 0);
        for (const TieIndex e : dissolving_) dissolve[static_cast<std::size_t>(e)] = 1;
        world_.remove_ties(dissolve);
    }
}

AgentId Simulation::choose_partner(std::size_t index, std::uint64_t week) const {
    const Parameters& p = spec_.params;
    if (world_.role[index] != Role::patient) return kNone;
    const auto i = static_cast<AgentId>(index);
    const double probability =
        p.phi * world_.state.recreation[index] * (1.0 - world_.state.distress[index]);
    if (probability <= 0.0) return kNone;
    RandomStream attempt(spec_.seed, spec_.replicate, week, index, Purpose::friendship_attempt);
    if (!attempt.bernoulli(probability)) return kNone;

    // Everyone i is tied to (any tie), sorted, to test "not already tied to i" (a buffer per
    // attempt, and only patients who attempt build one).
    std::vector<AgentId> tied;
    tied.reserve(world_.degree(i));
    for (auto it = world_.neighbours_begin(i); it != world_.neighbours_end(i); ++it) {
        tied.push_back(it->neighbour);
    }
    std::sort(tied.begin(), tied.end());
    const auto is_tied = [&](AgentId j) { return std::binary_search(tied.begin(), tied.end(), j); };

    RandomStream choose(spec_.seed, spec_.replicate, week, index, Purpose::friendship_partner);
    if (choose.bernoulli(p.p_triadic_closure)) {
        std::vector<AgentId> two_steps;
        for (auto it = world_.neighbours_begin(i); it != world_.neighbours_end(i); ++it) {
            if (world_.tie_type[it->tie] == TieType::professional) continue;
            const AgentId j = it->neighbour;
            for (auto jt = world_.neighbours_begin(j); jt != world_.neighbours_end(j); ++jt) {
                if (world_.tie_type[jt->tie] == TieType::professional) continue;
                const AgentId l = jt->neighbour;
                if (l != i && !is_tied(l)) two_steps.push_back(l);
            }
        }
        if (!two_steps.empty()) {
            std::sort(two_steps.begin(), two_steps.end());
            two_steps.erase(std::unique(two_steps.begin(), two_steps.end()), two_steps.end());
            return two_steps[choose.below(two_steps.size())];
        }
    }
    // Uniform over non-professional agents other than i and not tied to i: rejection
    // sampling, then (rarely) an explicit list; both are uniform on the eligible set.
    for (int attempt_no = 0; attempt_no < kFallbackRejectionTries; ++attempt_no) {
        const AgentId j = eligible_pool_[choose.below(eligible_pool_.size())];
        if (j != i && !is_tied(j)) return j;
    }
    std::vector<AgentId> eligible;
    for (const AgentId j : eligible_pool_) {
        if (j != i && !is_tied(j)) eligible.push_back(j);
    }
    return eligible.empty() ? kNone : eligible[choose.below(eligible.size())];
}

void Simulation::form_friendships() {
    const Parameters& p = spec_.params;
    if (p.phi <= 0.0 || !spec_.mechanisms.friendship_formation) return;
    const std::size_t n = world_.agent_count();
    const auto week = static_cast<std::uint64_t>(week_);
    // Agents whose role is not professional, ascending: roles never change and agents are only
    // appended, so the pool is extended, never rebuilt (no O(agents) list per week).
    for (; eligible_covered_ < n; ++eligible_covered_) {
        if (world_.role[eligible_covered_] != Role::professional) {
            eligible_pool_.push_back(static_cast<AgentId>(eligible_covered_));
        }
    }
    // Each fixed chunk of agents lists its (smaller, larger) pairs: few patients attempt in a
    // week, so nothing is written per agent.
    constexpr std::size_t kChunk = 4096;
    std::vector<std::vector<std::pair<AgentId, AgentId>>> chosen((n + kChunk - 1) / kChunk);
    parallel_for_each_index(
        chosen.size(),
        [&](std::size_t chunk) {
            const std::size_t end = std::min(n, (chunk + 1) * kChunk);
            for (std::size_t index = chunk * kChunk; index < end; ++index) {
                const AgentId partner = choose_partner(index, week);
                if (partner == kNone) continue;
                const auto i = static_cast<AgentId>(index);
                chosen[chunk].emplace_back(std::min(i, partner), std::max(i, partner));
            }
        },
        1);

    // Ties formed this week do not see each other; a pair chosen twice gets one tie.
    // Ties are added in ascending (smaller id, larger id) order.
    std::vector<std::pair<AgentId, AgentId>> added;
    for (const auto& list : chosen) added.insert(added.end(), list.begin(), list.end());
    std::sort(added.begin(), added.end());
    added.erase(std::unique(added.begin(), added.end()), added.end());
    for (const auto& [i, j] : added) {
        TieInit tie;
        tie.i = i;
        tie.j = j;
        tie.type = TieType::friend_;
        tie.w = p.w_new;
        tie.q = p.q_new;
        world_.add_tie(tie);
    }
    if (!added.empty()) world_.update_adjacency();  // merges the new ties in
}

void Simulation::update_recovery() {
    parallel_for_ranges(world_.agent_count(), [&](std::size_t begin, std::size_t end) {
        // Local copies: the stores to streak cannot alias them, so they stay in registers.
        const double d_rec = spec_.params.d_rec;
        const int rec_weeks = spec_.params.rec_weeks, week = week_;
        const double* const distress = world_.state.distress.data();
        int *const streak = world_.streak.data(), *const recovered = world_.recovered_week.data();
        for (std::size_t i = begin; i < end; ++i) {
            const int weeks_below = distress[i] < d_rec ? streak[i] + 1 : 0;
            streak[i] = weeks_below;
            // Branch-free (GCC vectorises the loop): an unconditional store of the same value.
            const int was = recovered[i];
            recovered[i] = was == kNone && weeks_below >= rec_weeks ? week : was;
        }
    });
}

void Simulation::finish_week() {
    if (!week_begun_) throw RuntimeFailure("Simulation::finish_week called before begin_week");
    if (ties_at_begin_ != world_.tie_count() || agents_at_begin_ != world_.agent_count()) {
        throw RuntimeFailure("Simulation::finish_week: agents or ties changed after begin_week");
    }
    update_agents();
    update_natural_ties();  // reads d at t: agents are swapped in only afterwards
    world_.swap_state();
    form_friendships();  // from the updated states and the ties after dissolution
    ++week_;
    update_recovery();
    week_begun_ = false;
}

void Simulation::step() {
    begin_week();
    finish_week();
}

}  // namespace kindred
