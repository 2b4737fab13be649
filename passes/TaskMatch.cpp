// Tunable-op recognition: loop names and task signatures of linalg ops.
#include "passes/TaskMatch.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"

#include <limits>
#include <sstream>

using namespace mlir;

namespace tessel {

namespace {

using Names = std::vector<std::string>;

/// Loop names of each tunable named op, in the op's linalg loop order.
std::optional<Names> namesOf(Operation *op) {
  if (isa<linalg::MatmulOp>(op))
    return Names{"m", "n", "k"};
  if (isa<linalg::BatchMatmulOp>(op))
    return Names{"b", "m", "n", "k"};
  if (isa<linalg::Conv2DNchwFchwOp>(op))
    return Names{"n", "f", "oh", "ow", "c", "kh", "kw"};
  if (isa<linalg::Conv2DNhwcHwcfOp, linalg::Conv2DNhwcFhwcOp>(op))
    return Names{"n", "oh", "ow", "f", "kh", "kw", "c"};
  if (isa<linalg::DepthwiseConv2DNchwChwOp, linalg::DepthwiseConv2DNhwcHwcOp,
          linalg::PoolingNhwcMaxOp>(op))
    return Names{"n", "oh", "ow", "c", "kh", "kw"};
  if (isa<linalg::PoolingNchwMaxOp>(op))
    return Names{"n", "c", "oh", "ow", "kh", "kw"};
  return std::nullopt;
}

/// The signature spelling of an element type, or "" if tessel has none.
/// Signless integers follow linalg's signed semantics.
std::string typeName(Type t) {
  if (t.isF32())
    return "f32";
  if (t.isF16())
    return "f16";
  if (t.isBF16())
    return "bf16";
  if (t.isInteger(32))
    return "i32";
  if (t.isUnsignedInteger(8))
    return "u8";
  if (t.isInteger(8))
    return "s8";
  return "";
}

std::string joinInts(ArrayRef<int64_t> v) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i)
    s += (i ? "," : "") + std::to_string(v[i]);
  return s;
}

SmallVector<int64_t> attrInts(DenseIntElementsAttr a) {
  SmallVector<int64_t> v;
  for (const APInt &x : a.getValues<APInt>())
    v.push_back(x.getSExtValue());
  return v;
}

/// A static pad of the two spatial dimensions by a constant; {top, left,
/// bottom, right} and the padding value.
struct SpatialPad {
  std::array<int64_t, 4> pad{0, 0, 0, 0};
  double value = 0;
  tensor::PadOp op;
};

std::optional<SpatialPad> spatialPad(Value input, int hDim, int wDim) {
  auto pad = input.getDefiningOp<tensor::PadOp>();
  if (!pad)
    return std::nullopt;
  auto lo = pad.getStaticLow(), hi = pad.getStaticHigh();
  for (size_t d = 0; d < lo.size(); ++d) {
    if (ShapedType::isDynamic(lo[d]) || ShapedType::isDynamic(hi[d]))
      return std::nullopt;
    if ((int)d != hDim && (int)d != wDim && (lo[d] != 0 || hi[d] != 0))
      return std::nullopt;
  }
  Value v = pad.getConstantPaddingValue();
  APFloat f(0.0f);
  if (!v || !matchPattern(v, m_ConstantFloat(&f)))
    return std::nullopt;
  SpatialPad p;
  p.pad = {lo[hDim], lo[wDim], hi[hDim], hi[wDim]};
  p.value = f.convertToDouble();
  p.op = pad;
  if (!isa<RankedTensorType>(pad.getSource().getType()) ||
      !cast<RankedTensorType>(pad.getSource().getType()).hasStaticShape())
    return std::nullopt;
  return p;
}

/// True if `m` reads a tensor of shape `shape` at the iteration point itself,
/// allowing a constant 0 on unit dimensions (torch-mlir's broadcast form).
bool isIdentityOnShape(AffineMap m, ArrayRef<int64_t> shape) {
  if (m.getNumResults() != m.getNumDims() || shape.size() != m.getNumResults())
    return false;
  for (unsigned i = 0; i < m.getNumResults(); ++i) {
    AffineExpr e = m.getResult(i);
    if (auto d = dyn_cast<AffineDimExpr>(e); d && d.getPosition() == i)
      continue;
    auto c = dyn_cast<AffineConstantExpr>(e);
    if (!c || c.getValue() != 0 || shape[i] != 1)
      return false;
  }
  return true;
}

bool isZero(Value v) {
  return matchPattern(v, m_AnyZeroFloat()) || matchPattern(v, m_Zero());
}

