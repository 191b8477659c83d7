// The explorer's JSON API, apart from HTTP: the catalogue as the page needs it, and a bounded
// store of sessions (at most `max_sessions` at once, each dropped after `idle_lifetime`
// without a request). Every method is thread-safe and answers every input with a response:
// bad requests get a 4xx status and {"error": "…"}; nothing a client sends throws.
//
// Routes (server.cpp maps them):
//   GET    /api/models             → 200 {models: [{name, title, resources, …}]}
//   POST   /api/session            → 201 {id, state}       body: see parse_settings()
//   GET    /api/session/ID         → 200 {id, state}
//   POST   /api/session/ID/step    → 200 {id, stepped, state}   body: {"weeks": n}
//   DELETE /api/session/ID         → 200 {id, deleted: true}
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/program.hpp"

namespace kindred::serve {

/// A response of the API: HTTP status and a JSON body.
struct ApiResponse {
    int status = 200;
    std::string body;
};

/// {"error": message} with `status`.
ApiResponse error_response(int status, std::string_view message);

struct SessionLimits {
    std::size_t max_sessions = 32;                ///< sessions alive at once
    std::chrono::seconds idle_lifetime{30 * 60};  ///< dropped after this long unused
};

class ExplorerApi {
  public:
    using Clock = std::function<std::chrono::steady_clock::time_point()>;

    /// `models`: the catalogue (treatment_as_usual included: it changes nothing, which is a
    /// lesson too). `clock` defaults to steady_clock::now (tests pass their own).
    ExplorerApi(std::vector<ProgramSpec> models, SessionLimits limits, Clock clock = {});
    ~ExplorerApi();

    ApiResponse models() const;
    ApiResponse create_session(std::string_view body);
    ApiResponse get_session(std::string_view id);
    ApiResponse step_session(std::string_view id, std::string_view body);
    ApiResponse delete_session(std::string_view id);

    /// Sessions alive now (after dropping expired ones).
    std::size_t session_count();

  private:
    struct Session;
    std::shared_ptr<Session> find(std::string_view id);  ///< null if unknown or expired
    void drop_expired();                                 ///< requires mutex_

    std::vector<ProgramSpec> models_;
    std::vector<std::string> model_names_;
    std::string models_json_;
    SessionLimits limits_;
    Clock clock_;
    std::mutex mutex_;  ///< guards sessions_
    std::map<std::string, std::shared_ptr<Session>, std::less<>> sessions_;
};

}  // namespace kindred::serve
