#!/usr/bin/python3
"""Mutation fuzzer of `tessel compile`.

Each input is a seed model mutated one to three times: byte flips,
truncations, line deletions and duplications, shape extents changed (zero,
one, huge, past 2^31 and 2^63), element types changed, integer attributes
changed. The seeds are small linalg and TOSA programs: the tests' inputs
(test/lit), IREE's self-checking tests rewritten into upstream MLIR
(test/e2e/iree_rewrite.py) and, less often, the torchvision models
(../shared/models). Inputs and mutations come from one seeded generator:
the same --seed gives the same inputs.

`tessel compile` must end every input with either its outputs (exit 0) or
one error: exit status 1, a last stderr line "tessel: error: ...", at most
a dozen lines, no IR dump ("see current operation"), no stack dump and no
crash banner, within the timeout. A stage (a child process) that crashes
inside MLIR's or LLVM's own code is an upstream bug that tessel turns into
one error naming the stage; those are counted apart. A crash in tessel's
code is a finding. Anything else is a finding: the input is
kept in --keep (default: a temporary directory that is kept only then) with
what tessel printed, and the exit status is 1.

usage: fuzz_compile.py --tessel BIN_DIR [--count N] [--seed S] [--jobs J]
                       [--timeout SEC] [--keep DIR]
  --count defaults to $TESSEL_FUZZ, else 200.
"""
import argparse
import concurrent.futures
import glob
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
MODELS = os.path.join(ROOT, "..", "shared", "models")
sys.path.insert(0, os.path.join(ROOT, "test", "e2e"))

MAX_ERROR_LINES = 12
BAD_OUTPUT = ("see current operation", "Stack dump", "PLEASE submit a bug report",
              "LLVM ERROR", "Assertion", "core dumped")
# A stage that crashed inside MLIR's or LLVM's own code (not tessel's), turned
# into one error: counted apart, not a finding.
UPSTREAM = "in MLIR's or LLVM's own code, not tessel's"
EXTENTS = [0, 1, 2, 3, 7, 64, 65536, 2**31 - 1, 2**31, 2**32 + 1, 2**40, 2**63 - 1,
           99999999999]
TYPES = ["f32", "f16", "bf16", "f64", "i1", "i8", "i32", "i64", "index"]


def seeds():
    """(weight, name, text) of every seed: small programs weigh more."""
    out = []
    for path in sorted(glob.glob(os.path.join(ROOT, "test", "lit", "**", "*.mlir"),
                                 recursive=True)):
        out.append((4, path, open(path).read()))
    try:
        import iree_rewrite
        for path in sorted(glob.glob(os.path.join(MODELS, "*", "iree_e2e*", "*.mlir"))):
            text = open(path).read()
            try:
                tests = iree_rewrite.parse_tests(text)
            except Exception:
                continue
            for test in [t for t in tests if t.kind == "run" and not t.error][:2]:
                try:
                    module, _ = iree_rewrite.build_module(text, test.name)
                except Exception:
                    continue
                out.append((2, path + "@" + test.name, module))
    except ImportError:
        pass
    for path in sorted(glob.glob(os.path.join(MODELS, "linalg", "torchvision", "*.mlir"))):
        out.append((1, path, open(path).read()))
    return out


def mutate_shape(text, rng):
    spots = [m for m in re.finditer(r"(?<=[<x])\d+(?=x)", text)]
    if not spots:
        return text
    m = rng.choice(spots)
    return text[:m.start()] + str(rng.choice(EXTENTS)) + text[m.end():]


def mutate_type(text, rng):
    spots = [m for m in re.finditer(r"\b(f32|f16|bf16|f64|i1|i8|i32|i64)\b", text)]
    if not spots:
        return text
    m = rng.choice(spots)
    return text[:m.start()] + rng.choice(TYPES) + text[m.end():]


def mutate_integer(text, rng):
    spots = [m for m in re.finditer(r"(?<![\w.])\d+(?![\w.])", text)]
    if not spots:
        return text
    m = rng.choice(spots)
    return text[:m.start()] + str(rng.choice(EXTENTS + [-1, -2**31])) + text[m.end():]


def mutate_bytes(text, rng):
    data = bytearray(text.encode())
    if not data:
        return text
    for _ in range(rng.randint(1, 4)):
        data[rng.randrange(len(data))] = rng.choice(
            [rng.randrange(256), ord(rng.choice("{}()<>[]%@:,=x0123456789 \n\"#^"))])
    return data.decode("latin-1")


def mutate_lines(text, rng):
    lines = text.split("\n")
    if len(lines) < 2:
        return text
    i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
    op = rng.choice(["delete", "duplicate", "swap"])
    if op == "delete":
        del lines[i]
    elif op == "duplicate":
        lines.insert(j, lines[i])
    else:
        lines[i], lines[j] = lines[j], lines[i]
    return "\n".join(lines)


def truncate(text, rng):
    return text[:rng.randrange(len(text) + 1)]


MUTATIONS = [mutate_shape, mutate_shape, mutate_type, mutate_integer, mutate_bytes,
             mutate_lines, mutate_lines, truncate]


