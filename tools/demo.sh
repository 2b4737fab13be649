#!/usr/bin/env bash
# The main job, as far as tessel does it today: installs what is missing,
# builds, describes this machine and the targets, and creates a schedule
# database to look into with `tessel db`.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/tools/deps.sh"
"$root/tools/build.sh"
bin="$root/build/bin"
out="$root/build/demo"
mkdir -p "$out"
db="$out/schedules.db"

step() { printf '\n== %s\n' "$*"; }

step "this machine (tessel targets --host)"
"$bin/tessel" targets --host

step "target presets (tessel targets)"
"$bin/tessel" targets

step "schedule database (tessel db init / stats)"
"$bin/tessel" db init --db "$db"
"$bin/tessel" db stats --db "$db"

cat <<MSG

The database is $db. Look inside with:
  $bin/tessel db stats --db $db
  $bin/tessel db list --db $db
MSG
