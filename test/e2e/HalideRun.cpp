// tessel-halide-run: runs the Halide kernel of a task with a given schedule
// on inputs read from files, and writes the output. With harness.c (which
// writes the inputs it gives a model compiled by `tessel compile`), it lets
// a test check that the same schedule realized by MLIR and by Halide gives
// the same numbers.
//
//   tessel-halide-run SIGNATURE SCHEDULE_JSON OUT.bin IN0.bin [IN1.bin ...] [--bench N]
// Inputs are raw row-major arrays in kernelArrays() order (input, weights,
// bias, residual); OUT.bin receives the output array. With --bench N it also
// times N calls after a warm-up and prints the median in milliseconds, as
// harness.c does ("median X ms").
#include "db/Schedule.h"
#include "db/Signature.h"
#include "db/Target.h"
#include "kernels/Runner.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>

using namespace tessel;

static int fail(const std::string &m) {
  std::cerr << "tessel-halide-run: " << m << "\n";
  return 1;
}

/// The median of `calls` timed calls of `kernel`, in milliseconds, after
/// 200 ms of warm-up.
static double medianMs(CompiledKernel &kernel, int calls) {
  using clock = std::chrono::steady_clock;
  auto seconds = [](clock::duration d) { return std::chrono::duration<double>(d).count(); };
  for (auto start = clock::now(); seconds(clock::now() - start) < 0.2;)
    (void)kernel.run();
  std::vector<double> t;
  for (int i = 0; i < calls; ++i) {
    auto t0 = clock::now();
    (void)kernel.run();
    t.push_back(seconds(clock::now() - t0) * 1e3);
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

int main(int argc, char **argv) {
  int bench = 0;
  if (argc >= 3 && !std::strcmp(argv[argc - 2], "--bench")) {
    bench = std::max(1, std::atoi(argv[argc - 1]));
    argc -= 2;
  }
  if (argc < 5)
    return fail("usage: tessel-halide-run SIGNATURE SCHEDULE_JSON OUT.bin IN0.bin...");
  auto task = TaskSignature::parse(argv[1]);
  if (!task)
    return fail(task.message());
  auto schedule = Schedule::fromJson(argv[2]);
  if (!schedule)
    return fail(schedule.message());
  auto target = resolveTarget("host");
  if (!target)
    return fail(target.message());
  KernelArrays arrays = KernelArrays::random(*task, 1);
  size_t inputs = arrays.specs.size() - 1;
  if (static_cast<size_t>(argc - 4) != inputs)
    return fail("the task has " + std::to_string(inputs) + " inputs");
  for (size_t i = 0; i < inputs; ++i) {
    std::ifstream in(argv[4 + i], std::ios::binary);
    std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                               std::istreambuf_iterator<char>());
    if (bytes.size() != arrays.bytes[i].size())
      return fail(std::string(argv[4 + i]) + ": " + std::to_string(bytes.size()) +
                  " bytes, the " + arrays.specs[i].name + " array has " +
                  std::to_string(arrays.bytes[i].size()));
    arrays.bytes[i] = std::move(bytes);
  }
  auto kernel = CompiledKernel::compile(*task, *schedule, *target, 1);
  if (!kernel)
    return fail(kernel.message());
  arrays.poisonOutput();
  if (Status s = (*kernel)->bind(arrays); !s)
    return fail(s.message());
  if (Status s = (*kernel)->run(); !s)
    return fail(s.message());
  if (bench > 0)
    std::printf("kernel: median %.4f ms (%d runs)\n", medianMs(**kernel, bench), bench);
  std::ofstream out(argv[3], std::ios::binary);
  out.write(reinterpret_cast<const char *>(arrays.bytes.back().data()),
            static_cast<std::streamsize>(arrays.bytes.back().size()));
  return out ? 0 : fail(std::string(argv[3]) + ": cannot write");
}
