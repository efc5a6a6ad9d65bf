#!/usr/bin/env python3
"""Top GPU kernels by total time in a Kineto trace (ablate profile --trace on a CUDA build).

Usage: scripts/trace_top_kernels.py TRACE.json [--top N] [--markdown] [--by-stream]

Sums the device-side complete events (categories kernel, gpu_memcpy, gpu_memset) by name and
prints count, total, mean and share; with the number of dit_forward ranges in the window it also
prints the time per DiT forward. Reads Ablate's own (CPU) traces too: there are no kernels, so
it summarizes the ranges instead. --by-stream prints one table per CUDA stream (with vae_stream=on
the per-chunk decode runs on a stream of its own, so its kernels separate from the DiT's).
"""
import argparse
import collections
import json
import sys

DEVICE_CATEGORIES = {"kernel", "gpu_memcpy", "gpu_memset"}


def load_events(path):
    with open(path) as f:
        events = json.load(f)
    if isinstance(events, dict):
        events = events.get("traceEvents", [])
    return events


def load_totals(path, stream=None):
    """(totals by name in us, counts by name, number of dit_forward ranges, whether they are kernels)."""
    events = load_events(path)
    complete = [e for e in events if e.get("ph") == "X" and "dur" in e]
    device = [e for e in complete if e.get("cat") in DEVICE_CATEGORIES
              and (stream is None or e.get("args", {}).get("stream") == stream)]
    forwards = sum(1 for e in complete if e.get("name", "").split("[")[0] == "dit_forward"
                   and e.get("cat") in ("user_annotation", "range"))
    rows = device if device else [e for e in complete if e.get("cat") in ("range", "user_annotation")]
    total = collections.Counter()
    count = collections.Counter()
    for e in rows:
        name = e.get("name", "?")
        total[name] += float(e["dur"])
        count[name] += 1
    return total, count, forwards, bool(device)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("trace")
    ap.add_argument("--top", type=int, default=20)
    ap.add_argument("--markdown", action="store_true", help="print a Markdown table")
    ap.add_argument("--by-stream", action="store_true", help="one table per CUDA stream")
    args = ap.parse_args()
    if args.by_stream:
        streams = collections.Counter()
        for e in load_events(args.trace):
            if e.get("ph") == "X" and e.get("cat") in DEVICE_CATEGORIES:
                streams[e.get("args", {}).get("stream")] += float(e.get("dur", 0))
        print("streams: " + ", ".join(f"{s}: {us / 1000:.3f} ms" for s, us in streams.most_common()))
        for s, _ in streams.most_common():
            print(f"\n## stream {s}\n")
            print_table(args, *load_totals(args.trace, s), label=f"{args.trace} stream {s}")
        return 0
    print_table(args, *load_totals(args.trace), label=args.trace)
    return 0


def print_table(args, total, count, forwards, kernels, label):
    what = "kernels" if kernels else "ranges (no device events in this trace)"
    grand = sum(total.values()) or 1.0
    print(f"{label}: {sum(count.values())} {what}, {grand / 1000:.3f} ms in all; dit_forward ranges: {forwards}")
    header = ["ms total", "count", "us mean", "share"] + (["ms per DiT forward"] if forwards else []) + ["name"]
    if args.markdown:
        print("| " + " | ".join(header) + " |")
        print("|" + "---:|" * (len(header) - 1) + "---|")
    else:
        print("  ".join(header))
    for name, us in total.most_common(args.top):
        cells = [f"{us / 1000:.3f}", str(count[name]), f"{us / count[name]:.1f}", f"{100 * us / grand:.1f}%"]
        if forwards:
            cells.append(f"{us / 1000 / forwards:.3f}")
        short = name if len(name) <= 120 else name[:117] + "..."
        cells.append(short.replace("|", "\\|") if args.markdown else short)
        print(("| " + " | ".join(cells) + " |") if args.markdown else "  ".join(cells))


if __name__ == "__main__":
    sys.exit(main())
