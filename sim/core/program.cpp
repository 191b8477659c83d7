// Names of the delivery elements as they appear in model files.
#include "core/program.hpp"

#include <array>

namespace kindred {
namespace {
constexpr std::array<std::string_view, kElementKindCount> kElementNames = {
    "professional", "peer_worker", "volunteer", "group", "staff", "activate"};
}  // namespace

std::string_view to_string(ElementKind kind) {
    return kElementNames[static_cast<std::size_t>(kind)];
}

std::optional<ElementKind> parse_element_kind(std::string_view name) {
    for (std::size_t i = 0; i < kElementNames.size(); ++i) {
        if (kElementNames[i] == name) return static_cast<ElementKind>(i);
    }
    return std::nullopt;
}

std::string element_kind_names() {
    std::string out;
    for (std::size_t i = 0; i < kElementNames.size(); ++i) {
        if (i > 0) out += ", ";
        out += kElementNames[i];
    }
    return out;
}

}  // namespace kindred