bool isConstant(Value v, double expect) {
  APFloat f(0.0f);
  return matchPattern(v, m_ConstantFloat(&f)) && f.convertToDouble() == expect;
}

/// Epilogue steps of one elementwise consumer `g` of `value` (the op's
/// result), applied in body order; stops at the first op it cannot name.
/// Returns false if anything in the body is not a recognised step.
/// The chain of epilogue generics after an op and the values its steps read.
struct Epilogue {
  std::vector<std::string> steps;
  std::vector<Operation *> ops;
  Value bias, residual; ///< bias may be a scalar (a folded splat)
};

bool epilogueOf(linalg::GenericOp g, Value value, int64_t channelDim,
                Epilogue &epilogue) {
  if (g.getNumDpsInits() != 1 || g.getNumLoops() != g.getNumParallelLoops())
    return false;
  Block &body = g.getRegion().front();
  Value cur;
  for (OpOperand *in : g.getDpsInputOperands())
    if (in->get() == value &&
        isIdentityOnShape(g.getMatchingIndexingMap(in),
                          cast<RankedTensorType>(value.getType()).getShape())) {
      cur = body.getArgument(in->getOperandNumber());
      break;
    }
  if (!cur)
    return false;
  // The kind of each block argument other than `cur`: a per-channel vector
  // (bias) or a full tensor of the output's shape (residual add).
  auto argKind = [&](Value v) -> std::string {
    auto arg = dyn_cast<BlockArgument>(v);
    if (!arg || arg.getOwner() != &body ||
        arg.getArgNumber() >= g.getNumDpsInputs())
      return "";
    OpOperand *operand = g.getDpsInputOperand(arg.getArgNumber());
    AffineMap m = g.getMatchingIndexingMap(operand);
    auto type = dyn_cast<RankedTensorType>(operand->get().getType());
    if (type && isIdentityOnShape(m, type.getShape()))
      return "add";
    if (m.getNumResults() == 1 && m.getResult(0).isFunctionOfDim(channelDim) &&
        isa<AffineDimExpr>(m.getResult(0)))
      return "bias";
    return "";
  };
  std::vector<std::string> found;
  std::vector<std::pair<std::string, Value>> operands;
  for (Operation &op : body.without_terminator()) {
    auto other = [&](Operation &o) -> Value {
      if (o.getNumOperands() != 2)
        return {};
      if (o.getOperand(0) == cur)
        return o.getOperand(1);
      if (o.getOperand(1) == cur && isa<arith::AddFOp, arith::MaximumFOp,
                                        arith::MaxNumFOp, arith::MinimumFOp,
                                        arith::MinNumFOp>(o))
        return o.getOperand(0);
      return {};
    };
    if (isa<arith::AddFOp>(op)) {
      Value x = other(op);
      std::string k = x ? argKind(x) : "";
      Value operand;
      if (auto arg = dyn_cast_or_null<BlockArgument>(x); arg && !k.empty())
        operand = g.getDpsInputOperand(arg.getArgNumber())->get();
      // A value from outside the body (a splat bias folded to a scalar) is
      // the same for every channel: a bias too.
      if (k.empty() && x && !isa<BlockArgument>(x) &&
          x.getParentRegion() != &g.getRegion() && x.getType().isF32()) {
        k = "bias";
        operand = x;
      }
      if (k.empty())
        return false;
      found.push_back(k);
      operands.push_back({k, operand});
    } else if (isa<arith::MaximumFOp, arith::MaxNumFOp>(op)) {
      Value x = other(op);
      if (!x || !isZero(x))
        return false;
      found.push_back("relu");
    } else if (auto cmp = dyn_cast<arith::CmpFOp>(op)) {
      // relu as `select(x > 0, x, 0)`: the select follows.
      if (cmp.getLhs() != cur || !isZero(cmp.getRhs()) ||
          (cmp.getPredicate() != arith::CmpFPredicate::UGT &&
           cmp.getPredicate() != arith::CmpFPredicate::OGT))
        return false;
      continue;
    } else if (auto sel = dyn_cast<arith::SelectOp>(op)) {
      auto cmp = sel.getCondition().getDefiningOp<arith::CmpFOp>();
      if (!cmp || cmp.getLhs() != cur || sel.getTrueValue() != cur ||
          !isZero(sel.getFalseValue()))
        return false;
      found.push_back("relu");
    } else if (isa<arith::MinimumFOp, arith::MinNumFOp>(op)) {
      Value x = other(op);
      if (!x || !isConstant(x, 6.0) || found.empty() || found.back() != "relu")
        return false;
      found.back() = "relu6";
    } else {
      return false;
    }
    cur = op.getResult(0);
  }
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  if (yield.getNumOperands() != 1 || yield.getOperand(0) != cur)
    return false;
  // One bias and one residual at most (the kernels' arrays).
  for (auto &[k, v] : operands) {
    Value &slot = k == "bias" ? epilogue.bias : epilogue.residual;
    if (slot)
      return false;
    slot = v;
  }
  epilogue.steps.insert(epilogue.steps.end(), found.begin(), found.end());
  epilogue.ops.push_back(g);
  return true;
}

