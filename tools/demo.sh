#!/usr/bin/env bash
# The main job end to end, on ResNet-18 from ../shared/models: installs what is
# missing and builds; gives the export real (random, dense) weights
# (bench/dense_weights.py: its own are splat constants); extracts the model's
# tasks (tessel-opt); tunes them on this machine at 1 and at 2 threads within
# a few minutes (tessel tune measures each candidate as the MLIR loops that
# tessel compile emits; every task's default first, then the time goes by
# each task's share of the model's time); compiles the model with the tuned
# database, with the built-in defaults and with the untiled upstream
# lowering (tessel compile); runs each from a small C program, several
# rounds interleaved; prints the latencies and what tuning gained. A second
# run reuses the database and continues the search. Last, a PyTorch model
# through ONNX: torchvision's resnet18 at 224x224 exported by torch.onnx.export,
# compiled from the .onnx and run by tessel run against PyTorch's output and
# latency.
#   TESSEL_DEMO_BUDGET=3m TESSEL_DEMO_TRIALS=100 ./tools/demo.sh
# (the budget in whole seconds, minutes or hours: 90, 90s, 3m, 1h; two
# thirds of it at 1 thread, one third at 2)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/tools/deps.sh"
"$root/tools/build.sh"
bin="$root/build/bin"
out="$root/build/demo"
export_model="$root/../shared/models/linalg/torchvision/resnet18.mlir"
mkdir -p "$out"
db="$out/schedules.db"
budget="${TESSEL_DEMO_BUDGET:-3m}"
trials="${TESSEL_DEMO_TRIALS:-100}"
[[ -f "$export_model" ]] || { echo "tessel demo: $export_model not found (../shared/models)" >&2; exit 1; }
case $budget in # 90, 90s, 3m or 1h
  *h) seconds=$((${budget%h} * 3600)) ;;
  *m) seconds=$((${budget%m} * 60)) ;;
  *s) seconds=${budget%s} ;;
  *) seconds=$budget ;;
esac
budget1=$((seconds * 2 / 3))s budget2=$((seconds - seconds * 2 / 3))s
libomp=(-L/usr/lib/llvm-19/lib -lomp -Wl,-rpath,/usr/lib/llvm-19/lib)

step() { printf '\n== %s\n' "$*"; }

step "this machine (tessel targets --host)"
"$bin/tessel" targets --host

step "the model: resnet18 at 1x3x32x32, its weights made dense and random (bench/dense_weights.py)"
model="$out/resnet18.dense.mlir"
[[ -f "$model" ]] || /usr/bin/python3 "$root/bench/dense_weights.py" "$export_model" "$model"

step "the model's tasks (tessel-opt --tessel-extract-tasks)"
"$bin/tessel-opt" "$model" --tessel-extract-tasks=out="$out/resnet18.tasks.json" -o /dev/null
/usr/bin/python3 - "$out/resnet18.tasks.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
total = sum(t["flops"] * t["count"] for t in doc["tasks"])
print(f"{len(doc['tasks'])} distinct tasks, {sum(t['count'] for t in doc['tasks'])} ops, "
      f"{total / 1e6:.1f} MFLOP per inference")
for t in doc["tasks"]:
    print(f"  x{t['count']}  {100 * t['flops'] * t['count'] / total:5.1f}% of the work  {t['signature']}")
PY

for t in 1 2; do
  b=$budget1
  ((t == 1)) || b=$budget2
  step "tuning for this machine on $t thread(s): $b, $trials trials per task at most (tessel tune)"
  "$bin/tessel" tune --db "$db" --target host --tasks "$out/resnet18.tasks.json" --threads "$t" \
    --trials "$trials" --time-budget "$b" --no-autoschedulers 2> "$out/tune-$t.log" |
    grep -v '^$'
done

