// Design study for docs/performance.md: how fast would a deterministic week be if it were one
// pass over the adjacency instead of Kindred's two (a pass over the ties, then a gather per
// agent)? The study keeps a copy of every tie's w and q at both of its adjacency entries, so
// that each agent computes its ties' help in both directions, its flows, its own update and its
// copies of the new w from the two ends' state alone: the only random reads left are the
// neighbours' distress and knowledge, as in the sparse matrix–vector floor. Both ends of a tie
// evaluate the same expression in the same order, so their copies of w stay equal bit for bit.
//
// It covers what the benchmark worlds need (natural ties, no programs, σ = 0, p_event = 0,
// φ = 0) and nothing else, so it is a measurement, not a second implementation of the model.
// Before timing it runs Kindred and the single pass side by side and requires every agent's
// d, a, k, s, r and streak, and the number of ties left, to be identical after each week.
//
// A blocked variant with the entries' arithmetic in AVX2 intrinsics, also bit-identical, was
// slower (commit 69d2ec1; docs/performance.md, "What was tried").
//
// In one process, one thread, interleaved rounds (best of each):
//   - the floor: y = A·x with Eigen over the same adjacency (as baselines/spmv_floor.cpp);
//   - a Kindred week (Simulation::step, deterministic);
//   - a single-pass week;
//   - the same pass without the model's arithmetic (memory_only);
//   - the least memory traffic of a week among the layouts measured, each tie stored once
//     (TieOnceTraffic): a lower bound for a week in that layout, not a correct program;
//   - the machine's sequential read bandwidth (a sum over a 512 MiB array, --stream-mib).
//
//   single_pass_study --agents 1000000 --check-weeks 5 --rounds 5
#include <fmt/format.h>
#include <tbb/global_control.h>

#include <CLI/CLI.hpp>
#include <Eigen/SparseCore>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <vector>

#include "../bench_world.hpp"

namespace {

using namespace kindred;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

double clip01(double x) { return std::min(std::max(x, 0.0), 1.0); }

/// The world of a deterministic, program-free run laid out for one pass over the adjacency.
class SinglePass {
  public:
    SinglePass(const World& world, const Parameters& params) : p_(params) {
        const std::size_t n = world.agent_count();
        offsets_.resize(n + 1);
        for (std::size_t i = 0; i < n; ++i) {
            const auto id = static_cast<AgentId>(i);
            offsets_[i] =
                static_cast<std::size_t>(world.neighbours_begin(id) - world.neighbours_begin(0));
            for (auto it = world.neighbours_begin(id); it != world.neighbours_end(id); ++it) {
                const auto e = static_cast<std::size_t>(it->tie);
                if (world.tie_enrolment[e] != kNone) {
                    throw std::runtime_error("the study covers natural ties only");
                }
                neighbour_.push_back(it->neighbour);
                w_.push_back(world.tie_w[e]);
                q_.push_back(world.tie_q[e]);
                std::uint8_t flags = kAlive;
                if (it->neighbour > id) flags |= kSelfIsU;
                if (world.tie_type[e] == TieType::peer) flags |= kPeer;
                if (world.tie_type[e] == TieType::family) flags |= kFamily;
                flags_.push_back(flags);
            }
        }
        offsets_[n] = neighbour_.size();
        state_ = world.state;
        next_ = world.state;
        tau_ = world.tau;
        vulnerability_ = world.vulnerability;
        agency0_ = world.agency0;
        strengths0_ = world.strengths0;
        recreation0_ = world.recreation0;
        streak_ = world.streak;
        ties_ = world.tie_count();
    }

