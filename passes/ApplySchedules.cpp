// tessel-apply-schedules: the schedule each tunable op will use, from the
// database (tuned, or nearest task of the family) or the built-in heuristic.
#define GEN_PASS_DEF_APPLYSCHEDULES
#include "passes/PassDetail.h"
#include "passes/TaskMatch.h"

#include "db/Database.h"
#include "db/Queries.h"
#include "db/Schedule.h"
#include "db/Target.h"
#include "kernels/Heuristic.h"
#include "kernels/Loops.h"

#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <fstream>
#include <limits>
#include <map>

using namespace mlir;

namespace tessel {
namespace {

/// How far apart two tasks of one family are: the summed log-ratio of their
/// dimensions, or infinity when they differ in anything but dimensions
/// (layout, types, window, epilogue).
double taskDistance(const TaskSignature &a, const TaskSignature &b) {
  const double inf = std::numeric_limits<double>::infinity();
  if (a.family != b.family || a.effectiveLayout() != b.effectiveLayout() ||
      a.inType != b.inType || a.effectiveWeightType() != b.effectiveWeightType() ||
      a.effectiveOutType() != b.effectiveOutType() || a.stride != b.stride ||
      a.dilation != b.dilation || a.dims.size() != b.dims.size())
    return inf;
  double d = 0;
  const auto &names = familyDims(a.family);
  for (size_t i = 0; i < a.dims.size(); ++i) {
    // A different filter window is a different loop nest.
    if ((names[i] == "kh" || names[i] == "kw") && a.dims[i] != b.dims[i])
      return inf;
    d += std::fabs(std::log(double(a.dims[i]) / double(b.dims[i])));
  }
  if ((a.pad == std::array<int64_t, 4>{0, 0, 0, 0}) !=
      (b.pad == std::array<int64_t, 4>{0, 0, 0, 0}))
    d += 0.5;
  if (a.epilogue != b.epilogue)
    d += 0.1;
  return d;
}

struct Choice {
  std::string json, source, id;
  std::string kernel; ///< the Halide kernel to call (kernels=halide), or ""
};

/// The signatures of the kernels a tessel_kernels.h declares, mapped to their
/// functions (its table lines: {"signature", "function"},).
Result<std::map<std::string, std::string>> readKernelTable(const std::string &path) {
  std::ifstream in(path);
  if (!in)
    return makeError(path + ": cannot read the kernel library header");
  std::map<std::string, std::string> table;
  std::string line;
  while (std::getline(in, line)) {
    auto a = line.find("{\""), b = line.find("\", \""), c = line.rfind("\"}");
    if (a == std::string::npos || b == std::string::npos || c == std::string::npos ||
        b < a || c < b)
      continue;
    table[line.substr(a + 2, b - a - 2)] = line.substr(b + 4, c - b - 4);
  }
  return table;
}

struct ApplySchedulesPass : impl::ApplySchedulesBase<ApplySchedulesPass> {
  using ApplySchedulesBase::ApplySchedulesBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto preset = resolveTarget(target);
    if (!preset) {
      module.emitError() << "tessel-apply-schedules: " << preset.message();
      return signalPassFailure();
    }
    // The target travels with the module: its preset for the later passes,
    // its triple for the translation to LLVM IR.
    module->setAttr(kTargetAttr, StringAttr::get(module.getContext(), preset->name));
    module->setAttr("llvm.target_triple",
                    StringAttr::get(module.getContext(), preset->llvmTriple));
    // Every best record of the target, read once.
    std::vector<std::pair<TaskSignature, MeasurementRow>> best;
    if (!db.empty()) {
      auto opened = Database::open(db, OpenMode::ReadOnly);
      if (!opened) {
        module.emitError() << "tessel-apply-schedules: " << opened.message();
        return signalPassFailure();
      }
      auto rows = queryBest(**opened, preset->name, std::nullopt, int64_t(threads));
      if (!rows) {
        module.emitError() << "tessel-apply-schedules: " << rows.message();
        return signalPassFailure();
      }
      // Only records of the model's thread count: a schedule tuned for one
      // thread seldom has useful parallel loops, and the built-in default
      // does better on several threads than such a record (resnet18 on 2
      // threads: 0.53 ms with defaults, 0.78 ms with 1-thread records).
      for (auto &row : *rows) {
        auto sig = TaskSignature::parse(row.signature);
        if (sig && row.threads == threads)
          best.emplace_back(*sig, row);
      }
    }

