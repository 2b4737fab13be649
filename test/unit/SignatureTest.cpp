// Task signatures: parsing, canonical text, golden hashes, FLOP counts.
#include "db/Signature.h"

#include "db/Hash.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using namespace tessel;

namespace {

/// The canonical text of `text`, or "ERROR: <message>".
std::string canon(const std::string &text) {
  auto s = TaskSignature::parse(text);
  return s ? s->canonical() : "ERROR: " + s.message();
}

/// The parse error of `text` (fails the test if it parses).
std::string parseError(const std::string &text) {
  auto s = TaskSignature::parse(text);
  EXPECT_FALSE(s) << "`" << text << "` parsed as `" << s->canonical() << "`";
  return s ? std::string() : s.message();
}

} // namespace

TEST(Signature, ParsesAndCanonicalizes) {
  auto s = TaskSignature::parse("matmul  k=512 m=512   n=512");
  ASSERT_TRUE(s) << s.message();
  EXPECT_EQ(s->canonical(), "matmul m=512 n=512 k=512");
}

TEST(Signature, AnyKeyOrderAndWhitespace) {
  const std::string want = "conv2d n=1 h=56 w=56 c=64 f=64 kh=3 kw=3 "
                           "stride=2,2 pad=1,1,1,1 epilogue=bias+relu";
  for (const char *text :
       {"conv2d n=1 h=56 w=56 c=64 f=64 kh=3 kw=3 stride=2,2 pad=1,1,1,1 "
        "epilogue=bias+relu",
        "conv2d epilogue=bias+relu pad=1,1,1,1 stride=2,2 kw=3 kh=3 f=64 c=64 "
        "w=56 h=56 n=1",
        "  conv2d\tkh=3 \n kw=3  c=64 f=64\th=56 w=56 n=1 pad=1,1,1,1   "
        "stride=2,2 epilogue=bias+relu  "})
    EXPECT_EQ(canon(text), want) << text;
}

TEST(Signature, CanonicalFormOfEveryFamily) {
  struct Case {
    const char *in, *want;
  };
  const Case cases[] = {
      {"matmul m=128 n=768 k=3072", "matmul m=128 n=768 k=3072"},
      {"matmul k=64 n=32 m=16 layout=nt", "matmul m=16 n=32 k=64 layout=nt"},
      {"batch_matmul k=64 b=12 n=128 m=128",
       "batch_matmul b=12 m=128 n=128 k=64"},
      {"conv2d layout=nchw_fchw dilation=2,2 pad=0,1,2,3 stride=2,1 kw=3 kh=3 "
       "f=32 c=16 w=28 h=28 n=2",
       "conv2d n=2 h=28 w=28 c=16 f=32 kh=3 kw=3 stride=2,1 dilation=2,2 "
       "pad=0,1,2,3 layout=nchw_fchw"},
      {"conv2d n=1 h=56 w=56 c=64 f=64 kh=1 kw=1 layout=nhwc_fhwc",
       "conv2d n=1 h=56 w=56 c=64 f=64 kh=1 kw=1 layout=nhwc_fhwc"},
      {"depthwise_conv2d kw=3 kh=3 c=32 w=112 h=112 n=1 pad=1,1,1,1",
       "depthwise_conv2d n=1 h=112 w=112 c=32 kh=3 kw=3 pad=1,1,1,1"},
      {"depthwise_conv2d n=1 h=14 w=14 c=8 kh=3 kw=3 layout=nchw_chw "
       "dilation=2,2",
       "depthwise_conv2d n=1 h=14 w=14 c=8 kh=3 kw=3 dilation=2,2 "
       "layout=nchw_chw"},
      {"pool_max n=1 h=112 w=112 c=64 kh=3 kw=3 stride=2,2 pad=1,1,1,1",
       "pool_max n=1 h=112 w=112 c=64 kh=3 kw=3 stride=2,2 pad=1,1,1,1"},
      {"pool_avg layout=nchw n=1 h=7 w=7 c=512 kh=7 kw=7",
       "pool_avg n=1 h=7 w=7 c=512 kh=7 kw=7 layout=nchw"},
      {"elementwise op=add shape=1x128x768 epilogue=relu",
       "elementwise shape=1x128x768 op=add epilogue=relu"},
      {"elementwise shape=4096 op=exp dtype=f16",
       "elementwise shape=4096 in=f16 op=exp"},
      {"reduction op=sum axes=2,1 shape=8x16x32",
       "reduction shape=8x16x32 axes=1,2 op=sum"},
  };
  for (const Case &c : cases)
    EXPECT_EQ(canon(c.in), c.want) << c.in;
}

