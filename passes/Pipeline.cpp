// tessel-compile: the named pipeline from TOSA or linalg on tensors to the
// LLVM dialect. Stages: TOSA to linalg, elementwise fusion, layout
// normalization (NCHW to NHWC: tessel-normalize-layout), filter taps that
// only read padding cut (tessel-trim-filter-taps), schedules
// (tessel-apply-schedules, tessel-tile-from-schedule), pads that fill only
// their border (tessel-lower-pads), bufferization with
// results as out-parameters written in place (tessel-results-in-place), vector
// lowering (tessel-lower-vectors), and the upstream conversions to LLVM. Entry
// points take bare pointers (every shape is static), so a C caller passes plain
// buffers.
//
// `threads=N` (N > 1) lowers the schedules' parallel loops (scf.forall) to
// OpenMP work-sharing loops on N threads; the object then needs libomp.
//
// `baseline=1` skips the schedules: every op becomes the untiled loops of
// convert-linalg-to-loops (the reference the end-to-end tests compare with,
// and the "untiled" column of bench/).
#include "passes/Pipeline.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"
#include "mlir/Pass/PassRegistry.h"

#include <string>

using namespace mlir;

namespace tessel {
namespace {

struct CompileOptions : public PassPipelineOptions<CompileOptions> {
  Option<std::string> db{*this, "db", llvm::cl::desc("Schedule database")};
  Option<std::string> target{*this, "target",
                             llvm::cl::desc("Target preset or 'host'"),
                             llvm::cl::init("host")};
  Option<std::string> report{*this, "report",
                             llvm::cl::desc("Coverage report file")};
  Option<std::string> header{*this, "header",
                             llvm::cl::desc("Write the C header to this file")};
  Option<std::string> kernels{
      *this, "kernels",
      llvm::cl::desc("'mlir': tile every op; 'halide': ops with a tuned Halide "
                     "kernel call it (link the tessel aot library)"),
      llvm::cl::init("mlir")};
  Option<std::string> kernelLib{
      *this, "kernel-lib",
      llvm::cl::desc(
          "With kernels=halide or auto: the library's tessel_kernels.json")};
  Option<bool> barePtr{
      *this, "bare-ptr",
      llvm::cl::desc("Entry points take bare pointers and write results to "
                     "out-parameters (static shapes only); off: MLIR's memref "
                     "descriptors and returned buffers"),
      llvm::cl::init(true)};
  Option<bool> scalable{
      *this, "scalable",
      llvm::cl::desc("On SVE targets, scalable vectors for matmul register tiles"),
      llvm::cl::init(false)};
  Option<unsigned> threads{
      *this, "threads",
      llvm::cl::desc("Threads the model runs on: above 1, the schedules' "
                     "parallel loops become OpenMP loops on that many threads "
                     "(link libomp), using the records measured on that many "
                     "threads"),
      llvm::cl::init(1)};
  Option<bool> runtimeAlloc{
      *this, "runtime-alloc",
      llvm::cl::desc("Allocations call the model runtime's allocator "
                     "(_mlir_memref_to_llvm_alloc/free: link tessel's "
                     "ModelRuntime.c) instead of malloc and free"),
      llvm::cl::init(false)};
  Option<bool> baseline{*this, "baseline",
                        llvm::cl::desc("Untiled upstream lowering, no schedules"),
                        llvm::cl::init(false)};
};

} // namespace

std::string frontEndPipeline(bool normalize) {
  std::string p =
      "func.func(tosa-optional-decompositions),func.func(tosa-to-scf),"
      "func.func(tosa-make-broadcastable,tosa-to-linalg-named,tosa-to-linalg,"
      "tosa-to-arith{include-apply-rescale=true},tosa-to-tensor),"
      "func.func(convert-elementwise-to-linalg),canonicalize,"
      "func.func(linalg-fuse-elementwise-ops),canonicalize,cse";
  if (normalize)
    p += ",func.func(tessel-normalize-layout,tessel-trim-filter-taps),canonicalize,cse";
  return p;
}

std::string compilePipeline(const std::string &db, const std::string &target,
                            const std::string &report, const std::string &header,
                            bool baseline, bool barePtr, const std::string &kernels,
                            const std::string &kernelLib, bool scalable,
                            unsigned threads, bool runtimeAlloc) {
  std::string p = "builtin.module(tessel-check-model{target=" + target + "},";
  if (!header.empty())
    p += "tessel-emit-header{out=" + header + "},";
  p += frontEndPipeline(/*normalize=*/!baseline) + ",";
  if (!baseline) {
    p += "tessel-apply-schedules{db=" + db + " target=" + target;
    if (!report.empty())
      p += " report=" + report;
    if (kernels != "mlir")
      p += " kernels=" + kernels;
    if (!kernelLib.empty())
      p += " kernel-lib=" + kernelLib;
    if (threads > 1)
      p += " threads=" + std::to_string(threads);
    p += "},";
    if (kernels != "mlir")
      p += "tessel-call-kernels,";
    p += scalable ? "func.func(tessel-tile-from-schedule{scalable=1}),canonicalize,cse,"
                  : "func.func(tessel-tile-from-schedule),canonicalize,cse,";
    p += "func.func(tessel-lower-pads),";
  }
  p += "tessel-protect-inputs,eliminate-empty-tensors,"
       "one-shot-bufferize{bufferize-function-boundaries "
       "allow-return-allocs-from-loops "
       "function-boundary-type-conversion=identity-layout-map},";
  if (barePtr)
    p += "buffer-results-to-out-params{add-result-attr},func.func(tessel-"
         "results-in-place),";
  p += "buffer-deallocation-pipeline,convert-bufferization-to-memref,"
       "canonicalize,";
  p += "func.func(tessel-lower-copies,convert-linalg-to-loops";
  if (!baseline)
    p += ",tessel-lower-vectors";
  p += ",convert-vector-to-scf{full-unroll target-rank=1}),";
  if (threads > 1)
    p += "scf-forall-to-parallel,convert-scf-to-openmp{num-threads=" +
         std::to_string(threads) + "},";
  else
    p += "scf-forall-to-for,";
  p += "canonicalize,fold-memref-alias-ops,"
       "expand-strided-metadata,lower-affine,convert-scf-to-cf,"
       "convert-vector-to-llvm" + std::string(scalable ? "{enable-arm-sve}" : "") +
       ",convert-math-to-llvm,convert-math-to-libm,"
       "func.func(arith-expand),"
       "finalize-memref-to-llvm" +
       std::string(runtimeAlloc ? "{use-generic-functions}" : "") +
       ",convert-arith-to-llvm,convert-index-to-llvm,"
       "convert-cf-to-llvm,convert-func-to-llvm";
  if (barePtr)
    p += "{use-bare-ptr-memref-call-conv}";
  if (threads > 1)
    p += ",convert-openmp-to-llvm";
  p += ",reconcile-unrealized-casts)";
  return p;
}

void registerCompilePipeline() {
  PassPipelineRegistration<CompileOptions>(
      "tessel-compile",
      "TOSA / linalg on tensors to the LLVM dialect with tessel's schedules",
      [](OpPassManager &pm, const CompileOptions &o) {
        std::string text = compilePipeline(o.db, o.target, o.report, o.header, o.baseline,
                                           o.barePtr, o.kernels, o.kernelLib,
                                           o.scalable, o.threads, o.runtimeAlloc);
        // The text names the module level itself: parse its contents.
        text = text.substr(std::string("builtin.module(").size());
        text.pop_back();
        if (failed(parsePassPipeline(text, pm, llvm::errs())))
          llvm::report_fatal_error("tessel-compile: bad pipeline text");
      });
}

} // namespace tessel
