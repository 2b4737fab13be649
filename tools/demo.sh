#!/usr/bin/env bash
# The main job end to end, on ResNet-18 from ../shared/models: installs what is
# missing and builds; extracts the model's tasks (tessel-opt); tunes them on
# this machine within a few minutes (tessel tune: the time is split by each
# task's share of the model's work); compiles the model with the tuned
# database (tessel compile), with the built-in default schedules and with the
# untiled upstream lowering; runs each from a small C program; prints the
# per-task table and the end-to-end latencies. A second run reuses the
# database and skips what is already tuned.
#   TESSEL_DEMO_BUDGET=3m TESSEL_DEMO_TRIALS=40 ./tools/demo.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/tools/deps.sh"
"$root/tools/build.sh"
bin="$root/build/bin"
out="$root/build/demo"
model="$root/../shared/models/linalg/torchvision/resnet18.mlir"
mkdir -p "$out"
db="$out/schedules.db"
budget="${TESSEL_DEMO_BUDGET:-3m}"
trials="${TESSEL_DEMO_TRIALS:-40}"
[[ -f "$model" ]] || { echo "tessel demo: $model not found (../shared/models)" >&2; exit 1; }

step() { printf '\n== %s\n' "$*"; }

step "this machine (tessel targets --host)"
"$bin/tessel" targets --host

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

step "tuning for this machine: $trials trials per task at most, $budget in all (tessel tune)"
"$bin/tessel" tune --db "$db" --target host --tasks "$out/resnet18.tasks.json" \
  --trials "$trials" --time-budget "$budget" --no-autoschedulers

step "compiling the model (tessel compile): tuned (1 and 2 threads), default schedules, untiled"
"$bin/tessel" compile "$model" --db "$db" --target host -o "$out/tuned"
"$bin/tessel" compile "$model" --target host -o "$out/default"
"$bin/tessel" compile "$model" --target host --baseline -o "$out/untiled"
"$bin/tessel" compile "$model" --db "$db" --target host --kernels halide -o "$out/halide" \
  2> "$out/halide.log"
# On 2 threads (OpenMP). The records tuned above are for 1 thread, so this
# build takes the default schedules; `tessel tune --threads 2` tunes for it.
"$bin/tessel" compile "$model" --db "$db" --target host --threads 2 -o "$out/tuned-2t"

step "running it from C (examples/resnet18.c linked with libmodel.a)"
for v in tuned default untiled halide tuned-2t; do
  libomp=()
  [[ $v != *-2t ]] || libomp=(-L/usr/lib/llvm-19/lib -lomp -Wl,-rpath,/usr/lib/llvm-19/lib)
  cc -O2 -I "$out/$v" "$root/examples/resnet18.c" "$out/$v/libmodel.a" "${libomp[@]}" \
    -lpthread -ldl -lm -o "$out/$v/resnet18"
done
"$out/tuned/resnet18" | head -1
printf '%-50s %s\n' "build" "end-to-end latency"
for v in untiled default tuned halide tuned-2t; do
  case $v in
    untiled) what="untiled upstream lowering" ;;
    default) what="tessel, built-in default schedules" ;;
    tuned) what="tessel, tuned schedules (MLIR loops)" ;;
    halide) what="tessel, tuned Halide kernels (--kernels halide)" ;;
    tuned-2t) what="tessel, 2 threads (--threads 2, defaults)" ;;
  esac
  printf '%-50s %s\n' "$what" "$("$out/$v/resnet18" | sed -n 's/^latency: //p')"
done

cat <<MSG

The database is $db; the compiled model, header and report are in $out/tuned.
Look inside the database with:
  $bin/tessel db stats --db $db
  $bin/tessel db list --db $db
  $bin/tessel db best --db $db --target host
Run ./tools/demo.sh again: tasks already tuned are skipped; raise
TESSEL_DEMO_TRIALS (and TESSEL_DEMO_BUDGET) to continue the search.
MSG