TEST(Signature, DefaultsAreLeftOut) {
  EXPECT_EQ(canon("conv2d n=1 h=8 w=8 c=4 f=4 kh=3 kw=3 layout=nhwc_hwcf "
                  "in=f32 wt=f32 acc=f32 out=f32 stride=1,1 dilation=1,1 "
                  "pad=0,0,0,0 epilogue=none"),
            "conv2d n=1 h=8 w=8 c=4 f=4 kh=3 kw=3");
  EXPECT_EQ(canon("matmul m=4 n=4 k=4 layout=nn dtype=f32"),
            "matmul m=4 n=4 k=4");
  EXPECT_EQ(canon("pool_max n=1 h=4 w=4 c=1 kh=2 kw=2 layout=nhwc"),
            "pool_max n=1 h=4 w=4 c=1 kh=2 kw=2");
  EXPECT_EQ(canon("elementwise shape=4 op=add layout=row"),
            "elementwise shape=4 op=add");
  // The same task written with and without defaults has one hash.
  EXPECT_EQ(TaskSignature::parse("matmul m=8 n=8 k=8 in=f32 layout=nn")->hash(),
            TaskSignature::parse("matmul n=8 k=8 m=8")->hash());
}

TEST(Signature, ElementTypes) {
  auto s = TaskSignature::parse("matmul m=64 n=64 k=64 dtype=u8 wt=s8 acc=i32");
  ASSERT_TRUE(s) << s.message();
  // i32 is the default accumulator for integer inputs, so it is left out.
  EXPECT_EQ(s->canonical(), "matmul m=64 n=64 k=64 in=u8 wt=s8");
  EXPECT_EQ(s->effectiveWeightType(), "s8");
  EXPECT_EQ(s->effectiveAccType(), "i32");
  EXPECT_EQ(s->effectiveOutType(), "u8");

  // i8 is an alias of s8, for every type key.
  EXPECT_EQ(canon("matmul m=4 n=4 k=4 dtype=i8"), "matmul m=4 n=4 k=4 in=s8");
  EXPECT_EQ(canon("matmul m=4 n=4 k=4 in=u8 wt=i8 out=i8"),
            "matmul m=4 n=4 k=4 in=u8 wt=s8 out=s8");
  EXPECT_EQ(canon("matmul m=4 n=4 k=4 in=i8 wt=s8"),
            canon("matmul m=4 n=4 k=4 in=s8"));
  // Non-default accumulators and outputs are kept.
  EXPECT_EQ(canon("matmul m=4 n=4 k=4 in=s8 acc=f32 out=f32"),
            "matmul m=4 n=4 k=4 in=s8 acc=f32 out=f32");
  EXPECT_EQ(canon("matmul m=4 n=4 k=4 in=bf16 acc=f32 out=bf16"),
            "matmul m=4 n=4 k=4 in=bf16");
  EXPECT_EQ(canon("matmul m=4 n=4 k=4 in=f16 acc=f16"),
            "matmul m=4 n=4 k=4 in=f16 acc=f16");
}

TEST(Signature, EpilogueOrderIsKept) {
  auto a = TaskSignature::parse("matmul m=8 n=8 k=8 epilogue=bias+relu");
  auto b = TaskSignature::parse("matmul m=8 n=8 k=8 epilogue=relu+bias");
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->canonical(), "matmul m=8 n=8 k=8 epilogue=bias+relu");
  EXPECT_EQ(b->canonical(), "matmul m=8 n=8 k=8 epilogue=relu+bias");
  EXPECT_NE(a->hash(), b->hash());
  EXPECT_EQ(canon("matmul m=8 n=8 k=8 epilogue=bias+clamp:0:6+add"),
            "matmul m=8 n=8 k=8 epilogue=bias+clamp:0:6+add");
  EXPECT_EQ(canon("matmul m=8 n=8 k=8 in=u8 wt=s8 out=u8 izp=3 "
                  "epilogue=bias+relu+requant:0.0050:-2"),
            "matmul m=8 n=8 k=8 in=u8 wt=s8 izp=3 "
            "epilogue=bias+relu+requant:0.005:-2");
}

