// Tests of output/hdf5_writer: writes small trials by hand and reads them back with the HDF5
// C API (provenance, aggregates, trajectories, tie snapshots, patients, the temporary file).
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <hdf5.h>
#include <tbb/global_control.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "core/rng.hpp"
#include "output/hdf5_writer.hpp"
#include "output/trial_reader.hpp"
#include "output_fixtures.hpp"

namespace kindred {
namespace {

namespace fs = std::filesystem;
using output_testing::flows_for;
using output_testing::small_world;
constexpr double kTolerance = 1e-12;

// ---- reading helpers (HDF5 C API) ----

/// An open file, closed at scope exit.
class ReadFile {
  public:
    explicit ReadFile(const fs::path& path)
        : id_(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT)) {
        if (id_ < 0) throw std::runtime_error("cannot open " + path.string());
    }
    ~ReadFile() { H5Fclose(id_); }
    ReadFile(const ReadFile&) = delete;
    ReadFile& operator=(const ReadFile&) = delete;
    hid_t id() const { return id_; }

    bool exists(const std::string& path) const {
        return H5Lexists(id_, path.c_str(), H5P_DEFAULT) > 0;
    }

    /// Dataset contents converted to double (any numeric type), and its shape.
    std::vector<double> doubles(const std::string& path,
                                std::vector<hsize_t>* shape = nullptr) const {
        const hid_t data = open_dataset(path);
        const hid_t space = H5Dget_space(data);
        const int rank = H5Sget_simple_extent_ndims(space);
        std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
        H5Sget_simple_extent_dims(space, dims.data(), nullptr);
        hsize_t count = 1;
        for (hsize_t dim : dims) count *= dim;
        std::vector<double> values(count);
        if (count > 0) {
            H5Dread(data, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data());
        }
        H5Sclose(space);
        H5Dclose(data);
        if (shape != nullptr) *shape = dims;
        return values;
    }

    std::vector<long long> integers(const std::string& path) const {
        const hid_t data = open_dataset(path);
        const hid_t space = H5Dget_space(data);
        const auto count = static_cast<std::size_t>(H5Sget_simple_extent_npoints(space));
        std::vector<long long> values(count);
        if (count > 0) {
            H5Dread(data, H5T_NATIVE_LLONG, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data());
        }
        H5Sclose(space);
        H5Dclose(data);
        return values;
    }

    std::vector<std::string> strings(const std::string& path) const {
        const hid_t data = open_dataset(path);
        const hid_t type = H5Dget_type(data);
        const hid_t space = H5Dget_space(data);
        const auto count = static_cast<std::size_t>(H5Sget_simple_extent_npoints(space));
        std::vector<char*> texts(count);
        if (count > 0) H5Dread(data, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, texts.data());
        std::vector<std::string> values(texts.begin(), texts.end());
        for (char* text : texts) H5free_memory(text);
        H5Sclose(space);
        H5Tclose(type);
        H5Dclose(data);
        return values;
    }

    /// String attribute (scalar or 1-D) of the object at `path`.
    std::vector<std::string> string_attribute(const std::string& path,
                                              const std::string& name) const {
        const hid_t attribute = open_attribute(path, name);
        const hid_t type = H5Aget_type(attribute);
        EXPECT_TRUE(H5Tis_variable_str(type) > 0);
        EXPECT_EQ(H5Tget_cset(type), H5T_CSET_UTF8);
        const hid_t space = H5Aget_space(attribute);
        const auto count = static_cast<std::size_t>(H5Sget_simple_extent_npoints(space));
        std::vector<char*> texts(count);
        H5Aread(attribute, type, texts.data());
        std::vector<std::string> values(texts.begin(), texts.end());
        for (char* text : texts) H5free_memory(text);
        H5Sclose(space);
        H5Tclose(type);
        H5Aclose(attribute);
        return values;
    }

    double number_attribute(const std::string& path, const std::string& name) const {
        const hid_t attribute = open_attribute(path, name);
        double value = 0.0;
        H5Aread(attribute, H5T_NATIVE_DOUBLE, &value);
        H5Aclose(attribute);
        return value;
    }

    /// Class of the attribute's stored type (H5T_INTEGER, H5T_FLOAT, H5T_STRING).
    H5T_class_t attribute_class(const std::string& path, const std::string& name) const {
        const hid_t attribute = open_attribute(path, name);
        const hid_t type = H5Aget_type(attribute);
        const H5T_class_t type_class = H5Tget_class(type);
        H5Tclose(type);
        H5Aclose(attribute);
        return type_class;
    }

    std::uint64_t unsigned_attribute(const std::string& path, const std::string& name) const {
        const hid_t attribute = open_attribute(path, name);
        std::uint64_t value = 0;
        H5Aread(attribute, H5T_NATIVE_UINT64, &value);
        H5Aclose(attribute);
        return value;
    }

