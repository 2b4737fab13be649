// Loop plans: one resolution of a schedule for both realizers.
#include "kernels/Plan.h"

#include "db/Target.h"

#include <gtest/gtest.h>

using namespace tessel;

namespace {

TaskSignature sig(const std::string &text) {
  auto s = TaskSignature::parse(text);
  EXPECT_TRUE(s) << s.message();
  return *s;
}

Schedule schedule(const std::string &json) {
  auto s = Schedule::fromJson(json);
  EXPECT_TRUE(s) << s.message();
  return *s;
}

const TargetPreset &avx512() {
  static TargetPreset t = *resolveTarget("x86-64-avx512");
  return t;
}

} // namespace

TEST(Plan, CacheTilesDivideTheirLoops) {
  auto plan = resolvePlan(sig("matmul m=100 n=64 k=97"),
                          schedule(R"({"tile_outer":{"m":64,"n":48,"k":64},)"
                                   R"("tile_inner":{"m":4,"n":16},)"
                                   R"("vector_dim":"n","vector_width":16,"epilogue_at":"root"})"),
                          Realizer::Halide, avx512());
  ASSERT_TRUE(plan) << plan.message();
  EXPECT_EQ(plan->find("m")->cacheTile, 50); // the largest divisor of 100 <= 64
  EXPECT_EQ(plan->find("n")->cacheTile, 32);
  EXPECT_EQ(plan->find("k")->cacheTile, 97); // prime: no divisor near 64
  EXPECT_EQ(plan->find("m")->registerTile, 4);
  EXPECT_EQ(plan->find("n")->registerTile, 16);
}

TEST(Plan, ResolvingItsScheduleGivesTheSamePlan) {
  TaskSignature t = sig("conv2d n=1 h=56 w=56 c=64 f=64 kh=3 kw=3 pad=1,1,1,1");
  for (Realizer r : {Realizer::Halide, Realizer::Mlir}) {
    Schedule s = defaultSchedule(t, avx512(), r);
    auto plan = resolvePlan(t, s, r, avx512());
    ASSERT_TRUE(plan) << realizerName(r) << ": " << plan.message();
    EXPECT_EQ(plan->schedule().canonicalJson(), s.canonicalJson()) << realizerName(r);
  }
}

TEST(Plan, VectorTilesOfWindowedOpsDivideWithAWidthThatFits) {
  // c = 24: no multiple of 16 divides it; 8 does (3 vectors).
  auto plan = resolvePlan(sig("depthwise_conv2d n=1 h=8 w=8 c=24 kh=3 kw=3"),
                          schedule(R"({"tile_inner":{"c":32},"vector_dim":"c","vector_width":16})"),
                          Realizer::Halide, avx512());
  ASSERT_TRUE(plan) << plan.message();
  EXPECT_EQ(plan->vectorWidth, 8);
  EXPECT_EQ(plan->find("c")->registerTile, 24);
  // A vector tile that is no multiple of the width is refused.
  auto bad = resolvePlan(sig("matmul m=16 n=16 k=16"),
                         schedule(R"({"tile_inner":{"n":16},"vector_dim":"n","vector_width":5})"),
                         Realizer::Halide, avx512());
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.message().find("multiple of vector_width"), std::string::npos);
}

TEST(Plan, WindowedRegisterTilesDivideTheirCacheTiles) {
  auto plan = resolvePlan(sig("conv2d n=1 h=14 w=14 c=8 f=32 kh=3 kw=3 pad=1,1,1,1"),
                          schedule(R"({"tile_inner":{"ow":6,"f":16},)"
                                   R"("vector_dim":"f","vector_width":16})"),
                          Realizer::Halide, avx512());
  ASSERT_TRUE(plan) << plan.message();
  EXPECT_EQ(plan->find("ow")->registerTile, 2); // 14 = 2 x 7
  EXPECT_EQ(plan->find("f")->registerTile, 16);
}

