// Halide kernels: the realizer and the reference agree for every family, on
// shapes that tiles divide and on odd shapes they do not.
#include "kernels/Heuristic.h"
#include "kernels/Reference.h"
#include "kernels/Runner.h"
#include "tuner/SearchSpace.h"
#include "test/unit/TestUtil.h"

#include <cstdlib>
#include <random>

#include <gtest/gtest.h>

using namespace tessel;

namespace {

using test::hostTarget;
TargetPreset host() { return hostTarget(); }

/// Compiles `sig` with `schedule`, runs it on random inputs and returns the
/// max error against the reference (or fails the test).
double errorOf(const std::string &sig, const Schedule &schedule) {
  auto task = TaskSignature::parse(sig);
  EXPECT_TRUE(task) << task.message();
  auto k = CompiledKernel::compile(*task, schedule, host(), 1);
  EXPECT_TRUE(k) << sig << ": " << k.message();
  if (!k)
    return 1e9;
  KernelArrays arrays = KernelArrays::random(*task, 42);
  arrays.poisonOutput();
  EXPECT_TRUE((*k)->bind(arrays));
  Status run = (*k)->run();
  EXPECT_TRUE(run) << run.message();
  std::vector<double> ref;
  Status rs = computeReference(*task, arrays.inputValues(), ref);
  EXPECT_TRUE(rs) << rs.message();
  return maxAbsError(arrays.outputValues(), ref);
}

void expectHeuristicAgrees(const std::string &sig) {
  auto task = TaskSignature::parse(sig);
  ASSERT_TRUE(task) << task.message();
  double err = errorOf(sig, heuristicSchedule(*task, host()));
  EXPECT_LE(err, referenceTolerance(*task)) << sig;
}

} // namespace

TEST(Kernels, MatmulFamilies) {
  expectHeuristicAgrees("matmul m=64 n=64 k=64");
  expectHeuristicAgrees("matmul m=37 n=53 k=29");
  expectHeuristicAgrees("matmul m=5 n=3 k=7");
  expectHeuristicAgrees("matmul m=33 n=70 k=20 layout=nt epilogue=bias+relu");
  expectHeuristicAgrees("matmul m=16 n=48 k=16 epilogue=add+relu6");
  expectHeuristicAgrees("batch_matmul b=3 m=17 n=40 k=9 epilogue=clamp:-0.5:0.5");
  // Vector-matrix products: blocks of 8 weight rows across the whole output.
  expectHeuristicAgrees("matmul m=1 n=1000 k=516 epilogue=bias+relu");
  expectHeuristicAgrees("matmul m=1 n=37 k=29");
  expectHeuristicAgrees("matmul m=1 n=100 k=13 layout=nt");
}

TEST(Kernels, Conv2d) {
  expectHeuristicAgrees("conv2d n=1 h=12 w=12 c=8 f=32 kh=3 kw=3 pad=1,1,1,1");
  expectHeuristicAgrees("conv2d n=2 h=11 w=9 c=5 f=19 kh=3 kw=3 stride=2,2 "
                        "pad=1,1,1,1 epilogue=bias+relu");
  expectHeuristicAgrees("conv2d n=1 h=10 w=13 c=3 f=7 kh=5 kw=3 dilation=2,1 "
                        "pad=2,1,0,1 layout=nhwc_fhwc");
  expectHeuristicAgrees("conv2d n=1 h=9 w=9 c=6 f=10 kh=3 kw=3 stride=2,2 "
                        "pad=1,1,1,1 layout=nchw_fchw epilogue=bias+add+relu");
  expectHeuristicAgrees("conv2d n=1 h=7 w=7 c=16 f=24 kh=1 kw=1");
}

TEST(Kernels, DepthwiseAndPools) {
  expectHeuristicAgrees("depthwise_conv2d n=1 h=14 w=14 c=32 kh=3 kw=3 pad=1,1,1,1");
  expectHeuristicAgrees("depthwise_conv2d n=1 h=9 w=11 c=13 kh=3 kw=3 "
                        "stride=2,2 pad=1,1,1,1 layout=nchw_chw epilogue=bias+relu6");
  expectHeuristicAgrees("pool_max n=1 h=12 w=12 c=16 kh=3 kw=3 stride=2,2 pad=1,1,1,1");
  expectHeuristicAgrees("pool_max n=1 h=9 w=7 c=5 kh=2 kw=2 stride=2,2 layout=nchw");
  expectHeuristicAgrees("pool_avg n=2 h=8 w=8 c=24 kh=3 kw=3 pad=1,1,1,1");
}

