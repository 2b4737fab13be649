#!/usr/bin/env bash
# Configures (once) and builds tessel into build/ (or $TESSEL_BUILD_DIR).
# Extra arguments go to CMake's configure step, e.g. -DTESSEL_SANITIZE=ON.
# Quiet on success; on failure prints the tail of the build log.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${TESSEL_BUILD_DIR:-$root/build}"
mkdir -p "$build"
log="$build/build.log"

if [[ ! -f "$build/build.ninja" || $# -gt 0 ]]; then
  if ! cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release "$@" \
      >"$log" 2>&1; then
    tail -n 40 "$log"
    echo "tessel: configuring failed; the whole log is $log" >&2
    exit 1
  fi
fi
if ! ninja -C "$build" >"$log" 2>&1; then
  grep -E "error|FAILED" -A5 "$log" | head -n 60
  echo "tessel: the build failed; the whole log is $log" >&2
  exit 1
fi
