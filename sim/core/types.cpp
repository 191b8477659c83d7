// Names of the enumerations as they appear in files, on the command line and in outputs.
#include "core/types.hpp"

#include <string>

namespace kindred {
namespace {

constexpr std::array<std::string_view, kRoleCount> kRoleNames = {
    "patient", "family", "friend", "professional", "volunteer", "peer_worker"};
constexpr std::array<std::string_view, kTieTypeCount> kTieTypeNames = {"professional", "peer",
                                                                       "friend", "family"};
constexpr std::array<std::string_view, kExpertiseCount> kExpertiseNames = {
    "none", "provider", "patient", "peers", "everyone"};
constexpr std::array<std::string_view, kResourceCount> kResourceNames = {
    "social_relationships", "decision_making",         "experiential_knowledge",
    "individual_strengths", "recreational_activities", "self_actualising"};

template <typename Enum, std::size_t N>
std::optional<Enum> parse_name(const std::array<std::string_view, N>& names,
                               std::string_view name) {
    for (std::size_t i = 0; i < N; ++i) {
        if (names[i] == name) return static_cast<Enum>(i);
    }
    return std::nullopt;
}

template <std::size_t N>
std::string join_names(const std::array<std::string_view, N>& names) {
    std::string out;
    for (std::size_t i = 0; i < N; ++i) {
        if (i > 0) out += ", ";
        out += names[i];
    }
    return out;
}

}  // namespace

std::string_view to_string(Role role) { return kRoleNames[static_cast<std::size_t>(role)]; }
std::string_view to_string(TieType type) { return kTieTypeNames[static_cast<std::size_t>(type)]; }
std::string_view to_string(Expertise expertise) {
    return kExpertiseNames[static_cast<std::size_t>(expertise)];
}
std::string_view to_string(Resource resource) {
    return kResourceNames[static_cast<std::size_t>(resource)];
}

std::optional<Role> parse_role(std::string_view name) { return parse_name<Role>(kRoleNames, name); }
std::optional<TieType> parse_tie_type(std::string_view name) {
    return parse_name<TieType>(kTieTypeNames, name);
}
std::optional<Expertise> parse_expertise(std::string_view name) {
    return parse_name<Expertise>(kExpertiseNames, name);
}
std::optional<Resource> parse_resource(std::string_view name) {
    return parse_name<Resource>(kResourceNames, name);
}

std::string role_names() { return join_names(kRoleNames); }
std::string tie_type_names() { return join_names(kTieTypeNames); }
std::string expertise_names() { return join_names(kExpertiseNames); }
std::string resource_names() { return join_names(kResourceNames); }

}  // namespace kindred
