// tessel's MLIR passes. Each pass lives in its own file (named after the pass)
// and has a lit test named after its flag in test/lit/tessel-opt/.
#ifndef TESSEL_PASSES_TD
#define TESSEL_PASSES_TD

include "mlir/Pass/PassBase.td"

def ExtractTasks : Pass<"tessel-extract-tasks", "mlir::ModuleOp"> {
  let summary = "Write every tunable op of the module as a task (tasks JSON)";
  let description = [{
    Runs the front end of tessel-compile first (TOSA to linalg, elementwise
    fusion), so that the tasks are exactly the ops tessel-compile will tile,
    then finds every tunable op (matmul, batch_matmul, conv2d, depthwise conv2d,
    max/avg pooling; a static zero `tensor.pad` producer is folded into the
    signature's padding, and a following chain of recognised elementwise ops
    into its epilogue), computes its canonical task signature, and writes the
    deduplicated tasks with their occurrence counts to `out` in the
    "tessel-tasks" format that `tessel tune --tasks` reads. Each tunable op
    gets a `tessel.task` attribute with its signature. Ops that look tunable
    but cannot be described (dynamic shapes, unknown element types) get a
    remark at their location and are left alone.
  }];
  let options = [
    Option<"out", "out", "std::string", /*default=*/"\"-\"",
           "Output file for the tasks JSON ('-' for stdout)">,
  ];
  let dependentDialects = ["mlir::linalg::LinalgDialect"];
}

def ApplySchedules : Pass<"tessel-apply-schedules", "mlir::ModuleOp"> {
  let summary = "Attach to each tunable op the schedule to use";
  let description = [{
    For each tunable op, the record-choice policy of kernels/Choice.h picks
    from the schedule database `db`, among the records measured on `threads`
    threads: the fastest verified record of the task among the realizations
    the build emits ("tuned": MLIR loops with kernels=mlir; a Halide kernel
    wherever there is one with kernels=halide; the faster of the two with
    kernels=auto); else the record of the nearest task of the same family,
    adapted to the MLIR realizer ("nearest"); else the MLIR realizer's
    built-in default ("default"); an op the MLIR realizer cannot tile gets
    none ("none"). The schedule goes in the `tessel.schedule` attribute
    (canonical schedule JSON), with `tessel.schedule_source` and
    `tessel.schedule_id`, and `tessel.kernel` for a Halide kernel. Ops that
    already carry `tessel.schedule` keep it ("given"). The coverage report
    (`report`, and remarks when `remarks` is set) has a line per compute op
    in program order: each task with its choice, realizer and measured time,
    and every other op as "untiled". The module gets `tessel.target` (the
    preset) and `llvm.target_triple`.
  }];
  let options = [
    Option<"db", "db", "std::string", /*default=*/"\"\"",
           "Schedule database (empty: no database, only defaults)">,
    Option<"target", "target", "std::string", /*default=*/"\"host\"",
           "Target preset name, or 'host'">,
    Option<"report", "report", "std::string", /*default=*/"\"\"",
           "Write the coverage report to this file (JSON if it ends in .json)">,
    Option<"remarks", "remarks", "bool", /*default=*/"false",
           "Emit one remark per op with its coverage line">,
    Option<"kernels", "kernels", "std::string", /*default=*/"\"mlir\"",
           "'mlir': every op is tiled by tessel-tile-from-schedule; 'halide': "
           "an op with a tuned Halide kernel calls it (tessel.kernel); 'auto': "
           "each op the faster measured of the two">,
    Option<"kernelLib", "kernel-lib", "std::string", /*default=*/"\"\"",
           "With kernels=halide or auto: the tessel_kernels.json of the library to "
           "call (only its kernels are used); empty: every tuned task">,
    Option<"threads", "threads", "int64_t", /*default=*/"1",
           "The thread count the model runs on: only records measured on that "
           "many threads are used">,
  ];
  let dependentDialects = ["mlir::linalg::LinalgDialect"];
}

