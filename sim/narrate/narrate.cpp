// Patient stories: what a few sampled patients lived through in one run, in plain words.
#include "narrate/narrate.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <tuple>

#include "core/rng.hpp"

namespace kindred {

std::vector<AgentId> sample_patients(const World& world, int arms, int count, std::uint64_t seed) {
    std::vector<std::vector<AgentId>> by_arm(static_cast<std::size_t>(std::max(arms, 0)));
    for (std::size_t i = 0; i < world.agent_count(); ++i) {
        const int arm = world.arm[i];
        if (world.role[i] == Role::patient && arm != kNone && arm < arms) {
            by_arm[arm].push_back(static_cast<AgentId>(i));
        }
    }
    // Deal the count out over the arms, one at a time, skipping arms with nobody left.
    std::vector<std::size_t> take(by_arm.size(), 0);
    for (int dealt = 0; dealt < count;) {
        bool any = false;
        for (std::size_t a = 0; a < by_arm.size() && dealt < count; ++a) {
            if (take[a] < by_arm[a].size()) {
                ++take[a];
                ++dealt;
                any = true;
            }
        }
        if (!any) break;
    }
    std::vector<AgentId> chosen;
    for (std::size_t a = 0; a < by_arm.size(); ++a) {
        std::vector<AgentId>& pool = by_arm[a];
        RandomStream stream(seed, 0, kInitialisationWeek, a, Purpose::narration_sample);
        // Partial Fisher–Yates: the first take[a] places become a uniform sample.
        for (std::size_t k = 0; k < take[a]; ++k) {
            const std::size_t pick = k + stream.below(pool.size() - k);
            std::swap(pool[k], pool[pick]);
        }
        std::sort(pool.begin(), pool.begin() + static_cast<std::ptrdiff_t>(take[a]));
        chosen.insert(chosen.end(), pool.begin(),
                      pool.begin() + static_cast<std::ptrdiff_t>(take[a]));
    }
    return chosen;
}

PatientStories::PatientStories(const ScenarioSpec& scenario, int count)
    : count_(count),
      seed_(scenario.seed),
      weeks_(scenario.weeks),
      control_arm_(scenario.control_arm),
      w_min_(scenario.params.w_min),
      d_rec_(scenario.params.d_rec),
      rec_weeks_(scenario.params.rec_weeks) {
    if (count < 1) throw std::invalid_argument("PatientStories: count must be at least 1");
    // Enrolment ids follow arm order, then program order (trial.hpp: scenario_enrolments).
    for (const ArmSpec& arm : scenario.arms) {
        arm_names_.push_back(arm.name);
        std::vector<ProgramSeen> programs;
        for (const ProgramSpec& program : arm.programs) {
            const std::string title = program.title.empty() ? program.name : program.title;
            programs.push_back(
                {title, program.start_week, program.start_week + program.duration_weeks});
            enrolment_titles_.push_back(title);
        }
        arm_programs_.push_back(std::move(programs));
    }
}

void PatientStories::observe(const Simulation& sim) {
    const World& world = sim.world();
    const bool first = stories_.empty() && patients_.empty();
    if (first) {
        patients_ = sample_patients(world, static_cast<int>(arm_names_.size()), count_, seed_);
        for (const AgentId id : patients_) {
            Story story;
            story.id = id;
            story.arm = world.arm[id];
            stories_.push_back(std::move(story));
        }
    }
    const Flows& flows = sim.flows();
    for (Story& story : stories_) {
        const AgentId i = story.id;
        std::map<TieKey, TieSeen> now;
        const auto visit = [&](TieIndex e) {
            const AgentId partner = world.other_end(e, i);
            const TieType type = world.tie_type[e];
            const EnrolmentId enrolment = world.tie_enrolment[e];
            now[{partner, enrolment}] = {type, world.tie_w[e], world.tie_q[e], world.role[partner]};
            const double received = sim.help_on_tie(e, partner);
            story.received_by_type[static_cast<int>(type)] += received;
            story.given_by_type[static_cast<int>(type)] += sim.help_on_tie(e, i);
            if (enrolment != kNone) story.received_on_program_ties += received;
        };
        if (world.adjacency_valid()) {
            for (auto it = world.neighbours_begin(i); it != world.neighbours_end(i); ++it) {
                visit(it->tie);
            }
        } else {
            for (std::size_t e = 0; e < world.tie_count(); ++e) {
                if (world.tie_u[e] == i || world.tie_v[e] == i) visit(static_cast<TieIndex>(e));
            }
        }
        const int week = sim.week();
        story.weeks.push_back(week);
        story.distress.push_back(world.state.distress[i]);
        story.help_received.push_back(flows.help_received[i]);
        story.help_given.push_back(flows.help_given[i]);
        story.strain.push_back(flows.strain[i]);
        story.recovered_week = world.recovered_week[i];

        if (first) {
            // The start is the patient's own network; what programs bring at week 0 is news.
            for (const auto& [key, tie] : now) {
                if (key.second == kNone) {
                    story.ties_start.emplace(key, tie);
                } else {
                    story.events.push_back({week, TieEvent::Kind::formed, key, tie});
                }
            }
        } else {
            std::vector<TieEvent> lost, formed;
            for (const auto& [key, tie] : story.ties_now) {
                if (!now.contains(key)) lost.push_back({week, TieEvent::Kind::lost, key, tie});
            }
            for (const auto& [key, tie] : now) {
                if (!story.ties_now.contains(key)) {
                    formed.push_back({week, TieEvent::Kind::formed, key, tie});
                }
            }
            // A program tie that ends while a natural tie to the same partner appears was
            // converted (spec §4: group ties, persisting volunteer and peer-worker ties).
            for (TieEvent& gone : lost) {
                if (gone.key.second == kNone) continue;
                const auto match =
                    std::find_if(formed.begin(), formed.end(), [&](const TieEvent& f) {
                        return f.key == TieKey{gone.key.first, kNone} &&
                               f.tie.type == gone.tie.type;
                    });
                if (match != formed.end()) {
                    gone.kind = TieEvent::Kind::converted;
                    formed.erase(match);
                }
            }
            story.events.insert(story.events.end(), lost.begin(), lost.end());
            story.events.insert(story.events.end(), formed.begin(), formed.end());
        }
        story.ties_now = std::move(now);
    }
}

namespace {

std::string plural(int n, std::string_view one, std::string_view many) {
    return fmt::format("{} {}", n, n == 1 ? one : many);
}

/// The partner's role as a noun: "volunteer", "family member", … (plural: "volunteers", …).
std::string role_noun(Role role, int n) {
    const char* one = "someone";
    switch (role) {
        case Role::patient:
            one = "patient";
            break;
        case Role::family:
            one = "family member";
            break;
        case Role::friend_:
            one = "friend";
            break;
        case Role::professional:
            one = "professional";
            break;
        case Role::volunteer:
            one = "volunteer";
            break;
        case Role::peer_worker:
            one = "peer worker";
            break;
    }
    return n == 1 ? one : fmt::format("{}s", one);
}

std::string tie_word(TieType type, int n) {
    return fmt::format("{} {}", to_string(type), n == 1 ? "tie" : "ties");
}

/// "7 ties: 4 family (1 critical), 2 friend, 1 professional".
std::string describe_ties(const std::map<PatientStories::TieKey, PatientStories::TieSeen>& ties) {
    int by_type[kTieTypeCount] = {};
    int critical[kTieTypeCount] = {};
    for (const auto& [key, tie] : ties) {
        ++by_type[static_cast<int>(tie.type)];
        if (tie.q < 0.0) ++critical[static_cast<int>(tie.type)];
    }
    std::string parts;
    // Family first: the review's four types in the order a reader meets them.
    for (const TieType type :
         {TieType::family, TieType::friend_, TieType::peer, TieType::professional}) {
        const int t = static_cast<int>(type);
        if (by_type[t] == 0) continue;
        parts += parts.empty() ? "" : ", ";
        parts += fmt::format("{} {}", by_type[t], to_string(type));
        if (critical[t] > 0) parts += fmt::format(" ({} critical)", critical[t]);
    }
    const int total = static_cast<int>(ties.size());
    return total == 0 ? "no ties" : fmt::format("{}: {}", plural(total, "tie", "ties"), parts);
}

/// "48% from family, 30% from friends, …" over the types with at least 1%.
std::string shares_by_type(const double (&by_type)[kTieTypeCount], std::string_view preposition) {
    const double total = std::accumulate(std::begin(by_type), std::end(by_type), 0.0);
    if (total <= 0.0) return "";
    std::vector<std::pair<double, int>> order;
    for (int t = 0; t < kTieTypeCount; ++t) order.emplace_back(by_type[t], t);
    std::sort(order.begin(), order.end(), std::greater<>());
    std::string out;
    for (const auto& [amount, t] : order) {
        const double share = amount / total;
        if (share < 0.01) continue;
        out += out.empty() ? "" : ", ";
        static constexpr const char* kWho[kTieTypeCount] = {"professionals", "peers", "friends",
                                                            "family"};
        out += fmt::format("{:.0f}% {} {}", 100.0 * share, preposition, kWho[t]);
    }
    return out;
}

double mean_of(const std::vector<double>& values) {
    return values.empty() ? 0.0
                          : std::accumulate(values.begin(), values.end(), 0.0) /
                                static_cast<double>(values.size());
}

}  // namespace

std::string PatientStories::format() const {
    std::string out = fmt::format(
        "\nWhat happened to {} (replicate 0; sampled from the arms' patients with seed {}):\n",
        plural(static_cast<int>(stories_.size()), "patient", "patients"), seed_);
    if (stories_.empty()) return out + "  (no patient belongs to an arm)\n";
    for (const Story& story : stories_) {
        const int last = story.weeks.empty() ? 0 : story.weeks.back();
        const bool control = story.arm == control_arm_;
        // "(arm control)", not "(arm control, control)", when the control arm is so named.
        out += fmt::format("\nPatient {} (arm {}{})\n", story.id, arm_names_[story.arm],
                           control && arm_names_[story.arm] != "control" ? ", control" : "");
        const std::vector<ProgramSeen>& programs = arm_programs_[story.arm];
        if (programs.empty()) {
            out += "  Programs: none beyond usual care (the care coordinator).\n";
        } else {
            std::string list;
            for (const ProgramSeen& p : programs) {
                list += list.empty() ? "" : "; ";
                list += fmt::format("{}, weeks {}–{}", p.title, p.start_week,
                                    std::min(p.end_week, weeks_));
                if (p.end_week > weeks_) list += " (still running at the end)";
            }
            out += fmt::format("  Programs: {}.\n", list);
        }
        if (story.distress.empty()) continue;
        out += fmt::format("  At the start: distress {:.2f}; {}.\n", story.distress.front(),
                           describe_ties(story.ties_start));
        out += fmt::format("  At week {}: distress {:.2f}; {}.\n", last, story.distress.back(),
                           describe_ties(story.ties_now));

        const std::string from = shares_by_type(story.received_by_type, "from");
        const double received_total = std::accumulate(std::begin(story.received_by_type),
                                                      std::end(story.received_by_type), 0.0);
        out += fmt::format(
            "  Help received: {:.3f} a week on average ({:.3f} at the start, {:.3f} "
            "at week {}){}{}.\n",
            mean_of(story.help_received), story.help_received.front(), story.help_received.back(),
            last, from.empty() ? "" : "; ", from);
        if (received_total > 0.0 && story.received_on_program_ties > 0.0) {
            out += fmt::format("    {:.0f}% of it came on ties that programs made.\n",
                               100.0 * story.received_on_program_ties / received_total);
        }
        const double strain = mean_of(story.strain);
        if (strain > 0.0) {
            out += fmt::format(
                "  Strain from critical ties: {:.3f} a week on average (critical "
                "ties give no help and add stress).\n",
                strain);
        }
        const std::string to = shares_by_type(story.given_by_type, "to");
        out += fmt::format(
            "  Help given: {:.3f} a week on average ({:.3f} at the start, {:.3f} at "
            "week {}){}{}.\n",
            mean_of(story.help_given), story.help_given.front(), story.help_given.back(), last,
            to.empty() ? "" : "; ", to);

        // Turning points: (week, order within the week, text), sorted.
        std::vector<std::tuple<int, int, std::string>> points;
        if (story.distress.size() >= 2) {
            std::size_t fall = 1, rise = 1;
            for (std::size_t k = 1; k < story.distress.size(); ++k) {
                const double change = story.distress[k] - story.distress[k - 1];
                if (change < story.distress[fall] - story.distress[fall - 1]) fall = k;
                if (change > story.distress[rise] - story.distress[rise - 1]) rise = k;
            }
            // Only a real fall or rise is one (a patient whose distress only rose has no fall),
            // with as many decimals as it takes to tell the two values apart.
            const auto change = [&](std::size_t k) {
                const double before = story.distress[k - 1], after = story.distress[k];
                int decimals = 2;
                while (decimals < 6 && fmt::format("{:.{}f}", before, decimals) ==
                                           fmt::format("{:.{}f}", after, decimals)) {
                    ++decimals;
                }
                return fmt::format("{:.{}f} → {:.{}f}", before, decimals, after, decimals);
            };
            if (story.distress[fall] < story.distress[fall - 1]) {
                points.emplace_back(story.weeks[fall], 1,
                                    "largest weekly fall in distress, " + change(fall));
            }
            if (story.distress[rise] > story.distress[rise - 1]) {
                points.emplace_back(story.weeks[rise], 1,
                                    "largest weekly rise in distress, " + change(rise));
            }
        }
        if (story.recovered_week != kNone) {
            points.emplace_back(story.recovered_week, 3,
                                fmt::format("recovered: distress below {:.2f} for {} weeks in a "
                                            "row",
                                            d_rec_, rec_weeks_));
        }
        // Tie events, grouped by (week, kind, program, type, partner role).
        using Group = std::tuple<int, int, EnrolmentId, int, int>;
        std::map<Group, std::vector<const TieEvent*>> groups;
        for (const TieEvent& event : story.events) {
            groups[{event.week, static_cast<int>(event.kind), event.key.second,
                    static_cast<int>(event.tie.type), static_cast<int>(event.tie.partner_role)}]
                .push_back(&event);
        }
        for (const auto& [group, events] : groups) {
            const TieEvent& e = *events.front();
            const int n = static_cast<int>(events.size());
            // "volunteer 1419" for one partner, "7 patients" for several.
            const std::string who =
                n == 1 ? fmt::format("{} {}", role_noun(e.tie.partner_role, 1), e.key.first)
                       : fmt::format("{} {}", n, role_noun(e.tie.partner_role, n));
            const std::string program =
                e.key.second == kNone ? ""
                                      : enrolment_titles_[static_cast<std::size_t>(e.key.second)];
            std::string text;
            switch (e.kind) {
                case TieEvent::Kind::formed:
                    if (e.key.second != kNone) {
                        text = fmt::format(
                            "{} brought {} to {}", program,
                            n == 1 ? "a " + tie_word(e.tie.type, 1)
                                   : plural(n, tie_word(e.tie.type, 1), tie_word(e.tie.type, n)),
                            who);
                        if (n == 1) {
                            text += fmt::format(" (strength {:.2f}, valence {:+.2f})", e.tie.w,
                                                e.tie.q);
                        }
                    } else {
                        text = fmt::format("formed a new {} with {}", tie_word(e.tie.type, 1), who);
                    }
                    break;
                case TieEvent::Kind::converted:
                    text = fmt::format("the {} to {} outlived {}: {} an ordinary tie",
                                       n == 1 ? tie_word(e.tie.type, 1) : tie_word(e.tie.type, n),
                                       who, program, n == 1 ? "it stays as" : "they stay as");
                    break;
                case TieEvent::Kind::lost:
                    if (e.key.second != kNone) {
                        text = fmt::format("{} ended, and with it the {} to {}", program,
                                           tie_word(e.tie.type, n), who);
                    } else {
                        text = fmt::format("lost the {} to {}: it faded below strength {:.2f}",
                                           tie_word(e.tie.type, n), who, w_min_);
                    }
                    break;
            }
            points.emplace_back(e.week, 2, std::move(text));
        }
        std::sort(points.begin(), points.end());
        constexpr std::size_t kMostPoints = 14;
        out += "  Turning points:\n";
        for (std::size_t k = 0; k < points.size() && k < kMostPoints; ++k) {
            out +=
                fmt::format("    week {}: {}.\n", std::get<0>(points[k]), std::get<2>(points[k]));
        }
        if (points.size() > kMostPoints) {
            out += fmt::format("    … and {} more.\n", points.size() - kMostPoints);
        }
        if (story.recovered_week == kNone) {
            const auto lowest = std::min_element(story.distress.begin(), story.distress.end());
            out += fmt::format(
                "  Not recovered by week {} (lowest distress {:.2f}, at week {}).\n", last, *lowest,
                story.weeks[static_cast<std::size_t>(lowest - story.distress.begin())]);
        }
    }
    return out;
}

}  // namespace kindred
