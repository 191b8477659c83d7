// World storage: appending agents and ties, compaction, and the CSR adjacency.
#include "core/world.hpp"

#include <algorithm>
#include <atomic>
#include <bit>
#include <cassert>
#include <cstring>
#include <numeric>
#include <utility>

#include "core/parallel.hpp"

namespace kindred {

void DynamicState::resize(std::size_t n) {
    distress.resize(n);
    agency.resize(n);
    knowledge.resize(n);
    strengths.resize(n);
    recreation.resize(n);
}

void World::shrink_to_fit() {
    const auto shrink = [](auto&... arrays) { (arrays.shrink_to_fit(), ...); };
    for (DynamicState* values : {&state, &next}) {
        shrink(values->distress, values->agency, values->knowledge, values->strengths,
               values->recreation);
    }
    shrink(role, tau, vulnerability, agency0, strengths0, recreation0, streak, recovered_week, arm,
           created_week);
    shrink(tie_u, tie_v, tie_type, tie_w, tie_q, tie_rho, tie_expertise, tie_client, tie_provider,
           tie_enrolment, tie_element);
}

AgentId World::add_agent(const AgentInit& init) {
    const auto id = static_cast<AgentId>(role.size());
    role.push_back(init.role);
    state.distress.push_back(init.d);
    state.agency.push_back(init.a);
    state.knowledge.push_back(init.k);
    state.strengths.push_back(init.s);
    state.recreation.push_back(init.r);
    next.resize(role.size());
    tau.push_back(init.tau);
    vulnerability.push_back(init.v);
    agency0.push_back(init.a);
    strengths0.push_back(init.s);
    recreation0.push_back(init.r);
    streak.push_back(0);
    recovered_week.push_back(kNone);
    arm.push_back(init.arm);
    created_week.push_back(init.created_week);
    adjacency_valid_ = false;
    return id;
}

AgentId World::add_agents(std::size_t count, const AgentInit& init) {
    const auto first = static_cast<AgentId>(role.size());
    const std::size_t n = role.size() + count;
    role.resize(n, init.role);
    state.distress.resize(n, init.d);
    state.agency.resize(n, init.a);
    state.knowledge.resize(n, init.k);
    state.strengths.resize(n, init.s);
    state.recreation.resize(n, init.r);
    next.resize(n);
    tau.resize(n, init.tau);
    vulnerability.resize(n, init.v);
    agency0.resize(n, init.a);
    strengths0.resize(n, init.s);
    recreation0.resize(n, init.r);
    streak.resize(n, 0);
    recovered_week.resize(n, kNone);
    arm.resize(n, init.arm);
    created_week.resize(n, init.created_week);
    adjacency_valid_ = false;
    return first;
}

TieIndex World::add_ties(std::size_t count, const TieInit& init) {
    const auto first = static_cast<TieIndex>(tie_u.size());
    const std::size_t m = tie_u.size() + count;
    tie_u.resize(m, std::min(init.i, init.j));
    tie_v.resize(m, std::max(init.i, init.j));
    tie_type.resize(m, init.type);
    tie_w.resize(m, init.w);
    tie_q.resize(m, init.q);
    tie_rho.resize(m, init.rho);
    tie_expertise.resize(m, init.expertise);
    tie_client.resize(m, init.client);
    tie_provider.resize(m, init.provider);
    tie_enrolment.resize(m, init.enrolment);
    tie_element.resize(m, init.element);
    adjacency_valid_ = false;
    return first;
}

TieIndex World::add_tie(const TieInit& init) {
    assert(init.i != init.j);
    assert(init.i >= 0 && init.j >= 0);
    assert(static_cast<std::size_t>(std::max(init.i, init.j)) < agent_count());
    const auto index = static_cast<TieIndex>(tie_u.size());
    tie_u.push_back(std::min(init.i, init.j));
    tie_v.push_back(std::max(init.i, init.j));
    tie_type.push_back(init.type);
    tie_w.push_back(init.w);
    tie_q.push_back(init.q);
    tie_rho.push_back(init.rho);
    tie_expertise.push_back(init.expertise);
    tie_client.push_back(init.client);
    tie_provider.push_back(init.provider);
    tie_enrolment.push_back(init.enrolment);
    tie_element.push_back(init.element);
    adjacency_valid_ = false;
    return index;
}

namespace {

/// Ties per chunk of the parallel compaction; fixed, so the work split is thread-independent
/// (the result does not depend on it anyway).
constexpr std::size_t kCompactChunk = std::size_t{1} << 16;

/// Removes values[e] with remove[e] != 0 in place, keeping the order. `kept_before[c]` is the
/// number of kept values in chunks before chunk c. Each chunk is compacted to its own start in
/// parallel, then the chunks' blocks are moved down in order (each block lands at or before its
/// own start, after the blocks already moved, so nothing unread is overwritten).
template <typename T>
void compact(std::vector<T>& values, const std::vector<std::uint8_t>& remove,
             const std::vector<std::size_t>& kept_before) {
    const std::size_t chunks = kept_before.size() - 1;
    parallel_for_each_index(
        chunks,
        [&](std::size_t c) {
            const std::size_t begin = c * kCompactChunk;
            const std::size_t end = std::min(values.size(), begin + kCompactChunk);
            std::size_t out = begin;
            for (std::size_t e = begin; e < end; ++e) {
                if (!remove[e]) values[out++] = values[e];
            }
        },
        1);
    for (std::size_t c = 0; c < chunks; ++c) {
        const std::size_t count = kept_before[c + 1] - kept_before[c];
        if (count > 0 && kept_before[c] != c * kCompactChunk) {
            std::memmove(values.data() + kept_before[c], values.data() + c * kCompactChunk,
                         count * sizeof(T));
        }
    }
    values.resize(kept_before[chunks]);
}

}  // namespace

void World::remove_ties(const std::vector<std::uint8_t>& remove) {
    assert(remove.size() == tie_count());
    const std::size_t m = tie_count();
    const std::size_t chunks = (m + kCompactChunk - 1) / kCompactChunk;
    std::vector<std::size_t> kept_before(chunks + 1, 0);
    parallel_for_each_index(
        chunks,
        [&](std::size_t c) {
            const std::size_t begin = c * kCompactChunk;
            const std::size_t end = std::min(m, begin + kCompactChunk);
            std::size_t kept = 0;
            for (std::size_t e = begin; e < end; ++e) kept += remove[e] ? 0 : 1;
            kept_before[c + 1] = kept;
        },
        1);
    for (std::size_t c = 0; c < chunks; ++c) kept_before[c + 1] += kept_before[c];
    if (kept_before[chunks] == m) return;

    const bool patch = adjacency_valid_;
    // For the adjacency: the removed ties as a bit set, and the removed count before each
    // 64-tie word, so a tie's new index is a rank query on arrays small enough to stay in cache
    // (m/8 + m/16 bytes).
    const std::size_t words = (m + 63) / 64;
    std::vector<std::uint64_t> removed_bits;
    std::vector<std::uint32_t> removed_before;
    if (patch) {
        removed_bits.assign(words, 0);
        removed_before.assign(words + 1, 0);
        parallel_for_each_index(words, [&](std::size_t word) {
            std::uint64_t bits = 0;
            const std::size_t end = std::min(m, 64 * word + 64);
            for (std::size_t e = 64 * word; e < end; ++e) {
                bits |= static_cast<std::uint64_t>(remove[e] != 0) << (e - 64 * word);
            }
            removed_bits[word] = bits;
            removed_before[word + 1] = static_cast<std::uint32_t>(std::popcount(bits));
        });
        std::partial_sum(removed_before.begin(), removed_before.end(), removed_before.begin());
    }
    compact(tie_u, remove, kept_before);
    compact(tie_v, remove, kept_before);
    compact(tie_type, remove, kept_before);
    compact(tie_w, remove, kept_before);
    compact(tie_q, remove, kept_before);
    compact(tie_rho, remove, kept_before);
    compact(tie_expertise, remove, kept_before);
    compact(tie_client, remove, kept_before);
    compact(tie_provider, remove, kept_before);
    compact(tie_enrolment, remove, kept_before);
    compact(tie_element, remove, kept_before);
    if (!patch) {
        adjacency_valid_ = false;
        covered_prefix_ = false;
        return;
    }
    // Patch the adjacency: drop the removed ties' entries and renumber the rest within each
    // agent's range (parallel; order kept, so ranges stay sorted by tie index), then move the
    // ranges down in order.
    const std::size_t n = agent_count();
    std::vector<std::size_t> kept_entries(n + 1, 0);
    parallel_for_each_index(n, [&](std::size_t i) {
        std::size_t out = offsets_[i];
        for (std::size_t x = offsets_[i]; x < offsets_[i + 1]; ++x) {
            const auto tie = static_cast<std::size_t>(entries_[x].tie);
            const std::uint64_t bits = removed_bits[tie / 64];
            const std::uint64_t bit = std::uint64_t{1} << (tie % 64);
            if (bits & bit) continue;
            const std::size_t removed_earlier =
                removed_before[tie / 64] +
                static_cast<std::size_t>(std::popcount(bits & (bit - 1)));
            entries_[out++] =
                AdjacencyEntry{entries_[x].neighbour, static_cast<TieIndex>(tie - removed_earlier)};
        }
        kept_entries[i + 1] = out - offsets_[i];
    });
    std::size_t total = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const std::size_t count = kept_entries[i + 1];
        if (count > 0 && total != offsets_[i]) {
            std::memmove(entries_.data() + total, entries_.data() + offsets_[i],
                         count * sizeof(AdjacencyEntry));
        }
        offsets_[i] = total;
        total += count;
    }
    offsets_[n] = total;
    entries_.resize(total);
    covered_agents_ = n;
    covered_ties_ = tie_count();
}

