// Naive reference implementations (row-major layouts, double accumulation).
#include "kernels/Reference.h"

#include "kernels/Kernel.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace tessel {

namespace {

/// Range of an 8-bit element type (u8 or s8).
std::pair<double, double> rangeOf(const std::string &type) {
  if (type == "u8")
    return {0, 255};
  return {-128, 127};
}

double epilogue(const TaskSignature &t, double v, const double *bias,
                int64_t channel, const double *residual, int64_t index) {
  for (const auto &e : t.epilogue) {
    if (e.rfind("requant:", 0) == 0) {
      size_t c = e.find(':', 8);
      double scale = std::stod(e.substr(8, c - 8));
      double zp = std::stod(e.substr(c + 1));
      auto [lo, hi] = rangeOf(t.effectiveOutType());
      v = std::min(std::max(std::nearbyint(v * scale) + zp, lo), hi);
    } else if (e == "bias")
      v += bias[channel];
    else if (e == "relu")
      v = std::max(v, 0.0);
    else if (e == "relu6")
      v = std::min(std::max(v, 0.0), 6.0);
    else if (e == "add")
      v += residual[index];
    else if (e == "sigmoid")
      v = 1.0 / (1.0 + std::exp(-v));
    else if (e == "tanh")
      v = std::tanh(v);
    else if (e.rfind("clamp:", 0) == 0) {
      size_t c = e.find(':', 6);
      double lo = std::stod(e.substr(6, c - 6)), hi = std::stod(e.substr(c + 1));
      v = std::min(std::max(v, lo), hi);
    }
  }
  return v;
}

/// The value the kernel stores: f32 rounding for float results; integer
/// results are exact already.
double store(const TaskSignature &t, double v) {
  return t.effectiveOutType() == "f32" ? static_cast<double>(static_cast<float>(v))
                                       : v;
}

} // namespace

Status checkTunable(const TaskSignature &t) {
  if (t.family == OpFamily::Elementwise || t.family == OpFamily::Reduction)
    return makeError(std::string(familyName(t.family)) +
                     " tasks have no reference to verify "
                     "a kernel against");
  bool hasRequant = false;
  for (const auto &e : t.epilogue)
    if (e.rfind("requant:", 0) == 0)
      hasRequant = true;
  if (t.inType == "f32") {
    if (!t.weightType.empty() || !t.accType.empty() || !t.outType.empty())
      return makeError("f32 kernels take f32 weights and give f32 results");
    if (hasRequant)
      return makeError("requant needs an integer kernel");
    return Status();
  }
  if (t.inType != "u8" && t.inType != "s8")
    return makeError("element type " + t.inType + " has no kernel yet");
  std::string w = t.effectiveWeightType(), out = t.effectiveOutType();
  if (t.family == OpFamily::PoolMax) {
    if (out != t.inType || !t.epilogue.empty())
      return makeError("integer max pooling keeps the input type, without "
                       "an epilogue");
    return Status();
  }
  if (t.family == OpFamily::PoolAvg)
    return makeError("integer average pooling has no kernel yet");
  if (w != "u8" && w != "s8")
    return makeError("integer kernels take u8 or s8 weights");
  if (t.effectiveAccType() != "i32")
    return makeError("integer kernels accumulate in i32");
  if (out == "i32" && hasRequant)
    return makeError("requant gives u8 or s8 results, not i32");
  if (out != "i32" && (out != "u8" && out != "s8"))
    return makeError("integer kernels give i32, u8 or s8 results");
  if (out != "i32" && !hasRequant)
    return makeError("a u8 or s8 result needs requant:SCALE:ZP");
  // The i32 accumulator must not wrap: each product is at most 255 * 255.
  double reduction = static_cast<double>(
      t.family == OpFamily::Conv2d ? t.dim("c") * t.dim("kh") * t.dim("kw")
      : t.family == OpFamily::DepthwiseConv2d ? t.dim("kh") * t.dim("kw")
                                              : t.dim("k"));
  if (reduction * 255.0 * 255.0 > 2147483647.0)
    return makeError("a reduction of " + std::to_string(int64_t(reduction)) +
                     " u8/s8 products can overflow the i32 accumulator");
  // Integer bounds must be whole numbers within the type they apply to.
  auto integerIn = [](const std::string &text, double lo, double hi) {
    char *end = nullptr;
    long long v = std::strtoll(text.c_str(), &end, 10);
    return !text.empty() && end == text.c_str() + text.size() && v >= lo &&
           v <= hi;
  };
  double outLo = out == "u8" ? 0 : out == "s8" ? -128 : -2147483648.0;
  double outHi = out == "u8" ? 255 : out == "s8" ? 127 : 2147483647.0;
  bool afterRequant = false;
  for (const auto &e : t.epilogue) {
    if (e.rfind("requant:", 0) == 0) {
      afterRequant = true;
      std::string zp = e.substr(e.find(':', 8) + 1);
      if (!integerIn(zp, outLo, outHi))
        return makeError("requant zero point " + zp + " is outside " + out);
      continue;
    }
    bool ok = afterRequant
                  ? e.rfind("clamp:", 0) == 0
                  : (e == "bias" || e == "relu" || e.rfind("clamp:", 0) == 0);
    if (!ok)
      return makeError("epilogue item `" + e + "` is not supported " +
                       (afterRequant ? "after requant (only clamp)"
                                     : "on an integer accumulator (bias, relu, "
                                       "clamp)"));
    if (e.rfind("clamp:", 0) == 0) {
      size_t c = e.find(':', 6);
      std::string lo = e.substr(6, c - 6), hi = e.substr(c + 1);
      double tlo = afterRequant ? outLo : -2147483648.0;
      double thi = afterRequant ? outHi : 2147483647.0;
      if (!integerIn(lo, tlo, thi) || !integerIn(hi, tlo, thi))
        return makeError("integer clamp bounds must be integers within " +
                         std::string(afterRequant ? out : "i32"));
    }
  }
  return Status();
}

