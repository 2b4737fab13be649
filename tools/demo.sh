#!/usr/bin/env bash
# The main job, as far as tessel does it today: installs what is missing,
# builds, describes this machine, tunes a few kernels of a ResNet-18-like
# model on it (a small budget: about two minutes on 2 cores) and shows what
# the schedule database now knows. A second run reuses the database and skips
# what is already tuned.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/tools/deps.sh"
"$root/tools/build.sh"
bin="$root/build/bin"
out="$root/build/demo"
mkdir -p "$out"
db="$out/schedules.db"
trials="${TESSEL_DEMO_TRIALS:-24}"

step() { printf '\n== %s\n' "$*"; }

step "this machine (tessel targets --host)"
"$bin/tessel" targets --host

# Kernels of ResNet-18 at batch 1 (NHWC) and a BERT-base projection.
tasks=(
  "conv2d n=1 h=56 w=56 c=64 f=64 kh=3 kw=3 pad=1,1,1,1 epilogue=bias+relu"
  "conv2d n=1 h=28 w=28 c=128 f=128 kh=3 kw=3 pad=1,1,1,1 epilogue=bias+relu"
  "matmul m=128 n=768 k=768 epilogue=bias"
)
args=()
for t in "${tasks[@]}"; do args+=(--task "$t"); done

step "tuning ${#tasks[@]} kernels, $trials trials each (tessel tune; vs Halide's autoschedulers: ./bench/kernels.sh)"
"$bin/tessel" tune --db "$db" --target host --trials "$trials" --no-autoschedulers "${args[@]}"

step "what the database holds (tessel db list)"
"$bin/tessel" db list --db "$db"

step "what a compiler would use here (tessel db best)"
"$bin/tessel" db best --db "$db" --target host

cat <<MSG

The database is $db. Look inside with:
  $bin/tessel db stats --db $db
  $bin/tessel db show --db $db HASH_PREFIX
Run ./tools/demo.sh again: tasks already tuned are skipped; raise
TESSEL_DEMO_TRIALS to continue the search from where it stopped.
MSG
