// Measuring on a target this machine cannot run: `tessel tune --runner`.
//
// A batch of candidates is compiled ahead of time for the target (Halide, no
// runtime), linked statically with one Halide runtime, the task's inputs and
// reference output and the benchmark program (RemoteBench.c) by the target's
// C compiler, and run by the runner command, e.g.
//   qemu-aarch64 -cpu max,sve256=on {exe}
//   sh -c 'scp {exe} g3:/tmp/tessel-bench && ssh g3 /tmp/tessel-bench'
// ({exe} is replaced by the program's path; without it, the path is
// appended). The program verifies each candidate before timing it and prints
// JSON lines with the target's fingerprint and one result per candidate.
// A candidate that crashes the program is recorded as failed and the rest of
// the batch runs again without it; a runner that fails before the program
// starts (a lost connection, a dead target) fails the remaining candidates
// with its message. Runs under qemu (a runner naming qemu) are emulated:
// verified, but never used as timings.
#ifndef TESSEL_TUNER_REMOTE_H
#define TESSEL_TUNER_REMOTE_H

#include "db/Machine.h"
#include "db/Schedule.h"
#include "db/Target.h"
#include "tuner/Measure.h"

#include <memory>
#include <string>
#include <vector>

namespace tessel {

struct RemoteOptions {
  std::string runner;       ///< command template with {exe}
  double timeoutSec = 600;  ///< one run of the program (a whole batch)
};

class RemoteMeasurer {
public:
  /// Checks the runner: builds a program with no candidates, runs it and
  /// reads the target's fingerprint. Fails with the runner's error.
  static Result<std::unique_ptr<RemoteMeasurer>> create(const TargetPreset &target,
                                                        RemoteOptions options);
  ~RemoteMeasurer();

  /// The target's fingerprint, as its program reported it.
  const MachineFingerprint &machine() const { return machine_; }
  bool emulated() const { return machine_.emulated; }

  /// One result per schedule, in order. Never fails as a whole.
  std::vector<MeasureResult> measure(TaskFixture &fixture,
                                     const std::vector<Schedule> &schedules);

private:
  RemoteMeasurer() = default;
  struct Candidate {
    size_t index;       ///< into the batch
    std::string object; ///< its kernel object
  };
  /// Links the program for `candidates` (none: the probe) into `exe`.
  Status link(TaskFixture *fixture, const std::vector<Candidate> &candidates,
              const std::string &dir, const std::string &exe);
  /// The runner's command line for program `exe`.
  std::string command(const std::string &exe) const;

  TargetPreset target_;
  RemoteOptions options_;
  std::string cc_, work_, runtime_;
  MachineFingerprint machine_;
  int batches_ = 0;
};

} // namespace tessel

#endif // TESSEL_TUNER_REMOTE_H
