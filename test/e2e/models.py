#!/usr/bin/python3
"""End-to-end test of `tessel compile` on whole models.

For each model file: compile it with tessel's schedules (`tessel compile`,
optionally with --db) and with the untiled upstream lowering (`--baseline`,
the independent reference: convert-linalg-to-loops, no tessel pass), link
both with harness.c, run both on the same deterministic inputs, and compare
every output element. Prints the max absolute error per model and fails if
it exceeds the tolerance of the dtype.

The torchvision exports carry splat weights, so their outputs are nearly
uniform and compare weakly. With --perturb-weights (the default) a test step
rewrites every splat float weight `arith.constant dense<V> : tensor<S>` into
a linalg.generic computing it from the element index: the same graph with
non-uniform weights: weights of rank >= 2 become sqrt(6 / fan_in) *
sin(f(index)) (both signs, He-like scale, so that activations neither vanish
nor explode through the layers), vectors (biases, batch-norm parameters)
V * (1 + 0.5 sin(f(index))) (the sign kept, so that variances stay
positive). With --weights dense the splat weights become seeded random
dense_resource blobs instead (bench/dense_weights.py): real weight arrays, as
a model with trained weights has, which tessel lays out at compile time.
--weights splat keeps the file as it is. The input files are never modified.

The reference always runs on this machine; with --target, --cc and
--run-prefix the tessel build can be for another target (e.g. graviton3,
aarch64-linux-gnu-gcc, 'qemu-aarch64 -cpu max,sve256=on').

With --threads N (N > 1) the tessel build runs its parallel loops on N
OpenMP threads and links libomp.

usage: models.py --tessel BIN_DIR [--db F] [--kernels mlir|halide] [--target T]
                 [--threads N] [--cc CC --run-prefix CMD]
                 [--weights perturb|dense|splat] MODEL.mlir...
"""
import argparse
import array
import os
import re
import sys
import tempfile

from e2e_common import run

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bench"))

HARNESS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "harness.c")
# Tolerance per dtype, relative to the largest reference magnitude.
TOLERANCE = {"f32": 1e-4, "f64": 1e-10}
# Linking a model compiled with --threads N > 1: LLVM's OpenMP runtime
# (Debian's libomp-19-dev).
LIBOMP = ["-L/usr/lib/llvm-19/lib", "-lomp", "-Wl,-rpath,/usr/lib/llvm-19/lib"]

SPLAT = re.compile(
    r"^(\s*)(%[\w.$-]+) = arith\.constant dense<([-+0-9.eE]+)> : "
    r"tensor<((?:\d+x)+)f32>\s*$")


def perturb(text):
    """The model text with splat f32 weights made non-uniform (see above)."""
    out = []
    for line in text.splitlines():
        m = SPLAT.match(line)
        if not m:
            out.append(line)
            continue
        indent, name, value, dims = m.groups()
        shape = [int(d) for d in dims.rstrip("x").split("x")]
        if len(shape) == 0 or all(d == 1 for d in shape):
            out.append(line)
            continue
        rank = len(shape)
        t = "tensor<%sxf32>" % "x".join(map(str, shape))
        ds = ", ".join("d%d" % i for i in range(rank))
        amap = "affine_map<(%s) -> (%s)>" % (ds, ds)
        iters = ", ".join(['"parallel"'] * rank)
        b = name.lstrip("%").replace(".", "_")
        body = [f"{indent}%{b}_empty = tensor.empty() : {t}",
                f"{indent}{name} = linalg.generic {{indexing_maps = [{amap}], "
                f"iterator_types = [{iters}]}} outs(%{b}_empty : {t}) {{",
                f"{indent}^bb0(%{b}_out: f32):"]
        acc = None
        primes = [7919, 104729, 1299709, 15485863, 179424673, 2038074743]
        for i in range(rank):
            body.append(f"{indent}  %{b}_i{i} = linalg.index {i} : index")
            body.append(f"{indent}  %{b}_p{i} = arith.constant {primes[i % len(primes)]} : index")
            body.append(f"{indent}  %{b}_m{i} = arith.muli %{b}_i{i}, %{b}_p{i} : index")
            if acc is None:
                acc = f"%{b}_m{i}"
            else:
                body.append(f"{indent}  %{b}_s{i} = arith.addi {acc}, %{b}_m{i} : index")
                acc = f"%{b}_s{i}"
        # rank >= 2: sqrt(6 / fan_in) * sin; rank 1: V * (1 + 0.5 sin)
        if rank >= 2:
            fan_in = 1
            for d in shape[1:]:
                fan_in *= d
            offset, amplitude, value = "0.0", "1.0", "%.9e" % (6.0 / fan_in) ** 0.5
        else:
            offset, amplitude = "1.0", "0.5"
        body += [f"{indent}  %{b}_int = arith.index_cast {acc} : index to i64",
                 f"{indent}  %{b}_f = arith.sitofp %{b}_int : i64 to f32",
                 f"{indent}  %{b}_sin = math.sin %{b}_f : f32",
                 f"{indent}  %{b}_half = arith.constant {amplitude} : f32",
                 f"{indent}  %{b}_one = arith.constant {offset} : f32",
                 f"{indent}  %{b}_v = arith.constant {value} : f32",
                 f"{indent}  %{b}_h = arith.mulf %{b}_sin, %{b}_half : f32",
                 f"{indent}  %{b}_w = arith.addf %{b}_h, %{b}_one : f32",
                 f"{indent}  %{b}_r = arith.mulf %{b}_w, %{b}_v : f32",
                 f"{indent}  linalg.yield %{b}_r : f32",
                 f"{indent}}} -> {t}"]
        out.extend(body)
    return "\n".join(out) + "\n"


