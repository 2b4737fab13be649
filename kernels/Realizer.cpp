// The Halide realizer of schedules.
#include "kernels/Realizer.h"

#include <algorithm>
#include <map>
#include <set>

namespace tessel {

using namespace Halide;

namespace {

/// The outer loop order of pure dimensions, outermost first: `order` if given
/// (it must be a permutation of the tiled pure dims), else storage order
/// reversed (outermost storage dimension outermost).
std::vector<std::string> outerOrder(const Kernel &k, const Schedule &s) {
  if (!s.order.empty())
    return s.order;
  std::vector<std::string> o(k.loops.pure.rbegin(), k.loops.pure.rend());
  return o;
}

/// True for the families whose second input is a weight array.
bool hasWeights(const Kernel &k) {
  auto arrays = kernelArrays(k.task);
  return arrays.size() > 2 && arrays[1].name == "weights";
}

int64_t tileOf(const std::map<std::string, int64_t> &m, const std::string &d,
               int64_t fallback) {
  auto it = m.find(d);
  return it == m.end() ? fallback : it->second;
}

} // namespace

Status checkSchedule(const Kernel &k, const Schedule &s) {
  if (s.kind != "loopnest")
    return makeError("schedule kind `" + s.kind +
                     "` is not a loop nest the realizer can apply");
  std::set<std::string> pure(k.loops.pure.begin(), k.loops.pure.end());
  std::set<std::string> red(k.loops.reduction.begin(), k.loops.reduction.end());
  auto known = [&](const std::string &d) { return pure.count(d) || red.count(d); };
  for (const auto &[d, v] : s.tileOuter)
    if (!known(d))
      return makeError("tile_outer names unknown loop `" + d + "`");
  for (const auto &[d, v] : s.tileInner) {
    if (!pure.count(d))
      return makeError("tile_inner names `" + d +
                       "`, which is not an output loop of this kernel");
    if (v > k.loops.extent(d))
      return makeError("tile_inner[" + d + "] = " + std::to_string(v) +
                       " exceeds the loop extent " + std::to_string(k.loops.extent(d)));
    if (s.tileOuter.count(d) && s.tileOuter.at(d) < v)
      return makeError("tile_outer[" + d + "] is smaller than tile_inner[" + d + "]");
  }
  for (const auto &[d, v] : s.tileOuter)
    if (v > k.loops.extent(d))
      return makeError("tile_outer[" + d + "] = " + std::to_string(v) +
                       " exceeds the loop extent " + std::to_string(k.loops.extent(d)));
  for (const auto &[d, v] : s.unroll)
    if (!red.count(d))
      return makeError("unroll names `" + d + "`; only reduction loops are "
                                              "unrolled by factor");
  if (!s.vectorDim.empty()) {
    if (!pure.count(s.vectorDim))
      return makeError("vector_dim `" + s.vectorDim + "` is not an output loop");
    if (s.vectorWidth < 1)
      return makeError("vector_dim given without vector_width");
    int64_t r = tileOf(s.tileInner, s.vectorDim, 1);
    if (r % s.vectorWidth != 0)
      return makeError("tile_inner[" + s.vectorDim + "] = " + std::to_string(r) +
                       " is not a multiple of vector_width " +
                       std::to_string(s.vectorWidth));
  }
  if (!s.order.empty()) {
    std::set<std::string> o(s.order.begin(), s.order.end());
    if (o != pure || s.order.size() != pure.size())
      return makeError("order must list every output loop exactly once");
  }
  auto order = outerOrder(k, s);
  for (size_t i = 0; i < s.parallel.size(); ++i) {
    if (i >= order.size() || s.parallel[i] != order[i])
      return makeError("parallel loops must be the outermost loops of `order`");
    if (!s.tileOuter.count(s.parallel[i]) ||
        s.tileOuter.at(s.parallel[i]) >= k.loops.extent(s.parallel[i]))
      return makeError("parallel loop `" + s.parallel[i] +
                       "` needs a tile_outer smaller than its extent (the "
                       "cache-tile loops are what run in parallel)");
  }
  if (s.packsInputs() && !k.padded.defined())
    return makeError("packing inputs needs a windowed kernel");
  if (s.packsWeights() && !hasWeights(k))
    return makeError("packing weights needs a kernel with weights");
  if (s.reductionSplit != 1) {
    std::string r = mainReduction(k.loops);
    if (r.empty())
      return makeError("reduction_split needs a k or c reduction loop");
    if (s.reductionSplit > k.loops.extent(r))
      return makeError("reduction_split exceeds the extent of `" + r + "`");
    for (const auto &d : k.loops.reduction)
      if (s.tileOuter.count(d))
        return makeError("reduction_split and blocking of `" + d +
                         "` do not combine");
  }
  for (const auto &[d, v] : s.tileOuter)
    if (red.count(d) && s.epilogueAt == "inner")
      return makeError("blocking reduction loop `" + d +
                       "` needs epilogue_at outer or root");
  return Status();
}

Status applySchedule(Kernel &k, const Schedule &schedule, const TargetPreset &target) {
  auto plan = resolvePlan(k.task, schedule, Realizer::Halide, target);
  if (!plan)
    return makeError(plan.message());
  return applyPlan(k, *plan);
}

namespace {

/// The output's loops after tiling: per pure dimension its cache-tile loop
/// (`outer`, when the tile is smaller than the extent), register-tile loop
/// (`io`) and register-tile element loop (`ii`).
struct OutputLoops {
  std::vector<std::string> order; ///< cache-tile loop order, outermost first
  std::map<std::string, Var> outer, io, ii;
  std::map<std::string, bool> hasOuter;
  Var registerLevel; ///< innermost loop outside the register tile
  Var cacheLevel;    ///< innermost loop outside the cache tile
  bool anyOuter = false;
};

/// The reduction loops the accumulator's update runs: the original ones, or
/// with a reduction split the chunk loop, whose partial sums `part` holds.
struct ReductionLoops {
  std::vector<RVar> vars;
  std::vector<std::string> names;
  Func part; ///< defined only with a reduction split
};

int vectorDimIndex(const Kernel &k, const Schedule &s) {
  return static_cast<int>(
      std::find(k.loops.pure.begin(), k.loops.pure.end(), s.vectorDim) -
      k.loops.pure.begin());
}

/// Splits each output dimension into cache and register tiles.
OutputLoops splitOutput(Kernel &k, const Schedule &s) {
  OutputLoops l;
  l.order = outerOrder(k, s);
  for (size_t i = 0; i < k.pure.size(); ++i) {
    const std::string &d = k.loops.pure[i];
    Var v = k.pure[i];
    int64_t e = k.loops.extent(d);
    int64_t cacheTile = std::min(tileOf(s.tileOuter, d, e), e);
    int64_t regTile = std::min(tileOf(s.tileInner, d, 1), cacheTile);
    Var vo(d + "_o"), vt(d + "_t"), vio(d + "_io"), vii(d + "_ii");
    l.hasOuter[d] = cacheTile < e;
    if (cacheTile < e)
      k.output.split(v, vo, vt, static_cast<int>(cacheTile),
                     TailStrategy::ShiftInwards);
    else
      vt = v;
    l.outer[d] = vo;
    k.output.split(vt, vio, vii, static_cast<int>(regTile),
                   TailStrategy::ShiftInwards);
    l.io[d] = vio;
    l.ii[d] = vii;
  }
  l.registerLevel = l.io[l.order.back()];
  l.cacheLevel = l.registerLevel;
  for (auto it = l.order.rbegin(); it != l.order.rend(); ++it)
    if (l.hasOuter[*it]) {
      l.cacheLevel = l.outer[*it];
      l.anyOuter = true;
      break;
    }
  return l;
}

/// Orders the output's loops, innermost first: the register tile (vector
/// dimension first), the register-tile loops, then the cache-tile loops in
/// `order`; vectorizes, unrolls the register tile, and runs the listed
/// cache-tile loops in parallel.
void scheduleOutput(Kernel &k, const Schedule &s, const OutputLoops &l) {
  Func &out = k.output;
  std::vector<VarOrRVar> loops;
  const std::string &vd = s.vectorDim;
  if (!vd.empty())
    loops.push_back(l.ii.at(vd));
  for (const auto &d : k.loops.pure)
    if (d != vd)
      loops.push_back(l.ii.at(d));
  for (auto it = l.order.rbegin(); it != l.order.rend(); ++it)
    loops.push_back(l.io.at(*it));
  for (auto it = l.order.rbegin(); it != l.order.rend(); ++it)
    if (l.hasOuter.at(*it))
      loops.push_back(l.outer.at(*it));
  out.reorder(loops);
  if (!vd.empty()) {
    out.vectorize(l.ii.at(vd), static_cast<int>(s.vectorWidth));
    if (tileOf(s.tileInner, vd, 1) > s.vectorWidth)
      out.unroll(l.ii.at(vd));
  }
  for (const auto &d : k.loops.pure)
    if (d != vd && tileOf(s.tileInner, d, 1) > 1)
      out.unroll(l.ii.at(d));
  // Each listed cache-tile loop runs in parallel (nested parallel loops).
  // Fusing them into one loop would balance better, but Halide 14's fuse
  // of loops with shifted tails reads out of bounds or computes wrong
  // results in either argument order (found by schedule fuzzing).
  for (const auto &d : s.parallel)
    out.parallel(l.outer.at(d));
}

/// The accumulator's reduction loops; with a reduction split, the main
/// reduction loop is cut into `reductionSplit` chunks whose partial sums
/// (rfactor) are computed in parallel per cache tile, and the accumulator
/// only adds the partial sums.
ReductionLoops splitReduction(Kernel &k, const Schedule &s,
                              const OutputLoops &l) {
  ReductionLoops r;
  if (s.reductionSplit <= 1) {
    for (size_t i = 0; i < k.loops.reduction.size(); ++i) {
      r.vars.push_back(k.red[static_cast<int>(i)]);
      r.names.push_back(k.loops.reduction[i]);
    }
    return r;
  }
  Func &acc = k.acc;
  const std::string &vd = s.vectorDim;
  int vdIndex = vectorDimIndex(k, s);
  std::string main = mainReduction(k.loops);
  size_t mi =
      std::find(k.loops.reduction.begin(), k.loops.reduction.end(), main) -
      k.loops.reduction.begin();
  int64_t e = k.loops.extent(main);
  int chunk = static_cast<int>((e + s.reductionSplit - 1) / s.reductionSplit);
  RVar ro(main + "_so"), ri(main + "_si");
  acc.update().split(k.red[static_cast<int>(mi)], ro, ri, chunk,
                     TailStrategy::GuardWithIf);
  Var u("u");
  r.part = acc.update().rfactor(ro, u);
  r.vars = {ro};
  r.names = {main + "_so"};
  // Partial sums per cache tile, unless acc itself covers everything.
  if (l.anyOuter && s.epilogueAt != "root")
    r.part.compute_at(k.output, l.cacheLevel);
  else
    r.part.compute_root();
  std::vector<VarOrRVar> partLoops;
  if (!vd.empty()) {
    r.part.vectorize(k.pure[vdIndex], static_cast<int>(s.vectorWidth),
                     TailStrategy::GuardWithIf);
    partLoops.push_back(k.pure[vdIndex]);
  }
  for (size_t i = 0; i < k.pure.size(); ++i)
    if (k.loops.pure[i] != vd)
      partLoops.push_back(k.pure[i]);
  partLoops.push_back(ri);
  for (size_t i = 0; i < k.loops.reduction.size(); ++i)
    if (i != mi)
      partLoops.push_back(RVar(k.red[static_cast<int>(i)]));
  partLoops.push_back(u);
  r.part.update().reorder(partLoops).parallel(u);
  if (!vd.empty())
    r.part.update().vectorize(k.pure[vdIndex], static_cast<int>(s.vectorWidth),
                              TailStrategy::GuardWithIf);
  return r;
}

/// epilogue_at inner: the accumulator computed per register tile, its
/// update vectorized and unrolled like the tile.
void accumulateInRegisters(Kernel &k, const Schedule &s, const OutputLoops &l,
                           const ReductionLoops &r) {
  Func &acc = k.acc;
  Stage upd = acc.update();
  const std::string &vd = s.vectorDim;
  acc.compute_at(k.output, l.registerLevel);
  std::vector<VarOrRVar> updLoops;
  if (!vd.empty())
    updLoops.push_back(k.pure[vectorDimIndex(k, s)]);
  for (size_t i = 0; i < k.pure.size(); ++i)
    if (k.loops.pure[i] != vd)
      updLoops.push_back(k.pure[i]);
  for (const RVar &v : r.vars)
    updLoops.push_back(v);
  upd.reorder(updLoops);
  for (size_t i = 0; i < k.pure.size(); ++i) {
    const std::string &d = k.loops.pure[i];
    int64_t regTile = tileOf(s.tileInner, d, 1);
    if (d == vd) {
      acc.vectorize(k.pure[i], static_cast<int>(s.vectorWidth));
      upd.vectorize(k.pure[i], static_cast<int>(s.vectorWidth));
    }
    if (d == vd ? regTile > s.vectorWidth : regTile > 1) {
      acc.unroll(k.pure[i]);
      upd.unroll(k.pure[i]);
    }
  }
}

/// epilogue_at outer or root: the accumulator per cache tile ("outer") or
/// for the whole output in a pass of its own ("root"), its update tiled
/// into register tiles and its blocked reduction loops split.
void accumulateInTiles(Kernel &k, const Schedule &s, const OutputLoops &l,
                       const ReductionLoops &r) {
  Func &acc = k.acc;
  Stage upd = acc.update();
  const std::string &vd = s.vectorDim;
  bool perTile = l.anyOuter && s.epilogueAt == "outer";
  if (perTile)
    acc.compute_at(k.output, l.cacheLevel);
  else
    acc.compute_root();
  if (!vd.empty())
    acc.vectorize(k.pure[vectorDimIndex(k, s)],
                  static_cast<int>(s.vectorWidth));
  std::vector<VarOrRVar> inner, mid, redInner, redOuter;
  for (size_t i = 0; i < k.pure.size(); ++i) {
    const std::string &d = k.loops.pure[i];
    int64_t regTile = tileOf(s.tileInner, d, 1);
    Var po(d + "_ro"), pi(d + "_ri");
    // The region acc is computed over: a cache tile, or everything.
    int64_t e = k.loops.extent(d);
    int64_t cacheTile = perTile ? std::min(tileOf(s.tileOuter, d, e), e) : e;
    TailStrategy tail = cacheTile % regTile == 0 ? TailStrategy::RoundUp
                                                 : TailStrategy::GuardWithIf;
    upd.split(k.pure[i], po, pi, static_cast<int>(regTile), tail);
    if (d == vd)
      inner.insert(inner.begin(), pi);
    else
      inner.push_back(pi);
    mid.push_back(po);
    if (d == vd)
      upd.vectorize(pi, static_cast<int>(s.vectorWidth));
    // Unrolling the vectors of a guarded tile computes part of the tail
    // twice in Halide 14 (found by ReductionSplitAgrees): only tiles that
    // divide evenly are unrolled.
    if ((d == vd ? regTile > s.vectorWidth : regTile > 1) &&
        tail == TailStrategy::RoundUp)
      upd.unroll(pi);
  }
  for (size_t i = 0; i < r.vars.size(); ++i) {
    const std::string &d = r.names[i];
    if (s.tileOuter.count(d) && s.tileOuter.at(d) < k.loops.extent(d)) {
      RVar ro(d + "_ro"), ri(d + "_ri");
      upd.split(r.vars[i], ro, ri, static_cast<int>(s.tileOuter.at(d)),
                TailStrategy::GuardWithIf);
      redInner.push_back(ri);
      redOuter.push_back(ro);
    } else {
      redInner.push_back(r.vars[i]);
    }
  }
  std::vector<VarOrRVar> updLoops(inner.begin(), inner.end());
  updLoops.insert(updLoops.end(), redInner.begin(), redInner.end());
  updLoops.insert(updLoops.end(), mid.begin(), mid.end());
  updLoops.insert(updLoops.end(), redOuter.begin(), redOuter.end());
  upd.reorder(updLoops);
}

/// The schedule's reduction unrolls, on the stage that runs the loop (the
/// partial sums with a reduction split). Blocked loops and the split main
/// loop are not unrolled.
void unrollReductions(Kernel &k, const Schedule &s, const ReductionLoops &r) {
  for (const auto &[d, factor] : s.unroll) {
    if (factor <= 1)
      continue;
    size_t i =
        std::find(k.loops.reduction.begin(), k.loops.reduction.end(), d) -
        k.loops.reduction.begin();
    if (s.epilogueAt != "inner" && s.tileOuter.count(d))
      continue;
    if (s.reductionSplit > 1 && d == mainReduction(k.loops))
      continue;
    Func part = r.part; // a handle: scheduling it schedules the partial sums
    Stage target = s.reductionSplit > 1 ? part.update() : k.acc.update();
    RVar rv = k.red[static_cast<int>(i)];
    if (factor >= k.loops.extent(d))
      target.unroll(rv);
    else
      target.unroll(rv, static_cast<int>(factor), TailStrategy::GuardWithIf);
  }
}

/// Packed operands: computed into a buffer once per call, or per cache tile
/// where their consumer (acc or the partial sums) is computed inside the
/// cache tile too.
void placePacking(Kernel &k, const Schedule &s, const OutputLoops &l) {
  bool perTilePack =
      s.packAt == "outer" && l.anyOuter && s.epilogueAt != "root";
  int vw = s.vectorWidth > 0 ? static_cast<int>(s.vectorWidth) : 8;
  auto place = [&](Func f, int64_t innermost) {
    if (perTilePack)
      f.compute_at(k.output, l.cacheLevel);
    else
      f.compute_root();
    if (innermost >= vw)
      f.vectorize(f.args().front(), vw, TailStrategy::GuardWithIf);
  };
  if (k.padded.defined() && s.packsInputs()) {
    bool nchw = k.task.effectiveLayout().rfind("nchw", 0) == 0;
    place(k.padded, nchw ? k.task.dim("w") + k.task.pad[1] + k.task.pad[3]
                         : k.task.dim("c"));
  }
  if (s.packsWeights()) {
    // A copy of the weights the cache tile reads, contiguous and aligned.
    auto arrays = kernelArrays(k.task);
    place(k.inputs[1].in(), arrays[1].shape.back());
  }
}

} // namespace

Status applyPlan(Kernel &k, const LoopPlan &plan) {
  const Schedule s = plan.schedule();
  if (Status st = checkSchedule(k, s); !st)
    return st;
  try {
    OutputLoops loops = splitOutput(k, s);
    scheduleOutput(k, s, loops);
    ReductionLoops reduction = splitReduction(k, s, loops);
    if (s.epilogueAt == "inner")
      accumulateInRegisters(k, s, loops, reduction);
    else
      accumulateInTiles(k, s, loops, reduction);
    unrollReductions(k, s, reduction);
    placePacking(k, s, loops);
    return Status();
  } catch (const Halide::Error &e) {
    return makeError(std::string("Halide rejected the schedule: ") + e.what());
  }
}

} // namespace tessel