step "compiling the model (tessel compile): tuned and default at 1 and 2 threads, untiled"
builds=(untiled default-1 tuned-1 default-2 tuned-2)
for v in "${builds[@]}"; do
  case $v in
    untiled) flags=(--baseline) ;;
    default-*) flags=(--threads "${v#*-}") ;;
    tuned-*) flags=(--db "$db" --threads "${v#*-}") ;;
  esac
  "$bin/tessel" compile "$model" --target host "${flags[@]}" -o "$out/$v" | sed 's/^/  /'
  link=()
  [[ $v != *-2 ]] || link=("${libomp[@]}")
  cc -O2 -I "$out/$v" "$root/examples/resnet18.c" "$out/$v/libmodel.a" "${link[@]}" \
    -lpthread -ldl -lm -o "$out/$v/resnet18"
done

step "running it from C (examples/resnet18.c linked with libmodel.a), 3 interleaved rounds"
"$out/tuned-1/resnet18" | head -1
declare -A rounds
for r in 1 2 3; do
  for v in "${builds[@]}"; do
    rounds[$v]+="$("$out/$v/resnet18" | sed -nE 's/^latency: median ([0-9.]+) ms.*/\1/p') "
  done
done
med() { echo "$1" | tr ' ' '\n' | grep . | sort -g | sed -n 2p; }
printf '%-44s %s\n' "build" "end-to-end latency (median of the rounds' medians)"
for v in "${builds[@]}"; do
  case $v in
    untiled) what="untiled upstream lowering" ;;
    default-1) what="tessel, built-in defaults, 1 thread" ;;
    tuned-1) what="tessel, tuned schedules, 1 thread" ;;
    default-2) what="tessel, built-in defaults, 2 threads" ;;
    tuned-2) what="tessel, tuned schedules, 2 threads" ;;
  esac
  printf '%-44s %8.3f ms   (rounds: %s)\n' "$what" "$(med "${rounds[$v]}")" "${rounds[$v]% }"
done
for t in 1 2; do
  awk -v a="$(med "${rounds[tuned-$t]}")" -v b="$(med "${rounds[default-$t]}")" -v t=$t \
    'BEGIN {printf "tuned vs default on %d thread(s): %.2fx the latency (%s)\n", t, a / b,
            a < b ? "tuning paid" : "no gain"}'
done

step "a PyTorch model through ONNX: torchvision resnet18 at 1x3x224x224 (seeded weights), exported by torch.onnx.export"
LD_LIBRARY_PATH=/usr/lib/$(gcc -print-multiarch)/openblas-openmp OMP_WAIT_POLICY=passive \
  /usr/bin/python3 "$root/bench/onnx_vs_torch.py" resnet18 "$out" 20 > "$out/torch224.csv" 2> /dev/null
for t in 1 2; do
  "$bin/tessel" compile "$out/resnet18.onnx" --target host --threads "$t" -o "$out/onnx-default-$t" |
    sed 's/^/  /'
  "$bin/tessel" run "$out/onnx-default-$t" --input input="$out/resnet18.x.npy" \
    --compare "$out/resnet18.y.npy" --bench 20 > "$out/onnx-run-$t.txt"
done
sed -n 's/^compare /  tessel vs PyTorch: compare /p' "$out/onnx-run-1.txt"
for t in 1 2; do
  tessel_ms=$(sed -nE 's/^latency: median ([0-9.]+) ms.*/\1/p' "$out/onnx-run-$t.txt")
  eager=$(awk -F, -v t=$t '$1 == "eager" && $2 == t {print $3}' "$out/torch224.csv")
  ts=$(awk -F, -v t=$t '$1 == "torchscript" && $2 == t {print $3}' "$out/torch224.csv")
  awk -v a="$tessel_ms" -v e="$eager" -v s="$ts" -v t=$t 'BEGIN {
    printf "  %d thread(s): tessel (built-in defaults) %.2f ms, PyTorch eager %.2f ms, TorchScript %.2f ms (tessel %.2fx TorchScript'"'"'s speed)\n",
           t, a, e, s, s / a }'
done

cat <<MSG

The database is $db; the compiled models, headers and reports are in $out
(report.txt in each lists every op with the record it uses and its measured time).
Look inside the database with:
  $bin/tessel db stats --db $db
  $bin/tessel db best --db $db --target host
Run ./tools/demo.sh again: the search continues from what is stored; raise
TESSEL_DEMO_TRIALS and TESSEL_DEMO_BUDGET for longer searches.
MSG
