#!/usr/bin/env bash
# The main job: installs the dependencies, builds, and runs the CPU ablation matrix on the tiny
# preset (experiments/matrices/tiny-cpu.json: 8 combinations x (1 warm-up + 9 repetitions)),
# writing ledger.jsonl, report.md, benchmark.json and report.html into a fresh out/tiny-cpu-<time>/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
out=out/tiny-cpu-$(date +%Y%m%d-%H%M%S)
build/experiments/ablate run --matrix experiments/matrices/tiny-cpu.json --out "$out" "$@"
