// Dispatch on the file format, output of the tables, the terminal summary.
#include "analysis/analyze.hpp"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <stdexcept>

#include "analysis/hdf5_io.hpp"
#include "core/types.hpp"
#include "output/trial_reader.hpp"
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
    // As `kindred verify` reads it: a missing, non-HDF5 or damaged file, or a `format` that is
    // not a string, is an InputError naming the file.
    const std::string format = read_file_format(path, "a Kindred trial or sweep file");
    if (format == "kindred-trial") {
        const TrialFile file(path);
        return analyze_trial(file, options, catalogue);
    }
    if (format == "kindred-sweep") return analyze_sweep(path, options);
    throw InputError(fmt::format(
        "{}: expected a Kindred trial or sweep file, found {}", path.string(),
        format.empty() ? "an HDF5 file without a 'format' attribute" : "format '" + format + "'"));
}

namespace {

/// The tables of analyze_trial() and analyze_sweep() (file stems of their CSV files).
constexpr const char* kTableNames[] = {"distress",      "effects",   "recovery",  "kaplan_meier",
                                       "recovery_time", "mediation", "knockouts", "decomposition",
                                       "prcc",          "sobol"};
/// The folder of the report's pictures and what analysis/plots/make_plots.py writes into it.
constexpr const char* kFigures = "figures";
constexpr const char* kFigureNames[] = {
    "figures.tsv",       "trajectories.png", "forest.png",           "recovery.png",
    "decomposition.png", "network.png",      "sensitivity_prcc.png", "sensitivity_sobol.png"};

namespace fs = std::filesystem;

/// A new, empty folder for `directory`'s outputs, with the permissions a new folder gets
/// (mkdtemp's are 0700): inside it (".kindred-WHAT-XXXXXX") when it exists, so that its renames
/// stay on its file system and need no right to write beside it (a mount point, a folder in a
/// parent that is not the user's); beside it (".NAME.WHAT-XXXXXX") when it is still to be made.
fs::path temporary_folder(const fs::path& directory, const char* what) {
    std::error_code error;
    std::string pattern;
    if (fs::is_directory(directory, error)) {
        pattern = (directory / fmt::format(".kindred-{}-XXXXXX", what)).string();
    } else {
        const fs::path parent =
            directory.parent_path().empty() ? fs::path(".") : directory.parent_path();
        pattern =
            (parent / fmt::format(".{}.{}-XXXXXX", directory.filename().string(), what)).string();
    }
    if (mkdtemp(pattern.data()) == nullptr) {
        throw RuntimeFailure(fmt::format("cannot create a temporary folder for {}: {}",
                                         directory.string(), std::strerror(errno)));
    }
    const mode_t mask = umask(0);
    umask(mask);
    std::error_code ignored;
    fs::permissions(pattern, static_cast<fs::perms>(0777 & ~mask), ignored);
    return pattern;
}

/// Creates the missing ancestors of `directory` (not itself); returns those it created, the
/// deepest first, so that a failure can remove them again.
std::vector<fs::path> create_parents(const fs::path& directory) {
    std::vector<fs::path> missing;
    std::error_code error;
    for (fs::path p = directory.parent_path(); !p.empty() && !fs::exists(p, error);
         p = p.parent_path()) {
        missing.push_back(p);
        if (p == p.parent_path()) break;
    }
    for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
        if (!fs::create_directory(*it, error) && error) {
            for (const fs::path& created : missing) fs::remove(created, error);
            throw RuntimeFailure(
                fmt::format("cannot create directory {}: {}", it->string(), error.message()));
        }
    }
    return missing;
}

/// The regular files under `folder`, relative to it, in a fixed order.
std::vector<fs::path> files_under(const fs::path& folder) {
    std::vector<fs::path> files;
    for (const fs::directory_entry& entry : fs::recursive_directory_iterator(folder)) {
        if (!entry.is_directory()) files.push_back(fs::relative(entry.path(), folder));
    }
    std::sort(files.begin(), files.end());
    return files;
}

