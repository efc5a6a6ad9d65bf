#!/usr/bin/env python3
"""The harness's own cost (issue 16 item 5) from `scripts/gpu.sh overhead-1.3b`'s JSON files.

Files: ARM-gG-rR.json, ARM in nvtx-timers, nvtx-notimers, nonvtx-timers, nonvtx-notimers (NVTX
compiled in or out; phase timers on or off), G the GPU, R the round. Each (GPU, round) is a block
that ran every arm once, in a random order; an effect is the mean over blocks of the within-block
difference of the arms' mean warm generate() times, with a t-based 95 % CI over blocks.
Usage: overhead_table.py DIR... [--bench BENCH_JSON]  (prints Markdown)

Several DIRs (e.g. one per device call) pool their blocks. Beside the pairwise differences, the 2x2
factorial's main effects (each arm pair's difference averaged over the other factor, so all four arms
count) and their interaction.

With BENCH_JSON (ablate_bench --benchmark_filter=instrumentation, aggregates), also the bound from
counts: the ranges and timed phases per generate() (the runs' "instrumentation" fields) times the
cost of one range and one timed phase on this machine.
"""
import json
import math
import os
import re
import statistics
import sys

ARMS = ["nvtx-timers", "nvtx-notimers", "nonvtx-timers", "nonvtx-notimers"]
# what each comparison isolates: (name, arm, against)
EFFECTS = [("NVTX compiled in (timers on)", "nvtx-timers", "nonvtx-timers"),
           ("NVTX compiled in (timers off)", "nvtx-notimers", "nonvtx-notimers"),
           ("phase timers (NVTX in)", "nvtx-timers", "nvtx-notimers"),
           ("phase timers (NVTX out)", "nonvtx-timers", "nonvtx-notimers"),
           ("both (as shipped vs bare)", "nvtx-timers", "nonvtx-notimers")]
# two-sided 95 % t quantiles by degrees of freedom (beyond 30: the normal's 1.96)
T95 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
       2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042]


def t95(df):
    return T95[df - 1] if 1 <= df <= len(T95) else 1.96


def warm_ms(path, arm):
    """the warm generate() times of one arm's file, after checking that the file is that arm: NVTX
    compiled in or out (environment.nvtx) and phases timed or not (instrumentation.timed_phases: with
    the timers off only generate() itself is timed, 1)"""
    with open(path) as f:
        doc = json.load(f)
    nvtx = doc.get("environment", {}).get("nvtx")
    if nvtx is not None and nvtx != arm.startswith("nvtx"):
        raise SystemExit(f"overhead_table.py: {path}: environment.nvtx is {nvtx}, but arm {arm} expects {not nvtx}")
    warm = [r for r in doc["runs"] if r.get("kind") == "warm"]
    for r in warm:
        phases = r.get("instrumentation", {}).get("timed_phases")
        if phases is not None and (phases > 1) != arm.endswith("-timers"):
            raise SystemExit(f"overhead_table.py: {path}: a warm run timed {phases} phases, "
                             f"but arm {arm} has phase timers {'on' if arm.endswith('-timers') else 'off'}")
    return [r["generate_ms"] for r in warm]


def load(folders):
    blocks = {}  # (folder, gpu, round) -> arm -> warm times
    for folder in folders:
        for name in sorted(os.listdir(folder)):
            m = re.fullmatch(r"(.+)-g(\d+)-r(\d+)\.json", name)
            if not m or m.group(1) not in ARMS:
                continue
            times = warm_ms(os.path.join(folder, name), m.group(1))
            if times:
                blocks.setdefault((folder, int(m.group(2)), int(m.group(3))), {})[m.group(1)] = times
    return {k: v for k, v in blocks.items() if all(a in v for a in ARMS)}  # complete blocks only


def ci(diffs):
    """(mean, t-based 95 % half-width) over blocks"""
    mean = statistics.mean(diffs)
    half = t95(len(diffs) - 1) * statistics.stdev(diffs) / math.sqrt(len(diffs)) if len(diffs) > 1 else float("nan")
    return mean, half


