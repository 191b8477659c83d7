// `kindred analyze`: the statistics of a trial file (effects, recovery, time to recovery,
// mediation and the knock-out decomposition) or of a sweep file (PRCC and Sobol indices), as
// tables written to CSV files and to an HDF5 analysis file. docs/analysis.md describes every
// table and formula.
//
// @code
//   AnalyzeOptions options;
//   options.bootstrap = 2000;
//   AnalysisResult result = analyze_file("results/default.h5", options, &catalogue);
//   write_analysis(result, "results/default-analysis");
//   std::cout << format_analysis_summary(result);
// @endcode
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "analysis/table.hpp"
#include "analysis/trial_file.hpp"

namespace kindred {
class ModelCatalogue;
}

namespace kindred::analysis {

/// When the knock-out decomposition re-runs the stored scenario.
enum class KnockoutRuns {
    automatic,  ///< when the file is small: patients × replicates ≤ kKnockoutAutoPatients
    on,
    off
};

/// The largest trial (patients per replicate × replicates) whose knock-out re-runs are done
/// without being asked (about 8 re-runs of a 5000-patient trial take seconds).
inline constexpr long kKnockoutAutoPatients = 5000;

struct AnalyzeOptions {
    /// Outcome weeks; empty: those of 26, 52, 104 that are ≤ T (T itself if none is).
    std::vector<int> weeks;
    int bootstrap = 2000;    ///< bootstrap replicates (≥ 0; 0 = no bootstrap intervals)
    std::uint64_t seed = 1;  ///< bootstrap seed
    /// Week of the mediators; empty: for outcome week w, the recorded week nearest w / 2.
    std::optional<int> mediator_week;
    KnockoutRuns knockouts = KnockoutRuns::automatic;
    /// Called with a short line while knock-out runs progress (optional).
    std::function<void(const std::string&)> progress;
};

/// The tables of one analysed file and what the reader should know about them.
struct AnalysisResult {
    std::string kind;  ///< "trial" or "sweep"
    std::filesystem::path source;
    std::vector<Table> tables;
    std::vector<std::string> notes;  ///< skipped parts, warnings, caveats
    /// Provenance written as attributes of /analysis (name, value).
    std::vector<std::pair<std::string, std::string>> attributes;

    const Table* find(const std::string& name) const;
};

/// Analyses a trial file (see docs/analysis.md). `catalogue` is needed for the knock-out
/// re-runs (the stored scenario names its models); nullptr skips them with a note. Throws
/// InputError for bad options (a week outside 0 … T) and for a damaged file.
AnalysisResult analyze_trial(const TrialFile& file, const AnalyzeOptions& options,
                             const ModelCatalogue* catalogue);

/// Analyses a sweep file: PRCC of every varied parameter with every outcome, and Sobol
/// indices when the design is Saltelli.
AnalysisResult analyze_sweep(const std::filesystem::path& path, const AnalyzeOptions& options);

/// Opens `path` and dispatches on its format (kindred-trial or kindred-sweep); throws
/// InputError for any other file.
AnalysisResult analyze_file(const std::filesystem::path& path, const AnalyzeOptions& options,
                            const ModelCatalogue* catalogue);

/// Writes every table as DIR/<name>.csv, the notes as DIR/notes.txt and all tables as
/// DIR/analysis.h5 (group /analysis; layout in docs/analysis.md). Creates DIR. Writes into DIR
/// as it goes: use write_outputs() to replace an earlier analysis as a whole.
void write_analysis(const AnalysisResult& result, const std::filesystem::path& directory);

/// Every file that `analyze` or `report` can write, relative to the output directory: the
/// tables' CSV files, notes.txt, analysis.h5, index.html and figures/<picture>.
std::vector<std::filesystem::path> analysis_output_names();

/// Replaces the outputs in `directory` as a whole: `write` writes them into a new temporary
/// folder (inside `directory` when it exists, else beside it), and only when it returns are
/// they moved into `directory`
/// (created when missing), where they replace the files of the same names; the files of
/// analysis_output_names() that this run did not write are removed, any other file is left
/// alone. When `write` or a move fails, `directory` is left as it was, the temporary folders
/// are removed and the exception is rethrown; failing to create or fill the temporary folder
/// is a RuntimeFailure naming it.
void write_outputs(const std::filesystem::path& directory,
                   const std::function<void(const std::filesystem::path&)>& write);

/// The default output directory: "<file without .h5>-analysis" next to the file.
std::filesystem::path default_analysis_directory(const std::filesystem::path& file);

/// A short text summary for the terminal: the main tables, rounded.
std::string format_analysis_summary(const AnalysisResult& result);

/// Parses "26,52,104" into weeks; throws InputError naming `option` on bad text.
std::vector<int> parse_weeks(const std::string& text, const std::string& option);

}  // namespace kindred::analysis
