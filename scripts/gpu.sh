#!/usr/bin/env bash
# GPU machine (Ubuntu 24.04, CUDA 13, PyTorch 2.11): configure against PyTorch's LibTorch, build,
# test, and measure in one step. Usage: scripts/gpu.sh [build] [test] [measure ...]
# (e.g. SETS="base: ; fused: --set fused_elementwise=on" scripts/gpu.sh build test sets pack)
# Logs and JSON go to $OUT (or out/ when unset). Needs nothing carried: the machine has
# libssl-dev, CLI11, GoogleTest, Google Benchmark and nlohmann-json; NVTX3 comes with CUDA.
set -uo pipefail
cd "$(dirname "$0")/.."
export NCCL_NVLS_ENABLE=0 TORCH_SYMM_MEM_DISABLE_MULTICAST=1 NVSHMEM_DISABLE_NVLS=1
out=${OUT:-out}
mkdir -p "$out"
out=$(cd "$out" && pwd)
root=$(pwd)
build=build-gpu
gpu=$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1 | grep -o -E "H100|H200|A100|L40S" | tr 'A-Z' 'a-z')
gpu=${gpu:-gpu}
steps=("$@")

# the per-call cost of a range and of a timed phase (ablate_bench, 5 repetitions) as JSON in $1
instrumentation_bench() {
  $build/bench/ablate_bench --device=cuda --benchmark_filter=instrumentation --benchmark_repetitions=5 \
    --benchmark_report_aggregates_only=true --benchmark_out="$1" --benchmark_out_format=json 2>&1 | grep -E "^instrumentation"
}
[ ${#steps[@]} -eq 0 ] && steps=(build test)

for step in "${steps[@]}"; do
  case "$step" in
    build)
      prefix=$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')
      { nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv; nproc; } > "$out/machine.txt" 2>&1
      cmake -S . -B $build -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$prefix" \
        -DABLATE_NVTX_INCLUDE_DIR=/usr/local/cuda/include > "$out/configure.log" 2>&1 || { tail -40 "$out/configure.log"; exit 1; }
      # GPU_BUILD_TARGETS (e.g. ablate) builds only those: a measuring call needs no tests
      cmake --build $build -j"$(nproc)" ${GPU_BUILD_TARGETS:+--target $GPU_BUILD_TARGETS} -- -k 0 > "$out/build.log" 2>&1 || { grep -E "error|Error" -A5 "$out/build.log" | head -80; exit 1; }
      echo "build ok" ;;
    test)
      # the CUDA tests only: the CPU suite is CI's, and here it costs device time
      $build/tests/ablate_unit_tests --gtest_filter='*Cuda*:*CUDA*:FillUninitialized*' > "$out/ctest-cuda.log" 2>&1; rc=$?
      grep -E "^\[ *(OK|FAILED|SKIPPED|PASSED) *\]|tier B|^\[ clocks \]" "$out/ctest-cuda.log" | tail -40
      [ $rc -eq 0 ] || grep -E "Failure|FAILED" -B2 -A20 "$out/ctest-cuda.log" | head -80 ;;
    test-all)
      (cd $build && OMP_NUM_THREADS=4 ctest --output-on-failure -j4 > "$out/ctest.log" 2>&1); rc=$?
      tail -15 "$out/ctest.log"; [ $rc -eq 0 ] || grep -E "Failed|FAILED" -B2 -A20 "$out/ctest.log" | head -80 ;;
    gen-1.3b)
      $build/experiments/ablate generate --preset 1.3b --device cuda --runs 3 --json "$out/generate-1.3b-$gpu.json" 2>&1 | tee "$out/generate-1.3b-$gpu.log" ;;
    gen-14b)
      $build/experiments/ablate generate --preset 14b --device cuda --runs 2 --offload-text-encoder --json "$out/generate-14b-$gpu.json" 2>&1 | tee "$out/generate-14b-$gpu.log" ;;
    gen-1.3b-w2)
      $build/experiments/ablate launch --nproc 2 -- generate --preset 1.3b --device cuda --runs 3 \
        --json "$out/generate-1.3b-w2-$gpu.json" 2>&1 | tee "$out/generate-1.3b-w2-$gpu.log" ;;
    gen-14b-w2)
      $build/experiments/ablate launch --nproc 2 -- generate --preset 14b --device cuda --runs 2 \
        --json "$out/generate-14b-w2-$gpu.json" 2>&1 | tee "$out/generate-14b-w2-$gpu.log" ;;
    stack-1.3b)
      # the PR stack one stage at a time (cumulative), 1.3b on one GPU, each stage its own build
      stack=()
      for stage in base prewarm=full text_cache=on sync_elim=on sampler_host_tables=on kv_index_copy=on; do
        [ "$stage" != base ] && stack+=(--set "$stage")
        name=${stage%%=*}
        $build/experiments/ablate generate --preset 1.3b --device cuda --runs 3 "${stack[@]}" \
          --json "$out/stack-1.3b-$name-$gpu.json" 2>&1 | grep -E "^run|^md5|^host reads" | sed "s/^/[$name] /"
      done ;;
    batch-1.3b)
      # batched requests (issue 16): B = 1, 2, 4 at 1.3b on one GPU, same build, same call; request k
      # of a batch has seed 42 + k: compare its MD5 with the unbatched runs of seeds 43..45
      for seed in 43 44 45; do
        $build/experiments/ablate generate --preset 1.3b --device cuda --runs 1 --seed $seed \
          --json "$out/batch-1.3b-single-seed$seed-$gpu.json" 2>&1 | grep -E "^md5" | sed "s/^/[alone seed $seed] /"
      done
      for B in 1 2 4; do
        $build/experiments/ablate generate --preset 1.3b --device cuda --runs 3 --batch $B ${BATCH_FLAGS:-} \
          --json "$out/batch-1.3b-B$B-$gpu.json" 2>&1 | grep -E "^run|request|batch|^md5|error" | sed "s/^/[B$B] /"
      done ;;
    stability-1.3b)
      # bit-stability (issue 15): 3 processes x 3 generate() at 1.3b must give one MD5
      for proc in 1 2 3; do
        $build/experiments/ablate generate --preset 1.3b --device cuda --runs 3 ${STABILITY_FLAGS:-} \
          --json "$out/stability-1.3b-p$proc-$gpu.json" 2>&1 | grep -E "^md5|^run" | sed "s/^/[proc $proc] /"
      done
      echo "[stability] distinct video MD5s: $(grep -h -o "\"md5\": *\"[0-9a-f]*\"" "$out"/stability-1.3b-p*-$gpu.json | sort -u | wc -l)" ;;
    export-1.3b)
      # export -> load round trip (issue 19): the loaded checkpoint's MD5 equals the seeded bf16 run's
      $build/experiments/ablate export-checkpoint --preset 1.3b --out /tmp/ckpt-1.3b 2>&1 | tail -1
      du -sh /tmp/ckpt-1.3b
      for src in seeded loaded; do
        ck=(); [ $src = loaded ] && ck=(--checkpoint-dir /tmp/ckpt-1.3b)
        /usr/bin/time -f "[$src] max RSS %M KB" $build/experiments/ablate generate --preset 1.3b --device cuda --dtype bf16 --runs 1 "${ck[@]}" \
          --json "$out/export-1.3b-$src-$gpu.json" 2>&1 | grep -E "^md5|^run|max RSS|error" | sed "s/^/[$src] /"
      done ;;
    load-14b)
      # issue 19: each rank reads only its own slices of the 14b checkpoint; per-rank peak host RSS
      # while loading against the largest file (bound: peak <= RSS before loading + 1.2 x largest);
      # LOAD_WORLDS="1" on one GPU. The export runs on the CPU and writes ~40 GB (reused when done).
      ck=/tmp/ckpt-14b
      [ -f $ck.done ] || { rm -rf $ck; /usr/bin/time -f "[export] %e s, max RSS %M KB" \
        $build/experiments/ablate export-checkpoint --preset 14b --out $ck 2>&1 | tail -2 && touch $ck.done; }
      find $ck -type f -printf "%s %p\n" | sort -n | tail -1 | awk '{printf "[files] largest %.2f GiB %s\n", $1/2^30, $2}'
      for w in ${LOAD_WORLDS:-2 1}; do
        run=(generate); [ $w -gt 1 ] && run=(launch --nproc $w -- generate)
        $build/experiments/ablate "${run[@]}" --preset 14b --device cuda --frames 17 --runs 1 --checkpoint-dir $ck \
          --json "$out/load-14b-w$w-$gpu.json" > "$out/load-14b-w$w-$gpu.log" 2>&1
        grep -E "loaded checkpoint|md5:|peak memory|rror" "$out/load-14b-w$w-$gpu.log" | sed "s/^/[w$w] /"
      done ;;
    kernels-14b)
      # issue 16: the 14b DiT's kernels against the reference's, chunk 2 (5 forwards) on both sides,
      # the same checkpoint (load-14b's export, made here if absent), image and size (480*832);
      # needs the reference checkout carried in .reference/lingbot-world
      # KERNELS_REFERENCE_TRACE: a reference trace of an earlier call (.json or .json.gz) instead of a
      # reference run; Ablate then profiles its seeded weights (the kernels do not depend on values);
      # KERNELS_SETS: strategies for Ablate's side (--set ...)
      ck=/tmp/ckpt-14b; k=$out/kernels-14b; mkdir -p $k
      img=.reference/lingbot-world/examples/03/image.jpg; ckflag=()
      if [ -n "${KERNELS_REFERENCE_TRACE:-}" ]; then
        case "$KERNELS_REFERENCE_TRACE" in *.gz) gunzip -c "$KERNELS_REFERENCE_TRACE" > $k/trace-reference.json ;; *) cp "$KERNELS_REFERENCE_TRACE" $k/trace-reference.json ;; esac
      else
        [ -f $ck.done ] || { rm -rf $ck; $build/experiments/ablate export-checkpoint --preset 14b --out $ck 2>&1 | tail -1 && touch $ck.done; }
        python3 tools/reference_check/kernel_profile.py --checkpoint $ck --trace $k/trace-reference.json --size 480*832 \
          --chunk 2 > $k/reference.log 2>&1; echo "[kernels] reference exit $?"; tail -2 $k/reference.log
        ckflag=(--checkpoint-dir $ck)
      fi
      $build/experiments/ablate profile --preset 14b --device cuda "${ckflag[@]}" --image $img --size 480*832 ${KERNELS_SETS:-} \
        --chunks 2 --trace $k/trace-ablate.json > $k/ablate.log 2>&1; echo "[kernels] ablate exit $?"; grep -E "geometry|captured" $k/ablate.log
      tokens=$(grep -o -E "\(([0-9]+) tokens\)" $k/ablate.log | head -1 | tr -dc 0-9)
      python3 scripts/kernel_compare.py $k/trace-reference.json $k/trace-ablate.json --top 20 \
        --dit-shape 5120,13824,40,$tokens,$((3 * tokens)) | tee $k/compare.md
      for side in reference ablate; do python3 scripts/trace_top_kernels.py $k/trace-$side.json --top 30 --markdown > $k/top-$side.md; done
      gzip -f $k/trace-*.json ;;
    fidelity-1.3b)
      # issue 20's bf16 comparison alone (1.3b, 480*832, 81 frames) against the reference checkout
      # carried in .reference/lingbot-world; tables under $out/fidelity/1.3b-bf16
      OUT=$out tools/reference_check/run_gpu.sh bf16 2>&1 | grep -E "PSNR|max|psnr|exit|Error|error" | tail -25 ;;
    instrumentation-bench)
      # the per-call cost of a range and of a timed phase on this GPU machine (issue 16 item 5's bound)
      instrumentation_bench "$out/instrumentation-bench-$gpu.json" ;;
    exact-1.3b)
      # the exact bar's two ends at 1.3b in one call: the baseline and the best exact stack (EXACT_SETS)
      for name in base stack; do
        sets=""; [ $name = stack ] && sets=${EXACT_SETS:-"--set prewarm=full --set text_cache=on --set sync_elim=on --set cuda_graph=on --set kv_index_copy=on --set sampler_host_tables=on --set text_embed_once=on --set time_embed_cache=on --set image_cache=on --set vae_stream=on"}
        $build/experiments/ablate generate --preset 1.3b --device cuda --runs ${EXACT_RUNS:-4} $sets \
          --json "$out/exact-1.3b-$name-$gpu.json" 2>&1 | grep -E "^run|^md5|^peak|error" | sed "s/^/[$name] /"
      done ;;
    sets)
      # one `ablate generate` process per entry of SETS ("name: --set a=b ...; name2: ..."), preset
      # SETS_PRESET (1.3b or 14b), SETS_RUNS warm runs each (3), one after the other on this GPU
      preset=${SETS_PRESET:-1.3b}; extra=(); [ "$preset" = 14b ] && extra=(--offload-text-encoder)
      IFS=';' read -ra entries <<< "${SETS:?SETS names the combinations}"
      for e in "${entries[@]}"; do
        name=$(echo "${e%%:*}" | xargs); flags=${e#*:}
        # shellcheck disable=SC2086  # flags are words
        $build/experiments/ablate generate --preset "$preset" --device cuda --runs "${SETS_RUNS:-3}" "${extra[@]}" $flags \
          --json "$out/sets-$preset-$name-$gpu.json" 2>&1 | grep -E "^run|^md5|^peak|^strategy|error|Error" | sed "s/^/[$preset $name] /"
      done ;;
    graph-14b)
      # 14b on one GPU: the baseline and the exact stack with cuda_graph (issue 16), same build, same
      # call; GRAPH_SETS replaces the stack
      for name in base graph; do
        sets=""; [ $name = graph ] && sets=${GRAPH_SETS:-"--set prewarm=full --set text_cache=on --set sync_elim=on --set text_embed_once=on --set cuda_graph=on"}
        $build/experiments/ablate generate --preset 14b --device cuda --runs ${GRAPH_RUNS:-3} --offload-text-encoder $sets \
          --json "$out/graph-14b-$name-$gpu.json" 2>&1 | grep -E "^run|^md5|^peak|error" | sed "s/^/[$name] /"
      done ;;
    graph-w2)
      # issue 16 item 1 on two GPUs: cuda_graph at world 2 with each parameter shard strategy that
      # keeps whole weights on a rank between forwards (GRAPH_W2_SHARDS: grad_op none), each against
      # the same shard's baseline in the same call; GRAPH_W2_PRESETS (1.3b 14b), GRAPH_W2_SETS (the stack)
      for preset in ${GRAPH_W2_PRESETS:-1.3b 14b}; do
        for shard in ${GRAPH_W2_SHARDS:-grad_op none}; do
          for name in base graph; do
            sets="--set shard=$shard"
            [ $name = graph ] && sets="$sets ${GRAPH_W2_SETS:-"--set prewarm=full --set text_cache=on --set sync_elim=on --set text_embed_once=on --set cuda_graph=on"}"
            # shellcheck disable=SC2086  # sets are words
            $build/experiments/ablate launch --nproc 2 -- generate --preset "$preset" --device cuda --runs ${GRAPH_RUNS:-3} $sets \
              --json "$out/graph-w2-$preset-$shard-$name-$gpu.json" 2>&1 | grep -E "run [0-9]|md5:|peak memory|rror" | sed "s/^/[$preset $shard $name] /"
          done
        done
      done ;;
    embed-14b)
      # 14b on one GPU: baseline vs the two embedding strategies (same build, same machine)
      for sets in "" "--set text_embed_once=on --set timestep_embed_once=on"; do
        name=base; [ -n "$sets" ] && name=embed_once
        $build/experiments/ablate generate --preset 14b --device cuda --runs 3 --offload-text-encoder $sets \
          --json "$out/embed-14b-$name-$gpu.json" 2>&1 | grep -E "^run|^md5|^peak" | sed "s/^/[$name] /"
      done ;;
    matrix:*|matrix[2-8]:*)
      # an ablation matrix from experiments/matrices/<name>.json (matrixN: N ranks); a ledger
      # carried in reports/ledgers/<name>-<gpu>.jsonl is resumed, so a matrix may span calls
      name=${step#*:}
      dir="$out/$name-$gpu"
      mkdir -p "$dir"
      [ -f "reports/ledgers/$name-$gpu.jsonl" ] && cp "reports/ledgers/$name-$gpu.jsonl" "$dir/ledger.jsonl"
      # the ledgers of an earlier call on this (warm) machine, or carried in runs/: the joined one
      # and, for --devices, each device's (runs/ is git-ignored)
      [ -d "runs/$name-$gpu" ] && (cd "runs/$name-$gpu" && find . -name ledger.jsonl -exec cp --parents {} "$dir/" \;)
      ranks=${step%%:*}; ranks=${ranks#matrix}
      launch=(); [ -n "$ranks" ] && launch=(launch --nproc "$ranks" --)
      $build/experiments/ablate "${launch[@]}" run --matrix "experiments/matrices/$name.json" --out "$dir" --resume ${MATRIX_FLAGS:-} \
        > "$dir/run.log" 2>&1; echo "[$name] exit $?"
      mkdir -p "runs/$name-$gpu" && (cd "$dir" && find . -name ledger.jsonl -exec cp --parents {} "$root/runs/$name-$gpu/" \;)
      grep -E "^\[|engine|skip|error" "$dir/run.log" | tail -4; sed -n '/^| combination/,/^$/p' "$dir/report.md" | head -40 ;;
    stall-w2)
      # one rank stalled inside a collective on two GPUs (issue 14): the watchdog must end the run
      # within the timeout, naming the collective and the rank(s) that did not arrive
      t0=$(date +%s)
      timeout 300 $build/experiments/ablate launch --nproc 2 -- generate --preset 1.3b --device cuda --collective-timeout 30 \
        --debug-stall-rank 1 --debug-stall-at 200 > "$out/stall-1.3b-w2.log" 2>&1; rc=$?
      echo "[stall] exit $rc after $(( $(date +%s) - t0 )) s (timeout 30 s, stall of 60 s from collective #200)"
      grep -E "stalls|watchdog|did not arrive|failed|ending|Watchdog|timed out|Timeout" "$out/stall-1.3b-w2.log" | cut -c1-400 | head -12 ;;
    aa:*)
      # A/A: the baseline of a spec measured twice, interleaved (the machine's noise floor)
      name=${step#*:}; dir="$out/aa-$name-$gpu"
      $build/experiments/ablate run --matrix "experiments/matrices/$name.json" --mode aa --repetitions ${AA_REPS:-9} \
        --no-sync-audit --out "$dir" > "$dir.log" 2>&1
      echo "[aa $name] exit $?"; tail -6 "$dir.log" ;;
    search:*)
      # ablate search from a spec's workload within a budget (SEARCH_FLAGS, e.g. --time-budget-s 400);
      # a ledger carried in reports/ledgers/search-<name>-<gpu>.jsonl is resumed, so a search may
      # span calls; the journal entry of this call's (whole) search goes to $out
      name=${step#*:}; dir="$out/search-$name-$gpu"
      mkdir -p "$dir"
      resume=(); [ -f "reports/ledgers/search-$name-$gpu.jsonl" ] && { cp "reports/ledgers/search-$name-$gpu.jsonl" "$dir/ledger.jsonl"; resume=(--resume); }
      cands=(); for c in ${SEARCH_CANDIDATES:-sync_elim=on text_embed_once=on vae_stream=on kv_index_copy=on}; do cands+=(--candidate "$c"); done
      printf '# journal\n\n## Journal\n' > "$out/journal-$gpu.md"
      $build/experiments/ablate search --matrix "experiments/matrices/$name.json" --max-evaluations ${SEARCH_EVALS:-0} \
        "${cands[@]}" "${resume[@]}" ${SEARCH_FLAGS:-} --out "$dir" --journal "$out/journal-$gpu.md" > "$dir.log" 2>&1
      echo "[search $name] exit $?"; tail -24 "$dir.log" ;;
    overhead-1.3b)
      # issue 16 item 5: what the harness's own instrumentation costs at 1.3b, interleaved. Four arms,
      # each one process (generate --runs R; the first run is cold and dropped): NVTX compiled in
      # (this build) or out ($build-nonvtx), phase timers on or off (--no-phase-timers). Every GPU
      # runs its own rounds at once (the device is a block); a round runs the four arms in a seeded
      # random order (OVERHEAD_SEED, so that calls differ). OVERHEAD_ROUNDS (3) and OVERHEAD_RUNS (8)
      # set the size: E42 found the spread within a process, not between processes, so a process
      # runs 7 warm runs after its ~14 s of start, build and cold run. A round starts only when the
      # last one's length still fits before OVERHEAD_END (epoch seconds; default now + 420), so that the call ends with its results: set it at the top
      # of the device command to count the build too. Then, where ablate_bench was built, the per-call
      # cost of a range and of a timed phase, which bounds the instrumentation's host cost.
      # OVERHEAD_FLAGS go to every arm: `--no-gpu-clocks` compares with E42/E47, which ran before
      # generate() sampled NVML; left empty, every arm samples the clocks as shipped.
      prefix=$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')
      cmake -S . -B $build-nonvtx -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$prefix" -DABLATE_ENABLE_NVTX=OFF \
        -DABLATE_BUILD_TESTS=OFF -DABLATE_BUILD_BENCHMARKS=OFF > "$out/configure-nonvtx.log" 2>&1
      cmake --build $build-nonvtx -j"$(nproc)" --target ablate > "$out/build-nonvtx.log" 2>&1 || { tail -20 "$out/build-nonvtx.log"; exit 1; }
      mkdir -p "$out/overhead"
      end=${OVERHEAD_END:-$(( $(date +%s) + 420 ))}
      echo "[overhead] builds ready; $(( end - $(date +%s) )) s left for rounds"
      for g in $(seq 0 $(( $(nvidia-smi -L | wc -l) - 1 ))); do
        (last=0
        for r in $(seq 1 "${OVERHEAD_ROUNDS:-3}"); do
          t0=$(date +%s)
          [ $(( t0 + last )) -le "$end" ] || { echo "[overhead] gpu $g: round $r would end after the deadline (last round ${last} s)"; break; }
          for arm in $(printf '%s\n' nvtx-timers nvtx-notimers nonvtx-timers nonvtx-notimers | shuf --random-source=<(yes "${OVERHEAD_SEED:-0}.$g.$r")); do
            b=$build; [ "${arm%%-*}" = nonvtx ] && b=$build-nonvtx
            timers=(); [ "${arm#*-}" = notimers ] && timers=(--no-phase-timers)
            # shellcheck disable=SC2086  # OVERHEAD_FLAGS are words
            CUDA_VISIBLE_DEVICES=$g $b/experiments/ablate generate --preset 1.3b --device cuda --runs "${OVERHEAD_RUNS:-8}" \
              "${timers[@]}" ${OVERHEAD_FLAGS:-} --json "$out/overhead/$arm-g$g-r$r.json" > "$out/overhead/$arm-g$g-r$r.out" 2>&1 ||
              { echo "[overhead] $arm gpu $g round $r exited $? (1: a run's video differed):"
                grep -E "differs from run|WARNING|error" "$out/overhead/$arm-g$g-r$r.out" | tail -3; }
          done
          last=$(( $(date +%s) - t0 ))
          echo "[overhead] gpu $g round $r done in ${last} s"
        done) &
      done
      wait
      bench=()
      if [ -x $build/bench/ablate_bench ]; then
        instrumentation_bench "$out/overhead/instrumentation-bench.json" | tee "$out/overhead/instrumentation-bench.txt"
        bench=(--bench "$out/overhead/instrumentation-bench.json")
      fi
      python3 scripts/overhead_table.py "$out/overhead" "${bench[@]}" | tee "$out/overhead/table.md" ;;
    spread-1.3b)
      # the warm runs' spread at 1.3b under several process settings, to pick the quietest before an
      # interleaved measurement (E42: sd 1.4 %, almost all in the DiT's chunks). SPREAD_VARIANTS is
      # "name: prefix ; ..." (the prefix runs the process, e.g. taskset); SPREAD_RUNS (7) runs each,
      # the first cold; SPREAD_ROUNDS (1) rounds in a seeded order. nvidia-smi samples the SM clock,
      # power and throttle reasons every 200 ms meanwhile.
      mkdir -p "$out/spread"
      nvidia-smi --query-gpu=timestamp,clocks.sm,clocks.mem,power.draw,temperature.gpu,clocks_event_reasons.active \
        --format=csv,noheader -lms 200 > "$out/spread/clocks.csv" 2>&1 & sampler=$!
      IFS=';' read -r -a variants <<< "${SPREAD_VARIANTS:-plain: ; omp1: env OMP_NUM_THREADS=1 ; pinned: taskset -c 2-3 env OMP_NUM_THREADS=1}"
      for r in $(seq 1 "${SPREAD_ROUNDS:-1}"); do
        for v in $(printf '%s\n' "${!variants[@]}" | shuf --random-source=<(yes "${SPREAD_SEED:-0}.$r")); do
          name=$(echo "${variants[$v]%%:*}" | xargs); prefix=${variants[$v]#*:}
          echo "[spread] round $r: $name (${prefix:-no prefix})"
          date +%s.%N > "$out/spread/$name-r$r.start"
          $prefix $build/experiments/ablate generate --preset 1.3b --device cuda --runs "${SPREAD_RUNS:-7}" \
            --json "$out/spread/$name-r$r.json" > "$out/spread/$name-r$r.out" 2>&1 || echo "[spread] $name exited $?"
        done
      done
      kill $sampler
      python3 - "$out/spread" <<'PY' | tee "$out/spread/summary.txt"
import collections, glob, json, statistics as st, sys
rows = collections.defaultdict(lambda: collections.defaultdict(list))
pairs = []  # (a warm run's mean SM clock, its generate() ms)
for path in sorted(glob.glob(sys.argv[1] + "/*.json")):
    name = path.rsplit("/", 1)[1].rsplit("-r", 1)[0]
    for run in json.load(open(path))["runs"]:
        if run["kind"] != "warm":
            continue
        p = run["phases"]
        rows[name]["generate"].append(run["generate_ms"])
        rows[name]["dit"].append(sum(v for k, v in p.items() if k.startswith("chunk")))
        rows[name]["vae_encode"].append(p["vae_encode"])
        rows[name]["vae_decode"].append(p["vae_decode"])
        if "gpu_clocks" in run:  # the run's own NVML window (profiling/gpu_clocks.h)
            pairs.append((run["gpu_clocks"]["sm_mhz"]["mean"], run["generate_ms"]))
print("| variant | warm runs | generate() mean ms | sd ms | sd % | DiT sd ms | VAE encode sd ms | VAE decode sd ms |")
print("|---|---:|---:|---:|---:|---:|---:|---:|")
for name, r in sorted(rows.items()):
    g = r["generate"]; sd = st.stdev(g) if len(g) > 1 else float("nan")
    sds = [st.stdev(r[k]) if len(r[k]) > 1 else float("nan") for k in ("dit", "vae_encode", "vae_decode")]
    print(f"| {name} | {len(g)} | {st.mean(g):.1f} | {sd:.1f} | {100 * sd / st.mean(g):.2f} | " + " | ".join(f"{x:.1f}" for x in sds) + " |")
if len(pairs) > 2 and len({c for c, _ in pairs}) > 1 and len({g for _, g in pairs}) > 1:
    r = st.correlation([c for c, _ in pairs], [g for _, g in pairs])
    print(f"warm runs' mean SM clock {min(c for c, _ in pairs):.0f}-{max(c for c, _ in pairs):.0f} MHz; "
          f"its correlation with generate(): r = {r:+.2f} over {len(pairs)} runs")
clocks = [l.split(", ") for l in open(sys.argv[1] + "/clocks.csv") if l.count(",") >= 5]
sm = [int(c[1].split()[0]) for c in clocks if c[1].split()[0].isdigit()]
if sm:
    print(f"SM clock over {len(sm)} samples: {min(sm)}-{max(sm)} MHz, median {st.median(sm)}; "
          f"event reasons seen: {sorted(collections.Counter(c[5].strip() for c in clocks).items())}")
PY
      ;;
    cold-stability-1.3b)
      # E43: one cold run of 32 once gave another video at 1.3b. COLD_PROCESSES (20) processes of
      # `generate --runs 2` (cold + warm, COLD_FLAGS added), each run with its stage MD5s; a run that
      # differs from its process's first names the first stage where they part ("diverged").
      # A process starts only when the last one's length still fits before COLD_END (epoch seconds;
      # default now + 420). COLD_RUNS (2) runs per process.
      mkdir -p "$out/cold-stability"
      end=${COLD_END:-$(( $(date +%s) + 420 ))}; last=0
      for proc in $(seq 1 "${COLD_PROCESSES:-20}"); do
        t0=$(date +%s)
        [ $(( t0 + last )) -le "$end" ] || { echo "[cold-stability] stopped before process $proc: the deadline"; break; }
        $build/experiments/ablate generate --preset 1.3b --device cuda --runs "${COLD_RUNS:-2}" ${COLD_FLAGS:-} \
          --json "$out/cold-stability/p$proc.json" 2>&1 | grep -E "^md5|differs from run" | sed "s/^/[proc $proc] /"
        last=$(( $(date +%s) - t0 ))
      done
      python3 - "$out/cold-stability" <<'PY' | tee "$out/cold-stability/summary.txt"
