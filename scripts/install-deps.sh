#!/usr/bin/env bash
# Installs what Ablate's CPU build needs from Debian's packages (Debian 12), skipping what is there.
set -euo pipefail
# python3-scipy/-numpy: compare.py (libbenchmark-tools) imports them; chromium: the HTML report test;
# libpng-dev/libjpeg62-turbo-dev: --image; sentencepiece, FFmpeg: --tokenizer, --save-video (all
# optional on the GPU machine); pmccabe: the function-length check
pkgs=(cmake ninja-build g++ ccache libtorch-dev libgloo-dev libgtest-dev libbenchmark-dev libbenchmark-tools
      python3-scipy python3-numpy nlohmann-json3-dev libcli11-dev libssl-dev chromium pmccabe libpng-dev
      libjpeg62-turbo-dev pkg-config libsentencepiece-dev libavcodec-dev libavformat-dev libavutil-dev
      libswscale-dev)
missing=()
for p in "${pkgs[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}" >&2
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
