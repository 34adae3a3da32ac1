#!/usr/bin/env bash
# The hardening stage of CI: an AddressSanitizer + UndefinedBehaviorSanitizer build (clang, no
# LibTorch) of the library and its tests, then every libFuzzer target (tests/fuzz/fuzz_*.cpp) for
# a short time on its committed seed corpus (tests/fuzz/corpus/<target>/).
#
#   scripts/sanitize.sh                    # build, run the library tests, fuzz each target 30 s
#   scripts/sanitize.sh --fuzz-seconds 600 # longer fuzzing (the README's reliability figures)
#   scripts/sanitize.sh --no-tests         # fuzz only
#
# A crash, leak, sanitizer report or hang fails the script; the input is left in
# build-asan/fuzz-artifacts/. Once fixed, it goes to tests/fuzz/regressions/<target>/ (run by every
# fuzz run) and into a unit test of the parser.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzz_seconds=30
run_tests=1
while [ $# -gt 0 ]; do
  case "$1" in
    --fuzz-seconds) fuzz_seconds="$2"; shift 2 ;;
    --no-tests) run_tests=0; shift ;;
    *) echo "sanitize.sh: unknown argument '$1' (expected --fuzz-seconds N or --no-tests)" >&2; exit 2 ;;
  esac
done
case "$fuzz_seconds" in ''|*[!0-9]*) echo "sanitize.sh: --fuzz-seconds: expected a whole number of seconds" >&2; exit 2 ;; esac

BUILD_DIR=${BUILD_DIR:-build-asan}
if [ ! -f "$BUILD_DIR/CMakeCache.txt" ]; then
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_CXX_COMPILER=clang++-14 -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only" -DHWNAS_WITH_TORCH=OFF -DHWNAS_SANITIZE=address,undefined \
    -DHWNAS_FUZZ=ON
fi
# The library's own test programs (tests/cli drives the program with LibTorch; it runs in the main build).
lib_tests=(test_core test_nas test_hw_models test_search test_analysis)
cmake --build "$BUILD_DIR" -j "$(nproc)" --target "${lib_tests[@]}" fuzzers

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
if [ "$run_tests" = 1 ]; then
  echo "sanitize: library tests under ASan+UBSan"
  # Only the test programs built above (the others are listed as *_NOT_BUILT).
  ctest --test-dir "$BUILD_DIR" --output-on-failure -j "$(nproc)" -E '_NOT_BUILT$' | tee "$BUILD_DIR/ctest.log"
  grep -q "tests passed" "$BUILD_DIR/ctest.log"
fi

artifacts="$BUILD_DIR/fuzz-artifacts"
mkdir -p "$artifacts"
status=0
run_target() {
  local t="$1" name="${1#fuzz_}"
  local work
  work=$(mktemp -d)  # the committed corpus is read, never written
  cp -r "tests/fuzz/corpus/$name/." "$work/"
  # Inputs that once crashed a target (tests/fuzz/regressions/<target>/) are run first, every time.
  [ -d "tests/fuzz/regressions/$name" ] && cp -r "tests/fuzz/regressions/$name/." "$work/"
  if "$BUILD_DIR/$t" -max_total_time="$fuzz_seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
      -print_final_stats=1 -artifact_prefix="$artifacts/$name-" "$work" > "$artifacts/$name.log" 2>&1; then
    echo "fuzz $name: $(grep -m1 'stat::number_of_executed_units' "$artifacts/$name.log" | awk '{print $2}') executions, no crash"
  else
    echo "fuzz $name: FAILED (log: $artifacts/$name.log)"; tail -40 "$artifacts/$name.log"; return 1
  fi
  rm -rf "$work"
}
export -f run_target
export BUILD_DIR fuzz_seconds artifacts
targets=()
for src in tests/fuzz/fuzz_*.cpp; do targets+=("$(basename "$src" .cpp)"); done
echo "sanitize: fuzzing ${#targets[@]} targets, ${fuzz_seconds} s each, $(nproc) at a time"
printf '%s\n' "${targets[@]}" | xargs -P "$(nproc)" -I{} bash -c 'run_target {}' || status=1
exit $status
