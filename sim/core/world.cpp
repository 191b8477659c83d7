// World storage: appending agents and ties, compaction, and the CSR adjacency.
#include "core/world.hpp"

#include <algorithm>
#include <cassert>
#include <utility>

namespace kindred {

void DynamicState::resize(std::size_t n) {
    distress.resize(n);
    agency.resize(n);
    knowledge.resize(n);
    strengths.resize(n);
    recreation.resize(n);
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
template <typename T>
void compact(std::vector<T>& values, const std::vector<std::uint8_t>& remove) {
    std::size_t out = 0;
    for (std::size_t e = 0; e < values.size(); ++e) {
        if (!remove[e]) values[out++] = values[e];
    }
    values.resize(out);
}
}  // namespace

void World::remove_ties(const std::vector<std::uint8_t>& remove) {
    assert(remove.size() == tie_count());
    if (std::none_of(remove.begin(), remove.end(), [](std::uint8_t x) { return x != 0; })) {
        return;
    }
    compact(tie_u, remove);
    compact(tie_v, remove);
    compact(tie_type, remove);
    compact(tie_w, remove);
    compact(tie_q, remove);
    compact(tie_rho, remove);
    compact(tie_expertise, remove);
    compact(tie_client, remove);
    compact(tie_provider, remove);
    compact(tie_enrolment, remove);
    compact(tie_element, remove);
    adjacency_valid_ = false;
}

void World::rebuild_adjacency() {
    const std::size_t n = agent_count();
    const std::size_t m = tie_count();
    offsets_.assign(n + 1, 0);
    for (std::size_t e = 0; e < m; ++e) {
        ++offsets_[tie_u[e] + 1];
        ++offsets_[tie_v[e] + 1];
    }
    for (std::size_t i = 0; i < n; ++i) offsets_[i + 1] += offsets_[i];
    entries_.resize(2 * m);
    std::vector<std::size_t> cursor(offsets_.begin(), offsets_.end() - 1);
    // Ties in ascending index, so each agent's range ends up sorted by tie index.
    for (std::size_t e = 0; e < m; ++e) {
        const auto tie = static_cast<TieIndex>(e);
        entries_[cursor[tie_u[e]]++] = AdjacencyEntry{tie_v[e], tie};
        entries_[cursor[tie_v[e]]++] = AdjacencyEntry{tie_u[e], tie};
    }
    adjacency_valid_ = true;
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
