// Reading trial files for the analysis.
#include "analysis/trial_file.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

#include "analysis/hdf5_io.hpp"
#include "core/types.hpp"

namespace kindred::analysis {

namespace detail {
struct OpenTrialFile {
    std::filesystem::path path;
    hdf5::Io io{""};
    hdf5::Handle file;
};
}  // namespace detail

namespace {
constexpr int kSupportedVersion = 1;

std::vector<std::string> split_lines(const std::string& text) {
    std::vector<std::string> lines;
    std::size_t start = 0;
    while (start < text.size()) {
        const std::size_t end = text.find('\n', start);
        std::string line = text.substr(start, end == std::string::npos ? end : end - start);
        if (!line.empty()) lines.push_back(std::move(line));
        if (end == std::string::npos) break;
        start = end + 1;
    }
    return lines;
}
}  // namespace

std::string replicate_group(int replicate) { return fmt::format("replicate_{:03d}", replicate); }

TrialFile::TrialFile(const std::filesystem::path& path)
    : file_(std::make_unique<detail::OpenTrialFile>()) {
    file_->path = path;
    file_->io = hdf5::Io(path.string());
    const hdf5::QuietErrors quiet;
    const hdf5::Io& io = file_->io;
    file_->file = hdf5::open_file(path, io);
    const hid_t root = file_->file.get();
    const std::string format =
        io.has_attribute(root, "format") ? io.read_string_attribute(root, "format") : "";
    if (format != "kindred-trial") {
        throw InputError(fmt::format(
            "{}: expected a Kindred trial file (format 'kindred-trial'), "
            "found {}",
            path.string(), format.empty() ? "no format attribute" : "'" + format + "'"));
    }
    const std::int64_t version = io.read_int_attribute(root, "format_version");
    if (version != kSupportedVersion) {
        throw InputError(
            fmt::format("{}: trial file format version {}, this Kindred reads "
                        "version {}",
                        path.string(), version, kSupportedVersion));
    }
    kindred_version = io.read_string_attribute(root, "kindred_version");
    scenario_name = io.read_string_attribute(root, "scenario_name");
    scenario_path = io.read_string_attribute(root, "scenario_path");
    scenario_text = io.read_string_attribute(root, "scenario_text");
    overrides = split_lines(io.read_string_attribute(root, "overrides"));
    seed = io.read_uint_attribute(root, "seed");
    weeks = static_cast<int>(io.read_int_attribute(root, "weeks"));
    replicates_requested = static_cast<int>(io.read_int_attribute(root, "replicates"));
    if (io.has_attribute(root, "complete")) complete = io.read_int_attribute(root, "complete") != 0;

    const std::vector<std::string> names = io.read_strings(root, "arms/name");
    const std::vector<std::int8_t> control = io.read_int8s(root, "arms/control");
    for (std::size_t a = 0; a < names.size(); ++a) {
        TrialArm arm;
        arm.name = names[a];
        arm.control = a < control.size() && control[a] != 0;
        if (arm.control) control_arm = static_cast<int>(a);
        arms.push_back(std::move(arm));
    }
    if (io.exists(root, "arms/enrolments/arm")) {
        const auto arm = io.read_ints(root, "arms/enrolments/arm");
        const auto program = io.read_strings(root, "arms/enrolments/program");
        const auto start = io.read_ints(root, "arms/enrolments/start_week");
        const auto end = io.read_ints(root, "arms/enrolments/end_week");
        for (std::size_t e = 0; e < arm.size(); ++e) {
            if (arm[e] < 0 || static_cast<std::size_t>(arm[e]) >= arms.size()) continue;
            TrialArm& target = arms[static_cast<std::size_t>(arm[e])];
            target.programs.push_back(program[e]);
            target.first_start_week = target.first_start_week < 0
                                          ? start[e]
                                          : std::min(target.first_start_week, start[e]);
            target.last_end_week = std::max(target.last_end_week, end[e]);
        }
    }
    const hdf5::Handle group = io.open_group(root, "/");
    for (const std::string& member : io.members(group.get())) {
        if (member.starts_with("replicate_")) {
            try {
                replicates.push_back(std::stoi(member.substr(10)));
            } catch (const std::exception&) {
                // Not a replicate group of this layout; ignore.
            }
        }
    }
    std::sort(replicates.begin(), replicates.end());
    if (replicates.empty()) {
        throw InputError(fmt::format("{}: the trial file holds no replicate", path.string()));
    }
}

TrialFile::~TrialFile() = default;
TrialFile::TrialFile(TrialFile&&) noexcept = default;
TrialFile& TrialFile::operator=(TrialFile&&) noexcept = default;

const std::filesystem::path& TrialFile::path() const { return file_->path; }

PatientTable TrialFile::patients(int replicate) const {
    const hdf5::QuietErrors quiet;
    const hdf5::Io& io = file_->io;
    const std::string group = replicate_group(replicate) + "/patients/";
    const hid_t root = file_->file.get();
    PatientTable table;
    table.id = io.read_ints(root, group + "id");
    table.arm = io.read_ints(root, group + "arm");
    table.recovered_week = io.read_ints(root, group + "recovered_week");
    table.initial_distress = io.read_doubles(root, group + "initial_distress");
    table.final_distress = io.read_doubles(root, group + "final_distress");
    return table;
}

AggregateSeries TrialFile::aggregates(int replicate, int arm, const std::string& variable) const {
    const hdf5::QuietErrors quiet;
    const hdf5::Io& io = file_->io;
    const std::string group =
        replicate_group(replicate) + "/aggregates/" + arms.at(static_cast<std::size_t>(arm)).name;
    const hid_t root = file_->file.get();
    AggregateSeries series;
    series.n_patients = io.read_ints(root, group + "/n_patients");
    const std::vector<double> summary = io.read_doubles(root, group + "/" + variable);
    const std::size_t rows = series.n_patients.size();
    if (summary.size() != rows * 5) io.fail("unexpected shape of " + group + "/" + variable);
    for (std::size_t w = 0; w < rows; ++w) {
        series.mean.push_back(summary[w * 5]);
        series.sd.push_back(summary[w * 5 + 1]);
    }
    series.share_recovered = io.read_doubles(root, group + "/share_recovered");
    return series;
}

bool TrialFile::has_trajectories(int replicate) const {
    const hdf5::QuietErrors quiet;
    return file_->io.exists(file_->file.get(), replicate_group(replicate) + "/trajectories/week");
}

std::vector<std::int32_t> TrialFile::trajectory_weeks(int replicate) const {
    if (!has_trajectories(replicate)) return {};
    const hdf5::QuietErrors quiet;
    return file_->io.read_ints(file_->file.get(),
                               replicate_group(replicate) + "/trajectories/week");
}

std::vector<std::int32_t> TrialFile::trajectory_agents(int replicate) const {
    if (!has_trajectories(replicate)) return {};
    const hdf5::QuietErrors quiet;
    return file_->io.read_ints(file_->file.get(),
                               replicate_group(replicate) + "/trajectories/agent_id");
}

std::vector<double> TrialFile::trajectory_row(int replicate, const std::string& variable,
                                              int week) const {
    const std::vector<std::int32_t> recorded = trajectory_weeks(replicate);
    const auto found = std::find(recorded.begin(), recorded.end(), week);
    if (found == recorded.end()) {
        throw std::out_of_range(fmt::format("week {} has no trajectory row", week));
    }
    const hdf5::QuietErrors quiet;
    return file_->io.read_row(file_->file.get(),
                              replicate_group(replicate) + "/trajectories/" + variable,
                              static_cast<hsize_t>(found - recorded.begin()));
}

std::vector<int> TrialFile::snapshot_weeks(int replicate) const {
    const hdf5::QuietErrors quiet;
    const hdf5::Io& io = file_->io;
    const std::string path = replicate_group(replicate) + "/ties";
    std::vector<int> weeks_found;
    if (!io.exists(file_->file.get(), path)) return weeks_found;
    const hdf5::Handle group = io.open_group(file_->file.get(), path);
    for (const std::string& member : io.members(group.get())) {
        if (member.starts_with("week_")) {
            try {
                weeks_found.push_back(std::stoi(member.substr(5)));
            } catch (const std::exception&) {
            }
        }
    }
    std::sort(weeks_found.begin(), weeks_found.end());
    return weeks_found;
}

TieSnapshot TrialFile::ties(int replicate, int week) const {
    const hdf5::QuietErrors quiet;
    const hdf5::Io& io = file_->io;
    const std::string group = replicate_group(replicate) + fmt::format("/ties/week_{:04d}/", week);
    const hid_t root = file_->file.get();
    TieSnapshot snapshot;
    snapshot.week = week;
    snapshot.u = io.read_ints(root, group + "u");
    snapshot.v = io.read_ints(root, group + "v");
    snapshot.type = io.read_int8s(root, group + "type");
    snapshot.w = io.read_doubles(root, group + "w");
    snapshot.q = io.read_doubles(root, group + "q");
    snapshot.enrolment = io.read_ints(root, group + "enrolment");
    return snapshot;
}

}  // namespace kindred::analysis
