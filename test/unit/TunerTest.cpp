// The tuner: isolation of misbehaving candidates, legality of the search
// space, determinism of the search under a seed.
#include "kernels/Heuristic.h"
#include "kernels/Realizer.h"
#include "test/unit/TestUtil.h"
#include "tuner/Measure.h"
#include "tuner/Search.h"
#include "tuner/SearchSpace.h"
#include "tuner/Session.h"

#include <gtest/gtest.h>

using namespace tessel;

namespace {

TargetPreset host() { return test::hostTarget(); }
TaskSignature sig(const std::string &text) { return test::parseTask(text); }

MeasureResult measureWith(const std::string &inject, double timeout = 20) {
  auto fixture = TaskFixture::create(sig("matmul m=32 n=32 k=32"));
  EXPECT_TRUE(fixture);
  MeasureOptions o;
  o.inject = inject;
  o.timeoutSec = timeout;
  o.memoryLimitBytes = int64_t(2) << 30;
  o.maxTimingSec = 0.05;
  return measure(**fixture, heuristicSchedule((*fixture)->task(), host()),
                 host(), o);
}

} // namespace

TEST(Measure, GoodCandidateIsTimedAndVerified) {
  MeasureResult r = measureWith("");
  ASSERT_EQ(r.status, MeasureStatus::Ok) << r.error;
  ASSERT_TRUE(r.medianSec && r.minSec && r.spread && r.maxError);
  EXPECT_GT(*r.medianSec, 0);
  EXPECT_LE(*r.minSec, *r.medianSec);
  EXPECT_GE(r.repeats, 5);
  EXPECT_LT(*r.maxError, 1e-3);
}

TEST(Measure, CrashingCandidateIsIsolated) {
  MeasureResult r = measureWith("crash");
  EXPECT_EQ(r.status, MeasureStatus::Failed);
  EXPECT_NE(r.error.find("killed by signal 11"), std::string::npos) << r.error;
}

TEST(Measure, AbortingCandidateIsIsolated) {
  MeasureResult r = measureWith("abort");
  EXPECT_EQ(r.status, MeasureStatus::Failed);
  EXPECT_NE(r.error.find("killed by signal 6"), std::string::npos) << r.error;
}

TEST(Measure, HangingCandidateTimesOut) {
  MeasureResult r = measureWith("hang", 3);
  EXPECT_EQ(r.status, MeasureStatus::Timeout);
  EXPECT_NE(r.error.find("no result within 3 s"), std::string::npos) << r.error;
}

TEST(Measure, WrongCandidateIsRecordedWrongWithItsError) {
  MeasureResult r = measureWith("wrong");
  EXPECT_EQ(r.status, MeasureStatus::Wrong);
  ASSERT_TRUE(r.maxError);
  EXPECT_GT(*r.maxError, 0.5);
  EXPECT_FALSE(r.medianSec);
}

TEST(Measure, CandidateOutOfMemoryIsIsolated) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "no address-space limit under AddressSanitizer";
#endif
  MeasureResult r = measureWith("oom");
  EXPECT_EQ(r.status, MeasureStatus::Failed);
  EXPECT_NE(r.error.find("out of memory"), std::string::npos) << r.error;
}

TEST(Measure, ScheduleHalideRejectsIsFailedWithReason) {
  auto fixture = TaskFixture::create(sig("matmul m=16 n=16 k=16"));
  ASSERT_TRUE(fixture);
  Schedule s;
  s.tileInner = {{"n", 16}};
  s.vectorDim = "n";
  s.vectorWidth = 5;
  MeasureResult r = measure(**fixture, s, host(), MeasureOptions());
  EXPECT_EQ(r.status, MeasureStatus::Failed);
  EXPECT_NE(r.error.find("vector_width"), std::string::npos) << r.error;
}

TEST(SearchSpace, EverySampleIsLegal) {
  for (const char *text :
       {"matmul m=512 n=512 k=512", "matmul m=1 n=4096 k=4096",
        "batch_matmul b=4 m=33 n=17 k=9 layout=nt",
        "conv2d n=1 h=56 w=56 c=64 f=64 kh=3 kw=3 pad=1,1,1,1",
        "conv2d n=1 h=9 w=9 c=6 f=10 kh=3 kw=3 stride=2,2 layout=nchw_fchw",
        "depthwise_conv2d n=1 h=7 w=7 c=5 kh=3 kw=3 pad=1,1,1,1",
        "pool_max n=1 h=3 w=3 c=2 kh=2 kw=2"}) {
    TaskSignature task = sig(text);
    auto kernel = defineKernel(task);
    ASSERT_TRUE(kernel) << kernel.message();
    SearchSpace space(task, host());
    Rng rng(7);
    Schedule prev = space.sample(rng);
    for (int i = 0; i < 300; ++i) {
      Schedule s = i % 3 == 0   ? space.sample(rng)
                   : i % 3 == 1 ? space.mutate(prev, rng)
                                : space.crossover(prev, space.sample(rng), rng);
      Status st = checkSchedule(*kernel, s);
      ASSERT_TRUE(st) << text << "\n" << s.canonicalJson() << "\n" << st.message();
      prev = s;
    }
    Status h = checkSchedule(*kernel, heuristicSchedule(task, host()));
    EXPECT_TRUE(h) << text << ": " << h.message();
  }
}

