// Plumbing shared by the sim/config tests: the model and test-data folders, catching the
// one-line InputError of a load, and the malformed-input case of the parameterised error tests.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <ostream>
#include <string>

#include "core/types.hpp"

namespace kindred::config_testing {

/// models/ of the source tree (the shipped catalogue).
inline const std::filesystem::path kModelsDir =
    std::filesystem::path(KINDRED_SOURCE_DIR) / "models";
/// tests/data/config (spelled from the source root: KINDRED_TEST_DATA_DIR is per test folder).
inline const std::filesystem::path kTestData =
    std::filesystem::path(KINDRED_SOURCE_DIR) / "tests" / "data" / "config";
inline const std::filesystem::path kTestModelsDir = kTestData / "models";

/// Runs `load` and returns the InputError's message (empty and a test failure if none).
template <typename Load>
std::string input_error(Load&& load) {
    try {
        load();
    } catch (const InputError& error) {
        const std::string message = error.what();
        EXPECT_EQ(message.find('\n'), std::string::npos) << "not one line: " << message;
        return message;
    }
    ADD_FAILURE() << "expected an InputError";
    return {};
}

/// Runs `load` and returns the InputError's message, or "no error" when it loads.
template <typename Load>
std::string error_or_none(Load&& load) {
    try {
        load();
    } catch (const InputError& error) {
        return error.what();
    }
    return "no error";
}

/// One malformed input (a scenario or a model file) and the pieces its error message must
/// contain.
struct BadInput {
    std::string label;
    std::string text;
    std::string location;  ///< "LINE:COL" (or "" for a message without one)
    std::string key;       ///< "key 'k'" (or another fragment naming what is wrong)
    std::string detail;    ///< a further fragment: what was expected or found
};

inline void PrintTo(const BadInput& bad, std::ostream* out) { *out << bad.label; }

/// The test name of a BadInput case: its label.
inline std::string bad_input_name(const ::testing::TestParamInfo<BadInput>& info) {
    return info.param.label;
}

/// The start of an error message about `file` at `location` ("FILE:LINE:COL: ", or "FILE: "
/// when `location` is empty).
inline std::string located(const std::filesystem::path& file, const std::string& location) {
    return location.empty() ? file.string() + ": " : file.string() + ":" + location + ": ";
}

}  // namespace kindred::config_testing
