#!/usr/bin/env bash
# Figures of `tessel compile` (the MLIR realizer), measured side by side in one
# run, 1 thread:
#   1. a 512^3 f32 matmul compiled with the tuned schedule of a database (the
#      bench tunes it with Halide unless --db holds one), GFLOP/s;
#   2. resnet18 (../shared/models) compiled with tuned schedules (MLIR loops),
#      with the tuned Halide kernels (--kernels halide), with the built-in
#      defaults, and by the untiled upstream lowering: median latency and the
#      ratios.
#   bench/compile.sh [--trials 60] [--db FILE] [--quick]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
trials=60 db="$root/build/bench/compile.db" runs=50
while (($#)); do
  case "$1" in
    --trials) trials="$2"; shift 2 ;;
    --db) db="$2"; shift 2 ;;
    --quick) trials=12; runs=20; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
"$root/tools/deps.sh"
"$root/tools/build.sh"
bin="$root/build/bin"
models="$root/../shared/models/linalg/torchvision"
work="$root/build/bench/compile"
rm -rf "$work" && mkdir -p "$work" "$(dirname "$db")"
harness="$root/test/e2e/harness.c"

build() { # build NAME MODEL [tessel compile options...]
  local name=$1 model=$2; shift 2
  "$bin/tessel" compile "$model" -o "$work/$name" "$@" > "$work/$name.log"
  cc -O2 -include "$work/$name/model.h" "$harness" "$work/$name/libmodel.a" \
    -lpthread -ldl -lm -o "$work/$name/run"
}
median_ms() { # median_ms NAME -> prints the median in ms
  "$work/$1/run" "$work/$1.out" --bench "$runs" | sed -E 's/.*median ([0-9.]+) ms.*/\1/'
}

echo "== tuning (Halide, $trials trials per task, 1 thread) into $db"
"$bin/tessel" tune --db "$db" --target host --trials "$trials" --no-autoschedulers \
  --task "matmul m=512 n=512 k=512" > "$work/tune-matmul.log" 2>&1
"$bin/tessel-opt" "$models/resnet18.mlir" --tessel-extract-tasks=out="$work/resnet18.tasks.json" -o /dev/null
"$bin/tessel" tune --db "$db" --target host --trials "$((trials / 4 > 2 ? trials / 4 : 2))" \
  --no-autoschedulers --tasks "$work/resnet18.tasks.json" > "$work/tune-resnet18.log" 2>&1

echo "== matmul 512x512x512 f32, tessel compile with the tuned schedule"
build mm-tuned "$root/bench/inputs/matmul512.mlir" --db "$db"
build mm-default "$root/bench/inputs/matmul512.mlir"
grep -h "summary" "$work/mm-tuned.log" "$work/mm-default.log" | sed 's/^/  /'
flops=$((2 * 512 * 512 * 512))
printf "%-28s %10s %10s\n" "matmul 512^3" "median ms" "GFLOP/s"
for v in mm-tuned mm-default; do
  ms=$(median_ms $v)
  printf "%-28s %10.4f %10.1f\n" "$v" "$ms" "$(awk -v f=$flops -v m=$ms 'BEGIN{print f / (m * 1e6)}')"
done

echo "== resnet18 (1x3x32x32, batch 1, 1 thread)"
build r18-tuned "$models/resnet18.mlir" --db "$db"
build r18-halide "$models/resnet18.mlir" --db "$db" --kernels halide
build r18-default "$models/resnet18.mlir"
build r18-untiled "$models/resnet18.mlir" --baseline
grep -h "summary" "$work/r18-tuned.log" "$work/r18-halide.log" "$work/r18-default.log" | sed 's/^/  /'
# Interleaved rounds: the machine is shared.
declare -A t
for round in 1 2 3; do
  for v in r18-tuned r18-halide r18-default r18-untiled; do t[$v]+="$(median_ms $v) "; done
done
med3() { echo "$1" | tr ' ' '\n' | grep . | sort -g | sed -n 2p; }
untiled=$(med3 "${t[r18-untiled]}")
printf "%-28s %10s %10s   (rounds)\n" "resnet18" "median ms" "vs untiled"
for v in r18-tuned r18-halide r18-default r18-untiled; do
  m=$(med3 "${t[$v]}")
  printf "%-28s %10.4f %9.1fx   (%s)\n" "$v" "$m" "$(awk -v u=$untiled -v m=$m 'BEGIN{print u / m}')" "${t[$v]% }"
done
