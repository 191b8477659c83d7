// The rule that a delivery uses only the model's relationship types (see catalogue_check.hpp).
#include "config/catalogue_check.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace kindred {
namespace {

std::string type_list(const std::vector<TieType>& types) {
    std::string out;
    for (const TieType type : types) {
        if (!out.empty()) out += ", ";
        out += to_string(type);
    }
    return out;
}

bool contains(const std::vector<TieType>& types, TieType type) {
    return std::find(types.begin(), types.end(), type) != types.end();
}

}  // namespace

std::vector<TieType> element_relationship_types(const DeliveryElement& element) {
    switch (element.kind) {
        case ElementKind::professional:
        case ElementKind::staff:
            return {TieType::professional};
        case ElementKind::peer_worker:
            return {TieType::peer};
        case ElementKind::volunteer:
            return {TieType::friend_};
        case ElementKind::group:
            return {element.group_tie_type};
        case ElementKind::activate:
            break;
    }
    std::vector<TieType> types;
    for (const TieType type : element.activate_types) {
        if (!contains(types, type)) types.push_back(type);
    }
    return types;
}

std::string element_verb(const DeliveryElement& element) {
    return element.kind == ElementKind::activate ? "activates" : "creates";
}

std::vector<TieType> unlisted_relationship_types(const DeliveryElement& element,
                                                 const std::vector<TieType>& listed) {
    std::vector<TieType> unlisted;
    for (const TieType type : element_relationship_types(element)) {
        if (!contains(listed, type)) unlisted.push_back(type);
    }
    return unlisted;
}

std::vector<std::string> relationship_type_violations(const ProgramSpec& program) {
    std::vector<std::string> messages;
    for (std::size_t i = 0; i < program.delivery.size(); ++i) {
        const DeliveryElement& element = program.delivery[i];
        const std::vector<TieType> unlisted =
            unlisted_relationship_types(element, program.relationship_types);
        if (unlisted.empty()) continue;
        messages.push_back(
            fmt::format("delivery[{}] ({}) {} {} ties, but relationship_types is [{}]", i,
                        to_string(element.kind), element_verb(element), type_list(unlisted),
                        type_list(program.relationship_types)));
    }
    return messages;
}

}  // namespace kindred
