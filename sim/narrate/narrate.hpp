// `kindred run --narrate N`: follows N sampled patients through replicate 0 of a trial and
// tells in plain words what happened to them — their ties at the start and the end by type,
// the help they gave and received and from whom, their programs, and the turning points
// (largest weekly fall and rise of distress, recovery, ties formed and lost).
//
// @code
//   PatientStories stories(scenario, 3);
//   TrialOptions options;
//   options.observer = [&](int replicate, const Simulation& sim) {
//       if (replicate == 0) stories.observe(sim);
//   };
//   run_trial(scenario, options);
//   std::cout << stories.format();
// @endcode
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "config/scenario.hpp"
#include "core/simulation.hpp"

namespace kindred {

/// `count` patients of the arms of `world` (patients with an arm), dealt out over the arms in
/// scenario order one at a time (so every arm is represented when count ≥ arms), chosen
/// uniformly within an arm by RandomStream(seed, 0, kInitialisationWeek, arm,
/// Purpose::narration_sample). Sorted by arm, then id. Fewer when the arms have fewer patients.
std::vector<AgentId> sample_patients(const World& world, int arms, int count, std::uint64_t seed);

/// What happened to a few patients of one run, recorded week by week.
class PatientStories {
  public:
    /// `count` ≥ 1 patients are sampled at the first observe() (week 0) with sample_patients.
    /// Keeps what it needs of `scenario` (names, programs, parameters), not a reference.
    PatientStories(const ScenarioSpec& scenario, int count);

    /// Records week sim.week(): call once per week, in order, after Simulation::begin_week()
    /// (as TrialOptions::observer does). O(ties of the sampled patients).
    void observe(const Simulation& sim);

    /// The stories, in plain words (one paragraph per patient).
    std::string format() const;

    /// The sampled patients (empty before the first observe()).
    const std::vector<AgentId>& patients() const { return patients_; }

    /// One tie of a patient as seen in one week.
    struct TieSeen {
        TieType type = TieType::friend_;
        double w = 0.0, q = 0.0;
        Role partner_role = Role::patient;
    };
    /// A tie is identified by its partner and its enrolment (kNone: natural).
    using TieKey = std::pair<AgentId, EnrolmentId>;

    /// A change of a patient's ties in one week.
    struct TieEvent {
        enum class Kind { formed, lost, converted };
        int week = 0;
        Kind kind = Kind::formed;
        TieKey key;
        TieSeen tie;
    };

    /// Everything recorded about one patient.
    struct Story {
        AgentId id = kNone;
        int arm = kNone;
        std::vector<int> weeks;
        std::vector<double> distress, help_received, help_given, strain;  ///< per week
        std::map<TieKey, TieSeen> ties_start;  ///< natural ties at week 0
        std::map<TieKey, TieSeen> ties_now;    ///< all ties at the last observed week
        std::vector<TieEvent> events;
        /// Help over all weeks by tie type, received and given, and the part on program ties.
        double received_by_type[kTieTypeCount] = {};
        double given_by_type[kTieTypeCount] = {};
        double received_on_program_ties = 0.0;
        int recovered_week = kNone;
    };
    const std::vector<Story>& stories() const { return stories_; }

  private:
    /// One program of an arm as the stories name it.
    struct ProgramSeen {
        std::string title;
        int start_week = 0;
        int end_week = 0;  ///< start + duration (may lie past the last week)
    };

    int count_;
    std::uint64_t seed_;
    int weeks_;
    std::vector<std::string> arm_names_;
    int control_arm_;
    std::vector<std::vector<ProgramSeen>> arm_programs_;  ///< per arm, in listed order
    std::vector<std::string> enrolment_titles_;           ///< program title by EnrolmentId
    double w_min_;
    double d_rec_;
    int rec_weeks_;
    std::vector<AgentId> patients_;
    std::vector<Story> stories_;
};

}  // namespace kindred
