// The catalogue rule of spec §1 and §4: a program's delivery creates or activates only the
// relationship types its model lists (Table 2 of Priebe et al. 2014 for the shipped catalogue).
// load_model_file enforces it; these functions let callers check a ProgramSpec built elsewhere.
#pragma once

#include <string>
#include <vector>

#include "core/program.hpp"
#include "core/types.hpp"

namespace kindred {

/// The relationship types whose ties `element` creates or activates (spec §4): professional and
/// staff create professional ties, peer_worker peer ties, volunteer friend ties, group ties of
/// its type; activate activates its types. In order, each once.
std::vector<TieType> element_relationship_types(const DeliveryElement& element);

/// "creates" for the elements that create ties, "activates" for activate.
std::string element_verb(const DeliveryElement& element);

/// The types of element_relationship_types(element) that `listed` does not contain.
std::vector<TieType> unlisted_relationship_types(const DeliveryElement& element,
                                                 const std::vector<TieType>& listed);

/// One message per delivery element that creates or activates a relationship type not in
/// program.relationship_types, e.g. "delivery[1] (staff) creates professional ties, but
/// relationship_types is [peer]". Empty when the delivery keeps to the listed types.
std::vector<std::string> relationship_type_violations(const ProgramSpec& program);

}  // namespace kindred
