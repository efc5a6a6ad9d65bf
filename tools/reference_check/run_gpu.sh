#!/usr/bin/env bash
# Issue 20's reference checks on the GPU machine (PyTorch 2.11 + CUDA; the Ablate GPU build; the
# reference checkout carried beside the tree). From the repository root:
#   OUT=/some/folder tools/reference_check/run_gpu.sh            # one H200: both acceptance comparisons
#   OUT=/some/folder tools/reference_check/run_gpu.sh fsdp       # two H200s: the reference's FSDP counts
#   OUT=/some/folder tools/reference_check/run_gpu.sh bf16       # one H200: comparison (b) alone
# acceptance:
#   (a) tiny preset, forced fp32, SDPA math backend on both sides, 480*832, 81 frames:
#       max |x0 diff| <= 1e-3 at every step;
#   (b) 1.3b, bf16 (the reference's dtypes), SDPA's default backend on both sides, 480*832, 81 frames:
#       video PSNR >= 35 dB.
# fsdp: torchrun --nproc-per-node 2 fsdp_count.py on the tiny export of (a) (run (a) first, or it
#   is made here).
# Environment: ABLATE (default build-gpu/experiments/ablate), REFERENCE (.reference/lingbot-world),
# WORK (checkpoints and arrays, default /tmp/refcheck; the 1.3b export there is reused by a rerun),
# PYTHON (python3); DEVICE, SIZE and FRAMES (cuda, 480*832, 81) only for a smoke test elsewhere, with
# mode `tiny` (comparison (a) alone). Only tables, JSON and logs go to $OUT/fidelity/<name>/.
set -uo pipefail
cd "$(dirname "$0")/../.."
mode=${1:-acceptance}
ABLATE=${ABLATE:-build-gpu/experiments/ablate}
REFERENCE=${REFERENCE:-.reference/lingbot-world}
WORK=${WORK:-/tmp/refcheck}
PY=${PYTHON:-python3}
DEVICE=${DEVICE:-cuda}
SIZE=${SIZE:-480*832}
FRAMES=${FRAMES:-81}
: "${OUT:?set OUT to the folder that receives the tables}"
tool=tools/reference_check/reference_check.py
mkdir -p "$WORK" "$OUT/fidelity"
status=0

keep() {  # the small outputs of one comparison into $OUT
  local name=$1
  mkdir -p "$OUT/fidelity/$name"
  for f in table.md results.json reference.json ablate.json commands.log run.log fsdp_counts.md fsdp_counts.json; do
    [ -f "$WORK/$name/$f" ] && cp "$WORK/$name/$f" "$OUT/fidelity/$name/"
  done
}

compare() {  # name, then reference_check.py options
  local name=$1
  shift
  mkdir -p "$WORK/$name"
  echo "=== $name"
  "$PY" "$tool" all --reference "$REFERENCE" --ablate "$ABLATE" --device "$DEVICE" --size "$SIZE" --frames "$FRAMES" \
    --seed 42 --out "$WORK/$name" "$@" 2>&1 | tee "$WORK/$name/run.log" | grep -v '^+ \|^  0%\|it/s\]' | tail -60
  [ "${PIPESTATUS[0]}" = 0 ] || status=1
  keep "$name"
}

{
  echo "date: $(date -u +%FT%TZ)"
  "$ABLATE" --version
  "$PY" -c 'import torch; print("python torch", torch.__version__, "cuda", torch.version.cuda)'
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
  git rev-parse HEAD 2>/dev/null || true
} > "$OUT/fidelity/machine.txt" 2>&1

compare_tiny() {  # (a)
  compare tiny-fp32-math --preset tiny --dtype fp32 --attention math --x0-max-abs 1e-3
}

compare_bf16() {  # (b)
  compare 1.3b-bf16 --preset 1.3b --dtype bf16 --attention default --min-video-psnr 35 --checkpoint "$WORK/ckpt-1.3b"
}

case "$mode" in
  tiny) compare_tiny ;;
  acceptance) compare_tiny; compare_bf16 ;;
  bf16) compare_bf16 ;;
  fsdp)
    if [ ! -d "$WORK/tiny-fp32-math/inputs" ] || [ ! -d "$WORK/tiny-fp32-math/checkpoint" ]; then
      "$PY" "$tool" export --preset tiny --ablate "$ABLATE" --out "$WORK/tiny-fp32-math" || status=1
      "$PY" "$tool" reference --preset tiny --reference "$REFERENCE" --device cuda --size '64*64' --frames 9 \
        --out "$WORK/tiny-fp32-math" || status=1
    fi
    mkdir -p "$WORK/fsdp-tiny"
    torchrun --nproc-per-node 2 tools/reference_check/fsdp_count.py --reference "$REFERENCE" \
      --checkpoint "$WORK/tiny-fp32-math/checkpoint" --inputs "$WORK/tiny-fp32-math/inputs" \
      --out "$WORK/fsdp-tiny" 2>&1 | tee "$WORK/fsdp-tiny/run.log" | tail -40
    [ "${PIPESTATUS[0]}" = 0 ] || status=1
    keep fsdp-tiny
    ;;
  *)
    echo "usage: OUT=DIR $0 [acceptance|tiny|bf16|fsdp]" >&2
    exit 2
    ;;
esac
echo "run_gpu.sh $mode: exit $status; tables in $OUT/fidelity"
exit $status
