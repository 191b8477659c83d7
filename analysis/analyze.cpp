// Dispatch on the file format, output of the tables, the terminal summary.
#include "analysis/analyze.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <fstream>

#include "analysis/hdf5_io.hpp"
#include "core/types.hpp"
#include "trial/trial.hpp"

namespace kindred::analysis {

const Table* AnalysisResult::find(const std::string& name) const {
    for (const Table& table : tables) {
        if (table.name() == name) return &table;
    }
    return nullptr;
}

AnalysisResult analyze_file(const std::filesystem::path& path, const AnalyzeOptions& options,
                            const ModelCatalogue* catalogue) {
    if (options.bootstrap < 0) throw InputError("--bootstrap: expected a number ≥ 0");
    const std::string format = hdf5::file_format(path);
    if (format == "kindred-trial") {
        const TrialFile file(path);
        return analyze_trial(file, options, catalogue);
    }
    if (format == "kindred-sweep") return analyze_sweep(path, options);
    throw InputError(fmt::format(
        "{}: expected a Kindred trial or sweep file, found {}", path.string(),
        format.empty() ? "an HDF5 file without a 'format' attribute" : "format '" + format + "'"));
}

std::filesystem::path default_analysis_directory(const std::filesystem::path& file) {
    std::filesystem::path directory = file;
    directory.replace_extension();
    directory += "-analysis";
    return directory;
}

void write_analysis(const AnalysisResult& result, const std::filesystem::path& directory) {
    std::error_code error;
    std::filesystem::create_directories(directory, error);
    if (error) {
        throw RuntimeFailure(
            fmt::format("cannot create directory {}: {}", directory.string(), error.message()));
    }
    for (const Table& table : result.tables) table.write_csv(directory / (table.name() + ".csv"));
    {
        std::ofstream notes(directory / "notes.txt");
        for (const std::string& note : result.notes) notes << note << '\n';
        if (!notes) throw RuntimeFailure("cannot write " + (directory / "notes.txt").string());
    }
    std::vector<std::pair<std::string, std::string>> attributes = result.attributes;
    attributes.emplace_back("kindred_version", kindred_version());
    std::string notes;
    for (const std::string& note : result.notes) notes += note + "\n";
    attributes.emplace_back("notes", notes);
    write_analysis_file(directory / "analysis.h5", result.tables, attributes);
}

namespace {

/// Fixed-width text rendering of some columns of a table.
std::string render(const Table& table, const std::vector<std::string>& columns, int digits = 3,
                   std::size_t max_rows = 40) {
    std::vector<std::size_t> index;
    for (const auto& name : columns) index.push_back(table.column_index(name));
    std::vector<std::vector<std::string>> cells;
    cells.push_back(columns);
    for (std::size_t r = 0; r < table.row_count() && r < max_rows; ++r) {
        std::vector<std::string> row;
        for (const std::size_t c : index) {
            const Cell& cell = table.rows()[r][c];
            if (const auto* number = std::get_if<double>(&cell)) {
                row.push_back(format_number(*number, digits));
            } else if (const auto* integer = std::get_if<std::int64_t>(&cell)) {
                row.push_back(std::to_string(*integer));
            } else {
                row.push_back(std::get<std::string>(cell));
            }
        }
        cells.push_back(std::move(row));
    }
    // Widths in code points (the typographic minus and dash are multi-byte).
    const auto width_of = [](const std::string& s) {
        std::size_t n = 0;
        for (const unsigned char c : s) n += (c & 0xC0) != 0x80 ? 1 : 0;
        return n;
    };
    std::vector<std::size_t> width(columns.size(), 0);
    for (const auto& row : cells) {
        for (std::size_t c = 0; c < row.size(); ++c)
            width[c] = std::max(width[c], width_of(row[c]));
    }
    std::string out;
    for (const auto& row : cells) {
        std::string line;
        for (std::size_t c = 0; c < row.size(); ++c) {
            if (c > 0) line += "  ";
            const std::string pad(width[c] - width_of(row[c]), ' ');
            line += c == 0 ? row[c] + pad : pad + row[c];
        }
        line.erase(line.find_last_not_of(' ') + 1);
        out += line + "\n";
    }
    if (table.row_count() > max_rows) {
        out += fmt::format("… {} more rows\n", table.row_count() - max_rows);
    }
    return out;
}

}  // namespace

std::string format_analysis_summary(const AnalysisResult& result) {
    std::string out;
    const auto section = [&](const std::string& name, const std::vector<std::string>& columns) {
        if (const Table* table = result.find(name)) {
            out += table->title() + "\n" + render(*table, columns) + "\n";
        }
    };
    if (result.kind == "trial") {
        section("effects", {"arm", "week", "n", "mean_difference", "g", "boot_low", "boot_high"});
        section("recovery",
                {"arm", "week", "share", "risk_difference", "rd_boot_low", "rd_boot_high", "nnt"});
        section("recovery_time", {"arm", "n", "recovered", "median_weeks", "logrank_p"});
        section("mediation", {"arm", "mediator", "mediator_week", "week", "indirect",
                              "indirect_low", "indirect_high", "proportion_mediated"});
        section("knockouts", {"arm", "week", "mechanism", "effect", "share_remaining", "share_low",
                              "share_high"});
    } else {
        section("prcc", {"outcome", "arm", "week", "variable", "prcc", "ci_low", "ci_high"});
        section("sobol", {"outcome", "arm", "week", "variable", "first_order", "total"});
    }
    for (const std::string& note : result.notes) out += "Note: " + note + "\n";
    return out;
}

std::vector<int> parse_weeks(const std::string& text, const std::string& option) {
    std::vector<int> weeks;
    std::size_t start = 0;
    while (start <= text.size()) {
        const std::size_t comma = text.find(',', start);
        std::string part = text.substr(start, comma == std::string::npos ? comma : comma - start);
        part.erase(0, part.find_first_not_of(' '));
        part.erase(part.find_last_not_of(' ') + 1);
        int week = 0;
        const auto [end, error] = std::from_chars(part.data(), part.data() + part.size(), week);
        if (part.empty() || error != std::errc() || end != part.data() + part.size() || week < 0) {
            throw InputError(
                fmt::format("{} {}: expected weeks ≥ 0 separated by commas "
                            "(26,52,104), found '{}'",
                            option, text, part));
        }
        weeks.push_back(week);
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    return weeks;
}

}  // namespace kindred::analysis
