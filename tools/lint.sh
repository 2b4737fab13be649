#!/usr/bin/env bash
# clang-format (.clang-format) and the curated clang-tidy checks (.clang-tidy)
# on the lines of C and C++ files changed since a base commit: the lines a
# change writes must be formatted and tidy; older lines are left as they are.
#   tools/lint.sh [BASE]   BASE: a commit (default: the one in .ci/lint-base)
# clang-tidy reads the compile commands of build/ (tools/build.sh first).
# Exits 1 with the diff or the warnings when a changed line fails.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
"$root/tools/deps.sh" clang-format clang-tidy
base="${1:-$(cat "$root/.ci/lint-base")}"
if ! git rev-parse -q --verify "$base^{commit}" >/dev/null; then
  # A shallow clone may not have it: the last commit's lines then.
  echo "tessel lint: $base is not in this clone; linting the last commit's lines" >&2
  base=HEAD~1
  git rev-parse -q --verify "$base^{commit}" >/dev/null ||
    { echo "tessel lint: no parent commit to compare with; nothing linted" >&2; exit 0; }
fi
files=(-- '*.cpp' '*.h' '*.c')
status=0

format=$(git diff -U0 --no-color "$base" "${files[@]}" | clang-format-diff-14 -p1 || true)
if [[ -n "$format" ]]; then
  echo "$format"
  echo "tessel lint: changed lines are not formatted as .clang-format says (the diff above)" >&2
  status=1
fi

if [[ -f "$root/build/compile_commands.json" ]]; then
  tidy=$(git diff -U0 --no-color "$base" -- '*.cpp' |
           clang-tidy-diff-14.py -p1 -path "$root/build" -quiet -j 2 2>/dev/null |
           grep -E '^[^ ].*: (warning|error): ' || true)
  if [[ -n "$tidy" ]]; then
    echo "$tidy"
    echo "tessel lint: clang-tidy warnings on changed lines (above)" >&2
    status=1
  fi
else
  echo "tessel lint: no build/compile_commands.json; clang-tidy skipped (run tools/build.sh)" >&2
fi
((status == 0)) && echo "tessel lint: the lines changed since $(git rev-parse --short "$base") are formatted and tidy"
exit $status
