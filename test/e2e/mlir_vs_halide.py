#!/usr/bin/python3
"""One schedule, two realizers: the same numbers, and a speed line.

For each (task, schedule) below, the schedule is one both realizers realize
as written (the MLIR realizer's fixed knobs, kernels/Plan.h, set). The MLIR
side is the function the tuner measures (`tessel task mlir`), compiled by
`tessel compile` and run by harness.c (which also writes its inputs); the
Halide side is the task's Halide kernel with the same schedule, run on those
inputs by tessel-halide-run. The outputs must agree to 1e-5 relative to the
largest magnitude: that is the test. Both are then timed on one thread, side
by side, and a line per task reports the medians and MLIR's speed relative to
Halide's (the bar is 0.9x); speed is reported, never a failure, since the
machine is shared.

usage: mlir_vs_halide.py BIN_DIR [--runs N]
"""
import array
import json
import os
import re
import statistics
import sys
import tempfile

from e2e_common import run

HERE = os.path.dirname(os.path.abspath(__file__))

CASES = [
    ("matmul m=48 n=80 k=40",
     {"order": ["m", "n"], "parallel": ["m"], "tile_inner": {"m": 4, "n": 16},
      "tile_outer": {"m": 16, "n": 40}, "vector_dim": "n", "vector_width": 16}),
    ("matmul m=1 n=1000 k=64 epilogue=bias",
     {"order": ["m", "n"], "tile_inner": {"n": 32}, "tile_outer": {"n": 200},
      "vector_dim": "n", "vector_width": 16, "epilogue_at": "root"}),
    # The epilogue per cache tile of 500 columns, its last vector tile peeled.
    ("matmul m=1 n=1000 k=512 epilogue=bias",
     {"epilogue_at": "outer", "order": ["n", "m"], "tile_inner": {"n": 128},
      "tile_outer": {"n": 500}, "vector_dim": "n", "vector_width": 16}),
    ("conv2d n=1 h=1 w=1 c=48 f=192 kh=1 kw=1 epilogue=relu",
     {"epilogue_at": "outer", "order": ["n", "f", "oh", "ow"], "tile_inner": {"f": 48},
      "tile_outer": {"f": 96}, "vector_dim": "f", "vector_width": 16}),
    ("matmul m=256 n=256 k=256",
     {"order": ["m", "n"], "tile_inner": {"m": 6, "n": 32}, "tile_outer": {"m": 64, "n": 64},
      "unroll": {"k": 4}, "vector_dim": "n", "vector_width": 16}),
    ("conv2d n=1 h=9 w=9 c=8 f=16 kh=3 kw=3 pad=1,1,1,1 epilogue=bias+relu",
     {"order": ["oh", "ow", "f", "n"], "tile_inner": {"f": 16, "ow": 3},
      "unroll": {"kh": 3, "kw": 3}, "vector_dim": "f", "vector_width": 16,
      "packing": "inputs", "epilogue_at": "root"}),
    ("conv2d n=1 h=10 w=10 c=4 f=32 kh=3 kw=3 stride=2,2",
     {"order": ["oh", "ow", "f", "n"], "tile_inner": {"f": 16, "ow": 4},
      "vector_dim": "f", "vector_width": 16}),
    ("conv2d n=1 h=28 w=28 c=64 f=64 kh=3 kw=3 pad=1,1,1,1",
     {"order": ["oh", "ow", "f", "n"], "tile_inner": {"f": 32, "ow": 7},
      "tile_outer": {"ow": 14}, "unroll": {"kw": 3}, "vector_dim": "f", "vector_width": 16,
      "packing": "inputs"}),
    ("depthwise_conv2d n=1 h=8 w=8 c=16 kh=3 kw=3 pad=1,1,1,1",
     {"order": ["oh", "ow", "c", "n"], "tile_inner": {"c": 16, "ow": 4},
      "vector_dim": "c", "vector_width": 16, "packing": "inputs"}),
    ("pool_max n=1 h=8 w=8 c=16 kh=2 kw=2 stride=2,2",
     {"order": ["oh", "ow", "c", "n"], "tile_inner": {"c": 16, "ow": 2},
      "vector_dim": "c", "vector_width": 16}),
]


def median_ms(text):
    m = re.search(r"median ([0-9.]+) ms", text)
    return float(m.group(1)) if m else None


def check(bin_dir, tmp, i, sig, schedule, runs):
    """Compares the two realizations; returns (ok, mlir ms, halide ms)."""
    sched = json.dumps(schedule, separators=(",", ":"))
    src = os.path.join(tmp, f"k{i}.mlir")
    with open(src, "w") as f:
        f.write(run([os.path.join(bin_dir, "tessel"), "task", "mlir", sig, "--schedule", sched]))
    out = os.path.join(tmp, f"k{i}")
    run([os.path.join(bin_dir, "tessel"), "compile", src, "-o", out])
    exe = os.path.join(out, "run")
    run(["cc", "-O2", "-include", os.path.join(out, "model.h"), os.path.join(HERE, "harness.c"),
         os.path.join(out, "libmodel.a"), "-lpthread", "-lm", "-o", exe])
    prefix = os.path.join(out, "in")
    run([exe, os.path.join(out, "mlir.bin"), "--dump-inputs", prefix])
    inputs = sorted(p for p in os.listdir(out) if p.startswith("in.arg"))
    halide = [os.path.join(bin_dir, "tessel-halide-run"), sig, sched,
              os.path.join(out, "halide.bin")] + [os.path.join(out, p) for p in inputs]
    run(halide)
    a = array.array("f", open(os.path.join(out, "mlir.bin"), "rb").read())
    b = array.array("f", open(os.path.join(out, "halide.bin"), "rb").read())
    scale = max(abs(x) for x in b) if b else 0.0
    err = max((abs(x - y) for x, y in zip(a, b)), default=float("inf"))
    if len(a) != len(b):
        err = float("inf")
    ok = err <= 1e-5 * scale + 1e-12
    print(f"{'PASS' if ok else 'FAIL'} {sig}: {len(b)} outputs, max abs error "
          f"{err:.3g} (largest {scale:.3g})")
    # Speed: interleaved rounds, the median of each side's round medians.
    t_mlir, t_halide = [], []
    for _ in range(3):
        t_mlir.append(median_ms(run([exe, os.path.join(out, "m.bin"), "--bench", str(runs)])))
        t_halide.append(median_ms(run(halide + ["--bench", str(runs)])))
    return ok, statistics.median(t_mlir), statistics.median(t_halide)


def main():
    bin_dir = sys.argv[1]
    runs = int(sys.argv[sys.argv.index("--runs") + 1]) if "--runs" in sys.argv else 50
    os.environ["HL_NUM_THREADS"] = "1"
    failures, speed = 0, []
    with tempfile.TemporaryDirectory(prefix="tessel-mlir-halide-") as tmp:
        for i, (sig, schedule) in enumerate(CASES):
            try:
                ok, tm, th = check(bin_dir, tmp, i, sig, schedule, runs)
            except RuntimeError as e:
                print(f"ERROR {sig}: {e}")
                failures += 1
                continue
            failures += 0 if ok else 1
            speed.append((sig, tm, th))
    print("\nspeed, 1 thread (median of 3 interleaved rounds; bar: mlir >= 0.9x halide)")
    print(f"{'task':<62}{'mlir ms':>10}{'halide ms':>11}{'mlir/halide':>13}")
    for sig, tm, th in speed:
        ratio = th / tm if tm and th else float("nan")
        print(f"{sig:<62}{tm:>10.4f}{th:>11.4f}{ratio:>12.2f}x")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
