// Therapeutic programs (spec §1, §4): what a model file describes, after validation.
#pragma once

#include <string>
#include <vector>

#include "core/types.hpp"

namespace kindred {

/// The delivery elements of spec §4.
enum class ElementKind : std::uint8_t {
    professional,
    peer_worker,
    volunteer,
    group,
    staff,
    activate
};
inline constexpr int kElementKindCount = 6;
std::string_view to_string(ElementKind kind);
std::optional<ElementKind> parse_element_kind(std::string_view name);
std::string element_kind_names();

/// One delivery element. Fields that an element kind does not use keep their defaults.
struct DeliveryElement {
    ElementKind kind = ElementKind::professional;
    /// group: the type of the ties between members (default peer).
    TieType group_tie_type = TieType::peer;
    /// activate: the natural tie types it activates, and its rates (spec §4 defaults 0.01).
    std::vector<TieType> activate_types;
    double a_w = 0.01;
    double a_q = 0.01;
    /// volunteer, peer_worker: probability that a tie becomes natural at the end week.
    double persist_probability = 0.0;
};

/// A therapeutic model as delivered (spec §1, §4). All values validated and in range.
struct ProgramSpec {
    std::string name;            ///< catalogue name, e.g. "befriending"
    std::string title;           ///< human-readable name, e.g. "Befriending"
    std::string source;          ///< the file it came from (for messages and provenance)
    ResourceVector resources{};  ///< m, in Table 1 order, each in [0,1]
    std::vector<TieType> relationship_types;  ///< Table 2 row
    double reciprocity = 1.0;                 ///< ρ in [0,1]
    Expertise expertise = Expertise::none;
    int start_week = 0;           ///< default start week of an enrolment
    int duration_weeks = 52;      ///< at least 1
    double valence = 0.8;         ///< q of program ties, in [-1,1]
    double strength = 0.3;        ///< w of one-to-one and staff ties (times m_soc)
    double group_strength = 0.1;  ///< w of group ties (times m_soc)
    int caseload = 10;            ///< patients per professional / peer worker, ≥ 1
    int group_size = 8;           ///< chunk size for group and staff elements, ≥ 1
    int staff_per_group = 1;      ///< ≥ 0
    std::vector<DeliveryElement> delivery;

    double social_resource() const {
        return resources[static_cast<int>(Resource::social_relationships)];
    }
};

/// A program applied to the patients of one arm, active while start_week ≤ t < end_week.
struct Enrolment {
    int arm = 0;  ///< index into the run's arms
    ProgramSpec program;
    int start_week = 0;
    int end_week = 0;  ///< start_week + duration_weeks
};

}  // namespace kindred
