#!/usr/bin/python3
"""The same schedule realized by MLIR and by Halide gives the same numbers.

For each (task, schedule) below: a one-op model of the task is written in
linalg on tensors with the schedule attached as `tessel.schedule`, compiled by
`tessel compile` and run by harness.c (which also writes its inputs); the
Halide kernel of the task is compiled with the same schedule and run on those
inputs by tessel-halide-run. The outputs must agree to a tolerance of 1e-5
relative to the largest magnitude.

usage: mlir_vs_halide.py BIN_DIR
"""
import array
import json
import os
import sys
import tempfile

from e2e_common import run

HERE = os.path.dirname(os.path.abspath(__file__))

CASES = [
    ("matmul m=48 n=80 k=40",
     {"order": ["m", "n"], "parallel": ["m"], "tile_inner": {"m": 4, "n": 16},
      "tile_outer": {"m": 16, "n": 48}, "vector_dim": "n", "vector_width": 16}),
    ("matmul m=1 n=1000 k=64 epilogue=bias",
     {"order": ["m", "n"], "tile_inner": {"n": 32}, "tile_outer": {"n": 128},
      "vector_dim": "n", "vector_width": 16}),
    ("conv2d n=1 h=9 w=9 c=8 f=16 kh=3 kw=3 pad=1,1,1,1 layout=nchw_fchw",
     {"order": ["f", "oh", "ow", "n"], "tile_inner": {"oh": 3, "ow": 8},
      "tile_outer": {"f": 8}, "unroll": {"kh": 3, "kw": 3}, "vector_dim": "ow",
      "vector_width": 8}),
    ("conv2d n=1 h=10 w=10 c=4 f=32 kh=3 kw=3 stride=2,2",
     {"order": ["oh", "ow", "f", "n"], "tile_inner": {"f": 16, "ow": 4},
      "vector_dim": "f", "vector_width": 16}),
    ("depthwise_conv2d n=1 h=8 w=8 c=16 kh=3 kw=3 pad=1,1,1,1 layout=nchw_chw",
     {"order": ["c", "oh", "ow", "n"], "tile_inner": {"ow": 8},
      "vector_dim": "ow", "vector_width": 8}),
    ("pool_max n=1 h=8 w=8 c=16 kh=2 kw=2 stride=2,2 layout=nchw",
     {"order": ["c", "oh", "ow", "n"], "tile_inner": {"ow": 4}, "vector_dim": "ow",
      "vector_width": 4}),
]


def parse(sig):
    fam, *kv = sig.split()
    d = {"family": fam, "stride": "1,1", "pad": "0,0,0,0", "epilogue": ""}
    for item in kv:
        k, v = item.split("=", 1)
        d[k] = v
    return d


def t(shape):
    return "tensor<%sxf32>" % "x".join(str(x) for x in shape)


