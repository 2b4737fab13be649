// Measuring a batch of candidates in a benchmark program: how the MLIR
// realizer is measured (its candidates compiled by the tessel-compile
// pipeline, as a model's ops are), and how either realizer is measured on a
// machine this one cannot run code for (`tessel tune --runner`).
//
// The candidates are compiled ahead of time for the target: Halide kernels
// (without runtime) one object each, or the MLIR candidates as one module of
// one-op functions (kernels/TaskMlir.h) through db/Toolchain.h, one object. A
// batch that does not compile is compiled candidate by candidate, so that
// only the culprits fail. The objects are linked with the task's inputs and
// reference output and the benchmark program (BenchProgram.c), which
// verifies each candidate before timing it and prints JSON lines: the
// machine's fingerprint, then one result per candidate.
//
// The program runs here (with a memory limit) or through a runner command:
//   qemu-aarch64 -cpu max,sve256=on {exe}
//   sh -c 'scp {exe} g3:/tmp/tessel-bench && ssh g3 /tmp/tessel-bench'
// ({exe} is replaced by the program's path; without it, the path is
// appended). A candidate that crashes the program fails, one that overruns
// its time limit (the program's alarm) times out, and the rest of the batch
// runs again without it; a runner that fails before the program starts
// fails the remaining candidates with its message. Runs under qemu (a runner
// naming qemu, or a program that finds itself emulated) are emulated:
// verified, but never used as timings.
#ifndef TESSEL_TUNER_PROGRAMMEASURE_H
#define TESSEL_TUNER_PROGRAMMEASURE_H

#include "db/Database.h"
#include "db/Machine.h"
#include "db/Realizer.h"
#include "db/Schedule.h"
#include "db/Target.h"
#include "tuner/Measure.h"

#include <memory>
#include <string>
#include <vector>

namespace tessel {

struct ProgramOptions {
  /// The runner command template with {exe}; empty: the program runs here.
  std::string runner;
  Realizer realizer = Realizer::Halide; ///< what compiles the candidates
  int threads = 1;                 ///< threads the candidates run on
  double programTimeoutSec = 600;  ///< one run of the program (a batch)
  double candidateTimeoutSec = 60; ///< one candidate: verification and timing
  /// The program's address-space limit when it runs here (0: none).
  int64_t memoryLimitBytes = int64_t(8) << 30;
  /// Fault injection for tests, as MeasureOptions::inject.
  std::string inject;
  /// Each timed call follows a sweep of this many bytes through the caches
  /// (twice the L2: as between a model's ops); 0: calls timed in a warm loop.
  int64_t sweepBytes = 0;
  /// With a sweep, the task's constants (weights, bias) are also evicted to
  /// memory before each timed call (constantsOutgrowCache() decides).
  bool evictConstants = true;
};

class ProgramMeasurer {
public:
  /// Prepares the compiler and, with a runner, checks it: builds a program
  /// with no candidates, runs it and reads the target's fingerprint. Fails
  /// with the missing tool or the runner's error.
  static Result<std::unique_ptr<ProgramMeasurer>> create(const TargetPreset &target,
                                                         ProgramOptions options);
  ~ProgramMeasurer();

  /// With a runner: the target's fingerprint as its program reported it.
  const MachineFingerprint &machine() const { return machine_; }
  bool emulated() const { return machine_.emulated; }
  /// ProgramOptions::sweepBytes, once the target is known.
  void setSweepBytes(int64_t bytes) { options_.sweepBytes = bytes; }
  void setEvictConstants(bool evict) { options_.evictConstants = evict; }
  /// How the timed calls find the caches: what a record says of its time.
  CacheState cacheState() const {
    if (options_.sweepBytes <= 0)
      return CacheState::Warm;
    return options_.evictConstants ? CacheState::Cold : CacheState::Swept;
  }

  /// One result per schedule, in order. Never fails as a whole.
  std::vector<MeasureResult> measure(TaskFixture &fixture,
                                     const std::vector<Schedule> &schedules);

private:
  ProgramMeasurer() = default;
  struct Candidate {
    size_t index;       ///< into the batch (the function is tessel_k<index>)
    std::string object; ///< the object that defines it
  };
  /// Compiles the batch's candidates into objects in `dir`; those that do not
  /// compile get their error in `results`.
  std::vector<Candidate> compile(const TaskSignature &task,
                                 const std::vector<Schedule> &schedules,
                                 const std::string &dir,
                                 std::vector<MeasureResult> &results);
  /// The MLIR candidates `index` of the batch, in one object if they compile
  /// together, else one each.
  std::vector<Candidate> compileMlir(const TaskSignature &task,
                                     const std::vector<Schedule> &schedules,
                                     const std::vector<size_t> &index, const std::string &dir,
                                     std::vector<MeasureResult> &results);
  /// Links the program for `candidates` (none: the probe) into `exe`.
  Status link(TaskFixture *fixture, const std::vector<Candidate> &candidates,
              const std::string &dir, const std::string &exe);
  /// Runs the program of `pending` until every candidate has a result.
  void runAll(TaskFixture &fixture, std::vector<Candidate> pending, const std::string &dir,
              std::vector<MeasureResult> &results);
  /// The command line that runs program `exe`.
  std::string command(const std::string &exe) const;

  TargetPreset target_;
  ProgramOptions options_;
  std::string cc_, work_, runtime_;
  MachineFingerprint machine_;
  int batches_ = 0;
};

} // namespace tessel

#endif // TESSEL_TUNER_PROGRAMMEASURE_H