    /// One week: flows, agent update, tie update with dissolution, recovery streak, agent by
    /// agent over the adjacency.
    void step() {
        const Parameters p = p_;
        const std::size_t n = offsets_.size() - 1;
        const double *const dd = state_.distress.data(), *const kk = state_.knowledge.data();
        const AgentId* const neighbour = neighbour_.data();
        double* const w_of = w_.data();
        const double* const q_of = q_.data();
        std::uint8_t* const flags_of = flags_.data();
        const std::size_t entries = neighbour_.size();
        std::size_t dissolved = 0;
        for (std::size_t index = 0; index < n; ++index) {
            const double d_i = dd[index], k_i = kk[index];
            double received = 0.0, given = 0.0, strain = 0.0;
            for (std::size_t x = offsets_[index]; x < offsets_[index + 1]; ++x) {
                // The neighbours' distress is read at random: fetch it ahead (as Kindred does).
                if (x + 128 < entries) __builtin_prefetch(&dd[neighbour[x + 128]]);
                const std::uint8_t flags = flags_of[x];
                if (!(flags & kAlive)) continue;  // dissolved: rare, so predictable
                const AgentId j = neighbour[x];
                const bool i_is_u = (flags & kSelfIsU) != 0, peer = (flags & kPeer) != 0;
                const double d_u = i_is_u ? d_i : dd[j], d_v = i_is_u ? dd[j] : d_i;
                const double k_j = peer ? kk[j] : 0.0;  // read only where it is used
                const double k_u = i_is_u ? k_i : k_j, k_v = i_is_u ? k_j : k_i;
                const double w = w_of[x], q = q_of[x];
                // Kindred's tie pass (compute_tie_pass), term for term, without branches: with
                // q ≤ 0 the products are +0 (w, 1 − d ≥ 0), the 0 Kindred assigns; a factor 1
                // (no peer tie) is exact.
                const double q_help = q > 0.0 ? q : 0.0;
                const double from_u =
                    w * q_help * (1.0 - d_u) * (peer ? 1.0 + p.beta_peer * k_u : 1.0);
                const double from_v =
                    w * q_help * (1.0 - d_v) * (peer ? 1.0 + p.beta_peer * k_v : 1.0);
                const double to_u = q < 0.0 ? -(w * std::max(-q, 0.0)) : from_v;
                const double to_v = from_u;
                // Kindred's gather (gather_flows).
                const bool hostile = to_u < 0.0;
                received += hostile ? 0.0 : (i_is_u ? to_u : to_v);
                given += hostile ? 0.0 : (i_is_u ? to_v : to_u);
                strain += hostile ? -to_u : 0.0;
                // Kindred's natural-tie update: this end's copy of w.
                const double mutual = w > 0.0 ? std::min(from_u, from_v) / w : 0.0;
                double w_next = clip01(w + p.kappa_reciprocity * mutual * (1.0 - w) -
                                       p.kappa_withdrawal * w * (d_u + d_v) / 2.0 -
                                       p.kappa_decay * w + kNoActivation * (1.0 - w));
                const bool family = (flags & kFamily) != 0;
                w_next = family ? std::max(w_next, p.w_floor_family) : w_next;
                w_of[x] = w_next;
                const bool dissolves = !family && w_next < p.w_min;
                flags_of[x] = dissolves ? static_cast<std::uint8_t>(flags & ~kAlive) : flags;
                dissolved += dissolves && i_is_u ? 1 : 0;
            }
            update_agent(index, received, given, strain);
        }
        std::swap(state_, next_);
        for (std::size_t index = 0; index < n; ++index) {
            streak_[index] = state_.distress[index] < p.d_rec ? streak_[index] + 1 : 0;
        }
        ties_ -= dissolved;
    }

    /// The same pass with the model's arithmetic taken out: every entry's neighbour, w, q and
    /// flags are read and the neighbour's distress gathered, as in step(), but only w·d and
    /// q·d are summed. What is left of a week when the arithmetic costs nothing.
    double memory_only() const {
        const std::size_t n = offsets_.size() - 1;
        const double* const dd = state_.distress.data();
        const std::size_t entries = neighbour_.size();
        double total = 0.0;
        for (std::size_t index = 0; index < n; ++index) {
            double sum = 0.0, other = 0.0;
            for (std::size_t x = offsets_[index]; x < offsets_[index + 1]; ++x) {
                if (x + 128 < entries) __builtin_prefetch(&dd[neighbour_[x + 128]]);
                const double d_j = dd[neighbour_[x]];
                sum += w_[x] * d_j;
                other += (flags_[x] & kAlive) != 0 ? q_[x] * d_j : 0.0;
            }
            total += sum + other;
        }
        return total;
    }

    const DynamicState& state() const { return state_; }
    const std::vector<int>& streak() const { return streak_; }
    std::size_t ties() const { return ties_; }

  private:
    static constexpr std::uint8_t kAlive = 1, kPeer = 2, kFamily = 4, kSelfIsU = 8;
    /// Kindred adds a_w·(1 − w) with a_w = 0 when no program activates the tie: +0, which
    /// turns a −0.0 into +0.0, so it is kept.
    static constexpr double kNoActivation = 0.0;

