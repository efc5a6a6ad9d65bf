#!/usr/bin/env bash
# The main job: installs the dependencies, builds, and runs the core generator on the tiny preset
# on the CPU (81 frames: 7 chunks, 35 DiT forwards), writing out/generate-tiny.json.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
mkdir -p out
build/experiments/ablate generate --preset tiny --device cpu --runs 2 --json out/generate-tiny.json "$@"