def outputs(header):
    """(dtype, element count) of each output of each entry, from model.h."""
    result = []
    for m in re.finditer(r'\{"(\w+)", "(\w+)", (\d+), \{([\d, ]*)\}, (\d)\}', header):
        name, dtype, rank, shape, is_out = m.groups()
        if is_out == "1":
            n = 1
            for d in shape.split(","):
                if d.strip():
                    n *= int(d)
            result.append((dtype, n))
    return result


def build(tessel, model, out, extra, cc, static=False, threads=1):
    run([os.path.join(tessel, "tessel"), "compile", model, "-o", out] + extra +
        ["--threads", str(threads)])
    exe = os.path.join(out, "run")
    run([cc, "-O2"] + (["-static"] if static else []) +
        ["-include", os.path.join(out, "model.h"), HARNESS,
         os.path.join(out, "libmodel.a")] + (LIBOMP if threads > 1 else []) +
        ["-lpthread", "-ldl", "-lm", "-o", exe])
    return exe


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tessel", required=True, help="directory of tessel and tessel-opt")
    ap.add_argument("--db", help="schedule database for the tessel build")
    ap.add_argument("--target", default="host")
    ap.add_argument("--kernels", default="mlir", choices=["mlir", "halide"],
                    help="tessel build: MLIR loops, or calls into tuned Halide kernels")
    ap.add_argument("--threads", type=int, default=1,
                    help="tessel build: parallel loops on this many OpenMP threads")
    ap.add_argument("--weights", default="perturb", choices=["perturb", "dense", "splat"],
                    help="non-uniform weights computed from their index (default), "
                         "random dense_resource weights, or the file's splat weights")
    ap.add_argument("--bench", type=int, default=0, help="also time N calls of each")
    ap.add_argument("--cc", default="cc",
                    help="C compiler for the tessel build (e.g. aarch64-linux-gnu-gcc)")
    ap.add_argument("--run-prefix", default="",
                    help="runs the tessel build through this command, e.g. "
                         "'qemu-aarch64 -cpu max,sve256=on' (the reference runs here)")
    ap.add_argument("models", nargs="+")
    args = ap.parse_args()
    failures = 0
    with tempfile.TemporaryDirectory(prefix="tessel-e2e-") as tmp:
        for model in args.models:
            name = os.path.splitext(os.path.basename(model))[0]
            src = model
            if args.weights == "perturb":
                src = os.path.join(tmp, name + ".perturbed.mlir")
                with open(model) as f, open(src, "w") as g:
                    g.write(perturb(f.read()))
            elif args.weights == "dense":
                from dense_weights import rewrite
                src = os.path.join(tmp, name + ".dense.mlir")
                with open(model) as f, open(src, "w") as g:
                    g.write(rewrite(f.read(), seed=0)[0])
            extra = ["--target", args.target, "--kernels", args.kernels] + \
                (["--db", args.db] if args.db else [])
            try:
                tuned = build(args.tessel, src, os.path.join(tmp, name + "-tessel"), extra,
                              args.cc, static=bool(args.run_prefix), threads=args.threads)
                ref = build(args.tessel, src, os.path.join(tmp, name + "-ref"),
                            ["--baseline", "--target", "host"], "cc")
            except RuntimeError as e:
                print(f"{name}: ERROR {e}")
                failures += 1
                continue
            bench = ["--bench", str(args.bench)] if args.bench else []
            t_out = run(args.run_prefix.split() + [tuned, os.path.join(tmp, name + ".tessel.bin")] + bench)
            r_out = run([ref, os.path.join(tmp, name + ".ref.bin")] + bench)
            with open(os.path.join(tmp, name + "-tessel", "model.h")) as f:
                outs = outputs(f.read())
            got = open(os.path.join(tmp, name + ".tessel.bin"), "rb").read()
            want = open(os.path.join(tmp, name + ".ref.bin"), "rb").read()
            offset, worst, ok = 0, 0.0, True
            for dtype, n in outs:
                code = {"f32": "f", "f64": "d", "i32": "i", "i64": "q"}.get(dtype)
                if code is None:
                    print(f"{name}: output dtype {dtype} not compared")
                    continue
                size = array.array(code).itemsize * n
                a = array.array(code, got[offset:offset + size])
                b = array.array(code, want[offset:offset + size])
                offset += size
                scale = max(abs(x) for x in b) + 1e-30
                err = max(abs(x - y) for x, y in zip(a, b))
                spread = max(b) - min(b)
                worst = max(worst, err)
                tol = TOLERANCE.get(dtype, 0) * scale + 1e-12
                if not err <= tol:
                    ok = False
                print(f"{name}: {n} {dtype} outputs, max abs error {err:.3g} "
                      f"(tolerance {tol:.3g}, reference range {min(b):.4g}..{max(b):.4g}, "
                      f"spread {spread:.3g})")
            if bench:
                print(f"{name}: tessel {t_out.strip()} | untiled {r_out.strip()}")
            print(f"{name}: {'PASS' if ok else 'FAIL'}")
            failures += 0 if ok else 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
