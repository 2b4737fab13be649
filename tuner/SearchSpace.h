// The search space of schedules for one task on one target.
//
// Knobs, generated from the task's loop nest (kernels/Loops.h) and the
// target's vector width and register count:
//   vector width    the natural width, or twice it
//   register tile   tile_inner of the vector loop: 1-4 vectors; of each other
//                   output loop: 1-8, 12, 16 (accumulators <= the register
//                   budget)
//   cache tile      tile_outer per output loop: a power-of-two multiple of the
//                   register tile, or the whole extent
//   loop order      any permutation of the output loops
//   parallel        none, the outermost loop, or the two outermost
//   unroll          reduction loops: kh/kw fully or not; k/c by 1, 2, 4, 8
//   epilogue_at     inner (accumulator in registers), outer (per cache tile)
//                   or root (a pass of its own); outer and root may block the
//                   main reduction loop by 32-512
//   packing         padded input and/or weights inline or copied into a
//                   buffer, once per call or per cache tile
//   reduction split the k (or c) loop cut into 2, 4 or 8 chunks summed in
//                   parallel (rfactor), for outputs too small to parallelize
// A space is made for one realizer and offers only the knobs it realizes
// (kernels/Plan.h): for MLIR the vector width, the output rows of windowed
// register tiles and reduction split are fixed, epilogue_at is outer or
// root, and packing is the padded input's (if any) with or without the
// weights per cache tile (conv2d and matmul).
// Every schedule sample(), mutate() and crossover() return has been through
// repair(), so it is legal by construction (checkSchedule() accepts it) and
// it is the schedule of its own loop plan: what is measured is what it says.
#ifndef TESSEL_TUNER_SEARCHSPACE_H
#define TESSEL_TUNER_SEARCHSPACE_H

#include "db/Realizer.h"
#include "db/Schedule.h"
#include "db/Signature.h"
#include "db/Target.h"
#include "kernels/Loops.h"
#include "kernels/Plan.h"

#include <random>

namespace tessel {

using Rng = std::mt19937_64;

class SearchSpace {
public:
  SearchSpace(const TaskSignature &task, const TargetPreset &target,
              Realizer realizer = Realizer::Halide);

  /// A uniformly random point.
  Schedule sample(Rng &rng) const;
  /// `s` with 1-3 knobs resampled.
  Schedule mutate(const Schedule &s, Rng &rng) const;
  /// Each knob from `a` or `b` with equal probability.
  Schedule crossover(const Schedule &a, const Schedule &b, Rng &rng) const;
  /// Makes `s` legal: tiles clamped to extents and made multiples of the
  /// register tile, the register budget respected, parallel loops a prefix
  /// of the order, the knobs the realizer fixes set, and the whole resolved
  /// into the schedule of its loop plan.
  Schedule repair(Schedule s) const;
  Realizer realizer() const { return realizer_; }

  const LoopNest &loops() const { return loops_; }
  const TaskSignature &task() const { return task_; }
  int vectorLanes() const { return lanes_; }

private:
  /// Knob identifiers, for mutation and crossover.
  enum Knob { Inner, Outer, Order, Parallel, Unroll, EpilogueAt, Packing,
              RedBlock, Split, NumKnobs };
  void resample(Schedule &s, Knob knob, Rng &rng) const;
  void copyKnob(Schedule &to, const Schedule &from, Knob knob) const;
  /// A knob the realizer realizes (the others keep their fixed value).
  bool searched(Knob knob) const;
  /// Per-tile packing only where there is a cache tile to pack for.
  void fixPackAt(Schedule &s) const;

  TaskSignature task_;
  TargetPreset target_;
  Realizer realizer_;
  RealizerKnobs knobs_;
  LoopNest loops_;
  int lanes_ = 1;        ///< vector width in elements (1: no vectorization)
  int registerBudget_ = 28;
  bool windowed_ = false;
  bool padded_ = false; ///< windowed with padding: input packing is a knob
  bool weighted_ = false; ///< has weights: weight packing is a knob
};

} // namespace tessel

#endif // TESSEL_TUNER_SEARCHSPACE_H
