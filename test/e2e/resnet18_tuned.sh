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
# the number of the report's ops with its signature; every one of them got a
# tuned schedule measured on MLIR's loops.
! grep -q nchw "$work/tasks.json"
/usr/bin/python3 - "$work/tasks.json" "$work/r18/report.json" <<'PY'
import collections, json, sys
tasks = {t["signature"]: t["count"] for t in json.load(open(sys.argv[1]))["tasks"]}
ops = json.load(open(sys.argv[2]))["coverage"]["ops"]
tiled = [o for o in ops if o["source"] != "untiled"]
assert collections.Counter(o["op"] for o in tiled) == collections.Counter(tasks), (tiled, tasks)
bad = [o for o in tiled if o["source"] != "tuned" or o["code"] != "mlir" or o["measured_s"] is None]
assert not bad, bad
print(f"tasks match the ops tessel compile tiles: {sum(tasks.values())} ops, {len(tasks)} tasks, all tuned")
PY
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
