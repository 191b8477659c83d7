// `kindred analyze` and `kindred report`.
#include "analysis/command.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <limits>
#include <utility>

#include "analysis/analyze.hpp"
#include "analysis/report.hpp"
#include "config/scenario.hpp"
#include "core/types.hpp"

namespace kindred::analysis {

namespace {

/// The most bootstrap replicates --bootstrap accepts.
constexpr int kMaxBootstrap = 1000000;

/// A whole decimal integer low … high; InputError "OPTION: expected EXPECTED, found 'TEXT'"
/// otherwise (a sign where none is allowed, a fraction, an exponent, spaces, out of range).
template <typename T>
T parse_integer(const std::string& text, const std::string& option, T low, T high,
                const std::string& expected) {
    T value{};
    const char* end = text.data() + text.size();
    const auto [stop, error] = std::from_chars(text.data(), end, value);
    if (text.empty() || error != std::errc() || stop != end || value < low || value > high) {
        throw InputError(fmt::format("{}: expected {}, found '{}'", option, expected, text));
    }
    return value;
}

AnalyzeOptions make_options(const AnalyzeCommand& command) {
    AnalyzeOptions options;
    if (!command.weeks.empty()) options.weeks = parse_weeks(command.weeks, "--weeks");
    options.bootstrap = parse_integer<int>(command.bootstrap, "--bootstrap", 0, kMaxBootstrap,
                                           fmt::format("an integer 0 … {}", kMaxBootstrap));
    constexpr std::uint64_t most_seed = std::numeric_limits<std::uint64_t>::max();
    options.seed = parse_integer<std::uint64_t>(command.seed, "--seed", 0, most_seed,
                                                fmt::format("an integer 0 … {}", most_seed));
    if (!command.mediator_week.empty()) {
        options.mediator_week =
            parse_integer<int>(command.mediator_week, "--mediator-week", 0,
                               std::numeric_limits<int>::max(), "a week (an integer ≥ 0)");
    }
    if (command.knockouts == "on") {
        options.knockouts = KnockoutRuns::on;
    } else if (command.knockouts == "off") {
        options.knockouts = KnockoutRuns::off;
    }
    if (!command.quiet && isatty(fileno(stderr))) {
        options.progress = [](const std::string& line) {
            std::cerr << "\r\033[K" << line << std::flush;
        };
    }
    return options;
}

/// The output directory of `analyze` / `report`, checked before any work: an existing path must
/// be a directory (a missing one is created when the tables are written).
std::filesystem::path output_directory(const AnalyzeCommand& command) {
    const std::filesystem::path directory = command.output.empty()
                                                ? default_analysis_directory(command.file)
                                                : std::filesystem::path(command.output);
    std::error_code error;
    const std::filesystem::file_status status = std::filesystem::status(directory, error);
    if (std::filesystem::exists(status) && !std::filesystem::is_directory(status)) {
        throw InputError(
            fmt::format("{}: expected an output directory, found a file{}", directory.string(),
                        command.output.empty() ? " (choose another with -o DIR)" : ""));
    }
    return directory;
}

void clear_progress(const AnalyzeCommand& command) {
    if (!command.quiet && isatty(fileno(stderr))) std::cerr << "\r\033[K" << std::flush;
}

}  // namespace

CLI::App* add_analyze_subcommand(CLI::App& app, AnalyzeCommand& options, bool report) {
    CLI::App* sub =
        report ? app.add_subcommand(
                     "report", "Write the analysis, its pictures and an HTML page (DIR/index.html)")
               : app.add_subcommand("analyze",
                                    "Statistics of a trial or sweep file, as CSV tables and an "
                                    "HDF5 analysis file");
    sub->add_option("file", options.file, "Trial or sweep file (HDF5)")->required();
    CLI::Option* output = sub->add_option(
        "-o,--output", options.output,
        report ? "Report directory" : "Output directory (default: <file without .h5>-analysis)");
    if (report) output->required();
    sub->add_option("--weeks", options.weeks,
                    "Outcome weeks of a trial, comma-separated (default: 26,52,104 up to T)");
    sub->add_option("--bootstrap", options.bootstrap,
                    fmt::format("Bootstrap replicates for the intervals (0: none; at most {})",
                                kMaxBootstrap))
        ->capture_default_str();
    sub->add_option("--seed", options.seed, "Bootstrap seed (0 … 2^64 − 1)")->capture_default_str();
    sub->add_option("--mediator-week", options.mediator_week,
                    "Week of the mediators (default: the recorded week nearest half the "
                    "outcome week)");
    sub->add_option("--knockouts", options.knockouts,
                    "Re-run the stored scenario with each mechanism knocked out: auto (when "
                    "patients x replicates <= 5000), on, off")
        ->capture_default_str()
        ->check(CLI::IsMember({"auto", "on", "off"}));
    sub->add_flag("-q,--quiet", options.quiet, "No progress line");
    if (report) sub->add_flag("--no-plots", options.no_plots, "Tables only, no pictures");
    return sub;
}

namespace {

/// What `analyze` and `report` share: the output directory checked and the file analysed.
struct Analysed {
    std::chrono::steady_clock::time_point started;
    std::filesystem::path directory;
    AnalysisResult result;

    double seconds() const {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    }
};

Analysed analyse(const AnalyzeCommand& command, const ModelCatalogue& catalogue) {
    const auto started = std::chrono::steady_clock::now();
    std::filesystem::path directory = output_directory(command);
    AnalysisResult result = analyze_file(command.file, make_options(command), &catalogue);
    clear_progress(command);
    return {started, std::move(directory), std::move(result)};
}

}  // namespace

int analyze_command(const AnalyzeCommand& command, const ModelCatalogue& catalogue,
                    std::ostream& out) {
    const Analysed analysed = analyse(command, catalogue);
    write_outputs(analysed.directory, [&](const std::filesystem::path& staging) {
        write_analysis(analysed.result, staging);
    });
    out << format_analysis_summary(analysed.result);
    out << fmt::format("Tables: {}/*.csv and {} ({:.1f} s)\n", analysed.directory.string(),
                       (analysed.directory / "analysis.h5").string(), analysed.seconds());
    return 0;
}

int report_command(const AnalyzeCommand& command, const ModelCatalogue& catalogue,
                   std::ostream& out) {
    const Analysed analysed = analyse(command, catalogue);
    ReportOptions options;
    options.plots = !command.no_plots;
    write_outputs(analysed.directory, [&](const std::filesystem::path& staging) {
        write_analysis(analysed.result, staging);
        write_report(analysed.result, staging, options);
    });
    out << fmt::format("Report: {} ({:.1f} s)\n", (analysed.directory / "index.html").string(),
                       analysed.seconds());
    return 0;
}

}  // namespace kindred::analysis