  private:
    hid_t open_dataset(const std::string& path) const {
        const hid_t data = H5Dopen2(id_, path.c_str(), H5P_DEFAULT);
        if (data < 0) throw std::runtime_error("no dataset " + path);
        return data;
    }
    hid_t open_attribute(const std::string& path, const std::string& name) const {
        const hid_t attribute =
            H5Aopen_by_name(id_, path.c_str(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT);
        if (attribute < 0) throw std::runtime_error("no attribute " + path + " " + name);
        return attribute;
    }
    hid_t id_;
};

// ---- a small trial written by hand ----

/// A scratch directory per test, removed afterwards.
class Hdf5Writer : public ::testing::Test {
  protected:
    void SetUp() override {
        const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
        directory_ = fs::temp_directory_path() /
                     ("kindred-test-output-" + std::to_string(getpid())) / info->name();
        fs::remove_all(directory_);
    }
    void TearDown() override { fs::remove_all(directory_.parent_path()); }
    fs::path directory_;
};

Provenance small_provenance(int weeks) {
    Provenance provenance;
    provenance.kindred_version = "0.1.0-test";
    provenance.scenario_name = "tiny";
    provenance.scenario_path = "scenarios/tiny.yaml";
    provenance.scenario_text = "name: tiny\nweeks: 4\n";
    provenance.overrides = {"phi=0.05", "weeks=4"};
    provenance.seed = 12345678901234567890ULL;
    provenance.weeks = weeks;
    provenance.replicates = 2;
    provenance.params.phi = 0.05;
    provenance.arm_names = {"control", "befriending"};
    provenance.control_arm = 0;
    provenance.enrolments = {{.arm = 1, .program = "befriending", .start_week = 2, .end_week = 54}};
    return provenance;
}

/// Initial distress of agent i minus 0.05 per week.
double distress_at(const std::vector<double>& initial, std::size_t i, int week) {
    return initial[i] - 0.05 * week;
}

/// Runs the hand-made dynamics for weeks 0 … weeks: distress falls by 0.05 a week; at week 2
/// a volunteer (id 9) joins with a program tie to patient 4; patient 3 recovers at week 3.
void record_small_trial(ReplicateRecorder& recorder, int weeks) {
    World world = small_world();
    const std::vector<double> initial = world.state.distress;
    for (int week = 0; week <= weeks; ++week) {
        if (week == 2) {
            world.add_agent({.role = Role::volunteer, .d = 0.1, .created_week = 2});
            world.add_tie({.i = 4,
                           .j = 9,
                           .type = TieType::friend_,
                           .w = 0.3,
                           .q = 0.8,
                           .rho = 0.5,
                           .expertise = Expertise::peers,
                           .client = 4,
                           .provider = 9,
                           .enrolment = 0});
            world.rebuild_adjacency();
        }
        if (week == 3) world.recovered_week[3] = 3;
        for (std::size_t i = 0; i < 9; ++i) world.state.distress[i] = distress_at(initial, i, week);
        recorder.record(week, world, flows_for(world, week));
    }
}

fs::path write_small_trial(const fs::path& path, const RecordingOptions& options, int weeks = 4) {
    Hdf5TrialWriter writer(path, small_provenance(weeks), options);
    for (int replicate = 0; replicate < 2; ++replicate) {
        ReplicateRecorder recorder = writer.begin_replicate(replicate, 99);
        record_small_trial(recorder, weeks);
        recorder.finish();
    }
    writer.finish();
    return path;
}

RecordingOptions snapshot_at(std::vector<int> weeks) {
    RecordingOptions options;
    options.tie_snapshot_weeks = std::move(weeks);
    return options;
}

TEST_F(Hdf5Writer, FinishRenamesTheTemporaryFileToTheFinalPath) {
    const fs::path path = directory_ / "nested" / "trial.h5";
    Hdf5TrialWriter writer(path, small_provenance(4), {});
    EXPECT_EQ(writer.temporary_path(),
              fs::path(path.string() + ".tmp-" + std::to_string(getpid())));
    EXPECT_TRUE(fs::exists(writer.temporary_path()));
    EXPECT_FALSE(fs::exists(path));
    ReplicateRecorder recorder = writer.begin_replicate(0, 99);
    record_small_trial(recorder, 4);
    recorder.finish();
    writer.finish();
    EXPECT_TRUE(fs::exists(path));
    EXPECT_FALSE(fs::exists(writer.temporary_path()));
}

TEST_F(Hdf5Writer, WriterDestroyedWithoutFinishLeavesNoFile) {
    const fs::path path = directory_ / "trial.h5";
    fs::path temporary;
    try {
        Hdf5TrialWriter writer(path, small_provenance(4), {});
        temporary = writer.temporary_path();
        ReplicateRecorder recorder = writer.begin_replicate(0, 99);
        World world = small_world();
        recorder.record(0, world, flows_for(world, 0));
        EXPECT_TRUE(fs::exists(temporary));
        throw std::runtime_error("the run failed");
    } catch (const std::runtime_error&) {
    }
    EXPECT_FALSE(temporary.empty());
    EXPECT_FALSE(fs::exists(temporary));
    EXPECT_FALSE(fs::exists(path));
}

TEST_F(Hdf5Writer, FinishFailsWhenAReplicateWasNotFinished) {
    const fs::path path = directory_ / "trial.h5";
    fs::path temporary;
    {
        Hdf5TrialWriter writer(path, small_provenance(4), {});
        temporary = writer.temporary_path();
        {
            ReplicateRecorder recorder = writer.begin_replicate(0, 99);
            World world = small_world();
            recorder.record(0, world, flows_for(world, 0));
        }
        EXPECT_THROW(writer.finish(), RuntimeFailure);
    }
    EXPECT_FALSE(fs::exists(temporary));
    EXPECT_FALSE(fs::exists(path));
}

TEST_F(Hdf5Writer, UnwritablePathIsARuntimeFailureNamingThePath) {
    fs::create_directories(directory_);
    const fs::path blocker = directory_ / "not-a-directory";
    { std::ofstream(blocker) << "x"; }
    const fs::path path = blocker / "trial.h5";
    try {
        Hdf5TrialWriter writer(path, small_provenance(4), {});
        FAIL() << "expected RuntimeFailure";
    } catch (const RuntimeFailure& error) {
        EXPECT_NE(std::string(error.what()).find(path.string()), std::string::npos) << error.what();
    }
}

TEST_F(Hdf5Writer, RejectsBadArmNamesAndOptions) {
    Provenance provenance = small_provenance(4);
    provenance.arm_names = {"control", "a/b"};
    EXPECT_THROW(Hdf5TrialWriter(directory_ / "a.h5", provenance, {}), InputError);
    provenance.arm_names = {"control", "all_patients"};
    EXPECT_THROW(Hdf5TrialWriter(directory_ / "b.h5", provenance, {}), InputError);
    EXPECT_THROW(Hdf5TrialWriter(directory_ / "c.h5", small_provenance(4), snapshot_at({5})),
                 InputError);
    EXPECT_FALSE(fs::exists(directory_ / "a.h5"));
}

TEST_F(Hdf5Writer, RecordRequiresWeeksInOrderAndFinishRequiresAllOfThem) {
    Hdf5TrialWriter writer(directory_ / "trial.h5", small_provenance(4), {});
    ReplicateRecorder recorder = writer.begin_replicate(0, 99);
    World world = small_world();
    EXPECT_THROW(recorder.record(1, world, flows_for(world, 1)), std::invalid_argument);
    recorder.record(0, world, flows_for(world, 0));
    EXPECT_THROW(recorder.record(0, world, flows_for(world, 0)), std::invalid_argument);
    EXPECT_THROW(recorder.finish(), std::logic_error);
    EXPECT_THROW(writer.begin_replicate(0, 99), RuntimeFailure);
}

TEST_F(Hdf5Writer, ProvenanceIsWrittenToTheRootParametersAndArms) {
    const fs::path path = write_small_trial(directory_ / "trial.h5", {});
    const ReadFile file(path);
    EXPECT_EQ(file.string_attribute("/", "format"), std::vector<std::string>{"kindred-trial"});
    EXPECT_EQ(file.number_attribute("/", "format_version"), 1.0);
    EXPECT_EQ(file.string_attribute("/", "kindred_version")[0], "0.1.0-test");
    EXPECT_EQ(file.string_attribute("/", "scenario_name")[0], "tiny");
    EXPECT_EQ(file.string_attribute("/", "scenario_path")[0], "scenarios/tiny.yaml");
    EXPECT_EQ(file.string_attribute("/", "scenario_text")[0], "name: tiny\nweeks: 4\n");
    EXPECT_EQ(file.string_attribute("/", "overrides")[0], "phi=0.05\nweeks=4");
    EXPECT_EQ(file.unsigned_attribute("/", "seed"), 12345678901234567890ULL);
    EXPECT_EQ(file.number_attribute("/", "weeks"), 4.0);
    EXPECT_EQ(file.number_attribute("/", "replicates"), 2.0);
    const std::string created = file.string_attribute("/", "created")[0];
    EXPECT_EQ(created.size(), 20U) << created;
    EXPECT_EQ(created.back(), 'Z');

    for (const ParameterInfo& info : parameter_table()) {
        const std::string name(info.name);
        EXPECT_DOUBLE_EQ(file.number_attribute("/parameters", name),
                         info.get(small_provenance(4).params))
            << name;
        EXPECT_EQ(file.attribute_class("/parameters", name), info.integer ? H5T_INTEGER : H5T_FLOAT)
            << name;
    }
    EXPECT_DOUBLE_EQ(file.number_attribute("/parameters", "phi"), 0.05);
    EXPECT_DOUBLE_EQ(file.number_attribute("/parameters", "rec_weeks"), 12.0);

    EXPECT_EQ(file.strings("/arms/name"), (std::vector<std::string>{"control", "befriending"}));
    EXPECT_EQ(file.integers("/arms/control"), (std::vector<long long>{1, 0}));
    EXPECT_EQ(file.integers("/arms/enrolments/arm"), (std::vector<long long>{1}));
    EXPECT_EQ(file.strings("/arms/enrolments/program"), std::vector<std::string>{"befriending"});
    EXPECT_EQ(file.integers("/arms/enrolments/start_week"), (std::vector<long long>{2}));
    EXPECT_EQ(file.integers("/arms/enrolments/end_week"), (std::vector<long long>{54}));

    EXPECT_EQ(file.number_attribute("/replicate_001", "replicate"), 1.0);
    EXPECT_EQ(file.unsigned_attribute("/replicate_001", "seed"), 99U);
}

TEST_F(Hdf5Writer, AggregatesMatchHandComputedStatistics) {
    const fs::path path = write_small_trial(directory_ / "trial.h5", {});
    const ReadFile file(path);
    const std::string control = "/replicate_000/aggregates/control/";
    const std::string program = "/replicate_000/aggregates/befriending/";
    EXPECT_EQ(file.integers("/replicate_000/aggregates/week"),
              (std::vector<long long>{0, 1, 2, 3, 4}));

    std::vector<hsize_t> shape;
    const std::vector<double> distress = file.doubles(control + "distress", &shape);
    ASSERT_EQ(shape, (std::vector<hsize_t>{5, 5}));
    EXPECT_EQ(file.string_attribute(control + "distress", "columns"),
              (std::vector<std::string>{"mean", "sd", "q25", "median", "q75"}));
    // Week 0: 0.9, 0.5, 0.7 → mean 0.7, sd 0.2, quartiles 0.6, 0.7, 0.8; week w: all − 0.05 w.
    for (int week = 0; week <= 4; ++week) {
        const double shift = 0.05 * week;
        const double* row = &distress[static_cast<std::size_t>(week) * 5];
        EXPECT_NEAR(row[0], 0.7 - shift, kTolerance) << week;
        EXPECT_NEAR(row[1], 0.2, kTolerance) << week;
        EXPECT_NEAR(row[2], 0.6 - shift, kTolerance) << week;
        EXPECT_NEAR(row[3], 0.7 - shift, kTolerance) << week;
        EXPECT_NEAR(row[4], 0.8 - shift, kTolerance) << week;
    }
    // Arm 1 at week 0: 0.2, 0.4 → mean 0.3, sd √0.02, quartiles 0.25, 0.3, 0.35.
    const std::vector<double> program_distress = file.doubles(program + "distress");
    EXPECT_NEAR(program_distress[0], 0.3, kTolerance);
    EXPECT_NEAR(program_distress[1], std::sqrt(0.02), kTolerance);
    EXPECT_NEAR(program_distress[2], 0.25, kTolerance);
    EXPECT_NEAR(program_distress[3], 0.3, kTolerance);
    EXPECT_NEAR(program_distress[4], 0.35, kTolerance);
    // Help received of patients 0, 1, 2 at week 3: 0.003, 0.013, 0.023.
    EXPECT_NEAR(file.doubles(control + "help_received")[3 * 5], 0.013, kTolerance);

    // Friend ties per patient in arm 1: one each, then two for patient 4 from week 2.
    const std::vector<double> ties = file.doubles(program + "ties_per_patient", &shape);
    ASSERT_EQ(shape, (std::vector<hsize_t>{5, 4}));
    EXPECT_EQ(file.string_attribute(program + "ties_per_patient", "columns"),
              (std::vector<std::string>{"professional", "peer", "friend", "family"}));
    const int friend_column = static_cast<int>(TieType::friend_);
    EXPECT_NEAR(ties[0 * 4 + friend_column], 1.0, kTolerance);
    EXPECT_NEAR(ties[1 * 4 + friend_column], 1.0, kTolerance);
    EXPECT_NEAR(ties[2 * 4 + friend_column], 1.5, kTolerance);
    EXPECT_NEAR(file.doubles(program + "mean_tie_strength")[2 * 4 + friend_column], 0.3,
                kTolerance);

    EXPECT_EQ(file.doubles(program + "share_recovered"),
              (std::vector<double>{0.0, 0.0, 0.0, 0.5, 0.5}));
    EXPECT_EQ(file.integers(program + "n_patients"), (std::vector<long long>{2, 2, 2, 2, 2}));
    EXPECT_EQ(file.number_attribute(program, "arm"), 1.0);
    EXPECT_EQ(file.number_attribute(program, "control"), 0.0);
    EXPECT_EQ(file.number_attribute(control, "control"), 1.0);
    EXPECT_EQ(file.integers("/replicate_000/aggregates/all_patients/n_patients")[0], 6);
    EXPECT_EQ(file.number_attribute("/replicate_000/aggregates/all_patients", "arm"), -1.0);
}

TEST_F(Hdf5Writer, TrajectoriesHoldNaNBeforeAnAgentsCreationWeek) {
    const fs::path path = write_small_trial(directory_ / "trial.h5", {});
    const ReadFile file(path);
    const std::string group = "/replicate_000/trajectories/";
    EXPECT_EQ(file.integers(group + "week"), (std::vector<long long>{0, 1, 2, 3, 4}));
    EXPECT_EQ(file.integers(group + "agent_id"),
              (std::vector<long long>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
    EXPECT_EQ(file.integers(group + "role"),
              (std::vector<long long>{0, 0, 0, 0, 0, 0, 1, 2, 3, 4}));
    EXPECT_EQ(file.string_attribute(group + "role", "names"),
              (std::vector<std::string>{"patient", "family", "friend", "professional", "volunteer",
                                        "peer_worker"}));
    EXPECT_EQ(file.integers(group + "arm"),
              (std::vector<long long>{0, 0, 0, 1, 1, -1, -1, -1, -1, -1}));
    EXPECT_EQ(file.integers(group + "created_week"),
              (std::vector<long long>{0, 0, 0, 0, 0, 0, 0, 0, 0, 2}));

    std::vector<hsize_t> shape;
    const std::vector<double> distress = file.doubles(group + "distress", &shape);
    ASSERT_EQ(shape, (std::vector<hsize_t>{5, 10}));
    const std::vector<double> initial = small_world().state.distress;
    for (int week = 0; week <= 4; ++week) {
        for (std::size_t i = 0; i < 9; ++i) {
            EXPECT_NEAR(distress[static_cast<std::size_t>(week) * 10 + i],
                        distress_at(initial, i, week), kTolerance);
        }
        const double volunteer = distress[static_cast<std::size_t>(week) * 10 + 9];
        if (week < 2) {
            EXPECT_TRUE(std::isnan(volunteer)) << week;
        } else {
            EXPECT_DOUBLE_EQ(volunteer, 0.1) << week;
        }
    }
    const std::vector<double> strain = file.doubles(group + "strain", &shape);
    ASSERT_EQ(shape, (std::vector<hsize_t>{5, 10}));
    EXPECT_NEAR(strain[4 * 10 + 9], 0.27, kTolerance);
    EXPECT_TRUE(std::isnan(file.doubles(group + "help_given")[1 * 10 + 9]));
    EXPECT_NEAR(file.doubles(group + "agency")[3], 0.3, kTolerance);
}

TEST_F(Hdf5Writer, TrajectoriesKeepEveryNthWeekAndTheFinalWeek) {
    RecordingOptions options;
    options.every_weeks = 3;
    const fs::path path = write_small_trial(directory_ / "trial.h5", options);
    const ReadFile file(path);
    const std::string group = "/replicate_000/trajectories/";
    EXPECT_EQ(file.integers(group + "week"), (std::vector<long long>{0, 3, 4}));
    std::vector<hsize_t> shape;
    const std::vector<double> distress = file.doubles(group + "distress", &shape);
    ASSERT_EQ(shape, (std::vector<hsize_t>{3, 10}));
    EXPECT_TRUE(std::isnan(distress[9]));
    EXPECT_DOUBLE_EQ(distress[1 * 10 + 9], 0.1);
    EXPECT_NEAR(distress[1 * 10 + 0], 0.9 - 0.15, kTolerance);
}

TEST_F(Hdf5Writer, TrajectorySubsampleIsDeterministicAndKeepsOnlySelectedRoles) {
    RecordingOptions options;
    options.agent_fraction = 0.5;
    options.roles = {Role::patient, Role::volunteer};
    const fs::path first = write_small_trial(directory_ / "first.h5", options);
    const fs::path second = write_small_trial(directory_ / "second.h5", options);
    const ReadFile a(first);
    const ReadFile b(second);
    for (const char* replicate : {"/replicate_000", "/replicate_001"}) {
        const std::string group = std::string(replicate) + "/trajectories/";
        const std::vector<long long> ids = a.integers(group + "agent_id");
        EXPECT_EQ(ids, b.integers(group + "agent_id"));
        std::vector<long long> expected;
        const std::uint64_t r = replicate[std::strlen(replicate) - 1] == '1' ? 1 : 0;
        for (long long id = 0; id < 10; ++id) {
            const bool role_selected = id < 6 || id == 9;  // patients and the volunteer
            if (role_selected &&
                RandomStream(99, r, 0, static_cast<std::uint64_t>(id), Purpose::trajectory_sample)
                        .uniform() < 0.5) {
                expected.push_back(id);
            }
        }
        EXPECT_EQ(ids, expected) << replicate;
        for (long long role : a.integers(group + "role")) {
            EXPECT_TRUE(role == static_cast<int>(Role::patient) ||
                        role == static_cast<int>(Role::volunteer));
        }
        EXPECT_EQ(a.string_attribute(group, "roles"),
                  (std::vector<std::string>{"patient", "volunteer"}));
        EXPECT_EQ(a.number_attribute(group, "agent_fraction"), 0.5);
    }
}

TEST_F(Hdf5Writer, TrajectoriesCanBeSwitchedOff) {
    RecordingOptions options;
    options.trajectories = false;
    const ReadFile file(write_small_trial(directory_ / "trial.h5", options));
    EXPECT_FALSE(file.exists("/replicate_000/trajectories"));
    EXPECT_TRUE(file.exists("/replicate_000/aggregates"));
}

TEST_F(Hdf5Writer, TieSnapshotHoldsEveryTieOfThatWeek) {
    const fs::path path = write_small_trial(directory_ / "trial.h5", snapshot_at({4, 1, 4}));
    const ReadFile file(path);
    EXPECT_TRUE(file.exists("/replicate_000/ties/week_0001"));
    EXPECT_FALSE(file.exists("/replicate_000/ties/week_0000"));
    const std::string week1 = "/replicate_000/ties/week_0001/";
    EXPECT_EQ(file.integers(week1 + "u").size(), 7U);
    const std::string group = "/replicate_001/ties/week_0004/";
    EXPECT_EQ(file.number_attribute("/replicate_001/ties/week_0004", "week"), 4.0);
    EXPECT_EQ(file.integers(group + "u"), (std::vector<long long>{0, 0, 1, 3, 3, 0, 4, 4}));
    EXPECT_EQ(file.integers(group + "v"), (std::vector<long long>{6, 8, 8, 8, 7, 3, 7, 9}));
    EXPECT_EQ(file.integers(group + "type"), (std::vector<long long>{3, 0, 0, 0, 2, 1, 2, 2}));
    EXPECT_EQ(file.string_attribute(group + "type", "names"),
              (std::vector<std::string>{"professional", "peer", "friend", "family"}));
    EXPECT_EQ(file.doubles(group + "w"),
              (std::vector<double>{0.6, 0.3, 0.3, 0.3, 0.4, 0.3, 0.2, 0.3}));
    EXPECT_EQ(file.doubles(group + "q"),
              (std::vector<double>{0.6, 0.5, 0.5, 0.5, 0.6, 0.5, -0.3, 0.8}));
    EXPECT_EQ(file.doubles(group + "rho"), (std::vector<double>{1, 1, 1, 1, 1, 1, 1, 0.5}));
    EXPECT_EQ(file.integers(group + "expertise"), (std::vector<long long>{0, 0, 0, 0, 0, 0, 0, 3}));
    EXPECT_EQ(file.string_attribute(group + "expertise", "names"),
              (std::vector<std::string>{"none", "provider", "patient", "peers", "everyone"}));
    EXPECT_EQ(file.integers(group + "client"),
              (std::vector<long long>{-1, -1, -1, -1, -1, -1, -1, 4}));
    EXPECT_EQ(file.integers(group + "provider"),
              (std::vector<long long>{-1, -1, -1, -1, -1, -1, -1, 9}));
    EXPECT_EQ(file.integers(group + "enrolment"),
              (std::vector<long long>{-1, -1, -1, -1, -1, -1, -1, 0}));
}

TEST_F(Hdf5Writer, PatientTableHoldsRecoveryAndInitialAndFinalDistress) {
    const ReadFile file(write_small_trial(directory_ / "trial.h5", {}));
    const std::string group = "/replicate_000/patients/";
    EXPECT_EQ(file.integers(group + "id"), (std::vector<long long>{0, 1, 2, 3, 4, 5}));
    EXPECT_EQ(file.integers(group + "arm"), (std::vector<long long>{0, 0, 0, 1, 1, -1}));
    EXPECT_EQ(file.integers(group + "recovered_week"),
              (std::vector<long long>{-1, -1, -1, 3, -1, -1}));
    const std::vector<double> initial{0.9, 0.5, 0.7, 0.2, 0.4, 0.6};
    const std::vector<double> recorded_initial = file.doubles(group + "initial_distress");
    const std::vector<double> recorded_final = file.doubles(group + "final_distress");
    ASSERT_EQ(recorded_final.size(), 6U);
    for (std::size_t i = 0; i < 6; ++i) {
        EXPECT_DOUBLE_EQ(recorded_initial[i], initial[i]);
        EXPECT_NEAR(recorded_final[i], initial[i] - 0.2, kTolerance);
    }
}

TEST_F(Hdf5Writer, ReplicatesMayRecordFromDifferentThreads) {
    const fs::path sequential = write_small_trial(directory_ / "sequential.h5", snapshot_at({2}));
    const fs::path parallel = directory_ / "parallel.h5";
    {
        Hdf5TrialWriter writer(parallel, small_provenance(4), snapshot_at({2}));
        std::vector<ReplicateRecorder> recorders;
        for (int replicate = 0; replicate < 2; ++replicate) {
            recorders.push_back(writer.begin_replicate(replicate, 99));
        }
        std::vector<std::thread> threads;
        for (auto& recorder : recorders) {
            threads.emplace_back([&recorder] {
                record_small_trial(recorder, 4);
                recorder.finish();
            });
        }
        for (auto& thread : threads) thread.join();
        writer.finish();
    }
    const ReadFile a(sequential);
    const ReadFile b(parallel);
    for (const char* dataset :
         {"/replicate_000/trajectories/distress", "/replicate_001/trajectories/strain",
          "/replicate_001/aggregates/befriending/distress", "/replicate_000/ties/week_0002/w",
          "/replicate_001/patients/final_distress"}) {
        const std::vector<double> expected = a.doubles(dataset);
        const std::vector<double> found = b.doubles(dataset);
        ASSERT_EQ(found.size(), expected.size()) << dataset;
        for (std::size_t i = 0; i < found.size(); ++i) {
            EXPECT_TRUE(found[i] == expected[i] ||
                        (std::isnan(found[i]) && std::isnan(expected[i])))
                << dataset << "[" << i << "]";
        }
    }
}

TEST_F(Hdf5Writer, RecordsASimulationWeekByWeek) {
    World world = small_world();
    RunSpec spec;
    spec.weeks = 3;
    spec.seed = 5;
    Simulation sim(std::move(world), spec);
    const fs::path path = directory_ / "simulation.h5";
    std::vector<double> final_distress;
    {
        Hdf5TrialWriter writer(path, small_provenance(3), {});
        ReplicateRecorder recorder = writer.begin_replicate(0, 5);
        for (int week = 0; week < spec.weeks; ++week) {
            sim.begin_week();
            recorder.record(sim);
            sim.finish_week();
        }
        sim.begin_week();
        recorder.record(sim);
        recorder.finish();
        writer.finish();
        final_distress = sim.world().state.distress;
    }
    const ReadFile file(path);
    std::vector<hsize_t> shape;
    const std::vector<double> distress =
        file.doubles("/replicate_000/trajectories/distress", &shape);
    ASSERT_EQ(shape, (std::vector<hsize_t>{4, final_distress.size()}));
    for (std::size_t i = 0; i < final_distress.size(); ++i) {
        EXPECT_DOUBLE_EQ(distress[3 * final_distress.size() + i], final_distress[i]);
    }
    EXPECT_DOUBLE_EQ(file.doubles("/replicate_000/patients/final_distress")[0], final_distress[0]);
}

TEST_F(Hdf5Writer, LargeTrialIsChunkedAndCompressed) {
    // 20000 agents: trajectories and tie columns are big enough to be chunked and deflated.
    Provenance provenance = small_provenance(3);
    provenance.arm_names = {"control"};
    provenance.enrolments.clear();
    World world;
    for (int i = 0; i < 20000; ++i) {
        world.add_agent({.role = i < 10000 ? Role::patient : Role::family,
                         .d = 0.5,
                         .arm = i < 10000 ? 0 : kNone});
    }
    for (int i = 0; i < 10000; ++i) {
        world.add_tie({.i = i, .j = 10000 + i, .type = TieType::family, .w = 0.6, .q = 0.6});
    }
    const fs::path path = directory_ / "large.h5";
    {
        Hdf5TrialWriter writer(path, provenance, snapshot_at({3}));
        ReplicateRecorder recorder = writer.begin_replicate(0, 1);
        for (int week = 0; week <= 3; ++week) recorder.record(week, world, flows_for(world, week));
        recorder.finish();
        writer.finish();
    }
    const ReadFile file(path);
    const hid_t data = H5Dopen2(file.id(), "/replicate_000/trajectories/distress", H5P_DEFAULT);
    const hid_t properties = H5Dget_create_plist(data);
    EXPECT_EQ(H5Pget_layout(properties), H5D_CHUNKED);
    EXPECT_GE(H5Pget_nfilters(properties), 2);
    // 4 weeks × 20000 agents of equal values compress far below 640 kB.
    EXPECT_LT(H5Dget_storage_size(data), 100000U);
    H5Pclose(properties);
    H5Dclose(data);
    std::vector<hsize_t> shape;
    const std::vector<double> distress =
        file.doubles("/replicate_000/trajectories/distress", &shape);
    EXPECT_EQ(shape, (std::vector<hsize_t>{4, 20000}));
    EXPECT_DOUBLE_EQ(distress.back(), 0.5);
    EXPECT_EQ(file.integers("/replicate_000/ties/week_0003/v").back(), 19999);
}

TEST_F(Hdf5Writer, TrajectoryChunksReadBackExactlyWhateverTheThreadsAndCompression) {
    // 5,000 agents (two columns of 4,096-agent chunks) over 41 trajectory weeks (chunks of 16
    // weeks: three rows of chunks, the last one partial); 100 agents join within a row of
    // chunks (week 20) and 4,000 at the start of one (week 32, making a third column). Every
    // value reads back as recorded and NaN before its agent joined; the stored chunks take
    // the same bytes on one thread and on two.
    const auto value = [](std::size_t agent, int week) {
        return 1e-5 * static_cast<double>(agent) + 1e-3 * week;
    };
    for (const int level : {0, 4}) {
        std::vector<hsize_t> storage;
        for (const int threads : {1, 2}) {
            const tbb::global_control limit(tbb::global_control::max_allowed_parallelism,
                                            static_cast<std::size_t>(threads));
            Provenance provenance = small_provenance(40);
            provenance.arm_names = {"control"};
            provenance.enrolments.clear();
            World world;
            world.add_agents(5000, {.role = Role::family});
            RecordingOptions options;
            options.compression_level = level;
            const fs::path path = directory_ / fmt::format("chunks_{}_{}.h5", level, threads);
            {
                Hdf5TrialWriter writer(path, provenance, options);
                ReplicateRecorder recorder = writer.begin_replicate(0, 1);
                for (int week = 0; week <= 40; ++week) {
                    if (week == 20)
                        world.add_agents(100, {.role = Role::friend_, .created_week = 20});
                    if (week == 32) {
                        world.add_agents(4000, {.role = Role::volunteer, .created_week = 32});
                    }
                    for (std::size_t i = 0; i < world.agent_count(); ++i) {
                        world.state.distress[i] = value(i, week);
                    }
                    recorder.record(week, world, flows_for(world, week));
                }
                recorder.finish();
                writer.finish();
            }
            const ReadFile file(path);
            std::vector<hsize_t> shape;
            const std::vector<double> distress =
                file.doubles("/replicate_000/trajectories/distress", &shape);
            ASSERT_EQ(shape, (std::vector<hsize_t>{41, 9100})) << "level " << level;
            std::size_t wrong = 0;
            for (int week = 0; week <= 40; ++week) {
                for (std::size_t agent = 0; agent < 9100; ++agent) {
                    const int joined = agent < 5000 ? 0 : agent < 5100 ? 20 : 32;
                    const double got = distress[static_cast<std::size_t>(week) * 9100 + agent];
                    const bool right = week < joined ? std::isnan(got) : got == value(agent, week);
                    if (!right && ++wrong <= 3) {
                        ADD_FAILURE() << "level " << level << ", " << threads << " threads: week "
                                      << week << ", agent " << agent << ": " << got;
                    }
                }
            }
            EXPECT_EQ(wrong, 0U);
            const hid_t data =
                H5Dopen2(file.id(), "/replicate_000/trajectories/distress", H5P_DEFAULT);
            storage.push_back(H5Dget_storage_size(data));
            H5Dclose(data);
        }
        EXPECT_EQ(storage[0], storage[1]) << "level " << level;
        // Seven chunks are stored: two columns in each of the first two rows of chunks, three in
        // the last (the third column's earlier chunks are never written and read as the fill
        // value, NaN). Level 0 stores them whole (16 × 4,096 doubles); level 4 compresses them.
        if (level == 0) {
            EXPECT_EQ(storage[0], 7U * 16 * 4096 * 8);
        } else {
            EXPECT_LT(storage[0], 7U * 16 * 4096 * 8 / 2);
        }
    }
}

TEST_F(Hdf5Writer, ChunkedTablesReadBackExactlyWithTheirLastChunkShort) {
    // A tie snapshot of 70,000 ties (chunks of 65,536 ties: one full, one of 4,464) and a
    // counterfactual table of 30 weeks × 5,000 patients (chunks of 13 whole weeks: 13, 13, 4):
    // int8, int32 and float64 columns, encoded in parallel, read back value for value.
    Provenance provenance = small_provenance(1);
    provenance.arm_names = {"control"};
    provenance.enrolments.clear();
    World world;
    world.add_agents(70001, {.role = Role::family});
    for (int i = 0; i < 70000; ++i) {
        world.add_tie(
            {.i = i, .j = i + 1, .type = static_cast<TieType>(i % 4), .w = 1e-5 * i, .q = -0.5});
    }
    CounterfactualTable table;
    for (int w = 0; w < 30; ++w) table.weeks.push_back(w);
    for (int p = 0; p < 5000; ++p) {
        table.patient.push_back(p);
        table.arm.push_back(0);
    }
    for (int w = 0; w < 30; ++w) {
        for (int p = 0; p < 5000; ++p) {
            table.distress_with.push_back(1e-4 * p + 1e-2 * w);
            table.distress_without.push_back(0.5);
        }
    }
    RecordingOptions options = snapshot_at({1});
    options.trajectories = false;
    const fs::path path = directory_ / "tables.h5";
    {
        Hdf5TrialWriter writer(path, provenance, options);
        ReplicateRecorder recorder = writer.begin_replicate(0, 1);
        for (int week = 0; week <= 1; ++week) recorder.record(week, world, flows_for(world, week));
        recorder.write_counterfactual(table);
        recorder.finish();
        writer.finish();
    }
    const ReadFile file(path);
    const std::string ties = "/replicate_000/ties/week_0001/";
    const std::vector<long long> u = file.integers(ties + "u");
    const std::vector<long long> type = file.integers(ties + "type");
    const std::vector<double> w = file.doubles(ties + "w");
    ASSERT_EQ(u.size(), 70000U);
    ASSERT_EQ(type.size(), 70000U);
    ASSERT_EQ(w.size(), 70000U);
    std::size_t wrong = 0;
    for (std::size_t e = 0; e < 70000; ++e) {
        wrong += static_cast<std::size_t>(u[e] != static_cast<long long>(e) ||
                                          type[e] != static_cast<long long>(e % 4) ||
                                          w[e] != 1e-5 * static_cast<double>(e));
    }
    EXPECT_EQ(wrong, 0U);
    std::vector<hsize_t> shape;
    const std::vector<double> effect =
        file.doubles("/replicate_000/counterfactual/individual_effect", &shape);
    ASSERT_EQ(shape, (std::vector<hsize_t>{30, 5000}));
    wrong = 0;
    for (std::size_t k = 0; k < effect.size(); ++k) {
        wrong += static_cast<std::size_t>(effect[k] != table.distress_with[k] - 0.5);
    }
    EXPECT_EQ(wrong, 0U);
    const hid_t data =
        H5Dopen2(file.id(), "/replicate_000/counterfactual/individual_effect", H5P_DEFAULT);
    const hid_t properties = H5Dget_create_plist(data);
    std::array<hsize_t, 2> chunk{};
    EXPECT_EQ(H5Pget_chunk(properties, 2, chunk.data()), 2);
    EXPECT_EQ(chunk[0], 13U);
    EXPECT_EQ(chunk[1], 5000U);
    H5Pclose(properties);
    H5Dclose(data);
}

// ---- stopped runs, continued files, reading back ----

TEST_F(Hdf5Writer, FinishIncompleteKeepsFinishedReplicatesAndMarksTheFile) {
    const fs::path path = directory_ / "trial.h5";
    std::set<int> kept;
    {
        Hdf5TrialWriter writer(path, small_provenance(4), {});
        {
            ReplicateRecorder recorder = writer.begin_replicate(0, 99);
            record_small_trial(recorder, 4);
            recorder.finish();
        }
        {
            // Replicate 1 stops after two weeks (a signal between weeks).
            ReplicateRecorder recorder = writer.begin_replicate(1, 99);
            World world = small_world();
            recorder.record(0, world, flows_for(world, 0));
            recorder.record(1, world, flows_for(world, 1));
        }
        kept = writer.finish_incomplete();
    }
    EXPECT_EQ(kept, std::set<int>{0});
    const TrialHeader header = read_trial_header(path);
    ASSERT_TRUE(header.complete.has_value());
    EXPECT_FALSE(*header.complete);
    EXPECT_EQ(header.replicates_present, std::set<int>{0});
    EXPECT_EQ(header.replicates, 2);
    EXPECT_EQ(header.scenario_text, "name: tiny\nweeks: 4\n");
    EXPECT_FALSE(fs::exists(path.string() + ".tmp-" + std::to_string(getpid())));
}

TEST_F(Hdf5Writer, ContinuedFileGetsTheMissingReplicatesAndBecomesComplete) {
    const fs::path path = directory_ / "trial.h5";
    {
        Hdf5TrialWriter writer(path, small_provenance(4), {});
        ReplicateRecorder recorder = writer.begin_replicate(0, 99);
        record_small_trial(recorder, 4);
        recorder.finish();
        writer.finish();  // one of two replicates: complete = 0
    }
    EXPECT_FALSE(*read_trial_header(path).complete);
    const auto before = fs::file_size(path);
    {
        Hdf5TrialWriter writer(path, small_provenance(4), {}, ContinueTrialFile{});
        EXPECT_EQ(writer.recorded_before(), std::set<int>{0});
        EXPECT_THROW(writer.begin_replicate(0, 99), RuntimeFailure);
        EXPECT_EQ(fs::file_size(path), before);  // the file itself waits for finish()
        ReplicateRecorder recorder = writer.begin_replicate(1, 99);
        record_small_trial(recorder, 4);
        recorder.finish();
        writer.finish();
    }
    const TrialHeader header = read_trial_header(path);
    EXPECT_TRUE(*header.complete);
    EXPECT_EQ(header.replicates_present, (std::set<int>{0, 1}));
    // Bit-identical to a file written in one go.
    const fs::path whole = write_small_trial(directory_ / "whole.h5", {});
    const ReadFile a(path), b(whole);
    for (const char* dataset :
         {"/replicate_001/aggregates/control/distress", "/replicate_001/trajectories/distress",
          "/replicate_001/patients/final_distress"}) {
        const auto x = a.doubles(dataset), y = b.doubles(dataset);
        ASSERT_EQ(x.size(), y.size()) << dataset;
        EXPECT_EQ(std::memcmp(x.data(), y.data(), x.size() * sizeof(double)), 0) << dataset;
    }
}

TEST_F(Hdf5Writer, MiddleWeekDistressIsKeptPerPatient) {
    RecordingOptions options;
    options.middle_week = 2;
    const fs::path path = write_small_trial(directory_ / "trial.h5", options);
    const StoredPatients stored = read_stored_patients(path, 1);
    EXPECT_EQ(stored.middle_week, 2);
    ASSERT_EQ(stored.middle_distress.size(), stored.id.size());
    const std::vector<double> initial{0.9, 0.5, 0.7, 0.2, 0.4, 0.6};
    for (std::size_t k = 0; k < stored.id.size(); ++k) {
        EXPECT_NEAR(stored.middle_distress[k],
                    distress_at(initial, static_cast<std::size_t>(stored.id[k]), 2), kTolerance);
    }
}

TEST_F(Hdf5Writer, ReadingAForeignOrDamagedFileIsAnInputError) {
    const fs::path text = directory_ / "notes.h5";
    fs::create_directories(directory_);
    { std::ofstream(text) << "not HDF5\n"; }
    EXPECT_THROW(read_trial_header(text), InputError);
    EXPECT_THROW(read_trial_header(directory_ / "missing.h5"), InputError);
    const fs::path path = write_small_trial(directory_ / "trial.h5", {});
    const fs::path cut = directory_ / "cut.h5";
    {
        std::ifstream in(path, std::ios::binary);
        std::string bytes(2000, '\0');
        in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        std::ofstream(cut, std::ios::binary) << bytes;
    }
    try {
        read_trial_header(cut);
        FAIL() << "a truncated file was read";
    } catch (const InputError& error) {
        EXPECT_NE(std::string(error.what()).find("cut.h5: expected a kindred trial file"),
                  std::string::npos)
            << error.what();
    }
}

}  // namespace
}  // namespace kindred
