// The record-choice policy (see Choice.h).
#include "kernels/Choice.h"

#include "kernels/Plan.h"

#include <cmath>
#include <limits>
#include <tuple>

namespace tessel {

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

RecordChooser::RecordChooser(const std::vector<MeasurementRow> &best, TargetPreset target,
                             int64_t threads)
    : target_(std::move(target)), threads_(threads) {
  for (const MeasurementRow &row : best) {
    auto sig = TaskSignature::parse(row.signature);
    if (sig && row.threads == threads)
      rows_.emplace_back(*sig, row);
  }
}

std::optional<ScheduleChoice> RecordChooser::tuned(const TaskSignature &task,
                                                   RealizerSet emit,
                                                   std::string &note) const {
  std::string hash = task.hash();
  std::optional<ScheduleChoice> best;
  std::string bestCache;
  for (const auto &[sig, row] : rows_) {
    auto realizer = parseRealizer(row.realizer);
    auto schedule = Schedule::fromJson(row.scheduleJson);
    if (row.taskHash != hash || !realizer || !schedule || !row.medianSec)
      continue;
    std::string id = row.scheduleHash.substr(0, 12);
    if (emit == RealizerSet::MlirOnly && *realizer != Realizer::Mlir) {
      note = std::string("the ") + row.realizer + " record " + id +
             " is not used: this build emits MLIR loops (--kernels halide or auto "
             "calls Halide kernels)";
      continue;
    }
    if (auto plan = resolvePlan(task, *schedule, *realizer, target_); !plan) {
      note = "record " + id + " cannot be realized: " + plan.message();
      continue;
    }
    ScheduleChoice c{"tuned", *realizer, *schedule, id, row.medianSec, ""};
    // Ranked by: Halide first with HalideFirst; then how the records were
    // timed (the two realizers' times compare only alike); then time.
    auto key = [&](const ScheduleChoice &x, const std::string &cache) {
      auto state = parseCache(cache);
      return std::make_tuple(
          emit == RealizerSet::HalideFirst && x.realizer != Realizer::Halide,
          state ? cacheRank(*state) : cacheRank(CacheState::Warm),
          *x.medianSec);
    };
    if (!best || key(c, row.cache) < key(*best, bestCache)) {
      best = c;
      bestCache = row.cache;
    }
  }
  return best;
}

std::optional<ScheduleChoice> RecordChooser::nearest(const TaskSignature &task) const {
  const MeasurementRow *nearest = nullptr;
  const TaskSignature *nearestSig = nullptr;
  double distance = std::numeric_limits<double>::infinity();
  std::string hash = task.hash();
  for (const auto &[sig, row] : rows_) {
    // Another task's MLIR schedule is the guess: the schedule goes to MLIR.
    if (row.taskHash == hash || row.realizer != realizerName(Realizer::Mlir))
      continue;
    double d = taskDistance(task, sig);
    if (d < distance) {
      distance = d;
      nearest = &row;
      nearestSig = &sig;
    }
  }
  if (!nearest)
    return std::nullopt;
  auto schedule = Schedule::fromJson(nearest->scheduleJson);
  if (!schedule)
    return std::nullopt;
  Schedule s = adaptSchedule(task, *schedule, Realizer::Mlir, target_);
  auto plan = resolvePlan(task, s, Realizer::Mlir, target_);
  if (!plan)
    return std::nullopt;
  s = plan->schedule();
  return ScheduleChoice{"nearest", Realizer::Mlir, s, s.hash().substr(0, 12), std::nullopt,
                        "adapted from " + nearestSig->canonical()};
}

ScheduleChoice RecordChooser::choose(const TaskSignature &task, RealizerSet emit) const {
  std::string note;
  if (auto t = tuned(task, emit, note))
    return *t;
  if (!realizes(Realizer::Mlir, task))
    return ScheduleChoice{"none", Realizer::Mlir, Schedule(), "-", std::nullopt,
                          "the MLIR realizer has no kernel for this task"};
  if (auto n = nearest(task)) {
    if (!note.empty())
      n->note = note + "; " + n->note;
    return *n;
  }
  Schedule s = defaultSchedule(task, target_, Realizer::Mlir, int(threads_));
  return ScheduleChoice{"default", Realizer::Mlir, s, s.hash().substr(0, 12), std::nullopt,
                        note};
}

} // namespace tessel