/// The epilogue: the chain of single-consumer elementwise generics after the
/// op whose bodies are all recognised steps.
Epilogue epilogueChain(Operation *op, int64_t channelDim) {
  Epilogue epilogue;
  Value v = op->getResult(0);
  while (true) {
    Operation *user = nullptr;
    bool single = true;
    for (Operation *u : v.getUsers()) {
      if (user && u != user)
        single = false;
      user = u;
    }
    auto g = dyn_cast_or_null<linalg::GenericOp>(user);
    Epilogue next = epilogue;
    if (!single || !g || g->getNumResults() != 1 ||
        !epilogueOf(g, v, channelDim, next))
      break;
    epilogue = next;
    v = g->getResult(0);
  }
  return epilogue;
}

} // namespace

std::optional<std::vector<std::string>> loopNames(linalg::LinalgOp op) {
  return namesOf(op.getOperation());
}

bool isTunableKind(Operation *op) { return namesOf(op).has_value(); }

Result<MatchedTask> matchTask(linalg::LinalgOp op) {
  Operation *o = op.getOperation();
  if (!isTunableKind(o))
    return makeError("not a tunable op");
  if (o->getNumResults() != 1 || !op.hasPureTensorSemantics())
    return makeError("only ops on tensors with one result are tasks");
  for (OpOperand &operand : o->getOpOperands()) {
    auto t = dyn_cast<RankedTensorType>(operand.get().getType());
    if (!t || !t.hasStaticShape())
      return makeError("dynamic shapes are not tunable");
  }
  auto shape = [&](unsigned i) {
    return cast<RankedTensorType>(o->getOperand(i).getType()).getShape();
  };
  auto elem = [&](unsigned i) {
    return cast<RankedTensorType>(o->getOperand(i).getType()).getElementType();
  };
  Type inT = elem(0), outT = elem(o->getNumOperands() - 1);
  std::string in = typeName(inT), out = typeName(outT);
  if (in.empty() || out.empty())
    return makeError("element types are not supported by tessel's kernels");
  std::ostringstream text;
  MatchedTask result;
  int64_t channelDim = 1; // output dimension that bias broadcasts along
  auto types = [&](bool hasWeights) {
    if (hasWeights) {
      std::string wt = typeName(elem(1));
      if (wt.empty())
        return false;
      if (wt != in)
        text << " wt=" << wt;
    }
    text << " in=" << in;
    if (out != in)
      text << " out=" << out;
    if (out == "i32" && in != "i32")
      text << " acc=i32";
    return true;
  };

  if (isa<linalg::MatmulOp>(o)) {
    auto a = shape(0), b = shape(1);
    text << "matmul m=" << a[0] << " n=" << b[1] << " k=" << a[1];
    if (!types(true))
      return makeError("weight element type is not supported");
  } else if (isa<linalg::BatchMatmulOp>(o)) {
    auto a = shape(0), b = shape(1);
    text << "batch_matmul b=" << a[0] << " m=" << a[1] << " n=" << b[2]
         << " k=" << a[2];
    channelDim = 2;
    if (!types(true))
      return makeError("weight element type is not supported");
  } else {
    // Windowed ops: where each dimension sits in the input / filter.
    bool nchw = isa<linalg::Conv2DNchwFchwOp, linalg::DepthwiseConv2DNchwChwOp,
                    linalg::PoolingNchwMaxOp>(o);
    int hDim = nchw ? 2 : 1, wDim = nchw ? 3 : 2, cDim = nchw ? 1 : 3;
    Value input = o->getOperand(0);
    auto inShape = shape(0), wShape = shape(1);
    int64_t kh = 0, kw = 0, f = 0;
    std::string family, layout;
    channelDim = cDim;
    if (isa<linalg::Conv2DNchwFchwOp>(o)) {
      family = "conv2d", layout = "nchw_fchw";
      f = wShape[0], kh = wShape[2], kw = wShape[3];
    } else if (isa<linalg::Conv2DNhwcHwcfOp>(o)) {
      family = "conv2d", layout = "nhwc_hwcf";
      f = wShape[3], kh = wShape[0], kw = wShape[1];
    } else if (isa<linalg::Conv2DNhwcFhwcOp>(o)) {
      family = "conv2d", layout = "nhwc_fhwc";
      f = wShape[0], kh = wShape[1], kw = wShape[2];
    } else if (isa<linalg::DepthwiseConv2DNchwChwOp>(o)) {
      family = "depthwise_conv2d", layout = "nchw_chw";
      kh = wShape[1], kw = wShape[2];
    } else if (isa<linalg::DepthwiseConv2DNhwcHwcOp>(o)) {
      family = "depthwise_conv2d", layout = "nhwc_hwc";
      kh = wShape[0], kw = wShape[1];
    } else { // max pooling: the second operand is the window's shape
      family = "pool_max", layout = nchw ? "nchw" : "nhwc";
      kh = wShape[0], kw = wShape[1];
    }
    // Strides and dilations: the windowed named ops' attributes, 1 when
    // left out.
    auto window = [&](StringRef name) {
      auto a = o->getAttrOfType<DenseIntElementsAttr>(name);
      return a ? attrInts(a) : SmallVector<int64_t>{1, 1};
    };
    SmallVector<int64_t> strides = window("strides"), dilations = window("dilations");
    bool pool = family == "pool_max";
    if (pool && (dilations[0] != 1 || dilations[1] != 1))
      return makeError("dilated pooling is not a tessel kernel");
    // Fold a constant spatial pad producer into the signature: zero for
    // convolutions, the lowest value for max pooling.
    std::array<int64_t, 4> pad{0, 0, 0, 0};
    if (auto p = spatialPad(input, hDim, wDim)) {
      bool neutral = pool ? p->value <= -static_cast<double>(
                                            std::numeric_limits<float>::max())
                          : p->value == 0.0;
      if (neutral) {
        pad = p->pad;
        inShape = cast<RankedTensorType>(p->op.getSource().getType()).getShape();
        result.foldedPad = p->op;
      }
    }
    // Only the rows and columns the output reads count (ceil-mode pooling
    // pads more than it reads): trim the input, then the bottom/right pad.
    auto outShape = shape(o->getNumOperands() - 1);
    std::array<int64_t, 2> hw{inShape[hDim], inShape[wDim]};
    for (int i = 0; i < 2; ++i) {
      int64_t window = dilations[i] * ((i == 0 ? kh : kw) - 1) + 1;
      int64_t needed = (outShape[i == 0 ? hDim : wDim] - 1) * strides[i] + window;
      int64_t lo = pad[i], hi = pad[i + 2];
      if (lo + hw[i] + hi < needed)
        return makeError("the output needs more input than there is");
      hw[i] = std::min(hw[i], needed - lo);
      if (hw[i] <= 0)
        return makeError("the output reads only padding");
      pad[i + 2] = std::max<int64_t>(0, needed - lo - hw[i]);
    }
    text << family << " n=" << inShape[0] << " h=" << hw[0] << " w=" << hw[1]
         << " c=" << inShape[cDim];
    if (family == "conv2d")
      text << " f=" << f;
    text << " kh=" << kh << " kw=" << kw << " stride=" << joinInts(strides);
    if (!pool)
      text << " dilation=" << joinInts(dilations);
    text << " pad=" << joinInts(pad) << " layout=" << layout;
    if (!types(!pool))
      return makeError("weight element type is not supported");
  }
  Epilogue epilogue = epilogueChain(o, channelDim);
  if (!epilogue.steps.empty() && in == "f32") {
    text << " epilogue=";
    for (size_t i = 0; i < epilogue.steps.size(); ++i)
      text << (i ? "+" : "") << epilogue.steps[i];
    result.epilogueOps = epilogue.ops;
    result.bias = epilogue.bias;
    result.residual = epilogue.residual;
  }
  auto sig = TaskSignature::parse(text.str());
  if (!sig)
    return makeError("no task signature (" + sig.message() + ") for `" +
                     text.str() + "`");
  result.signature = sig.value();
  return result;
}

void forEachTask(Operation *root, StringRef why,
                 function_ref<void(linalg::LinalgOp, const MatchedTask &)> fn) {
  Builder b(root->getContext());
  root->walk([&](linalg::LinalgOp op) {
    if (!isTunableKind(op))
      return;
    auto task = matchTask(op);
    if (!task) {
      op->emitRemark() << why << ": " << task.message();
      return;
    }
    op->setAttr(kTaskAttr, b.getStringAttr(task->signature.canonical()));
    fn(op, *task);
  });
}

} // namespace tessel