TEST(Signature, Errors) {
  struct Case {
    const char *text;
    const char *mentions; ///< a word the message must contain
  };
  const Case cases[] = {
      {"", "empty"},
      {"gemm m=1 n=1 k=1", "unknown op family `gemm`"},
      {"matmul m=1 n=1 k=1 foo=3", "unknown key `foo`"},
      {"matmul m=1 n=1 k=1 stride=2,2", "`stride` does not apply to matmul"},
      {"matmul m=1 n=1 k=1 pad=1,1,1,1", "`pad` does not apply"},
      {"pool_max n=1 h=4 w=4 c=1 kh=2 kw=2 dilation=2,2", "`dilation`"},
      {"matmul m=1 n=1 k=1 shape=2x2", "`shape` does not apply"},
      {"elementwise shape=4 op=add axes=0", "`axes` does not apply"},
      {"conv2d n=1 h=8 w=8 c=4 f=4 kh=3 kw=3 op=add", "`op` does not apply"},
      {"matmul m=1 n=1", "needs dimension `k`"},
      {"conv2d n=1 h=8 w=8 c=4 kh=3 kw=3", "needs dimension `f`"},
      {"matmul m=0 n=1 k=1", "must be positive"},
      {"matmul m=1 n=-4 k=1", "must be positive"},
      {"elementwise shape=4x0 op=add", "positive"},
      {"matmul m=1 n=1 k=1 m=2", "given twice"},
      {"matmul m=1 n=1 k=1 dtype=f32 in=f32", "not both"},
      {"matmul m=1x n=1 k=1", "expects an integer"},
      {"matmul m=1.5 n=1 k=1", "expects an integer"},
      {"matmul m= n=1 k=1", "key=value"},
      {"matmul m n=1 k=1", "key=value"},
      {"matmul m=99999999999999999999 n=1 k=1", "expects an integer"},
      {"conv2d n=1 h=8 w=8 c=4 f=4 kh=3 kw=3 stride=2", "2 comma-separated"},
      {"conv2d n=1 h=8 w=8 c=4 f=4 kh=3 kw=3 stride=0,1", ">= 1"},
      {"conv2d n=1 h=8 w=8 c=4 f=4 kh=3 kw=3 pad=1,1,1", "4 comma-separated"},
      {"conv2d n=1 h=8 w=8 c=4 f=4 kh=3 kw=3 pad=-1,0,0,0", ">= 0"},
      {"conv2d n=1 h=8 w=8 c=4 f=4 kh=3 kw=3 layout=nhwc", "layout `nhwc`"},
      {"matmul m=1 n=1 k=1 layout=tn", "layout `tn`"},
      {"matmul m=1 n=1 k=1 in=f64", "unknown element type `f64`"},
      {"matmul m=1 n=1 k=1 acc=int", "unknown element type `int`"},
      {"matmul m=1 n=1 k=1 epilogue=bias+gelu", "unknown epilogue item `gelu`"},
      {"matmul m=1 n=1 k=1 epilogue=bias++relu", "unknown epilogue item"},
      {"matmul m=1 n=1 k=1 epilogue=bias+", "unknown epilogue item"},
      {"matmul m=1 n=1 k=1 epilogue=clamp:0", "unknown epilogue item"},
      {"matmul m=1 n=1 k=1 epilogue=clamp:a:6", "unknown epilogue item"},
      {"conv2d n=1 h=2 w=8 c=4 f=4 kh=3 kw=3", "window does not fit"},
      {"pool_max n=1 h=4 w=4 c=1 kh=5 kw=5 pad=0,0,0,0", "does not fit"},
      {"depthwise_conv2d n=1 h=5 w=5 c=1 kh=3 kw=3 dilation=3,3",
       "does not fit"},
      {"elementwise shape=4", "needs `op=NAME`"},
      {"elementwise op=add", "needs `shape="},
      {"elementwise shape=4 op=a-b", "`op` must be"},
      {"reduction shape=4x4 op=sum", "needs `axes"},
      {"reduction shape=4x4 op=sum axes=2", "outside the shape"},
      {"matmul m=4611686018427387904 n=4 k=1", "larger than any tensor"},
      {"matmul m=2000000000 n=2000000000 k=2000000000",
       "more than 2^48 elements"},
      {"elementwise shape=2147483648x2147483648 op=add", "more than 2^48"},
      {"conv2d n=1 h=8 w=8 c=4 f=4 kh=3 kw=3 stride=4611686018427387904,1",
       "larger than any tensor"},
      {"matmul m=1 n=1 k=1 epilogue=clamp:5:1", "lower clamp bound is above"},
      {"matmul m=1 n=1 k=1 epilogue=clamp:nan:6", "not NaN"},
  };
  for (const Case &c : cases) {
    std::string msg = parseError(c.text);
    EXPECT_NE(msg.find(c.mentions), std::string::npos)
        << "`" << c.text << "` failed with `" << msg << "`, expected it to "
        << "mention `" << c.mentions << "`";
  }
}

