// The explorer's small world: one session of `kindred serve`. A 20-patient ego-network trial
// (spec §5), half the patients randomised to one therapeutic model and half to control, run
// week by week; its state (agents, ties, per-arm means) as JSON for the page.
//
// @code
//   ExplorerSettings settings = parse_settings(body, model_names);   // RequestError if bad
//   ExplorerSession session(settings, catalogue.load(settings.model));
//   session.step(10);
//   std::string json = session.state_json();
// @endcode
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "core/program.hpp"
#include "core/types.hpp"

namespace kindred::serve {

inline constexpr int kExplorerPatients = 20;        ///< patients of the small world
inline constexpr int kExplorerWeeks = 104;          ///< last week a session can reach
inline constexpr int kMaxStepWeeks = 52;            ///< most weeks one step request may advance
inline constexpr std::size_t kMaxBodyBytes = 4096;  ///< largest request body accepted
/// Largest seed: every integer up to 2^53 survives JavaScript's numbers exactly.
inline constexpr std::int64_t kMaxSeed = (std::int64_t{1} << 53) - 1;

/// A request the server refuses: the HTTP status (400, 404, 409, 413, 415, 429) and a one-line
/// message naming the field, what was expected and what was found.
class RequestError : public std::runtime_error {
  public:
    RequestError(int status, const std::string& message)
        : std::runtime_error(message), status_(status) {}
    int status() const { return status_; }

  private:
    int status_;
};

/// What the page may set when it starts a session (POST /api/session). Fields left empty keep
/// the model's own values (models/NAME.yaml).
struct ExplorerSettings {
    std::string model;                     ///< catalogue name
    std::optional<double> reciprocity;     ///< ρ in [0,1]
    std::optional<Expertise> expertise;    ///< where expertise lies
    std::optional<double> strength;        ///< w of one-to-one and staff ties, [0,1]
    std::optional<double> group_strength;  ///< w of group ties, [0,1]
    std::optional<int> duration_weeks;     ///< [1, kExplorerWeeks]
    double high_ee_share = 0.45;           ///< share of high-expressed-emotion households
    std::uint64_t seed = 1;                ///< [0, kMaxSeed]
};

/// Parses a POST /api/session body: a JSON object with the keys model (required), reciprocity,
/// expertise, strength, group_strength, duration, high_ee_share and seed; `models` are the
/// catalogue names allowed. Throws RequestError (400 for bad JSON, shape, type, range, unknown
/// key or model; 413 for a body over kMaxBodyBytes).
ExplorerSettings parse_settings(std::string_view body, const std::vector<std::string>& models);

/// Parses a POST /api/session/ID/step body: {"weeks": 1 … kMaxStepWeeks}; an empty body means
/// one week. Throws RequestError as parse_settings.
int parse_step_weeks(std::string_view body);

/// One running small world. Not thread-safe: the server locks a session while it uses it.
class ExplorerSession {
  public:
    /// Builds the world (seed = settings.seed, so the same seed gives the same people, ties
    /// and random numbers whatever the model) and begins week 0: the model's deliveries of
    /// week 0 are already in the state.
    ExplorerSession(const ExplorerSettings& settings, const ProgramSpec& model);
    ~ExplorerSession();
    ExplorerSession(const ExplorerSession&) = delete;
    ExplorerSession& operator=(const ExplorerSession&) = delete;

    /// Advances min(weeks, kExplorerWeeks − week()) weeks; returns how many.
    int step(int weeks);
    int week() const;
    bool finished() const { return week() >= kExplorerWeeks; }

    /// The state as a JSON object:
    ///   week, weeks, finished, settings {…}, arms ["control", "treated"],
    ///   nodes [{id, role, arm (name or null), anchor (patient id or -1), d, a, H, G,
    ///           recovered}], ties [{u, v, type, w, q, program}],
    ///   history {week [...], distress {control [...], treated [...]},
    ///            help_received {control [...], treated [...]}}, recovered {control, treated}.
    /// Numbers are rounded to 4 decimals.
    std::string state_json() const;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace kindred::serve