TEST(Plan, MlirRefusesKnobsItDoesNotRealize) {
  TaskSignature t = sig("conv2d n=1 h=8 w=8 c=8 f=16 kh=3 kw=3 pad=1,1,1,1 epilogue=relu");
  const char *base = R"("vector_dim":"f","vector_width":16,"packing":"inputs")";
  struct Case {
    std::string json, why;
  } cases[] = {
      {std::string("{") + base + "}", "epilogue_at outer or root, not inner"},
      {std::string("{") + base +
           R"(,"epilogue_at":"root","tile_inner":{"oh":2,"f":16}})",
       "one output row"},
      {std::string("{") + base +
           R"(,"epilogue_at":"root","reduction_split":2})",
       "does not split"},
      {R"({"vector_dim":"ow","vector_width":8,"tile_inner":{"ow":8},"epilogue_at":"root","packing":"inputs"})",
       "vectorizes `f`, not `ow`"},
      {R"({"vector_dim":"f","vector_width":16,"epilogue_at":"root"})",
       "packing inputs"},
  };
  for (const Case &c : cases) {
    auto plan = resolvePlan(t, schedule(c.json), Realizer::Mlir, avx512());
    ASSERT_FALSE(plan) << c.json;
    EXPECT_NE(plan.message().find(c.why), std::string::npos) << plan.message();
    // Halide realizes each of them.
    EXPECT_TRUE(resolvePlan(t, schedule(c.json), Realizer::Halide, avx512())) << c.json;
  }
  // Adapted, each is the MLIR realizer's.
  for (const Case &c : cases)
    EXPECT_TRUE(resolvePlan(t, adaptSchedule(t, schedule(c.json), Realizer::Mlir, avx512()),
                            Realizer::Mlir, avx512()))
        << c.json;
}

TEST(Plan, ParallelLoopsStopAtTheFirstUntiledLoop) {
  auto plan = resolvePlan(sig("matmul m=97 n=64 k=64"),
                          schedule(R"({"order":["m","n"],"parallel":["m","n"],)"
                                   R"("tile_outer":{"m":16,"n":32},"tile_inner":{"n":16},)"
                                   R"("vector_dim":"n","vector_width":16})"),
                          Realizer::Halide, avx512());
  ASSERT_TRUE(plan) << plan.message();
  EXPECT_TRUE(plan->parallel.empty()); // m = 97 is prime: its tile is the whole loop
}

TEST(Plan, BadSchedulesAreRefusedWithTheKnob) {
  TaskSignature t = sig("matmul m=64 n=64 k=64");
  EXPECT_FALSE(resolvePlan(t, schedule(R"({"tile_outer":{"x":2}})"), Realizer::Halide,
                           avx512()));
  EXPECT_FALSE(resolvePlan(t, schedule(R"({"order":["m"]})"), Realizer::Halide, avx512()));
  auto p = resolvePlan(t, schedule(R"({"order":["m","n"],"parallel":["n"],"tile_outer":{"n":8}})"),
                       Realizer::Halide, avx512());
  ASSERT_FALSE(p);
  EXPECT_NE(p.message().find("outermost"), std::string::npos) << p.message();
  Schedule as;
  as.kind = "autoscheduler";
  as.autoscheduler = "adams2019";
  EXPECT_FALSE(resolvePlan(t, as, Realizer::Halide, avx512()));
}

TEST(Plan, WhatEachRealizerRealizes) {
  EXPECT_TRUE(realizes(Realizer::Mlir, sig("conv2d n=1 h=8 w=8 c=8 f=8 kh=3 kw=3")));
  EXPECT_TRUE(realizes(Realizer::Mlir, sig("matmul m=8 n=8 k=8 epilogue=bias+relu")));
  EXPECT_FALSE(realizes(Realizer::Mlir,
                        sig("conv2d n=1 h=8 w=8 c=8 f=8 kh=3 kw=3 layout=nchw_fchw")));
  EXPECT_FALSE(realizes(Realizer::Mlir, sig("matmul m=8 n=8 k=8 in=u8 wt=s8")));
  EXPECT_TRUE(realizes(Realizer::Mlir, sig("matmul m=8 n=8 k=8 in=s8 out=i32")));
  EXPECT_FALSE(realizes(Realizer::Mlir, sig("matmul m=8 n=8 k=8 in=s8 out=i32 epilogue=relu")));
  EXPECT_FALSE(realizes(Realizer::Mlir, sig("matmul m=8 n=8 k=8 epilogue=sigmoid")));
  EXPECT_TRUE(realizes(Realizer::Halide, sig("matmul m=8 n=8 k=8 in=u8 wt=s8")));
  // The MLIR default of a padded convolution: its input padded once, its
  // weights packed per cache tile, the output's fill and epilogue computed
  // per cache tile.
  Schedule d = defaultSchedule(sig("conv2d n=1 h=8 w=8 c=8 f=8 kh=3 kw=3 pad=1,1,1,1"),
                               avx512(), Realizer::Mlir);
  EXPECT_EQ(d.packing, "both");
  EXPECT_EQ(d.packAt, "outer");
  EXPECT_EQ(d.epilogueAt, "outer");
}

