#!/usr/bin/env bash
# Whole models, batch 1, side by side: resnet18, mobilenet_v2 and
# squeezenet1_1 (1x3x32x32) and vgg11 (1x3x224x224) from ../shared/models
# compiled by `tessel compile` with tuned schedules (tuned here within a
# budget per model and thread count, at 1 and at 2 threads: records of the
# MLIR loops that tessel compile emits), with the built-in defaults, and by
# the untiled upstream lowering (not for vgg11: minutes per call); PyTorch
# 1.13 (Debian) on the same architectures (bench/torch_models.py), eager and
# TorchScript, at 1 and 2 threads. Medians. onnx-resnet18, onnx-resnet50 and
# onnx-mobilenet_v2 are torchvision's models at 1x3x224x224, exported to ONNX
# by PyTorch with seeded weights (bench/export_onnx.py) and imported by
# `tessel import`; PyTorch runs the same models with the same weights.
#
# The exports' weights are splat constants, which LLVM would fold into the
# code; bench/dense_weights.py first gives every weight tensor random dense
# values (dense_resource blobs), so tessel's code reads real weight arrays as
# PyTorch does. At 2 threads tessel's models run their parallel loops on 2
# OpenMP threads (`tessel compile --threads 2`, linked with libomp).
#   bench/models.sh [--budget 2m] [--runs 50] [--rounds 3] [--out DIR] [MODEL...]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
budget=2m runs=50 rounds=3 out="$root/build/bench/models" names=()
while (($#)); do
  case "$1" in
    --budget) budget="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    -*) echo "usage: bench/models.sh [--budget 2m] [--runs 50] [--rounds 3] [--out DIR] [MODEL...]" >&2; exit 2 ;;
    *) names+=("$1"); shift ;;
  esac
done
((${#names[@]})) || names=(resnet18 mobilenet_v2 squeezenet1_1 vgg11 onnx-resnet18 onnx-resnet50
                            onnx-mobilenet_v2)
# PyTorch's BLAS: OpenBLAS built for OpenMP (Debian's default BLAS is the
# reference one, ten times slower; the pthread OpenBLAS fights torch's
# OpenMP threads).
"$root/tools/deps.sh" python3-torch python3-torchvision python3-numpy libomp-19-dev \
  libopenblas0-openmp
bin="$root/build/bin"
models="$root/../shared/models/linalg/torchvision"
libomp=(-L/usr/lib/llvm-19/lib -lomp -Wl,-rpath,/usr/lib/llvm-19/lib)
mkdir -p "$out"
db="$out/models.db"
csv="$out/models.csv"
echo "model,threads,mode,median_ms,min_ms" > "$csv"
: > "$out/rounds.csv"
builds=()
for m in "${names[@]}"; do
  echo "== $m: dense weights, tasks, tuning ($budget at 1 and at 2 threads), compiling"
  if [[ $m == onnx-* ]]; then
    # Exported by PyTorch at 224x224 with seeded weights, imported by tessel.
    /usr/bin/python3 "$root/bench/export_onnx.py" "${m#onnx-}" "$out/$m.onnx" 2> /dev/null
    "$bin/tessel" import "$out/$m.onnx" -o "$out/$m.dense.mlir" > /dev/null
  else
    /usr/bin/python3 "$root/bench/dense_weights.py" "$models/$m.mlir" "$out/$m.dense.mlir" 2> /dev/null
  fi
  "$bin/tessel-opt" "$out/$m.dense.mlir" --tessel-extract-tasks=out="$out/$m.tasks.json" -o /dev/null
  for t in 1 2; do
    "$bin/tessel" tune --db "$db" --target host --tasks "$out/$m.tasks.json" --time-budget "$budget" \
      --trials 100 --threads "$t" --no-autoschedulers > "$out/$m.tune$t.log" 2>&1
  done
  variants=(tuned:1 default:1 untiled:1 tuned:2 default:2)
  [[ $m != vgg11 && $m != onnx-* ]] || variants=(tuned:1 default:1 tuned:2 default:2)
  for v in "${variants[@]}"; do
    t=${v#*:} v=${v%:*}
    case $v in
      tuned) flags=(--db "$db" --threads "$t") ;;
      default) flags=(--threads "$t") ;;
      untiled) flags=(--baseline) ;;
    esac
    dir="$out/$m-$v-$t"
    "$bin/tessel" compile "$out/$m.dense.mlir" --target host "${flags[@]}" -o "$dir" > /dev/null
    link=()
    ((t == 1)) || link=("${libomp[@]}")
    cc -O2 -include "$dir/model.h" "$root/test/e2e/harness.c" "$dir/libmodel.a" "${link[@]}" \
      -lpthread -ldl -lm -o "$dir/run"
    builds+=("$m $t $v $dir")
  done
