// A tuning session: for each task, seeds (the realizer's built-in default,
// and as reference points Halide's Adams2019 and Mullapudi2016
// autoschedulers), then evolutionary search, every candidate measured in
// isolation and committed to the database as soon as it is measured.
//
// A task is tuned for the realizer that will run it: the MLIR realizer (the
// loops `tessel compile` emits) wherever it applies, its candidates compiled
// by the compile pipeline; Halide's kernels otherwise (or --realizer halide),
// compiled ahead of time. Either way a batch runs in a benchmark program
// (ProgramMeasure.h) that times each call after sweeping the caches, as a
// model runs it. Halide's autoschedulers, reference points only, run in its
// JIT in isolated children (Measure.h). Every record names its realizer and
// how it was timed.
//
// Resuming: the trial budget counts what the database already holds for the
// (task, target); stored candidates are fed to the search and never measured
// again, so re-running an interrupted command continues where it stopped.
// Ctrl-C stops after the candidate being measured and loses nothing finished.
//
// Map of tuner/:
//   Session.h      this file: the session loop, budgets, summaries
//   Search.h       evolutionary search and the cost-model seam
//   SearchSpace.h  knobs per family, sampling, mutation, crossover, repair
//   Measure.h      isolated measurement in Halide's JIT (the autoschedulers)
//   ProgramMeasure.h  candidates compiled ahead of time (MLIR, or for a
//                  runner) and measured in a benchmark program
//   Peak.h         measured FMA peak for "% of peak"
//   Progress.h     the per-task progress bar
#ifndef TESSEL_TUNER_SESSION_H
#define TESSEL_TUNER_SESSION_H

#include "db/Database.h"
#include "db/TasksFile.h"
#include "db/Target.h"
#include "tuner/Measure.h"
#include "tuner/ProgramMeasure.h"
#include "tuner/Search.h"

#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace tessel {

struct TuneOptions {
  int trials = 0;           ///< per task, counting stored ones; 0: no limit
  double timeBudgetSec = 0; ///< whole session; 0: no limit
  int threads = 1;
  uint64_t seed = 1;
  int batchSize = 8;
  bool autoschedulers = true; ///< measure Adams2019 and Mullapudi2016 seeds
  /// "evolutionary", or "random" (every proposal sampled at random: the
  /// baseline the search is compared with).
  std::string search = "evolutionary";
  MeasureOptions measure;
  double peakGflopsPerCore = 0; ///< for "% of peak"; measured when 0
  /// Ranks proposals when set (the seam for a learned model); not owned.
  CostModel *costModel = nullptr;
  /// Measure on another machine through this runner command
  /// (ProgramMeasure.h); empty: on this machine, in isolated children.
  std::string runner;
  /// "auto" (the MLIR realizer wherever it applies, else Halide), "mlir" or
  /// "halide": which code the candidates are measured as.
  std::string realizer = "auto";
  double runnerTimeoutSec = 600; ///< one run of a batch's program
};

/// What one task's tuning achieved (including earlier sessions' records).
struct TaskSummary {
  TaskSignature task;
  int64_t count = 1;       ///< occurrences in the model
  int stored = 0;          ///< trials in the database before this session
  int measured = 0;        ///< trials measured now
  int failed = 0, wrong = 0, timeouts = 0;
  std::optional<double> best, heuristic, adams2019, mullapudi2016; ///< seconds
  std::string note; ///< why a task was skipped, if it was
  Realizer realizer = Realizer::Mlir; ///< the realizer tuned
};

/// The bytes of the tasks' constants (weights and bias), each task's times
/// its count: what a model of these tasks holds.
int64_t constantBytes(const TasksFile &tasks);
/// The machine's last-level cache: its L3, else its L2.
int64_t lastLevelCacheBytes(const MachineFingerprint &machine);
/// Whether a model's constants of `bytes` outgrow the machine's cache (more
/// than half its last level, or a cache of unknown size): then the model
/// reads its weights from memory on every call and candidates are timed with
/// them evicted ('cold'); else they stay cached from one call to the next,
/// and candidates are timed with the caches swept only ('swept').
bool constantsOutgrowCache(int64_t bytes, const MachineFingerprint &machine);

class TuneSession {
public:
  TuneSession(Database &db, TargetPreset target, TuneOptions options,
              std::string command, std::ostream &log);
  ~TuneSession();

  /// Tunes every task; fails only when the database cannot be written (then
  /// everything measured before is already committed).
  Result<std::vector<TaskSummary>> run(const TasksFile &tasks);

  double peakGflops() const { return peak_; }

private:
  friend class TaskTuner;
  /// Tunes one task until `deadline` (0: none); with `defaultOnly`, only
  /// measures the realizer's default if it has no record.
  Status tuneTask(TaskSummary &summary, double deadline, int taskIndex, int taskCount,
                  bool defaultOnly);
  /// How the time budget is split: with one, every task's default is
  /// measured first and a task weighs count x its default's time; else its
  /// FLOPs x count.
  std::vector<double> taskWeights(const TasksFile &tasks);
  /// Measures the FMA peak again and keeps the higher figure.
  void remeasurePeak();
  /// The task's inputs and reference output, computed once per session.
  Result<std::shared_ptr<TaskFixture>> fixtureOf(const TaskSignature &task,
                                                 double deadline,
                                                 const std::string &label);
  /// The realizer a task is tuned for (options_.realizer).
  Result<Realizer> realizerFor(const TaskSignature &task) const;
  /// The benchmark programs the tasks need (one per realizer that is not
  /// measured by the Halide JIT here); with a runner, checks it.
  Status prepareMeasurers(const TasksFile &tasks);
  /// Candidates' weights and biases evicted before each timed call, or left
  /// cached, as a model of these tasks holds them (constantsOutgrowCache).
  void timeConstantsAsTheModelHoldsThem(const TasksFile &tasks);
  /// The benchmark program of realizer `r`, or null for the Halide JIT.
  ProgramMeasurer *programFor(Realizer r);

  Database &db_;
  TargetPreset target_;
  TuneOptions options_;
  std::string command_;
  std::ostream &log_;
  MachineFingerprint machine_;
  std::map<Realizer, std::unique_ptr<ProgramMeasurer>> programs_;
  std::map<std::string, std::shared_ptr<TaskFixture>> fixtures_;
  std::map<std::string, std::string> fixtureErrors_; ///< by task hash
  std::string session_;
  double peak_ = 0; ///< GFLOP/s with options_.threads cores
};

/// True once SIGINT has been received (the session installs the handler).
bool tuneInterrupted();

} // namespace tessel

#endif // TESSEL_TUNER_SESSION_H
