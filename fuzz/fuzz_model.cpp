// Fuzzes the model-file parser: any file must give a ProgramSpec or an InputError.
#include <cstdint>

#include "config/scenario.hpp"
#include "core/types.hpp"
#include "fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto path = kindred::fuzz::scratch_file("fuzz_model.yaml", data, size);
    try {
        kindred::load_model_file(path);
    } catch (const kindred::InputError&) {
    }
    return 0;
}
