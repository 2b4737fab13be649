#!/usr/bin/env bash
# Starts `tessel tune`, kills it with SIGKILL once a few measurements are
# committed, then runs the same command to completion.
# Usage: kill_and_resume.sh DB SIGNATURE TRIALS
set -euo pipefail
db="$1" sig="$2" trials="$3"
cmd=(tessel tune --db "$db" --task "$sig" --trials "$trials" --no-autoschedulers)
"${cmd[@]}" >/dev/null 2>&1 &
pid=$!
for _ in $(seq 1 600); do
  n=$(sqlite3 "$db" "SELECT count(*) FROM measurements" 2>/dev/null || echo 0)
  [[ "${n:-0}" -ge 3 ]] && break
  sleep 0.05
done
kill -9 "$pid"
wait "$pid" 2>/dev/null || true
before=$(sqlite3 "$db" "SELECT count(*) FROM measurements")
if [[ "$before" -ge "$trials" ]]; then
  echo "the tuner finished before it could be killed" >&2
  exit 1
fi
"${cmd[@]}" >/dev/null 2>&1
