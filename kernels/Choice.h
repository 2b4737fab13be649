// The record-choice policy: which schedule, realized by which realizer, an op
// of a task gets from a database. tessel-apply-schedules (and through it
// `tessel compile`) and `tessel aot` use it; nothing else decides.
//
// For a task, on the model's thread count:
//   tuned    the fastest verified native record of the task among the
//            realizations the build can emit (RealizerSet), measured on that
//            many threads; with HalideFirst, a Halide record wins whenever
//            there is one (`--kernels halide`);
//   nearest  else the MLIR record of the nearest task of the family on the
//            target (same layout, types, window and thread count), its
//            schedule adapted to this task: a guess, never called tuned;
//   default  else the MLIR realizer's built-in default;
//   none     when the MLIR realizer cannot realize the task (the op is left
//            to the upstream lowering).
// A record of a realizer the build does not emit is never used, and the
// choice says so (`note`).
#ifndef TESSEL_KERNELS_CHOICE_H
#define TESSEL_KERNELS_CHOICE_H

#include "db/Queries.h"
#include "db/Realizer.h"
#include "db/Schedule.h"
#include "db/Signature.h"
#include "db/Target.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace tessel {

/// The realizations a build can emit.
enum class RealizerSet {
  MlirOnly,    ///< `--kernels mlir`: MLIR loops only
  HalideFirst, ///< `--kernels halide`: a tuned Halide kernel wherever there is one
  Fastest,     ///< `--kernels auto`: per op, the faster measured realization
};

struct ScheduleChoice {
  std::string source; ///< "tuned", "nearest", "default" or "none"
  Realizer realizer = Realizer::Mlir;
  Schedule schedule;
  std::string id; ///< the schedule hash's first 12 digits
  std::optional<double> medianSec; ///< tuned: the record's measured median
  std::string note; ///< e.g. a record that was not used, and why
};

/// How far apart two tasks of one family are: the summed log-ratio of their
/// dimensions, or infinity when they differ in anything but dimensions.
double taskDistance(const TaskSignature &a, const TaskSignature &b);

class RecordChooser {
public:
  /// `best`: the best records of `target` (queryBest rows of every
  /// realizer); only those measured on `threads` threads are used.
  RecordChooser(const std::vector<MeasurementRow> &best, TargetPreset target,
                int64_t threads);
  ScheduleChoice choose(const TaskSignature &task, RealizerSet emit) const;

private:
  std::optional<ScheduleChoice> tuned(const TaskSignature &task, RealizerSet emit,
                                      std::string &note) const;
  std::optional<ScheduleChoice> nearest(const TaskSignature &task) const;

  TargetPreset target_;
  int64_t threads_;
  std::vector<std::pair<TaskSignature, MeasurementRow>> rows_;
};

} // namespace tessel

#endif // TESSEL_KERNELS_CHOICE_H