    /// Kindred's update_agents() with no exposure (m = 0, Es = Ep = 0), no noise, no events.
    void update_agent(std::size_t i, double help, double help_given, double strain) {
        const Parameters& p = p_;
        const double m_experience = 0.0, m_self = 0.0, m_decision = 0.0, m_strengths = 0.0,
                     m_recreation = 0.0;
        const int expert_self = 0, expert_provider = 0;
        const double d = state_.distress[i], a = state_.agency[i], k = state_.knowledge[i];
        const double s = state_.strengths[i], r = state_.recreation[i];
        const double relief =
            (p.beta_0 + p.beta_help * help + p.beta_agency * a +
             p.beta_knowledge * m_experience * k + p.beta_strengths * s + p.beta_recreation * r) *
            (1.0 + p.gamma_self_actualising * m_self * tau_[i]);
        const double event = 0.0, noise = 0.0;
        const double stress = p.theta_0 + p.theta_vulnerability * vulnerability_[i] +
                              p.theta_strain * strain +
                              p.theta_loneliness * std::exp(-help / p.h_0) + event;
        next_.distress[i] = clip01(d - relief * d + stress * (1.0 - d) + noise);
        const double gain = p.alpha_help_given * help_given + p.alpha_expert_self * expert_self +
                            p.alpha_decision * m_decision;
        const double loss = p.delta_dependency * expert_provider + p.delta_distress * d;
        next_.agency[i] = clip01(a + gain * (1.0 - a) - loss * a + p.mu * (agency0_[i] - a));
        const double offered = 0.0;
        next_.knowledge[i] = clip01(
            k + (p.alpha_knowledge * offered + p.alpha_experience * m_experience) * (1.0 - k));
        next_.strengths[i] = clip01(s + p.alpha_strengths * m_strengths * (1.0 - s) -
                                    p.delta_distress * d * s + p.mu * (strengths0_[i] - s));
        next_.recreation[i] = clip01(r + p.alpha_recreation * m_recreation * (1.0 - r) -
                                     p.delta_distress * d * r + p.mu * (recreation0_[i] - r));
    }

    Parameters p_;
    std::vector<std::size_t> offsets_;
    std::vector<AgentId> neighbour_;
    std::vector<double> w_, q_;
    std::vector<std::uint8_t> flags_;
    DynamicState state_, next_;
    std::vector<double> tau_, vulnerability_, agency0_, strengths0_, recreation0_;
    std::vector<int> streak_;
    std::size_t ties_ = 0;
};

/// The least memory traffic of a deterministic week among the layouts measured, with almost none of
/// its arithmetic; not a correct program, a lower bound for the layout. Every tie is stored once,
/// grouped by its smaller end, and one pass goes over the agents in order. Each agent's distress
/// and one sum share a 16-byte record, so a tie touches one random cache line at its far end.
/// Per tie it reads the larger end's index, w and q, reads the larger end's distress and adds
/// one value to its sum (one random record), and writes w back; per agent it reads the eight
/// arrays the update reads (d, a, s, r, v, a0, s0, r0) and its sum, and writes d, a, s, r in
/// place. (This order would let a week update in place: once an agent's turn comes, no tie
/// read later reaches it, and its sum holds every tie with a smaller end.) A correct week in
/// this layout does all of this and more: three sums per end instead of one, the model's
/// arithmetic, dissolution. The values written are those read (scaled by an opaque 1, plus an
/// opaque 0), so rounds can repeat. Prefetch distances of 32, 64, 128 and 256 ties took 15.3,
/// 13.4–14.4, 13.0–13.4 and 18.4–19.2 ms at 10^6; with distress and sum in separate arrays
/// (two random lines per tie) the best was 16–17 ms.
class TieOnceTraffic {
  public:
    explicit TieOnceTraffic(const World& world)
        : a_(world.state.agency),
          s_(world.state.strengths),
          r_(world.state.recreation),
          vulnerability_(world.vulnerability),
          agency0_(world.agency0),
          strengths0_(world.strengths0),
          recreation0_(world.recreation0) {
        const std::size_t n = world.agent_count(), m = world.tie_count();
        records_.resize(n);
        for (std::size_t i = 0; i < n; ++i) records_[i] = {world.state.distress[i], 0.0};
        offsets_.assign(n + 1, 0);
        for (std::size_t e = 0; e < m; ++e) {
            ++offsets_[std::min(world.tie_u[e], world.tie_v[e]) + 1];
        }
        for (std::size_t i = 0; i < n; ++i) offsets_[i + 1] += offsets_[i];
        far_.resize(m);
        w_.resize(m);
        q_.resize(m);
        std::vector<std::size_t> next(offsets_.begin(), offsets_.end() - 1);
        for (std::size_t e = 0; e < m; ++e) {
            const std::size_t x = next[std::min(world.tie_u[e], world.tie_v[e])]++;
            far_[x] = std::max(world.tie_u[e], world.tie_v[e]);
            w_[x] = world.tie_w[e];
            q_[x] = world.tie_q[e];
        }
    }

