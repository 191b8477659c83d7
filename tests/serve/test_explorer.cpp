// The explorer's small world and the validation of what the page sends: every malformed body
// is refused with 400 (413 when too large) and a message naming the field; sessions are
// deterministic, share their world across models with the same seed, and stop at the horizon.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "config/scenario.hpp"
#include "serve/explorer.hpp"

namespace kindred::serve {
namespace {

using nlohmann::json;

const std::filesystem::path kSource = KINDRED_SOURCE_DIR;
const std::vector<std::string> kModels = {"befriending", "open_dialogue", "systemic_family_therapy",
                                          "self_help_groups"};

/// The status of the RequestError that parse_settings throws, or 0 when it accepts `body`.
int settings_status(const std::string& body) {
    try {
        parse_settings(body, kModels);
        return 0;
    } catch (const RequestError& error) {
        EXPECT_FALSE(std::string(error.what()).empty());
        return error.status();
    }
}

TEST(ParseSettings, ReadsEveryField) {
    const ExplorerSettings s = parse_settings(
        R"({"model": "befriending", "reciprocity": 0.25, "expertise": "patient", "strength": 0.5,
            "group_strength": 0.2, "duration": 26, "high_ee_share": 0.9, "seed": 42})",
        kModels);
    EXPECT_EQ(s.model, "befriending");
    EXPECT_DOUBLE_EQ(*s.reciprocity, 0.25);
    EXPECT_EQ(*s.expertise, Expertise::patient);
    EXPECT_DOUBLE_EQ(*s.strength, 0.5);
    EXPECT_DOUBLE_EQ(*s.group_strength, 0.2);
    EXPECT_EQ(*s.duration_weeks, 26);
    EXPECT_DOUBLE_EQ(s.high_ee_share, 0.9);
    EXPECT_EQ(s.seed, 42u);
}

TEST(ParseSettings, OnlyTheModelIsRequired) {
    const ExplorerSettings s = parse_settings(R"({"model": "open_dialogue"})", kModels);
    EXPECT_FALSE(s.reciprocity || s.expertise || s.strength || s.duration_weeks);
    EXPECT_DOUBLE_EQ(s.high_ee_share, 0.45);  // spec §5 default
    EXPECT_EQ(s.seed, 1u);
    // Integers are numbers too; the largest seed JavaScript holds exactly is accepted.
    EXPECT_EQ(
        settings_status(R"({"model": "befriending", "reciprocity": 1, "seed": 9007199254740991})"),
        0);
}

TEST(ParseSettings, RefusesMalformedBodies) {
    for (const std::string body :
         {"", "   ", "{", "nonsense", R"({"model": "befriending",})",
          "{\"model\": \"befriend\xff\"}", "[1, 2]", "\"befriending\"", "42", "null"}) {
        EXPECT_EQ(settings_status(body), 400) << body;
    }
}

TEST(ParseSettings, RefusesBadFieldsWithTheirNames) {
    const std::vector<std::string> bodies = {
        R"({})",                                                     // model missing
        R"({"model": "psychoanalysis"})",                            // not in the catalogue
        R"({"model": 3})",                                           // wrong type
        R"({"model": "befriending", "colour": "red"})",              // unknown key
        R"({"model": "befriending", "reciprocity": 1.5})",           // out of range
        R"({"model": "befriending", "reciprocity": -0.1})",          //
        R"({"model": "befriending", "reciprocity": "reciprocal"})",  // a number is expected
        R"({"model": "befriending", "reciprocity": 1e400})",         // overflows to infinity
        R"({"model": "befriending", "expertise": "guru"})",          //
        R"({"model": "befriending", "expertise": 1})",               //
        R"({"model": "befriending", "strength": 2})",                //
        R"({"model": "befriending", "group_strength": null})",       //
        R"({"model": "befriending", "duration": 0})",                //
        R"({"model": "befriending", "duration": 105})",              //
        R"({"model": "befriending", "duration": 26.5})",             // not an integer
        R"({"model": "befriending", "high_ee_share": 1.01})",        //
        R"({"model": "befriending", "seed": -1})",                   //
        R"({"model": "befriending", "seed": 9007199254740992})",     // 2^53
        R"({"model": "befriending", "seed": 18446744073709551615})",
        R"({"model": "befriending", "seed": true})",
    };
    for (const std::string& body : bodies) EXPECT_EQ(settings_status(body), 400) << body;
    try {
        parse_settings(R"({"model": "befriending", "reciprocity": 1.5})", kModels);
    } catch (const RequestError& error) {
        EXPECT_NE(std::string(error.what()).find("reciprocity"), std::string::npos);
        EXPECT_NE(std::string(error.what()).find("[0, 1]"), std::string::npos);
    }
}

TEST(ParseSettings, RefusesHugeAndDeeplyNestedBodies) {
    EXPECT_EQ(settings_status(std::string(kMaxBodyBytes + 1, ' ')), 413);
    // 2000 levels of nesting inside the size limit: parsed without recursion, refused by shape.
    const std::string deep =
        R"({"model": )" + std::string(2000, '[') + std::string(2000, ']') + "}";
    ASSERT_LE(deep.size(), kMaxBodyBytes);
    EXPECT_EQ(settings_status(deep), 400);
    EXPECT_EQ(settings_status(std::string(2000, '[')), 400);
}

