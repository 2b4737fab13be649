#!/usr/bin/python3
"""`tessel aot` libraries run correctly on their target.

For each TARGET[:QEMU_CPU] given: build the library with `tessel aot`, check
that every archive member is an object for the target's architecture, write a
C program that calls every kernel of tessel_kernels.h on deterministic inputs
(and writes inputs and outputs to files), link it against the library and run
it: natively for a target of this machine's architecture, else under
`qemu-aarch64 -cpu QEMU_CPU`. Each kernel's output must match the same kernel
(same schedule, from the database) JIT-compiled for this machine by
tessel-halide-run on the same inputs. Without qemu or the cross compiler the
cross targets are skipped with a message (exit 77 if nothing could run).

usage: aot_check.py BIN_DIR DB TARGET[:QEMU_CPU]...
"""
import array
import json
import os
import platform
import re
import shutil
import sys
import tempfile

from e2e_common import run

CTYPE = {"f32": "float", "i32": "int32_t", "u8": "uint8_t", "s8": "int8_t"}
CODE = {"f32": "f", "i32": "i", "u8": "B", "s8": "b"}


def kernels(header):
    """(function, signature, [(name, type, shape)]) per kernel of the header."""
    out = []
    pattern = re.compile(r"/// (.+)\n/// schedule .*\n///(.*)\nint (tessel_k_\w+)\(")
    for m in pattern.finditer(header):
        sig, arrays, fn = m.groups()
        specs = []
        for a in arrays.strip().rstrip(";").split(";"):
            name, typ, shape = a.split()
            specs.append((name, typ, [int(x) for x in shape.split("x")]))
        out.append((fn, sig, specs))
    return out


def program(ks):
    """C source calling every kernel; writes kN.argI.bin and kN.out.bin."""
    c = ['#include "tessel_kernels.h"', "#include <stdio.h>", "#include <stdlib.h>",
         "#include <string.h>", "",
         "static void dump(const char *p, const void *d, size_t n) {",
         "  FILE *f = fopen(p, \"wb\");",
         "  if (!f || fwrite(d, 1, n, f) != n) { perror(p); exit(1); }",
         "  fclose(f);", "}", "", "int main(void) {"]
    for k, (fn, sig, specs) in enumerate(ks):
        c.append("  {")
        for i, (name, typ, shape) in enumerate(specs):
            n = 1
            for d in shape:
                n *= d
            t = CTYPE[typ]
            c.append(f"    {t} *a{i} = malloc({n} * sizeof({t}));")
            if i + 1 < len(specs):
                if typ == "f32":
                    val = "(float)((int)((j * 2654435761u + %d) %% 2001u) - 1000) / 1000.0f" % (i * 77)
                elif typ == "i32":
                    val = "(int32_t)((j * 2654435761u + %d) %% 2001u) - 1000" % (i * 77)
                else:
                    val = f"({t})((j * 2654435761u + {i * 77}) % 256u)"
                c.append(f"    for (unsigned j = 0; j < {n}u; ++j) a{i}[j] = {val};")
                c.append(f'    dump("k{k}.arg{i}.bin", a{i}, {n} * sizeof({t}));')
            else:
                c.append(f"    memset(a{i}, 0, {n} * sizeof({t}));")
        args = ", ".join(f"a{i}" for i in range(len(specs)))
        last = len(specs) - 1
        c.append(f"    int status = {fn}({args});")
        c.append(f'    if (status != 0) {{ fprintf(stderr, "{fn}: Halide error %d\\n", status); return 1; }}')
        n = 1
        for d in specs[-1][2]:
            n *= d
        c.append(f'    dump("k{k}.out.bin", a{last}, {n} * sizeof({CTYPE[specs[-1][1]]}));')
        c.append("  }")
    c += ['  puts("ok");', "  return 0;", "}"]
    return "\n".join(c) + "\n"


def main():
    bin_dir, db, specs = sys.argv[1], sys.argv[2], sys.argv[3:]
    host = platform.machine()
    failures, ran = 0, 0
    with tempfile.TemporaryDirectory(prefix="tessel-aot-check-") as tmp:
        for spec in specs:
            target, _, qemu_cpu = spec.partition(":")
            out = os.path.join(tmp, target)
            print(run([os.path.join(bin_dir, "tessel"), "aot", "--db", db, "--target", target,
                       "-o", out]).splitlines()[0])
            lib = os.path.join(out, "libtessel_kernels.a")
            machines = set(re.findall(r"Machine:\s+(.+)", run(["llvm-readelf-19", "-h", lib])))
            arch = "aarch64" if target.startswith("graviton") else "x86_64"
            want = {"aarch64": "AArch64", "x86_64": "Advanced Micro Devices X86-64"}[arch]
            if machines != {want}:
                print(f"FAIL {target}: archive members are {sorted(machines)}, want {want}")
                failures += 1
                continue
            print(f"  {target}: every member of libtessel_kernels.a is {want}")
            header = open(os.path.join(out, "tessel_kernels.h")).read()
            ks = kernels(header)
            with open(os.path.join(out, "main.c"), "w") as f:
                f.write(program(ks))
            cc, runner = "cc", []
            if arch != host:
                cc = "aarch64-linux-gnu-gcc"
                if not shutil.which(cc) or not shutil.which("qemu-aarch64"):
                    print(f"SKIP {target}: needs {cc} and qemu-aarch64 (tools/deps.sh installs them)")
                    continue
                runner = ["qemu-aarch64", "-cpu", qemu_cpu or "max"]
            exe = os.path.join(out, "main")
            run([cc, "-O1", "-static" if runner else "-O1", "-I", out, os.path.join(out, "main.c"),
                 lib, "-lpthread", "-ldl", "-lm", "-o", exe])
            try:
                run(runner + [exe], cwd=out)
            except RuntimeError as e:
                print(f"FAIL {target}: the test program did not run: {e}")
                failures += 1
                continue
            ran += 1
            best = json.loads(run([os.path.join(bin_dir, "tessel"), "db", "best", "--db", db,
                                   "--target", target, "--json"]))
            schedules = {r["signature"]: r["schedule"] for r in best}
            for k, (fn, sig, arrays) in enumerate(ks):
                inputs = [os.path.join(out, f"k{k}.arg{i}.bin") for i in range(len(arrays) - 1)]
                ref = os.path.join(out, f"k{k}.ref.bin")
                run([os.path.join(bin_dir, "tessel-halide-run"), sig, json.dumps(schedules[sig]),
                     ref] + inputs)
                code = CODE[arrays[-1][1]]
                a = array.array(code, open(os.path.join(out, f"k{k}.out.bin"), "rb").read())
                b = array.array(code, open(ref, "rb").read())
                err = max((abs(x - y) for x, y in zip(a, b)), default=0.0)
                scale = max((abs(y) for y in b), default=0.0)
                ok = len(a) == len(b) and err <= 1e-5 * scale + 1e-12
                where = f"qemu -cpu {qemu_cpu or 'max'}" if runner else "natively"
                print(f"  {'PASS' if ok else 'FAIL'} {target} {sig}: run {where}, "
                      f"max abs error {err:.3g} vs this machine's JIT")
                failures += 0 if ok else 1
    if failures:
        return 1
    return 0 if ran else 77


if __name__ == "__main__":
    sys.exit(main())
