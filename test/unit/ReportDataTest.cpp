// The compile's data files: the coverage report and the kernel table round
// trip through JSON, render the report lines, and refuse what is not theirs.
#include "db/Coverage.h"
#include "db/KernelTable.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

using namespace tessel;

namespace {

Coverage sample() {
  Coverage c;
  c.target = "x86-64-avx512";
  CoverageEntry tuned;
  tuned.location = "loc(\"m.mlir\":54:10)";
  tuned.source = "tuned";
  tuned.scheduleId = "6f6b2b0a92ff";
  tuned.op = "conv2d n=1 h=32 w=32 c=3 f=64 kh=7 kw=7 stride=2,2 pad=3,3,2,2";
  tuned.code = "halide";
  tuned.kernel = "tessel_k_627075e69db88db3";
  tuned.measuredSec = 38.1e-6;
  CoverageEntry fallback = tuned;
  fallback.source = "default";
  fallback.code = "mlir";
  fallback.kernel.clear();
  fallback.measuredSec.reset();
  fallback.note = "no record for 2 threads";
  CoverageEntry untiled;
  untiled.location = "loc(\"m.mlir\":10:24)";
  untiled.source = "untiled";
  untiled.op = "linalg.generic 1x32x32x3 (4 parallel, 0 reduction loops)";
  untiled.code = "upstream";
  c.ops = {untiled, tuned, fallback};
  return c;
}

} // namespace

TEST(Coverage, LinesAndSummary) {
  Coverage c = sample();
  EXPECT_EQ(c.ops[0].line(),
            "untiled - linalg.generic 1x32x32x3 (4 parallel, 0 "
            "reduction loops) [upstream loops]");
  EXPECT_EQ(c.ops[1].line(),
            "tuned 6f6b2b0a92ff conv2d n=1 h=32 w=32 c=3 f=64 kh=7 "
            "kw=7 stride=2,2 pad=3,3,2,2 [halide "
            "tessel_k_627075e69db88db3] measured 38.1 us");
  EXPECT_NE(c.ops[2].line().find("[mlir] (no record for 2 threads)"),
            std::string::npos);
  EXPECT_EQ(c.summaryLine(),
            "summary: tuned=1 nearest=0 default=1 given=0 none=0 untiled=1");
  EXPECT_EQ(c.text().substr(0, 21), "target x86-64-avx512\n");
}

TEST(Coverage, JsonRoundTrip) {
  Coverage c = sample();
  auto back = Coverage::fromJson(c.toJson());
  ASSERT_TRUE(back) << back.message();
  EXPECT_EQ(back->text(), c.text());
  ASSERT_TRUE(back->ops[1].measuredSec);
  EXPECT_DOUBLE_EQ(*back->ops[1].measuredSec, 38.1e-6);
  EXPECT_FALSE(back->ops[2].measuredSec);
}

TEST(Coverage, RefusesOtherJson) {
  EXPECT_FALSE(Coverage::fromJson("{}"));
  EXPECT_FALSE(Coverage::fromJson("not json"));
  EXPECT_FALSE(
      Coverage::fromJson(R"({"target": "t", "ops": [{"location": 1}]})"));
}

TEST(KernelTable, RoundTripAndName) {
  EXPECT_EQ(kernelFunctionName("0123456789abcdef0123"),
            "tessel_k_0123456789abcdef");
  KernelTable t = {{"matmul m=8 n=8 k=8", "tessel_k_1"},
                   {"pool_max n=1 h=4 w=4 c=8 kh=2 kw=2", "tessel_k_2"}};
  std::string path = ::testing::TempDir() + "/tessel_kernels.json";
  std::ofstream(path) << kernelTableJson("graviton3", t);
  auto back = readKernelTable(path);
  ASSERT_TRUE(back) << back.message();
  EXPECT_EQ(*back, t);
  std::ofstream(path) << "{\"format\": \"tessel-tasks\", \"version\": 1}";
  auto wrong = readKernelTable(path);
  ASSERT_FALSE(wrong);
  EXPECT_NE(wrong.message().find("not a tessel_kernels.json"),
            std::string::npos);
  std::remove(path.c_str());
  EXPECT_FALSE(readKernelTable(path));
}