def effect(blocks, arm, against):
    diffs = [statistics.mean(b[arm]) - statistics.mean(b[against]) for b in blocks.values()]
    base = statistics.mean(statistics.mean(b[against]) for b in blocks.values())
    mean, half = ci(diffs)
    return mean, half, base


# the 2x2 factorial per block, from the arms' mean warm times: (name, signs of nvtx-timers,
# nvtx-notimers, nonvtx-timers, nonvtx-notimers), each contrast halved
FACTORIAL = [("NVTX compiled in (main effect)", (1, 1, -1, -1)),
             ("phase timers on (main effect)", (1, -1, 1, -1)),
             ("interaction", (1, -1, -1, 1))]


def contrasts(blocks, signs):
    """a factorial contrast per block, from the arms' mean warm times"""
    return [sum(s * statistics.mean(b[a]) for s, a in zip(signs, ARMS)) / 2 for b in blocks.values()]


def factorial(blocks, signs):
    diffs = contrasts(blocks, signs)
    base = statistics.mean(statistics.mean(b["nonvtx-notimers"]) for b in blocks.values())
    mean, half = ci(diffs)
    return mean, half, base


def table(blocks):
    out = [f"{len(blocks)} complete blocks (call folder x GPU x round), each running the four arms once in a random order.", "",
           "| arm | warm runs | median ms | min | max |", "|---|---:|---:|---:|---:|"]
    for arm in ARMS:
        t = [x for b in blocks.values() for x in b[arm]]
        out.append(f"| {arm} | {len(t)} | {statistics.median(t):.1f} | {min(t):.1f} | {max(t):.1f} |")
    out += ["", "| effect | difference ms (95 % CI) | relative | CI half-width |", "|---|---:|---:|---:|"]
    for name, arm, against in EFFECTS:
        mean, half, base = effect(blocks, arm, against)
        out.append(f"| {name} | {mean:+.1f} ± {half:.1f} | {100 * mean / base:+.2f} % | {100 * half / base:.2f} % |")
    for name, signs in FACTORIAL:
        mean, half, base = factorial(blocks, signs)
        out.append(f"| {name} | {mean:+.1f} ± {half:.1f} | {100 * mean / base:+.2f} % | {100 * half / base:.2f} % |")
    return "\n".join(out + ["", spread(blocks)])


def spread(blocks, target=0.002):
    """The warm runs' pooled within-process sd, and the warm runs per arm a main effect needs for a
    95 % half-width of `target` (its variance is sd^2 / runs per arm; a pairwise difference needs twice
    as many), the processes' own spread left out."""
    variances = [statistics.variance(t) for b in blocks.values() for t in b.values() if len(t) > 1]
    if not variances:
        return "Spread: no arm has two warm runs in one process."
    sd = math.sqrt(statistics.mean(variances))
    base = statistics.mean(x for b in blocks.values() for t in b.values() for x in t)
    runs = math.ceil((1.96 * sd / (target * base)) ** 2)
    have = min(sum(len(b[a]) for b in blocks.values()) for a in ARMS)
    text = (f"Spread: pooled within-process sd of a warm run {sd:.1f} ms ({100 * sd / base:.2f} %). A "
            f"{100 * target:.1f} % half-width on a main effect needs about {runs} warm runs per arm "
            f"({2 * runs} for a pairwise difference) if processes add no spread of their own; these blocks have {have}.")
    return text + " " + between(blocks, sd, base, target)


