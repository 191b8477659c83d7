// The explorer's small world and the validation of what the page sends.
#include "serve/explorer.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <optional>

#include "config/scenario.hpp"
#include "core/simulation.hpp"
#include "trial/trial.hpp"

namespace kindred::serve {

namespace {

using nlohmann::json;

/// A value as the error message shows it: its JSON text, cut to 40 characters.
std::string shown(const json& value) {
    std::string text = value.dump(-1, ' ', true, json::error_handler_t::replace);
    if (text.size() > 40) text = text.substr(0, 37) + "...";
    return text;
}

[[noreturn]] void bad(const std::string& message) { throw RequestError(400, message); }

/// The body as a JSON object, or RequestError. An empty body is an empty object when allowed.
json parse_object(std::string_view body, bool empty_allowed) {
    if (body.size() > kMaxBodyBytes) {
        throw RequestError(413, fmt::format("request body of {} bytes: at most {} allowed",
                                            body.size(), kMaxBodyBytes));
    }
    if (empty_allowed && body.find_first_not_of(" \t\r\n") == std::string_view::npos) {
        return json::object();
    }
    // No exceptions: a malformed body (bad syntax, invalid UTF-8) comes back as "discarded".
    json doc = json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded()) bad("the request body is not valid JSON");
    if (!doc.is_object()) {
        bad(fmt::format("expected a JSON object, found {}", std::string(doc.type_name())));
    }
    return doc;
}

/// Refuses keys outside `allowed`.
void check_keys(const json& object, std::initializer_list<std::string_view> allowed) {
    for (const auto& [key, value] : object.items()) {
        if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
            std::string names;
            for (std::string_view name : allowed) {
                names += names.empty() ? "" : ", ";
                names += name;
            }
            bad(fmt::format("unknown key '{}' (expected: {})",
                            key.size() > 40 ? key.substr(0, 37) + "..." : key, names));
        }
    }
}

std::optional<double> real_field(const json& object, const char* key, double low, double high) {
    const auto it = object.find(key);
    if (it == object.end()) return std::nullopt;
    if (!it->is_number() || !std::isfinite(it->get<double>()) || it->get<double>() < low ||
        it->get<double>() > high) {
        bad(fmt::format("'{}': expected a number in [{}, {}], found {}", key, low, high,
                        shown(*it)));
    }
    return it->get<double>();
}

std::optional<std::int64_t> integer_field(const json& object, const char* key, std::int64_t low,
                                          std::int64_t high) {
    const auto it = object.find(key);
    if (it == object.end()) return std::nullopt;
    const bool in_range =
        (it->is_number_unsigned() && it->get<std::uint64_t>() <= static_cast<std::uint64_t>(high) &&
         static_cast<std::int64_t>(it->get<std::uint64_t>()) >= low) ||
        (it->is_number_integer() && !it->is_number_unsigned() && it->get<std::int64_t>() >= low &&
         it->get<std::int64_t>() <= high);
    if (!in_range) {
        bad(fmt::format("'{}': expected an integer in [{}, {}], found {}", key, low, high,
                        shown(*it)));
    }
    return it->is_number_unsigned() ? static_cast<std::int64_t>(it->get<std::uint64_t>())
                                    : it->get<std::int64_t>();
}

std::optional<std::string> string_field(const json& object, const char* key) {
    const auto it = object.find(key);
    if (it == object.end()) return std::nullopt;
    if (!it->is_string()) bad(fmt::format("'{}': expected a string, found {}", key, shown(*it)));
    return it->get<std::string>();
}

double round4(double x) { return std::round(x * 1e4) / 1e4; }

}  // namespace

