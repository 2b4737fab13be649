// tessel-apply-schedules: the schedule each tunable op will use, chosen by the
// record-choice policy (kernels/Choice.h) from the database's measurements,
// and a coverage report that lists every compute op of the module.
#define GEN_PASS_DEF_APPLYSCHEDULES
#include "passes/PassDetail.h"
#include "passes/TaskMatch.h"

#include "db/Database.h"
#include "db/Format.h"
#include "db/Queries.h"
#include "db/Schedule.h"
#include "db/Target.h"
#include "kernels/Choice.h"

#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdio>
#include <fstream>
#include <map>
#include <set>

using namespace mlir;

namespace tessel {
namespace {

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

/// `op`'s location as the report prints it.
std::string locationText(Operation *op) {
  std::string loc;
  llvm::raw_string_ostream ls(loc);
  op->getLoc().print(ls);
  return ls.str();
}

/// The report line of an op that is not a task: its name and loop ranges.
std::string untiledLine(linalg::LinalgOp op) {
  std::string shape;
  for (int64_t e : op.getStaticLoopRanges())
    shape += (shape.empty() ? "" : "x") +
             (ShapedType::isDynamic(e) ? std::string("?") : std::to_string(e));
  return "untiled - " + op->getName().getStringRef().str() + " " + shape + " (" +
         std::to_string(op.getNumParallelLoops()) + " parallel, " +
         std::to_string(op.getNumReductionLoops()) + " reduction loops) [upstream loops]";
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
    auto emit = realizerSet();
    auto rows = bestRecords(*preset);
    auto table = kernelTable();
    if (!emit || !rows || !table) {
      module.emitError() << "tessel-apply-schedules: "
                         << (!emit ? emit.message() : !rows ? rows.message() : table.message());
      return signalPassFailure();
    }
    RecordChooser chooser(*rows, *preset, threads);
    std::map<Operation *, std::string> lines;
    std::set<Operation *> epilogues; // part of a task's line
    std::map<std::string, int> counts;
    bool failed = false;
    forEachTask(module, "no schedule", [&](linalg::LinalgOp op, const MatchedTask &task) {
      auto line = applyTo(op, task.signature, chooser, *emit, *table, counts);
      if (!line)
        failed = true;
      else
        lines[op] = *line;
      epilogues.insert(task.epilogueOps.begin(), task.epilogueOps.end());
    });
    if (failed)
      return signalPassFailure();
    if (failed = !writeReport(module, *preset, lines, epilogues, counts); failed)
      return signalPassFailure();
  }

  Result<RealizerSet> realizerSet() const {
    if (kernels == "mlir")
      return RealizerSet::MlirOnly;
    if (kernels == "halide")
      return RealizerSet::HalideFirst;
    if (kernels == "auto")
      return RealizerSet::Fastest;
    return makeError("kernels must be 'mlir', 'halide' or 'auto', not '" + kernels + "'");
  }

  /// Every best record of the target, read once (none without a database).
  Result<std::vector<MeasurementRow>> bestRecords(const TargetPreset &preset) const {
    if (db.empty())
      return std::vector<MeasurementRow>{};
    auto opened = Database::open(db, OpenMode::ReadOnly);
    if (!opened)
      return makeError(opened.message());
    return queryBest(**opened, preset.name, std::nullopt, int64_t(threads));
  }

  /// The kernels of the library to call (kernels=halide or auto with
  /// kernel-lib); without one, every task's kernel is assumed to exist.
  Result<std::optional<std::map<std::string, std::string>>> kernelTable() const {
    if (kernels == "mlir" || kernelLib.empty())
      return std::optional<std::map<std::string, std::string>>();
    auto table = readKernelTable(kernelLib);
    if (!table)
      return makeError(table.message());
    return std::optional<std::map<std::string, std::string>>(std::move(*table));
  }

  /// Chooses and attaches `op`'s schedule; returns its report line.
  std::optional<std::string>
  applyTo(linalg::LinalgOp op, const TaskSignature &sig, const RecordChooser &chooser,
          RealizerSet emit, const std::optional<std::map<std::string, std::string>> &table,
          std::map<std::string, int> &counts) {
    Builder b(op.getContext());
    if (auto given = op->getAttrOfType<StringAttr>(kScheduleAttr)) {
      auto s = Schedule::fromJson(given.str());
      if (!s) {
        op->emitError() << "tessel.schedule: " << s.message();
        return std::nullopt;
      }
      std::string source = "given";
      if (auto src = op->getAttrOfType<StringAttr>(kScheduleSourceAttr))
        source = src.str();
      counts[source]++;
      return source + " " + s->hash().substr(0, 12) + " " + sig.canonical() + " [mlir]";
    }
    ScheduleChoice c = chooser.choose(sig, emit);
    std::string kernel;
    if (c.realizer == Realizer::Halide) {
      std::string function = "tessel_k_" + sig.hash().substr(0, 16);
      if (table) {
        auto it = table->find(sig.canonical());
        function = it == table->end() ? "" : it->second;
      }
      if (function.empty()) {
        std::string why = "the Halide kernel of record " + c.id + " is not in the library";
        c = chooser.choose(sig, RealizerSet::MlirOnly);
        c.note = why + (c.note.empty() ? "" : "; " + c.note);
      } else {
        kernel = function;
      }
    }
    counts[c.source]++;
    std::string line = c.source + " " + c.id + " " + sig.canonical();
    if (c.source == "none") {
      line += " [upstream loops]";
    } else {
      op->setAttr(kScheduleAttr, b.getStringAttr(c.schedule.canonicalJson()));
      op->setAttr(kScheduleSourceAttr, b.getStringAttr(c.source));
      op->setAttr(kScheduleIdAttr, b.getStringAttr(c.id));
      if (!kernel.empty())
        op->setAttr(kKernelAttr, b.getStringAttr(kernel));
      line += kernel.empty() ? " [mlir]" : " [halide " + kernel + "]";
    }
    if (c.medianSec)
      line += " measured " + formatSeconds(c.medianSec);
    if (!c.note.empty())
      line += " (" + c.note + ")";
    if (remarks)
      op->emitRemark() << line;
    return line;
  }

  /// The coverage report: one line per compute op in program order (tasks
  /// with their choice, other ops as untiled; a task's epilogue ops are part
  /// of its line), then the counts.
  bool writeReport(ModuleOp module, const TargetPreset &preset,
                   const std::map<Operation *, std::string> &lines,
                   const std::set<Operation *> &epilogues,
                   std::map<std::string, int> &counts) {
    std::string text;
    llvm::raw_string_ostream report(text);
    module.walk([&](linalg::LinalgOp op) {
      auto it = lines.find(op);
      if (it != lines.end()) {
        report << locationText(op) << ": " << it->second << "\n";
      } else if (!isa<linalg::FillOp>(op) && !epilogues.count(op)) {
        counts["untiled"]++;
        report << locationText(op) << ": " << untiledLine(op) << "\n";
      }
    });
    report << "summary:";
    for (const char *k : {"tuned", "nearest", "default", "given", "none", "untiled"})
      report << " " << k << "=" << counts[k];
    report << "\n";
    if (this->report.empty())
      return true;
    std::string err;
    auto f = openOutputFile(this->report, &err);
    if (!f) {
      module.emitError() << "tessel-apply-schedules: " << err;
      return false;
    }
    f->os() << "target " << preset.name << "\n" << report.str();
    f->keep();
    return true;
  }
};

} // namespace
} // namespace tessel