TEST(Signature, ParseOfCanonicalIsIdentity) {
  for (const char *text :
       {"matmul m=512 n=512 k=512",
        "matmul m=1 n=4096 k=4096 layout=nt in=bf16 out=f32 "
        "epilogue=bias+relu6",
        "batch_matmul b=8 m=64 n=64 k=32 in=u8 wt=s8 izp=128 wzp=-1 "
        "epilogue=requant:0.25:0",
        "conv2d n=1 h=224 w=224 c=3 f=64 kh=7 kw=7 stride=2,2 pad=3,3,3,3 "
        "epilogue=bias+clamp:0:6",
        "conv2d n=1 h=28 w=28 c=16 f=32 kh=3 kw=3 dilation=2,2 pad=0,1,2,3 "
        "layout=nchw_fchw",
        "depthwise_conv2d n=1 h=112 w=112 c=32 kh=3 kw=3 pad=1,1,1,1 "
        "epilogue=bias+relu",
        "pool_max n=1 h=112 w=112 c=64 kh=3 kw=3 stride=2,2 pad=1,1,1,1",
        "pool_avg n=1 h=7 w=7 c=512 kh=7 kw=7 layout=nchw",
        "elementwise shape=1x128x768 op=add epilogue=relu",
        "reduction shape=8x16x32 axes=0,2 in=f16 op=max"}) {
    auto a = TaskSignature::parse(text);
    ASSERT_TRUE(a) << text << ": " << a.message();
    EXPECT_EQ(a->canonical(), text);
    auto b = TaskSignature::parse(a->canonical());
    ASSERT_TRUE(b) << b.message();
    EXPECT_EQ(b->canonical(), a->canonical());
    EXPECT_EQ(b->hash(), a->hash());
    EXPECT_EQ(b->dims, a->dims);
  }
}

TEST(Signature, GoldenHashes) {
  // Pinned from `printf '%s' 'TEXT' | sha256sum`: these must never change, or
  // every stored schedule database loses its tuning results.
  auto mm = TaskSignature::parse("matmul m=512 n=512 k=512");
  ASSERT_TRUE(mm);
  EXPECT_EQ(mm->hash(),
            "0a361e47b0eaa59a6f5a4407929c1f7e43a293af573e62eadf35a22fe6bce55e");
  auto conv = TaskSignature::parse("conv2d kw=3 kh=3 n=1 h=56 w=56 c=64 f=64 "
                                   "pad=1,1,1,1 stride=1,1 in=f32");
  ASSERT_TRUE(conv);
  EXPECT_EQ(conv->canonical(),
            "conv2d n=1 h=56 w=56 c=64 f=64 kh=3 kw=3 pad=1,1,1,1");
  EXPECT_EQ(conv->hash(),
            "68010947454a3ec6e9b4c47d96baa9b52bf9185917968f1cdc22a173e461603e");
  EXPECT_EQ(sha256Hex(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Signature, FlopsMatmul) {
  auto s = TaskSignature::parse("matmul m=512 n=256 k=128");
  ASSERT_TRUE(s);
  EXPECT_DOUBLE_EQ(s->flops(), 2.0 * 512 * 256 * 128);
  EXPECT_EQ(s->outputSpatial(), (std::array<int64_t, 2>{0, 0}));
  auto b = TaskSignature::parse("batch_matmul b=12 m=128 n=64 k=128");
  ASSERT_TRUE(b);
  EXPECT_DOUBLE_EQ(b->flops(), 2.0 * 12 * 128 * 64 * 128);
}

TEST(Signature, FlopsConv2dWithStrideAndPad) {
  // ResNet's stem: 224 + 3 + 3 - 7 = 223, /2 + 1 = 112.
  auto s = TaskSignature::parse(
      "conv2d n=1 h=224 w=224 c=3 f=64 kh=7 kw=7 stride=2,2 pad=3,3,3,3");
  ASSERT_TRUE(s) << s.message();
  EXPECT_EQ(s->outputSpatial(), (std::array<int64_t, 2>{112, 112}));
  EXPECT_DOUBLE_EQ(s->flops(), 2.0 * 1 * 112 * 112 * 64 * 3 * 7 * 7);

  // Asymmetric: h 9 + 1 + 0 - 3 = 7, /2 + 1 = 4; w 10 + 0 + 2 - 3 = 9, /1 + 1.
  auto a = TaskSignature::parse(
      "conv2d n=2 h=9 w=10 c=4 f=8 kh=3 kw=3 stride=2,1 pad=1,0,0,2");
  ASSERT_TRUE(a) << a.message();
  EXPECT_EQ(a->outputSpatial(), (std::array<int64_t, 2>{4, 10}));
  EXPECT_DOUBLE_EQ(a->flops(), 2.0 * 2 * 4 * 10 * 8 * 4 * 3 * 3);

  // Dilation 2 makes a 3x3 window span 5: 8 - 5 + 1 = 4.
  auto d =
      TaskSignature::parse("conv2d n=1 h=8 w=8 c=1 f=1 kh=3 kw=3 dilation=2,2");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->outputSpatial(), (std::array<int64_t, 2>{4, 4}));
}

TEST(Signature, FlopsDepthwiseAndPool) {
  auto dw = TaskSignature::parse(
      "depthwise_conv2d n=1 h=112 w=112 c=32 kh=3 kw=3 stride=2,2 "
      "pad=0,0,1,1");
  ASSERT_TRUE(dw) << dw.message();
  // 112 + 1 - 3 = 110, /2 + 1 = 56.
  EXPECT_EQ(dw->outputSpatial(), (std::array<int64_t, 2>{56, 56}));
  EXPECT_DOUBLE_EQ(dw->flops(), 2.0 * 56 * 56 * 32 * 3 * 3);

  auto pool = TaskSignature::parse(
      "pool_max n=1 h=112 w=112 c=64 kh=3 kw=3 stride=2,2 pad=1,1,1,1");
  ASSERT_TRUE(pool);
  EXPECT_EQ(pool->outputSpatial(), (std::array<int64_t, 2>{56, 56}));
  // One operation per window element: no multiply-add.
  EXPECT_DOUBLE_EQ(pool->flops(), 1.0 * 56 * 56 * 64 * 3 * 3);
  auto avg = TaskSignature::parse("pool_avg n=1 h=7 w=7 c=512 kh=7 kw=7");
  ASSERT_TRUE(avg);
  EXPECT_DOUBLE_EQ(avg->flops(), 1.0 * 512 * 7 * 7);

  auto ew = TaskSignature::parse("elementwise shape=2x3x4 op=add");
  ASSERT_TRUE(ew);
  EXPECT_DOUBLE_EQ(ew->flops(), 24.0);
}

TEST(Signature, ShapeValuesAndDims) {
  auto s = TaskSignature::parse("matmul m=512 n=64 k=512");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->shapeValues(), (std::vector<int64_t>{64, 512}));
  EXPECT_EQ(s->dim("n"), 64);
  EXPECT_EQ(s->dim("kh"), -1);
  auto e = TaskSignature::parse("reduction shape=8x16x8 axes=1 op=sum");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->shapeValues(), (std::vector<int64_t>{8, 16}));
}

