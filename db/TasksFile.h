// The tasks file: the kernels of a model, as `tessel-opt
// --tessel-extract-tasks` writes them and `tessel tune --tasks` reads them.
//
//   {
//     "format": "tessel-tasks", "version": 1,
//     "model": "resnet18.mlir",
//     "tasks": [
//       {"signature": "conv2d n=1 h=56 ...", "hash": "3f1c...", "count": 4,
//        "flops": 231211008.0}
//     ]
//   }
//
// `signature` is canonical text and `hash` its SHA-256; `count` is how many
// times the kernel occurs in the model (a weight for splitting a tuning
// budget); `flops` is per occurrence. Reading re-parses every signature and
// checks its hash, and accepts non-canonical signatures written by hand
// without a hash.
#ifndef TESSEL_DB_TASKSFILE_H
#define TESSEL_DB_TASKSFILE_H

#include "db/Signature.h"
#include "db/Status.h"

#include <string>
#include <unordered_map>
#include <vector>

namespace tessel {

struct TaskEntry {
  TaskSignature signature;
  int64_t count = 1;
};

struct TasksFile {
  std::string model; ///< where the tasks came from (informational)
  std::vector<TaskEntry> tasks;

  /// JSON text of this file (tasks in the order given).
  std::string toJson() const;
  /// Parses tasks-file JSON; fails naming the entry and the problem.
  static Result<TasksFile> fromJson(const std::string &text);
  /// Reads and parses a file; the message names the path.
  static Result<TasksFile> read(const std::string &path);
  /// Adds `count` occurrences of `sig`, merging with an equal signature.
  void add(const TaskSignature &sig, int64_t count = 1);

  /// The largest count an entry of a file may give (2^40: the sums of a
  /// file's counts cannot wrap).
  static constexpr int64_t kMaxCount = int64_t(1) << 40;

private:
  std::unordered_map<std::string, size_t>
      index_; ///< canonical text -> tasks index
};

} // namespace tessel

#endif // TESSEL_DB_TASKSFILE_H
