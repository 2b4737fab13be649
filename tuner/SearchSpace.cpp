// Sampling, mutation, crossover and repair of schedules.
#include "tuner/SearchSpace.h"

#include <algorithm>
#include <tuple>

namespace tessel {

namespace {

template <typename T> const T &pick(const std::vector<T> &v, Rng &rng) {
  return v[std::uniform_int_distribution<size_t>(0, v.size() - 1)(rng)];
}

bool coin(Rng &rng, double p = 0.5) {
  return std::uniform_real_distribution<double>(0, 1)(rng) < p;
}

} // namespace

SearchSpace::SearchSpace(const TaskSignature &task, const TargetPreset &target,
                         Realizer realizer)
    : task_(task), target_(target), realizer_(realizer),
      knobs_(realizerKnobs(realizer, task)), loops_(describeLoops(task)) {
  // Halide 14 emits 128-bit NEON on arm64 whatever the SVE width.
  lanes_ = target.arch == "aarch64" ? 4 : target.vectorLanesF32();
  int64_t ev = loops_.pure.empty() ? 1 : loops_.extent(loops_.vectorDim);
  while (lanes_ > 1 && lanes_ > ev)
    lanes_ /= 2;
  // 32 vector registers on AVX-512 and NEON/SVE, 16 on AVX2; keep a few for
  // operands.
  registerBudget_ = target.arch == "x86_64" && target.vectorBits < 512 ? 12 : 28;
  windowed_ = task.family != OpFamily::Matmul &&
              task.family != OpFamily::BatchMatmul;
  padded_ = windowed_ && task.pad != std::array<int64_t, 4>{0, 0, 0, 0};
  weighted_ = task.family != OpFamily::PoolMax && task.family != OpFamily::PoolAvg;
}

void SearchSpace::resample(Schedule &s, Knob knob, Rng &rng) const {
  const auto &pure = loops_.pure;
  switch (knob) {
  case Inner: {
    for (size_t i = 0; i < pure.size(); ++i) {
      const std::string &d = pure[i];
      int64_t e = loops_.pureExtents[i];
      if (d == loops_.vectorDim) {
        std::vector<int64_t> c;
        for (int64_t v = 1; v <= 4; ++v)
          if (v * lanes_ <= e)
            c.push_back(v * lanes_);
        s.tileInner[d] = c.empty() ? 1 : pick(c, rng);
        // Vectorize by the natural width, sometimes by twice it.
        s.vectorWidth = lanes_ * pick(std::vector<int64_t>{1, 1, 1, 2}, rng);
      } else {
        std::vector<int64_t> c;
        for (int64_t v : {1, 1, 2, 3, 4, 5, 6, 7, 8, 12, 16})
          if (v <= e)
            c.push_back(v);
        s.tileInner[d] = pick(c, rng);
      }
    }
    break;
  }
  case Outer:
    for (size_t i = 0; i < pure.size(); ++i) {
      const std::string &d = pure[i];
      int64_t e = loops_.pureExtents[i];
      int64_t r = s.tileInner.count(d) ? s.tileInner.at(d) : 1;
      std::vector<int64_t> c = {e};
      for (int64_t f = 1; f * r < e && f <= 64; f *= 2)
        c.push_back(f * r);
      s.tileOuter[d] = pick(c, rng);
    }
    break;
  case Order: {
    std::vector<std::string> o(pure.rbegin(), pure.rend());
    std::shuffle(o.begin(), o.end(), rng);
    s.order = o;
    break;
  }
  case Parallel: {
    int n = std::uniform_int_distribution<int>(0, pure.size() > 1 ? 2 : 1)(rng);
    s.parallel.clear();
    for (int i = 0; i < n && i < static_cast<int>(s.order.size()); ++i)
      s.parallel.push_back(s.order[i]);
    break;
  }
  case Unroll:
    s.unroll.clear();
    for (size_t i = 0; i < loops_.reduction.size(); ++i) {
      const std::string &r = loops_.reduction[i];
      int64_t e = loops_.reductionExtents[i];
      if (e <= 1)
        continue;
      if (r == "kw" || r == "kh") {
        if (e <= 7 && coin(rng, 0.7))
          s.unroll[r] = e;
      } else {
        int64_t f = pick(std::vector<int64_t>{1, 1, 2, 4, 8}, rng);
        if (f > 1 && f <= e)
          s.unroll[r] = f;
      }
    }
    break;
  case EpilogueAt:
    // The realizer's default placement most often, each other sometimes.
    s.epilogueAt = coin(rng, 0.7) ? knobs_.epilogueAts.front()
                                  : pick(knobs_.epilogueAts, rng);
    break;
  case Packing:
    if (!knobs_.packings.empty()) {
      std::tie(s.packing, s.packAt) = pick(knobs_.packings, rng);
      break;
    }
    s.packing = pick(std::vector<std::string>{"none", "none", "inputs",
                                              "weights", "both"},
                     rng);
    s.packAt = coin(rng) ? "root" : "outer";
    break;
  case RedBlock: {
    std::string r = mainReduction(loops_);
    if (!r.empty())
      s.tileOuter.erase(r);
    if (!r.empty() && s.epilogueAt != "inner" && coin(rng, 0.6)) {
      int64_t b = pick(std::vector<int64_t>{32, 64, 128, 256, 512}, rng);
      if (b < loops_.extent(r))
        s.tileOuter[r] = b;
    }
    break;
  }
  case Split: {
    std::string r = mainReduction(loops_);
    s.reductionSplit = 1;
    if (!r.empty() && coin(rng, 0.2)) {
      int64_t f = pick(std::vector<int64_t>{2, 4, 8}, rng);
      if (f <= loops_.extent(r))
        s.reductionSplit = f;
    }
    break;
  }
  case NumKnobs:
    break;
  }
}

void SearchSpace::copyKnob(Schedule &to, const Schedule &from, Knob knob) const {
  switch (knob) {
  case Inner:
    to.tileInner = from.tileInner;
    to.vectorWidth = from.vectorWidth;
    break;
  case Outer:
    for (const auto &d : loops_.pure) {
      if (from.tileOuter.count(d))
        to.tileOuter[d] = from.tileOuter.at(d);
      else
        to.tileOuter.erase(d);
    }
    break;
  case Order:
    to.order = from.order;
    break;
  case Parallel:
    to.parallel = from.parallel;
    break;
  case Unroll:
    to.unroll = from.unroll;
    break;
  case EpilogueAt:
    to.epilogueAt = from.epilogueAt;
    break;
  case Packing:
    to.packing = from.packing;
    to.packAt = from.packAt;
    break;
  case RedBlock: {
    std::string r = mainReduction(loops_);
    if (r.empty())
      break;
    if (from.tileOuter.count(r))
      to.tileOuter[r] = from.tileOuter.at(r);
    else
      to.tileOuter.erase(r);
    break;
  }
  case Split:
    to.reductionSplit = from.reductionSplit;
    break;
  case NumKnobs:
    break;
  }
}

bool SearchSpace::searched(Knob knob) const {
  switch (knob) {
  case EpilogueAt:
    return knobs_.epilogueAts.size() > 1;
  case Packing:
    return knobs_.packings.size() != 1;
  case Split:
    return knobs_.reductionSplit;
  default:
    return true;
  }
}

Schedule SearchSpace::sample(Rng &rng) const {
  Schedule s;
  s.epilogueAt = knobs_.epilogueAts.front();
  for (int k = 0; k < NumKnobs; ++k)
    if (searched(static_cast<Knob>(k)))
      resample(s, static_cast<Knob>(k), rng);
  return repair(s);
}

Schedule SearchSpace::mutate(const Schedule &in, Rng &rng) const {
  std::vector<Knob> knobs;
  for (int k = 0; k < NumKnobs; ++k)
    if (searched(static_cast<Knob>(k)))
      knobs.push_back(static_cast<Knob>(k));
  Schedule s = in;
  int n = std::uniform_int_distribution<int>(1, 3)(rng);
  for (int i = 0; i < n; ++i)
    resample(s, pick(knobs, rng), rng);
  return repair(s);
}

Schedule SearchSpace::crossover(const Schedule &a, const Schedule &b,
                                Rng &rng) const {
  Schedule s = a;
  for (int k = 0; k < NumKnobs; ++k)
    if (coin(rng))
      copyKnob(s, b, static_cast<Knob>(k));
  return repair(s);
}

Schedule SearchSpace::repair(Schedule s) const {
  s.kind = "loopnest";
  if (!knobs_.realizesEpilogueAt(s.epilogueAt))
    s.epilogueAt = knobs_.epilogueAts.front();
  s.autoscheduler.clear();
  s.params.clear();
  // Only knobs this space has (a schedule read from a database may carry
  // others).
  auto isPure = [&](const std::string &d) {
    return std::find(loops_.pure.begin(), loops_.pure.end(), d) !=
           loops_.pure.end();
  };
  auto isRed = [&](const std::string &d) {
    return std::find(loops_.reduction.begin(), loops_.reduction.end(), d) !=
           loops_.reduction.end();
  };
  for (auto it = s.tileInner.begin(); it != s.tileInner.end();)
    it = isPure(it->first) ? std::next(it) : s.tileInner.erase(it);
  for (auto it = s.tileOuter.begin(); it != s.tileOuter.end();)
    it = isPure(it->first) || it->first == mainReduction(loops_)
             ? std::next(it)
             : s.tileOuter.erase(it);
  for (auto it = s.unroll.begin(); it != s.unroll.end();)
    it = isRed(it->first) ? std::next(it) : s.unroll.erase(it);
  // Packing only of what the kernel has: a padded input, weights.
  bool inputs = s.packsInputs() && padded_;
  bool weights = s.packsWeights() && weighted_;
  s.packing = inputs && weights ? "both"
              : inputs          ? "inputs"
              : weights         ? "weights"
                                : "none";
  const std::string &vd = loops_.vectorDim;
  // Vector width: the natural one or twice it (within the extent).
  int64_t width = lanes_;
  if (lanes_ > 1) {
    if (s.vectorWidth == 2 * lanes_ && 2 * lanes_ <= loops_.extent(vd))
      width = 2 * lanes_;
    s.vectorDim = vd;
    s.vectorWidth = width;
  } else {
    s.vectorDim.clear();
    s.vectorWidth = 0;
  }
  // Register tile: legal sizes, within the register budget.
  for (size_t i = 0; i < loops_.pure.size(); ++i) {
    const std::string &d = loops_.pure[i];
    int64_t e = loops_.pureExtents[i];
    int64_t r = s.tileInner.count(d) ? s.tileInner.at(d) : 1;
    r = std::max<int64_t>(1, std::min(r, e));
    if (d == vd && lanes_ > 1)
      r = std::max<int64_t>(width, r / width * width);
    s.tileInner[d] = r;
  }
  auto accumulators = [&] {
    int64_t n = 1;
    for (const auto &[d, r] : s.tileInner)
      n *= (d == vd && lanes_ > 1) ? r / lanes_ : r;
    return n;
  };
  while (accumulators() > registerBudget_) {
    // Shrink the largest non-vector register tile (or the vector one).
    std::string largest;
    int64_t best = 1;
    for (const auto &[d, r] : s.tileInner)
      if (d != vd && r > best) {
        best = r;
        largest = d;
      }
    if (!largest.empty())
      s.tileInner[largest] = best / 2;
    else if (s.tileInner[vd] > width)
      s.tileInner[vd] -= width;
    else
      break;
  }
  for (auto it = s.tileInner.begin(); it != s.tileInner.end();)
    it = it->second <= 1 && it->first != vd ? s.tileInner.erase(it) : std::next(it);
  // Cache tiles: multiples of the register tile, within the extent.
  for (size_t i = 0; i < loops_.pure.size(); ++i) {
    const std::string &d = loops_.pure[i];
    int64_t e = loops_.pureExtents[i];
    int64_t r = s.tileInner.count(d) ? s.tileInner.at(d) : 1;
    if (!s.tileOuter.count(d))
      continue;
    int64_t t = std::max(r, s.tileOuter.at(d) / r * r);
    if (t >= e)
      s.tileOuter.erase(d);
    else
      s.tileOuter[d] = t;
  }
  // Reduction split: a divisor count within the main reduction's extent,
  // never together with blocking of that loop.
  std::string mainRed = mainReduction(loops_);
  if (mainRed.empty() || s.reductionSplit < 1 ||
      s.reductionSplit > loops_.extent(mainRed))
    s.reductionSplit = 1;
  if (s.reductionSplit > 1)
    s.tileOuter.erase(mainRed);
  // Reduction blocking only with the accumulator outside registers.
  for (const auto &r : loops_.reduction)
    if (s.tileOuter.count(r) &&
        (s.epilogueAt == "inner" || s.tileOuter.at(r) >= loops_.extent(r)))
      s.tileOuter.erase(r);
  // Order: a permutation of the output loops; parallel a prefix of it.
  std::vector<std::string> sorted = s.order, pure = loops_.pure;
  std::sort(sorted.begin(), sorted.end());
  std::sort(pure.begin(), pure.end());
  if (sorted != pure)
    s.order.assign(loops_.pure.rbegin(), loops_.pure.rend());
  // Parallel loops: a prefix of the order, each with a cache tile smaller
  // than its extent (those loops are what runs in parallel).
  size_t np = std::min(s.parallel.size(), s.order.size());
  s.parallel.clear();
  for (size_t i = 0; i < np; ++i) {
    const std::string &d = s.order[i];
    int64_t e = loops_.extent(d);
    int64_t r = s.tileInner.count(d) ? s.tileInner.at(d) : 1;
    if (!s.tileOuter.count(d)) {
      int64_t t = std::max(r, (e + 7) / 8 / r * r);
      if (t >= e)
        break;
      s.tileOuter[d] = t;
    }
    s.parallel.push_back(d);
  }
  for (auto it = s.unroll.begin(); it != s.unroll.end();)
    it = it->second <= 1 ? s.unroll.erase(it) : std::next(it);
  fixPackAt(s);
  // The knobs the realizer fixes, then the tiles as the plan rounds them.
  s = adaptSchedule(task_, s, realizer_, target_);
  if (auto plan = resolvePlan(task_, s, realizer_, target_))
    s = plan->schedule();
  fixPackAt(s);
  return s;
}

void SearchSpace::fixPackAt(Schedule &s) const {
  // Per-tile packing only where the realizer can do it (a cache tile exists
  // and the accumulator is not a pass of its own); weights are only worth
  // copying per tile (a whole copy is the same dense array again).
  bool anyTile = false;
  for (const auto &d : loops_.pure)
    anyTile = anyTile || s.tileOuter.count(d);
  if (s.packing == "none" || s.packAt != "outer" || !anyTile ||
      s.epilogueAt == "root")
    s.packAt = "root";
  if (s.packAt == "root" && s.packing == "weights")
    s.packing = "none";
  if (s.packAt == "root" && s.packing == "both")
    s.packing = "inputs";
}

} // namespace tessel
