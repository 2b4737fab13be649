#!/usr/bin/env bash
# Whole models, batch 1, side by side: resnet18, mobilenet_v2 and
# squeezenet1_1 from ../shared/models compiled by `tessel compile` with tuned
# schedules (tuned here within a budget), with the built-in defaults, and by the
# untiled upstream lowering; PyTorch 1.13 (Debian) on the same architectures
# (bench/torch_models.py), eager and TorchScript, at 1 and 2 threads. Medians.
#
# Caveat printed with the table: the exports' weights are splat constants,
# which LLVM folds into the compiled code, so the tessel figures are faster
# than the same networks with real weights would be; PyTorch reads real
# (random) weight tensors.
#   bench/models.sh [--budget 60s] [--runs 50] [--out DIR]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
budget=60s runs=50 out="$root/build/bench/models"
while (($#)); do
  case "$1" in
    --budget) budget="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    *) echo "usage: bench/models.sh [--budget 60s] [--runs 50] [--out DIR]" >&2; exit 2 ;;
  esac
done
"$root/tools/deps.sh" python3-torch
bin="$root/build/bin"
models="$root/../shared/models/linalg/torchvision"
mkdir -p "$out"
db="$out/models.db"
csv="$out/models.csv"
echo "model,threads,mode,median_ms,min_ms" > "$csv"
for m in resnet18 mobilenet_v2 squeezenet1_1; do
  echo "== $m: tasks, tuning ($budget), compiling"
  "$bin/tessel-opt" "$models/$m.mlir" --tessel-extract-tasks=out="$out/$m.tasks.json" -o /dev/null
  "$bin/tessel" tune --db "$db" --target host --tasks "$out/$m.tasks.json" --time-budget "$budget" \
    --trials 100 --no-autoschedulers > "$out/$m.tune.log" 2>&1
  for v in tuned default untiled; do
    case $v in
      tuned) flags=(--db "$db") ;;
      default) flags=() ;;
      untiled) flags=(--baseline) ;;
    esac
    "$bin/tessel" compile "$models/$m.mlir" --target host "${flags[@]}" -o "$out/$m-$v" > /dev/null
    cc -O2 -include "$out/$m-$v/model.h" "$root/test/e2e/harness.c" "$out/$m-$v/libmodel.a" \
      -lpthread -ldl -lm -o "$out/$m-$v/run"
    line=$("$out/$m-$v/run" "$out/$m-$v/out.bin" --bench "$runs")
    med=$(echo "$line" | sed -E 's/.*median ([0-9.]+) ms.*/\1/')
    lo=$(echo "$line" | sed -E 's/.*min ([0-9.]+),.*/\1/')
    echo "$m,1,tessel-$v,$med,$lo" >> "$csv"
  done
done
echo "== PyTorch 1.13 (eager, TorchScript), 1 and 2 threads"
OMP_WAIT_POLICY=passive /usr/bin/python3 "$root/bench/torch_models.py" --runs "$runs" \
  | tail -n +2 >> "$csv"
/usr/bin/python3 - "$csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
get = lambda m, t, mode: next((float(r["median_ms"]) for r in rows
                               if r["model"] == m and r["threads"] == str(t) and r["mode"] == mode), None)
print(f"\n{'model':<15}{'threads':>8}{'tessel tuned':>14}{'default':>10}{'untiled':>10}"
      f"{'torch eager':>13}{'torchscript':>13}{'tuned vs ts':>13}{'vs untiled':>12}")
for m in ["resnet18", "mobilenet_v2", "squeezenet1_1"]:
    for t in (1, 2):
        cells = [get(m, 1 if t == 1 else 0, f"tessel-{v}") if t == 1 else None
                 for v in ("tuned", "default", "untiled")]
        eager, ts = get(m, t, "eager"), get(m, t, "torchscript")
        f = lambda v: f"{v:.3f}" if v else "n/a"
        r1 = f"{ts / cells[0]:.2f}x" if cells[0] and ts else "n/a"
        r2 = f"{cells[2] / cells[0]:.1f}x" if cells[0] and cells[2] else "n/a"
        print(f"{m:<15}{t:>8}{f(cells[0]):>14}{f(cells[1]):>10}{f(cells[2]):>10}"
              f"{f(eager):>13}{f(ts):>13}{r1:>13}{r2:>12}")
print("\nmedian ms, batch 1, 1x3x32x32. tessel's compiled models run on one thread (n/a at 2).\n"
      "Caveat: the exports' weights are splat constants that LLVM folds into tessel's code;\n"
      "PyTorch reads real weight tensors. The tessel figures are therefore optimistic.")
PY
echo "wrote $csv"