import collections, glob, json, sys
md5s = collections.Counter()
for path in sorted(glob.glob(sys.argv[1] + "/p*.json")):
    for i, run in enumerate(json.load(open(path))["runs"]):
        md5s[(run["kind"], run["md5"])] += 1
        if "diverged" in run:
            print(f"{path}: run {i + 1} parts from run {run['diverged']['from_run']} at {run['diverged']['first_stage']}")
for (kind, md5), n in sorted(md5s.items()):
    print(f"[cold-stability] {kind} runs with md5 {md5}: {n}")
PY
      ;;
    fill-1.3b)
      # E43: does any kernel read memory that no kernel wrote? 1.3b in LibTorch's deterministic mode
      # (warn-only), then the same with every uninitialized tensor filled with NaN; each process
      # a cold and a warm run. Same videos: no such read (of at::empty's memory). FILL_FLAGS: strategies
      # (--set ...) for both arms; FILL_PRESET: 1.3b (default) or 14b (the text encoder offloaded).
      mkdir -p "$out/fill"
      for arm in deterministic-algorithms fill-uninitialized; do
        CUBLAS_WORKSPACE_CONFIG=:4096:8 $build/experiments/ablate generate --preset ${FILL_PRESET:-1.3b} --device cuda --runs 2 --$arm ${FILL_FLAGS:-} \
          $([ "${FILL_PRESET:-}" = 14b ] && echo --offload-text-encoder) \
          --json "$out/fill/$arm.json" > "$out/fill/$arm.out" 2>&1; echo "[fill] $arm exit $?"
        grep -E "^md5|^run|differs|rror" "$out/fill/$arm.out" | sed "s/^/[$arm] /"
      done
      python3 - "$out/fill" <<'PY' | tee "$out/fill/summary.txt"