TEST(Signature, NormalizeChecksHandBuiltSignatures) {
  TaskSignature s;
  s.family = OpFamily::Matmul;
  s.dims = {16, 16};
  EXPECT_FALSE(s.normalize());
  s.dims = {16, 16, 16};
  s.layout = "nn";
  s.weightType = "i8";
  s.inType = "i8";
  ASSERT_TRUE(s.normalize());
  EXPECT_EQ(s.canonical(), "matmul m=16 n=16 k=16 in=s8");
  for (OpFamily f : allFamilies()) {
    auto parsed = parseFamily(familyName(f));
    ASSERT_TRUE(parsed);
    EXPECT_EQ(*parsed, f);
    EXPECT_FALSE(familyLayouts(f).empty());
  }
}

TEST(Signature, ClampBoundsHaveOneSpelling) {
  auto a = TaskSignature::parse("matmul m=2 n=2 k=2 epilogue=clamp:0.0:6.00");
  auto b = TaskSignature::parse("matmul m=2 n=2 k=2 epilogue=clamp:0:6");
  ASSERT_TRUE(a) << a.message();
  ASSERT_TRUE(b) << b.message();
  EXPECT_EQ(a->canonical(), "matmul m=2 n=2 k=2 epilogue=clamp:0:6");
  EXPECT_EQ(a->hash(), b->hash());
}

TEST(Signature, IntegerKernelKeys) {
  for (const char *bad : {"matmul m=2 n=2 k=2 izp=3",
                          "matmul m=2 n=2 k=2 in=u8 izp=256",
                          "matmul m=2 n=2 k=2 in=s8 wzp=-129",
                          "matmul m=2 n=2 k=2 in=u8 epilogue=requant",
                          "matmul m=2 n=2 k=2 in=u8 epilogue=requant:0:1",
                          "matmul m=2 n=2 k=2 in=u8 epilogue=requant:x:1"}) {
    auto s = TaskSignature::parse(bad);
    EXPECT_FALSE(s) << bad;
  }
}
