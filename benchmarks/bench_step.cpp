// Micro-benchmarks of the weekly step and its parts on community worlds (Erdős–Rényi, mean
// network degree 8: about 5.1 ties per agent with households and coordinators), sizes 10^3 …
// 10^6 agents; 10^7 too when KINDRED_BENCH_LARGE=1 (needs about 8 GB and minutes). Rates are
// reported as agent_weeks/s for per-agent phases and tie_updates/s for per-tie phases.
//
//   bench_step                                  every benchmark, 10^3 … 10^6
//   bench_step --benchmark_filter='TiePass'     one phase
//   KINDRED_BENCH_LARGE=1 bench_step --benchmark_filter='/10000000/'
//   KINDRED_BENCH_THREADS=1 bench_step          one worker thread (default: all cores)
// Times are wall-clock (UseRealTime): the work runs on oneTBB's threads.
#include <benchmark/benchmark.h>
#include <tbb/global_control.h>

#include <cmath>
#include <cstdlib>
#include <map>
#include <memory>
#include <string_view>

#include "bench_world.hpp"
#include "core/simulation.hpp"
#include "core/vector_exp.hpp"
#include "network/community.hpp"
#include "network/population.hpp"
#include "output/recorder.hpp"

namespace kindred {

/// Calls the private phases of one week (Simulation befriends this class for benchmarks).
class SimulationPhases {
  public:
    static void exposure(Simulation& sim) { sim.compute_exposure(); }
    static void tie_pass(Simulation& sim) { sim.compute_tie_pass(); }
    static void gather(Simulation& sim) { sim.gather_flows(); }
    static void agents(Simulation& sim) { sim.update_agents(); }
    static void formation(Simulation& sim) { sim.form_friendships(); }
    static void start(Simulation& sim, EnrolmentId e) { sim.start_enrolment(e); }
};

namespace {

/// One community world per size, built once and copied by each benchmark.
const World& community_world(long long agents) {
    static std::map<long long, std::unique_ptr<World>> cache;
    auto& slot = cache[agents];
    if (!slot) {
        bench::WorldOptions options;
        options.agents = agents;
        slot = std::make_unique<World>(bench::make_world(options));
        assign_arms(*slot,
                    arm_sizes(static_cast<int>(std::llround(0.1 * static_cast<double>(agents))),
                              {0.5, 0.5}, {}),
                    1, 0);
    }
    return *slot;
}

/// Default (stochastic) parameters and a befriending program for arm 1 from week 0.
RunSpec befriending_trial() {
    RunSpec spec;
    spec.weeks = 1 << 20;
    ProgramSpec befriending;
    befriending.name = "befriending";
    befriending.resources = {1, 0, 0, 0, 1, 0};
    DeliveryElement volunteer;
    volunteer.kind = ElementKind::volunteer;
    befriending.delivery.push_back(volunteer);
    Enrolment enrolment;
    enrolment.arm = 1;
    enrolment.program = befriending;
    enrolment.start_week = 0;
    enrolment.end_week = 1 << 20;
    spec.enrolments.push_back(enrolment);
    return spec;
}

void report(benchmark::State& state, const World& world, bool per_tie) {
    const auto iterations = static_cast<double>(state.iterations());
    state.counters["agents"] = static_cast<double>(world.agent_count());
    state.counters["ties"] = static_cast<double>(world.tie_count());
    state.counters[per_tie ? "tie_updates/s" : "agent_weeks/s"] = benchmark::Counter(
        iterations * static_cast<double>(per_tie ? world.tie_count() : world.agent_count()),
        benchmark::Counter::kIsRate);
}

/// A whole week in deterministic mode (σ = 0, p_event = 0, φ = 0, no programs).
void BM_WeekDeterministic(benchmark::State& state) {
    Simulation sim(community_world(state.range(0)), bench::deterministic_run(1 << 20));
    for (auto _ : state) sim.step();
    report(state, sim.world(), false);
}

/// A whole week with the default stochastic parameters and befriending delivered in week 0.
void BM_WeekStochastic(benchmark::State& state) {
    Simulation sim(community_world(state.range(0)), befriending_trial());
    sim.step();  // week 0 delivers the program
    for (auto _ : state) sim.step();
    report(state, sim.world(), false);
}

/// Help flows, part 1: per tie, the help both ways, strain, and the natural-tie update.
void BM_TiePass(benchmark::State& state) {
    Simulation sim(community_world(state.range(0)), befriending_trial());
    sim.step();
    sim.begin_week();
    for (auto _ : state) SimulationPhases::tie_pass(sim);
    report(state, sim.world(), true);
}

/// Help flows, part 2: per agent, the sums H, G, X, Kin over its ties.
void BM_GatherFlows(benchmark::State& state) {
    Simulation sim(community_world(state.range(0)), befriending_trial());
    sim.step();
    sim.begin_week();
    for (auto _ : state) SimulationPhases::gather(sim);
    report(state, sim.world(), false);
}

/// Agent update (spec §3.2) with noise and life events.
void BM_AgentUpdate(benchmark::State& state) {
    Simulation sim(community_world(state.range(0)), befriending_trial());
    sim.step();
    sim.begin_week();
    for (auto _ : state) SimulationPhases::agents(sim);
    report(state, sim.world(), false);
}

/// Recording a week (output/recorder) of `world` with two arms: the per-arm statistics of every
/// recorded variable (mean, sd, quartiles) and the ties per patient, for the two arms and all
/// patients, as every trial file records them each week (after week 0 delivered befriending).
void time_recording(benchmark::State& state, World world) {
    Simulation sim(std::move(world), befriending_trial());
    sim.step();
    sim.begin_week();
    for (auto _ : state) {
        auto aggregates = aggregate_patients(sim.week(), sim.world(), sim.flows(), 2);
        benchmark::DoNotOptimize(aggregates.data());
    }
    report(state, sim.world(), false);
}

/// Recording in the community world (10% of the agents are patients).
void BM_RecordAggregates(benchmark::State& state) {
    time_recording(state, community_world(state.range(0)));
}

/// The same in the spec §5 ego-network population (argument: patients; half in each arm):
/// patients are a seventh of the agents and a third of the ties have a patient at an end.
void BM_RecordEgoNetwork(benchmark::State& state) {
    EgoNetworkParams params;
    params.patients = static_cast<int>(state.range(0));
    World world = build_ego_network(params, 1, 0);
    assign_arms(world, arm_sizes(params.patients, {0.5, 0.5}, {}), 1, 0);
    time_recording(state, std::move(world));
}

/// Tie update (spec §3.3), dissolution: 1% of the ties (every 100th) removed, with the
/// compaction of the tie arrays and the patch of the adjacency. The new w and q of the other ties
/// are computed in the tie pass (BM_TiePass) and swapped in for free. A fresh copy of the world
/// per iteration (untimed).
void BM_Dissolution(benchmark::State& state) {
    const World& source = community_world(state.range(0));
    std::vector<std::uint8_t> remove(source.tie_count(), 0);
    for (std::size_t e = 0; e < remove.size(); e += 100) remove[e] = 1;
    for (auto _ : state) {
        state.PauseTiming();
        World world = source;
        state.ResumeTiming();
        world.remove_ties(remove);
        state.PauseTiming();
        benchmark::DoNotOptimize(world.tie_w.data());
        world = World();
        state.ResumeTiming();
    }
    report(state, source, true);
}

/// New friendships (spec §3.4) from the state after a week, default φ = 0.02.
void BM_Formation(benchmark::State& state) {
    Simulation sim(community_world(state.range(0)), befriending_trial());
    sim.step();
    for (auto _ : state) SimulationPhases::formation(sim);
    report(state, sim.world(), false);
}

/// Delivery (spec §4): one volunteer and one program tie per patient of the arm, then the
/// adjacency brought up to date. A fresh world per iteration (untimed).
void BM_Delivery(benchmark::State& state) {
    std::size_t agents = 0;
    for (auto _ : state) {
        state.PauseTiming();
        auto sim =
            std::make_unique<Simulation>(community_world(state.range(0)), befriending_trial());
        state.ResumeTiming();
        SimulationPhases::start(*sim, 0);
        sim->mutable_world().update_adjacency();
        state.PauseTiming();
        agents = sim->world().agent_count();
        sim.reset();
        state.ResumeTiming();
    }
    state.counters["agents"] = static_cast<double>(agents);
}

/// The agent update's e^(−H/h0), one value per agent: help H from 0 to 40 with h0 = 0.5
/// (every 997th is H = 0, whose group of four goes through std::exp in the vector exp).
std::vector<double> lonely_exponents(long long agents) {
    std::vector<double> x(static_cast<std::size_t>(agents / 4 * 4));
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = -static_cast<double>(i % 997) * 0.04 / 0.5;
    return x;
}

void report_exp(benchmark::State& state, std::size_t values) {
    state.counters["agent_weeks/s"] =
        benchmark::Counter(static_cast<double>(state.iterations()) * static_cast<double>(values),
                           benchmark::Counter::kIsRate);
}

/// The C library's exp, one value at a time (the agent update without the vector exp).
void BM_ExpScalar(benchmark::State& state) {
    const std::vector<double> x = lonely_exponents(state.range(0));
    std::vector<double> y(x.size());
    for (auto _ : state) {
        for (std::size_t i = 0; i < x.size(); ++i) y[i] = std::exp(x[i]);
        benchmark::DoNotOptimize(y.data());
    }
    report_exp(state, x.size());
}

#if defined(__x86_64__)
/// The vector exp (core/vector_exp.hpp), four values at a time, with the same bits.
__attribute__((target("avx2,fma"))) void BM_ExpVector(benchmark::State& state) {
    if (!detail::vector_exp_usable()) {
        state.SkipWithError("the vector exp is not used on this machine");
        return;
    }
    const std::vector<double> x = lonely_exponents(state.range(0));
    std::vector<double> y(x.size());
    for (auto _ : state) {
        for (std::size_t i = 0; i < x.size(); i += 4) {
            _mm256_storeu_pd(&y[i], detail::exp4(_mm256_loadu_pd(&x[i])));
        }
        benchmark::DoNotOptimize(y.data());
    }
    report_exp(state, x.size());
}
#endif

/// Generating a community world (households, patients, Erdős–Rényi ties, coordinators).
void BM_CommunityGenerator(benchmark::State& state) {
    bench::WorldOptions options;
    options.agents = state.range(0);
    std::size_t ties = 0;
    for (auto _ : state) {
        World world = bench::make_world(options);
        ties = world.tie_count();
        benchmark::DoNotOptimize(world.tie_w.data());
    }
    state.counters["ties"] = static_cast<double>(ties);
    state.SetItemsProcessed(state.iterations() * state.range(0));
}

/// Generating the spec §5 ego-network population (argument: patients).
void BM_EgoNetwork(benchmark::State& state) {
    EgoNetworkParams params;
    params.patients = static_cast<int>(state.range(0));
    std::size_t agents = 0;
    for (auto _ : state) {
        World world = build_ego_network(params, 1, 0);
        agents = world.agent_count();
        benchmark::DoNotOptimize(world.tie_w.data());
    }
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(agents));
}

void register_all() {
    const bool large = std::getenv("KINDRED_BENCH_LARGE") != nullptr;
    const std::vector<long long> sizes =
        large ? std::vector<long long>{1000, 10000, 100000, 1000000, 10000000}
              : std::vector<long long>{1000, 10000, 100000, 1000000};
    const std::pair<const char*, void (*)(benchmark::State&)> benchmarks[] = {
        {"BM_WeekDeterministic", BM_WeekDeterministic},
        {"BM_WeekStochastic", BM_WeekStochastic},
        {"BM_TiePass", BM_TiePass},
        {"BM_GatherFlows", BM_GatherFlows},
        {"BM_AgentUpdate", BM_AgentUpdate},
        {"BM_RecordAggregates", BM_RecordAggregates},
        {"BM_Dissolution", BM_Dissolution},
        {"BM_Formation", BM_Formation},
        {"BM_Delivery", BM_Delivery},
        {"BM_CommunityGenerator", BM_CommunityGenerator},
        {"BM_ExpScalar", BM_ExpScalar},
#if defined(__x86_64__)
        {"BM_ExpVector", BM_ExpVector},
#endif
    };
    for (const auto& [name, function] : benchmarks) {
        auto* b = benchmark::RegisterBenchmark(name, function)
                      ->Unit(benchmark::kMillisecond)
                      ->UseRealTime();
        // Each iteration of these prepares a world or a tie pass untimed: a few suffice.
        if (std::string_view(name) == "BM_Dissolution" || std::string_view(name) == "BM_Delivery") {
            b->Iterations(5);
        }
        for (const long long size : sizes) b->Arg(size);
    }
    auto* ego = benchmark::RegisterBenchmark("BM_EgoNetwork", BM_EgoNetwork)
                    ->Unit(benchmark::kMillisecond)
                    ->UseRealTime();
    for (const long long size : sizes) {
        if (size <= 1000000) ego->Arg(size);
    }
    auto* record_ego = benchmark::RegisterBenchmark("BM_RecordEgoNetwork", BM_RecordEgoNetwork)
                           ->Unit(benchmark::kMillisecond)
                           ->UseRealTime();
    for (const long long size : sizes) {
        if (size <= 100000) record_ego->Arg(size);
    }
}

}  // namespace
}  // namespace kindred

int main(int argc, char** argv) {
    const char* threads = std::getenv("KINDRED_BENCH_THREADS");
    const std::size_t thread_count =
        threads != nullptr && std::atoi(threads) > 0
            ? static_cast<std::size_t>(std::atoi(threads))
            : tbb::global_control::active_value(tbb::global_control::max_allowed_parallelism);
    tbb::global_control limit(tbb::global_control::max_allowed_parallelism, thread_count);
    kindred::register_all();
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