ExplorerSettings parse_settings(std::string_view body, const std::vector<std::string>& models) {
    const json request = parse_object(body, /*empty_allowed=*/false);
    check_keys(request, {"model", "reciprocity", "expertise", "strength", "group_strength",
                         "duration", "high_ee_share", "seed"});
    ExplorerSettings settings;
    const std::optional<std::string> model = string_field(request, "model");
    if (!model) bad("'model': required (a model of the catalogue, e.g. \"befriending\")");
    if (std::find(models.begin(), models.end(), *model) == models.end()) {
        bad(fmt::format("'model': expected a model of the catalogue, found {}",
                        shown(request["model"])));
    }
    settings.model = *model;
    settings.reciprocity = real_field(request, "reciprocity", 0.0, 1.0);
    if (const auto expertise = string_field(request, "expertise")) {
        settings.expertise = parse_expertise(*expertise);
        if (!settings.expertise) {
            bad(fmt::format("'expertise': expected one of {}, found {}", expertise_names(),
                            shown(request["expertise"])));
        }
    }
    settings.strength = real_field(request, "strength", 0.0, 1.0);
    settings.group_strength = real_field(request, "group_strength", 0.0, 1.0);
    if (const auto duration = integer_field(request, "duration", 1, kExplorerWeeks)) {
        settings.duration_weeks = static_cast<int>(*duration);
    }
    settings.high_ee_share = real_field(request, "high_ee_share", 0.0, 1.0).value_or(0.45);
    settings.seed =
        static_cast<std::uint64_t>(integer_field(request, "seed", 0, kMaxSeed).value_or(1));
    return settings;
}

int parse_step_weeks(std::string_view body) {
    const json request = parse_object(body, /*empty_allowed=*/true);
    check_keys(request, {"weeks"});
    return static_cast<int>(integer_field(request, "weeks", 1, kMaxStepWeeks).value_or(1));
}

struct ExplorerSession::Impl {
    ExplorerSettings settings;
    ProgramSpec program;  ///< the model with the settings applied
    std::optional<Simulation> sim;
    /// Per agent: the patient whose personal network it belongs to (family, friends,
    /// volunteers), the patient itself, or kNone (professionals, peer workers).
    std::vector<AgentId> anchor;
    std::vector<int> history_week;
    std::vector<double> distress[2], help_received[2];  ///< per arm: control, treated

    void update_anchors();
    void record();
};

void ExplorerSession::Impl::update_anchors() {
    const World& world = sim->world();
    const std::size_t first_new = anchor.size();
    anchor.resize(world.agent_count(), kNone);
    for (std::size_t i = first_new; i < world.agent_count(); ++i) {
        if (world.role[i] == Role::patient) anchor[i] = static_cast<AgentId>(i);
    }
    // A family member or friend belongs to the patient it was generated with (its only tie to
    // a patient at week 0); a volunteer to its client.
    for (std::size_t e = 0; e < world.tie_count(); ++e) {
        for (const auto& [member, other] : {std::pair{world.tie_u[e], world.tie_v[e]},
                                            std::pair{world.tie_v[e], world.tie_u[e]}}) {
            const auto m = static_cast<std::size_t>(member);
            if (m < first_new || anchor[m] != kNone || world.role[other] != Role::patient) continue;
            const Role role = world.role[m];
            if (role == Role::family || role == Role::friend_ || role == Role::volunteer) {
                anchor[m] = other;
            }
        }
    }
}

void ExplorerSession::Impl::record() {
    const World& world = sim->world();
    const Flows& flows = sim->flows();
    double sum_d[2] = {0, 0}, sum_h[2] = {0, 0};
    int count[2] = {0, 0};
    for (std::size_t i = 0; i < world.agent_count(); ++i) {
        if (world.role[i] != Role::patient || world.arm[i] == kNone) continue;
        const int arm = world.arm[i];
        sum_d[arm] += world.state.distress[i];
        sum_h[arm] += flows.help_received[i];
        ++count[arm];
    }
    history_week.push_back(sim->week());
    for (int arm = 0; arm < 2; ++arm) {
        distress[arm].push_back(count[arm] > 0 ? sum_d[arm] / count[arm] : 0.0);
        help_received[arm].push_back(count[arm] > 0 ? sum_h[arm] / count[arm] : 0.0);
    }
}

