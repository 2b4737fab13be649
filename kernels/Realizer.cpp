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
  bool packInputs = s.packing == "inputs" || s.packing == "both";
  bool packWeights = s.packing == "weights" || s.packing == "both";
  if (packInputs && !k.padded.defined())
    return makeError("packing inputs needs a windowed kernel");
  if (packWeights && !hasWeights(k))
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

Status applyPlan(Kernel &k, const LoopPlan &plan) {
  const Schedule s = plan.schedule();
  if (Status st = checkSchedule(k, s); !st)
    return st;
  try {
    Func &out = k.output;
    auto order = outerOrder(k, s);
    std::map<std::string, Var> outerVar, ioVar, iiVar;
    std::map<std::string, bool> hasOuter;
    // Cache tiles and register tiles of the output.
    for (size_t i = 0; i < k.pure.size(); ++i) {
      const std::string &d = k.loops.pure[i];
      Var v = k.pure[i];
      int64_t e = k.loops.extent(d);
      int64_t T = std::min(tileOf(s.tileOuter, d, e), e);
      int64_t R = std::min(tileOf(s.tileInner, d, 1), T);
      Var vo(d + "_o"), vt(d + "_t"), vio(d + "_io"), vii(d + "_ii");
      if (T < e) {
        out.split(v, vo, vt, static_cast<int>(T), TailStrategy::ShiftInwards);
        hasOuter[d] = true;
      } else {
        vt = v;
        hasOuter[d] = false;
      }
      outerVar[d] = vo;
      out.split(vt, vio, vii, static_cast<int>(R), TailStrategy::ShiftInwards);
      ioVar[d] = vio;
      iiVar[d] = vii;
    }
    // Loop order, innermost first: register tile (vector dim first), then
    // the register-tile loops, then the cache-tile loops in `order`.
    std::vector<VarOrRVar> loops;
    const std::string &vd = s.vectorDim;
    if (!vd.empty())
      loops.push_back(iiVar[vd]);
    for (const auto &d : k.loops.pure)
      if (d != vd)
        loops.push_back(iiVar[d]);
    for (auto it = order.rbegin(); it != order.rend(); ++it)
      loops.push_back(ioVar[*it]);
    for (auto it = order.rbegin(); it != order.rend(); ++it)
      if (hasOuter[*it])
        loops.push_back(outerVar[*it]);
    out.reorder(loops);
    if (!vd.empty()) {
      out.vectorize(iiVar[vd], static_cast<int>(s.vectorWidth));
      if (tileOf(s.tileInner, vd, 1) > s.vectorWidth)
        out.unroll(iiVar[vd]);
    }
    for (const auto &d : k.loops.pure)
      if (d != vd && tileOf(s.tileInner, d, 1) > 1)
        out.unroll(iiVar[d]);
    // Parallel: the listed outermost cache-tile loops.
    std::vector<Var> par;
    for (const auto &d : s.parallel)
      par.push_back(outerVar[d]);
    // The innermost loop outside the register tile, and outside the cache tile.
    Var registerLevel = ioVar[order.back()];
    Var cacheLevel = registerLevel;
    bool anyOuter = false;
    for (auto it = order.rbegin(); it != order.rend(); ++it)
      if (hasOuter[*it]) {
        cacheLevel = outerVar[*it];
        anyOuter = true;
        break;
      }
    // Each listed cache-tile loop runs in parallel (nested parallel loops).
    // Fusing them into one loop would balance better, but Halide 14's fuse
    // of loops with shifted tails reads out of bounds or computes wrong
    // results in either argument order (found by schedule fuzzing).
    for (const Var &p : par)
      out.parallel(p);

    Func &acc = k.acc;
    // Reduction split: the main reduction loop is cut into `reductionSplit`
    // chunks whose partial sums (rfactor) are computed in parallel per cache
    // tile; acc then only adds the partial sums.
    std::vector<RVar> accRed;
    std::vector<std::string> accRedNames;
    Func part;
    int vdIndex = static_cast<int>(
        std::find(k.loops.pure.begin(), k.loops.pure.end(), vd) -
        k.loops.pure.begin());
    if (s.reductionSplit > 1) {
      std::string main = mainReduction(k.loops);
      size_t mi = std::find(k.loops.reduction.begin(), k.loops.reduction.end(), main) -
                  k.loops.reduction.begin();
      int64_t e = k.loops.extent(main);
      int chunk = static_cast<int>((e + s.reductionSplit - 1) / s.reductionSplit);
      RVar ro(main + "_so"), ri(main + "_si");
      acc.update().split(k.red[static_cast<int>(mi)], ro, ri, chunk,
                         TailStrategy::GuardWithIf);
      Var u("u");
      part = acc.update().rfactor(ro, u);
      accRed = {ro};
      accRedNames = {main + "_so"};
      // Partial sums per cache tile, unless acc itself covers everything.
      if (anyOuter && s.epilogueAt != "root")
        part.compute_at(out, cacheLevel);
      else
        part.compute_root();
      std::vector<VarOrRVar> partLoops;
      if (!vd.empty()) {
        part.vectorize(k.pure[vdIndex], static_cast<int>(s.vectorWidth),
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
      part.update().reorder(partLoops).parallel(u);
      if (!vd.empty())
        part.update().vectorize(k.pure[vdIndex],
                                static_cast<int>(s.vectorWidth),
                                TailStrategy::GuardWithIf);
    } else {
      for (size_t i = 0; i < k.loops.reduction.size(); ++i) {
        accRed.push_back(k.red[static_cast<int>(i)]);
        accRedNames.push_back(k.loops.reduction[i]);
      }
    }
    Stage upd = acc.update();
    std::vector<VarOrRVar> updLoops;
    if (s.epilogueAt == "inner") {
      acc.compute_at(out, registerLevel);
      if (!vd.empty())
        updLoops.push_back(k.pure[vdIndex]);
      for (size_t i = 0; i < k.pure.size(); ++i)
        if (k.loops.pure[i] != vd)
          updLoops.push_back(k.pure[i]);
      for (const RVar &r : accRed)
        updLoops.push_back(r);
      upd.reorder(updLoops);
      for (size_t i = 0; i < k.pure.size(); ++i) {
        const std::string &d = k.loops.pure[i];
        int64_t R = tileOf(s.tileInner, d, 1);
        if (d == vd) {
          acc.vectorize(k.pure[i], static_cast<int>(s.vectorWidth));
          upd.vectorize(k.pure[i], static_cast<int>(s.vectorWidth));
          if (R > s.vectorWidth) {
            acc.unroll(k.pure[i]);
            upd.unroll(k.pure[i]);
          }
        } else if (R > 1) {
          acc.unroll(k.pure[i]);
          upd.unroll(k.pure[i]);
        }
      }
    } else {
      // Accumulator per cache tile ("outer") or for the whole output in a
      // pass of its own ("root"); its update tiled into register tiles.
      bool perTile = anyOuter && s.epilogueAt == "outer";
      if (perTile)
        acc.compute_at(out, cacheLevel);
      else
        acc.compute_root();
      if (!vd.empty())
        acc.vectorize(k.pure[vdIndex], static_cast<int>(s.vectorWidth));
      std::vector<VarOrRVar> inner, mid, redInner, redOuter;
      for (size_t i = 0; i < k.pure.size(); ++i) {
        const std::string &d = k.loops.pure[i];
        int64_t R = tileOf(s.tileInner, d, 1);
        Var po(d + "_ro"), pi(d + "_ri");
        // The region acc is computed over: a cache tile, or everything.
        int64_t T = perTile ? std::min(tileOf(s.tileOuter, d, k.loops.extent(d)),
                                       k.loops.extent(d))
                            : k.loops.extent(d);
        TailStrategy tail = T % R == 0 ? TailStrategy::RoundUp
                                       : TailStrategy::GuardWithIf;
        upd.split(k.pure[i], po, pi, static_cast<int>(R), tail);
        if (d == vd)
          inner.insert(inner.begin(), pi);
        else
          inner.push_back(pi);
        mid.push_back(po);
        if (d == vd) {
          upd.vectorize(pi, static_cast<int>(s.vectorWidth));
          // Unrolling the vectors of a guarded tile computes part of the
          // tail twice in Halide 14 (found by ReductionSplitAgrees): only
          // unroll tiles that divide evenly.
          if (R > s.vectorWidth && tail == TailStrategy::RoundUp)
            upd.unroll(pi);
        } else if (R > 1 && tail == TailStrategy::RoundUp) {
          upd.unroll(pi);
        }
      }
      for (size_t i = 0; i < accRed.size(); ++i) {
        const std::string &d = accRedNames[i];
        RVar r = accRed[i];
        if (s.tileOuter.count(d) && s.tileOuter.at(d) < k.loops.extent(d)) {
          RVar ro(d + "_ro"), ri(d + "_ri");
          upd.split(r, ro, ri, static_cast<int>(s.tileOuter.at(d)),
                    TailStrategy::GuardWithIf);
          redInner.push_back(ri);
          redOuter.push_back(ro);
        } else {
          redInner.push_back(r);
        }
      }
      for (auto &l : redInner)
        updLoops.push_back(l);
      updLoops.insert(updLoops.begin(), inner.begin(), inner.end());
      for (auto &l : mid)
        updLoops.push_back(l);
      for (auto &l : redOuter)
        updLoops.push_back(l);
      upd.reorder(updLoops);
    }
    for (const auto &[d, factor] : s.unroll) {
      if (factor <= 1)
        continue;
      size_t i = std::find(k.loops.reduction.begin(), k.loops.reduction.end(), d) - k.loops.reduction.begin();
      if (s.epilogueAt != "inner" && s.tileOuter.count(d))
        continue; // blocked loops are not unrolled
      // With a reduction split, the reduction loops live in the partial sums
      // (the split main loop is not unrolled).
      if (s.reductionSplit > 1 && d == mainReduction(k.loops))
        continue;
      Stage target = s.reductionSplit > 1 ? part.update() : upd;
      RVar r = k.red[static_cast<int>(i)];
      if (factor >= k.loops.extent(d))
        target.unroll(r);
      else
        target.unroll(r, static_cast<int>(factor), TailStrategy::GuardWithIf);
    }
    // Packed operands: computed into a buffer once per call, or per cache
    // tile where their consumer (acc or the partial sums) is computed inside
    // the cache tile too.
    bool perTilePack = s.packAt == "outer" && anyOuter && s.epilogueAt != "root";
    int vw = s.vectorWidth > 0 ? static_cast<int>(s.vectorWidth) : 8;
    auto place = [&](Func f, int64_t innermost) {
      if (perTilePack)
        f.compute_at(out, cacheLevel);
      else
        f.compute_root();
      if (innermost >= vw)
        f.vectorize(f.args().front(), vw, TailStrategy::GuardWithIf);
    };
    if (k.padded.defined() && (s.packing == "inputs" || s.packing == "both")) {
      bool nchw = k.task.effectiveLayout().rfind("nchw", 0) == 0;
      place(k.padded, nchw ? k.task.dim("w") + k.task.pad[1] + k.task.pad[3]
                           : k.task.dim("c"));
    }
    if (s.packing == "weights" || s.packing == "both") {
      // A copy of the weights the cache tile reads, contiguous and aligned.
      auto arrays = kernelArrays(k.task);
      place(k.inputs[1].in(), arrays[1].shape.back());
    }
    return Status();
  } catch (const Halide::Error &e) {
    return makeError(std::string("Halide rejected the schedule: ") + e.what());
  }
}

} // namespace tessel
