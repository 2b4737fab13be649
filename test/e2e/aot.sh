#!/bin/sh
# `tessel aot` for this machine and for graviton2/3/4: archives of the right
# architecture whose kernels, called from a C program (under the matching
# qemu CPU for Graviton), match the same schedules JIT-compiled here.
# usage: aot.sh BIN_DIR WORK_DIR
set -eu
bin=$1 work=$2
here=$(dirname "$0")
rm -rf "$work" && mkdir -p "$work"
/usr/bin/python3 "$here/graviton_records.py" > "$work/graviton.json"
"$bin/tessel" db import --db "$work/s.db" "$work/graviton.json" > /dev/null
"$bin/tessel" tune --db "$work/s.db" --target host --trials 2 --no-autoschedulers \
  --task "matmul m=33 n=40 k=24 epilogue=bias+relu" \
  --task "conv2d n=1 h=10 w=10 c=8 f=16 kh=3 kw=3 pad=1,1,1,1 layout=nchw_fchw" \
  --task "pool_max n=1 h=8 w=8 c=16 kh=3 kw=3 stride=2,2 pad=1,1,1,1" > "$work/tune.log" 2>&1
exec /usr/bin/python3 "$here/aot_check.py" "$bin" "$work/s.db" host \
  graviton2:neoverse-n1 graviton3:max,sve256=on graviton4:max,sve128=on
