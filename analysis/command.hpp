// The `kindred analyze` and `kindred report` subcommands: their options (CLI11) and what they
// do, so that the program's main() only wires them up.
#pragma once

#include <CLI/CLI.hpp>
#include <ostream>
#include <string>

namespace kindred {
class ModelCatalogue;
}

namespace kindred::analysis {

/// Options of `kindred analyze FILE` and `kindred report FILE` (docs/analysis.md).
struct AnalyzeCommand {
    std::string file;
    std::string output;  ///< directory; empty: <file without .h5>-analysis (analyze only)
    std::string weeks;   ///< "26,52,104"; empty: the default
    // The numbers as given: parsed and range-checked by analyze_command / report_command, so
    // that a bad value is one InputError naming the option (CLI11 would wrap a negative seed).
    std::string bootstrap = "2000";  ///< 0 … 1000000
    std::string seed = "1";          ///< 0 … 2^64 − 1
    std::string mediator_week;       ///< ≥ 0; empty: the default
    std::string knockouts = "auto";
    bool quiet = false;
    bool no_plots = false;  ///< report only
};

/// Adds subcommand "analyze" (report = false) or "report" (report = true) to `app`, storing
/// its options in `options`.
CLI::App* add_analyze_subcommand(CLI::App& app, AnalyzeCommand& options, bool report);

/// Runs `kindred analyze`: writes the tables and prints a summary to `out`. Returns the exit
/// code; throws InputError / RuntimeFailure like the other commands.
int analyze_command(const AnalyzeCommand& options, const ModelCatalogue& catalogue,
                    std::ostream& out);

/// Runs `kindred report`: the analysis, the pictures and DIR/index.html.
int report_command(const AnalyzeCommand& options, const ModelCatalogue& catalogue,
                   std::ostream& out);

}  // namespace kindred::analysis
