#!/usr/bin/env bash
# Figures of `tessel compile`, measured side by side in one run:
#   1. a 512^3 f32 matmul compiled with the tuned schedule of a database (the
#      bench tunes it, MLIR realizer, at 1 and at 2 threads unless --db holds
#      records) and with the built-in default, at 1 and 2 threads, against
#      oneDNN (bench/Anchors.cpp) at the same thread counts: GFLOP/s, and the
#      ratios tuned/default and tuned/oneDNN;
#   2. resnet18 (../shared/models) compiled with tuned schedules (MLIR
#      loops), with its ops calling tuned Halide kernels (--kernels halide,
#      from records tuned with --realizer halide), with the built-in
#      defaults, and by the untiled upstream lowering: median latency and
#      the ratios.
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
"$root/tools/deps.sh" libdnnl-dev libopenblas-dev libxnnpack-dev libpthreadpool-dev libeigen3-dev libomp-19-dev
"$root/tools/build.sh"
bin="$root/build/bin"
models="$root/../shared/models/linalg/torchvision"
work="$root/build/bench/compile"
rm -rf "$work" && mkdir -p "$work" "$(dirname "$db")"
harness="$root/test/e2e/harness.c"
libomp=(-L/usr/lib/llvm-19/lib -lomp -Wl,-rpath,/usr/lib/llvm-19/lib)
anchors="$root/build/bench/tessel-bench-anchors"
if [[ ! -x "$anchors" || "$root/bench/Anchors.cpp" -nt "$anchors" ]]; then
  g++ -O2 -std=c++17 -fopenmp -I/usr/include/eigen3 "$root/bench/Anchors.cpp" -o "$anchors" \
    -lopenblas -ldnnl -lXNNPACK -lpthreadpool
fi

build() { # build NAME MODEL [tessel compile options...]
  local name=$1 model=$2; shift 2
  "$bin/tessel" compile "$model" -o "$work/$name" "$@" > "$work/$name.log"
  cc -O2 -include "$work/$name/model.h" "$harness" "$work/$name/libmodel.a" "${libomp[@]}" \
    -lpthread -ldl -lm -o "$work/$name/run"
}
median_ms() { # median_ms NAME -> prints the median in ms
  "$work/$1/run" "$work/$1.out" --bench "$runs" | sed -E 's/.*median ([0-9.]+) ms.*/\1/'
}
med3() { echo "$1" | tr ' ' '\n' | grep . | sort -g | sed -n 2p; }

mm="matmul m=512 n=512 k=512"
echo "== tuning $mm (MLIR realizer, $trials trials, 1 and 2 threads) into $db"
for t in 1 2; do
  "$bin/tessel" tune --db "$db" --target host --trials "$trials" --threads "$t" \
    --no-autoschedulers --task "$mm" > "$work/tune-matmul-$t.log" 2>&1
done
"$bin/tessel-opt" "$models/resnet18.mlir" --tessel-extract-tasks=out="$work/resnet18.tasks.json" -o /dev/null
r18trials=$((trials / 4 > 2 ? trials / 4 : 2))
for realizer in mlir halide; do
  "$bin/tessel" tune --db "$db" --target host --trials "$r18trials" --realizer "$realizer" \
    --no-autoschedulers --tasks "$work/resnet18.tasks.json" > "$work/tune-resnet18-$realizer.log" 2>&1
done

echo "== $mm through tessel compile, against oneDNN (3 interleaved rounds)"
for t in 1 2; do
  build "mm-tuned-$t" "$root/bench/inputs/matmul512.mlir" --db "$db" --threads "$t"
  build "mm-default-$t" "$root/bench/inputs/matmul512.mlir" --threads "$t"
done
grep -h "summary" "$work"/mm-*.log | sed 's/^/  /'
flops=$((2 * 512 * 512 * 512))
gf() { awk -v f=$flops -v m="$1" 'BEGIN{printf "%.1f", f / (m * 1e6)}'; }
declare -A t
for round in 1 2 3; do
  for v in mm-tuned-1 mm-default-1 mm-tuned-2 mm-default-2; do t[$v]+="$(median_ms $v) "; done
  for n in 1 2; do
    t[onednn-$n]+="$(OMP_WAIT_POLICY=passive "$anchors" --threads $n "$mm" |
      sed -nE 's/.*onednn +([0-9.]+).*/\1/p') "
  done
done
printf "%-8s %14s %16s %16s %14s %16s\n" threads "tuned GFLOP/s" "default GFLOP/s" "oneDNN GFLOP/s" \
  "tuned/default" "tuned/oneDNN"
for n in 1 2; do
  tu=$(gf "$(med3 "${t[mm-tuned-$n]}")") de=$(gf "$(med3 "${t[mm-default-$n]}")")
  dn=$(med3 "${t[onednn-$n]}")
  printf "%-8s %14s %16s %16s %13.2fx %15.2fx\n" "$n" "$tu" "$de" "$dn" \
    "$(awk -v a=$tu -v b=$de 'BEGIN{print a / b}')" "$(awk -v a=$tu -v b=$dn 'BEGIN{print a / b}')"
done

echo "== resnet18 (1x3x32x32, batch 1, 1 thread)"
build r18-tuned "$models/resnet18.mlir" --db "$db"
build r18-halide "$models/resnet18.mlir" --db "$db" --kernels halide
build r18-default "$models/resnet18.mlir"
build r18-untiled "$models/resnet18.mlir" --baseline
grep -h "summary" "$work/r18-tuned.log" "$work/r18-halide.log" "$work/r18-default.log" | sed 's/^/  /'
for round in 1 2 3; do
  for v in r18-tuned r18-halide r18-default r18-untiled; do t[$v]+="$(median_ms $v) "; done
done
untiled=$(med3 "${t[r18-untiled]}")
printf "%-28s %10s %10s   (rounds)\n" "resnet18" "median ms" "vs untiled"
for v in r18-tuned r18-halide r18-default r18-untiled; do
  m=$(med3 "${t[$v]}")
  printf "%-28s %10.4f %9.1fx   (%s)\n" "$v" "$m" "$(awk -v u=$untiled -v m=$m 'BEGIN{print u / m}')" "${t[$v]% }"
done
