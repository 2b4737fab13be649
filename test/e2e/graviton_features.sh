#!/bin/sh
# The Graviton presets really use their features: resnet18 compiled for
# graviton3 (Neoverse V1: SVE) contains SVE instructions and dies with SIGILL
# on an Armv8.0 CPU (qemu -cpu cortex-a72); the graviton2 build (Neoverse N1)
# needs nothing that CPU lacks and runs there.
# usage: graviton_features.sh BIN_DIR MODELS_DIR WORK_DIR
set -u
bin=$1 models=$2 work=$3
command -v qemu-aarch64 >/dev/null && command -v aarch64-linux-gnu-gcc >/dev/null || {
  echo "skipped: needs qemu-aarch64 and aarch64-linux-gnu-gcc (tools/deps.sh installs them)"
  exit 77
}
rm -rf "$work" && mkdir -p "$work"
harness=$(dirname "$0")/harness.c
for g in graviton2 graviton3; do
  "$bin/tessel" compile "$models/linalg/torchvision/resnet18.mlir" --target "$g" -o "$work/$g" \
    > /dev/null || exit 1
  aarch64-linux-gnu-gcc -O2 -static -include "$work/$g/model.h" "$harness" \
    "$work/$g/libmodel.a" -lm -o "$work/$g/run" || exit 1
done
sve=$(llvm-objdump-19 -d --mattr=+sve "$work/graviton3/model.o" | grep -cE 'ptrue|whilelo|\bz[0-9]+\.[bhsd]')
echo "graviton3 model.o: $sve SVE instructions"
[ "$sve" -gt 0 ] || { echo "FAIL: the graviton3 build uses no SVE"; exit 1; }
qemu-aarch64 -cpu cortex-a72 "$work/graviton3/run" "$work/g3.bin" 2> "$work/g3.err"
status=$?
echo "graviton3 build on cortex-a72: exit status $status"
[ "$status" -eq 132 ] || { echo "FAIL: expected SIGILL (132)"; cat "$work/g3.err"; exit 1; }
qemu-aarch64 -cpu cortex-a72 "$work/graviton2/run" "$work/g2.bin" || {
  echo "FAIL: the graviton2 build does not run on cortex-a72"; exit 1; }
qemu-aarch64 -cpu max,sve256=on "$work/graviton3/run" "$work/g3max.bin" || exit 1
cmp "$work/g2.bin" "$work/g3max.bin" > /dev/null && echo "graviton2 on cortex-a72 and graviton3 on max,sve256=on: same outputs" || {
  echo "FAIL: graviton2 and graviton3 builds differ"; exit 1; }
echo PASS