TEST(Kernels, ScheduleVariantsAgree) {
  const std::string sig = "matmul m=45 n=70 k=33 epilogue=bias";
  auto task = TaskSignature::parse(sig);
  ASSERT_TRUE(task);
  Schedule s;
  s.tileOuter = {{"m", 20}, {"n", 64}};
  s.tileInner = {{"m", 4}, {"n", 32}};
  s.vectorDim = "n";
  s.vectorWidth = 16;
  s.order = {"n", "m"};
  s.parallel = {"n"};
  EXPECT_LE(errorOf(sig, s), referenceTolerance(*task));
  s.epilogueAt = "outer";
  s.tileOuter["k"] = 8;
  EXPECT_LE(errorOf(sig, s), referenceTolerance(*task));
}

TEST(Kernels, ReductionSplitAgrees) {
  for (const char *sig : {"matmul m=3 n=40 k=61 epilogue=bias+relu",
                          "conv2d n=1 h=6 w=7 c=13 f=20 kh=3 kw=3 pad=1,1,1,1"}) {
    auto task = TaskSignature::parse(sig);
    ASSERT_TRUE(task);
    for (const char *at : {"inner", "outer", "root"})
      for (int split : {1, 2, 4}) {
        Schedule s = heuristicSchedule(*task, host());
        s.reductionSplit = split;
        s.epilogueAt = at;
        EXPECT_LE(errorOf(sig, s), referenceTolerance(*task))
            << sig << " " << s.canonicalJson();
      }
  }
}

TEST(Kernels, VectorMatrixHeuristicStreamsWeightRows) {
  auto task = TaskSignature::parse("matmul m=1 n=4096 k=4096");
  ASSERT_TRUE(task);
  Schedule s = heuristicSchedule(*task, host());
  EXPECT_EQ(s.vectorDim, "n");
  EXPECT_EQ(s.tileOuter.at("n"), 4096);
  EXPECT_EQ(s.tileOuter.at("k"), 8);
  EXPECT_EQ(s.epilogueAt, "root");
  EXPECT_TRUE(s.parallel.empty());
}

TEST(Kernels, IllegalScheduleRejectedBeforeCompiling) {
  auto task = TaskSignature::parse("matmul m=8 n=8 k=8");
  ASSERT_TRUE(task);
  Schedule s;
  s.tileInner = {{"q", 4}};
  auto k = CompiledKernel::compile(*task, s, host(), 1);
  ASSERT_FALSE(k);
  EXPECT_NE(k.message().find("not an output loop"), std::string::npos)
      << k.message();
  s.tileInner = {{"n", 8}};
  s.vectorDim = "n";
  s.vectorWidth = 16;
  k = CompiledKernel::compile(*task, s, host(), 1);
  ASSERT_FALSE(k);
  EXPECT_NE(k.message().find("multiple of vector_width"), std::string::npos)
      << k.message();
}

TEST(Kernels, SampledSchedulesOnRandomShapesAgree) {
  // Random odd shapes per family, each compiled with schedules drawn from the
  // search space (orders, fused parallel loops, outer accumulators, packing,
  // unroll tails) and compared with the reference.
  std::mt19937_64 rng(2026);
  auto r = [&](int lo, int hi) {
    return std::to_string(std::uniform_int_distribution<int>(lo, hi)(rng));
  };
  std::vector<std::string> shapes = {
      "matmul m=" + r(1, 70) + " n=" + r(1, 90) + " k=" + r(1, 40),
      "matmul m=" + r(20, 70) + " n=" + r(20, 90) + " k=" + r(1, 40) +
          " layout=nt epilogue=bias+sigmoid",
      "batch_matmul b=" + r(1, 3) + " m=" + r(1, 30) + " n=" + r(1, 50) +
          " k=" + r(1, 20) + " epilogue=tanh",
      "conv2d n=1 h=" + r(5, 16) + " w=" + r(5, 16) + " c=" + r(1, 9) +
          " f=" + r(1, 40) + " kh=3 kw=3 stride=" + r(1, 2) + ",1 pad=1,1,1,1",
      "conv2d n=1 h=" + r(5, 12) + " w=" + r(5, 12) + " c=" + r(1, 9) +
          " f=" + r(1, 20) + " kh=3 kw=2 pad=1,0,1,1 layout=nchw_fchw",
      "depthwise_conv2d n=1 h=" + r(4, 14) + " w=" + r(4, 14) + " c=" +
          r(1, 40) + " kh=3 kw=3 stride=2,2 pad=1,1,1,1",
      "pool_avg n=1 h=" + r(4, 12) + " w=" + r(4, 12) + " c=" + r(1, 20) +
          " kh=2 kw=2 stride=2,2 layout=nchw",
      "pool_max n=2 h=" + r(4, 12) + " w=" + r(4, 12) + " c=" + r(1, 20) +
          " kh=3 kw=3 pad=1,1,1,1",
  };
  for (const auto &sig : shapes) {
    auto task = TaskSignature::parse(sig);
    ASSERT_TRUE(task) << sig << ": " << task.message();
    SearchSpace space(*task, host());
    Rng srng(11);
    Schedule s = space.sample(srng);
    const char *env = std::getenv("TESSEL_FUZZ_SCHEDULES");
    int count = env ? std::atoi(env) : 4;
    for (int i = 0; i < count; ++i) {
      s = i % 2 ? space.mutate(s, srng) : space.sample(srng);
      double err = errorOf(sig, s);
      EXPECT_LE(err, referenceTolerance(*task))
          << sig << "\n" << s.canonicalJson();
    }
  }
}