void World::rebuild_adjacency() {
    const std::size_t n = agent_count();
    const std::size_t m = tie_count();
    offsets_.assign(n + 1, 0);
    parallel_for_each_index(m, [&](std::size_t e) {
        std::atomic_ref<std::size_t>(offsets_[static_cast<std::size_t>(tie_u[e]) + 1])
            .fetch_add(1, std::memory_order_relaxed);
        std::atomic_ref<std::size_t>(offsets_[static_cast<std::size_t>(tie_v[e]) + 1])
            .fetch_add(1, std::memory_order_relaxed);
    });
    for (std::size_t i = 0; i < n; ++i) offsets_[i + 1] += offsets_[i];
    entries_.resize(2 * m);
    {
        // Scatter in any order, then sort each agent's range by tie index: the result is the
        // same for any thread count.
        std::vector<std::size_t> cursor(offsets_.begin(), offsets_.end() - 1);
        parallel_for_each_index(m, [&](std::size_t e) {
            const auto tie = static_cast<TieIndex>(e);
            const auto u = static_cast<std::size_t>(tie_u[e]);
            const auto v = static_cast<std::size_t>(tie_v[e]);
            entries_[std::atomic_ref<std::size_t>(cursor[u]).fetch_add(1)] =
                AdjacencyEntry{tie_v[e], tie};
            entries_[std::atomic_ref<std::size_t>(cursor[v]).fetch_add(1)] =
                AdjacencyEntry{tie_u[e], tie};
        });
    }
    parallel_for_each_index(n, [&](std::size_t i) {
        std::sort(entries_.begin() + static_cast<std::ptrdiff_t>(offsets_[i]),
                  entries_.begin() + static_cast<std::ptrdiff_t>(offsets_[i + 1]),
                  [](const AdjacencyEntry& x, const AdjacencyEntry& y) { return x.tie < y.tie; });
    });
    adjacency_valid_ = true;
    covered_prefix_ = true;
    covered_agents_ = n;
    covered_ties_ = m;
}

