#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test (GoogleTest unit tests
# and lit tests) through ctest.
#   ./tools/test.sh              the normal build in build/
#   ./tools/test.sh --sanitize   an ASan+UBSan build in build-sanitize/
# Further arguments go to ctest: ./tools/test.sh --sanitize -L 'unit|lit'.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/tools/deps.sh"

if [[ "${1:-}" == "--sanitize" ]]; then
  shift
  export TESSEL_BUILD_DIR="$root/build-sanitize"
  export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1"
  export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
  if [[ ! -f "$TESSEL_BUILD_DIR/build.ninja" ]]; then
    "$root/tools/build.sh" -DTESSEL_SANITIZE=ON
  else
    "$root/tools/build.sh"
  fi
else
  export TESSEL_BUILD_DIR="$root/build"
  "$root/tools/build.sh"
fi
cd "$TESSEL_BUILD_DIR"
ctest --output-on-failure -j2 "$@"
