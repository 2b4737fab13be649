#!/usr/bin/env bash
# Installs the Debian packages tessel needs, if any are missing. Silent when
# everything is already there. Sourced or run by demo.sh, test.sh and bench.sh.
set -euo pipefail

TESSEL_PACKAGES=(
  # build
  cmake ninja-build g++ ccache pkg-config python3 file
  # db/ and tools/
  libsqlite3-dev sqlite3 libssl-dev nlohmann-json3-dev libcli11-dev
  # MLIR 19 (shared libMLIR.so), FileCheck and lit
  llvm-19-dev llvm-19-tools libmlir-19-dev mlir-19-tools zlib1g-dev libzstd-dev
  # the OpenMP runtime of models compiled with --threads N
  libomp-19-dev
  # Halide 14 and its autoscheduler plugins (its CMake package requires PNG
  # and JPEG, which a bare Debian lacks)
  libhalide14-0-dev libpng-dev libjpeg-dev
  # ONNX in (tessel import): ONNX's protobuf classes
  libonnx-dev libprotobuf-dev
  # tests (numpy: real weight arrays for the models in test/e2e; the ONNX
  # backend node tests and the onnx package that reads them)
  libgtest-dev libgmock-dev python3-numpy libonnx-testdata python3-onnx
  # torchvision models exported to ONNX by PyTorch (test/e2e/onnx_torchvision.py)
  python3-torch python3-torchvision
)
# Graviton from x86-64: the aarch64 cross compiler (AOT kernel adapters, test
# programs) and qemu (correctness proofs only; its timings mean nothing).
if [[ $(uname -m) == x86_64 ]]; then
  TESSEL_PACKAGES+=(gcc-aarch64-linux-gnu g++-aarch64-linux-gnu qemu-user)
fi

missing=()
for p in "${TESSEL_PACKAGES[@]}" "$@"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "tessel: installing ${missing[*]}"
  SUDO=""
  [[ $(id -u) -eq 0 ]] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