def make_input(corpus, rng):
    weight_total = sum(w for w, _, _ in corpus)
    pick = rng.uniform(0, weight_total)
    for weight, name, text in corpus:
        pick -= weight
        if pick <= 0:
            break
    steps = []
    for _ in range(rng.randint(1, 3)):
        f = rng.choice(MUTATIONS)
        text = f(text, rng)
        steps.append(f.__name__)
    return name, steps, text


def verdict(proc_result, out_dir):
    """None when tessel behaved, else what went wrong."""
    code, err = proc_result
    if code == "timeout":
        return "no answer within the timeout"
    if code < 0:
        return f"killed by signal {-code}"
    for bad in BAD_OUTPUT:
        if bad in err:
            return f"printed `{bad}`"
    lines = [l for l in err.splitlines() if l.strip()]
    if code == 0:
        missing = [f for f in ("model.o", "model.h", "libmodel.a", "report.txt")
                   if not os.path.exists(os.path.join(out_dir, f))]
        return f"exit 0 without {', '.join(missing)}" if missing else None
    if code != 1:
        return f"exit status {code}"
    if " crashed (" in err and UPSTREAM not in err:
        # No stack in tessel's frames was printed either: unknown until
        # run_one checks the input with upstream mlir-opt.
        return "a stage crashed in tessel's code"
    if not lines or not lines[-1].startswith("tessel: error: "):
        return "the last line is not `tessel: error: ...`"
    if len(lines) > MAX_ERROR_LINES:
        return f"{len(lines)} lines on stderr"
    return None


def upstream_crashes(path):
    """True if upstream mlir-opt-19, parsing and verifying only, dies by a
    signal on the input: a crash of the parser itself, not of tessel's code
    (some are nondeterministic: a few tries)."""
    mlir_opt = shutil.which("mlir-opt-19")
    if not mlir_opt:
        return False
    for _ in range(5):
        try:
            p = subprocess.run([mlir_opt, path, "-o", os.devnull], capture_output=True, timeout=60)
        except subprocess.TimeoutExpired:
            return False
        if p.returncode < 0 or p.returncode == 134:
            return True
    return False


def run_one(tessel, work, index, text, timeout):
    path = os.path.join(work, f"in{index}.mlir")
    out_dir = os.path.join(work, f"out{index}")
    with open(path, "w", encoding="latin-1") as f:
        f.write(text)
    try:
        p = subprocess.run([tessel, "compile", path, "-o", out_dir], capture_output=True,
                           timeout=timeout)
        result = (p.returncode, p.stderr.decode(errors="replace"))
    except subprocess.TimeoutExpired:
        result = ("timeout", "")
    problem = verdict(result, out_dir)
    if problem == "a stage crashed in tessel's code" and "tessel-opt crashed" in result[1] \
            and upstream_crashes(path):
        problem = None
        result = (result[0], result[1] + "\n" + UPSTREAM + " (mlir-opt-19 crashes on it too)")
    shutil.rmtree(out_dir, ignore_errors=True)
    return path, result, problem


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tessel", required=True, help="directory of the tessel binaries")
    ap.add_argument("--count", type=int, default=int(os.environ.get("TESSEL_FUZZ", "200")))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=120)
    ap.add_argument("--keep", help="directory for the inputs of findings")
    args = ap.parse_args()
    tessel = os.path.join(args.tessel, "tessel")
    corpus = seeds()
    rng = random.Random(args.seed)
    inputs = [make_input(corpus, rng) for _ in range(args.count)]
    work = tempfile.mkdtemp(prefix="tessel-fuzz-")
    keep = args.keep or tempfile.mkdtemp(prefix="tessel-fuzz-findings-")
    os.makedirs(keep, exist_ok=True)
    findings, outcomes = 0, {"compiled": 0, "refused": 0, "upstream": 0}
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        futures = [pool.submit(run_one, tessel, work, i, text, args.timeout)
                   for i, (_, _, text) in enumerate(inputs)]
        for i, fut in enumerate(futures):
            path, (code, err), problem = fut.result()
            name, steps, _ = inputs[i]
            if problem is None:
                outcomes["compiled" if code == 0 else
                         "upstream" if UPSTREAM in err else "refused"] += 1
                os.remove(path)
                continue
            findings += 1
            kept = os.path.join(keep, f"finding{i}.mlir")
            shutil.move(path, kept)
            with open(kept + ".txt", "w") as f:
                f.write(f"seed: {name}\nmutations: {' '.join(steps)}\nproblem: {problem}\n"
                        f"exit: {code}\nstderr:\n{err}")
            print(f"finding {i}: {problem} ({os.path.basename(name)}, {' '.join(steps)}): {kept}")
    shutil.rmtree(work, ignore_errors=True)
    print(f"fuzz: {args.count} inputs (seed {args.seed}, {len(corpus)} seeds): "
          f"{outcomes['compiled']} compiled, {outcomes['refused']} refused with one error, "
          f"{outcomes['upstream']} upstream crashes (in MLIR or LLVM) turned into one error, "
          f"{findings} findings")
    if findings:
        print(f"findings kept in {keep}")
        return 1
    if not args.keep:
        shutil.rmtree(keep, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
