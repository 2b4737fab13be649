#!/usr/bin/python3
"""Gives a torchvision export real (dense, random) weights.

The exports in ../shared/models carry every weight as a splat constant
(`arith.constant dense<V> : tensor<...xf32>`): one value per tensor, which
LLVM folds into the compiled code (a 3x3 conv whose every weight is equal
reads a single number). A fair benchmark against PyTorch needs weights that
are read from memory like PyTorch's. This script writes the model with each
splat weight tensor replaced by `dense_resource<...>` holding seeded random
values (a blob in the file's dialect_resources section):
  rank >= 2 (conv and linear weights): uniform in +-sqrt(3 / fan_in);
  rank 1 (biases, batch-norm parameters): V * (1 + 0.5 u), u uniform in
  [-1, 1], the sign kept so that variances stay positive.
The graph is unchanged; scalars and all-ones shapes stay as they are.

usage: dense_weights.py IN.mlir OUT.mlir [--seed N]
"""
import argparse
import re
import sys

import numpy as np

SPLAT = re.compile(
    r"^(\s*)(%[\w.$-]+) = arith\.constant dense<([-+0-9.eE]+)> : "
    r"tensor<((?:\d+x)+)f32>\s*$")


def rewrite(text, seed):
    rng = np.random.default_rng(seed)
    out, blobs = [], []
    for line in text.splitlines():
        m = SPLAT.match(line)
        shape = [int(d) for d in m.group(4).rstrip("x").split("x")] if m else []
        if not m or all(d == 1 for d in shape):
            out.append(line)
            continue
        indent, name, value = m.group(1), m.group(2), float(m.group(3))
        if len(shape) >= 2:
            bound = (3.0 / int(np.prod(shape[1:]))) ** 0.5
            w = rng.uniform(-bound, bound, size=shape)
        else:
            w = value * (1.0 + 0.5 * rng.uniform(-1.0, 1.0, size=shape))
        key = "tessel_w%d" % len(blobs)
        # A blob is its alignment (uint32, little endian) then the bytes.
        blobs.append((key, "0x04000000" + w.astype("<f4").tobytes().hex().upper()))
        out.append(f"{indent}{name} = arith.constant dense_resource<{key}> : "
                   f"tensor<{m.group(4)}f32>")
    if not blobs:
        raise SystemExit("dense_weights.py: no splat f32 weight found")
    if "dialect_resources" in text:
        raise SystemExit("dense_weights.py: the model already has dialect resources")
    out.append("{-#\n  dialect_resources: {\n    builtin: {")
    out.append(",\n".join(f'      {k}: "{v}"' for k, v in blobs))
    out.append("    }\n  }\n#-}")
    return "\n".join(out) + "\n", len(blobs)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("input")
    ap.add_argument("output")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    with open(args.input) as f:
        text, n = rewrite(f.read(), args.seed)
    with open(args.output, "w") as f:
        f.write(text)
    print(f"{args.output}: {n} weight tensors made dense", file=sys.stderr)


if __name__ == "__main__":
    main()