import json, sys
runs = {arm: json.load(open(f"{sys.argv[1]}/{arm}.json"))["runs"] for arm in ("deterministic-algorithms", "fill-uninitialized")}
a, b = runs["deterministic-algorithms"], runs["fill-uninitialized"]
for i, (ra, rb) in enumerate(zip(a, b)):
    parted = [k for k in ra.get("stage_md5", {}) if ra["stage_md5"][k] != rb.get("stage_md5", {}).get(k)]
    steps = [j for j, (x, y) in enumerate(zip(ra["hash_chain"], rb["hash_chain"])) if x != y]
    print(f"[fill] run {i + 1} ({ra['kind']}): md5 {ra['md5'][:8]} vs {rb['md5'][:8]};"
          f" stages that differ: {parted or 'none'}; first differing step: {steps[0] + 1 if steps else 'none'}")
PY
      ;;
    ncu-demo)
      # Nsight Compute filtered by an NVTX range: only the kernels inside ablate's ffn ranges, inside
      # the profiled window (chunk 1 of a tiny run)
      ncu --profile-from-start off --nvtx --nvtx-include "ablate@ffn/" --launch-count 6 \
        $build/experiments/ablate profile --preset tiny --device cuda --frames 21 --chunks 1-1 > "$out/ncu-demo.log" 2>&1
      echo "[ncu] exit $?"; grep -E "==PROF==|Section|ffn|gemm|Kernel|kernel|ERROR" "$out/ncu-demo.log" | head -30 ;;
    pack)
      # logs and reports are committed: no machine paths in them; then $OUT takes few files, so
      # everything but the logs of this call goes into one archive
      find "$out" -type f \( -name '*.log' -o -name '*.md' -o -name '*.jsonl' \) -exec sed -i "s|$(pwd)/||g; s|$out/|\$OUT/|g" {} +
      # (a ledger's locked baseline video, ~94 MB at 1.3b, stays: files come back at 16 MiB at most;
      # a resumed run locks it again)
      (cd "$out" && tar czf /tmp/results.tgz --exclude='*.log' --exclude=machine.txt --exclude='*-baseline.json' \
        --exclude='*-baseline-*.u8' --exclude='*-baseline-*.f32' . && \
        find . -mindepth 1 -maxdepth 1 ! -name '*.log' ! -name machine.txt -exec rm -rf {} + && mv /tmp/results.tgz .) ;;
    *) echo "gpu.sh: unknown step '$step'; valid steps: build test test-all sets gen-1.3b gen-14b gen-1.3b-w2 gen-14b-w2 stack-1.3b stability-1.3b export-1.3b fidelity-1.3b exact-1.3b instrumentation-bench graph-14b graph-w2 kernels-14b embed-14b stall-w2 load-14b batch-1.3b matrix:NAME matrixN:NAME aa:NAME overhead-1.3b spread-1.3b cold-stability-1.3b fill-1.3b ncu-demo pack"; exit 2 ;;
  esac
done
