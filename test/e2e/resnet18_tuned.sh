#!/bin/sh
# The whole path on resnet18: tasks from tessel-opt, a tiny tuning session
# (tessel tune --tasks: the MLIR realizer, what tessel compile emits),
# `tessel compile --db` using the tuned schedules; a second tiny session of
# Halide's kernels (--realizer halide), and the model calling them (--kernels
# halide); each checked against the untiled reference (models.py).
# usage: resnet18_tuned.sh BIN_DIR MODELS_DIR WORK_DIR
set -eu
bin=$1 models=$2 work=$3
rm -rf "$work" && mkdir -p "$work"
"$bin/tessel-opt" "$models/linalg/torchvision/resnet18.mlir" \
  --tessel-extract-tasks=out="$work/tasks.json" -o /dev/null
"$bin/tessel" tune --db "$work/s.db" --tasks "$work/tasks.json" --trials 2 \
  --no-autoschedulers --seed 1 > "$work/tune.log"
"$bin/tessel" compile "$models/linalg/torchvision/resnet18.mlir" --db "$work/s.db" \
  --target host -o "$work/r18" | tee "$work/compile.log"
test -s "$work/r18/model.o" && test -s "$work/r18/model.h"
# The tasks are the ops tessel compile tiles: NHWC, and each task's count is
# the number of report lines with its signature.
! grep -q nchw "$work/tasks.json"
/usr/bin/python3 - "$work/tasks.json" "$work/r18/report.txt" <<'PY'
import collections, json, re, sys
tasks = {t["signature"]: t["count"] for t in json.load(open(sys.argv[1]))["tasks"]}
lines = collections.Counter()
for line in open(sys.argv[2]):
    m = re.match(r'loc\(.*\): (?:tuned|nearest|default|given) [0-9a-f]+ (.*?) \[', line)
    if m:
        lines[m.group(1)] += 1
assert lines == collections.Counter(tasks), (lines, tasks)
print(f"tasks match the ops tessel compile tiles: {sum(tasks.values())} ops, {len(tasks)} tasks")
PY
# Every op of the model got a tuned schedule measured on MLIR's loops.
grep -q "summary: tuned=[1-9][0-9]* nearest=0 default=0" "$work/r18/report.txt"
test "$(grep -c ': tuned .* \[mlir\] measured ' "$work/r18/report.txt")" -ge 20
sqlite3 "$work/s.db" "select distinct realizer from measurements" | grep -qx mlir
/usr/bin/python3 "$(dirname "$0")/models.py" --tessel "$bin" --db "$work/s.db" \
  "$models/linalg/torchvision/resnet18.mlir"
# The same with the tuned ops calling their Halide kernels (tessel aot).
"$bin/tessel" tune --db "$work/s.db" --tasks "$work/tasks.json" --trials 1 \
  --realizer halide --no-autoschedulers --seed 1 > "$work/tune-halide.log"
"$bin/tessel" compile "$models/linalg/torchvision/resnet18.mlir" --db "$work/s.db" \
  --kernels halide -o "$work/r18-halide" > /dev/null
grep -q "\[halide tessel_k_" "$work/r18-halide/report.txt"
/usr/bin/python3 "$(dirname "$0")/models.py" --tessel "$bin" --db "$work/s.db" \
  --kernels halide "$models/linalg/torchvision/resnet18.mlir"
