#!/usr/bin/env bash
# The kernel figures of the tuner: tunes each shape (unless --db already holds
# tuned schedules for it), then measures tuned / heuristic / Adams2019 /
# Mullapudi2016 side by side with % of the measured FMA peak.
#   bench/kernels.sh [--trials 200] [--db FILE] [--threads 1] [--quick]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
trials=200 threads=1 db="$root/build/bench/kernels.db"
while (($#)); do
  case "$1" in
    --trials) trials="$2"; shift 2 ;;
    --db) db="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --quick) trials=40; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
"$root/tools/deps.sh"
"$root/tools/build.sh"
bin="$root/build/bin"
mkdir -p "$(dirname "$db")"
shapes=(
  "matmul m=512 n=512 k=512"
  "matmul m=128 n=768 k=768"
  "matmul m=128 n=3072 k=768"
  "conv2d n=1 h=56 w=56 c=64 f=64 kh=3 kw=3 pad=1,1,1,1"
)
args=()
for s in "${shapes[@]}"; do args+=(--task "$s"); done
"$bin/tessel" tune --db "$db" --target host --threads "$threads" --trials "$trials" "${args[@]}"
echo
"$bin/tessel-bench-kernels" --db "$db" --threads "$threads" --csv "${db%.db}.csv" "${shapes[@]}"
