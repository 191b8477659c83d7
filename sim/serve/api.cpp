// The explorer's JSON API: catalogue, bounded session store, and the session routes.
#include "serve/api.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <nlohmann/json.hpp>
#include <random>

#include "serve/explorer.hpp"

namespace kindred::serve {

using nlohmann::json;

ApiResponse error_response(int status, std::string_view message) {
    return {status, json{{"error", std::string(message)}}.dump(-1, ' ', false,
                                                               json::error_handler_t::replace)};
}

struct ExplorerApi::Session {
    std::string id;
    std::mutex mutex;  ///< guards session and last_used
    ExplorerSession session;
    std::chrono::steady_clock::time_point last_used;

    Session(std::string session_id, const ExplorerSettings& settings, const ProgramSpec& model,
            std::chrono::steady_clock::time_point now)
        : id(std::move(session_id)), session(settings, model), last_used(now) {}
};

namespace {

/// The model file's `rationale` (one paragraph on why its delivery reads the model so), or ""
/// when the file cannot be read again.
std::string read_rationale(const ProgramSpec& model) {
    try {
        const YAML::Node node = YAML::LoadFile(model.source);
        if (node["rationale"] && node["rationale"].IsScalar()) {
            return node["rationale"].as<std::string>();
        }
    } catch (const std::exception&) {
    }
    return "";
}

json model_json(const ProgramSpec& model) {
    json resources = json::object();
    for (int r = 0; r < kResourceCount; ++r) {
        resources[std::string(to_string(static_cast<Resource>(r)))] = model.resources[r];
    }
    json types = json::array();
    for (TieType type : model.relationship_types) types.push_back(std::string(to_string(type)));
    json delivery = json::array();
    for (const DeliveryElement& element : model.delivery) {
        json item = {{"element", std::string(to_string(element.kind))}};
        if (element.kind == ElementKind::activate) {
            json activates = json::array();
            for (TieType type : element.activate_types) {
                activates.push_back(std::string(to_string(type)));
            }
            item["types"] = activates;
        }
        delivery.push_back(item);
    }
    return {{"name", model.name},
            {"title", model.title},
            {"resources", resources},
            {"relationship_types", types},
            {"reciprocity", model.reciprocity},
            {"expertise", std::string(to_string(model.expertise))},
            {"duration", model.duration_weeks},
            {"start_week", model.start_week},
            {"strength", model.strength},
            {"group_strength", model.group_strength},
            {"delivery", delivery},
            {"rationale", read_rationale(model)}};
}

std::string new_session_id() {
    std::random_device device;
    std::uniform_int_distribution<std::uint64_t> bits;
    return fmt::format("{:016x}{:016x}", bits(device), bits(device));
}

ApiResponse unknown_session() {
    return error_response(404, "unknown or expired session (start a new one: POST /api/session)");
}

}  // namespace

ExplorerApi::ExplorerApi(std::vector<ProgramSpec> models, SessionLimits limits, Clock clock)
    : models_(std::move(models)), limits_(limits), clock_(std::move(clock)) {
    if (!clock_) clock_ = [] { return std::chrono::steady_clock::now(); };
    json list = json::array();
    for (const ProgramSpec& model : models_) {
        model_names_.push_back(model.name);
        list.push_back(model_json(model));
    }
    models_json_ = json{{"models", list},
                        {"patients", kExplorerPatients},
                        {"weeks", kExplorerWeeks},
                        {"max_step_weeks", kMaxStepWeeks}}
                       .dump(-1, ' ', false, json::error_handler_t::replace);
}

ExplorerApi::~ExplorerApi() = default;

ApiResponse ExplorerApi::models() const { return {200, models_json_}; }

void ExplorerApi::drop_expired() {
    const auto now = clock_();
    for (auto it = sessions_.begin(); it != sessions_.end();) {
        // A session in use holds its own mutex; reading last_used needs it, so skip busy ones
        // (they are in use, hence not idle).
        std::unique_lock lock(it->second->mutex, std::try_to_lock);
        if (lock.owns_lock() && now - it->second->last_used > limits_.idle_lifetime) {
            lock.unlock();
            it = sessions_.erase(it);
        } else {
            ++it;
        }
    }
}

std::size_t ExplorerApi::session_count() {
    std::lock_guard lock(mutex_);
    drop_expired();
    return sessions_.size();
}

std::shared_ptr<ExplorerApi::Session> ExplorerApi::find(std::string_view id) {
    std::lock_guard lock(mutex_);
    drop_expired();
    const auto it = sessions_.find(id);
    return it == sessions_.end() ? nullptr : it->second;
}

ApiResponse ExplorerApi::create_session(std::string_view body) {
    try {
        const ExplorerSettings settings = parse_settings(body, model_names_);
        const auto model = std::find_if(models_.begin(), models_.end(), [&](const ProgramSpec& m) {
            return m.name == settings.model;
        });
        {
            std::lock_guard lock(mutex_);
            drop_expired();
            if (sessions_.size() >= limits_.max_sessions) {
                return error_response(
                    429, fmt::format("too many sessions ({} at most; unused ones end after {} "
                                     "minutes, or DELETE /api/session/ID)",
                                     limits_.max_sessions, limits_.idle_lifetime.count() / 60));
            }
        }
        // Built outside the store's lock: other sessions are not held up meanwhile.
        auto session = std::make_shared<Session>(new_session_id(), settings, *model, clock_());
        std::string state = session->session.state_json();
        {
            std::lock_guard lock(mutex_);
            drop_expired();
            if (sessions_.size() >= limits_.max_sessions) {
                return error_response(
                    429, fmt::format("too many sessions ({} at most)", limits_.max_sessions));
            }
            sessions_.emplace(session->id, session);
        }
        return {201, fmt::format(R"({{"id":"{}","state":{}}})", session->id, state)};
    } catch (const RequestError& error) {
        return error_response(error.status(), error.what());
    } catch (const std::exception& error) {
        return error_response(500, fmt::format("could not start the session: {}", error.what()));
    }
}

ApiResponse ExplorerApi::get_session(std::string_view id) {
    const std::shared_ptr<Session> session = find(id);
    if (!session) return unknown_session();
    std::lock_guard lock(session->mutex);
    session->last_used = clock_();
    return {200,
            fmt::format(R"({{"id":"{}","state":{}}})", session->id, session->session.state_json())};
}

ApiResponse ExplorerApi::step_session(std::string_view id, std::string_view body) {
    try {
        const int weeks = parse_step_weeks(body);
        const std::shared_ptr<Session> session = find(id);
        if (!session) return unknown_session();
        std::lock_guard lock(session->mutex);
        session->last_used = clock_();
        if (session->session.finished()) {
            return error_response(409, fmt::format("the world has reached its last week ({}); "
                                                   "reset to start again",
                                                   kExplorerWeeks));
        }
        const int stepped = session->session.step(weeks);
        return {200, fmt::format(R"({{"id":"{}","stepped":{},"state":{}}})", session->id, stepped,
                                 session->session.state_json())};
    } catch (const RequestError& error) {
        return error_response(error.status(), error.what());
    } catch (const std::exception& error) {
        return error_response(500, fmt::format("the step failed: {}", error.what()));
    }
}

ApiResponse ExplorerApi::delete_session(std::string_view id) {
    std::shared_ptr<Session> removed;  // destroyed after the store's lock is released
    {
        std::lock_guard lock(mutex_);
        drop_expired();
        const auto it = sessions_.find(id);
        if (it == sessions_.end()) return unknown_session();
        removed = std::move(it->second);
        sessions_.erase(it);
    }
    return {200, fmt::format(R"({{"id":"{}","deleted":true}})", removed->id)};
}

}  // namespace kindred::serve
