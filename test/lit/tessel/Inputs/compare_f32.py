# compare_f32.py REF OUT...: prints "match" per OUT whose f32 values are within
# 1e-5 (relative to the largest reference magnitude) of REF, else "differ".
import array
import sys

ref = array.array("f", open(sys.argv[1], "rb").read())
scale = max(abs(x) for x in ref)
for path in sys.argv[2:]:
    out = array.array("f", open(path, "rb").read())
    err = max(abs(a - b) for a, b in zip(ref, out)) if len(out) == len(ref) else float("inf")
    print("match" if err <= 1e-5 * scale else "differ", path, err)
