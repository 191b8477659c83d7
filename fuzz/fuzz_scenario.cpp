// Fuzzes the scenario parser: any text must give a ScenarioSpec or an InputError.
#include <cstdint>
#include <string>

#include "config/scenario.hpp"
#include "core/types.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const kindred::ModelCatalogue catalogue({std::string(KINDRED_SOURCE_DIR) + "/models"});
    const std::string text(reinterpret_cast<const char*>(data), size);
    try {
        kindred::load_scenario_text(text, "fuzz/scenario.yaml", catalogue);
    } catch (const kindred::InputError&) {
    }
    return 0;
}