def CallKernels : Pass<"tessel-call-kernels", "mlir::ModuleOp"> {
  let summary = "Replace ops that name a Halide kernel by a call into it";
  let description = [{
    Each op with a `tessel.kernel` attribute (set by tessel-apply-schedules
    with kernels=halide), together with the padding and the epilogue its task
    folds in, becomes a call to `<kernel>_mlir` of a `tessel aot` library:
    the arrays of the task (input, weights, bias, residual, then the output)
    as identity-layout memrefs, which tessel-compile lowers to plain pointers.
    An op whose arrays do not match the kernel's exactly keeps its schedule
    and gets a remark.
  }];
  let dependentDialects = [
    "mlir::bufferization::BufferizationDialect", "mlir::func::FuncDialect",
    "mlir::memref::MemRefDialect", "mlir::tensor::TensorDialect"
  ];
}

def TileFromSchedule : Pass<"tessel-tile-from-schedule", "mlir::func::FuncOp"> {
  let summary = "Tile, interchange and vectorize each op as its schedule says";
  let description = [{
    The MLIR realizer. The `tessel.schedule` of each linalg op is resolved
    into the loop plan of its task (kernels/Plan.h, which the Halide realizer
    reads too) and realized: cache tiles (the plan's parallel loops as one
    `scf.forall`, the other tiled loops as `scf.for` in its order, a blocked
    reduction innermost), register tiles (the main reduction by its unroll
    factor, kw by 1 or whole, kh by 1 and its loop unrolled when the plan
    unrolls it; partial tiles peeled), 2-D convolutions and poolings
    decomposed to 1-D, then vectorization of the register tile. A schedule
    the MLIR realizer does not realize as written (see Plan.h) is an error
    naming the knob; NCHW ops are refused (tessel-normalize-layout first).
    Ops without a schedule are left alone.
  }];
  let options = [
    Option<"scalable", "scalable", "bool", /*default=*/"false",
           "On SVE targets, vectorize matmul register tiles with scalable "
           "vectors (vscale x 4 lanes along n, masked)">,
  ];
  let dependentDialects = [
    "mlir::affine::AffineDialect", "mlir::arith::ArithDialect",
    "mlir::linalg::LinalgDialect", "mlir::scf::SCFDialect",
    "mlir::tensor::TensorDialect", "mlir::vector::VectorDialect"
  ];
}

def LowerVectors : Pass<"tessel-lower-vectors", "mlir::func::FuncOp"> {
  let summary = "Hoist register-tile accumulators and lower vector ops";
  let description = [{
    After bufferization: hoists the accumulator transfers out of reduction
    loops, then lowers contractions to outer products (FMAs), transfer
    permutations, transposes, broadcasts and multi-reductions in stages, so
    that convert-vector-to-llvm sees only 1-D vector ops.
  }];
  let dependentDialects = [
    "mlir::arith::ArithDialect", "mlir::memref::MemRefDialect",
    "mlir::scf::SCFDialect", "mlir::vector::VectorDialect"
  ];
}

def CheckModel : Pass<"tessel-check-model", "mlir::ModuleOp"> {
  let summary = "Refuse models the compile pipeline cannot lower, with one error each";
  let description = [{
    Runs first in tessel-compile, so that input the later passes (or LLVM)
    would crash on, or lower into nothing, fails with one error naming the
    problem: a module without an entry point (a public function with a
    body); a zero-size tensor; a tensor of more than 2^31 elements (a splat
    constant of that size would be materialized); bf16 arithmetic on an
    AArch64 target (LLVM 19 cannot select it there).
  }];
  let options = [
    Option<"target", "target", "std::string", /*default=*/"\"host\"",
           "Target preset (as for tessel-apply-schedules)">,
  ];
}

def EmitHeader : Pass<"tessel-emit-header", "mlir::ModuleOp"> {
  let summary = "Write the C header of the module's entry points";
  let description = [{
    For every public function with a body and statically shaped tensor (or
    memref) arguments and results, writes to `out` the C declaration of the
    function as tessel-compile lowers it: one plain pointer per argument, then
    one per result (results become out-parameters), row-major, with the shape
    and element type of each in a comment; a checked wrapper taking a shape
    array per pointer; and a table of entry points for generic callers.
    Functions it cannot describe get an error at their location.
  }];
  let options = [
    Option<"out", "out", "std::string", /*default=*/"\"-\"",
           "Output file for the header ('-' for stdout)">,
  ];
}