TEST(ParseStepWeeks, AcceptsOneToFiftyTwoWeeks) {
    EXPECT_EQ(parse_step_weeks(""), 1);
    EXPECT_EQ(parse_step_weeks("{}"), 1);
    EXPECT_EQ(parse_step_weeks(R"({"weeks": 52})"), 52);
    for (const std::string body : {R"({"weeks": 0})", R"({"weeks": 53})", R"({"weeks": "3"})",
                                   R"({"weeks": 2.5})", R"({"days": 3})", "[3]", "{"}) {
        EXPECT_THROW(parse_step_weeks(body), RequestError) << body;
    }
}

class Session : public ::testing::Test {
  protected:
    ModelCatalogue catalogue_{{kSource / "models"}};

    json start(const std::string& model, double high_ee_share, std::uint64_t seed, int weeks) {
        ExplorerSettings settings;
        settings.model = model;
        settings.high_ee_share = high_ee_share;
        settings.seed = seed;
        ExplorerSession session(settings, catalogue_.load(model));
        EXPECT_EQ(session.step(weeks), weeks);
        return json::parse(session.state_json());
    }
};

TEST_F(Session, HoldsTwentyPatientsHalfTreated) {
    const json state = start("befriending", 0.45, 7, 0);
    EXPECT_EQ(state["week"], 0);
    int treated = 0, control = 0;
    for (const json& node : state["nodes"]) {
        if (node["role"] != "patient") continue;
        treated += node["arm"] == "treated";
        control += node["arm"] == "control";
        EXPECT_EQ(node["anchor"], node["id"]);
    }
    EXPECT_EQ(treated, kExplorerPatients / 2);
    EXPECT_EQ(control, kExplorerPatients / 2);
    // Befriending's volunteers arrive at week 0: one per treated patient, anchored to them.
    int volunteers = 0;
    for (const json& node : state["nodes"]) {
        if (node["role"] != "volunteer") continue;
        ++volunteers;
        const json& patient = state["nodes"][node["anchor"].get<int>()];
        EXPECT_EQ(patient["arm"], "treated");
    }
    EXPECT_EQ(volunteers, treated);
    for (const json& tie : state["ties"]) {
        EXPECT_GE(tie["w"].get<double>(), 0.0);
        EXPECT_LE(tie["w"].get<double>(), 1.0);
        EXPECT_GE(tie["q"].get<double>(), -1.0);
        EXPECT_LE(tie["q"].get<double>(), 1.0);
    }
}

TEST_F(Session, IsDeterministicAndSharesItsWorldAcrossModels) {
    const json a = start("befriending", 0.45, 11, 10);
    const json b = start("befriending", 0.45, 11, 10);
    EXPECT_EQ(a, b);
    // Same seed, another model: the same people in the same arms at week 0 (the program's new
    // agents aside; help differs already, on the program's ties).
    const json c = start("self_help_groups", 0.45, 11, 0);
    const json a0 = start("befriending", 0.45, 11, 0);
    const std::size_t initial = c["nodes"].size();
    ASSERT_GE(a0["nodes"].size(), initial);
    for (std::size_t i = 0; i < initial; ++i) {
        for (const char* key : {"role", "arm", "anchor", "d", "a"}) {
            EXPECT_EQ(a0["nodes"][i][key], c["nodes"][i][key]) << i << " " << key;
        }
    }
    // Another seed, another world.
    EXPECT_NE(start("befriending", 0.45, 12, 0)["nodes"], a0["nodes"]);
}

TEST_F(Session, HighExpressedEmotionMakesFamilyTiesCritical) {
    const auto critical_family_ties = [](const json& state) {
        int count = 0;
        for (const json& tie : state["ties"]) count += tie["type"] == "family" && tie["q"] < 0.0;
        return count;
    };
    EXPECT_EQ(critical_family_ties(start("befriending", 0.0, 3, 0)), 0);
    EXPECT_GT(critical_family_ties(start("befriending", 1.0, 3, 0)), 20);
}

TEST_F(Session, StopsAtTheLastWeekAndKeepsItsHistory) {
    ExplorerSettings settings;
    settings.model = "open_dialogue";
    settings.duration_weeks = 10;
    ExplorerSession session(settings, catalogue_.load("open_dialogue"));
    EXPECT_EQ(session.step(kMaxStepWeeks), kMaxStepWeeks);
    EXPECT_EQ(session.step(kMaxStepWeeks), kMaxStepWeeks);
    EXPECT_TRUE(session.finished());
    EXPECT_EQ(session.step(5), 0);
    const json state = json::parse(session.state_json());
    EXPECT_EQ(state["week"], kExplorerWeeks);
    EXPECT_EQ(state["settings"]["duration"], 10);
    EXPECT_EQ(state["history"]["week"].size(), static_cast<std::size_t>(kExplorerWeeks + 1));
    EXPECT_EQ(state["history"]["distress"]["treated"].size(),
              static_cast<std::size_t>(kExplorerWeeks + 1));
    // After week 10 open dialogue's professional ties are gone.
    for (const json& tie : state["ties"]) EXPECT_FALSE(tie["program"].get<bool>());
}

}  // namespace
}  // namespace kindred::serve
