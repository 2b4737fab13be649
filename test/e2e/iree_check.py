#!/usr/bin/python3
"""Run IREE's self-checking e2e tests with upstream MLIR tools.

Inputs are IREE e2e test files (third-party, read-only; see
../shared/models/MANIFEST.md beside the checkout).  For every test FUNCTION the driver
  1. builds a standalone upstream-MLIR module (iree_rewrite.build_module):
     IREE inputs become arguments of the test function, `check.*` ops count
     mismatching elements, and an added `@main` prints
     `TESSEL_MISMATCHES <count>`;
  2. pipes it through the PIPELINE command (MLIR on stdin -> LLVM-dialect
     MLIR on stdout; default: an upstream mlir-opt-19 pipeline);
  3. runs the result with mlir-cpu-runner-19 and reads the count.
Public functions that take arguments or return values are IREE compile-only
tests: they are only lowered (pipeline + mlir-translate to LLVM IR).

Each function is reported as
  PASS         mismatch count 0
  FAIL         mismatch count > 0 (the count is printed)
  COMPILED     compile-only test that lowered to LLVM IR
  UNSUPPORTED  the rewrite, the pipeline or the runner gave a diagnostic
               (its first `error:` line is printed, with the input's line)
  CRASH        the pipeline or the runner died by a signal or timed out
followed by a summary line per group (input directory).  The exit status is
nonzero only if something CRASHed or a --min-pass requirement is not met.

Usage (from the repository root):
  /usr/bin/python3 test/e2e/iree_check.py                 # all three groups
  /usr/bin/python3 test/e2e/iree_check.py --filter 'tosa/.*matmul'
  /usr/bin/python3 test/e2e/iree_check.py --pipeline "MY-OPT --my-pipeline" \\
      --min-pass tosa=70 --jobs 2
  /usr/bin/python3 test/e2e/iree_check.py tosa=/path/to/dir extra=/path/f.mlir

--filter matches "GROUP/FILE_STEM/FUNCTION" (re.search).  --dump DIR writes
each rewritten module (and the pipeline output) for debugging.
Only the standard library is used.
"""

import argparse
import concurrent.futures
import os
import re
import signal
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import iree_rewrite  # noqa: E402

