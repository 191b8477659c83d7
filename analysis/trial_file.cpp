// Reading trial files for the analysis.
#include "analysis/trial_file.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

#include "analysis/hdf5_io.hpp"
#include "core/types.hpp"
#include "output/trial_reader.hpp"

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
/// What a failure to read says the file should have been.
constexpr const char* kExpected = "a readable kindred trial file";

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
    file_->io = hdf5::Io(path.string(), kExpected);
    // The header as `kindred verify` and `run --resume` read it: every attribute and dataset
    // of the header checked, a damaged or foreign file an InputError naming the file.
    const TrialHeader header = read_trial_header(path);
    if (header.format_version != kSupportedVersion) {
        throw InputError(
            fmt::format("{}: expected a kindred trial file of format version {}, found version {}",
                        path.string(), kSupportedVersion, header.format_version));
    }
    const hdf5::QuietErrors quiet;
    const hdf5::Io& io = file_->io;
    file_->file = hdf5::open_file(path, io);
    const hid_t root = file_->file.get();
    kindred_version = header.kindred_version;
    scenario_name = header.scenario_name;
    scenario_path = header.scenario_path;
    scenario_text = header.scenario_text;
    overrides = split_lines(header.overrides);
    seed = header.seed;
    weeks = header.weeks;
    replicates_requested = header.replicates;
    complete = header.complete.value_or(true);
    if (weeks < 1) io.fail(fmt::format("attribute weeks: expected ≥ 1, found {}", weeks));
    if (replicates_requested < 1) {
        io.fail(fmt::format("attribute replicates: expected ≥ 1, found {}", replicates_requested));
    }

    const std::vector<std::int8_t> control = io.read_int8s(root, "arms/control");
    if (header.arm_names.empty() || control.size() != header.arm_names.size()) {
        io.fail(
            fmt::format("/arms: expected as many control flags as arm names (at least one), "
                        "found {} and {}",
                        control.size(), header.arm_names.size()));
    }
    for (std::size_t a = 0; a < header.arm_names.size(); ++a) {
        TrialArm arm;
        arm.name = header.arm_names[a];
        arm.control = control[a] != 0;
        if (arm.control) control_arm = static_cast<int>(a);
        arms.push_back(std::move(arm));
    }
    for (const EnrolmentInfo& enrolment : header.enrolments) {
        if (enrolment.arm < 0 || static_cast<std::size_t>(enrolment.arm) >= arms.size() ||
            enrolment.start_week < 0 || enrolment.end_week < enrolment.start_week) {
            io.fail(fmt::format(
                "/arms/enrolments: expected an arm 0 … {} and weeks 0 ≤ start ≤ "
                "end, found arm {}, weeks {} … {}",
                arms.size() - 1, enrolment.arm, enrolment.start_week, enrolment.end_week));
        }
        TrialArm& target = arms[static_cast<std::size_t>(enrolment.arm)];
        target.programs.push_back(enrolment.program);
        target.first_start_week = target.first_start_week < 0
                                      ? enrolment.start_week
                                      : std::min(target.first_start_week, enrolment.start_week);
        target.last_end_week = std::max(target.last_end_week, enrolment.end_week);
    }
    replicates.assign(header.replicates_present.begin(), header.replicates_present.end());
    if (replicates.empty()) {
        throw InputError(
            fmt::format("{}: expected a trial file with at least one replicate, "
                        "found none (no replicate_RRR group)",
                        path.string()));
    }
}

TrialFile::~TrialFile() = default;
TrialFile::TrialFile(TrialFile&&) noexcept = default;
TrialFile& TrialFile::operator=(TrialFile&&) noexcept = default;

const std::filesystem::path& TrialFile::path() const { return file_->path; }

PatientTable TrialFile::patients(int replicate) const {
    const std::string group = fmt::format("/{}/patients", replicate_group(replicate));
    {
        const hdf5::QuietErrors quiet;
        for (const char* column :
             {"id", "arm", "recovered_week", "initial_distress", "final_distress"}) {
            if (!file_->io.exists(file_->file.get(), group + "/" + column)) {
                file_->io.fail(fmt::format("no dataset {}/{}", group, column));
            }
        }
    }
    // Read and checked (columns of one length) as `kindred verify` reads them.
    StoredPatients stored = read_stored_patients(file_->path, replicate);
    for (std::size_t i = 0; i < stored.id.size(); ++i) {
        const std::int32_t arm = stored.arm[i], week = stored.recovered_week[i];
        if (arm < -1 || arm >= static_cast<std::int32_t>(arms.size()) || week < -1 ||
            week > weeks) {
            file_->io.fail(fmt::format(
                "{}: expected arms −1 … {} and recovery weeks −1 … {}, found arm {} and week {} "
                "in row {}",
                group, arms.size() - 1, weeks, arm, week, i));
        }
    }
    PatientTable table;
    table.id = std::move(stored.id);
    table.arm = std::move(stored.arm);
    table.recovered_week = std::move(stored.recovered_week);
    table.initial_distress = std::move(stored.initial_distress);
    table.final_distress = std::move(stored.final_distress);
    if (!stored.middle_distress.empty()) {
        table.middle_distress = std::move(stored.middle_distress);
        table.middle_week = stored.middle_week;
    }
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
    const auto expected_rows = static_cast<std::size_t>(weeks) + 1;
    if (rows != expected_rows || summary.size() != rows * 5) {
        io.fail(
            fmt::format("/{}/{}: expected {} weeks × 5 values, found {} values and {} weeks "
                        "of n_patients",
                        group, variable, expected_rows, summary.size(), rows));
    }
    for (std::size_t w = 0; w < rows; ++w) {
        series.mean.push_back(summary[w * 5]);
        series.sd.push_back(summary[w * 5 + 1]);
    }
    series.share_recovered = io.read_doubles(root, group + "/share_recovered");
    if (series.share_recovered.size() != rows) {
        io.fail(fmt::format("/{}/share_recovered: expected {} values, found {}", group, rows,
                            series.share_recovered.size()));
    }
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
    const std::string dataset = replicate_group(replicate) + "/trajectories/" + variable;
    const std::vector<hsize_t> shape = file_->io.shape(file_->file.get(), dataset);
    const std::vector<hsize_t> agents =
        file_->io.shape(file_->file.get(), replicate_group(replicate) + "/trajectories/agent_id");
    if (shape.size() != 2 || agents.size() != 1 || shape[0] != recorded.size() ||
        shape[1] != agents[0]) {
        file_->io.fail(
            fmt::format("/{}: expected {} weeks × the trajectory agents, found a "
                        "dataset of another shape",
                        dataset, recorded.size()));
    }
    return file_->io.read_row(file_->file.get(), dataset,
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
    const std::size_t n = snapshot.u.size();
    if (snapshot.v.size() != n || snapshot.type.size() != n || snapshot.w.size() != n ||
        snapshot.q.size() != n || snapshot.enrolment.size() != n) {
        io.fail(
            fmt::format("/{}: expected columns of one length, found columns of different "
                        "lengths",
                        group.substr(0, group.size() - 1)));
    }
    return snapshot;
}

}  // namespace kindred::analysis
