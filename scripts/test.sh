#!/usr/bin/env bash
# Sets up, builds and runs every test (GoogleTest suites through CTest), then prints how many
# tests were skipped. Every tool a test may skip for (graphviz, chromium, python3-torch, the
# datasets, statsmodels) is installed by scripts/setup.sh, so a skipped test here means a broken
# setup: it fails the run, naming the tests and why they skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
BUILD_DIR=${BUILD_DIR:-build}
log="$BUILD_DIR/ctest-output.log"
set +e
ctest --test-dir "$BUILD_DIR" --output-on-failure -j "$(nproc)" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
set -e
skipped=$(grep -c -- '\*\*\*Skipped' "$log" || true)
echo "test.sh: $skipped tests skipped"
if [ "$skipped" -gt 0 ]; then
  grep -- '\*\*\*Skipped' "$log" | sed -E 's/^.*Test +#[0-9]+: ([^ ]+) .*$/  skipped: \1/'
  # GoogleTest prints "<file>:<line>: Skipped" then the reason; LastTest.log holds every output.
  grep -h -A1 -- ': Skipped$' "$BUILD_DIR"/Testing/Temporary/LastTest*.log 2>/dev/null | grep -v -- '^--$' | sed 's/^/    /' || true
  echo "test.sh: FAILED: a test skipped for a missing tool, which scripts/setup.sh installs" >&2
  [ "$rc" -ne 0 ] || rc=1
fi
exit "$rc"