# The shared models sit beside the checkout: <root>/../shared/models.
MODELS = os.environ.get("TESSEL_MODELS", os.path.normpath(os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared", "models")))
DEFAULT_GROUPS = [
    ("tosa", os.path.join(MODELS, "tosa/iree_e2e_tosa_ops")),
    ("tosa_regression", os.path.join(MODELS, "tosa/iree_e2e_regression")),
    ("linalg", os.path.join(MODELS, "linalg/iree_e2e")),
]

LLVM_LIB = "/usr/lib/llvm-19/lib"
RUNNER_LIBS = [os.path.join(LLVM_LIB, "libmlir_c_runner_utils.so"),
               os.path.join(LLVM_LIB, "libmlir_runner_utils.so")]

# Upstream MLIR 19 lowering: TOSA -> linalg/tensor/arith/scf on tensors,
# bufferize, linalg -> loops, everything -> LLVM dialect.
UPSTREAM_PASSES = ",".join([
    "func.func(tosa-optional-decompositions)",
    "func.func(tosa-to-scf)",
    "func.func(tosa-make-broadcastable,tosa-to-linalg-named,tosa-to-linalg,"
    "tosa-to-arith{include-apply-rescale=true},tosa-to-tensor)",
    "func.func(convert-elementwise-to-linalg)",
    "canonicalize",
    "one-shot-bufferize{bufferize-function-boundaries allow-return-allocs-from-loops "
    "function-boundary-type-conversion=identity-layout-map}",
    "func.func(convert-linalg-to-loops)",
    "expand-strided-metadata",
    "lower-affine",
    "convert-scf-to-cf",
    "convert-math-to-llvm",
    "convert-math-to-libm",
    "func.func(arith-expand)",
    "finalize-memref-to-llvm",
    "convert-vector-to-llvm",
    "convert-arith-to-llvm",
    "convert-index-to-llvm",
    "convert-cf-to-llvm",
    "convert-func-to-llvm",
    "reconcile-unrealized-casts",
])
DEFAULT_PIPELINE = "mlir-opt-19 --pass-pipeline='builtin.module(%s)'" \
    % UPSTREAM_PASSES
DEFAULT_RUNNER = "mlir-cpu-runner-19"
DEFAULT_TRANSLATE = "mlir-translate-19"

STATUSES = ["PASS", "FAIL", "COMPILED", "UNSUPPORTED", "CRASH"]


class Case:
    """One function of one input file."""

    def __init__(self, group, path, func):
        self.group = group
        self.path = path
        self.func = func  # iree_rewrite.TestFunc
        stem = os.path.splitext(os.path.basename(path))[0]
        self.id = "%s/%s/%s" % (group, stem, func.name)


class Result:
    def __init__(self, status, detail="", seconds=0.0):
        self.status = status
        self.detail = detail
        self.seconds = seconds


class ToolFailure(Exception):
    """A tool failed: status is UNSUPPORTED or CRASH."""

    def __init__(self, status, detail):
        super().__init__(detail)
        self.status = status
        self.detail = detail


# --------------------------------------------------------------------------
# Running tools
# --------------------------------------------------------------------------

def _signal_of(rc, stderr):
    """Signal number that killed the tool, or None.  A shell wrapper reports
    128+N; LLVM's crash handler prints a stack dump."""
    if rc < 0:
        return -rc
    if 128 < rc < 128 + 65:
        return rc - 128
    if "PLEASE submit a bug report" in stderr or "Stack dump:" in stderr:
        return signal.SIGABRT
    return None


def _first_error(stderr, path):
    """First diagnostic line.  The rewrite keeps the input's line numbers, so
    `<stdin>:L:C` becomes `FILE:L:C`; lines past the end of the input are in
    the code added by the driver."""
    lines = stderr.splitlines()
    pick = next((l for l in lines if "error:" in l), None)
    if pick is None:
        pick = next((l for l in lines if l.strip()), "(no diagnostic)")
    with open(path) as f:
        nlines = f.read().count("\n") + 1

    def loc(m):
        if int(m.group(1)) > nlines:
            return "<driver-added code>:%s:" % m.group(1)
        return "%s:%s:" % (os.path.basename(path), m.group(1))
    return re.sub(r"<stdin>:(\d+):", loc, pick).strip()


def run_tool(what, cmd, stdin_text, timeout, path, shell=False):
    """Run cmd; return stdout, or raise ToolFailure."""
    try:
        proc = subprocess.Popen(
            cmd, shell=shell, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, start_new_session=True)
    except OSError as e:
        raise ToolFailure("UNSUPPORTED", "%s: cannot start: %s" % (what, e))
    try:
        out, err = proc.communicate(stdin_text, timeout=timeout)
    except subprocess.TimeoutExpired:
        # Kill the whole process group we created (shell + children).
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.communicate()
        raise ToolFailure("CRASH", "%s: timed out after %ss" % (what, timeout))
    sig = _signal_of(proc.returncode, err)
    if sig is not None:
        try:
            name = signal.Signals(sig).name
        except ValueError:
            name = "signal %d" % sig
        raise ToolFailure("CRASH", "%s: killed by %s: %s"
                          % (what, name, _first_error(err, path)))
    if proc.returncode != 0:
        raise ToolFailure("UNSUPPORTED", "%s: %s"
                          % (what, _first_error(err, path)))
    return out


def run_case(case, args):
    start = time.time()
    try:
        res = _run_case(case, args)
    except ToolFailure as e:
        res = Result(e.status, e.detail)
    res.seconds = time.time() - start
    return res


def _run_case(case, args):
    with open(case.path) as f:
        text = f.read()
    try:
        module, entry = iree_rewrite.build_module(text, case.func.name)
    except iree_rewrite.RewriteError as e:
        return Result("UNSUPPORTED", "rewrite: %s:%s"
                      % (os.path.basename(case.path), e))
    dump = None
    if args.dump:
        dump = os.path.join(args.dump, case.id.replace("/", "__"))
        os.makedirs(args.dump, exist_ok=True)
        with open(dump + ".mlir", "w") as f:
            f.write(module)

    llvm = run_tool("pipeline", args.pipeline, module, args.timeout,
                    case.path, shell=True)
    if dump:
        with open(dump + ".llvm.mlir", "w") as f:
            f.write(llvm)

    if entry is None:
        # Compile-only test: check that the output is fully lowered.
        run_tool("translate", [args.translate, "--mlir-to-llvmir"], llvm,
                 args.timeout, case.path)
        return Result("COMPILED")

    out = run_tool("runner", [
        args.runner, "-e", entry, "-entry-point-result=void",
        "-shared-libs=" + ",".join(RUNNER_LIBS)], llvm, args.timeout,
        case.path)
    m = re.search(r"%s (-?\d+)" % iree_rewrite.RESULT_MARKER, out)
    if m is None:
        return Result("UNSUPPORTED", "runner: no result printed")
    count = int(m.group(1))
    if count == 0:
        return Result("PASS")
    return Result("FAIL", "%d mismatching element(s)" % count)


# --------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------

def collect(inputs):
    """inputs: list of (group, path); path is a directory or a file."""
    cases = []
    for group, path in inputs:
        if os.path.isdir(path):
            files = sorted(os.path.join(path, f) for f in os.listdir(path)
                           if f.endswith(".mlir"))
        else:
            files = [path]
        for fp in files:
            with open(fp) as f:
                text = f.read()
            try:
                funcs = iree_rewrite.parse_tests(text)
            except iree_rewrite.RewriteError as e:
                # Unparseable file: report it as one unsupported case.
                funcs = [iree_rewrite.TestFunc("<file>", "run", 0, str(e))]
            for fn in funcs:
                cases.append(Case(group, fp, fn))
    return cases


def parse_inputs(specs):
    if not specs:
        return DEFAULT_GROUPS
    out = []
    for s in specs:
        if "=" in s and not os.path.exists(s):
            g, p = s.split("=", 1)
        else:
            p = s
            g = os.path.basename(os.path.normpath(p))
            g = os.path.splitext(g)[0]
        out.append((g, p))
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("inputs", nargs="*", metavar="[GROUP=]PATH",
                    help="input directories or files (default: the three "
                    "IREE e2e directories under $TESSEL_MODELS)")
    ap.add_argument("--pipeline", default=DEFAULT_PIPELINE,
                    help="shell command: MLIR on stdin -> LLVM-dialect MLIR "
                    "on stdout (default: upstream mlir-opt-19 pipeline)")
    ap.add_argument("--runner", default=DEFAULT_RUNNER)
    ap.add_argument("--translate", default=DEFAULT_TRANSLATE)
    ap.add_argument("--filter", default=None,
                    help="regex searched in GROUP/FILE/FUNCTION")
    ap.add_argument("--jobs", "-j", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=600,
                    help="seconds per tool invocation (default 600)")
    ap.add_argument("--min-pass", action="append", default=[],
                    metavar="GROUP=N",
                    help="fail unless GROUP has at least N passing functions")
    ap.add_argument("--dump", metavar="DIR",
                    help="write rewritten modules and pipeline output here")
    ap.add_argument("--print-pipeline", action="store_true",
                    help="print the pipeline command and exit")
    args = ap.parse_args(argv)

    if args.print_pipeline:
        print(args.pipeline)
        return 0
    for lib in RUNNER_LIBS:
        if not os.path.exists(lib):
            print("error: runner library %s not found" % lib, file=sys.stderr)
            return 2
    min_pass = {}
    for spec in args.min_pass:
        g, _, n = spec.partition("=")
        if not n.isdigit():
            ap.error("--min-pass expects GROUP=N, got %r" % spec)
        min_pass[g] = int(n)

    inputs = parse_inputs(args.inputs)
    cases = collect(inputs)
    if args.filter:
        rx = re.compile(args.filter)
        cases = [c for c in cases if rx.search(c.id)]
    groups = []
    for g, _ in inputs:
        if g not in groups:
            groups.append(g)
    for g in min_pass:
        if g not in groups:
            ap.error("--min-pass: unknown group %r" % g)

    width = max([len(c.id) for c in cases] + [10])
    print("pipeline: %s" % args.pipeline, flush=True)
    results = {}

    def report(case, res):
        line = "%-11s %-*s %6.1fs" % (res.status, width, case.id, res.seconds)
        if res.detail:
            line += "  " + res.detail
        print(line, flush=True)

    def work(case):
        if case.func.error:
            return Result("UNSUPPORTED", "rewrite: %s:%s" % (
                os.path.basename(case.path), case.func.error))
        return run_case(case, args)

    # Results are printed as they complete (in order when --jobs 1).
    with concurrent.futures.ThreadPoolExecutor(max(1, args.jobs)) as pool:
        futs = {pool.submit(work, c): c for c in cases}
        for fut in concurrent.futures.as_completed(futs):
            c = futs[fut]
            results[c.id] = fut.result()
            report(c, results[c.id])

    status = 0
    print()
    for g in groups:
        gcases = [c for c in cases if c.group == g]
        if not gcases and g not in min_pass:
            continue
        run = [results[c.id].status for c in gcases if c.func.kind == "run"]
        comp = [results[c.id].status for c in gcases
                if c.func.kind == "compile"]
        line = "%s: %d/%d pass, %d fail, %d unsupported, %d crash" % (
            g, run.count("PASS"), len(run), run.count("FAIL"),
            run.count("UNSUPPORTED"), run.count("CRASH"))
        if comp:
            line += "; compile-only: %d/%d lowered, %d unsupported, %d crash" \
                % (comp.count("COMPILED"), len(comp),
                   comp.count("UNSUPPORTED"), comp.count("CRASH"))
        if g in min_pass:
            ok = run.count("PASS") >= min_pass[g]
            line += "  [min-pass %d: %s]" % (min_pass[g], "ok" if ok else "NOT MET")
            if not ok:
                status = 1
        if "CRASH" in run or "CRASH" in comp:
            status = 1
        print(line)
    return status


if __name__ == "__main__":
    sys.exit(main())