/// Moves the files written into `staging` into the existing `directory`: the earlier outputs
/// (analysis_output_names()) are first set aside in a second temporary folder, then the new
/// files renamed in; any failure moves everything back. Renames within one file system do not
/// need space, so a full disk cannot stop this half way.
void move_into(const fs::path& staging, const fs::path& directory) {
    struct Move {
        fs::path from, to;
    };
    std::vector<Move> moves;
    std::vector<fs::path> created;
    const fs::path aside = temporary_folder(directory, "old");
    const auto rename_recorded = [&](const fs::path& from, const fs::path& to) {
        const fs::path parent = to.parent_path();
        std::error_code error;
        if (!fs::is_directory(parent, error)) {
            if (!fs::create_directory(parent, error) && error) {
                throw RuntimeFailure(fmt::format("cannot create directory {}: {}", parent.string(),
                                                 error.message()));
            }
            created.push_back(parent);
        }
        fs::rename(from, to, error);
        if (error) {
            throw RuntimeFailure(fmt::format("cannot move {} to {}: {}", from.string(), to.string(),
                                             error.message()));
        }
        moves.push_back({from, to});
    };
    try {
        for (const fs::path& name : analysis_output_names()) {
            std::error_code error;
            const fs::file_status status = fs::symlink_status(directory / name, error);
            // A folder of that name is not ours: the new file's rename onto it fails below.
            if (fs::exists(status) && !fs::is_directory(status)) {
                rename_recorded(directory / name, aside / name);
            }
        }
        for (const fs::path& name : files_under(staging)) {
            rename_recorded(staging / name, directory / name);
        }
    } catch (...) {
        std::error_code ignored;
        for (auto it = moves.rbegin(); it != moves.rend(); ++it)
            fs::rename(it->to, it->from, ignored);
        for (auto it = created.rbegin(); it != created.rend(); ++it) fs::remove(*it, ignored);
        fs::remove_all(aside, ignored);
        throw;
    }
    std::error_code ignored;
    fs::remove_all(aside, ignored);
    // A figures folder that only held earlier pictures goes with them (remove() keeps a
    // folder that is not empty).
    fs::remove(directory / kFigures, ignored);
}

}  // namespace

std::vector<std::filesystem::path> analysis_output_names() {
    std::vector<std::filesystem::path> names = {"notes.txt", "analysis.h5", "index.html"};
    for (const char* table : kTableNames) names.emplace_back(std::string(table) + ".csv");
    for (const char* figure : kFigureNames) names.push_back(fs::path(kFigures) / figure);
    return names;
}

void write_outputs(const std::filesystem::path& output,
                   const std::function<void(const std::filesystem::path&)>& write) {
    // "out/", "." and "a/../b" name a folder whose siblings are those of its last component.
    fs::path directory = fs::absolute(output).lexically_normal();
    if (!directory.has_filename()) directory = directory.parent_path();
    const std::vector<fs::path> parents = create_parents(directory);
    std::error_code ignored;
    const auto remove_parents = [&] {
        for (const fs::path& parent : parents) fs::remove(parent, ignored);
    };
    fs::path staging;
    try {
        staging = temporary_folder(directory, "new");
    } catch (...) {
        remove_parents();
        throw;
    }
    try {
        write(staging);
        std::error_code error;
        if (!fs::exists(directory, error)) {
            fs::rename(staging, directory, error);
            if (error) {
                throw RuntimeFailure(fmt::format("cannot move {} to {}: {}", staging.string(),
                                                 directory.string(), error.message()));
            }
        } else {
            move_into(staging, directory);
        }
    } catch (...) {
        fs::remove_all(staging, ignored);
        remove_parents();
        throw;
    }
    fs::remove_all(staging, ignored);
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
    const std::vector<std::filesystem::path> known = analysis_output_names();
    for (const Table& table : result.tables) {
        const std::filesystem::path name = table.name() + ".csv";
        if (std::find(known.begin(), known.end(), name) == known.end()) {
            // An output write_outputs() would not know to remove later.
            throw std::logic_error("table " + table.name() + " is missing from kTableNames");
        }
        table.write_csv(directory / name);
    }
    {
        std::ofstream notes(directory / "notes.txt");
        for (const std::string& note : result.notes) notes << note << '\n';
        notes.close();
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
