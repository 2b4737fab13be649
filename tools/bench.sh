#!/usr/bin/env bash
# Every benchmark side by side, in one run on this machine:
#   kernels   tessel tuned (tuned here at 1 and at 2 threads with a stated
#             budget, or from --db; each column uses the records of its thread
#             count),
#             tessel's heuristic default, Halide's Adams2019 and Mullapudi2016,
#             OpenBLAS, XNNPACK, oneDNN and Eigen (where they have the op), at
#             1 and 2 threads, with the measured FMA peak and triad bandwidth;
#             a table, a CSV and a PNG bar chart per shape group;
#   tuning    best so far against trials and wall time (PNG), for the search
#             and for random search with the same budget, and the trials each
#             needed to reach 95% of the best found;
#   models    resnet18, mobilenet_v2, squeezenet1_1 compiled by tessel compile
#             (tuned, default, untiled) against PyTorch 1.13 eager and
#             TorchScript at 1 and 2 threads (bench/models.sh); the 512^3 matmul
#             and resnet18's --kernels halide path (bench/compile.sh).
# Nothing is asserted: the figures are read from the output.
# --quick takes one shape per group (five kernels) and small budgets.
#   ./tools/bench.sh [--quick] [--db FILE] [--trials N]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
quick=0 db="" trials=""
while (($#)); do
  case "$1" in
    --quick) quick=1; shift ;;
    --db) db="$2"; shift 2 ;;
    --trials) trials="$2"; shift 2 ;;
    *) echo "usage: tools/bench.sh [--quick] [--db FILE] [--trials N]" >&2; exit 2 ;;
  esac
done
# The anchors and the charts: Debian packages, installed when missing.
"$root/tools/deps.sh" libopenblas-dev libxnnpack-dev libpthreadpool-dev libdnnl-dev \
  libeigen3-dev python3-matplotlib python3-torch
"$root/tools/build.sh"
bin="$root/build/bin"
out="$root/build/bench/results"
mkdir -p "$out"
if ((quick)); then rounds=2; trials="${trials:-16}"; else rounds=3; trials="${trials:-200}"; fi
db="${db:-$root/build/bench/bench.db}"

shapes=(
  "matmul m=128 n=128 k=128"
  "matmul m=256 n=256 k=256"
  "matmul m=512 n=512 k=512"
  "matmul m=1024 n=1024 k=1024"
  "matmul m=1 n=4096 k=4096"
  "matmul m=128 n=768 k=768"
  "matmul m=128 n=3072 k=768"
  "matmul m=128 n=768 k=3072"
  "conv2d n=1 h=56 w=56 c=64 f=64 kh=3 kw=3 pad=1,1,1,1"
  "conv2d n=1 h=28 w=28 c=128 f=128 kh=3 kw=3 pad=1,1,1,1"
  "conv2d n=1 h=14 w=14 c=256 f=256 kh=3 kw=3 pad=1,1,1,1"
  "conv2d n=1 h=7 w=7 c=512 f=512 kh=3 kw=3 pad=1,1,1,1"
  "conv2d n=1 h=56 w=56 c=64 f=256 kh=1 kw=1"
  "conv2d n=1 h=56 w=56 c=64 f=128 kh=3 kw=3 stride=2,2 pad=1,1,1,1"
  "depthwise_conv2d n=1 h=112 w=112 c=32 kh=3 kw=3 pad=1,1,1,1"
)

# --quick: one shape per group, so that it finishes in a few minutes.
if ((quick)); then
  shapes=(
    "matmul m=256 n=256 k=256"
    "matmul m=1 n=4096 k=4096"
    "matmul m=128 n=768 k=768"
    "conv2d n=1 h=28 w=28 c=128 f=128 kh=3 kw=3 pad=1,1,1,1"
    "depthwise_conv2d n=1 h=112 w=112 c=32 kh=3 kw=3 pad=1,1,1,1"
  )
fi

echo "== building the anchors (OpenBLAS, XNNPACK, oneDNN, Eigen)"
anchors="$root/build/bench/tessel-bench-anchors"
if [[ ! -x "$anchors" || "$root/bench/Anchors.cpp" -nt "$anchors" ]]; then
  g++ -O2 -std=c++17 -fopenmp -I/usr/include/eigen3 "$root/bench/Anchors.cpp" -o "$anchors" \
    -lopenblas -ldnnl -lXNNPACK -lpthreadpool
fi

args=()
for s in "${shapes[@]}"; do args+=(--task "$s"); done
for t in 1 2; do
  echo "== tuning ${#shapes[@]} kernels, $trials trials each, $t thread(s) (tessel tune) into $db"
  "$bin/tessel" tune --db "$db" --target host --threads "$t" --trials "$trials" \
    --no-autoschedulers "${args[@]}" > "$out/tune-${t}t.log" 2>&1 || { tail -5 "$out/tune-${t}t.log"; exit 1; }
  tail -n +2 "$out/tune-${t}t.log" | grep -v '^\s*\[' | head -30
done

# Tuning efficiency: three of the kernels again with random search, the same
# budget, into their own database.
random_db="${db%.db}-random.db"
"$bin/tessel" tune --db "$random_db" --target host --threads 1 --trials "$trials" \
  --no-autoschedulers --search random --task "${shapes[0]}" --task "${shapes[2]}" \
  --task "${shapes[${#shapes[@]}-1]}" > "$out/tune-random.log" 2>&1 ||
  { tail -5 "$out/tune-random.log"; exit 1; }

kernel_csvs=() anchor_csvs=()
for t in 1 2; do
  echo "== kernels, $t thread(s): tessel and Halide's autoschedulers ($rounds interleaved rounds)"
  "$bin/tessel-bench-kernels" --db "$db" --threads "$t" --rounds "$rounds" \
    --csv "$out/tessel-${t}t.csv" "${shapes[@]}" | tail -n +3
  kernel_csvs+=("$out/tessel-${t}t.csv")
  echo "== kernels, $t thread(s): the libraries"
  OMP_WAIT_POLICY=passive "$anchors" --threads "$t" --csv "$out/anchors-${t}t.csv" "${shapes[@]}"
  anchor_csvs+=("$out/anchors-${t}t.csv")
done

echo "== the table"
/usr/bin/python3 "$root/bench/report.py" --out "$out" --kernels "${kernel_csvs[@]}" \
  --anchors "${anchor_csvs[@]}" --db "$db" --random-db "$random_db"

echo "== whole models against PyTorch (bench/models.sh)"
if ((quick)); then "$root/bench/models.sh" --budget 20s --runs 20; else "$root/bench/models.sh" --budget 120s; fi
echo "== tessel compile: the 512^3 matmul and resnet18 with --kernels halide (bench/compile.sh)"
if ((quick)); then "$root/bench/compile.sh" --quick; else "$root/bench/compile.sh"; fi
