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

/// The differences between two models, field by field: resources, relationship types (as sets),
/// reciprocity, expertise, every program field, and the delivery elements position by position
/// with their parameters; one row per differing field (field, first, second) and the fields that
/// are the same summarised on one line.
std::string format_model_comparison(const ProgramSpec& first, const ProgramSpec& second);

/// Every spec §6 parameter with its symbol, default value, range and meaning.
std::string format_parameter_table();

/// What a scenario will do: population, arms and their programs, weeks, replicates, output.
std::string format_scenario(const ScenarioSpec& scenario, const std::string& output);

}  // namespace kindred
