// The arrays of a kernel call (shapes, element types, C ABI order).
#include "kernels/Arrays.h"

#include <algorithm>

namespace tessel {

int64_t ArraySpec::elements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

int ArraySpec::elementBytes() const { return type == "u8" || type == "s8" ? 1 : 4; }

std::pair<const char *, int> halideTypeCode(const std::string &type) {
  if (type == "f32")
    return {"halide_type_float", 32};
  if (type == "i32")
    return {"halide_type_int", 32};
  if (type == "u8")
    return {"halide_type_uint", 8};
  return {"halide_type_int", 8};
}

namespace {

bool hasEpilogue(const TaskSignature &t, const std::string &item) {
  return std::find(t.epilogue.begin(), t.epilogue.end(), item) !=
         t.epilogue.end();
}

/// Output shape, row-major.
std::vector<int64_t> outputShape(const TaskSignature &t) {
  auto d = [&](const char *n) { return t.dim(n); };
  auto o = t.outputSpatial();
  bool nchw = t.effectiveLayout().rfind("nchw", 0) == 0;
  switch (t.family) {
  case OpFamily::Matmul:
    return {d("m"), d("n")};
  case OpFamily::BatchMatmul:
    return {d("b"), d("m"), d("n")};
  case OpFamily::Conv2d:
    return nchw ? std::vector<int64_t>{d("n"), d("f"), o[0], o[1]}
                : std::vector<int64_t>{d("n"), o[0], o[1], d("f")};
  case OpFamily::DepthwiseConv2d:
  case OpFamily::PoolMax:
  case OpFamily::PoolAvg:
    return nchw ? std::vector<int64_t>{d("n"), d("c"), o[0], o[1]}
                : std::vector<int64_t>{d("n"), o[0], o[1], d("c")};
  default:
    return t.shape;
  }
}

} // namespace

int64_t outputChannels(const TaskSignature &t) {
  switch (t.family) {
  case OpFamily::Matmul:
  case OpFamily::BatchMatmul:
    return t.dim("n");
  case OpFamily::Conv2d:
    return t.dim("f");
  default:
    return t.dim("c");
  }
}

std::vector<ArraySpec> kernelArrays(const TaskSignature &t) {
  auto d = [&](const char *n) { return t.dim(n); };
  std::string layout = t.effectiveLayout();
  std::vector<ArraySpec> a;
  switch (t.family) {
  case OpFamily::Matmul:
    a.push_back({"input", {d("m"), d("k")}});
    a.push_back({"weights", layout == "nt" ? std::vector<int64_t>{d("n"), d("k")}
                                           : std::vector<int64_t>{d("k"), d("n")}});
    break;
  case OpFamily::BatchMatmul:
    a.push_back({"input", {d("b"), d("m"), d("k")}});
    a.push_back({"weights", layout == "nt"
                                ? std::vector<int64_t>{d("b"), d("n"), d("k")}
                                : std::vector<int64_t>{d("b"), d("k"), d("n")}});
    break;
  case OpFamily::Conv2d:
    if (layout == "nchw_fchw") {
      a.push_back({"input", {d("n"), d("c"), d("h"), d("w")}});
      a.push_back({"weights", {d("f"), d("c"), d("kh"), d("kw")}});
    } else {
      a.push_back({"input", {d("n"), d("h"), d("w"), d("c")}});
      a.push_back({"weights", layout == "nhwc_fhwc"
                                  ? std::vector<int64_t>{d("f"), d("kh"), d("kw"), d("c")}
                                  : std::vector<int64_t>{d("kh"), d("kw"), d("c"), d("f")}});
    }
    break;
  case OpFamily::DepthwiseConv2d:
    if (layout == "nchw_chw") {
      a.push_back({"input", {d("n"), d("c"), d("h"), d("w")}});
      a.push_back({"weights", {d("c"), d("kh"), d("kw")}});
    } else {
      a.push_back({"input", {d("n"), d("h"), d("w"), d("c")}});
      a.push_back({"weights", {d("kh"), d("kw"), d("c")}});
    }
    break;
  case OpFamily::PoolMax:
  case OpFamily::PoolAvg:
    if (layout == "nchw")
      a.push_back({"input", {d("n"), d("c"), d("h"), d("w")}});
    else
      a.push_back({"input", {d("n"), d("h"), d("w"), d("c")}});
    break;
  default:
    break;
  }
  bool integer = t.inType != "f32";
  if (!a.empty())
    a[0].type = t.inType;
  if (a.size() > 1)
    a[1].type = t.effectiveWeightType();
  if (hasEpilogue(t, "bias"))
    a.push_back({"bias", {outputChannels(t)}, integer ? "i32" : "f32"});
  if (hasEpilogue(t, "add"))
    a.push_back({"residual", outputShape(t), t.effectiveOutType()});
  a.push_back({"output", outputShape(t), t.effectiveOutType()});
  // A batch matmul multiplies two activations (attention): no constant.
  for (ArraySpec &x : a)
    x.constant = x.name == "bias" ||
                 (x.name == "weights" && t.family != OpFamily::BatchMatmul);
  return a;
}

} // namespace tessel
