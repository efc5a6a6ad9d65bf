#!/usr/bin/env bash
# The test command: installs the dependencies, builds, runs the GoogleTest suite through ctest.
# ABLATE_FUZZ_SMOKE=1 adds the fuzz smoke (scripts/fuzz.sh --smoke; needs clang-14): not on by
# default, its cold build alone is longer than CI's budget for it (reports/reliability-fuzz.md).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
(cd build && ctest --output-on-failure -j2)
if [ "${ABLATE_FUZZ_SMOKE:-0}" = 1 ]; then
  scripts/fuzz.sh --smoke
fi
