// Measuring one candidate schedule: compile, verify, time, in a child process.
//
// Each candidate runs in a forked child with a time limit and an address-space
// limit, so a candidate that crashes, aborts inside LLVM, hangs or runs out of
// memory kills only its child: the parent records it as failed (or timeout)
// with the reason and goes on. The child compiles the kernel (JIT), runs it
// once on the task's random inputs, compares the output with the reference
// (computed once by the parent and inherited through fork) and only then
// times it: warm-up, then repeats until the spread is small or a cap is hit.
// Samples during which the process did not get the CPU (CPU time / wall time
// below 0.9, a sign of a shared, busy machine) are dropped and taken again.
//
// The parent must not have started Halide's thread pool before forking (a
// child would inherit a pool without threads): measure() never runs a kernel
// in the calling process.
#ifndef TESSEL_TUNER_MEASURE_H
#define TESSEL_TUNER_MEASURE_H

#include "db/Database.h"
#include "db/Schedule.h"
#include "db/Signature.h"
#include "db/Target.h"
#include "kernels/Runner.h"

#include <atomic>
#include <memory>
#include <optional>
#include <string>

namespace tessel {

struct MeasureOptions {
  int threads = 1;            ///< HL_NUM_THREADS of the child
  double timeoutSec = 60;     ///< compile + verify + timing, per candidate
  int64_t memoryLimitBytes = int64_t(8) << 30; ///< RLIMIT_AS of the child
  int minRepeats = 5;
  int maxRepeats = 40;
  double targetSpread = 0.03; ///< stop repeating below this (p90-p10)/median
  double maxTimingSec = 1.0;  ///< stop repeating after this much timing
  double minSampleSec = 2e-3; ///< one sample batches calls to last this long
  /// Fault injection for tests: "crash", "abort", "hang", "wrong", "oom" make
  /// the child misbehave that way after compiling. Empty in real use.
  std::string inject;
  /// Set (e.g. by a SIGINT handler) to stop: the child is killed and the
  /// result is a failure saying so. Not owned; may be null.
  const std::atomic<bool> *cancel = nullptr;
};

/// What happened to one candidate.
struct MeasureResult {
  MeasureStatus status = MeasureStatus::Failed;
  std::optional<double> medianSec, minSec, spread, maxError;
  int repeats = 0;
  double compileSec = 0;
  std::string error; ///< reason for failed / wrong / timeout
};

/// A task's inputs and reference output, computed once and shared (through
/// fork) by every candidate's child.
class TaskFixture {
public:
  /// Fails if the task cannot be measured here (checkMeasurable), or if the
  /// reference (naive
  /// loops, computed in a child) fails or is not done by `deadline` (a
  /// steady-clock time in seconds, as now(); 0: no limit).
  static Result<std::shared_ptr<TaskFixture>>
  create(const TaskSignature &task, uint64_t seed = 1, double deadline = 0);
  const TaskSignature &task() const { return task_; }
  const std::vector<double> &reference() const { return reference_; }
  KernelArrays &arrays() { return arrays_; }
  double tolerance() const { return tolerance_; }

private:
  TaskSignature task_;
  KernelArrays arrays_;
  std::vector<double> reference_;
  double tolerance_ = 0;
};

/// Fails with the reason when `task` cannot be measured here: no candidate
/// could verify (checkTunable), or a fixture of it (its arrays, their values
/// as doubles and the reference output) would take more than half of this
/// machine's physical memory (naming the sizes).
Status checkMeasurable(const TaskSignature &task);

/// Seconds on the steady clock: the time base of deadlines here.
double steadyNow();

/// Measures `schedule` on `fixture` for `target` in a child process. Never
/// throws and never dies with the candidate: every outcome is a result.
MeasureResult measure(TaskFixture &fixture, const Schedule &schedule,
                      const TargetPreset &target, const MeasureOptions &options);

} // namespace tessel

#endif // TESSEL_TUNER_MEASURE_H
