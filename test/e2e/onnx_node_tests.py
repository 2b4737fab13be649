#!/usr/bin/python3
"""The ONNX backend node tests (Debian's libonnx-testdata) through tessel:
each test's model.onnx imported by `tessel import`, compiled by `tessel
compile`, run by `tessel run` on the test's input_*.pb, and its outputs
compared with output_*.pb at the suite's tolerance (rtol 1e-3, atol 1e-7).

Tests whose ops are all supported by the importer, with f32 outputs, are
run (their integer inputs, shapes and indices, frozen into the model as
constants: tessel compiles static shapes); a sample of the others must fail to import with an error
saying what is not supported (the op, or the element type). Prints the
count passed / tried per op; exits 1 if a supported op's test fails, or if an
unsupported op is not refused clearly.
  onnx_node_tests.py BIN_DIR [--jobs N] [--filter REGEX] [--data DIR]"""
import argparse
import collections
import concurrent.futures
import os
import re
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import numpy_helper

DATA = "/usr/share/libonnx-testdata/data/node"


def supported_ops(tessel):
    out = subprocess.run([tessel, "import", "--help"], capture_output=True, text=True).stdout
    m = re.search(r"\(supported ops: ([^)]*)\)", out)
    return set(m.group(1).split())


def header_args(out):
    """(inputs, outputs): the argument names of model.h's first entry point
    (the model's own names where tessel import kept them)."""
    text = open(os.path.join(out, "model.h")).read()
    table = text[text.index("_args[] = {"):]
    table = table[:table.index("};")]
    args = re.findall(r'\{"([^"]+)", "[a-z0-9]+", \d+, \{[^}]*\}, ([01])\}', table)
    return [n for n, o in args if o == "0"], [n for n, o in args if o == "1"]


def load(path):
    t = onnx.TensorProto()
    with open(path, "rb") as f:
        t.ParseFromString(f.read())
    return numpy_helper.to_array(t)


INTEGER_TYPES = (onnx.TensorProto.INT64, onnx.TensorProto.INT32, onnx.TensorProto.BOOL)


def is_integer_tensor(v):
    return v.type.HasField("tensor_type") and v.type.tensor_type.elem_type in INTEGER_TYPES


def freeze_integer_inputs(test_dir, work):
    """The model with its integer inputs (shapes, axes, indices: tessel
    compiles static shapes) made initializers holding the test's values;
    the inputs left, and the path of the model to import."""
    m = onnx.load(os.path.join(test_dir, "model.onnx"))
    d = os.path.join(test_dir, sorted(x for x in os.listdir(test_dir)
                                      if x.startswith("test_data_set"))[0])
    kept, frozen = [], False
    for i, v in enumerate(list(m.graph.input)):
        if not is_integer_tensor(v):
            kept.append(i)
            continue
        t = onnx.TensorProto()
        with open(os.path.join(d, "input_%d.pb" % i), "rb") as f:
            t.ParseFromString(f.read())
        t.name = v.name
        m.graph.initializer.append(t)
        frozen = True
    if not frozen:
        return kept, os.path.join(test_dir, "model.onnx")
    for v in [v for v in m.graph.input if is_integer_tensor(v)]:
        m.graph.input.remove(v)
    path = os.path.join(work, "frozen.onnx")
    onnx.save(m, path)
    return kept, path


def run_test(tessel, test_dir, work):
    """(status, detail): status is pass, fail or refused."""
    kept, model = freeze_integer_inputs(test_dir, work)
    mlir = os.path.join(work, "model.mlir")
    r = subprocess.run([tessel, "import", model, "-o", mlir], capture_output=True, text=True)
    if r.returncode != 0:
        return "refused", r.stderr.strip().splitlines()[-1] if r.stderr.strip() else "?"
    out = os.path.join(work, "out")
    r = subprocess.run([tessel, "compile", mlir, "-o", out], capture_output=True, text=True)
    if r.returncode != 0:
        return "fail", "compile: " + (r.stderr.strip().splitlines() or ["?"])[-1]
    sets = sorted(d for d in os.listdir(test_dir) if d.startswith("test_data_set"))
    for s in sets[:1]:
        d = os.path.join(test_dir, s)
        ins = ["input_%d.pb" % i for i in kept]
        outs = sorted(f for f in os.listdir(d) if f.startswith("output_"))
        args = [tessel, "run", out]
        in_names, out_names = header_args(out)
        if len(in_names) != len(ins) or len(out_names) != len(outs):
            return "fail", "model.h has %d inputs and %d outputs, the test %d and %d" % (
                len(in_names), len(out_names), len(ins), len(outs))
        for i, f in enumerate(ins):
            a = load(os.path.join(d, f))
            if a.dtype != np.float32:
                return "fail", "input %s is %s" % (f, a.dtype)
            np.save(os.path.join(work, "in%d.npy" % i), a.copy(order="C"))
            args += ["--input", "%s=%s" % (in_names[i], os.path.join(work, "in%d.npy" % i))]
        for i in range(len(outs)):
            args += ["--output", "%s=%s" % (out_names[i], os.path.join(work, "out%d.npy" % i))]
        r = subprocess.run(args, capture_output=True, text=True)
        if r.returncode != 0:
            return "fail", "run: " + (r.stderr.strip().splitlines() or ["?"])[-1]
        for i, f in enumerate(outs):
            want = load(os.path.join(d, f))
            got = np.load(os.path.join(work, "out%d.npy" % i))
            if got.shape != want.shape:
                return "fail", "output %d has shape %s, expected %s" % (i, got.shape, want.shape)
            if not np.allclose(got, want, rtol=1e-3, atol=1e-7, equal_nan=True):
                err = np.max(np.abs(got.astype(np.float64) - want))
                return "fail", "output %d differs: max abs error %.3g" % (i, err)
    return "pass", ""


