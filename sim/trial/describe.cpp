// Text descriptions of models, parameters and scenarios for `kindred models|parameters|validate`.
#include "trial/describe.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>

#include "config/yaml_util.hpp"

namespace kindred {
namespace {

std::string reciprocity_text(double rho) {
    if (rho == 1.0) return "reciprocal";
    if (rho == 0.5) return "partial";
    if (rho == 0.0) return "unidirectional";
    return fmt::format("{:g}", rho);
}

std::string resource_letters(const ResourceVector& m) {
    // S social, D decision, K knowledge, T strengths, R recreation, A self-actualising
    static constexpr char kLetters[kResourceCount] = {'S', 'D', 'K', 'T', 'R', 'A'};
    std::string out;
    for (int r = 0; r < kResourceCount; ++r) {
        out += m[r] >= 1.0 ? kLetters[r] : (m[r] > 0.0 ? static_cast<char>(kLetters[r] + 32) : '.');
    }
    return out;
}

std::string type_list(const std::vector<TieType>& types) {
    if (types.empty()) return "-";
    std::string out;
    for (const TieType t : types) {
        if (!out.empty()) out += ',';
        out += to_string(t);
    }
    return out;
}

std::string element_list(const ProgramSpec& model) {
    if (model.delivery.empty()) return "-";
    std::string out;
    for (const DeliveryElement& e : model.delivery) {
        if (!out.empty()) out += ',';
        out += to_string(e.kind);
    }
    return out;
}

/// One delivery element with the parameters its kind uses, e.g. "activate (types family; a_w
/// 0.02; a_q 0.03)".
std::string element_text(const DeliveryElement& e) {
    switch (e.kind) {
        case ElementKind::volunteer:
        case ElementKind::peer_worker:
            return fmt::format("{} (persist_probability {:g})", to_string(e.kind),
                               e.persist_probability);
        case ElementKind::group:
            return fmt::format("group (type {})", to_string(e.group_tie_type));
        case ElementKind::activate:
            return fmt::format("activate (types {}; a_w {:g}; a_q {:g})",
                               type_list(e.activate_types), e.a_w, e.a_q);
        default:
            return std::string(to_string(e.kind));
    }
}

bool same_types(const std::vector<TieType>& a, const std::vector<TieType>& b) {
    std::array<bool, kTieTypeCount> in_a{}, in_b{};
    for (const TieType t : a) in_a[static_cast<int>(t)] = true;
    for (const TieType t : b) in_b[static_cast<int>(t)] = true;
    return in_a == in_b;
}

}  // namespace

std::string format_model_table(const std::vector<ProgramSpec>& models) {
    std::string out = fmt::format("{:<26} {:<9} {:<28} {:<15} {:<9} {}\n", "model", "resources",
                                  "relationship types", "reciprocity", "expertise", "delivery");
    for (const ProgramSpec& m : models) {
        out +=
            fmt::format("{:<26} {:<9} {:<28} {:<15} {:<9} {}\n", m.name,
                        resource_letters(m.resources), type_list(m.relationship_types),
                        reciprocity_text(m.reciprocity), to_string(m.expertise), element_list(m));
    }
    out +=
        "resources: S social relationships, D decision-making, K experiential knowledge, "
        "T individual strengths, R recreational activities, A self-actualising "
        "(upper case = 1, lower case = partly, . = 0)\n";
    return out;
}

std::string format_model(const ProgramSpec& m) {
    std::string out;
    out += fmt::format("{} ({})\nfile: {}\n", m.name, m.title, m.source);
    out += "resources:\n";
    for (int r = 0; r < kResourceCount; ++r) {
        out += fmt::format("  {:<24} {:g}\n", to_string(static_cast<Resource>(r)), m.resources[r]);
    }
    out += fmt::format("relationship types: {}\n", type_list(m.relationship_types));
    out += fmt::format("reciprocity: {} ({:g})\nexpertise: {}\n", reciprocity_text(m.reciprocity),
                       m.reciprocity, to_string(m.expertise));
    out += fmt::format(
        "start_week: {}  duration_weeks: {}  valence: {:g}  strength: {:g}  group_strength: {:g}\n"
        "caseload: {}  group_size: {}  staff_per_group: {}\n",
        m.start_week, m.duration_weeks, m.valence, m.strength, m.group_strength, m.caseload,
        m.group_size, m.staff_per_group);
    out += "delivery:\n";
    if (m.delivery.empty()) out += "  (none)\n";
    for (const DeliveryElement& e : m.delivery) {
        out += fmt::format("  - {}", to_string(e.kind));
        switch (e.kind) {
            case ElementKind::volunteer:
            case ElementKind::peer_worker:
                out += fmt::format("  persist_probability: {:g}", e.persist_probability);
                break;
            case ElementKind::group:
                out += fmt::format("  type: {}", to_string(e.group_tie_type));
                break;
            case ElementKind::activate:
                out += fmt::format("  types: {}  a_w: {:g}  a_q: {:g}", type_list(e.activate_types),
                                   e.a_w, e.a_q);
                break;
            default:
                break;
        }
        out += "\n";
    }
    return out;
}

std::string format_model_comparison(const ProgramSpec& a, const ProgramSpec& b) {
    struct Row {
        std::string field, first, second;
    };
    std::vector<Row> differ;
    std::vector<std::string> same;
    const auto compare = [&](std::string field, std::string first, std::string second, bool equal) {
        if (equal) {
            same.push_back(fmt::format("{} {}", field, first));
        } else {
            differ.push_back({std::move(field), std::move(first), std::move(second)});
        }
    };
    const auto number = [&](const std::string& field, double x, double y) {
        compare(field, fmt::format("{:g}", x), fmt::format("{:g}", y), x == y);
    };
    for (int r = 0; r < kResourceCount; ++r) {
        number(std::string(to_string(static_cast<Resource>(r))), a.resources[r], b.resources[r]);
    }
    compare("relationship_types", type_list(a.relationship_types), type_list(b.relationship_types),
            same_types(a.relationship_types, b.relationship_types));
    compare("reciprocity", fmt::format("{} ({:g})", reciprocity_text(a.reciprocity), a.reciprocity),
            fmt::format("{} ({:g})", reciprocity_text(b.reciprocity), b.reciprocity),
            a.reciprocity == b.reciprocity);
    compare("expertise", std::string(to_string(a.expertise)), std::string(to_string(b.expertise)),
            a.expertise == b.expertise);
    number("start_week", a.start_week, b.start_week);
    number("duration_weeks", a.duration_weeks, b.duration_weeks);
    number("valence", a.valence, b.valence);
    number("strength", a.strength, b.strength);
    number("group_strength", a.group_strength, b.group_strength);
    number("caseload", a.caseload, b.caseload);
    number("group_size", a.group_size, b.group_size);
    number("staff_per_group", a.staff_per_group, b.staff_per_group);
    // Delivery elements are paired by kind, in order (the n-th activate of one model with the
    // n-th activate of the other); an element without a partner is compared with "-".
    std::vector<bool> b_used(b.delivery.size(), false);
    std::array<int, kElementKindCount> seen{};
    const auto element_row = [&](const DeliveryElement* x, const DeliveryElement* y) {
        const DeliveryElement& e = x != nullptr ? *x : *y;
        const int n = ++seen[static_cast<int>(e.kind)];
        const std::string field = n == 1 ? fmt::format("delivery {}", to_string(e.kind))
                                         : fmt::format("delivery {} #{}", to_string(e.kind), n);
        const std::string first = x != nullptr ? element_text(*x) : "-";
        const std::string second = y != nullptr ? element_text(*y) : "-";
        if (first == second) {
            same.push_back(fmt::format("delivery {}", first));
        } else {
            differ.push_back({field, first, second});
        }
    };
    for (const DeliveryElement& x : a.delivery) {
        const DeliveryElement* partner = nullptr;
        for (std::size_t j = 0; j < b.delivery.size() && partner == nullptr; ++j) {
            if (!b_used[j] && b.delivery[j].kind == x.kind) {
                b_used[j] = true;
                partner = &b.delivery[j];
            }
        }
        element_row(&x, partner);
    }
    for (std::size_t j = 0; j < b.delivery.size(); ++j) {
        if (!b_used[j]) element_row(nullptr, &b.delivery[j]);
    }
    if (a.delivery.empty() && b.delivery.empty()) same.emplace_back("delivery (none)");
    std::vector<std::string> order_a, order_b;
    for (const DeliveryElement& x : a.delivery) order_a.push_back(element_text(x));
    for (const DeliveryElement& y : b.delivery) order_b.push_back(element_text(y));
    if (order_a != order_b &&
        std::is_permutation(order_a.begin(), order_a.end(), order_b.begin(), order_b.end())) {
        differ.push_back({"delivery order", element_list(a), element_list(b)});
    }

    std::string out =
        fmt::format("compare {} ({}) with {} ({})\n", a.name, a.title, b.name, b.title);
    if (differ.empty()) {
        out += "no differences\n";
    } else {
        std::size_t field_width = 5, first_width = a.name.size();
        for (const Row& row : differ) {
            field_width = std::max(field_width, row.field.size());
            first_width = std::max(first_width, row.first.size());
        }
        out +=
            fmt::format("{:<{}}  {:<{}}  {}\n", "field", field_width, a.name, first_width, b.name);
        for (const Row& row : differ) {
            out += fmt::format("{:<{}}  {:<{}}  {}\n", row.field, field_width, row.first,
                               first_width, row.second);
        }
    }
    std::string same_line;
    for (const std::string& item : same) same_line += (same_line.empty() ? "" : ", ") + item;
    out += fmt::format("same: {}\n", same.empty() ? std::string("nothing") : same_line);
    return out;
}

std::string format_parameter_table() {
    const Parameters defaults;
    std::string out = fmt::format("{:<24} {:<15} {:>9}  {:<16} {}\n", "name", "symbol", "default",
                                  "range", "meaning");
    for (const ParameterInfo& p : parameter_table()) {
        out += fmt::format("{:<24} {:<15} {:>9g}  {:<16} {}\n", p.name, p.symbol, p.get(defaults),
                           parameter_range_text(p), p.meaning);
    }
    return out;
}

std::string format_scenario(const ScenarioSpec& s, const std::string& output) {
    std::string out = fmt::format("scenario {} ({}): valid\n", s.name,
                                  detail::printable(s.source_path.string(), 4096));
    if (!s.description.empty()) out += fmt::format("  {}\n", s.description);
    if (s.population.kind == PopulationSpec::Kind::csv) {
        out += fmt::format("population: CSV agents {} ties {}\n", s.population.agents_csv.string(),
                           s.population.ties_csv.string());
    } else if (s.population.kind == PopulationSpec::Kind::community) {
        const CommunityParams& c = s.population.community;
        out += fmt::format(
            "population: community of {} agents, network {}, {} patients, households of mean "
            "size {:g}\n",
            c.agents, to_string(c.model), community_patients(c), c.household_mean);
    } else {
        const EgoNetworkParams& e = s.population.ego;
        out += fmt::format(
            "population: ego networks of {} patients (family ~ Poisson({:g}), "
            "friends ~ Poisson({:g}), high-EE share {:g})\n",
            e.patients, e.family_mean, e.friends_mean, e.high_ee_share);
    }
    out += fmt::format("weeks: {}  replicates: {}  seed: {}\n", s.weeks, s.replicates, s.seed);
    for (std::size_t a = 0; a < s.arms.size(); ++a) {
        const ArmSpec& arm = s.arms[a];
        std::string size = arm.count   ? fmt::format("{} patients", *arm.count)
                           : arm.share ? fmt::format("share {:g}", *arm.share)
                                       : std::string("from the CSV arm column");
        out += fmt::format("arm {}{}: {}\n", arm.name,
                           static_cast<int>(a) == s.control_arm ? " (control)" : "", size);
        for (const ProgramSpec& p : arm.programs) {
            out += fmt::format(
                "  {}: weeks {} to {} ({} weeks); reciprocity {:g}, expertise {}, strength {:g}\n",
                p.name, p.start_week, p.start_week + p.duration_weeks, p.duration_weeks,
                p.reciprocity, to_string(p.expertise), p.strength);
        }
    }
    const Parameters defaults;
    for (const ParameterInfo& p : parameter_table()) {
        if (p.get(s.params) != p.get(defaults)) {
            out += fmt::format("parameter {} = {:g} (default {:g})\n", p.name, p.get(s.params),
                               p.get(defaults));
        }
    }
    std::string knocked_out;
    for (const MechanismInfo& info : mechanism_table()) {
        if (s.mechanisms.*(info.flag)) continue;
        if (!knocked_out.empty()) knocked_out += ", ";
        knocked_out += info.name;
    }
    if (!knocked_out.empty()) out += fmt::format("knocked out: {}\n", knocked_out);
    if (s.counterfactual) {
        out +=
            "counterfactual: each replicate also runs without any program (individual effects)\n";
    }
    out += fmt::format("output: {}\n", detail::printable(output, 4096));
    return out;
}

}  // namespace kindred
