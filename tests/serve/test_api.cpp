// The explorer's JSON API without HTTP: the session life cycle, the bound on sessions, idle
// expiry (with a test clock), JSON errors for every bad request, and concurrent use.
#include <gtest/gtest.h>

#include <atomic>
#include <nlohmann/json.hpp>
#include <thread>

#include "config/scenario.hpp"
#include "serve/api.hpp"
#include "serve/explorer.hpp"

namespace kindred::serve {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

const std::filesystem::path kSource = KINDRED_SOURCE_DIR;

class Api : public ::testing::Test {
  protected:
    std::chrono::steady_clock::time_point now_ = std::chrono::steady_clock::time_point{} + 1h;
    std::unique_ptr<ExplorerApi> api_;

    void make(std::size_t max_sessions, std::chrono::seconds lifetime = 60s) {
        api_ = std::make_unique<ExplorerApi>(ModelCatalogue({kSource / "models"}).load_all(),
                                             SessionLimits{max_sessions, lifetime},
                                             [this] { return now_; });
    }
    void SetUp() override { make(4); }

    static std::string id_of(const ApiResponse& response) {
        return json::parse(response.body)["id"].get<std::string>();
    }
    static void expect_error(const ApiResponse& response, int status) {
        EXPECT_EQ(response.status, status) << response.body;
        const json body = json::parse(response.body);
        EXPECT_TRUE(body.contains("error") && body["error"].is_string()) << response.body;
    }
};

TEST_F(Api, ListsTheCatalogue) {
    const ApiResponse response = api_->models();
    ASSERT_EQ(response.status, 200);
    const json body = json::parse(response.body);
    EXPECT_EQ(body["models"].size(), 11u);  // the ten models of the review + usual care
    EXPECT_EQ(body["patients"], kExplorerPatients);
    for (const json& model : body["models"]) {
        EXPECT_EQ(model["resources"].size(), 6u);
        EXPECT_TRUE(model["reciprocity"].is_number());
    }
}

TEST_F(Api, CreatesStepsReadsAndDeletesASession) {
    const ApiResponse created = api_->create_session(R"({"model": "befriending", "seed": 5})");
    ASSERT_EQ(created.status, 201) << created.body;
    const std::string id = id_of(created);
    EXPECT_EQ(id.size(), 32u);
    EXPECT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos);

    const ApiResponse stepped = api_->step_session(id, R"({"weeks": 3})");
    ASSERT_EQ(stepped.status, 200);
    EXPECT_EQ(json::parse(stepped.body)["state"]["week"], 3);
    EXPECT_EQ(json::parse(api_->get_session(id).body)["state"]["week"], 3);

    EXPECT_EQ(api_->delete_session(id).status, 200);
    expect_error(api_->get_session(id), 404);
    expect_error(api_->step_session(id, "{}"), 404);
    expect_error(api_->delete_session(id), 404);
}

TEST_F(Api, RefusesBadRequestsWithJsonErrors) {
    expect_error(api_->create_session("{"), 400);
    expect_error(api_->create_session(R"({"model": "psychoanalysis"})"), 400);
    expect_error(api_->create_session(R"({"model": "befriending", "duration": 1000})"), 400);
    expect_error(api_->create_session(std::string(100'000, '{')), 413);
    const std::string id = id_of(api_->create_session(R"({"model": "befriending"})"));
    expect_error(api_->step_session(id, R"({"weeks": 0})"), 400);
    expect_error(api_->step_session(id, R"({"weeks": 500})"), 400);
    expect_error(api_->step_session("0123456789abcdef0123456789abcdef", "{}"), 404);
    // At the horizon: 409 until reset.
    EXPECT_EQ(api_->step_session(id, R"({"weeks": 52})").status, 200);
    EXPECT_EQ(api_->step_session(id, R"({"weeks": 52})").status, 200);
    expect_error(api_->step_session(id, R"({"weeks": 1})"), 409);
    EXPECT_EQ(api_->session_count(), 1u);  // the failed creations left nothing behind
}

TEST_F(Api, BoundsTheNumberOfSessions) {
    make(2);
    const std::string first = id_of(api_->create_session(R"({"model": "befriending"})"));
    EXPECT_EQ(api_->create_session(R"({"model": "befriending"})").status, 201);
    expect_error(api_->create_session(R"({"model": "befriending"})"), 429);
    EXPECT_EQ(api_->session_count(), 2u);
    EXPECT_EQ(api_->delete_session(first).status, 200);
    EXPECT_EQ(api_->create_session(R"({"model": "befriending"})").status, 201);
}

TEST_F(Api, DropsIdleSessionsAfterTheirLifetime) {
    make(2, 60s);
    const std::string id = id_of(api_->create_session(R"({"model": "befriending"})"));
    now_ += 50s;
    EXPECT_EQ(api_->step_session(id, "{}").status, 200);  // use keeps it alive
    now_ += 50s;
    EXPECT_EQ(api_->get_session(id).status, 200);
    now_ += 61s;
    expect_error(api_->get_session(id), 404);
    EXPECT_EQ(api_->session_count(), 0u);
    // Idle sessions make room for new ones.
    api_->create_session(R"({"model": "befriending"})");
    api_->create_session(R"({"model": "befriending"})");
    now_ += 61s;
    EXPECT_EQ(api_->create_session(R"({"model": "befriending"})").status, 201);
}

TEST_F(Api, SurvivesConcurrentUse) {
    make(8);
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            for (int round = 0; round < 5; ++round) {
                const ApiResponse created = api_->create_session(
                    R"({"model": "self_help_groups", "seed": )" + std::to_string(t) + "}");
                if (created.status != 201) {
                    ++failures;
                    continue;
                }
                const std::string id = id_of(created);
                for (int k = 0; k < 3; ++k) {
                    if (api_->step_session(id, R"({"weeks": 2})").status != 200) ++failures;
                }
                api_->models();
                if (api_->delete_session(id).status != 200) ++failures;
            }
        });
    }
    for (std::thread& thread : threads) thread.join();
    EXPECT_EQ(failures.load(), 0);
    EXPECT_EQ(api_->session_count(), 0u);
}

}  // namespace
}  // namespace kindred::serve
