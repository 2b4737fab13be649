// The coverage of a compiled model: how each of its compute ops is lowered
// (the schedule record it uses, the code that realizes it, the time that
// record measured). tessel-apply-schedules builds it; the compile report
// (report.txt, tessel compile --json) is rendered from it.
#ifndef TESSEL_DB_COVERAGE_H
#define TESSEL_DB_COVERAGE_H

#include "db/Status.h"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace tessel {

/// One compute op of the model.
struct CoverageEntry {
  std::string location; ///< the op's MLIR location: loc("m.mlir":54:10)
  /// tuned, nearest, default, none (a task with no schedule), given (the
  /// input carried one), or untiled (an op that is no task).
  std::string source;
  std::string scheduleId = "-"; ///< the record's id; the schedule's hash
  /// A task: its canonical signature. Untiled: the op's name and loops,
  /// "linalg.generic 1x8x8x64 (4 parallel, 0 reduction loops)".
  std::string op;
  std::string code;   ///< mlir, halide or upstream (the untiled loops)
  std::string kernel; ///< with code halide: the C function called
  std::optional<double> measuredSec; ///< the chosen record's median
  std::string note;                  ///< why the choice fell back, if it did

  /// "tuned 6f6b2b0a92ff conv2d ... [mlir] measured 38.1 us (note)".
  std::string line() const;
};

struct Coverage {
  std::string target;
  std::vector<CoverageEntry> ops; ///< in program order

  /// Ops per source: tuned, nearest, default, given, none, untiled.
  std::map<std::string, int> counts() const;
  /// "summary: tuned=3 nearest=0 default=1 given=0 none=0 untiled=2".
  std::string summaryLine() const;
  /// "target T", one "LOCATION: line" per op, then the summary line.
  std::string text() const;
  /// {"target", "ops": [{location, source, schedule_id, op, code, kernel,
  /// measured_s, note}], "summary": {source: count}}.
  std::string toJson() const;
  static Result<Coverage> fromJson(const std::string &text);
};

} // namespace tessel

#endif // TESSEL_DB_COVERAGE_H
