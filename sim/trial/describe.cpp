// Text descriptions of models, parameters and scenarios for `kindred models|parameters|validate`.
#include "trial/describe.hpp"

#include <fmt/format.h>

#include <cmath>

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

std::string format_parameter_table() {
    const Parameters defaults;
    std::string out = fmt::format("{:<24} {:<15} {:>9}  {:<16} {}\n", "name", "symbol", "default",
                                  "range", "meaning");
    for (const ParameterInfo& p : parameter_table()) {
        const bool open_at_zero = p.min > 0.0 && p.min < 1e-300;  // h_0: any positive value
        const std::string upper =
            std::isinf(p.max) ? std::string("inf") : fmt::format("{:g}", p.max);
        const std::string range =
            open_at_zero ? fmt::format("(0, {}]", upper) : fmt::format("[{:g}, {}]", p.min, upper);
        out += fmt::format("{:<24} {:<15} {:>9g}  {:<16} {}\n", p.name, p.symbol, p.get(defaults),
                           range, p.meaning);
    }
    return out;
}

std::string format_scenario(const ScenarioSpec& s, const std::string& output) {
    std::string out = fmt::format("scenario {} ({}): valid\n", s.name, s.source_path.string());
    if (!s.description.empty()) out += fmt::format("  {}\n", s.description);
    if (s.population.kind == PopulationSpec::Kind::csv) {
        out += fmt::format("population: CSV agents {} ties {}\n", s.population.agents_csv.string(),
                           s.population.ties_csv.string());
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
            out += fmt::format("  {}: weeks {} to {} ({} weeks)\n", p.name, p.start_week,
                               p.start_week + p.duration_weeks, p.duration_weeks);
        }
    }
    const Parameters defaults;
    for (const ParameterInfo& p : parameter_table()) {
        if (p.get(s.params) != p.get(defaults)) {
            out += fmt::format("parameter {} = {:g} (default {:g})\n", p.name, p.get(s.params),
                               p.get(defaults));
        }
    }
    out += fmt::format("output: {}\n", output);
    return out;
}

}  // namespace kindred
