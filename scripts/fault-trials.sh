#!/usr/bin/env bash
# Killed-rank trials (issue 14, item 7): a world-2 `ablate run` on the CPU (Gloo), one rank
# SIGKILLed at a seeded random time, then `--resume`. Per trial it records the kill time, how long
# the survivor took to exit, the records the ledger kept (all complete lines, none lost), whether
# the resume warned about a torn line, and whether the resumed ledger has the MD5s of an
# uninterrupted run. Odd trials run under `ablate launch` (the launcher ends the survivor); even
# trials start the two ranks by hand, so the survivor must find the failure through its own
# collectives (--collective-timeout: the workload's collective_timeout_s).
#
# --disk: instead, full-disk trials: the same run under `ulimit -f` limits of 2, 4, ... 12 KiB
# (a record is ~3.4 KB), each followed by --resume without the limit: the run must end with one
# line naming the file it could not write (the ledger, or a report once the ledger is whole), exit 1, the ledger ending right after its last complete record, and the
# resume must reach the uninterrupted MD5s.
#
#   scripts/fault-trials.sh [--trials 20] [--seed 1] [--timeout 10] [--out DIR] [--ablate PATH] [--disk]
# Prints one Markdown table row per trial and a summary; exit 1 when any trial failed a check.
set -uo pipefail
cd "$(dirname "$0")/.."

trials=20
seed=1
timeout_s=10
out=/tmp/ablate-fault-trials
ablate="$(pwd)/build/experiments/ablate"
disk=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --trials) trials="$2"; shift 2 ;;
    --seed) seed="$2"; shift 2 ;;
    --timeout) timeout_s="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --ablate) ablate="$2"; shift 2 ;;
    --disk) disk=1; shift ;;
    *) echo "fault-trials.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[[ -x "$ablate" ]] || { echo "fault-trials.sh: $ablate is not an executable (build it first)" >&2; exit 2; }
rm -rf "$out" && mkdir -p "$out"
RANDOM=$seed

spec="$out/matrix.json"
cat >"$spec" <<EOF
{"name": "faults", "workload": {"preset": "tiny", "size": "32*32", "frames": 9, "collective_timeout_s": $timeout_s},
 "mode": "list", "combinations": [{}, {"sync_elim": "on"}, {"kv_index_copy": "on"}, {"text_cache": "on"}],
 "warmup": 0, "repetitions": 1}
EOF
run_args=(run --matrix "$spec" --max-group-size 1)  # one combination per engine group: records land one by one
combos=4

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
# "combination md5" per complete record, sorted
md5_table() { jq -r '"\(.combination) \(.md5)"' "$1" 2>/dev/null | sort; }
complete_records() { [[ -s "$1" ]] || { echo 0; return; }; jq -c . "$1" 2>/dev/null | wc -l; }
ends_with_newline() { [[ ! -s "$1" ]] || [[ "$(tail -c1 "$1" | od -An -c | tr -d ' ')" == '\n' ]]; }

# the reference: one uninterrupted run
t0=$(now)
"$ablate" launch --nproc 2 -- "${run_args[@]}" --out "$out/reference" >"$out/reference.log" 2>&1 ||
  { echo "fault-trials.sh: the reference run failed (see $out/reference.log)" >&2; exit 1; }
ref_s=$(elapsed "$t0" "$(now)")
md5_table "$out/reference/ledger.jsonl" >"$out/reference.md5"
[[ $(wc -l <"$out/reference.md5") -eq $combos ]] || { echo "fault-trials.sh: reference ledger incomplete" >&2; exit 1; }

if ((disk)); then
  echo "reference run: ${ref_s} s, $combos combinations"
  echo
  echo "| limit (KiB) | rc | error line | records kept | ledger bytes = complete lines | resume | MD5s |"
  echo "|---:|---:|---|---:|---|---|---|"
  failed=0
  for kib in 2 4 6 8 10 12; do
    dir="$out/disk-$kib"
    mkdir -p "$dir"
    (ulimit -f "$kib"; exec "$ablate" launch --nproc 2 -- "${run_args[@]}" --out "$dir/out") >"$dir/run.log" 2>&1
    rc=$?
    ledger="$dir/out/ledger.jsonl"
    line=$(grep -o "ablate: failed: .*" "$dir/run.log" | head -1)
    kept=$(complete_records "$ledger")
    exact=no
    [[ -f "$ledger" ]] && [[ $(awk '{ n += length($0) + 1 } END { print n + 0 }' "$ledger") -eq $(wc -c <"$ledger") ]] &&
      ends_with_newline "$ledger" && exact=yes
    "$ablate" launch --nproc 2 -- "${run_args[@]}" --out "$dir/out" --resume >"$dir/resume.log" 2>&1
    resume_rc=$?
    md5s=same
    md5_table "$ledger" | cmp -s - "$out/reference.md5" || md5s=DIFFER
    ok=1
    ((rc == 1)) && [[ "$line" == *"$dir/out/"* ]] && [[ $exact == yes ]] && ((resume_rc == 0)) && [[ $md5s == same ]] || ok=0
    ((ok)) || failed=$((failed + 1))
    echo "| $kib | $rc | \`${line:-none}\` | $kept/$combos | $exact | rc $resume_rc | $md5s |"
  done
  echo
  echo "summary: 6 limits, $failed failed a check"
  ((failed == 0))
  exit
