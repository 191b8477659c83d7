// The weekly step of spec §2–§4. Each phase is a pure function of the state at week t and
// keyed random streams (spec §7), computed per agent or per tie in parallel, so a run gives
// bit-identical results for any number of threads.
#include "core/simulation.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <utility>

#include "core/parallel.hpp"
#include "core/rng.hpp"

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

/// Times a friendship partner is drawn at random before the eligible agents are listed.
constexpr int kFallbackRejectionTries = 64;

}  // namespace

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
    help_received.assign(n, 0.0);
    help_given.assign(n, 0.0);
    strain.assign(n, 0.0);
    knowledge_offered.assign(n, 0.0);
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
    if (!world_.adjacency_valid()) world_.rebuild_adjacency();
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
    if (any_removed) {
        world_.remove_ties(remove);
        world_.rebuild_adjacency();
    }
}

// ---- Step 2: exposure and activation --------------------------------------------------------

void Simulation::compute_exposure() {
    const std::size_t n = world_.agent_count();
    exposure_.resize(n);
    activation_w_.assign(world_.tie_count(), 0.0);
    activation_q_.assign(world_.tie_count(), 0.0);
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
            if (m_soc <= 0.0 || !spec_.mechanisms.activation) continue;
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

void Simulation::compute_flows() {
    const std::size_t n = world_.agent_count();
    flows_.resize(n);
    const auto& knowledge = world_.state.knowledge;
    const bool knowledge_transfer = spec_.mechanisms.knowledge_transfer;
    parallel_for_each_index(n, [&](std::size_t index) {
        const auto i = static_cast<AgentId>(index);
        double received = 0.0, given = 0.0, strain = 0.0, offered = 0.0;
        for (auto it = world_.neighbours_begin(i); it != world_.neighbours_end(i); ++it) {
            const TieIndex e = it->tie;
            const AgentId j = it->neighbour;
            received += help_on_tie(e, j);
            given += help_on_tie(e, i);
            strain += world_.tie_w[e] * negative_part(world_.tie_q[e]);
            const Expertise expertise = world_.tie_expertise[e];
            if (knowledge_transfer &&
                (expertise == Expertise::peers || expertise == Expertise::everyone)) {
                offered += world_.tie_w[e] * positive_part(knowledge[j] - knowledge[i]);
            }
        }
        flows_.help_received[index] = received;
        flows_.help_given[index] = given;
        flows_.strain[index] = strain;
        flows_.knowledge_offered[index] = offered;
    });
}

void Simulation::begin_week() {
    if (week_begun_) throw RuntimeFailure("Simulation::begin_week called twice for one week");
    for (std::size_t e = 0; e < spec_.enrolments.size(); ++e) {
        if (spec_.enrolments[e].start_week == week_) start_enrolment(static_cast<EnrolmentId>(e));
    }
    end_enrolments();
    if (!world_.adjacency_valid()) world_.rebuild_adjacency();
    compute_exposure();
    compute_flows();
    week_begun_ = true;
}

// ---- Step 4: updates (spec §3.2–§3.5) -------------------------------------------------------

void Simulation::update_agents() {
    const Parameters& p = spec_.params;
    const DynamicState& now = world_.state;
    DynamicState& next = world_.next;
    next.resize(world_.agent_count());
    const auto week = static_cast<std::uint64_t>(week_);
    parallel_for_each_index(world_.agent_count(), [&](std::size_t i) {
        const ResourceVector& m = exposure_.resources[i];
        const double d = now.distress[i], a = now.agency[i], k = now.knowledge[i];
        const double s = now.strengths[i], r = now.recreation[i];
        const double help = flows_.help_received[i];

        const double relief =
            (p.beta_0 + p.beta_help * help + p.beta_agency * a +
             p.beta_knowledge * m[kResExperience] * k + p.beta_strengths * s +
             p.beta_recreation * r) *
            (1.0 + p.gamma_self_actualising * m[kResSelfActualising] * world_.tau[i]);
        double event = 0.0;
        if (p.p_event > 0.0) {
            RandomStream stream(spec_.seed, spec_.replicate, week, i, Purpose::life_event);
            if (stream.bernoulli(p.p_event)) event = p.event_size;
        }
        const double stress = p.theta_0 + p.theta_vulnerability * world_.vulnerability[i] +
                              p.theta_strain * flows_.strain[i] +
                              p.theta_loneliness * std::exp(-help / p.h_0) + event;
        double noise = 0.0;
        if (p.sigma > 0.0) {
            RandomStream stream(spec_.seed, spec_.replicate, week, i, Purpose::distress_noise);
            noise = p.sigma * stream.normal();
        }
        next.distress[i] = clip01(d - relief * d + stress * (1.0 - d) + noise);

        const double help_given = spec_.mechanisms.helper_effect ? flows_.help_given[i] : 0.0;
        const double gain = p.alpha_help_given * help_given +
                            p.alpha_expert_self * exposure_.expert_self[i] +
                            p.alpha_decision * m[kResDecision];
        const double loss =
            p.delta_dependency * exposure_.expert_provider[i] + p.delta_distress * d;
        next.agency[i] = clip01(a + gain * (1.0 - a) - loss * a + p.mu * (world_.agency0[i] - a));
        next.knowledge[i] = clip01(k + (p.alpha_knowledge * flows_.knowledge_offered[i] +
                                        p.alpha_experience * m[kResExperience]) *
                                           (1.0 - k));
        next.strengths[i] = clip01(s + p.alpha_strengths * m[kResStrengths] * (1.0 - s) -
                                   p.delta_distress * d * s + p.mu * (world_.strengths0[i] - s));
        next.recreation[i] = clip01(r + p.alpha_recreation * m[kResRecreation] * (1.0 - r) -
                                    p.delta_distress * d * r + p.mu * (world_.recreation0[i] - r));
    });
}

void Simulation::update_natural_ties() {
    const Parameters& p = spec_.params;
    const std::size_t m = world_.tie_count();
    std::vector<std::uint8_t> dissolve(m, 0);
    const auto& distress = world_.state.distress;
    const bool tie_dynamics = spec_.mechanisms.tie_dynamics;
    parallel_for_each_index(m, [&](std::size_t index) {
        const auto e = static_cast<TieIndex>(index);
        if (world_.tie_enrolment[e] != kNone) return;  // program ties keep their w and q
        const AgentId u = world_.tie_u[e], v = world_.tie_v[e];
        const double w = world_.tie_w[e];
        // Everything from the state at t: mutual help reads q before it is updated.
        const double q = world_.tie_q[e];
        const double q_next = std::min(std::max(q + activation_q_[e] * (1.0 - q), -1.0), 1.0);
        if (!tie_dynamics) {  // knock-out: only activation changes a natural tie
            world_.tie_w[e] = clip01(w + activation_w_[e] * (1.0 - w));
            world_.tie_q[e] = q_next;
            return;
        }
        const double mutual = w > 0.0 ? std::min(help_on_tie(e, u), help_on_tie(e, v)) / w : 0.0;
        double w_next = clip01(w + p.kappa_reciprocity * mutual * (1.0 - w) -
                               p.kappa_withdrawal * w * (distress[u] + distress[v]) / 2.0 -
                               p.kappa_decay * w + activation_w_[e] * (1.0 - w));
        world_.tie_q[e] = q_next;
        if (world_.tie_type[e] == TieType::family) {
            w_next = std::max(w_next, p.w_floor_family);
        } else if (w_next < p.w_min) {
            dissolve[index] = 1;
        }
        world_.tie_w[e] = w_next;
    });
    world_.remove_ties(dissolve);
    if (!world_.adjacency_valid()) world_.rebuild_adjacency();
}

void Simulation::form_friendships() {
    const Parameters& p = spec_.params;
    if (p.phi <= 0.0 || !spec_.mechanisms.friendship_formation) return;
    const std::size_t n = world_.agent_count();
    const auto week = static_cast<std::uint64_t>(week_);
    std::vector<AgentId> eligible_pool;  // agents whose role is not professional, ascending
    eligible_pool.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
        if (world_.role[i] != Role::professional) eligible_pool.push_back(static_cast<AgentId>(i));
    }
    std::vector<AgentId> partner(n, kNone);
    const auto& distress = world_.state.distress;
    const auto& recreation = world_.state.recreation;

    parallel_for_each_index(
        n,
        [&](std::size_t index) {
            if (world_.role[index] != Role::patient) return;
            const auto i = static_cast<AgentId>(index);
            const double probability = p.phi * recreation[index] * (1.0 - distress[index]);
            if (probability <= 0.0) return;
            RandomStream attempt(spec_.seed, spec_.replicate, week, index,
                                 Purpose::friendship_attempt);
            if (!attempt.bernoulli(probability)) return;

            // Everyone i is tied to (any tie), sorted, to test "not already tied to i".
            std::vector<AgentId> tied;
            tied.reserve(world_.degree(i));
            for (auto it = world_.neighbours_begin(i); it != world_.neighbours_end(i); ++it) {
                tied.push_back(it->neighbour);
            }
            std::sort(tied.begin(), tied.end());
            const auto is_tied = [&](AgentId j) {
                return std::binary_search(tied.begin(), tied.end(), j);
            };

            RandomStream choose(spec_.seed, spec_.replicate, week, index,
                                Purpose::friendship_partner);
            if (choose.bernoulli(p.p_triadic_closure)) {
                std::vector<AgentId> two_steps;
                for (auto it = world_.neighbours_begin(i); it != world_.neighbours_end(i); ++it) {
                    if (world_.tie_type[it->tie] == TieType::professional) continue;
                    const AgentId j = it->neighbour;
                    for (auto jt = world_.neighbours_begin(j); jt != world_.neighbours_end(j);
                         ++jt) {
                        if (world_.tie_type[jt->tie] == TieType::professional) continue;
                        const AgentId l = jt->neighbour;
                        if (l != i && !is_tied(l)) two_steps.push_back(l);
                    }
                }
                if (!two_steps.empty()) {
                    std::sort(two_steps.begin(), two_steps.end());
                    two_steps.erase(std::unique(two_steps.begin(), two_steps.end()),
                                    two_steps.end());
                    partner[index] = two_steps[choose.below(two_steps.size())];
                    return;
                }
            }
            // Uniform over non-professional agents other than i and not tied to i: rejection
            // sampling, then (rarely) an explicit list; both are uniform on the eligible set.
            for (int attempt_no = 0; attempt_no < kFallbackRejectionTries; ++attempt_no) {
                const AgentId j = eligible_pool[choose.below(eligible_pool.size())];
                if (j != i && !is_tied(j)) {
                    partner[index] = j;
                    return;
                }
            }
            std::vector<AgentId> eligible;
            for (const AgentId j : eligible_pool) {
                if (j != i && !is_tied(j)) eligible.push_back(j);
            }
            if (!eligible.empty()) partner[index] = eligible[choose.below(eligible.size())];
        },
        256);

    // Ties formed this week do not see each other; a pair chosen twice gets one tie.
    // Ties are added in ascending (smaller id, larger id) order.
    std::vector<std::pair<AgentId, AgentId>> added;
    for (std::size_t index = 0; index < n; ++index) {
        if (partner[index] == kNone) continue;
        const auto i = static_cast<AgentId>(index);
        added.emplace_back(std::min(i, partner[index]), std::max(i, partner[index]));
    }
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
    if (!added.empty()) world_.rebuild_adjacency();
}

void Simulation::update_recovery() {
    const Parameters& p = spec_.params;
    parallel_for_each_index(world_.agent_count(), [&](std::size_t i) {
        world_.streak[i] = world_.state.distress[i] < p.d_rec ? world_.streak[i] + 1 : 0;
        if (world_.recovered_week[i] == kNone && world_.streak[i] >= p.rec_weeks) {
            world_.recovered_week[i] = week_;
        }
    });
}

void Simulation::finish_week() {
    if (!week_begun_) throw RuntimeFailure("Simulation::finish_week called before begin_week");
    if (activation_w_.size() != world_.tie_count() ||
        flows_.help_received.size() != world_.agent_count()) {
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
