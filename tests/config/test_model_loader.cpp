// Tests for config/model_loader.cpp: the shipped catalogue, every program field, the catalogue's
// look-up rules, and the located one-line errors for malformed model files.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "config/scenario.hpp"
#include "config_fixtures.hpp"

namespace kindred {
namespace {

namespace fs = std::filesystem;
using config_testing::bad_input_name;
using config_testing::BadInput;
using config_testing::input_error;
using config_testing::kModelsDir;
using config_testing::kTestData;
using config_testing::kTestModelsDir;
using config_testing::located;

const fs::path kShadowModelsDir = kTestData / "models_shadow";

/// A fresh directory per test, removed afterwards.
class ModelLoaderFiles : public ::testing::Test {
  protected:
    void SetUp() override {
        const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
        std::string name = std::string(info->test_suite_name()) + "_" + info->name();
        std::replace(name.begin(), name.end(), '/', '_');  // parameterised names hold '/'
        dir_ = fs::temp_directory_path() /
               ("kindred_model_loader_" + name + "_" + std::to_string(::getpid()));
        fs::remove_all(dir_);
        fs::create_directories(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }

    fs::path write(const std::string& file_name, const std::string& text) const {
        const fs::path path = dir_ / file_name;
        std::ofstream(path) << text;
        return path;
    }

    fs::path dir_;
};

TEST(ModelLoader, ShippedBefriendingFollowsTables1And2) {
    const ProgramSpec program = load_model_file(kModelsDir / "befriending.yaml");
    EXPECT_EQ(program.name, "befriending");
    EXPECT_EQ(program.title, "Befriending");
    EXPECT_EQ(program.source, (kModelsDir / "befriending.yaml").string());
    const ResourceVector expected_resources = {1, 0, 0, 0, 1, 0};
    EXPECT_EQ(program.resources, expected_resources);
    EXPECT_EQ(program.relationship_types, std::vector<TieType>{TieType::friend_});
    EXPECT_DOUBLE_EQ(program.reciprocity, 1.0);
    EXPECT_EQ(program.expertise, Expertise::none);
    EXPECT_EQ(program.start_week, 0);
    EXPECT_EQ(program.duration_weeks, 52);
    ASSERT_EQ(program.delivery.size(), 1u);
    EXPECT_EQ(program.delivery[0].kind, ElementKind::volunteer);
    EXPECT_DOUBLE_EQ(program.delivery[0].persist_probability, 0.0);
    EXPECT_DOUBLE_EQ(program.social_resource(), 1.0);
}

TEST(ModelLoader, ShippedTreatmentAsUsualDeliversNothing) {
    const ProgramSpec program = load_model_file(kModelsDir / "treatment_as_usual.yaml");
    EXPECT_EQ(program.name, "treatment_as_usual");
    const ResourceVector zeros{};
    EXPECT_EQ(program.resources, zeros);
    EXPECT_TRUE(program.relationship_types.empty());
    EXPECT_TRUE(program.delivery.empty());
    EXPECT_DOUBLE_EQ(program.reciprocity, 1.0);
    EXPECT_EQ(program.expertise, Expertise::none);
}

TEST(ModelLoader, ReadsEveryProgramField) {
    const ProgramSpec program = load_model_file(kTestModelsDir / "peer_group.yaml");
    EXPECT_EQ(program.title, "Peer group (test)");
    const ResourceVector expected_resources = {1, 0.25, 1, 0, 0.5, 0};
    EXPECT_EQ(program.resources, expected_resources);
    EXPECT_EQ(program.relationship_types,
              (std::vector<TieType>{TieType::peer, TieType::friend_, TieType::professional}));
    EXPECT_DOUBLE_EQ(program.reciprocity, 0.5);
    EXPECT_EQ(program.expertise, Expertise::peers);
    EXPECT_EQ(program.start_week, 3);
    EXPECT_EQ(program.duration_weeks, 30);
    EXPECT_DOUBLE_EQ(program.valence, -0.5);
    EXPECT_DOUBLE_EQ(program.strength, 0.4);
    EXPECT_DOUBLE_EQ(program.group_strength, 0.15);
    EXPECT_EQ(program.caseload, 7);
    EXPECT_EQ(program.group_size, 6);
    EXPECT_EQ(program.staff_per_group, 2);
    ASSERT_EQ(program.delivery.size(), 5u);
    EXPECT_EQ(program.delivery[0].kind, ElementKind::group);
    EXPECT_EQ(program.delivery[0].group_tie_type, TieType::friend_);
    EXPECT_EQ(program.delivery[1].kind, ElementKind::group);
    EXPECT_EQ(program.delivery[1].group_tie_type, TieType::peer);  // the default
    EXPECT_EQ(program.delivery[2].kind, ElementKind::staff);
    EXPECT_EQ(program.delivery[3].kind, ElementKind::peer_worker);
    EXPECT_DOUBLE_EQ(program.delivery[3].persist_probability, 0.3);
    EXPECT_EQ(program.delivery[4].kind, ElementKind::volunteer);
    EXPECT_DOUBLE_EQ(program.delivery[4].persist_probability, 0.6);
}

TEST(ModelLoader, ReadsActivateElements) {
    const ProgramSpec program = load_model_file(kTestModelsDir / "family_work.yaml");
    EXPECT_DOUBLE_EQ(program.reciprocity, 0.0);
    EXPECT_EQ(program.expertise, Expertise::provider);
    // Fields left out keep the documented defaults.
    EXPECT_DOUBLE_EQ(program.valence, 0.8);
    EXPECT_DOUBLE_EQ(program.strength, 0.3);
    EXPECT_DOUBLE_EQ(program.group_strength, 0.1);
    EXPECT_EQ(program.group_size, 8);
    EXPECT_EQ(program.staff_per_group, 1);
    ASSERT_EQ(program.delivery.size(), 3u);
    EXPECT_EQ(program.delivery[0].kind, ElementKind::professional);
    EXPECT_EQ(program.delivery[1].activate_types, std::vector<TieType>{TieType::family});
    EXPECT_DOUBLE_EQ(program.delivery[1].a_w, 0.02);
    EXPECT_DOUBLE_EQ(program.delivery[1].a_q, 0.03);
    EXPECT_EQ(program.delivery[2].activate_types,
              (std::vector<TieType>{TieType::friend_, TieType::family}));
    EXPECT_DOUBLE_EQ(program.delivery[2].a_w, 0.01);
    EXPECT_DOUBLE_EQ(program.delivery[2].a_q, 0.01);
}

TEST(ModelCatalogue, LoadsByNameFromTheFirstDirectoryThatHasIt) {
    const ModelCatalogue shipped({kModelsDir});
    EXPECT_EQ(shipped.load("befriending").title, "Befriending");
    const ModelCatalogue shadowed({kShadowModelsDir, kModelsDir});
    const ProgramSpec shadow = shadowed.load("befriending");
    EXPECT_EQ(shadow.title, "Shadow befriending");
    EXPECT_DOUBLE_EQ(shadow.reciprocity, 0.75);
    EXPECT_EQ(shadowed.load("treatment_as_usual").source,
              (kModelsDir / "treatment_as_usual.yaml").string());
}

TEST(ModelCatalogue, LoadsByPathRelativeToADirectory) {
    const ModelCatalogue catalogue({kModelsDir});
    const ProgramSpec program =
        catalogue.load("models/peer_group.yaml", kTestModelsDir.parent_path());
    EXPECT_EQ(program.name, "peer_group");
    EXPECT_EQ(catalogue.load((kTestModelsDir / "family_work.yaml").string()).name, "family_work");
}

TEST(ModelCatalogue, LoadAllIsSortedAndFirstDirectoryWins) {
    const ModelCatalogue catalogue({kShadowModelsDir, kModelsDir, kTestModelsDir});
    const std::vector<ProgramSpec> programs = catalogue.load_all();
    std::vector<std::string> names;
    for (const auto& program : programs) names.push_back(program.name);
    EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
    EXPECT_EQ(std::adjacent_find(names.begin(), names.end()), names.end()) << "duplicate names";
    for (const char* name : {"befriending", "treatment_as_usual", "family_work", "peer_group"}) {
        EXPECT_NE(std::find(names.begin(), names.end(), name), names.end()) << name;
    }
    const auto befriending = std::find_if(programs.begin(), programs.end(),
                                          [](const auto& p) { return p.name == "befriending"; });
    ASSERT_NE(befriending, programs.end());
    EXPECT_EQ(befriending->title, "Shadow befriending");
}

TEST(ModelCatalogue, ShippedCatalogueIsValid) {
    const std::vector<ProgramSpec> programs = ModelCatalogue({kModelsDir}).load_all();
    ASSERT_GE(programs.size(), 2u);
    for (const auto& program : programs) {
        EXPECT_EQ(program.source, (kModelsDir / (program.name + ".yaml")).string());
        EXPECT_GE(program.duration_weeks, 1) << program.name;
    }
}

TEST(ModelCatalogue, UnknownNameListsDirectoriesAndModels) {
    const ModelCatalogue catalogue({kModelsDir, kTestModelsDir});
    const std::string message = input_error([&] { catalogue.load("befriendin"); });
    EXPECT_NE(message.find("'befriendin'"), std::string::npos) << message;
    EXPECT_NE(message.find(kModelsDir.string()), std::string::npos) << message;
    EXPECT_NE(message.find(kTestModelsDir.string()), std::string::npos) << message;
    for (const char* name : {"befriending", "family_work", "peer_group", "treatment_as_usual"}) {
        EXPECT_NE(message.find(" " + std::string(name)), std::string::npos) << message;
    }
    EXPECT_NE(message.find("available: befriending, "), std::string::npos) << message;
}

TEST(ModelCatalogue, MissingPathIsAnInputError) {
    const ModelCatalogue catalogue({kModelsDir});
    const std::string message =
        input_error([&] { catalogue.load("nowhere/absent.yaml", kTestModelsDir); });
    EXPECT_NE(message.find((kTestModelsDir / "nowhere/absent.yaml").string() +
                           ": cannot open model file (No such file or directory)"),
              std::string::npos)
        << message;
}

TEST_F(ModelLoaderFiles, MissingFile) {
    const fs::path path = dir_ / "absent.yaml";
    EXPECT_EQ(input_error([&] { load_model_file(path); }),
              path.string() + ": cannot open model file (No such file or directory)");
}

TEST_F(ModelLoaderFiles, AcceptsReciprocityAsANumber) {
    const fs::path path = write("numeric.yaml", R"(name: numeric
resources: {social_relationships: 1, decision_making: 0, experiential_knowledge: 0,
            individual_strengths: 0, recreational_activities: 0, self_actualising: 0}
reciprocity: 0.25
expertise: everyone
)");
    const ProgramSpec program = load_model_file(path);
    EXPECT_DOUBLE_EQ(program.reciprocity, 0.25);
    EXPECT_EQ(program.expertise, Expertise::everyone);
    EXPECT_EQ(program.title, "numeric");  // defaults to the name
    EXPECT_TRUE(program.delivery.empty());
}

/// One malformed model file and the pieces its error message must contain.
using BadModel = BadInput;

constexpr const char* kResources = R"(resources:
  social_relationships: 1
  decision_making: 0
  experiential_knowledge: 0
  individual_strengths: 0
  recreational_activities: 1
  self_actualising: 0
)";

/// A valid model "bad" whose lines 1–10 are fixed; cases append from line 11 on.
std::string valid_model(const std::string& tail) {
    return std::string("name: bad\nreciprocity: reciprocal\nexpertise: none\n") + kResources + tail;
}

class ModelLoaderErrors : public ModelLoaderFiles,
                          public ::testing::WithParamInterface<BadModel> {};

TEST_P(ModelLoaderErrors, NamesFileLineAndKey) {
    const BadModel& bad = GetParam();
    const fs::path path = write("bad.yaml", bad.text);
    const std::string message = input_error([&] { load_model_file(path); });
    EXPECT_EQ(message.rfind(located(path, bad.location), 0), 0u) << message;
    EXPECT_NE(message.find(bad.key), std::string::npos) << message;
    EXPECT_NE(message.find(bad.detail), std::string::npos) << message;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ModelLoaderErrors,
    ::testing::Values(
        BadModel{"SyntaxError", valid_model("valence: [0.5\n"), "12:1", "valid YAML",
                 "syntax error"},
        BadModel{"EmptyFile", "", "", "expected a map of model keys", "an empty value"},
        BadModel{"UnknownKey", valid_model("colour: blue\n"), "11:1", "key 'colour'",
                 "one of name, title, citation"},
        BadModel{"DuplicateKey", valid_model("strength: 0.2\nstrength: 0.4\n"), "12:1",
                 "key 'strength'", "first at " /* + path:11:11 */},
        BadModel{"DuplicateResource",
                 "name: bad\nreciprocity: reciprocal\nexpertise: none\nresources:\n"
                 "  social_relationships: 1\n  social_relationships: 0\n",
                 "6:3", "key 'resources.social_relationships'", "each key once"},
        BadModel{"WrongType", valid_model("valence: high\n"), "11:10", "key 'valence'",
                 "expected a number in [-1, 1], found 'high'"},
        BadModel{"QuotedNumberIsAString", valid_model("strength: \"0.5\"\n"), "11:11",
                 "key 'strength'", "found \"0.5\""},
        BadModel{"OutOfRange", valid_model("strength: 1.5\n"), "11:11", "key 'strength'",
                 "expected a number in [0, 1], found '1.5'"},
        BadModel{"NotFinite", valid_model("valence: .nan\n"), "11:10", "key 'valence'",
                 "found '.nan'"},
        BadModel{"NotAnInteger", valid_model("caseload: 2.5\n"), "11:11", "key 'caseload'",
                 "expected an integer >= 1, found '2.5'"},
        BadModel{"ZeroDuration", valid_model("duration_weeks: 0\n"), "11:17",
                 "key 'duration_weeks'", "an integer >= 1"},
        BadModel{"TrailingJunk", valid_model("group_size: 8x\n"), "11:13", "key 'group_size'",
                 "found '8x'"},
        BadModel{"EmptyValue", valid_model("valence:\n"), "11:1", "key 'valence'",
                 "found an empty value"},
        BadModel{"MissingRequiredKey", "name: bad\nreciprocity: reciprocal\nexpertise: none\n",
                 "1:1", "key 'resources'", "(required), found nothing"},
        BadModel{"MissingResource",
                 "name: bad\nreciprocity: reciprocal\nexpertise: none\nresources:\n"
                 "  social_relationships: 1\n",
                 "5:3", "key 'resources.decision_making'", "found nothing"},
        BadModel{"UnknownResource",
                 "name: bad\nreciprocity: reciprocal\nexpertise: none\nresources:\n"
                 "  happiness: 1\n",
                 "5:3", "key 'resources.happiness'", "one of social_relationships"},
        BadModel{"NameIsNotTheFileName", "name: other\n" + valid_model("").substr(10), "1:7",
                 "key 'name'", "expected 'bad' (the file name without .yaml), found 'other'"},
        BadModel{"BadReciprocityWord",
                 std::string("name: bad\nreciprocity: mutual\nexpertise: none\n") + kResources,
                 "2:14", "key 'reciprocity'", "reciprocal, partial, unidirectional or a number"},
        BadModel{"BadExpertise",
                 std::string("name: bad\nreciprocity: reciprocal\nexpertise: boss\n") + kResources,
                 "3:12", "key 'expertise'", "one of none, provider, patient, peers, everyone"},
        BadModel{"UnknownRelationshipType", valid_model("relationship_types: [friend, pet]\n"),
                 "11:30", "key 'relationship_types[1]'", "found 'pet'"},
        BadModel{"RepeatedRelationshipType", valid_model("relationship_types: [friend, friend]\n"),
                 "11:30", "key 'relationship_types[1]'", "each relationship type once"},
        BadModel{"UnknownElement", valid_model("delivery:\n  - element: therapist\n"), "12:14",
                 "key 'delivery[0].element'", "one of professional, peer_worker"},
        BadModel{"ElementWithoutKind", valid_model("delivery:\n  - a_w: 0.1\n"), "12:5",
                 "key 'delivery[0].element'", "(required)"},
        BadModel{"KeyOfAnotherElement",
                 valid_model("delivery:\n  - element: volunteer\n    a_w: 0.1\n"), "13:5",
                 "key 'delivery[0].a_w'", "one of element, persist_probability"},
        BadModel{"ActivateWithoutTypes", valid_model("delivery:\n  - element: activate\n"), "12:5",
                 "key 'delivery[0].types'", "(required)"},
        BadModel{"ActivateWithNoTypes",
                 valid_model("delivery:\n  - element: activate\n    types: []\n"), "13:12",
                 "key 'delivery[0].types'", "found an empty list"},
        BadModel{"PersistOutOfRange",
                 valid_model("delivery:\n  - element: peer_worker\n    persist_probability: 2\n"),
                 "13:26", "key 'delivery[0].persist_probability'", "[0, 1]"},
        BadModel{"DeliveryNotAList", valid_model("delivery: volunteer\n"), "11:11",
                 "key 'delivery'", "expected a list of delivery elements, found 'volunteer'"},
        BadModel{"TwoDocuments", valid_model("---\nname: bad\n"), "11:1", "one YAML document",
                 "found more than one"}),
    bad_input_name);

}  // namespace
}  // namespace kindred
