#!/usr/bin/env bash
# The test command: installs the dependencies, builds, runs the GoogleTest suite through ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
cd build && ctest --output-on-failure -j2
