// Text descriptions for the command line: the model catalogue, one model, the parameters,
// and a validated scenario.
#pragma once

#include <string>
#include <vector>

#include "config/scenario.hpp"

namespace kindred {

/// One line per model: name, resources, relationship types, reciprocity, expertise, elements.
std::string format_model_table(const std::vector<ProgramSpec>& models);

/// Every field of one model.
std::string format_model(const ProgramSpec& model);

/// Every spec §6 parameter with its symbol, default value, range and meaning.
std::string format_parameter_table();

/// What a scenario will do: population, arms and their programs, weeks, replicates, output.
std::string format_scenario(const ScenarioSpec& scenario, const std::string& output);

}  // namespace kindred
