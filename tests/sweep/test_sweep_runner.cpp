// The runner and the sweep file: results do not depend on the thread count, an interrupted
// sweep resumed equals an uninterrupted one, shards merged equal the single file, and merge
// and resume refuse files that do not belong together. (kill -9 and mpirun are exercised on
// the real program by test_sweep_cli.py.)
#include <gtest/gtest.h>
#include <tbb/global_control.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <filesystem>

#include "sweep/runner.hpp"
#include "trial/interrupt.hpp"

namespace kindred::sweep {
namespace {

const std::filesystem::path kSource = KINDRED_SOURCE_DIR;
const std::filesystem::path kScenario = kSource / "tests/sweep/data/small.yaml";

class SweepRunner : public ::testing::Test {
  protected:
    std::filesystem::path dir_ = std::filesystem::temp_directory_path() /
                                 ("kindred_sweep_runner_" + std::to_string(::getpid()));
    ModelCatalogue catalogue_{{kSource / "models"}};
    SweepPlan plan_ = make_plan_from_file(kScenario, catalogue_, {});

    void SetUp() override { std::filesystem::create_directories(dir_); }
    void TearDown() override { std::filesystem::remove_all(dir_); }

    SweepSummary sweep(const std::filesystem::path& path, int threads, Shard shard = {},
                       bool resume = false, const SweepProgressCallback& progress = {}) {
        const tbb::global_control limit(tbb::global_control::max_allowed_parallelism,
                                        static_cast<std::size_t>(threads));
        SweepOptions options;
        options.output = path;
        options.shard = shard;
        options.resume = resume;
        options.progress = progress;
        return run_sweep(plan_, options);
    }
};

/// Every row and every outcome of two complete sweep files are the same, to the bit.
void expect_same_runs(const std::filesystem::path& a, const std::filesystem::path& b) {
    const auto first = SweepFile::open(a, false);
    const auto second = SweepFile::open(b, false);
    ASSERT_TRUE(first->complete());
    ASSERT_TRUE(second->complete());
    EXPECT_EQ(first->header().digest, second->header().digest);
    EXPECT_EQ(first->header().shard, second->header().shard);
    EXPECT_EQ(first->done(), second->done());
    const OutcomeLayout layout = first->header().layout();
    for (std::size_t f = 0; f < layout.fields.size(); ++f) {
        const std::vector<double> x = first->read_outcome_field(f);
        const std::vector<double> y = second->read_outcome_field(f);
        ASSERT_EQ(x.size(), y.size());
        EXPECT_EQ(std::memcmp(x.data(), y.data(), x.size() * sizeof(double)), 0)
            << layout.fields[f].name;
    }
}

TEST_F(SweepRunner, OneThreadEqualsTwoThreads) {
    const SweepSummary one = sweep(dir_ / "one.h5", 1);
    const SweepSummary two = sweep(dir_ / "two.h5", 2);
    EXPECT_EQ(one.threads, 1);
    EXPECT_EQ(one.runs_run, 12);
    EXPECT_EQ(two.runs_run, 12);
    EXPECT_TRUE(two.complete);
    expect_same_runs(dir_ / "one.h5", dir_ / "two.h5");
    // The outcomes are there: distress at both outcome weeks, effect sizes for befriending.
    const auto file = SweepFile::open(dir_ / "two.h5", false);
    const std::vector<double> distress = file->read_outcome_field(0);
    for (double d : distress) {
        EXPECT_GT(d, 0.0);
        EXPECT_LT(d, 1.0);
    }
    const std::vector<double> g = file->read_outcome_field(1);
    EXPECT_TRUE(std::isnan(g[0]));   // run 0, control arm
    EXPECT_FALSE(std::isnan(g[2]));  // run 0, befriending at week 10
}

TEST_F(SweepRunner, InterruptedThenResumedEqualsUninterrupted) {
    sweep(dir_ / "whole.h5", 2);
    // Stop after 5 recorded runs, as a crash would: the file keeps them (one thread, so that
    // no other run is in flight).
    struct Stop {};
    EXPECT_THROW(sweep(dir_ / "resumed.h5", 1, {}, false,
                       [](const SweepProgress& progress) {
                           if (progress.done == 5) throw Stop{};
                       }),
                 Stop);
    {
        const auto partial = SweepFile::open(dir_ / "resumed.h5", false);
        EXPECT_FALSE(partial->complete());
        EXPECT_EQ(partial->missing_runs().size(), 7u);
        // Runs are taken in run-id order: runs 0 … 4 are the ones done.
        const std::vector<std::int8_t> done = partial->done();
        EXPECT_EQ(std::vector<std::int8_t>(done.begin(), done.begin() + 6),
                  (std::vector<std::int8_t>{1, 1, 1, 1, 1, 0}));
    }
    const SweepSummary resumed = sweep(dir_ / "resumed.h5", 2, {}, true);
    EXPECT_EQ(resumed.runs_before, 5);
    EXPECT_EQ(resumed.runs_run, 7);
    expect_same_runs(dir_ / "whole.h5", dir_ / "resumed.h5");
    // Resuming a complete file runs nothing.
    EXPECT_EQ(sweep(dir_ / "resumed.h5", 2, {}, true).runs_run, 0);
}

TEST_F(SweepRunner, ShardsMergedEqualTheSingleFile) {
    sweep(dir_ / "single.h5", 2);
    std::vector<std::filesystem::path> shards;
    for (int i = 0; i < 3; ++i) {
        const Shard shard{i, 3};
        shards.push_back(shard_path(dir_ / "sharded.h5", shard));
        const SweepSummary summary = sweep(shards.back(), i == 1 ? 1 : 2, shard);
        EXPECT_EQ(summary.runs_in_file, 4);
    }
    EXPECT_EQ(shards[2].filename(), "sharded.shard-2-of-3.h5");
    merge_sweep_files({shards[2], shards[0], shards[1]}, dir_ / "merged.h5");
    expect_same_runs(dir_ / "single.h5", dir_ / "merged.h5");

    // A signal during a merge (the third row asks) leaves no file and no temporary behind.
    int asked = 0;
    EXPECT_THROW(
        merge_sweep_files(shards, dir_ / "stopped.h5", [&] { return ++asked >= 3 ? SIGTERM : 0; }),
        Interrupted);
    EXPECT_EQ(asked, 3);
    for (const auto& entry : std::filesystem::directory_iterator(dir_)) {
        EXPECT_EQ(entry.path().filename().string().find("stopped"), std::string::npos)
            << "left behind: " << entry.path();
    }
}

TEST_F(SweepRunner, MergeRefusesShardsThatDoNotMakeOneSweep) {
    const auto shard = [&](int i, const std::string& name) {
        const std::filesystem::path path = shard_path(dir_ / name, Shard{i, 2});
        sweep(path, 2, Shard{i, 2});
        return path;
    };
    const auto a0 = shard(0, "a.h5");
    const auto a1 = shard(1, "a.h5");
    const auto message = [&](const std::vector<std::filesystem::path>& inputs) {
        try {
            merge_sweep_files(inputs, dir_ / "merged.h5");
        } catch (const InputError& error) {
            EXPECT_FALSE(std::filesystem::exists(dir_ / "merged.h5"));
            return std::string(error.what());
        }
        ADD_FAILURE() << "merge accepted inconsistent shards";
        return std::string();
    };
    EXPECT_NE(message({a0}).find("runs missing"), std::string::npos);
    EXPECT_NE(message({a0}).find("shards not given: 1/2"), std::string::npos);
    EXPECT_NE(message({a0, a1, a0}).find("overlap"), std::string::npos);

    // Another scenario (a different base override) is another sweep.
    const std::filesystem::path other = shard_path(dir_ / "b.h5", Shard{1, 2});
    {
        const tbb::global_control limit(tbb::global_control::max_allowed_parallelism, 2);
        SweepOptions options;
        options.output = other;
        options.shard = Shard{1, 2};
        run_sweep(make_plan_from_file(kScenario, catalogue_, {"phi=0.03"}), options);
    }
    EXPECT_NE(message({a0, other}).find("different sweep"), std::string::npos);

    // An incomplete shard.
    struct Stop {};
    const std::filesystem::path partial = shard_path(dir_ / "c.h5", Shard{1, 2});
    EXPECT_THROW(sweep(partial, 1, Shard{1, 2}, false, [](const SweepProgress&) { throw Stop{}; }),
                 Stop);
    EXPECT_NE(message({a0, partial}).find("incomplete"), std::string::npos);
    merge_sweep_files({a0, a1}, dir_ / "merged.h5");
    EXPECT_TRUE(SweepFile::open(dir_ / "merged.h5", false)->complete());
}

TEST_F(SweepRunner, AnExistingFileIsContinuedOnlyByTheSameSweep) {
    sweep(dir_ / "s.h5", 2);
    try {
        sweep(dir_ / "s.h5", 2);
        ADD_FAILURE() << "an existing file was overwritten without --overwrite";
    } catch (const InputError& error) {
        EXPECT_NE(std::string(error.what()).find("12 of 12 runs done"), std::string::npos)
            << error.what();
    }
    SweepOptions options;
    options.output = dir_ / "s.h5";
    options.resume = true;
    try {
        run_sweep(make_plan_from_file(kScenario, catalogue_, {"phi=0.03"}), options);
        ADD_FAILURE() << "resumed another sweep's file";
    } catch (const InputError& error) {
        EXPECT_NE(std::string(error.what()).find("overrides"), std::string::npos) << error.what();
    }
    options.shard = Shard{0, 2};
    options.output = dir_ / "s.h5";
    EXPECT_THROW(run_sweep(plan_, options), InputError);  // another shard
    options.shard = Shard{};
    options.resume = false;
    options.overwrite = true;
    EXPECT_EQ(run_sweep(plan_, options).runs_run, 12);
}

TEST_F(SweepRunner, ANewFileNeverReplacesOneThatAppearedMeanwhile) {
    // Two tasks creating one shard: the second finds the first's file where it found nothing a
    // moment before. Its rename must not replace that file (whose runs may be done already).
    const std::filesystem::path path = dir_ / "raced.h5";
    sweep(path, 1);
    const auto before = std::filesystem::file_size(path);
    const auto stamp = std::filesystem::last_write_time(path);
    try {
        SweepFile::create(path, make_header(plan_, Shard{}));
        ADD_FAILURE() << "create() replaced an existing file";
    } catch (const InputError& error) {
        EXPECT_NE(std::string(error.what()).find("another process created"), std::string::npos)
            << error.what();
    }
    EXPECT_EQ(std::filesystem::file_size(path), before);
    EXPECT_EQ(std::filesystem::last_write_time(path), stamp);
    EXPECT_TRUE(SweepFile::open(path, false)->complete());
    for (const auto& entry : std::filesystem::directory_iterator(dir_)) {
        EXPECT_EQ(entry.path().filename().string().find(".tmp-"), std::string::npos)
            << "temporary file left: " << entry.path();
    }
    // With replace (--overwrite) it is replaced.
    EXPECT_FALSE(SweepFile::create(path, make_header(plan_, Shard{}), true)->complete());
}

TEST_F(SweepRunner, TrajectoriesHoldEveryWeek) {
    sweep(dir_ / "t.h5", 2);
    const auto file = SweepFile::open(dir_ / "t.h5", false);
    const OutcomeLayout layout = file->header().layout();
    ASSERT_EQ(layout.fields.size(), 11u);
    EXPECT_EQ(layout.fields[7].name, "trajectories/distress");
    EXPECT_EQ(layout.fields[7].shape, (std::vector<std::size_t>{2, 21}));
    // Week 10 of the trajectory is the outcome at week 10.
    const std::vector<double> trajectory = file->read_outcome_field(7);
    const std::vector<double> distress = file->read_outcome_field(0);
    for (std::size_t run = 0; run < 12; ++run) {
        for (std::size_t arm = 0; arm < 2; ++arm) {
            EXPECT_EQ(trajectory[run * 42 + arm * 21 + 10], distress[run * 4 + arm * 2 + 0]);
            EXPECT_EQ(trajectory[run * 42 + arm * 21 + 20], distress[run * 4 + arm * 2 + 1]);
        }
    }
}

}  // namespace
}  // namespace kindred::sweep
