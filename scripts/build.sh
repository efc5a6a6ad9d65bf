#!/usr/bin/env bash
# Configures and builds Ablate (CPU LibTorch from Debian) into build/ with ninja -j2.
set -euo pipefail
cd "$(dirname "$0")/.."
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
# relative paths in the ccache key, so builds of other clones on this machine (CI) hit the cache
export CCACHE_BASEDIR="$(pwd)"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release "${launcher[@]}" "$@" >/dev/null
cmake --build build -j2
