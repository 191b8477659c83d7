// Fuzzes the CSV population import. The input is split at the first NUL-free "\n===\n" into
// the agents file and the ties file; any input must give a World or an InputError.
#include <cstdint>
#include <string>
#include <string_view>

#include "core/types.hpp"
#include "fuzz_common.hpp"
#include "network/population.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const std::size_t split = text.find("\n===\n");
    const std::string_view agents = text.substr(0, split);
    const std::string_view ties =
        split == std::string_view::npos ? std::string_view() : text.substr(split + 5);
    const auto agents_path = kindred::fuzz::scratch_file(
        "agents.csv", reinterpret_cast<const std::uint8_t*>(agents.data()), agents.size());
    const auto ties_path = kindred::fuzz::scratch_file(
        "ties.csv", reinterpret_cast<const std::uint8_t*>(ties.data()), ties.size());
    try {
        kindred::load_csv_population(agents_path, ties_path,
                                     {"control", "befriend", "peer", "late"});
    } catch (const kindred::InputError&) {
    }
    return 0;
}
