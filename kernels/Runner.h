// Compiling a kernel with a schedule for a target (JIT), binding its arrays
// and running it. Used by the tuner's measurement child processes, by tests
// and by the benchmarks.
#ifndef TESSEL_KERNELS_RUNNER_H
#define TESSEL_KERNELS_RUNNER_H

#include "db/Schedule.h"
#include "db/Status.h"
#include "db/Target.h"
#include "kernels/Kernel.h"

#include <memory>
#include <vector>

namespace tessel {

/// The arrays of one kernel call, row-major, in kernelArrays() order (the
/// output last), each stored as raw bytes of its element type.
struct KernelArrays {
  std::vector<ArraySpec> specs;
  std::vector<std::vector<uint8_t>> bytes;

  /// Allocates the arrays of `task`, inputs filled from a generator seeded
  /// with `seed` (deterministic): f32 uniform in [-1, 1), u8/s8 over their
  /// whole range, i32 (bias) in [-1000, 1000]; output zero.
  static KernelArrays random(const TaskSignature &task, uint64_t seed);
  void *data(size_t i) { return bytes[i].data(); }
  /// The elements of array `i` as doubles.
  std::vector<double> values(size_t i) const;
  /// values() of every input (the reference's arguments).
  std::vector<std::vector<double>> inputValues() const;
  /// Overwrites the output with a pattern no kernel writes (NaN for f32), so
  /// that an element the kernel skips is caught.
  void poisonOutput();
  std::vector<double> outputValues() const { return values(specs.size() - 1); }
};

/// Maximum absolute difference of two equally long arrays; +inf when either
/// has a NaN where the other does not, or the lengths differ.
double maxAbsError(const std::vector<double> &a, const std::vector<double> &b);

/// A kernel compiled for one target with one schedule.
class CompiledKernel {
public:
  /// Defines the kernel of `task`, applies `schedule` (a loop nest through
  /// the realizer, or Halide's autoscheduler for kind "autoscheduler") and
  /// JIT-compiles it for the target's Halide target string. `threads` is the
  /// parallelism the autoschedulers assume. Every Halide error becomes a
  /// message.
  static Result<std::unique_ptr<CompiledKernel>>
  compile(const TaskSignature &task, const Schedule &schedule,
          const TargetPreset &target, int threads);

  /// Binds `arrays` (whose shapes must be kernelArrays(task)) for run().
  Status bind(KernelArrays &arrays);
  /// Runs the kernel once on the bound arrays.
  Status run();
  /// The schedule Halide's autoscheduler chose (kind autoscheduler only).
  const std::string &autoscheduleSource() const { return source_; }

private:
  Kernel kernel_;
  Halide::Pipeline pipeline_;
  Halide::Target target_;
  Halide::Buffer<> out_;
  std::string source_;
};

/// Loads Halide's autoscheduler plugins once per process; fails naming the
/// plugin that could not be loaded.
Status loadAutoschedulers();

} // namespace tessel

#endif // TESSEL_KERNELS_RUNNER_H
