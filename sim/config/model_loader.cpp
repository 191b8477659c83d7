// Model files (models/*.yaml, schema in docs/scenario-format.md) → validated ProgramSpec, and
// the catalogue that finds them by name.
#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <set>
#include <string_view>

#include "config/catalogue_check.hpp"
#include "config/scenario.hpp"
#include "config/yaml_util.hpp"

namespace kindred {
namespace detail {
namespace {

const std::vector<std::string> kModelKeys = {"name",           "title",
                                             "citation",       "rationale",
                                             "resources",      "relationship_types",
                                             "reciprocity",    "expertise",
                                             "start_week",     "duration_weeks",
                                             "valence",        "strength",
                                             "group_strength", "caseload",
                                             "group_size",     "staff_per_group",
                                             "delivery"};

const std::vector<std::string> kElementKeys = {
    "element", "persist_probability", "type", "types", "a_w", "a_q"};

/// The keys an element of `kind` may have.
std::vector<std::string> element_keys(ElementKind kind) {
    switch (kind) {
        case ElementKind::volunteer:
        case ElementKind::peer_worker:
            return {"element", "persist_probability"};
        case ElementKind::group:
            return {"element", "type"};
        case ElementKind::activate:
            return {"element", "types", "a_w", "a_q"};
        case ElementKind::professional:
        case ElementKind::staff:
            break;
    }
    return {"element"};
}

TieType read_tie_type(const Field& field) {
    const std::string expected = "one of " + tie_type_names();
    if (!field.node.IsDefined() || !field.node.IsScalar()) field.fail(expected);
    const std::optional<TieType> type = parse_tie_type(field.node.Scalar());
    if (!type) field.fail(expected);
    return *type;
}

/// A list of distinct tie types; `at_least_one` rejects an empty list.
std::vector<TieType> read_tie_types(const Field& field, bool at_least_one) {
    const std::string expected = fmt::format("a list of {}relationship types ({})",
                                             at_least_one ? "one or more " : "", tie_type_names());
    const std::vector<Field> items = read_list(field, expected);
    if (at_least_one && items.empty()) field.fail(expected, "an empty list");
    std::vector<TieType> types;
    for (const Field& item : items) {
        const TieType type = read_tie_type(item);
        if (std::find(types.begin(), types.end(), type) != types.end()) {
            item.fail("each relationship type once", describe(item.node) + " again");
        }
        types.push_back(type);
    }
    return types;
}

DeliveryElement read_element(const Field& field) {
    const Map any(field, kElementKeys, "a map with an 'element' key");
    const Field kind_field = any.require("element", "one of " + element_kind_names());
    if (!kind_field.node.IsScalar()) kind_field.fail("one of " + element_kind_names());
    const std::optional<ElementKind> kind = parse_element_kind(kind_field.node.Scalar());
    if (!kind) kind_field.fail("one of " + element_kind_names());

    const Map map(field, element_keys(*kind));
    DeliveryElement element;
    element.kind = *kind;
    if (auto value = map.find("persist_probability")) {
        element.persist_probability = read_number(*value, 0.0, 1.0);
    }
    if (auto value = map.find("type")) element.group_tie_type = read_tie_type(*value);
    if (*kind == ElementKind::activate) {
        element.activate_types =
            read_tie_types(map.require("types", "a list of relationship types to activate"), true);
    }
    if (auto value = map.find("a_w")) element.a_w = read_number(*value, 0.0, 1.0);
    if (auto value = map.find("a_q")) element.a_q = read_number(*value, 0.0, 1.0);
    return element;
}

std::vector<std::string> resource_keys() {
    std::vector<std::string> keys;
    for (int i = 0; i < kResourceCount; ++i) {
        keys.emplace_back(to_string(static_cast<Resource>(i)));
    }
    return keys;
}

/// Model names (file stems of *.yaml) in one directory; none when it cannot be listed.
std::vector<std::filesystem::path> model_files(const std::filesystem::path& directory) {
    std::vector<std::filesystem::path> files;
    std::error_code ec;
    if (!std::filesystem::is_directory(directory, ec)) return files;
    for (const auto& entry : std::filesystem::directory_iterator(directory, ec)) {
        std::error_code type_ec;
        if (entry.path().extension() == ".yaml" && entry.is_regular_file(type_ec)) {
            files.push_back(entry.path());
        }
    }
    std::sort(files.begin(), files.end());
    return files;
}

}  // namespace

double read_reciprocity(const Field& field) {
    constexpr std::string_view expected =
        "reciprocal, partial, unidirectional or a number in [0, 1]";
    if (!field.node.IsDefined() || !field.node.IsScalar()) field.fail(expected);
    const std::string& text = field.node.Scalar();
    if (text == "reciprocal") return 1.0;
    if (text == "partial") return 0.5;
    if (text == "unidirectional") return 0.0;
    if (field.node.Tag() == "!") field.fail(expected);
    const std::optional<double> value = parse_number_text(text);
    if (!value || !(*value >= 0.0 && *value <= 1.0)) field.fail(expected);
    return *value;
}

Expertise read_expertise(const Field& field) {
    const std::string expected = "one of " + expertise_names();
    if (!field.node.IsDefined() || !field.node.IsScalar()) field.fail(expected);
    const std::optional<Expertise> expertise = parse_expertise(field.node.Scalar());
    if (!expertise) field.fail(expected);
    return *expertise;
}

void read_resources(const Field& field, ResourceVector& resources, bool complete) {
    const std::vector<std::string> keys = resource_keys();
    const Map map(field, keys, "a map of resources (" + join(keys) + ") to numbers in [0, 1]");
    for (const std::string& key : keys) {
        std::optional<Field> value = map.find(key);
        if (!value && complete) value = map.require(key, "a number in [0, 1] for each resource");
        if (value) {
            const auto resource = static_cast<std::size_t>(*parse_resource(key));
            resources[resource] = read_number(*value, 0.0, 1.0);
        }
    }
}

bool read_program_field(ProgramSpec& program, std::string_view key, const Field& field,
                        bool complete_resources) {
    if (key == "reciprocity") {
        program.reciprocity = read_reciprocity(field);
    } else if (key == "expertise") {
        program.expertise = read_expertise(field);
    } else if (key == "resources") {
        read_resources(field, program.resources, complete_resources);
    } else if (key == "start_week") {
        program.start_week = read_int(field, 0);
    } else if (key == "duration_weeks") {
        program.duration_weeks = read_int(field, 1);
    } else if (key == "valence") {
        program.valence = read_number(field, -1.0, 1.0);
    } else if (key == "strength") {
        program.strength = read_number(field, 0.0, 1.0);
    } else if (key == "group_strength") {
        program.group_strength = read_number(field, 0.0, 1.0);
    } else if (key == "caseload") {
        program.caseload = read_int(field, 1);
    } else if (key == "group_size") {
        program.group_size = read_int(field, 1);
    } else if (key == "staff_per_group") {
        program.staff_per_group = read_int(field, 0);
    } else {
        return false;
    }
    return true;
}

bool is_model_path(std::string_view name_or_path) {
    return name_or_path.find('/') != std::string_view::npos ||
           (name_or_path.size() >= 5 && name_or_path.substr(name_or_path.size() - 5) == ".yaml");
}

std::optional<std::filesystem::path> resolve_model(const ModelCatalogue& catalogue,
                                                   const std::string& name_or_path,
                                                   const std::filesystem::path& relative_to) {
    std::error_code ec;
    if (is_model_path(name_or_path)) {
        std::filesystem::path path(name_or_path);
        if (path.is_relative() && !relative_to.empty()) path = relative_to / path;
        path = path.lexically_normal();
        if (std::filesystem::exists(path, ec)) return path;
        return std::nullopt;
    }
    for (const auto& directory : catalogue.directories()) {
        const std::filesystem::path candidate = directory / (name_or_path + ".yaml");
        if (std::filesystem::is_regular_file(candidate, ec)) return candidate;
    }
    return std::nullopt;
}

std::string catalogue_summary(const ModelCatalogue& catalogue) {
    std::vector<std::string> directories;
    std::set<std::string> names;
    for (const auto& directory : catalogue.directories()) {
        directories.push_back(directory.string());
        for (const auto& file : model_files(directory)) names.insert(file.stem().string());
    }
    const std::vector<std::string> available(names.begin(), names.end());
    return fmt::format("searched: {}; available: {}",
                       directories.empty() ? "no directories" : join(directories),
                       available.empty() ? "none" : join(available));
}

}  // namespace detail

ProgramSpec load_model_file(const std::filesystem::path& path) {
    using detail::Field;
    const std::string file = path.string();
    const std::string text = detail::read_text_file(path, "model file");
    const YAML::Node root = detail::parse_yaml(text, file);
    const Field root_field{&file, "", root, root.Mark()};
    const detail::Map map(root_field, detail::kModelKeys, "a map of model keys");

    ProgramSpec program;
    program.source = file;
    const std::string stem = path.stem().string();
    const Field name_field = map.require("name", fmt::format("'{}' (the file name)", stem));
    program.name = detail::read_string(name_field);
    if (program.name != stem) {
        name_field.fail(fmt::format("'{}' (the file name without .yaml)", stem));
    }
    program.title = program.name;

    detail::read_resources(map.require("resources", "a map of the six resources"),
                           program.resources, true);
    program.reciprocity = detail::read_reciprocity(
        map.require("reciprocity", "reciprocal, partial, unidirectional or a number in [0, 1]"));
    program.expertise =
        detail::read_expertise(map.require("expertise", "one of " + expertise_names()));

    std::vector<Field> element_fields;  // where each delivery element is, for the check below
    for (const auto& [key, field] : map.entries()) {
        if (key == "name" || key == "resources" || key == "reciprocity" || key == "expertise") {
            continue;
        }
        if (key == "title") {
            program.title = detail::read_string(field);
        } else if (key == "citation" || key == "rationale") {
            detail::read_string(field, false);
        } else if (key == "relationship_types") {
            program.relationship_types = detail::read_tie_types(field, false);
        } else if (key == "delivery") {
            for (const Field& item : detail::read_list(field, "a list of delivery elements")) {
                program.delivery.push_back(detail::read_element(item));
                element_fields.push_back(item);
            }
        } else {
            detail::read_program_field(program, key, field, true);
        }
    }
    // A delivery creates or activates only the relationship types the model lists.
    for (std::size_t i = 0; i < program.delivery.size(); ++i) {
        const DeliveryElement& element = program.delivery[i];
        const std::vector<TieType> unlisted =
            unlisted_relationship_types(element, program.relationship_types);
        if (unlisted.empty()) continue;
        std::vector<std::string> listed, found;
        for (const TieType type : program.relationship_types) listed.emplace_back(to_string(type));
        for (const TieType type : unlisted) found.emplace_back(to_string(type));
        element_fields[i].fail(
            fmt::format("an element that creates or activates only the model's relationship_types "
                        "([{}])",
                        detail::join(listed)),
            fmt::format("{}, which {} {} ties", to_string(element.kind), element_verb(element),
                        detail::join(found)));
    }
    return program;
}

ModelCatalogue::ModelCatalogue(std::vector<std::filesystem::path> directories)
    : directories_(std::move(directories)) {}

ModelCatalogue catalogue_from_environment(std::vector<std::filesystem::path> given,
                                          const std::filesystem::path& builtin) {
    std::vector<std::filesystem::path> dirs = std::move(given);
    for (const std::filesystem::path& dir : dirs) {
        std::error_code ec;
        if (!std::filesystem::is_directory(dir, ec)) {
            throw InputError(fmt::format(
                "models directory '{}': expected a directory of model files, found {}",
                dir.string(),
                std::filesystem::exists(dir, ec) ? "something else" : "nothing by that name"));
        }
    }
    if (const char* env = std::getenv("KINDRED_MODELS_PATH"); env != nullptr && *env != '\0') {
        std::string_view rest(env);
        while (!rest.empty()) {
            const auto colon = rest.find(':');
            if (colon != 0) {
                const std::filesystem::path dir(std::string(rest.substr(0, colon)));
                std::error_code ec;
                if (!std::filesystem::is_directory(dir, ec)) {
                    // As --models-dir: a mistyped directory is said, not skipped in silence.
                    throw InputError(fmt::format(
                        "KINDRED_MODELS_PATH: expected directories separated by ':', found '{}', "
                        "which is not a directory",
                        dir.string()));
                }
                dirs.push_back(dir);
            }
            if (colon == std::string_view::npos) break;
            rest.remove_prefix(colon + 1);
        }
    }
    dirs.push_back(builtin);
    return ModelCatalogue(std::move(dirs));
}

ProgramSpec ModelCatalogue::load(const std::string& name_or_path,
                                 const std::filesystem::path& relative_to) const {
    const std::optional<std::filesystem::path> path =
        detail::resolve_model(*this, name_or_path, relative_to);
    if (path) return load_model_file(*path);
    if (detail::is_model_path(name_or_path)) {
        std::filesystem::path missing(name_or_path);
        if (missing.is_relative() && !relative_to.empty()) missing = relative_to / missing;
        missing = missing.lexically_normal();
        throw InputError(fmt::format("{}: cannot open model file (No such file or directory)",
                                     missing.string()));
    }
    throw InputError(
        fmt::format("model '{}': expected a model name from the catalogue, found "
                    "no such model ({})",
                    name_or_path, detail::catalogue_summary(*this)));
}

std::vector<ProgramSpec> ModelCatalogue::load_all() const {
    std::vector<ProgramSpec> programs;
    std::set<std::string> seen;
    for (const auto& directory : directories_) {
        for (const auto& file : detail::model_files(directory)) {
            if (seen.insert(file.stem().string()).second) programs.push_back(load_model_file(file));
        }
    }
    std::sort(programs.begin(), programs.end(),
              [](const ProgramSpec& a, const ProgramSpec& b) { return a.name < b.name; });
    return programs;
}

}  // namespace kindred
