#!/usr/bin/env bash
# Installs what hwnas needs from Debian's archive (as root, only what is missing) and builds it
# with Ninja in Release mode into ./build. Safe to run again: it only does what is left to do.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config
  libtorch-dev libeigen3-dev libboost-graph-dev libtbb-dev nlohmann-json3-dev libgtest-dev zlib1g-dev
  libcli11-dev dataset-fashion-mnist
  # used by tests that check exports and statistics against the Python ecosystem
  python3-jsonschema python3-torch python3-statsmodels python3-onnx libonnx-dev libprotobuf-dev protobuf-compiler
  # the sanitizer and fuzzing stage (scripts/sanitize.sh): clang, its sanitizer runtimes, libFuzzer
  clang-14 libclang-rt-14-dev libfuzzer-14-dev
  # `dot` parses the exported graph.dot; headless chromium loads report.html's DOM
  graphviz chromium
  # mpirun -np N hwnas search (app/mpi.h) and its tests
  openmpi-bin libopenmpi-dev
  # the Python module (build/python/hwnas) and its tests
  pybind11-dev python3-pybind11 python3-dev python3-pytest python3-numpy
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

BUILD_DIR=${BUILD_DIR:-build}
GEN=()
command -v ninja >/dev/null && GEN=(-G Ninja)
if [ ! -f "$BUILD_DIR/CMakeCache.txt" ]; then
  cmake -S . -B "$BUILD_DIR" "${GEN[@]}" -DCMAKE_BUILD_TYPE=Release
fi
cmake --build "$BUILD_DIR" -j "$(nproc)"