TEST(Plan, MlirPacksWeightsPerCacheTileInRegisterTileBlocks) {
  TaskSignature mm = sig("matmul m=64 n=64 k=64");
  auto root = resolvePlan(mm, schedule(R"({"packing":"weights"})"),
                          Realizer::Mlir, avx512());
  ASSERT_FALSE(root);
  EXPECT_NE(root.message().find("weights at outer"), std::string::npos)
      << root.message();
  // Blocks of the register tile: it divides the cache tile (48 of 64 is 32).
  const char *json =
      R"({"packing":"weights","pack_at":"outer","tile_outer":{"n":64},)"
      R"("tile_inner":{"n":48},"vector_dim":"n","vector_width":16})";
  auto packed = resolvePlan(mm, schedule(json), Realizer::Mlir, avx512());
  ASSERT_TRUE(packed) << packed.message();
  EXPECT_EQ(packed->find("n")->registerTile, 32);
  auto unpacked =
      resolvePlan(mm,
                  schedule(R"({"tile_outer":{"n":64},"tile_inner":{"n":48},)"
                           R"("vector_dim":"n","vector_width":16})"),
                  Realizer::Mlir, avx512());
  ASSERT_TRUE(unpacked) << unpacked.message();
  EXPECT_EQ(unpacked->find("n")->registerTile, 48); // the partial tile peeled
  // Weights that outweigh the input: their vector loop runs outermost, so
  // that each block is packed once per call. Halide's default reads them as
  // they are.
  TaskSignature deep =
      sig("conv2d n=1 h=7 w=7 c=512 f=512 kh=3 kw=3 pad=1,1,1,1");
  Schedule m = defaultSchedule(deep, avx512(), Realizer::Mlir);
  EXPECT_EQ(m.packing, "both");
  EXPECT_EQ(m.order.front(), "f");
  Schedule h = defaultSchedule(deep, avx512(), Realizer::Halide);
  EXPECT_EQ(h.packing, "inputs");
  EXPECT_NE(h.order.front(), "f");
  // Two pixels or one: each block would be read by two register tiles at
  // most, not worth its copy.
  for (const char *few :
       {"conv2d n=1 h=2 w=2 c=256 f=256 kh=3 kw=3 pad=1,1,1,1",
        "conv2d n=1 h=1 w=1 c=512 f=512 kh=1 kw=1"}) {
    Schedule f = defaultSchedule(sig(few), avx512(), Realizer::Mlir);
    EXPECT_FALSE(f.packsWeights()) << few << ": " << f.canonicalJson();
  }
}

TEST(Plan, HalideVectorTilesDivideWhereTheyCan) {
  // Halide 14 miscomputes the guarded last tile of a vectorized update: its
  // vector tile divides the loop where a multiple of the width does; MLIR
  // peels the partial tile instead.
  TaskSignature t = sig("matmul m=3 n=40 k=61 epilogue=bias+relu");
  Schedule s = schedule(R"({"epilogue_at":"root","tile_inner":{"m":3,"n":16},)"
                        R"("vector_dim":"n","vector_width":8})");
  auto halide = resolvePlan(t, s, Realizer::Halide, avx512());
  ASSERT_TRUE(halide) << halide.message();
  EXPECT_EQ(halide->find("n")->registerTile, 8);
  auto mlir = resolvePlan(t, s, Realizer::Mlir, avx512());
  ASSERT_TRUE(mlir) << mlir.message();
  EXPECT_EQ(mlir->find("n")->registerTile, 16);
  // No multiple of the width divides 37: the largest multiple stays.
  auto odd = resolvePlan(
      sig("matmul m=1 n=37 k=29"),
      schedule(R"({"tile_inner":{"n":32},"vector_dim":"n","vector_width":8})"),
      Realizer::Halide, avx512());
  ASSERT_TRUE(odd) << odd.message();
  EXPECT_EQ(odd->find("n")->registerTile, 32);
}
