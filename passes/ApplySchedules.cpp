// tessel-apply-schedules: the schedule each tunable op will use, chosen by the
// record-choice policy (kernels/Choice.h) from the database's measurements,
// and a coverage report that lists every compute op of the module.
#define GEN_PASS_DEF_APPLYSCHEDULES
#include "passes/PassDetail.h"
#include "passes/TaskMatch.h"

#include "db/Coverage.h"
#include "db/Database.h"
#include "db/KernelTable.h"
#include "db/Queries.h"
#include "db/Schedule.h"
#include "db/Target.h"
#include "kernels/Choice.h"

#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

#include <map>
#include <set>

using namespace mlir;

namespace tessel {
namespace {

/// `op`'s location as the report prints it.
std::string locationText(Operation *op) {
  std::string loc;
  llvm::raw_string_ostream ls(loc);
  op->getLoc().print(ls);
  return ls.str();
}

/// The coverage entry of an op that is not a task: its name and loop ranges.
CoverageEntry untiledEntry(linalg::LinalgOp op) {
  std::string shape;
  for (int64_t e : op.getStaticLoopRanges())
    shape += (shape.empty() ? "" : "x") +
             (ShapedType::isDynamic(e) ? std::string("?") : std::to_string(e));
  CoverageEntry entry;
  entry.location = locationText(op);
  entry.source = "untiled";
  entry.op = op->getName().getStringRef().str() + " " + shape + " (" +
             std::to_string(op.getNumParallelLoops()) + " parallel, " +
             std::to_string(op.getNumReductionLoops()) + " reduction loops)";
  entry.code = "upstream";
  return entry;
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
    std::map<Operation *, CoverageEntry> entries;
    std::set<Operation *> epilogues; // part of a task's entry
    bool failed = false;
    forEachTask(
        module, "no schedule",
        [&](linalg::LinalgOp op, const MatchedTask &task) {
          auto entry = applyTo(op, task.signature, chooser, *emit, *table);
          if (!entry)
            failed = true;
          else
            entries[op] = *entry;
          epilogues.insert(task.epilogueOps.begin(), task.epilogueOps.end());
        });
    if (failed)
      return signalPassFailure();
    if (failed = !writeReport(module, *preset, entries, epilogues); failed)
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
  Result<std::optional<KernelTable>> kernelTable() const {
    if (kernels == "mlir" || kernelLib.empty())
      return std::optional<KernelTable>();
    auto table = readKernelTable(kernelLib);
    if (!table)
      return makeError(table.message());
    return std::optional<KernelTable>(std::move(*table));
  }

  /// Chooses and attaches `op`'s schedule; returns its coverage entry.
  std::optional<CoverageEntry>
  applyTo(linalg::LinalgOp op, const TaskSignature &sig,
          const RecordChooser &chooser, RealizerSet emit,
          const std::optional<KernelTable> &table) {
    CoverageEntry entry;
    entry.location = locationText(op);
    entry.op = sig.canonical();
    if (op->getAttrOfType<StringAttr>(kScheduleAttr))
      return givenEntry(op, entry);
    ScheduleChoice c = chooser.choose(sig, emit);
    std::string kernel;
    if (c.realizer == Realizer::Halide) {
      kernel = kernelFunctionName(sig.hash());
      if (table) {
        auto it = table->find(sig.canonical());
        kernel = it == table->end() ? "" : it->second;
      }
      if (kernel.empty()) {
        std::string why = "the Halide kernel of record " + c.id + " is not in the library";
        c = chooser.choose(sig, RealizerSet::MlirOnly);
        c.note = why + (c.note.empty() ? "" : "; " + c.note);
      }
    }
    entry.source = c.source;
    entry.scheduleId = c.id;
    entry.code = c.source == "none" ? "upstream"
                 : kernel.empty()   ? "mlir"
                                    : "halide";
    entry.kernel = kernel;
    entry.measuredSec = c.medianSec;
    entry.note = c.note;
    if (c.source != "none")
      attach(op, c, kernel);
    if (remarks)
      op->emitRemark() << entry.line();
    return entry;
  }

  /// The entry of an op whose input carried its schedule.
  std::optional<CoverageEntry> givenEntry(linalg::LinalgOp op,
                                          CoverageEntry entry) {
    auto s =
        Schedule::fromJson(op->getAttrOfType<StringAttr>(kScheduleAttr).str());
    if (!s) {
      op->emitError() << "tessel.schedule: " << s.message();
      return std::nullopt;
    }
    entry.source = "given";
    if (auto src = op->getAttrOfType<StringAttr>(kScheduleSourceAttr))
      entry.source = src.str();
    entry.scheduleId = s->hash().substr(0, 12);
    entry.code = "mlir";
    if (auto kernel = op->getAttrOfType<StringAttr>(kKernelAttr))
      entry.code = "halide", entry.kernel = kernel.str();
    return entry;
  }

  /// The chosen schedule on `op`, for the passes that realize it.
  static void attach(linalg::LinalgOp op, const ScheduleChoice &c,
                     const std::string &kernel) {
    Builder b(op.getContext());
    op->setAttr(kScheduleAttr, b.getStringAttr(c.schedule.canonicalJson()));
    op->setAttr(kScheduleSourceAttr, b.getStringAttr(c.source));
    op->setAttr(kScheduleIdAttr, b.getStringAttr(c.id));
    if (!kernel.empty())
      op->setAttr(kKernelAttr, b.getStringAttr(kernel));
  }

  /// The coverage report: one entry per compute op in program order (tasks
  /// with their choice, other ops as untiled; a task's epilogue ops are part
  /// of its entry), then the counts. A `report` path ending in .json gets
  /// the JSON form (Coverage::toJson), any other the text.
  bool writeReport(ModuleOp module, const TargetPreset &preset,
                   const std::map<Operation *, CoverageEntry> &entries,
                   const std::set<Operation *> &epilogues) {
    Coverage coverage;
    coverage.target = preset.name;
    module.walk([&](linalg::LinalgOp op) {
      auto it = entries.find(op);
      if (it != entries.end())
        coverage.ops.push_back(it->second);
      else if (!isa<linalg::FillOp>(op) && !epilogues.count(op))
        coverage.ops.push_back(untiledEntry(op));
    });
    if (this->report.empty())
      return true;
    std::string err;
    auto f = openOutputFile(this->report, &err);
    if (!f) {
      module.emitError() << "tessel-apply-schedules: " << err;
      return false;
    }
    bool json = llvm::StringRef(this->report).ends_with(".json");
    f->os() << (json ? coverage.toJson() : coverage.text());
    f->keep();
    return true;
  }
};

} // namespace
} // namespace tessel
