// Validated, immutable descriptions of a trial: ScenarioSpec (scenarios/*.yaml) and the
// model catalogue (models/*.yaml → ProgramSpec). Built by the loaders in config/; everything
// downstream trusts these values.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/parameters.hpp"
#include "core/program.hpp"
#include "core/simulation.hpp"
#include "core/types.hpp"
#include "network/community.hpp"
#include "network/population.hpp"

namespace kindred {

/// Where the population comes from (spec §5, or a community network model).
struct PopulationSpec {
    enum class Kind { ego_network, csv, community };
    Kind kind = Kind::ego_network;
    EgoNetworkParams ego;              ///< generator parameters (kind == ego_network)
    std::filesystem::path agents_csv;  ///< kind == csv, resolved against the scenario dir
    std::filesystem::path ties_csv;    ///< kind == csv
    CommunityParams community;         ///< kind == community (degrees_file resolved)

    /// Patients of a generated population (ego_network or community); 0 for csv.
    int patients() const {
        if (kind == Kind::ego_network) return ego.patients;
        if (kind == Kind::community) return community_patients(community);
        return 0;
    }
};

/// One trial arm: its patients (a share or a count, randomised; or the CSV arm column) and
/// the programs its patients are enrolled in (with per-arm overrides already applied).
struct ArmSpec {
    std::string name;
    std::optional<double> share;  ///< of all patients, in [0,1]
    std::optional<int> count;     ///< number of patients
    bool control = false;
    std::vector<ProgramSpec> programs;  ///< start_week / duration_weeks are this arm's
};

/// Per-agent trajectory options (HDF5 /replicate_R/trajectories).
struct TrajectoryOptions {
    bool enabled = true;
    int every_weeks = 1;          ///< record weeks 0, n, 2n, … and always the final week
    double agent_fraction = 1.0;  ///< deterministic subsample of agents, (0,1]
    std::vector<Role> roles;      ///< only these roles; empty = all roles
};

struct OutputSpec {
    std::filesystem::path path;  ///< empty: results/<scenario name>.h5
    TrajectoryOptions trajectories;
    std::vector<int> tie_snapshot_weeks;  ///< weeks (0 … T) at which all ties are written
    int compression_level = 4;            ///< deflate level 0 … 9
};

struct ScenarioSpec {
    std::string name;  ///< scenario name (default: file stem)
    std::string description;
    std::filesystem::path source_path;   ///< the scenario file
    std::string source_text;             ///< its full text (provenance)
    std::vector<std::string> overrides;  ///< "name=value" applied after parsing (provenance)
    std::uint64_t seed = 1;
    int weeks = 104;
    int replicates = 1;
    Parameters params;
    PopulationSpec population;
    std::vector<ArmSpec> arms;
    int control_arm = kNone;      ///< index of the control arm, or kNone
    Mechanisms mechanisms;        ///< all on, except those in `knockouts: [...]`
    bool counterfactual = false;  ///< also run each replicate without programs (paired)
    YAML::Node sweep_node;        ///< the `sweep:` section as written, read by the sweep layer
    OutputSpec output;
};

/// Directories searched for model files by name, in order.
class ModelCatalogue {
  public:
    explicit ModelCatalogue(std::vector<std::filesystem::path> directories);

    /// Loads a model by catalogue name ("befriending") or by path (contains '/' or ends in
    /// .yaml). Throws InputError naming the name and the directories searched.
    ProgramSpec load(const std::string& name_or_path,
                     const std::filesystem::path& relative_to = {}) const;

    /// All models found in the directories (first directory wins on duplicate names),
    /// sorted by name.
    std::vector<ProgramSpec> load_all() const;

    const std::vector<std::filesystem::path>& directories() const { return directories_; }

  private:
    std::vector<std::filesystem::path> directories_;
};

/// The catalogue the command line and the Python module search: the `given` directories (in
/// order; each must exist, else InputError), then those of $KINDRED_MODELS_PATH (':'-separated;
/// empty entries skipped; an entry that is not a directory throws InputError), then `builtin` (the
/// catalogue of the source tree).
ModelCatalogue catalogue_from_environment(std::vector<std::filesystem::path> given,
                                          const std::filesystem::path& builtin);

/// Parses and validates one model file. Throws InputError "FILE:LINE:COL: …".
ProgramSpec load_model_file(const std::filesystem::path& path);

/// Parses and validates a scenario file, then applies `overrides` ("name=value": any spec §6
/// parameter, or seed, weeks, replicates). Throws InputError "FILE:LINE:COL: …" or
/// "--set NAME: …".
ScenarioSpec load_scenario_file(const std::filesystem::path& path, const ModelCatalogue& models,
                                const std::vector<std::string>& overrides = {});

/// Same, from text (used by tests and by re-runs from stored provenance).
ScenarioSpec load_scenario_text(const std::string& text, const std::filesystem::path& path,
                                const ModelCatalogue& models,
                                const std::vector<std::string>& overrides = {});

}  // namespace kindred