namespace {

/// A deterministic stand-in for the machine: a time that depends only on
/// the schedule.
double fakeSeconds(const Schedule &s) {
  std::string h = s.hash();
  return 1e-3 * (1 + std::stoul(h.substr(0, 6), nullptr, 16) % 1000);
}

std::vector<std::string> runSearch(uint64_t seed, int batches) {
  TaskSignature task = sig("matmul m=256 n=256 k=256");
  SearchSpace space(task, host());
  EvolutionarySearch search(space, seed);
  std::vector<std::string> sequence;
  for (int b = 0; b < batches; ++b)
    for (const auto &[s, source] : search.propose(8)) {
      sequence.push_back(s.hash());
      search.observe(s, fakeSeconds(s));
    }
  return sequence;
}

} // namespace

TEST(Search, SameSeedSameCandidates) {
  auto a = runSearch(42, 6), b = runSearch(42, 6), c = runSearch(43, 6);
  ASSERT_EQ(a.size(), 48u);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
}

TEST(Search, NeverProposesWhatItHasSeen) {
  auto seq = runSearch(5, 10);
  std::set<std::string> unique(seq.begin(), seq.end());
  EXPECT_EQ(unique.size(), seq.size());
}

namespace {

/// A cost model that prefers small register tiles and counts its calls.
class CountingModel : public CostModel {
public:
  int predictions = 0, observations = 0;
  double predict(const TaskSignature &, const Schedule &s) override {
    ++predictions;
    double tiles = 1;
    for (const auto &[d, r] : s.tileInner)
      tiles *= static_cast<double>(r);
    return tiles;
  }
  void observe(const TaskSignature &, const Schedule &,
               std::optional<double>) override {
    ++observations;
  }
};

} // namespace

TEST(Search, CostModelRanksProposalsAndLearnsFromObservations) {
  TaskSignature task = sig("matmul m=256 n=256 k=256");
  SearchSpace space(task, host());
  CountingModel model;
  EvolutionarySearch withModel(space, 9, SearchOptions(), &model);
  EvolutionarySearch without(space, 9);
  auto ranked = withModel.propose(8);
  auto plain = without.propose(8);
  ASSERT_EQ(ranked.size(), 8u);
  // The model saw a pool of poolFactor x 8 proposals and kept the 8 it likes
  // best, so their mean predicted cost is no worse than the unranked batch.
  EXPECT_EQ(model.predictions, 8 * SearchOptions().poolFactor);
  double rankedCost = 0, plainCost = 0;
  for (const auto &[s, source] : ranked)
    rankedCost += model.predict(task, s);
  for (const auto &[s, source] : plain)
    plainCost += model.predict(task, s);
  EXPECT_LE(rankedCost, plainCost);
  for (const auto &[s, source] : ranked)
    withModel.observe(s, fakeSeconds(s));
  EXPECT_EQ(model.observations, 8);
}

TEST(Session, WeightsEvictedOnlyWhereTheModelsOutgrowTheCache) {
  // 3x3x64x64 f32 weights and 64 biases: 147,712 bytes a task.
  TasksFile tasks;
  tasks.tasks.push_back(
      {sig("conv2d n=1 h=8 w=8 c=64 f=64 kh=3 kw=3 pad=1,1,1,1 epilogue=bias"),
       2});
  tasks.tasks.push_back(
      {sig("pool_max n=1 h=8 w=8 c=64 kh=2 kw=2 stride=2,2"), 3});
  EXPECT_EQ(constantBytes(tasks), 2 * 147712);
  MachineFingerprint m;
  m.l2Bytes = int64_t(2) << 20;
  m.l3Bytes = int64_t(1) << 20;
  EXPECT_EQ(lastLevelCacheBytes(m), m.l3Bytes);
  EXPECT_FALSE(
      constantsOutgrowCache(constantBytes(tasks), m)); // within half the L3
  tasks.tasks[0].count = 4;
  EXPECT_TRUE(constantsOutgrowCache(constantBytes(tasks), m));
  m.l3Bytes = 0; // no L3: the L2 is the last level
  EXPECT_FALSE(constantsOutgrowCache(constantBytes(tasks), m));
  m.l2Bytes = 0; // no cache size known: timed as from memory
  EXPECT_TRUE(constantsOutgrowCache(0, m));
}