ExplorerSession::ExplorerSession(const ExplorerSettings& settings, const ProgramSpec& model)
    : impl_(std::make_unique<Impl>()) {
    impl_->settings = settings;
    ProgramSpec program = model;
    if (settings.reciprocity) program.reciprocity = *settings.reciprocity;
    if (settings.expertise) program.expertise = *settings.expertise;
    if (settings.strength) program.strength = *settings.strength;
    if (settings.group_strength) program.group_strength = *settings.group_strength;
    if (settings.duration_weeks) program.duration_weeks = *settings.duration_weeks;
    program.start_week = std::min(program.start_week, kExplorerWeeks - 1);
    impl_->program = program;

    ScenarioSpec scenario;
    scenario.name = "explorer";
    scenario.seed = settings.seed;
    scenario.weeks = kExplorerWeeks;
    scenario.population.kind = PopulationSpec::Kind::ego_network;
    scenario.population.ego.patients = kExplorerPatients;
    scenario.population.ego.high_ee_share = settings.high_ee_share;
    ArmSpec control;
    control.name = "control";
    control.control = true;
    control.share = 0.5;
    ArmSpec treated;
    treated.name = "treated";
    treated.share = 0.5;
    treated.programs.push_back(program);
    scenario.arms = {control, treated};
    scenario.control_arm = 0;

    RunSpec spec;
    spec.seed = settings.seed;
    spec.replicate = 0;
    spec.weeks = kExplorerWeeks;
    spec.enrolments = scenario_enrolments(scenario);
    impl_->sim.emplace(build_world(scenario, 0), std::move(spec));
    impl_->sim->begin_week();
    impl_->update_anchors();
    impl_->record();
}

ExplorerSession::~ExplorerSession() = default;

int ExplorerSession::week() const { return impl_->sim->week(); }

int ExplorerSession::step(int weeks) {
    int done = 0;
    while (done < weeks && !finished()) {
        impl_->sim->finish_week();
        impl_->sim->begin_week();
        impl_->update_anchors();
        impl_->record();
        ++done;
    }
    return done;
}

std::string ExplorerSession::state_json() const {
    const Impl& s = *impl_;
    const World& world = s.sim->world();
    const Flows& flows = s.sim->flows();
    static constexpr const char* kArmNames[2] = {"control", "treated"};

    json nodes = json::array();
    for (std::size_t i = 0; i < world.agent_count(); ++i) {
        const int arm = world.arm[i];
        nodes.push_back({{"id", i},
                         {"role", std::string(to_string(world.role[i]))},
                         {"arm", arm == kNone ? json(nullptr) : json(kArmNames[arm])},
                         {"anchor", s.anchor[i]},
                         {"d", round4(world.state.distress[i])},
                         {"a", round4(world.state.agency[i])},
                         {"H", round4(flows.help_received[i])},
                         {"G", round4(flows.help_given[i])},
                         {"recovered", world.recovered_week[i] != kNone}});
    }
    json ties = json::array();
    for (std::size_t e = 0; e < world.tie_count(); ++e) {
        ties.push_back({{"u", world.tie_u[e]},
                        {"v", world.tie_v[e]},
                        {"type", std::string(to_string(world.tie_type[e]))},
                        {"w", round4(world.tie_w[e])},
                        {"q", round4(world.tie_q[e])},
                        {"program", world.tie_enrolment[e] != kNone}});
    }
    const auto rounded = [](const std::vector<double>& values) {
        json out = json::array();
        for (double v : values) out.push_back(round4(v));
        return out;
    };
    int recovered[2] = {0, 0};
    for (std::size_t i = 0; i < world.agent_count(); ++i) {
        if (world.role[i] == Role::patient && world.arm[i] != kNone &&
            world.recovered_week[i] != kNone) {
            ++recovered[world.arm[i]];
        }
    }
    const ProgramSpec& p = s.program;
    json state = {
        {"week", s.sim->week()},
        {"weeks", kExplorerWeeks},
        {"finished", finished()},
        {"settings",
         {{"model", p.name},
          {"title", p.title},
          {"reciprocity", p.reciprocity},
          {"expertise", std::string(to_string(p.expertise))},
          {"strength", p.strength},
          {"group_strength", p.group_strength},
          {"duration", p.duration_weeks},
          {"start_week", p.start_week},
          {"high_ee_share", s.settings.high_ee_share},
          {"seed", s.settings.seed}}},
        {"arms", {kArmNames[0], kArmNames[1]}},
        {"nodes", std::move(nodes)},
        {"ties", std::move(ties)},
        {"history",
         {{"week", s.history_week},
          {"distress", {{"control", rounded(s.distress[0])}, {"treated", rounded(s.distress[1])}}},
          {"help_received",
           {{"control", rounded(s.help_received[0])}, {"treated", rounded(s.help_received[1])}}}}},
        {"recovered", {{"control", recovered[0]}, {"treated", recovered[1]}}}};
    return state.dump();
}

}  // namespace kindred::serve