TEST(Kernels, Int8) {
  // u8/s8 inputs, i32 accumulation with zero points, and the requantizing
  // epilogue; padding holds the input zero point.
  expectHeuristicAgrees("matmul m=19 n=40 k=37 in=u8 wt=s8 out=i32 izp=128 "
                        "wzp=-3 epilogue=bias+relu");
  expectHeuristicAgrees("matmul m=16 n=64 k=64 in=s8 out=u8 izp=-5 "
                        "epilogue=bias+requant:0.0021:7+clamp:0:200");
  expectHeuristicAgrees("batch_matmul b=2 m=5 n=33 k=17 in=u8 wt=u8 out=s8 "
                        "layout=nt epilogue=requant:0.01:-4");
  expectHeuristicAgrees("conv2d n=1 h=9 w=10 c=7 f=20 kh=3 kw=3 pad=1,1,1,1 "
                        "in=u8 wt=s8 out=u8 izp=100 epilogue=bias+requant:0.003:10");
  expectHeuristicAgrees("conv2d n=1 h=9 w=9 c=6 f=10 kh=3 kw=3 stride=2,2 "
                        "pad=1,1,1,1 layout=nchw_fchw in=s8 out=i32 wzp=2");
  expectHeuristicAgrees("depthwise_conv2d n=1 h=8 w=8 c=24 kh=3 kw=3 "
                        "pad=1,1,1,1 in=u8 out=u8 izp=50 wzp=128 "
                        "epilogue=requant:0.0005:128");
  expectHeuristicAgrees("pool_max n=1 h=9 w=9 c=20 kh=3 kw=3 stride=2,2 "
                        "pad=1,1,1,1 in=s8");
  expectHeuristicAgrees("pool_max n=1 h=6 w=7 c=3 kh=2 kw=2 stride=2,2 "
                        "layout=nchw in=u8");
  // Windows wholly in the padding give the type's minimum, as the reference.
  expectHeuristicAgrees("pool_max n=1 h=3 w=3 c=20 kh=2 kw=2 pad=2,2,2,2 in=s8");
  // Clamp bounds at the edges of the output type.
  expectHeuristicAgrees("matmul m=4 n=20 k=9 in=u8 wt=s8 out=u8 "
                        "epilogue=requant:0.01:255+clamp:0:255");
}

TEST(Kernels, Int8SampledSchedulesAgree) {
  const std::string sig = "conv2d n=1 h=7 w=9 c=11 f=37 kh=3 kw=3 pad=1,1,1,1 "
                          "in=u8 wt=s8 out=s8 izp=3 epilogue=bias+requant:0.004:-1";
  auto task = TaskSignature::parse(sig);
  ASSERT_TRUE(task) << task.message();
  SearchSpace space(*task, host());
  Rng rng(5);
  for (int i = 0; i < 5; ++i) {
    Schedule s = space.sample(rng);
    EXPECT_LE(errorOf(sig, s), referenceTolerance(*task)) << s.canonicalJson();
  }
}

TEST(Kernels, UnsupportedElementTypesAreRefusedWithAReason) {
  struct Case {
    const char *sig, *reason;
  } cases[] = {
      {"matmul m=2 n=2 k=2 in=u8", "needs requant"},
      {"matmul m=2 n=2 k=2 in=u8 out=i32 epilogue=requant:0.1:0", "not i32"},
      {"matmul m=2 n=2 k=2 in=u8 out=i32 epilogue=sigmoid", "not supported"},
      {"pool_avg n=1 h=4 w=4 c=2 kh=2 kw=2 in=u8", "average pooling"},
      {"matmul m=2 n=2 k=2 in=bf16", "no kernel yet"},
      {"matmul m=2 n=2 k=2 epilogue=requant:0.5:0", "integer kernel"},
      {"matmul m=2 n=2 k=2 in=u8 epilogue=requant:0.5:0+clamp:-10:300",
       "within u8"},
      {"matmul m=2 n=2 k=2 in=u8 out=i32 epilogue=clamp:0:inf", "within i32"},
      {"matmul m=2 n=2 k=2 in=u8 epilogue=requant:0.5:99999999999",
       "outside u8"},
      {"matmul m=2 n=2 k=40000 in=u8 out=i32", "overflow the i32"},
  };
  for (const auto &c : cases) {
    auto task = TaskSignature::parse(c.sig);
    ASSERT_TRUE(task) << c.sig << ": " << task.message();
    auto k = defineKernel(*task);
    ASSERT_FALSE(k) << c.sig;
    EXPECT_NE(k.message().find(c.reason), std::string::npos) << k.message();
  }
}