    if (kernels != "mlir" && kernels != "halide") {
      module.emitError() << "tessel-apply-schedules: kernels must be 'mlir' or "
                            "'halide', not '" << kernels << "'";
      return signalPassFailure();
    }
    std::optional<std::map<std::string, std::string>> kernelTable;
    if (kernels == "halide" && !kernelLib.empty()) {
      auto table = readKernelTable(kernelLib);
      if (!table) {
        module.emitError() << "tessel-apply-schedules: " << table.message();
        return signalPassFailure();
      }
      kernelTable = std::move(*table);
    }

    std::string reportText;
    llvm::raw_string_ostream report(reportText);
    std::map<std::string, int> counts;
    Builder b(module.getContext());
    bool failed = false;
    forEachTask(module, "no schedule", [&](linalg::LinalgOp op, const MatchedTask &task) {
      const TaskSignature &sig = task.signature;
      Choice c;
      if (auto given = op->getAttrOfType<StringAttr>(kScheduleAttr)) {
        auto s = Schedule::fromJson(given.str());
        if (!s) {
          op->emitError() << "tessel.schedule: " << s.message();
          failed = true;
          return;
        }
        c = {given.str(), "given", s->hash().substr(0, 12)};
        if (auto src = op->getAttrOfType<StringAttr>(kScheduleSourceAttr))
          c.source = src.str();
      } else {
        c = choose(sig, *preset, best);
        // kernels=halide: a tuned task with a Halide kernel calls it.
        if (kernels == "halide" && c.source == "tuned" &&
            !describeLoops(sig).pure.empty()) {
          if (!kernelTable)
            c.kernel = "tessel_k_" + sig.hash().substr(0, 16);
          else if (auto it = kernelTable->find(sig.canonical());
                   it != kernelTable->end())
            c.kernel = it->second;
        }
        if (!c.kernel.empty())
          op->setAttr(kKernelAttr, b.getStringAttr(c.kernel));
        op->setAttr(kScheduleAttr, b.getStringAttr(c.json));
        op->setAttr(kScheduleSourceAttr, b.getStringAttr(c.source));
        op->setAttr(kScheduleIdAttr, b.getStringAttr(c.id));
      }
      counts[c.source]++;
      std::string loc;
      llvm::raw_string_ostream ls(loc);
      op->getLoc().print(ls);
      std::string line = c.source + " " + c.id + " " + sig.canonical() +
                         (c.kernel.empty() ? " [mlir]" : " [halide " + c.kernel + "]");
      report << ls.str() << ": " << line << "\n";
      if (remarks)
        op->emitRemark() << line;
    });
    if (failed)
      return signalPassFailure();
    report << "summary:";
    for (const char *k : {"tuned", "nearest", "default", "given"})
      report << " " << k << "=" << counts[k];
    report << "\n";
    if (!this->report.empty()) {
      std::string err;
      auto f = openOutputFile(this->report, &err);
      if (!f) {
        module.emitError() << "tessel-apply-schedules: " << err;
        return signalPassFailure();
      }
      f->os() << "target " << preset->name << "\n" << report.str();
      f->keep();
    }
  }

  Choice choose(const TaskSignature &sig, const TargetPreset &preset,
                const std::vector<std::pair<TaskSignature, MeasurementRow>> &best) {
    std::string hash = sig.hash();
    const MeasurementRow *nearest = nullptr;
    double nearestDistance = std::numeric_limits<double>::infinity();
    for (const auto &[other, row] : best) {
      if (row.taskHash == hash)
        return {row.scheduleJson, "tuned", row.scheduleHash.substr(0, 12)};
      double d = taskDistance(sig, other);
      if (d < nearestDistance) {
        nearestDistance = d;
        nearest = &row;
      }
    }
    if (nearest)
      return {nearest->scheduleJson, "nearest",
              nearest->scheduleHash.substr(0, 12)};
    Schedule s = heuristicSchedule(sig, preset);
    return {s.canonicalJson(), "default", s.hash().substr(0, 12)};
  }
};

} // namespace
} // namespace tessel