def NormalizeLayout : Pass<"tessel-normalize-layout", "mlir::func::FuncOp"> {
  let summary = "Rewrite NCHW convolutions and poolings to NHWC, activations included";
  let description = [{
    The layout normalization of tessel's front end, run before task
    extraction and tiling, so that the tasks are the loop nests that run.
    Every NCHW `linalg.conv_2d_nchw_fchw`, `depthwise_conv_2d_nchw_chw`,
    `pooling_nchw_max` and `pooling_nchw_sum` becomes its NHWC op (filters
    transposed to HWCF / HWC, at compile time when they are constants). The
    activations between such ops stay NHWC: a `tensor.pad`, `linalg.generic`
    or `tensor.insert_slice` reading an NHWC form is rebuilt on it (a generic
    producing a 4-D result with the identity map iterates in NHWC order), and
    a `tensor.collapse_shape` of C x 1 x 1 reads the NHWC form directly.
    Transposes remain only at the edges of the NHWC region: one per model
    input, and one back for each value that an op outside it reads.
  }];
  let dependentDialects = [
    "mlir::arith::ArithDialect", "mlir::linalg::LinalgDialect",
    "mlir::tensor::TensorDialect"
  ];
}

def ProtectInputs : Pass<"tessel-protect-inputs", "mlir::ModuleOp"> {
  let summary = "Mark the tensor arguments of entry points read-only";
  let description = [{
    Sets `bufferization.writable = false` on every tensor argument of every
    public function with a body, so that bufferization never updates an
    input buffer in place (an argument used as a linalg `outs` gets a copy):
    the C interface declares inputs `const`.
  }];
}

def LowerCopies : Pass<"tessel-lower-copies", "mlir::func::FuncOp"> {
  let summary = "Turn strided memref.copy into linalg.copy";
  let description = [{
    memref.copy between buffers that are not both contiguous lowers to a call
    into MLIR's C runner library (`memrefCopy`). This pass rewrites such copies
    as linalg.copy, which convert-linalg-to-loops turns into plain loops, so
    compiled models need no runtime library. Contiguous copies stay memref.copy
    (a memcpy).
  }];
  let dependentDialects = ["mlir::linalg::LinalgDialect"];
}

def ResultsInPlace : Pass<"tessel-results-in-place", "mlir::func::FuncOp"> {
  let summary = "Compute results in their out-parameters instead of copying them there";
  let description = [{
    After buffer-results-to-out-params{add-result-attr}: a result buffer that
    the function allocated (static, of the out-parameter's type) and copies
    into its out-parameter before returning is replaced by the out-parameter
    itself, so the result is written once. (Upstream's hoist-static-allocs
    does this too, but crashes on results that are not allocations.) The
    `bufferize.result` attributes are removed.
  }];
}

def LowerPads : Pass<"tessel-lower-pads", "mlir::func::FuncOp"> {
  let summary = "Pad by filling only the border";
  let description = [{
    A static tensor.pad with a constant value bufferizes to a fill of the
    whole padded buffer followed by a copy of the source into its interior:
    the interior is written twice. This pass rewrites such a pad as fills of
    the border regions only (for each padded dimension, its low and high
    slabs over the interior of the dimensions before it) and one
    insert_slice of the source, each writing its part of one buffer.
  }];
  let dependentDialects = [
    "mlir::linalg::LinalgDialect", "mlir::tensor::TensorDialect"
  ];
}

def TrimFilterTaps : Pass<"tessel-trim-filter-taps", "mlir::func::FuncOp"> {
  let summary = "Cut the filter taps of convolutions that only ever read padding";
  let description = [{
    For an NHWC convolution or depthwise convolution with constant weights
    whose input is zero-padded: a filter row (or column) through which no
    output position reads an input row (only padding) adds nothing. The
    valid taps are kept (the weights sliced at compile time) and the padding
    shrinks by the cut, so that the outputs are the same from fewer
    weights: a 3x3 convolution on a 1x1 input padded by 1 becomes a 1x1 one,
    reading a ninth of its weights (the deepest layers of a small-input CNN).
  }];
  let dependentDialects = [
    "mlir::arith::ArithDialect", "mlir::linalg::LinalgDialect",
    "mlir::tensor::TensorDialect"
  ];
}

#endif // TESSEL_PASSES_TD