def between(blocks, within_sd, base, target):
    """What the processes add: the sd of a process's mean warm time (around its block's mean) against
    what the within-process spread alone gives, and the blocks a main effect needs at the sd its
    per-block contrasts show. Where processes add spread, more warm runs per process do not narrow
    the interval; more blocks do."""
    if len(blocks) < 3:
        return ""
    residuals, expected = [], []
    for b in blocks.values():
        means = {a: statistics.mean(t) for a, t in b.items()}
        centre = statistics.mean(means.values())
        residuals += [m - centre for m in means.values()]
        expected += [within_sd ** 2 / len(t) for t in b.values()]
    # the residuals around a block's mean of 4 lose one of 4 degrees of freedom
    process_sd = math.sqrt(sum(r * r for r in residuals) / (len(residuals) * (len(ARMS) - 1) / len(ARMS)))
    block_sd = statistics.stdev(contrasts(blocks, FACTORIAL[0][1]))
    need = math.ceil((1.96 * block_sd / (target * base)) ** 2)
    return (f"Between processes: a process's mean warm time spreads {process_sd:.1f} ms around its block's, against "
            f"{math.sqrt(statistics.mean(expected)):.1f} ms from the within-process spread alone. The NVTX main effect's "
            f"sd per block is {block_sd:.1f} ms, so a {100 * target:.1f} % half-width needs about {need} blocks; "
            f"these are {len(blocks)}.")


def bench_ns(path):
    """{benchmark name: mean ns per call} from Google Benchmark's JSON (its _mean aggregates)."""
    with open(path) as f:
        rows = json.load(f)["benchmarks"]
    means = {r["run_name"]: r["real_time"] for r in rows if r.get("aggregate_name") == "mean"}
    return means or {r["name"]: r["real_time"] for r in rows}


def counts(folders, arm):
    """(ranges, timed phases, warm generate() ms) per warm run of `arm`, over every file of it."""
    out = []
    for folder in folders:
        for name in sorted(os.listdir(folder)):
            if not re.fullmatch(re.escape(arm) + r"-g\d+-r\d+\.json", name):
                continue
            with open(os.path.join(folder, name)) as f:
                for r in json.load(f)["runs"]:
                    if r.get("kind") == "warm" and "instrumentation" in r:
                        i = r["instrumentation"]
                        out.append((i["ranges"], i["timed_phases"], r["generate_ms"]))
    return out


def bound(folders, bench_path):
    ns = bench_ns(bench_path)
    rows = counts(folders, "nvtx-timers")
    if not rows:
        return "no run of nvtx-timers carries instrumentation counts"
    ranges, phases, ms = (statistics.mean(c) for c in zip(*rows))
    per_range, per_phase = ns.get("instrumentation/nvtx_range", 0.0), ns.get("instrumentation/phase_timer_phase", 0.0)
    cost_ms = (ranges * per_range + phases * per_phase) / 1e6
    return "\n".join([
        "", "Bound from counts (host time the instrumentation adds to a generate(), no tool attached):", "",
        "| item | per generate() | ns per call | ms per generate() |", "|---|---:|---:|---:|",
        f"| ranges (NVTX + trace scope) | {ranges:.0f} | {per_range:.1f} | {ranges * per_range / 1e6:.3f} |",
        f"| timed phases (clock pair + CUDA event pair) | {phases:.0f} | {per_phase:.1f} | {phases * per_phase / 1e6:.3f} |",
        f"| **both** | | | **{cost_ms:.3f} = {100 * cost_ms / ms:.4f} % of {ms:.0f} ms** |"])


def main(argv):
    args, bench = argv[1:], None
    if "--bench" in args:
        i = args.index("--bench")
        bench = args[i + 1] if i + 1 < len(args) else None
        args = args[:i] + args[i + 2:]
        if bench is None or not os.path.isfile(bench):
            sys.stderr.write(f"overhead_table.py: --bench: expected a Google Benchmark JSON file, found {bench!r}\n")
            return 2
    missing = [a for a in args if not os.path.isdir(a)]
    if not args or missing:
        sys.stderr.write("usage: overhead_table.py DIR... [--bench BENCH_JSON] (folders of ARM-gG-rR.json files)"
                         + (f"; not a folder: {', '.join(missing)}" if missing else "") + "\n")
        return 2
    blocks = load(args)
    if len(blocks) < 2:
        sys.stderr.write(f"overhead_table.py: {', '.join(args)}: {len(blocks)} complete blocks; need at least 2\n")
    else:
        print(table(blocks))
    if bench:
        print(bound(args, bench))
    return 0 if len(blocks) >= 2 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
