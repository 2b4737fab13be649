// The Halide algorithm of each op family.
#include "kernels/Kernel.h"
#include "kernels/Reference.h"

#include <algorithm>

namespace tessel {

using namespace Halide;

Halide::Type halideType(const std::string &type) {
  if (type == "u8")
    return UInt(8);
  if (type == "s8")
    return Int(8);
  if (type == "i32")
    return Int(32);
  return Float(32);
}

bool hasHalideKernel(OpFamily f) {
  return f != OpFamily::Elementwise && f != OpFamily::Reduction;
}

namespace {

ImageParam denseParam(const ArraySpec &spec) {
  int rank = static_cast<int>(spec.shape.size());
  ImageParam p(halideType(spec.type), rank, spec.name);
  int64_t stride = 1;
  for (int i = 0; i < rank; ++i) {
    int64_t extent = spec.shape[rank - 1 - i];
    p.dim(i).set_bounds(0, static_cast<int>(extent));
    p.dim(i).set_stride(static_cast<int>(stride));
    stride *= extent;
  }
  return p;
}

Expr applyEpilogue(const Kernel &k, Expr v, const ImageParam *bias,
                   const ImageParam *residual) {
  std::vector<Expr> args(k.pure.begin(), k.pure.end());
  Type outType = halideType(k.task.effectiveOutType());
  for (const auto &e : k.task.epilogue) {
    if (e.rfind("requant:", 0) == 0) {
      size_t c = e.find(':', 8);
      float scale = std::stof(e.substr(8, c - 8));
      int zp = std::stoi(e.substr(c + 1));
      Expr q = round(cast<float>(v) * scale) + static_cast<float>(zp);
      v = cast(outType, clamp(q, cast<float>(outType.min()),
                              cast<float>(outType.max())));
    } else if (e.rfind("clamp:", 0) == 0 && !v.type().is_float()) {
      size_t c = e.find(':', 6);
      Expr lo = cast(v.type(), std::stoi(e.substr(6, c - 6)));
      Expr hi = cast(v.type(), std::stoi(e.substr(c + 1)));
      v = clamp(v, lo, hi);
    } else if (e == "relu" && !v.type().is_float()) {
      v = max(v, cast(v.type(), 0));
    } else if (e == "bias")
      v = v + (*bias)(k.pure[k.channelDim]);
    else if (e == "relu")
      v = max(v, 0.0f);
    else if (e == "relu6")
      v = clamp(v, 0.0f, 6.0f);
    else if (e == "add")
      v = v + (*residual)(args);
    else if (e == "sigmoid")
      v = 1.0f / (1.0f + exp(-v));
    else if (e == "tanh")
      v = tanh(v);
    else if (e.rfind("clamp:", 0) == 0) {
      size_t c = e.find(':', 6);
      float lo = std::stof(e.substr(6, c - 6));
      float hi = std::stof(e.substr(c + 1));
      v = clamp(v, lo, hi);
    }
  }
  return v;
}

bool isInteger(const TaskSignature &t) { return t.inType != "f32"; }

/// The accumulator's zero: 0.0f, or 0 in i32 for integer kernels.
Expr zeroOf(const TaskSignature &t) {
  return isInteger(t) ? Expr(0) : Expr(0.0f);
}

/// One multiply of the reduction: in f32, or (in - izp) * (wt - wzp) in i32.
Expr product(const TaskSignature &t, Expr a, Expr w) {
  if (!isInteger(t))
    return a * w;
  return (cast<int32_t>(a) - static_cast<int32_t>(t.inputZeroPoint)) *
         (cast<int32_t>(w) - static_cast<int32_t>(t.weightZeroPoint));
}

void defineMatmul(Kernel &k) {
  const TaskSignature &t = k.task;
  bool nt = t.effectiveLayout() == "nt";
  bool batch = t.family == OpFamily::BatchMatmul;
  Var n("n"), m("m"), b("b");
  k.red = RDom(0, static_cast<int>(t.dim("k")), "k");
  RVar kk = k.red.x;
  ImageParam &A = k.inputs[0], &B = k.inputs[1];
  k.pure = {n, m};
  Expr a, w;
  if (batch) {
    k.pure.push_back(b);
    a = A(kk, m, b);
    w = nt ? B(kk, n, b) : B(n, kk, b);
  } else {
    a = A(kk, m);
    w = nt ? B(kk, n) : B(n, kk);
  }
  Expr prod = product(t, a, w);
  std::vector<Expr> args(k.pure.begin(), k.pure.end());
  k.acc(k.pure) = zeroOf(t);
  k.acc(args) += prod;
  k.channelDim = 0;
}

/// Windowed families: conv2d, depthwise_conv2d, pool_max, pool_avg.
void defineWindowed(Kernel &k) {
  const TaskSignature &t = k.task;
  bool nchw = t.effectiveLayout().rfind("nchw", 0) == 0;
  Var f("f"), c("c"), ox("ow"), oy("oh"), n("n");
  int C = static_cast<int>(t.dim("c")), H = static_cast<int>(t.dim("h")),
      W = static_cast<int>(t.dim("w")), N = static_cast<int>(t.dim("n"));
  int KH = static_cast<int>(t.dim("kh")), KW = static_cast<int>(t.dim("kw"));
  int sh = static_cast<int>(t.stride[0]), sw = static_cast<int>(t.stride[1]);
  int dh = static_cast<int>(t.dilation[0]), dw = static_cast<int>(t.dilation[1]);
  int pt = static_cast<int>(t.pad[0]), pl = static_cast<int>(t.pad[1]);
  bool isMax = t.family == OpFamily::PoolMax;

  ImageParam &I = k.inputs[0];
  // Padding adds nothing: -inf (or the type's minimum) for max pooling, the
  // input zero point for integer convolutions, 0 otherwise.
  Type inType = halideType(t.inType);
  Expr padValue = isMax ? (isInteger(t) ? inType.min()
                                        : Expr(-std::numeric_limits<float>::infinity()))
                        : (isInteger(t) ? cast(inType, static_cast<int>(t.inputZeroPoint))
                                        : Expr(0.0f));
  Region bounds = nchw ? Region{{0, W}, {0, H}, {0, C}, {0, N}}
                       : Region{{0, C}, {0, W}, {0, H}, {0, N}};
  bool anyPad = t.pad != std::array<int64_t, 4>{0, 0, 0, 0};
  Func clamped = anyPad
                     ? BoundaryConditions::constant_exterior(I, padValue, bounds)
                     : Func(I);
  Var x("x"), y("y"), ch("ch"), nn("nn");
  k.padded = Func("padded");
  if (nchw)
    k.padded(x, y, ch, nn) = clamped(x - pl, y - pt, ch, nn);
  else
    k.padded(ch, x, y, nn) = clamped(ch, x - pl, y - pt, nn);

  auto in = [&](Expr chan, Expr ix, Expr iy, Expr batch) {
    return nchw ? k.padded(ix, iy, chan, batch) : k.padded(chan, ix, iy, batch);
  };
  if (t.family == OpFamily::Conv2d) {
    std::string layout = t.effectiveLayout();
    k.red = RDom({{0, C}, {0, KW}, {0, KH}}, "r");
    RVar rc = k.red[0], rkw = k.red[1], rkh = k.red[2];
    ImageParam &Wt = k.inputs[1];
    Expr w = layout == "nchw_fchw"   ? Wt(rkw, rkh, rc, f)
             : layout == "nhwc_fhwc" ? Wt(rc, rkw, rkh, f)
                                     : Wt(f, rc, rkw, rkh);
    Expr v = product(t, in(rc, ox * sw + rkw * dw, oy * sh + rkh * dh, n), w);
    if (nchw) {
      k.pure = {ox, oy, f, n};
      k.channelDim = 2;
    } else {
      k.pure = {f, ox, oy, n};
      k.channelDim = 0;
    }
    k.acc(k.pure) = zeroOf(t);
    k.acc(std::vector<Expr>(k.pure.begin(), k.pure.end())) += v;
    return;
  }
  // depthwise and pools: one channel at a time.
  k.red = RDom({{0, KW}, {0, KH}}, "r");
  RVar rkw = k.red[0], rkh = k.red[1];
  if (nchw) {
    k.pure = {ox, oy, c, n};
    k.channelDim = 2;
  } else {
    k.pure = {c, ox, oy, n};
    k.channelDim = 0;
  }
  Expr v = in(c, ox * sw + rkw * dw, oy * sh + rkh * dh, n);
  std::vector<Expr> args(k.pure.begin(), k.pure.end());
  if (t.family == OpFamily::DepthwiseConv2d) {
    ImageParam &Wt = k.inputs[1];
    Expr w = nchw ? Wt(rkw, rkh, c) : Wt(c, rkw, rkh);
    k.acc(k.pure) = zeroOf(t);
    k.acc(args) += product(t, v, w);
  } else if (isMax) {
    k.acc(k.pure) = isInteger(t) ? inType.min()
                                 : Expr(-std::numeric_limits<float>::infinity());
    k.acc(args) = max(k.acc(args), v);
  } else {
    k.acc(k.pure) = 0.0f;
    k.acc(args) += v;
  }
}

} // namespace

Result<Kernel> defineKernel(const TaskSignature &task) {
  if (!hasHalideKernel(task.family))
    return makeError(std::string(familyName(task.family)) +
                     " has no Halide kernel yet");
  if (Status s = checkTunable(task); !s)
    return makeError("`" + task.canonical() + "`: " + s.message());
  try {
    Kernel k;
    k.task = task;
    k.acc = Func("acc");
    k.output = Func("output");
    auto arrays = kernelArrays(task);
    const ImageParam *bias = nullptr, *residual = nullptr;
    for (size_t i = 0; i + 1 < arrays.size(); ++i)
      k.inputs.push_back(denseParam(arrays[i]));
    for (size_t i = 0; i + 1 < arrays.size(); ++i) {
      if (arrays[i].name == "bias")
        bias = &k.inputs[i];
      if (arrays[i].name == "residual")
        residual = &k.inputs[i];
    }
    if (task.family == OpFamily::Matmul ||
        task.family == OpFamily::BatchMatmul)
      defineMatmul(k);
    else
      defineWindowed(k);
    // The loops schedules name are describeLoops()'s; the Vars must match.
    k.loops = describeLoops(task);
    bool sameLoops = k.loops.pure.size() == k.pure.size();
    for (size_t i = 0; sameLoops && i < k.pure.size(); ++i)
      sameLoops = k.pure[i].name() == k.loops.pure[i];
    if (!sameLoops || k.loops.reduction.size() != static_cast<size_t>(k.red.dimensions()))
      return makeError("internal error: the loops of `" + task.canonical() +
                       "` differ from describeLoops()");
    std::vector<Expr> args(k.pure.begin(), k.pure.end());
    Expr v = k.acc(args);
    if (task.family == OpFamily::PoolAvg)
      v = v / static_cast<float>(task.dim("kh") * task.dim("kw"));
    k.output(k.pure) = applyEpilogue(k, v, bias, residual);
    // The output is dense too: fixed bounds and strides let Halide drop
    // run-time checks and index arithmetic.
    const ArraySpec &out = arrays.back();
    int rank = static_cast<int>(out.shape.size());
    int64_t stride = 1;
    for (int i = 0; i < rank; ++i) {
      int64_t e = out.shape[rank - 1 - i];
      k.output.output_buffer().dim(i).set_bounds(0, static_cast<int>(e));
      k.output.output_buffer().dim(i).set_stride(static_cast<int>(stride));
      stride *= e;
    }
    return k;
  } catch (const Halide::Error &e) {
    return makeError(std::string("Halide: ") + e.what());
  }
}

} // namespace tessel
