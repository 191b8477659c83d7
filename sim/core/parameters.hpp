// The model's parameters (spec §6): one struct with the version-1 defaults, and a table that
// names every field so scenarios, the command line and sweeps can set it by its spec name.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace kindred {

/// All per-week parameters of spec §6. Defaults are the spec's version-1 values.
struct Parameters {
    // Relief (3.2)
    double beta_0 = 0.004;
    double beta_help = 0.01;
    double beta_agency = 0.015;
    double beta_knowledge = 0.01;
    double beta_strengths = 0.006;
    double beta_recreation = 0.006;
    double gamma_self_actualising = 0.5;
    double beta_peer = 1.0;  ///< 3.1: peer help is worth (1 + beta_peer·k) more
    // Stress (3.2)
    double theta_0 = 0.002;
    double theta_vulnerability = 0.03;
    double theta_strain = 0.01;
    double theta_loneliness = 0.03;
    double h_0 = 0.5;  ///< help scale of the loneliness term, > 0
    double p_event = 0.02;
    double event_size = 0.1;
    double sigma = 0.02;
    // Agency and resources (3.2)
    double alpha_help_given = 0.01;
    double alpha_expert_self = 0.006;
    double alpha_decision = 0.004;
    double delta_dependency = 0.01;
    double delta_distress = 0.019;
    double mu = 0.01;
    double alpha_knowledge = 0.05;
    double alpha_experience = 0.02;
    double alpha_strengths = 0.05;
    double alpha_recreation = 0.05;
    // Ties (3.3, 3.4)
    double kappa_reciprocity = 0.01;
    double kappa_withdrawal = 0.01;
    double kappa_decay = 0.002;
    double w_min = 0.05;
    double w_floor_family = 0.2;
    double phi = 0.02;
    double p_triadic_closure = 0.7;
    double w_new = 0.2;
    double q_new = 0.5;
    // Recovery (3.5)
    double d_rec = 0.3;
    int rec_weeks = 12;
};

/// Describes one named parameter: its spec name, the symbol, its valid closed range, and
/// whether it is an integer. get/set work on any Parameters value.
struct ParameterInfo {
    std::string_view name;
    std::string_view symbol;
    std::string_view meaning;
    double min;
    double max;
    bool integer;
    double (*get)(const Parameters&);
    void (*set)(Parameters&, double);
};

/// Every parameter of spec §6, in the spec's order.
std::span<const ParameterInfo> parameter_table();

/// The values `info` accepts, as "[0, inf)", "(0, inf)" or "[1, 520]" (finite values only:
/// an infinite upper bound means no bound).
std::string parameter_range_text(const ParameterInfo& info);

/// The entry named `name`, or nullptr.
const ParameterInfo* find_parameter(std::string_view name);

/// Sets parameter `name` to `value`; throws InputError naming `where` when the name is unknown
/// or the value is outside the parameter's range (or not an integer where one is needed).
void set_parameter(Parameters& params, std::string_view name, double value, std::string_view where);

}  // namespace kindred