    double run() {
        const double one = one_, zero = zero_;
        const std::size_t n = offsets_.size() - 1, m = far_.size();
        const std::size_t* const offsets = offsets_.data();
        const AgentId* const far = far_.data();
        double* const w = w_.data();
        const double* const q = q_.data();
        Record* const records = records_.data();
        double *const a = a_.data(), *const s = s_.data(), *const r = r_.data();
        const double *const v = vulnerability_.data(), *const a0 = agency0_.data(),
                            *const s0 = strengths0_.data(), *const r0 = recreation0_.data();
        double total = 0.0;
        for (std::size_t u = 0; u < n; ++u) {
            const double du = records[u].distress;
            double own = records[u].sum;
            for (std::size_t x = offsets[u]; x < offsets[u + 1]; ++x) {
                if (x + 128 < m) __builtin_prefetch(&records[far[x + 128]], 1);
                Record& other = records[far[x]];
                const double wx = w[x];
                own += wx * other.distress;
                other.sum += q[x] * du;
                w[x] = wx * one;
            }
            records[u].sum = 0.0;
            total += own;
            records[u].distress = du * one + (v[u] + a0[u] + s0[u] + r0[u] + own) * zero;
            a[u] = a[u] * one;
            s[u] = s[u] * one;
            r[u] = r[u] * one;
        }
        return total;
    }