fi

echo "reference run: ${ref_s} s, $combos combinations; collective timeout ${timeout_s} s; seed $seed"
echo
echo "| trial | start | victim | kill at (s) | survivor exit (s after kill) | survivor rc | records kept | engines begun | torn tail | resume | resume warned | MD5s |"
echo "|---:|---|---:|---:|---:|---:|---:|---:|---|---|---|---|"
failed=0 max_exit=0 kept_total=0 hangs=0 torn_total=0
for ((i = 1; i <= trials; ++i)); do
  dir="$out/trial-$i"
  mkdir -p "$dir"
  victim=$((RANDOM % 2))
  # uniform in [1.5 s, 90% of the reference run], in tenths of a second
  span=$(awk -v r="$ref_s" 'BEGIN { printf "%d", (0.9 * r - 1.5) * 10 }')
  kill_at=$(awk -v t=$((15 + RANDOM % span)) 'BEGIN { printf "%.1f", t / 10 }')
  pids=()
  if ((i % 2 == 1)); then
    mode=launch
    "$ablate" launch --nproc 2 -- "${run_args[@]}" --out "$dir/out" >"$dir/run.log" 2>&1 &
    waitpid=$!
    sleep "$kill_at"
    # the ranks: the launcher's children (it forks them once LibTorch has loaded)
    while kill -0 "$waitpid" 2>/dev/null && [[ -z "${pids[1]:-}" ]]; do
      for p in $(ps -o pid= --ppid "$waitpid"); do
        r=$(tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | sed -n 's/^RANK=//p')
        [[ -n "$r" ]] && pids[$r]=$p
      done
      [[ -z "${pids[1]:-}" ]] && sleep 0.1
    done
  else
    mode=manual
    waitpid=
    port=$((31000 + 2 * i + (seed % 50) * 64))
    for r in 0 1; do
      env WORLD_SIZE=2 RANK=$r LOCAL_RANK=$r MASTER_ADDR=127.0.0.1 MASTER_PORT=$port \
        "$ablate" "${run_args[@]}" --out "$dir/out" >"$dir/rank$r.log" 2>&1 &
      pids[$r]=$!
    done
    sleep "$kill_at"
  fi
  survivor=$((1 - victim))
  t_kill=$(now)
  victim_pid=${pids[$victim]:-}
  if [[ -z "$victim_pid" ]] || ! kill -9 "$victim_pid" 2>/dev/null; then kill_at="$kill_at (finished first)"; fi
  # the survivor (launch: the launcher) must be gone within the timeout + 10 s
  watch_pid=${pids[$survivor]:-$waitpid}
  [[ $mode == launch ]] && watch_pid=$waitpid
  rc=
  while kill -0 "$watch_pid" 2>/dev/null; do
    if awk -v e="$(elapsed "$t_kill" "$(now)")" -v l=$((timeout_s + 30)) 'BEGIN { exit !(e > l) }'; then
      kill -9 "$watch_pid"
      rc=hang
    fi
    sleep 0.1
  done
  exit_s=$(elapsed "$t_kill" "$(now)")
  wait "$watch_pid" 2>/dev/null
  code=$?
  [[ -z "$rc" ]] && rc=$code
  [[ $mode == manual ]] && wait 2>/dev/null
  ledger="$dir/out/ledger.jsonl"
  kept=$(complete_records "$ledger")
  torn=no
  ends_with_newline "$ledger" || torn=yes
  # an engine group starts only after the previous group's records were written
  log="$dir/run.log"
  [[ $mode == manual ]] && log="$dir/rank0.log"
  begun=$(grep -o 'engine [0-9]*/' "$log" | tail -1 | tr -dc 0-9)
  begun=${begun:-0}
  # resume through the launcher, as a user would
  "$ablate" launch --nproc 2 -- "${run_args[@]}" --out "$dir/out" --resume >"$dir/resume.log" 2>&1
  resume_rc=$?
  warned=no
  grep -q "torn last record" "$dir/resume.log" && warned=yes
  md5s=same
  md5_table "$ledger" | cmp -s - "$out/reference.md5" || md5s=DIFFER
  ok=1
  [[ $rc == hang ]] && { ok=0; hangs=$((hangs + 1)); }
  awk -v e="$exit_s" -v t="$timeout_s" 'BEGIN { exit !(e <= t + 10) }' || ok=0
  ((kept >= begun - 1)) || ok=0  # a finished combination was lost
  [[ $torn == yes && $warned == no ]] && ok=0
  [[ $torn == yes ]] && torn_total=$((torn_total + 1))
  ((resume_rc == 0)) && [[ $md5s == same ]] || ok=0
  ((ok)) || failed=$((failed + 1))
  kept_total=$((kept_total + kept))
  max_exit=$(awk -v a="$max_exit" -v b="$exit_s" 'BEGIN { print (b > a ? b : a) }')
  echo "| $i | $mode | $victim | $kill_at | $exit_s | $rc | $kept/$combos | $begun | $torn | rc $resume_rc | $warned | $md5s |"
done
echo
echo "summary: $trials trials, $failed failed a check; $hangs hang(s); slowest survivor exit ${max_exit} s" \
     "(limit $((timeout_s + 10)) s); $kept_total records kept at kill time; $torn_total torn tail(s);" \
     "every resume compared with the reference MD5s"
((failed == 0))