done
# Interleaved rounds (this machine is shared and noisy): each build runs once
# per round, as does each PyTorch case.
echo "== running the tessel builds, $rounds interleaved rounds of $runs calls"
for ((r = 0; r < rounds; ++r)); do
  for b in "${builds[@]}"; do
    read -r m t v dir <<< "$b"
    line=$("$dir/run" "$dir/out.bin" --bench "$runs")
    med=$(echo "$line" | sed -E 's/.*median ([0-9.]+) ms.*/\1/')
    lo=$(echo "$line" | sed -E 's/.*min ([0-9.]+),.*/\1/')
    echo "$m,$t,tessel-$v,$med,$lo" >> "$out/rounds.csv"
  done
done
echo "== PyTorch 1.13 (eager, TorchScript), 1 and 2 threads, $rounds interleaved rounds"
LD_LIBRARY_PATH=/usr/lib/$(gcc -print-multiarch)/openblas-openmp OMP_WAIT_POLICY=passive \
  /usr/bin/python3 "$root/bench/torch_models.py" --runs "$runs" --rounds "$rounds" \
  "${names[@]}" | tail -n +2 >> "$out/rounds.csv"
# A figure: the median of its round medians, and the lowest call.
/usr/bin/python3 - "$out/rounds.csv" >> "$csv" <<'PY'
import csv, statistics, sys
runs = {}
for m, t, mode, med, lo in csv.reader(open(sys.argv[1])):
    runs.setdefault((m, t, mode), []).append((float(med), float(lo)))
for (m, t, mode), v in runs.items():
    print(f"{m},{t},{mode},{statistics.median(x for x, _ in v):.4f},{min(y for _, y in v):.4f}")
PY
/usr/bin/python3 - "$csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
get = lambda m, t, mode: next((float(r["median_ms"]) for r in rows
                               if r["model"] == m and r["threads"] == str(t) and r["mode"] == mode), None)
print(f"\n{'model':<15}{'threads':>8}{'tessel tuned':>14}{'default':>10}{'tuned/default':>15}"
      f"{'untiled':>10}{'torch eager':>13}{'torchscript':>13}{'tuned vs ts':>13}{'vs untiled':>12}")
for m in dict.fromkeys(r["model"] for r in rows):
    for t in (1, 2):
        cells = [get(m, t if v != "untiled" else 1, f"tessel-{v}")
                 for v in ("tuned", "default", "untiled")]
        eager, ts = get(m, t, "eager"), get(m, t, "torchscript")
        f = lambda v: f"{v:.3f}" if v else "n/a"
        r1 = f"{ts / cells[0]:.2f}x" if cells[0] and ts else "n/a"
        r2 = f"{cells[2] / cells[0]:.1f}x" if cells[0] and cells[2] else "n/a"
        r3 = f"{cells[0] / cells[1]:.2f}" if cells[0] and cells[1] else "n/a"
        print(f"{m:<15}{t:>8}{f(cells[0]):>14}{f(cells[1]):>10}{r3:>15}{f(cells[2]):>10}"
              f"{f(eager):>13}{f(ts):>13}{r1:>13}{r2:>12}")
print("\nmedian ms, batch 1 (1x3x32x32; vgg11 and onnx-* 1x3x224x224), random dense weights\n"
      "in both (onnx-*: exported by torch.onnx.export, imported by tessel import).\n"
      "'tuned/default' is tessel's tuned latency over its default's (below 1: tuning paid).\n"
      "'untiled' is the one-thread upstream lowering (its column repeats at 2 threads; none\n"
      "for vgg11 and onnx-*); 'vs untiled' divides it\n"
      "by tessel tuned on the row's thread count.")
PY
echo "wrote $csv"
