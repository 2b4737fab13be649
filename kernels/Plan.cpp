// Resolution of schedules into loop plans (see Plan.h).
#include "kernels/Plan.h"

#include "kernels/Heuristic.h"

#include <algorithm>
#include <set>
#include <tuple>

namespace tessel {

namespace {

int64_t largestDivisorAtMost(int64_t n, int64_t limit) {
  for (int64_t d = std::min(n, limit); d > 1; --d)
    if (n % d == 0)
      return d;
  return 1;
}

/// A cache tile of `size` on a loop of `extent`: a divisor of the extent, at
/// least half the size asked; else the whole loop.
int64_t cacheTileOf(int64_t size, int64_t extent) {
  if (size <= 0 || size >= extent)
    return extent;
  int64_t d = largestDivisorAtMost(extent, size);
  return 2 * d < size ? extent : d;
}

/// The vector loop's register tile, once clamped to its cache tile: the
/// largest multiple of `width` up to it (for windowed families, one that
/// divides the cache tile; with `preferDividing`, one that divides it if
/// there is one); the width halves until there is one (0: none, not
/// vectorized).
void fitVectorTile(PlanLoop &l, int64_t &width, bool windowed,
                   bool preferDividing) {
  // The largest multiple of `w` up to the tile (dividing the cache tile if
  // `divide`), or 0.
  auto multipleOf = [&](int64_t w, bool divide) -> int64_t {
    for (int64_t r = l.registerTile / w * w; r >= w; r -= w)
      if (!divide || l.cacheTile % r == 0)
        return r;
    return 0;
  };
  if (int64_t r = preferDividing && !windowed ? multipleOf(width, true) : 0) {
    l.registerTile = r;
    return;
  }
  for (; width > 1; width /= 2)
    if (int64_t r = multipleOf(width, windowed)) {
      l.registerTile = r;
      return;
    }
  if (windowed)
    l.registerTile = largestDivisorAtMost(l.cacheTile, l.registerTile);
  width = 0;
}

bool isWindowed(const TaskSignature &t) {
  return t.family != OpFamily::Matmul && t.family != OpFamily::BatchMatmul;
}

int64_t at(const std::map<std::string, int64_t> &m, const std::string &k, int64_t dflt) {
  auto it = m.find(k);
  return it == m.end() ? dflt : it->second;
}

/// Fails when `s` sets a knob that `knobs` says the realizer fixes. (The
/// placement of an epilogue matters only to a task that has one; the MLIR
/// realizer vectorizes the whole register tile, whatever the width says.)
Status checkFixedKnobs(const TaskSignature &task, const Schedule &s,
                       const RealizerKnobs &knobs, Realizer r, const LoopNest &loops) {
  std::string who = std::string("the ") + realizerName(r) + " realizer";
  if (!task.epilogue.empty() && !knobs.realizesEpilogueAt(s.epilogueAt)) {
    std::string ats;
    for (const std::string &a : knobs.epilogueAts)
      ats += (ats.empty() ? "" : " or ") + a;
    return makeError(who + " computes the epilogue with epilogue_at " + ats +
                     ", not " + s.epilogueAt);
  }
  if (!knobs.realizesPacking(s.packing, s.packAt)) {
    std::string ps;
    for (const auto &[p, at] : knobs.packings)
      ps += (ps.empty() ? "" : " or ") + p + " at " + at;
    return makeError(who + " realizes packing " + ps + " here, not " +
                     s.packing + " at " + s.packAt);
  }
  if (!knobs.reductionSplit && s.reductionSplit != 1)
    return makeError(who + " does not split reductions (reduction_split " +
                     std::to_string(s.reductionSplit) + ")");
  if (!knobs.vectorWidth && !s.vectorDim.empty() && s.vectorDim != loops.vectorDim)
    return makeError(who + " vectorizes `" + loops.vectorDim + "`, not `" +
                     s.vectorDim + "`");
  if (!knobs.windowRows && at(s.tileInner, "oh", 1) != 1)
    return makeError(who + " computes one output row per register tile "
                           "(tile_inner oh 1, not " +
                     std::to_string(at(s.tileInner, "oh", 1)) + ")");
  return Status();
}

/// Every loop `s` names must be one of the task's.
Status checkLoopNames(const Schedule &s, const LoopNest &loops) {
  std::set<std::string> pure(loops.pure.begin(), loops.pure.end());
  std::set<std::string> all(pure);
  all.insert(loops.reduction.begin(), loops.reduction.end());
  for (const auto &[d, v] : s.tileOuter)
    if (!all.count(d))
      return makeError("tile_outer names `" + d + "`, not a loop of this task");
  for (const auto &[d, v] : s.tileInner)
    if (!pure.count(d))
      return makeError("tile_inner names `" + d + "`, not an output loop of this task");
  for (const auto &[d, v] : s.unroll)
    if (!all.count(d) || pure.count(d))
      return makeError("unroll names `" + d + "`, not a reduction loop of this task");
  if (!s.vectorDim.empty() && !pure.count(s.vectorDim))
    return makeError("vector_dim `" + s.vectorDim + "` is not an output loop");
  return Status();
}

/// The output loops' order (a permutation) and parallel prefix of `s`.
Status resolveOrder(const Schedule &s, const LoopNest &loops, LoopPlan &plan) {
  plan.order = s.order;
  if (plan.order.empty())
    plan.order.assign(loops.pure.rbegin(), loops.pure.rend());
  std::vector<std::string> a = plan.order, b = loops.pure;
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  if (a != b)
    return makeError("order must list every output loop exactly once");
  for (size_t i = 0; i < s.parallel.size(); ++i) {
    if (i >= plan.order.size() || s.parallel[i] != plan.order[i])
      return makeError("parallel loops must be the outermost loops of `order`");
    plan.parallel.push_back(s.parallel[i]);
  }
  return Status();
}

} // namespace

const PlanLoop *LoopPlan::find(const std::string &name) const {
  for (const PlanLoop &l : loops)
    if (l.name == name)
      return &l;
  return nullptr;
}

Schedule LoopPlan::schedule() const {
  Schedule s;
  for (const PlanLoop &l : loops) {
    if (l.cacheTile < l.extent)
      s.tileOuter[l.name] = l.cacheTile;
    if (l.reduction && l.registerTile > 1)
      s.unroll[l.name] = l.registerTile;
    if (!l.reduction && (l.registerTile > 1 || l.name == vectorDim))
      s.tileInner[l.name] = l.registerTile;
  }
  s.order = order;
  s.parallel = parallel;
  s.vectorDim = vectorDim;
  s.vectorWidth = vectorWidth;
  s.packing = packing;
  s.packAt = packAt;
  s.epilogueAt = epilogueAt;
  s.reductionSplit = reductionSplit;
  return s;
}

RealizerKnobs realizerKnobs(Realizer r, const TaskSignature &task) {
  RealizerKnobs k;
  if (r == Realizer::Halide)
    return k;
  k.vectorWidth = false;
  k.windowRows = false;
  k.epilogueAts = {"outer", "root"};
  bool padded = task.pad != std::array<int64_t, 4>{0, 0, 0, 0};
  bool inputs = isWindowed(task) && padded;
  k.packings = {{inputs ? "inputs" : "none", "root"}};
  if (task.family == OpFamily::Conv2d || task.family == OpFamily::Matmul)
    k.packings.push_back({inputs ? "both" : "weights", "outer"});
  k.reductionSplit = false;
  return k;
}

bool realizes(Realizer r, const TaskSignature &task) {
  if (describeLoops(task).pure.empty())
    return false;
  if (r == Realizer::Halide)
    return true;
  // f32, or s8 x s8 accumulated into i32 without zero points or requant
  // (what models' quantized linalg ops are); integer pooling is Halide's.
  bool f32 = task.inType == "f32" && task.effectiveWeightType() == "f32" &&
             task.effectiveOutType() == "f32";
  bool s8 = task.inType == "s8" && task.effectiveWeightType() == "s8" &&
            task.effectiveOutType() == "i32" && task.inputZeroPoint == 0 &&
            task.weightZeroPoint == 0 && task.epilogue.empty() &&
            task.family != OpFamily::PoolMax;
  if (!f32 && !s8)
    return false;
  for (const std::string &e : task.epilogue)
    if (e != "bias" && e != "relu" && e != "relu6" && e != "add")
      return false;
  std::string layout = task.effectiveLayout();
  switch (task.family) {
  case OpFamily::Matmul:
    return layout == "nn";
  case OpFamily::BatchMatmul:
    return layout == "nn";
  case OpFamily::Conv2d:
    return layout == "nhwc_hwcf";
  case OpFamily::DepthwiseConv2d:
    return layout == "nhwc_hwc";
  case OpFamily::PoolMax:
    return layout == "nhwc";
  default:
    return false;
  }
}

int64_t naturalVectorWidth(const TaskSignature &task, const TargetPreset &target) {
  LoopNest loops = describeLoops(task);
  if (loops.pure.empty())
    return 1;
  // Halide 14 emits 128-bit NEON on arm64 whatever the SVE width.
  int64_t vw = target.arch == "aarch64" ? 4 : target.vectorLanesF32();
  int64_t ev = loops.extent(loops.vectorDim);
  while (vw > 1 && vw > ev)
    vw /= 2;
  return vw;
}

Result<LoopPlan> resolvePlan(const TaskSignature &task, const Schedule &s, Realizer r,
                             const TargetPreset &target) {
  if (s.kind != "loopnest")
    return makeError("a schedule of kind `" + s.kind + "` is realized by Halide's "
                     "autoscheduler, not as a loop plan");
  if (!realizes(r, task))
    return makeError(std::string("the ") + realizerName(r) + " realizer has no "
                     "kernel for `" + task.canonical() + "`");
  LoopNest loops = describeLoops(task);
  if (Status st = checkLoopNames(s, loops); !st)
    return makeError(st.message());
  if (Status st = checkFixedKnobs(task, s, realizerKnobs(r, task), r, loops); !st)
    return makeError(st.message());
  LoopPlan plan;
  plan.realizer = r;
  if (Status st = resolveOrder(s, loops, plan); !st)
    return makeError(st.message());
  plan.vectorDim = s.vectorWidth > 1 ? s.vectorDim : "";
  plan.vectorWidth = plan.vectorDim.empty() ? 0 : s.vectorWidth;
  const bool windowed = isWindowed(task);
  // MLIR's packed weights are blocks of the register tile of their last
  // loop (the natural vector loop, f or n).
  const bool blocks = r == Realizer::Mlir && s.packsWeights();
  for (size_t i = 0; i < loops.pure.size(); ++i) {
    PlanLoop l{loops.pure[i], loops.pureExtents[i], false};
    l.cacheTile = cacheTileOf(at(s.tileOuter, l.name, 0), l.extent);
    bool vector = l.name == plan.vectorDim;
    int64_t asked = at(s.tileInner, l.name, vector ? plan.vectorWidth : 1);
    if (vector && asked % plan.vectorWidth != 0)
      return makeError("tile_inner[" + l.name + "] = " + std::to_string(asked) +
                       " is not a multiple of vector_width " +
                       std::to_string(plan.vectorWidth));
    l.registerTile = std::clamp<int64_t>(asked, 1, l.cacheTile);
    if (vector)
      // Halide 14 miscomputes (and may write past) the guarded last tile of
      // a vectorized update whose vector tile does not divide its loop
      // (matmul n=40 by 16 on AVX2; n=1000 by 128): its vector tiles divide
      // where they can.
      fitVectorTile(l, plan.vectorWidth, windowed || blocks,
                    r == Realizer::Halide);
    else if (windowed || (blocks && l.name == loops.vectorDim))
      l.registerTile = largestDivisorAtMost(l.cacheTile, l.registerTile);
    plan.loops.push_back(l);
  }
  if (plan.vectorWidth <= 1) {
    plan.vectorDim.clear();
    plan.vectorWidth = 0;
  }
  // The cache-tile loops are what run in parallel: the parallel prefix ends
  // at the first loop that is not tiled.
  size_t tiled = 0;
  while (tiled < plan.parallel.size() &&
         plan.find(plan.parallel[tiled])->cacheTile < plan.find(plan.parallel[tiled])->extent)
    ++tiled;
  plan.parallel.resize(tiled);
  for (PlanLoop &l : plan.loops)
    l.parallel = std::count(plan.parallel.begin(), plan.parallel.end(), l.name) > 0;
  for (size_t i = 0; i < loops.reduction.size(); ++i) {
    PlanLoop l{loops.reduction[i], loops.reductionExtents[i], true};
    l.cacheTile = cacheTileOf(at(s.tileOuter, l.name, 0), l.extent);
    int64_t u = std::clamp<int64_t>(at(s.unroll, l.name, 1), 1, l.cacheTile);
    if (l.name == "kh" || l.name == "kw")
      u = u > 1 ? l.cacheTile : 1;
    else if (windowed)
      u = largestDivisorAtMost(l.cacheTile, u);
    l.registerTile = u;
    plan.loops.push_back(l);
  }
  plan.packing = s.packing;
  plan.packAt = s.packAt;
  plan.epilogueAt = s.epilogueAt;
  plan.reductionSplit = s.reductionSplit;
  return plan;
}

Schedule adaptSchedule(const TaskSignature &task, Schedule s, Realizer r,
                       const TargetPreset &target) {
  LoopNest loops = describeLoops(task);
  std::set<std::string> pure(loops.pure.begin(), loops.pure.end());
  std::set<std::string> all(pure);
  all.insert(loops.reduction.begin(), loops.reduction.end());
  auto keepOnly = [](std::map<std::string, int64_t> &m, const std::set<std::string> &names) {
    for (auto it = m.begin(); it != m.end();)
      it = names.count(it->first) ? std::next(it) : m.erase(it);
  };
  keepOnly(s.tileOuter, all);
  keepOnly(s.tileInner, pure);
  std::set<std::string> reductions(loops.reduction.begin(), loops.reduction.end());
  keepOnly(s.unroll, reductions);
  RealizerKnobs knobs = realizerKnobs(r, task);
  int64_t width = naturalVectorWidth(task, target);
  if (!knobs.vectorWidth) {
    s.vectorDim = width > 1 ? loops.vectorDim : "";
    s.vectorWidth = width > 1 ? width : 0;
  }
  if (!knobs.windowRows)
    s.tileInner.erase("oh");
  if (!knobs.realizesEpilogueAt(s.epilogueAt))
    s.epilogueAt = knobs.epilogueAts.front();
  if (!knobs.realizesPacking(s.packing, s.packAt))
    std::tie(s.packing, s.packAt) = knobs.packings.front();
  if (!knobs.reductionSplit)
    s.reductionSplit = 1;
  return s;
}

Schedule defaultSchedule(const TaskSignature &task, const TargetPreset &target, Realizer r,
                         int threads) {
  Schedule s = adaptSchedule(task, heuristicSchedule(task, target, threads, r),
                             r, target);
  auto plan = resolvePlan(task, s, r, target);
  return plan ? plan->schedule() : s;
}

} // namespace tessel
