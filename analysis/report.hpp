// `kindred report`: the analysis tables, the pictures (drawn by the matplotlib scripts in
// analysis/plots/, run with Debian's Python) and an HTML page that shows them together.
//
// @code
//   AnalysisResult result = analyze_file(path, options, &catalogue);
//   write_analysis(result, "report");
//   write_report(result, "report", ReportOptions{});   // report/index.html
// @endcode
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "analysis/analyze.hpp"

namespace kindred::analysis {

struct ReportOptions {
    bool plots = true;  ///< false: the page shows the tables only
    /// Python interpreter; empty: $KINDRED_PYTHON, else the one configured at build time
    /// (/usr/bin/python3).
    std::filesystem::path python;
    /// Directory of the plotting scripts; empty: $KINDRED_PLOTS_DIR, else analysis/plots of
    /// the source tree Kindred was built from.
    std::filesystem::path plots_dir;
};

/// One picture of the report.
struct Figure {
    std::string file;  ///< relative to the report directory ("figures/forest.png")
    std::string title;
    std::string caption;
};

/// Draws the pictures of `result` into DIR/figures (the analysis file DIR/analysis.h5 must
/// have been written by write_analysis) and returns them with the pictures the scripts left
/// out and why. Throws RuntimeFailure when the interpreter, matplotlib or h5py is missing or
/// a script fails (its messages go to standard error).
std::vector<Figure> draw_figures(const AnalysisResult& result,
                                 const std::filesystem::path& directory,
                                 const ReportOptions& options, std::vector<std::string>& skipped);

/// Writes DIR/index.html: provenance, notes, the figures and every table.
void write_report_page(const AnalysisResult& result, const std::vector<Figure>& figures,
                       const std::vector<std::string>& skipped,
                       const std::filesystem::path& directory);

/// draw_figures (unless options.plots is false) and write_report_page; returns the page's path.
std::filesystem::path write_report(const AnalysisResult& result,
                                   const std::filesystem::path& directory,
                                   const ReportOptions& options);

/// Escapes &, <, >, " and ' for HTML text and attribute values.
std::string html_escape(const std::string& text);

}  // namespace kindred::analysis