Status computeReference(const TaskSignature &t,
                        const std::vector<std::vector<double>> &inputs,
                        std::vector<double> &output) {
  auto arrays = kernelArrays(t);
  if (inputs.size() + 1 != arrays.size())
    return makeError("wrong number of reference inputs");
  std::vector<const double *> in;
  for (const auto &v : inputs)
    in.push_back(v.data());
  output.assign(static_cast<size_t>(arrays.back().elements()), 0.0);
  double *out = output.data();
  const double *bias = nullptr, *residual = nullptr;
  for (size_t i = 0; i + 1 < arrays.size(); ++i) {
    if (arrays[i].name == "bias")
      bias = in[i];
    if (arrays[i].name == "residual")
      residual = in[i];
  }
  double izp = static_cast<double>(t.inputZeroPoint);
  double wzp = static_cast<double>(t.weightZeroPoint);
  std::string layout = t.effectiveLayout();
  auto d = [&](const char *n) { return t.dim(n); };
  switch (t.family) {
  case OpFamily::Matmul:
  case OpFamily::BatchMatmul: {
    int64_t B = t.family == OpFamily::BatchMatmul ? d("b") : 1;
    int64_t M = d("m"), N = d("n"), K = d("k");
    bool nt = layout == "nt";
    for (int64_t b = 0; b < B; ++b)
      for (int64_t m = 0; m < M; ++m)
        for (int64_t n = 0; n < N; ++n) {
          double s = 0;
          for (int64_t k = 0; k < K; ++k) {
            double a = in[0][(b * M + m) * K + k] - izp;
            double w = (nt ? in[1][(b * N + n) * K + k] : in[1][(b * K + k) * N + n]) -
                       wzp;
            s += a * w;
          }
          int64_t idx = (b * M + m) * N + n;
          out[idx] = store(t, epilogue(t, s, bias, n, residual, idx));
        }
    return Status();
  }
  case OpFamily::Conv2d:
  case OpFamily::DepthwiseConv2d:
  case OpFamily::PoolMax:
  case OpFamily::PoolAvg: {
    bool nchw = layout.rfind("nchw", 0) == 0;
    int64_t N = d("n"), H = d("h"), W = d("w"), C = d("c"), KH = d("kh"),
            KW = d("kw");
    int64_t F = t.family == OpFamily::Conv2d ? d("f") : C;
    auto o = t.outputSpatial();
    int64_t OH = o[0], OW = o[1];
    auto inAt = [&](int64_t n, int64_t c, int64_t y, int64_t x) -> double {
      return nchw ? in[0][((n * C + c) * H + y) * W + x]
                  : in[0][((n * H + y) * W + x) * C + c];
    };
    auto wAt = [&](int64_t f, int64_t c, int64_t ky, int64_t kx) -> double {
      if (t.family == OpFamily::DepthwiseConv2d)
        return nchw ? in[1][(c * KH + ky) * KW + kx] : in[1][(ky * KW + kx) * C + c];
      if (layout == "nchw_fchw")
        return in[1][((f * C + c) * KH + ky) * KW + kx];
      if (layout == "nhwc_fhwc")
        return in[1][((f * KH + ky) * KW + kx) * C + c];
      return in[1][((ky * KW + kx) * C + c) * F + f];
    };
    for (int64_t n = 0; n < N; ++n)
      for (int64_t f = 0; f < F; ++f)
        for (int64_t oy = 0; oy < OH; ++oy)
          for (int64_t ox = 0; ox < OW; ++ox) {
            bool isMax = t.family == OpFamily::PoolMax;
            // Max pooling starts from, and pads with, the lowest value:
            // -inf, or the integer type's minimum (as the kernel does).
            double lowest = t.inType == "f32"
                                ? -std::numeric_limits<double>::infinity()
                                : rangeOf(t.inType).first;
            double s = isMax ? lowest : 0.0;
            for (int64_t ky = 0; ky < KH; ++ky)
              for (int64_t kx = 0; kx < KW; ++kx) {
                int64_t y = oy * t.stride[0] + ky * t.dilation[0] - t.pad[0];
                int64_t x = ox * t.stride[1] + kx * t.dilation[1] - t.pad[1];
                bool inside = y >= 0 && y < H && x >= 0 && x < W;
                // Outside the input, (value - izp) is 0: padding adds nothing.
                if (t.family == OpFamily::Conv2d) {
                  if (inside)
                    for (int64_t c = 0; c < C; ++c)
                      s += (inAt(n, c, y, x) - izp) * (wAt(f, c, ky, kx) - wzp);
                } else if (t.family == OpFamily::DepthwiseConv2d) {
                  if (inside)
                    s += (inAt(n, f, y, x) - izp) * (wAt(f, f, ky, kx) - wzp);
                } else if (isMax) {
                  s = std::max(s, inside ? inAt(n, f, y, x) : lowest);
                } else if (inside) {
                  s += inAt(n, f, y, x);
                }
              }
            if (t.family == OpFamily::PoolAvg)
              s /= static_cast<double>(KH * KW);
            int64_t idx = nchw ? ((n * F + f) * OH + oy) * OW + ox
                               : ((n * OH + oy) * OW + ox) * F + f;
            out[idx] = store(t, epilogue(t, s, bias, f, residual, idx));
          }
    return Status();
  }
  default:
    return makeError(std::string("no reference for ") +
                     std::string(familyName(t.family)));
  }
}

double referenceTolerance(const TaskSignature &t) {
  if (t.effectiveOutType() == "i32" ||
      (t.family == OpFamily::PoolMax && t.inType != "f32"))
    return 0;
  if (t.effectiveOutType() == "u8" || t.effectiveOutType() == "s8")
    return 1;
  double reduction = 1;
  switch (t.family) {
  case OpFamily::Matmul:
  case OpFamily::BatchMatmul:
    reduction = static_cast<double>(t.dim("k"));
    break;
  case OpFamily::Conv2d:
    reduction = static_cast<double>(t.dim("c") * t.dim("kh") * t.dim("kw"));
    break;
  case OpFamily::DepthwiseConv2d:
  case OpFamily::PoolAvg:
  case OpFamily::PoolMax:
    reduction = static_cast<double>(t.dim("kh") * t.dim("kw"));
    break;
  default:
    break;
  }
  // fp32 rounding of a sum of `reduction` products of magnitude <= 1, in any
  // order: a few ulps per addition at the partial sums' magnitude.
  return 1e-5 + 4.0 * reduction * std::numeric_limits<float>::epsilon() *
                    std::sqrt(reduction);
}

} // namespace tessel