def model(sig, schedule):
    """A one-op linalg model of the task, its arguments in kernelArrays order."""
    d = parse(sig)
    attr = json.dumps(schedule, separators=(",", ":")).replace('"', '\\22')
    sched = 'tessel.schedule = "%s"' % attr
    fam = d["family"]
    if fam == "matmul":
        m, n, k = int(d["m"]), int(d["n"]), int(d["k"])
        args = [f"%a: {t([m, k])}", f"%b: {t([k, n])}"]
        body = [f"%z = arith.constant 0.0 : f32",
                f"%e = tensor.empty() : {t([m, n])}",
                f"%f = linalg.fill ins(%z : f32) outs(%e : {t([m, n])}) -> {t([m, n])}",
                f"%r = linalg.matmul {{{sched}}} ins(%a, %b : {t([m, k])}, {t([k, n])}) "
                f"outs(%f : {t([m, n])}) -> {t([m, n])}"]
        result, out = "%r", [m, n]
        if d["epilogue"] == "bias":
            args.append(f"%bias: {t([n])}")
            body += [f"%o = linalg.generic {{indexing_maps = [affine_map<(i, j) -> (i, j)>, "
                     f"affine_map<(i, j) -> (j)>, affine_map<(i, j) -> (i, j)>], "
                     f'iterator_types = ["parallel", "parallel"]}} ins(%r, %bias : {t([m, n])}, {t([n])}) '
                     f"outs(%e : {t([m, n])}) {{",
                     "^bb0(%x: f32, %y: f32, %w: f32):",
                     "  %s = arith.addf %x, %y : f32",
                     "  linalg.yield %s : f32",
                     f"}} -> {t([m, n])}"]
            result = "%o"
    else:
        n, h, w, c = (int(d[k]) for k in ("n", "h", "w", "c"))
        kh, kw = int(d["kh"]), int(d["kw"])
        sh, sw = (int(x) for x in d["stride"].split(","))
        pt, pl, pb, pr = (int(x) for x in d["pad"].split(","))
        layout = d.get("layout", {"conv2d": "nhwc_hwcf"}.get(fam, "nhwc"))
        nchw = layout.startswith("nchw")
        oh, ow = (h + pt + pb - kh) // sh + 1, (w + pl + pr - kw) // sw + 1
        H, W = h + pt + pb, w + pl + pr
        f = int(d.get("f", c))
        x_shape = [n, c, h, w] if nchw else [n, h, w, c]
        xp_shape = [n, c, H, W] if nchw else [n, H, W, c]
        o_shape = [n, f, oh, ow] if nchw else [n, oh, ow, f]
        lo = [0, 0, pt, pl] if nchw else [0, pt, pl, 0]
        hi = [0, 0, pb, pr] if nchw else [0, pb, pr, 0]
        pool = fam == "pool_max"
        padv = "-3.40282347E+38" if pool else "0.0"
        args = [f"%x: {t(x_shape)}"]
        attrs = (f"dilations = dense<1> : vector<2xi64>, strides = dense<[{sh}, {sw}]> : "
                 f"vector<2xi64>, {sched}")
        body = [f"%z = arith.constant {padv} : f32",
                f"%p = tensor.pad %x low[{', '.join(map(str, lo))}] high[{', '.join(map(str, hi))}] {{",
                "^bb0(%i0: index, %i1: index, %i2: index, %i3: index):",
                "  tensor.yield %z : f32",
                f"}} : {t(x_shape)} to {t(xp_shape)}",
                f"%e = tensor.empty() : {t(o_shape)}",
                f"%f = linalg.fill ins(%z : f32) outs(%e : {t(o_shape)}) -> {t(o_shape)}"]
        if fam == "conv2d":
            w_shape = [f, c, kh, kw] if nchw else [kh, kw, c, f]
            args.append(f"%wt: {t(w_shape)}")
            op = "conv_2d_nchw_fchw" if nchw else "conv_2d_nhwc_hwcf"
            body.append(f"%r = linalg.{op} {{{attrs}}} ins(%p, %wt : {t(xp_shape)}, {t(w_shape)}) "
                        f"outs(%f : {t(o_shape)}) -> {t(o_shape)}")
        elif fam == "depthwise_conv2d":
            w_shape = [c, kh, kw] if nchw else [kh, kw, c]
            args.append(f"%wt: {t(w_shape)}")
            op = "depthwise_conv_2d_nchw_chw" if nchw else "depthwise_conv_2d_nhwc_hwc"
            body.append(f"%r = linalg.{op} {{{attrs}}} ins(%p, %wt : {t(xp_shape)}, {t(w_shape)}) "
                        f"outs(%f : {t(o_shape)}) -> {t(o_shape)}")
        else:
            op = "pooling_nchw_max" if nchw else "pooling_nhwc_max"
            body += [f"%win = tensor.empty() : {t([kh, kw])}",
                     f"%r = linalg.{op} {{{attrs}}} ins(%p, %win : {t(xp_shape)}, {t([kh, kw])}) "
                     f"outs(%f : {t(o_shape)}) -> {t(o_shape)}"]
        result, out = "%r", o_shape
    return ("func.func @kernel(%s) -> %s {\n  %s\n  return %s : %s\n}\n" %
            (", ".join(args), t(out), "\n  ".join(body), result, t(out)))


def main():
    bin_dir = sys.argv[1]
    failures = 0
    with tempfile.TemporaryDirectory(prefix="tessel-mlir-halide-") as tmp:
        for i, (sig, schedule) in enumerate(CASES):
            src = os.path.join(tmp, f"k{i}.mlir")
            with open(src, "w") as f:
                f.write(model(sig, schedule))
            out = os.path.join(tmp, f"k{i}")
            try:
                run([os.path.join(bin_dir, "tessel"), "compile", src, "-o", out])
                exe = os.path.join(out, "run")
                run(["cc", "-O2", "-include", os.path.join(out, "model.h"),
                     os.path.join(HERE, "harness.c"), os.path.join(out, "model.o"),
                     "-lm", "-o", exe])
                prefix = os.path.join(out, "in")
                run([exe, os.path.join(out, "mlir.bin"), "--dump-inputs", prefix])
                inputs = sorted(p for p in os.listdir(out) if p.startswith("in.arg"))
                run([os.path.join(bin_dir, "tessel-halide-run"), sig,
                     json.dumps(schedule), os.path.join(out, "halide.bin")] +
                    [os.path.join(out, p) for p in inputs])
            except RuntimeError as e:
                print(f"ERROR {sig}: {e}")
                failures += 1
                continue
            a = array.array("f", open(os.path.join(out, "mlir.bin"), "rb").read())
            b = array.array("f", open(os.path.join(out, "halide.bin"), "rb").read())
            scale = max(abs(x) for x in b) if b else 0.0
            err = max((abs(x - y) for x, y in zip(a, b)), default=float("inf"))
            if len(a) != len(b):
                err = float("inf")
            ok = err <= 1e-5 * scale + 1e-12
            print(f"{'PASS' if ok else 'FAIL'} {sig}: {len(b)} outputs, max abs error "
                  f"{err:.3g} (largest {scale:.3g})")
            failures += 0 if ok else 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
