// The shipped catalogue (models/*.yaml) against the review it encodes: Priebe, Omer, Giacco &
// Slade (2014), Table 1, Table 2 and the reciprocity and expertise lists, transcribed as data in
// tests/data/catalogue/review.yaml (a transcription of the reference file
// docs/reference/resource-oriented-models.md, in its own words). Also the rule that a delivery
// creates or activates only the relationship types its model lists (config/catalogue_check.hpp
// and load_model_file), with bad fixtures in tests/data/catalogue/bad/.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "config/catalogue_check.hpp"
#include "config/scenario.hpp"

namespace kindred {
namespace {

namespace fs = std::filesystem;

const fs::path kModelsDir = fs::path(KINDRED_SOURCE_DIR) / "models";
const fs::path kCatalogueData = fs::path(KINDRED_SOURCE_DIR) / "tests" / "data" / "catalogue";

/// The eleven files of the catalogue: the ten models of the review and treatment as usual.
const std::vector<std::string> kExpectedModels = {"befriending",
                                                  "client_centred_therapy",
                                                  "creative_music_therapy",
                                                  "open_dialogue",
                                                  "peer_support_workers",
                                                  "positive_psychotherapy",
                                                  "self_help_groups",
                                                  "solution_focused_therapy",
                                                  "systemic_family_therapy",
                                                  "therapeutic_communities",
                                                  "treatment_as_usual"};

/// One model's classification in the review.
struct ReviewRow {
    std::string review_name;  ///< as the review writes it, e.g. "client-centred therapy"
    ResourceVector resources{};
    std::vector<TieType> types;    ///< Table 2 row
    std::string reciprocity_word;  ///< reciprocal | partial | unidirectional
    std::string expertise_word;    ///< the patient | peers | everyone | the therapist | …
};

/// "client-centred therapy" → "client_centred_therapy" (the model file's name).
std::string file_name(const std::string& review_name) {
    std::string name = review_name;
    std::replace(name.begin(), name.end(), ' ', '_');
    std::replace(name.begin(), name.end(), '-', '_');
    return name;
}

/// Table 2 column → relationship type in model files.
TieType tie_type_of_column(const std::string& column) {
    static const std::map<std::string, TieType> kColumns = {
        {"professionals", TieType::professional},
        {"peers", TieType::peer},
        {"friends", TieType::friend_},
        {"family", TieType::family}};
    const auto it = kColumns.find(column);
    if (it == kColumns.end())
        throw std::runtime_error("review.yaml: unknown Table 2 column " + column);
    return it->second;
}

/// The reciprocity list's word → ρ (spec §6: reciprocal 1, partial 0.5, unidirectional 0).
double reciprocity_value(const std::string& word) {
    if (word == "reciprocal") return 1.0;
    if (word == "partial") return 0.5;
    if (word == "unidirectional") return 0.0;
    throw std::runtime_error("review.yaml: unknown reciprocity " + word);
}

/// The expertise list's words → expertise in model files.
Expertise expertise_value(const std::string& word) {
    if (word == "the patient") return Expertise::patient;
    if (word == "peers") return Expertise::peers;
    if (word == "everyone") return Expertise::everyone;
    if (word == "the therapist") return Expertise::provider;
    if (word == "not stated") return Expertise::none;
    throw std::runtime_error("review.yaml: unknown expertise " + word);
}

YAML::Node review_yaml() { return YAML::LoadFile((kCatalogueData / "review.yaml").string()); }

/// The review's rows keyed by model file name. Each model must be in exactly one reciprocity
/// and one expertise list (checked by ReviewTranscription.EveryModelIsInEachListOnce).
std::map<std::string, ReviewRow> read_review() {
    const YAML::Node review = review_yaml();
    std::map<std::string, ReviewRow> rows;
    for (const auto& entry : review["table1"]) {
        ReviewRow row;
        row.review_name = entry.first.as<std::string>();
        const auto values = entry.second.as<std::vector<int>>();
        if (values.size() != kResourceCount) throw std::runtime_error("review.yaml: Table 1 width");
        for (int r = 0; r < kResourceCount; ++r) row.resources[r] = values[r];
        rows[file_name(row.review_name)] = row;
    }
    for (const auto& entry : review["table2"]) {
        ReviewRow& row = rows.at(file_name(entry.first.as<std::string>()));
        for (const auto& column : entry.second.as<std::vector<std::string>>()) {
            row.types.push_back(tie_type_of_column(column));
        }
    }
    for (const auto& entry : review["reciprocity"]) {
        for (const auto& model : entry.second.as<std::vector<std::string>>()) {
            rows.at(file_name(model)).reciprocity_word = entry.first.as<std::string>();
        }
    }
    for (const auto& entry : review["expertise"]) {
        for (const auto& model : entry.second.as<std::vector<std::string>>()) {
            rows.at(file_name(model)).expertise_word = entry.first.as<std::string>();
        }
    }
    return rows;
}

const std::map<std::string, ReviewRow>& review() {
    static const std::map<std::string, ReviewRow> rows = read_review();
    return rows;
}

/// Spec §4, written out independently of the library: the relationship types whose ties an
/// element creates (professional, staff → professional; peer_worker → peer; volunteer →
/// friend; group → its type) or activates (activate → its types).
std::vector<TieType> types_used_by(const DeliveryElement& element) {
    switch (element.kind) {
        case ElementKind::professional:
            return {TieType::professional};
        case ElementKind::staff:
            return {TieType::professional};
        case ElementKind::peer_worker:
            return {TieType::peer};
        case ElementKind::volunteer:
            return {TieType::friend_};
        case ElementKind::group:
            return {element.group_tie_type};
        case ElementKind::activate:
            return element.activate_types;
    }
    return {};
}

std::set<TieType> as_set(const std::vector<TieType>& types) { return {types.begin(), types.end()}; }

std::string names(const std::set<TieType>& types) {
    std::string out;
    for (const TieType type : types) out += (out.empty() ? "" : ",") + std::string(to_string(type));
    return "[" + out + "]";
}

/// Everything in which `program` departs from the review's `row`; empty when it encodes it.
std::vector<std::string> catalogue_problems(const ProgramSpec& program, const ReviewRow& row) {
    std::vector<std::string> problems;
    for (int r = 0; r < kResourceCount; ++r) {
        if (program.resources[r] != row.resources[r]) {
            problems.push_back(std::string("resource ") +
                               std::string(to_string(static_cast<Resource>(r))) + " is " +
                               std::to_string(program.resources[r]) + ", Table 1 says " +
                               std::to_string(row.resources[r]));
        }
    }
    if (as_set(program.relationship_types) != as_set(row.types)) {
        problems.push_back("relationship_types " + names(as_set(program.relationship_types)) +
                           ", Table 2 says " + names(as_set(row.types)));
    }
    if (program.reciprocity != reciprocity_value(row.reciprocity_word)) {
        problems.push_back("reciprocity " + std::to_string(program.reciprocity) +
                           ", the review says " + row.reciprocity_word);
    }
    if (program.expertise != expertise_value(row.expertise_word)) {
        problems.push_back("expertise " + std::string(to_string(program.expertise)) +
                           ", the review says " + row.expertise_word);
    }
    const std::set<TieType> row_types = as_set(row.types);
    for (std::size_t i = 0; i < program.delivery.size(); ++i) {
        std::set<TieType> outside;
        for (const TieType type : types_used_by(program.delivery[i])) {
            if (row_types.count(type) == 0) outside.insert(type);
        }
        if (!outside.empty()) {
            problems.push_back("delivery[" + std::to_string(i) + "] (" +
                               std::string(to_string(program.delivery[i].kind)) + ") uses " +
                               names(outside) + ", not in Table 2's row " + names(row_types));
        }
    }
    return problems;
}

std::string joined(const std::vector<std::string>& lines) {
    std::string out;
    for (const auto& line : lines) out += "\n  " + line;
    return out;
}

/// The model files in models/, except treatment as usual (not a model of the review).
std::vector<std::string> reviewed_model_files() {
    std::vector<std::string> stems;
    for (const auto& entry : fs::directory_iterator(kModelsDir)) {
        if (entry.path().extension() != ".yaml") continue;
        const std::string stem = entry.path().stem().string();
        if (stem != "treatment_as_usual") stems.push_back(stem);
    }
    std::sort(stems.begin(), stems.end());
    return stems;
}

// ---- the transcription itself ----------------------------------------------------------------

TEST(ReviewTranscription, HasTheTenModelsInBothTables) {
    const YAML::Node data = review_yaml();
    EXPECT_EQ(data["table1"].size(), 10u);
    EXPECT_EQ(data["table2"].size(), 10u);
    EXPECT_EQ(review().size(), 10u);
    EXPECT_EQ(data["table1_columns"].size(), static_cast<std::size_t>(kResourceCount));
    for (const auto& [name, row] : review()) {
        EXPECT_EQ(row.resources[static_cast<int>(Resource::social_relationships)], 1.0)
            << "the review: all ten models use social relationships; " << name;
        EXPECT_FALSE(row.types.empty()) << name;
    }
}

TEST(ReviewTranscription, EveryModelIsInEachListOnce) {
    const YAML::Node data = review_yaml();
    for (const char* list : {"reciprocity", "expertise"}) {
        std::map<std::string, int> seen;
        for (const auto& entry : data[list]) {
            for (const auto& model : entry.second.as<std::vector<std::string>>()) {
                ++seen[file_name(model)];
            }
        }
        EXPECT_EQ(seen.size(), 10u) << list;
        for (const auto& [name, count] : seen) {
            EXPECT_EQ(count, 1) << name << " in the " << list << " lists";
            EXPECT_EQ(review().count(name), 1u) << name << " is not in Table 1";
        }
    }
    for (const auto& [name, row] : review()) {
        EXPECT_NO_THROW(reciprocity_value(row.reciprocity_word)) << name;
        EXPECT_NO_THROW(expertise_value(row.expertise_word)) << name;
    }
}

TEST(ReviewTranscription, ResourceListsAgreeWithTable1) {
    const YAML::Node data = review_yaml();
    const auto columns = data["table1_columns"].as<std::vector<std::string>>();
    for (int r = 0; r < kResourceCount; ++r) {
        const YAML::Node list = data["resource_lists"][columns[r]];
        ASSERT_TRUE(list.IsDefined()) << columns[r];
        std::set<std::string> listed;
        if (list.IsScalar()) {
            ASSERT_EQ(list.as<std::string>(), "all ten") << columns[r];
            for (const auto& [name, row] : review()) listed.insert(name);
        } else {
            for (const auto& model : list.as<std::vector<std::string>>()) {
                listed.insert(file_name(model));
            }
        }
        for (const auto& [name, row] : review()) {
            EXPECT_EQ(row.resources[r] == 1.0, listed.count(name) == 1)
                << name << ", " << columns[r];
        }
    }
}

// ---- the catalogue ------------------------------------------------------------------------

TEST(Catalogue, AllElevenExpectedFilesExistAndLoad) {
    for (const std::string& name : kExpectedModels) {
        const fs::path path = kModelsDir / (name + ".yaml");
        ASSERT_TRUE(fs::is_regular_file(path)) << path;
        EXPECT_NO_THROW(load_model_file(path)) << path;
    }
    for (const auto& [name, row] : review()) {
        EXPECT_NE(std::find(kExpectedModels.begin(), kExpectedModels.end(), name),
                  kExpectedModels.end())
            << name;
    }
}

TEST(Catalogue, EveryFileInModelsLoads) {
    const std::vector<ProgramSpec> programs = ModelCatalogue({kModelsDir}).load_all();
    EXPECT_GE(programs.size(), kExpectedModels.size());
    for (const auto& entry : fs::directory_iterator(kModelsDir)) {
        if (entry.path().extension() == ".yaml") {
            EXPECT_NO_THROW(load_model_file(entry.path())) << entry.path();
        }
    }
}

TEST(Catalogue, TreatmentAsUsualHasNoResourcesAndNoDelivery) {
    const ProgramSpec tau = load_model_file(kModelsDir / "treatment_as_usual.yaml");
    const ResourceVector zeros{};
    EXPECT_EQ(tau.resources, zeros);
    EXPECT_TRUE(tau.delivery.empty());
    EXPECT_TRUE(tau.relationship_types.empty());
}

TEST(Catalogue, EveryShippedModelCitesTheReview) {
    for (const std::string& name : kExpectedModels) {
        const YAML::Node model = YAML::LoadFile((kModelsDir / (name + ".yaml")).string());
        ASSERT_TRUE(model["citation"].IsDefined()) << name;
        EXPECT_NE(model["citation"].as<std::string>().find("doi:10.1192/bjp.bp.113.135038"),
                  std::string::npos)
            << name;
        ASSERT_TRUE(model["rationale"].IsDefined()) << name;
        EXPECT_FALSE(model["rationale"].as<std::string>().empty()) << name;
    }
}

/// One case per model file in models/ (except treatment_as_usual).
class CatalogueModel : public ::testing::TestWithParam<std::string> {};

TEST_P(CatalogueModel, EncodesTheReviewExactly) {
    const std::string& name = GetParam();
    const auto row = review().find(name);
    ASSERT_NE(row, review().end()) << name << ".yaml is not one of the review's ten models";
    const ProgramSpec program = load_model_file(kModelsDir / (name + ".yaml"));

    const ResourceVector& expected = row->second.resources;
    EXPECT_EQ(program.resources, expected) << "Table 1";
    EXPECT_EQ(as_set(program.relationship_types), as_set(row->second.types)) << "Table 2";
    EXPECT_EQ(program.relationship_types.size(), row->second.types.size());
    EXPECT_DOUBLE_EQ(program.reciprocity, reciprocity_value(row->second.reciprocity_word));
    EXPECT_EQ(program.expertise, expertise_value(row->second.expertise_word));
    EXPECT_FALSE(program.delivery.empty()) << "a model of the review delivers something";
    EXPECT_TRUE(relationship_type_violations(program).empty())
        << joined(relationship_type_violations(program));
    const std::vector<std::string> problems = catalogue_problems(program, row->second);
    EXPECT_TRUE(problems.empty()) << name << ":" << joined(problems);
}

INSTANTIATE_TEST_SUITE_P(Models, CatalogueModel, ::testing::ValuesIn(reviewed_model_files()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                             return info.param;
                         });

TEST(Catalogue, EveryReviewedModelIsInTheCatalogue) {
    const std::vector<std::string> files = reviewed_model_files();
    for (const auto& [name, row] : review()) {
        EXPECT_NE(std::find(files.begin(), files.end(), name), files.end()) << name;
    }
}

// ---- the check catches a model that breaks the review ---------------------------------------

TEST(CatalogueCheck, CatchesAModelOutsideItsTable2Row) {
    // Loads (it lists professional), but Table 2 lists only family for this model.
    const ProgramSpec bad =
        load_model_file(kCatalogueData / "bad" / "systemic_family_therapy.yaml");
    const std::vector<std::string> problems =
        catalogue_problems(bad, review().at("systemic_family_therapy"));
    ASSERT_EQ(problems.size(), 2u) << joined(problems);
    EXPECT_EQ(problems[0], "relationship_types [professional,family], Table 2 says [family]");
    EXPECT_EQ(problems[1],
              "delivery[1] (professional) uses [professional], not in Table 2's row [family]");
    EXPECT_TRUE(relationship_type_violations(bad).empty());  // consistent with its own list
}

TEST(CatalogueCheck, LoaderRejectsADeliveryOfAnUnlistedTypeAtTheElement) {
    const fs::path path = kCatalogueData / "bad" / "self_help_groups.yaml";
    try {
        load_model_file(path);
        FAIL() << "expected an InputError";
    } catch (const InputError& error) {
        const std::string message = error.what();
        EXPECT_EQ(message.rfind(path.string() + ":19:5: key 'delivery[1]': ", 0), 0u) << message;
        EXPECT_NE(message.find("only the model's relationship_types ([peer])"), std::string::npos)
            << message;
        EXPECT_NE(message.find("found volunteer, which creates friend ties"), std::string::npos)
            << message;
        EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    }
}

TEST(CatalogueCheck, LibraryAgreesWithSpecSection4ForEveryElementKind) {
    for (int k = 0; k < kElementKindCount; ++k) {
        for (int t = 0; t < kTieTypeCount; ++t) {
            DeliveryElement element;
            element.kind = static_cast<ElementKind>(k);
            element.group_tie_type = static_cast<TieType>(t);
            element.activate_types = {static_cast<TieType>(t), TieType::family};
            EXPECT_EQ(as_set(element_relationship_types(element)), as_set(types_used_by(element)))
                << to_string(element.kind);
        }
    }
}

TEST(CatalogueCheck, ViolationsNameEachOffendingElement) {
    ProgramSpec program;
    program.relationship_types = {TieType::family};
    DeliveryElement activate;
    activate.kind = ElementKind::activate;
    activate.activate_types = {TieType::family, TieType::friend_};
    DeliveryElement staff;
    staff.kind = ElementKind::staff;
    DeliveryElement family_group;
    family_group.kind = ElementKind::group;
    family_group.group_tie_type = TieType::family;
    program.delivery = {activate, family_group, staff};

    const std::vector<std::string> messages = relationship_type_violations(program);
    ASSERT_EQ(messages.size(), 2u) << joined(messages);
    EXPECT_EQ(messages[0],
              "delivery[0] (activate) activates friend ties, but relationship_types is [family]");
    EXPECT_EQ(messages[1],
              "delivery[2] (staff) creates professional ties, but relationship_types is [family]");

    program.relationship_types = {TieType::family, TieType::friend_, TieType::professional};
    EXPECT_TRUE(relationship_type_violations(program).empty());
    program.relationship_types.clear();
    EXPECT_EQ(relationship_type_violations(program).size(), 3u);
    program.delivery.clear();
    EXPECT_TRUE(relationship_type_violations(program).empty());
}

}  // namespace
}  // namespace kindred
