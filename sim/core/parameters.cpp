// The parameter table: spec §6 names, symbols and valid ranges.
#include "core/parameters.hpp"

#include <fmt/format.h>

#include <array>
#include <cmath>
#include <limits>
#include <string>

#include "core/types.hpp"

namespace kindred {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

#define KINDRED_PARAM(field, symbol, meaning, lo, hi)                                          \
    ParameterInfo {                                                                            \
#field, symbol, meaning, lo, hi, false,                                                \
            [](const Parameters& p) { return p.field; }, [](Parameters & p,                    \
                                                            double value) { p.field = value; } \
    }

const std::array kTable = {
    KINDRED_PARAM(beta_0, "β_0", "baseline relief rate", 0.0, 1.0),
    KINDRED_PARAM(beta_help, "β_H", "relief per unit of help received", 0.0, kInf),
    KINDRED_PARAM(beta_agency, "β_A", "relief per unit of agency", 0.0, kInf),
    KINDRED_PARAM(beta_knowledge, "β_K", "relief from used experiential knowledge", 0.0, kInf),
    KINDRED_PARAM(beta_strengths, "β_S", "relief per unit of strengths", 0.0, kInf),
    KINDRED_PARAM(beta_recreation, "β_R", "relief per unit of recreation", 0.0, kInf),
    KINDRED_PARAM(gamma_self_actualising, "γ_SA", "amplification by self-actualising tendency", 0.0,
                  kInf),
    KINDRED_PARAM(beta_peer, "β_peer", "extra worth of peer help per unit of knowledge", 0.0, kInf),
    KINDRED_PARAM(theta_0, "θ_0", "baseline stress", 0.0, kInf),
    KINDRED_PARAM(theta_vulnerability, "θ_V", "stress per unit of vulnerability", 0.0, kInf),
    KINDRED_PARAM(theta_strain, "θ_X", "stress per unit of strain from hostile ties", 0.0, kInf),
    KINDRED_PARAM(theta_loneliness, "θ_L", "stress from loneliness at zero help", 0.0, kInf),
    KINDRED_PARAM(h_0, "h_0", "help scale of the loneliness term (> 0)",
                  std::numeric_limits<double>::denorm_min(), kInf),
    KINDRED_PARAM(p_event, "p_event", "weekly probability of a life event", 0.0, 1.0),
    KINDRED_PARAM(event_size, "event_size", "stress added by a life event", 0.0, kInf),
    KINDRED_PARAM(sigma, "σ", "standard deviation of weekly distress noise", 0.0, kInf),
    KINDRED_PARAM(alpha_help_given, "α_G", "agency gain per unit of help given", 0.0, kInf),
    KINDRED_PARAM(alpha_expert_self, "α_E", "agency gain per enrolment with patient expertise", 0.0,
                  kInf),
    KINDRED_PARAM(alpha_decision, "α_dec", "agency gain from the decision-making resource", 0.0,
                  kInf),
    KINDRED_PARAM(delta_dependency, "δ_dep", "agency loss per enrolment with provider expertise",
                  0.0, kInf),
    KINDRED_PARAM(delta_distress, "δ_d", "resource loss per unit of distress", 0.0, kInf),
    KINDRED_PARAM(mu, "μ", "relaxation rate towards the set points", 0.0, 1.0),
    KINDRED_PARAM(alpha_knowledge, "α_K", "knowledge gain per unit of knowledge offered", 0.0,
                  kInf),
    KINDRED_PARAM(alpha_experience, "α_exp", "knowledge gain from the experience resource", 0.0,
                  kInf),
    KINDRED_PARAM(alpha_strengths, "α_S", "strengths gain from the strengths resource", 0.0, kInf),
    KINDRED_PARAM(alpha_recreation, "α_R", "recreation gain from the recreation resource", 0.0,
                  kInf),
    KINDRED_PARAM(kappa_reciprocity, "κ_R", "tie strengthening per unit of mutual help", 0.0, kInf),
    KINDRED_PARAM(kappa_withdrawal, "κ_W", "tie weakening per unit of mean distress", 0.0, kInf),
    KINDRED_PARAM(kappa_decay, "κ_0", "weekly tie decay", 0.0, 1.0),
    KINDRED_PARAM(w_min, "w_min", "natural non-family ties weaker than this dissolve", 0.0, 1.0),
    KINDRED_PARAM(w_floor_family, "w_floor_family", "family ties never fall below this", 0.0, 1.0),
    KINDRED_PARAM(phi, "φ", "friendship formation rate", 0.0, 1.0),
    KINDRED_PARAM(p_triadic_closure, "p_tc", "share of new friends found two steps away", 0.0, 1.0),
    KINDRED_PARAM(w_new, "w_new", "strength of a new friendship", 0.0, 1.0),
    KINDRED_PARAM(q_new, "q_new", "valence of a new friendship", -1.0, 1.0),
    KINDRED_PARAM(d_rec, "d_rec", "distress below which a week counts towards recovery", 0.0, 1.0),
    ParameterInfo{"rec_weeks", "rec_weeks", "weeks in a row below d_rec that make a recovery", 1.0,
                  1.0e6, true, [](const Parameters& p) { return static_cast<double>(p.rec_weeks); },
                  [](Parameters& p, double value) { p.rec_weeks = static_cast<int>(value); }},
};

#undef KINDRED_PARAM

}  // namespace

std::span<const ParameterInfo> parameter_table() { return kTable; }

const ParameterInfo* find_parameter(std::string_view name) {
    for (const auto& info : kTable) {
        if (info.name == name) return &info;
    }
    return nullptr;
}

std::string parameter_range_text(const ParameterInfo& info) {
    // A minimum below 1e-300 is the smallest positive double: any positive value.
    const std::string lower =
        info.min > 0.0 && info.min < 1e-300 ? std::string("(0") : fmt::format("[{}", info.min);
    const std::string upper =
        std::isinf(info.max) ? std::string("inf)") : fmt::format("{}]", info.max);
    return lower + ", " + upper;
}

void set_parameter(Parameters& params, std::string_view name, double value,
                   std::string_view where) {
    const ParameterInfo* info = find_parameter(name);
    if (info == nullptr) {
        throw InputError(std::string(where) + ": unknown parameter '" + std::string(name) +
                         "' (expected one of the spec §6 names, e.g. beta_help, phi, sigma; "
                         "`kindred parameters` lists them)");
    }
    if (!std::isfinite(value) || value < info->min || value > info->max ||
        (info->integer && value != std::floor(value))) {
        throw InputError(fmt::format("{}: parameter '{}' expected {} in {}, found {}", where, name,
                                     info->integer ? "an integer" : "a number",
                                     parameter_range_text(*info), value));
    }
    info->set(params, value);
}

}  // namespace kindred
