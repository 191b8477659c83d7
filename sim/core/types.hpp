// Project-wide vocabulary: ids, roles, relationship types, expertise, and the typed errors.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace kindred {

/// Agent id: agents are numbered 0 … N-1 in creation order (spec §4, §5).
using AgentId = std::int32_t;
/// Index of a tie in World's tie arrays (creation order; compacted when ties are removed).
using TieIndex = std::int32_t;
/// Index of an enrolment in the scenario's enrolment list; kNone marks natural ties.
using EnrolmentId = std::int32_t;

inline constexpr std::int32_t kNone = -1;

/// The six roles of spec §1.
enum class Role : std::uint8_t { patient, family, friend_, professional, volunteer, peer_worker };
inline constexpr int kRoleCount = 6;

/// The four relationship types of Table 2 (spec §1).
enum class TieType : std::uint8_t { professional, peer, friend_, family };
inline constexpr int kTieTypeCount = 4;

/// Where expertise lies on a program tie (spec §1); natural ties have none.
enum class Expertise : std::uint8_t { none, provider, patient, peers, everyone };
inline constexpr int kExpertiseCount = 5;

/// The six resources of Table 1, in the order of the resource vector m.
enum class Resource : std::uint8_t {
    social_relationships,
    decision_making,
    experiential_knowledge,
    individual_strengths,
    recreational_activities,
    self_actualising
};
inline constexpr int kResourceCount = 6;
using ResourceVector = std::array<double, kResourceCount>;

std::string_view to_string(Role role);
std::string_view to_string(TieType type);
std::string_view to_string(Expertise expertise);
std::string_view to_string(Resource resource);

/// Parses the names used in files ("patient", "friend", "peer_worker", …); nullopt if unknown.
std::optional<Role> parse_role(std::string_view name);
std::optional<TieType> parse_tie_type(std::string_view name);
std::optional<Expertise> parse_expertise(std::string_view name);
std::optional<Resource> parse_resource(std::string_view name);

/// Comma-separated list of the valid names, for error messages ("patient, family, …").
std::string role_names();
std::string tie_type_names();
std::string expertise_names();
std::string resource_names();

/// Bad user input (scenario, model file, CSV, command line). The message is one complete line:
/// where (file and line, or key), what was expected and what was found.
class InputError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

/// A run-time failure that is not the user's input (I/O, HDF5, resources).
class RuntimeFailure : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

}  // namespace kindred