def op_types(test_dir):
    """The model's op types, and whether its inputs and outputs are all f32."""
    m = onnx.load(os.path.join(test_dir, "model.onnx"), load_external_data=False)
    # Integer inputs are frozen into the model (freeze_integer_inputs).
    def f32(v):
        return v.type.HasField("tensor_type") and \
            v.type.tensor_type.elem_type == onnx.TensorProto.FLOAT
    runnable = all(f32(v) for v in m.graph.output) and \
        all(f32(v) or is_integer_tensor(v) for v in m.graph.input) and \
        any(f32(v) for v in m.graph.input)
    return sorted({n.op_type for n in m.graph.node}), runnable


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("bin")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--filter", default=None)
    ap.add_argument("--data", default=DATA)
    ap.add_argument("--max-refused", type=int, default=None,
                    help="fail when more supported-op tests than this are refused")
    ap.add_argument("--unsupported-sample", type=int, default=20,
                    help="tests of unsupported ops whose refusal is checked")
    args = ap.parse_args()
    tessel = os.path.join(args.bin, "tessel")
    if not os.path.isdir(args.data):
        print("no ONNX node tests at %s (Debian package libonnx-testdata)" % args.data)
        return 77
    supported = supported_ops(tessel)
    tests, unsupported = [], []
    for name in sorted(os.listdir(args.data)):
        if args.filter and not re.search(args.filter, name):
            continue
        d = os.path.join(args.data, name)
        ops, f32 = op_types(d)
        (tests if set(ops) <= supported and f32 else unsupported).append((name, d, ops))
    work_root = tempfile.mkdtemp(prefix="tessel-onnx-")
    results = {}

    def one(item):
        name, d, ops = item
        work = os.path.join(work_root, name)
        os.makedirs(work)
        try:
            return name, ops, run_test(tessel, d, work)
        finally:
            shutil.rmtree(work, ignore_errors=True)

    sample = unsupported[::max(1, len(unsupported) // max(1, args.unsupported_sample))]
    sample = sample[:args.unsupported_sample]
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        for name, ops, res in pool.map(one, tests + sample):
            results[name] = (ops, res)
    shutil.rmtree(work_root, ignore_errors=True)

    # Per op: passed, tried, refused (a variant the importer says it does
    # not support: 1-D or 3-D pooling, training mode, ...).
    per_op = collections.defaultdict(lambda: [0, 0, 0])
    failures, refusals = [], []
    for name, d, ops in tests:
        ops_, (status, detail) = results[name]
        # Counted under the op the test is named for, else its first op.
        op = next((o for o in ops if name.lower().startswith("test_" + o.lower())), ops[0])
        per_op[op][1] += 1
        if status == "pass":
            per_op[op][0] += 1
        elif status == "refused" and "not supported" in detail:
            per_op[op][2] += 1
            refusals.append("%s: %s" % (name, detail.split(": ", 2)[-1]))
        else:
            failures.append("%s (%s): %s %s" % (name, " ".join(ops), status, detail))
    unclear = []
    for name, d, ops in sample:
        ops_, (status, detail) = results[name]
        if status != "refused" or "not supported" not in detail:
            unclear.append("%s (%s): %s %s" % (name, " ".join(ops), status, detail))
    print("op                      passed / tried  (refused: an unsupported variant)")
    for op in sorted(per_op):
        p, t, r = per_op[op]
        print("%-22s %7d / %d%s" % (op, p, t, "  (%d refused)" % r if r else ""))
    total = [sum(v[i] for v in per_op.values()) for i in range(3)]
    print("all supported ops       %d / %d  (%d refused)" % tuple(total))
    print("unsupported ops: %d tests, %d sampled, refused with the op named: %d" %
          (len(unsupported), len(sample), len(sample) - len(unclear)))
    for r in refusals:
        print("refused " + r)
    for f in failures:
        print("FAIL " + f)
    for u in unclear:
        print("UNCLEAR " + u)
    if args.max_refused is not None and len(refusals) > args.max_refused:
        print("FAIL %d refusals, more than the %d expected" % (len(refusals), args.max_refused))
        return 1
    return 1 if failures or unclear else 0


if __name__ == "__main__":
    sys.exit(main())