void World::update_adjacency() {
    if (adjacency_valid_) return;
    const std::size_t n = agent_count();
    const std::size_t m = tie_count();
    const std::size_t old_n = covered_agents_;
    const std::size_t old_m = covered_ties_;
    if (!covered_prefix_ || old_n > n || old_m > m || (m - old_m) > old_m / 8 + 1024) {
        rebuild_adjacency();
        return;
    }
    // The new ties' entries, by agent and then tie index (they follow every old entry of the
    // agent, since their indices are larger).
    struct NewEntry {
        AgentId agent;
        AdjacencyEntry entry;
    };
    std::vector<NewEntry> added;
    added.reserve(2 * (m - old_m));
    for (std::size_t e = old_m; e < m; ++e) {
        const auto tie = static_cast<TieIndex>(e);
        added.push_back(NewEntry{tie_u[e], AdjacencyEntry{tie_v[e], tie}});
        added.push_back(NewEntry{tie_v[e], AdjacencyEntry{tie_u[e], tie}});
    }
    std::sort(added.begin(), added.end(), [](const NewEntry& x, const NewEntry& y) {
        return x.agent != y.agent ? x.agent < y.agent : x.entry.tie < y.entry.tie;
    });
    const std::size_t old_total = offsets_[old_n];
    const auto old_end = [&](std::size_t agent) {
        return agent < old_n ? offsets_[agent + 1] : old_total;
    };
    entries_.resize(old_total + added.size());
    // From the last agent with new entries down: move the block after its old range up by the
    // number of new entries at or before it, then put its new entries right after its range.
    std::size_t shift = added.size();
    std::size_t block_end = old_total;
    for (std::size_t x = added.size(); x > 0;) {
        const auto agent = static_cast<std::size_t>(added[x - 1].agent);
        std::size_t first = x - 1;
        while (first > 0 && static_cast<std::size_t>(added[first - 1].agent) == agent) --first;
        const std::size_t end = old_end(agent);
        if (block_end > end) {
            std::memmove(entries_.data() + end + shift, entries_.data() + end,
                         (block_end - end) * sizeof(AdjacencyEntry));
        }
        shift -= x - first;
        for (std::size_t y = first; y < x; ++y)
            entries_[end + shift + (y - first)] = added[y].entry;
        block_end = end;
        x = first;
    }
    // Offsets: the old end of each range plus the new entries at or before it.
    const std::size_t first_agent = added.empty() ? n : static_cast<std::size_t>(added[0].agent);
    offsets_.resize(n + 1, old_total);
    std::size_t count = 0;
    std::size_t scanned = 0;
    for (std::size_t agent = std::min(first_agent, old_n); agent < n; ++agent) {
        while (scanned < added.size() && static_cast<std::size_t>(added[scanned].agent) == agent) {
            ++count;
            ++scanned;
        }
        offsets_[agent + 1] = old_end(agent) + count;
    }
    adjacency_valid_ = true;
    covered_agents_ = n;
    covered_ties_ = m;
}

bool World::has_natural_tie(AgentId i, AgentId j) const {
    assert(adjacency_valid_);
    if (degree(j) < degree(i)) std::swap(i, j);
    for (const auto* it = neighbours_begin(i); it != neighbours_end(i); ++it) {
        if (it->neighbour == j && tie_enrolment[it->tie] == kNone) return true;
    }
    return false;
}

bool World::has_any_tie(AgentId i, AgentId j) const {
    assert(adjacency_valid_);
    if (degree(j) < degree(i)) std::swap(i, j);
    for (const auto* it = neighbours_begin(i); it != neighbours_end(i); ++it) {
        if (it->neighbour == j) return true;
    }
    return false;
}

}  // namespace kindred