  private:
    struct Record {
        double distress, sum;
    };
    volatile double one_ = 1.0, zero_ = 0.0;
    std::vector<std::size_t> offsets_;
    std::vector<AgentId> far_;
    std::vector<double> w_, q_;
    std::vector<Record> records_;
    std::vector<double> a_, s_, r_, vulnerability_, agency0_, strengths0_, recreation0_;
};

bool same_bits(const std::vector<double>& x, const std::vector<double>& y) {
    return x.size() == y.size() &&
           std::equal(x.begin(), x.end(), y.begin(), [](double a, double b) {
               return std::bit_cast<std::uint64_t>(a) == std::bit_cast<std::uint64_t>(b);
           });
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app("Design study: one pass over the adjacency against Kindred's week and the floor");
    bench::WorldOptions options;
    options.agents = 1000000;
    int check_weeks = 5;
    int rounds = 5;
    int stream_mib = 512;
    double kappa_decay = -1.0;
    app.add_option("--generator", options.generator, "A community model (as kindred_bench)");
    app.add_option("--agents", options.agents, "Agents of the community");
    app.add_option("--mean-degree", options.mean_degree, "Network mean degree");
    app.add_option("--seed", options.seed, "Seed of the generator");
    app.add_option("--check-weeks", check_weeks, "Weeks compared bit for bit before timing")
        ->check(CLI::Range(1, 1000));
    app.add_option("--rounds", rounds, "Timed rounds (each: 3 products, 1 week of each)")
        ->check(CLI::Range(1, 1000));
    app.add_option("--kappa-decay", kappa_decay,
                   "Tie decay κ_0 of both runs (default: the spec's; larger makes ties dissolve)")
        ->check(CLI::Range(0.0, 1.0));
    app.add_option("--stream-mib", stream_mib, "Size of the array of the bandwidth measurement")
        ->check(CLI::Range(1, 65536));
    CLI11_PARSE(app, argc, argv);

    const World world = [&] {
        tbb::global_control build(tbb::global_control::max_allowed_parallelism, 2);
        World built = bench::make_world(options);
        built.rebuild_adjacency();
        return built;
    }();
    tbb::global_control one_thread(tbb::global_control::max_allowed_parallelism, 1);
    RunSpec spec = bench::deterministic_run(check_weeks + rounds + 1);
    if (kappa_decay >= 0.0) spec.params.kappa_decay = kappa_decay;
    Simulation kindred_week(World(world), spec);
    SinglePass single(world, spec.params);
    TieOnceTraffic tie_once(world);

    for (int week = 0; week < check_weeks; ++week) {
        kindred_week.step();
        single.step();
        const DynamicState& a = kindred_week.world().state;
        const DynamicState& b = single.state();
        const bool same = same_bits(a.distress, b.distress) && same_bits(a.agency, b.agency) &&
                          same_bits(a.knowledge, b.knowledge) &&
                          same_bits(a.strengths, b.strengths) &&
                          same_bits(a.recreation, b.recreation) &&
                          kindred_week.world().streak == single.streak() &&
                          kindred_week.world().tie_count() == single.ties();
        if (!same) {
            fmt::print(stderr, "single_pass_study: week {}: the single pass differs from Kindred\n",
                       week + 1);
            return 1;
        }
    }

    const std::size_t dissolved_while_checked = world.tie_count() - single.ties();
    const std::size_t n = world.agent_count();
    Eigen::SparseMatrix<double, Eigen::RowMajor, int> matrix(static_cast<int>(n),
                                                             static_cast<int>(n));
    {
        std::vector<Eigen::Triplet<double, int>> triplets;
        triplets.reserve(2 * world.tie_count());
        for (std::size_t e = 0; e < world.tie_count(); ++e) {
            triplets.emplace_back(world.tie_u[e], world.tie_v[e], world.tie_w[e]);
            triplets.emplace_back(world.tie_v[e], world.tie_u[e], world.tie_w[e]);
        }
        matrix.setFromTriplets(triplets.begin(), triplets.end());
    }
    const Eigen::Map<const Eigen::VectorXd> x(world.state.distress.data(),
                                              static_cast<Eigen::Index>(n));
    Eigen::VectorXd y(static_cast<Eigen::Index>(n));
    std::vector<double> stream(static_cast<std::size_t>(stream_mib) << 17, 1.0);

    double floor = 1e30, kindred = 1e30, one_pass = 1e30, memory = 1e30, traffic = 1e30,
           read_seconds = 1e30, checksum = 0.0;
    for (int round = 0; round < rounds; ++round) {
        for (int product = 0; product < 3; ++product) {
            const auto start = Clock::now();
            y.noalias() = matrix * x;
            floor = std::min(floor, seconds_since(start));
            checksum += y[product];
        }
        auto start = Clock::now();
        kindred_week.step();
        kindred = std::min(kindred, seconds_since(start));
        start = Clock::now();
        single.step();
        one_pass = std::min(one_pass, seconds_since(start));
        start = Clock::now();
        checksum += single.memory_only();
        memory = std::min(memory, seconds_since(start));
        start = Clock::now();
        checksum += tie_once.run();
        traffic = std::min(traffic, seconds_since(start));
        start = Clock::now();
        double sums[4] = {0.0, 0.0, 0.0, 0.0};
        for (std::size_t i = 0; i < stream.size(); i += 4) {
            for (int lane = 0; lane < 4; ++lane) sums[lane] += stream[i + lane];
        }
        read_seconds = std::min(read_seconds, seconds_since(start));
        checksum += sums[0] + sums[1] + sums[2] + sums[3];
    }
    const double read_gb_per_s =
        static_cast<double>(stream.size() * sizeof(double)) / read_seconds / 1e9;
    fmt::print(
        "{{\"agents\": {}, \"ties\": {}, \"checked_weeks\": {}, \"identical\": true, "
        "\"dissolved_while_checked\": {}, "
        "\"rounds\": {}, \"floor_seconds\": {:.6f}, \"kindred_week_seconds\": {:.6f}, "
        "\"single_pass_week_seconds\": {:.6f}, \"memory_only_seconds\": {:.6f}, "
        "\"tie_once_traffic_seconds\": {:.6f}, "
        "\"kindred_over_floor\": {:.2f}, "
        "\"single_pass_over_floor\": {:.2f}, \"memory_only_over_floor\": {:.2f}, "
        "\"tie_once_traffic_over_floor\": {:.2f}, "
        "\"read_bandwidth_gb_per_s\": {:.1f}, "
        "\"floor_gb_per_s\": {:.1f}, \"checksum\": {:.6g}}}\n",
        n, world.tie_count(), check_weeks, dissolved_while_checked, rounds, floor, kindred,
        one_pass, memory, traffic, kindred / floor, one_pass / floor, memory / floor,
        traffic / floor, read_gb_per_s,
        static_cast<double>(matrix.nonZeros() * 12 + (n + 1) * 4) / floor / 1e9, checksum);
    return 0;
}
