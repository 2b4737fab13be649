// `tessel task plan|mlir 'SIGNATURE'`: what a schedule means for a task.
//   plan  the loop plan a realizer runs for a schedule (the default one when
//         none is given): tiles after rounding, order, parallel loops,
//         vector width, unrolls, or the reason the realizer refuses it;
//   mlir  the one-op MLIR function the tuner measures the MLIR realizer on
//         (the op, its padding and its epilogue, as in a model).
#include "tools/tessel/Commands.h"

#include "db/Realizer.h"
#include "db/Schedule.h"
#include "db/Signature.h"
#include "db/Target.h"
#include "kernels/Plan.h"
#include "kernels/TaskMlir.h"

#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>

namespace tessel {

namespace {

struct TaskOptions {
  std::string task, schedule, target = "host", realizer = "mlir";
  int threads = 1;
};

struct Parsed {
  TaskSignature task;
  TargetPreset target;
  Realizer realizer;
  Schedule schedule;
};

/// The task, target, realizer and schedule of the options; the error names
/// the bad one.
Result<Parsed> parse(const TaskOptions &o) {
  auto task = TaskSignature::parse(o.task);
  if (!task)
    return makeError("task: " + task.message());
  auto target = resolveTarget(o.target);
  if (!target)
    return makeError("--target: " + target.message());
  auto realizer = parseRealizer(o.realizer);
  if (!realizer)
    return makeError("--realizer: " + realizer.message());
  Schedule s = defaultSchedule(*task, *target, *realizer, o.threads);
  if (!o.schedule.empty()) {
    auto given = Schedule::fromJson(o.schedule);
    if (!given)
      return makeError("--schedule: " + given.message());
    s = *given;
  }
  return Parsed{*task, *target, *realizer, s};
}

int runPlan(const TaskOptions &o) {
  auto p = parse(o);
  if (!p)
    return fail(p.message());
  auto plan = resolvePlan(p->task, p->schedule, p->realizer, p->target);
  if (!plan)
    return fail(std::string("the ") + realizerName(p->realizer) +
                " realizer refuses this schedule: " + plan.message());
  std::cout << "task      " << p->task.canonical() << "\nrealizer  "
            << realizerName(p->realizer) << " (" << p->target.name << ")\n"
            << "schedule  " << plan->schedule().canonicalJson() << "\n\nloop  extent  "
               "cache tile  register tile / unroll  parallel\n";
  for (const PlanLoop &l : plan->loops)
    std::printf("%-4s  %6lld  %10lld  %22lld  %s\n", l.name.c_str(), (long long)l.extent,
                (long long)l.cacheTile, (long long)l.registerTile, l.parallel ? "yes" : "");
  std::cout << "\norder " << (plan->order.empty() ? "-" : "");
  for (const std::string &d : plan->order)
    std::cout << d << " ";
  std::cout << "\nvector " << (plan->vectorDim.empty() ? "none" : plan->vectorDim) << " x "
            << plan->vectorWidth << "; packing " << plan->packing << " at " << plan->packAt
            << "; epilogue at " << plan->epilogueAt << "; reduction split "
            << plan->reductionSplit << "\n";
  return 0;
}

int runMlir(const TaskOptions &o) {
  auto p = parse(o);
  if (!p)
    return fail(p.message());
  if (auto plan = resolvePlan(p->task, p->schedule, Realizer::Mlir, p->target); !plan)
    return fail("the mlir realizer refuses this schedule: " + plan.message());
  auto f = taskFunctionMlir(p->task, "task", p->schedule);
  if (!f)
    return fail(f.message());
  std::cout << mlirModule({*f});
  return 0;
}

} // namespace

void addTaskCommand(CLI::App &app, int &exitCode) {
  auto o = std::make_shared<TaskOptions>();
  CLI::App *task = app.add_subcommand(
      "task", "What a schedule means for a task: its loop plan, its MLIR function");
  task->require_subcommand(1);
  auto common = [&](CLI::App *c) {
    c->add_option("task", o->task, "Task signature, e.g. 'matmul m=512 n=512 k=512'")
        ->required();
    c->add_option("--schedule", o->schedule,
                  "Schedule JSON (default: the realizer's built-in default)");
    c->add_option("--target", o->target, "Target preset or 'host'")->capture_default_str();
    c->add_option("--threads", o->threads, "Threads the default is for")
        ->check(between(1, 1024))
        ->capture_default_str();
  };
  CLI::App *plan = task->add_subcommand(
      "plan", "The loop plan a realizer runs for a schedule, or why it refuses it");
  common(plan);
  plan->add_option("--realizer", o->realizer, "mlir or halide")
      ->check(CLI::IsMember({"mlir", "halide"}))
      ->capture_default_str();
  plan->callback([o, &exitCode]() { exitCode = runPlan(*o); });
  CLI::App *mlir = task->add_subcommand(
      "mlir", "The MLIR function the tuner measures the MLIR realizer on");
  common(mlir);
  mlir->callback([o, &exitCode]() { exitCode = runMlir(*o); });
  setExamples(plan,
              {"tessel task plan 'matmul m=512 n=512 k=512' --threads 2"});
  setExamples(mlir,
              {"tessel task mlir 'conv2d n=1 h=56 w=56 c=64 f=64 kh=3 kw=3 "
               "pad=1,1,1,1'"});
  setExamples(task, {"tessel task plan 'matmul m=512 n=512 k=512'",
                     "tessel task mlir 'matmul m=64 n=64 k=64'"});
}

} // namespace tessel
