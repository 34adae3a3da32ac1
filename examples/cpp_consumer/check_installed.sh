#!/usr/bin/env bash
# Installs the build tree BUILD_DIR into WORK/prefix, builds examples/cpp_consumer against it with
# find_package(hwnas), and runs it (and the installed hwnas program) with the source tree out of
# reach: HWNAS_PROFILE_DIR unset, so the profiles must come from the installed share/hwnas.
set -euo pipefail
build=$1 work=$2
here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$work" && mkdir -p "$work"
cmake --install "$build" --prefix "$work/prefix" > "$work/install.log"
gen=(); command -v ninja >/dev/null && gen=(-G Ninja)
launcher=(); command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S "$here" -B "$work/build" "${gen[@]}" "${launcher[@]}" -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$work/prefix" > "$work/configure.log"
cmake --build "$work/build" > "$work/build.log"
unset HWNAS_PROFILE_DIR
out=$("$work/build/consumer" "$work/run")
echo "$out"
grep -q '^params 802426$' <<< "$out"
grep -q '^raspberry-pi-4 latency_ms [0-9.]*$' <<< "$out"
grep -q '^evaluations 6, front [1-9]' <<< "$out"
test -s "$work/run/pareto.json"
# The consumer's libhwnas.so is the installed one, and so are the profiles it read.
# (grep reads what was captured: grep -q on a pipe can end it early, which pipefail reports)
libs=$(ldd "$work/build/consumer")
grep -q "$work/prefix/lib/libhwnas.so" <<< "$libs"
grep -qx "profiles $(cd "$work/prefix/share/hwnas/hardware" && pwd -P)" <<< "$out"
devices=$("$work/prefix/bin/hwnas" devices)
grep -q raspberry-pi-4 <<< "$devices"
echo "cpp_consumer: ok"
