#!/usr/bin/env python3
"""Two Kineto traces of DiT forwards side by side (issue 16: Ablate's DiT against the reference's).

Usage: scripts/kernel_compare.py REFERENCE_TRACE ABLATE_TRACE [--top N] [--flop-per-forward F]

Both traces must mark their forwards with `dit_forward` ranges (`ablate profile --trace`,
tools/reference_check/kernel_profile.py). Prints Markdown: GPU time per DiT forward by kernel class
(attention, GEMM, normalization, elementwise, copies, ...) on each side and the difference, then the
kernels whose time per forward differs most (by exact name; a kernel one side lacks shows as 0).
With --dit-shape DIM,FFN,LAYERS,TOKENS,KV_TOKENS (or --flop-per-forward F), each side's MFU against
the H200's dense bf16 peak (989 TFLOP/s) from its kernel time per forward (GPU busy time, not wall
time). The FLOP model counts the GEMMs (camera layers included) and attention products of one
forward (scripts/dit_flop.py).
"""
import argparse
import collections
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dit_flop import PEAK_BF16_TFLOPS, dit_forward_flop  # noqa: E402
from trace_top_kernels import load_totals  # noqa: E402

# first match wins; the name is lower-cased
CLASSES = [
    ("attention", r"sdpa|flash|fmha|attention|softmax"),
    ("gemm", r"gemm|nvjet|cutlass|xmma|cublas|sm90_|wgmma"),
    ("normalization", r"layer_norm|rms|norm_kernel"),
    ("copy / cat / layout", r"copy|memcpy|cat_array|catarray|transpose|permute|index_put|index_copy|scatter|gather"),
    ("reduction", r"reduce"),
    ("elementwise", r"elementwise|vectorized|unrolled|functor|gelu|silu"),
    ("memset", r"memset"),
]


def kernel_class(name):
    low = name.lower()
    for label, pattern in CLASSES:
        if re.search(pattern, low):
            return label
    return "other"


def per_forward(path):
    total, count, forwards, kernels = load_totals(path)
    if not kernels:
        raise SystemExit(f"kernel_compare: {path} has no GPU kernels (a CPU trace?)")
    if forwards == 0:
        raise SystemExit(f"kernel_compare: {path} has no dit_forward ranges; expected a trace of DiT forwards")
    return {n: us / 1000.0 / forwards for n, us in total.items()}, {n: c / forwards for n, c in count.items()}, forwards


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("reference")
    ap.add_argument("ablate")
    ap.add_argument("--top", type=int, default=15)
    ap.add_argument("--flop-per-forward", type=float, default=0.0, help="DiT FLOP per forward, for MFU")
    ap.add_argument("--dit-shape", default="", help="DIM,FFN,LAYERS,TOKENS,KV_TOKENS: the FLOP per forward from the model")
    args = ap.parse_args()
    if args.dit_shape:
        try:
            dim, ffn, layers, tokens, kv = (int(v) for v in args.dit_shape.split(","))
        except ValueError:
            raise SystemExit(f"kernel_compare: --dit-shape expects DIM,FFN,LAYERS,TOKENS,KV_TOKENS (5 integers), got '{args.dit_shape}'")
        args.flop_per_forward = dit_forward_flop(dim, ffn, layers, tokens, kv)
        print(f"FLOP per forward: {args.flop_per_forward / 1e12:.1f} TFLOP (dim {dim}, ffn {ffn}, {layers} blocks, "
              f"{tokens} tokens attending to {kv})\n")
    ref, ref_n, ref_fw = per_forward(args.reference)
    abl, abl_n, abl_fw = per_forward(args.ablate)
    by_class = {side: collections.Counter() for side in ("ref", "abl")}
    launches = {side: collections.Counter() for side in ("ref", "abl")}
    for side, ms, n in (("ref", ref, ref_n), ("abl", abl, abl_n)):
        for name, v in ms.items():
            by_class[side][kernel_class(name)] += v
            launches[side][kernel_class(name)] += n[name]
    print(f"GPU time per DiT forward ({ref_fw} reference forwards, {abl_fw} Ablate forwards)\n")
    print("| kernel class | reference ms | Ablate ms | Ablate - reference ms | reference launches | Ablate launches |")
    print("|---|---:|---:|---:|---:|---:|")
    labels = [c for c, _ in CLASSES] + ["other"]
    for label in sorted(labels, key=lambda c: -(by_class["ref"][c] + by_class["abl"][c])):
        r, a = by_class["ref"][label], by_class["abl"][label]
        if r == 0 and a == 0:
            continue
        print(f"| {label} | {r:.3f} | {a:.3f} | {a - r:+.3f} | {launches['ref'][label]:.1f} | {launches['abl'][label]:.1f} |")
    rt, at = sum(ref.values()), sum(abl.values())
    print(f"| **all** | **{rt:.3f}** | **{at:.3f}** | **{at - rt:+.3f}** | {sum(ref_n.values()):.0f} | {sum(abl_n.values()):.0f} |")
    if args.flop_per_forward > 0:
        for side, ms in (("reference", rt), ("Ablate", at)):
            print(f"\n{side}: {args.flop_per_forward / (ms / 1000.0) / 1e12:.0f} TFLOP/s over its kernel time "
                  f"= {100 * args.flop_per_forward / (ms / 1000.0) / 1e12 / PEAK_BF16_TFLOPS:.1f}% of the bf16 peak", end="")
        print()
    print(f"\nKernels whose time per forward differs most (top {args.top})\n")
    print("| reference ms | Ablate ms | difference ms | class | kernel |")
    print("|---:|---:|---:|---|---|")
    names = set(ref) | set(abl)
    for name in sorted(names, key=lambda n: -abs(abl.get(n, 0.0) - ref.get(n, 0.0)))[:args.top]:
        r, a = ref.get(name, 0.0), abl.get(name, 0.0)
        short = name if len(name) <= 110 else name[:107] + "..."
        print(f"| {r:.3f} | {a:.3f} | {a - r:+.3f} | {kernel_class(name)} | {short.replace('|', chr(92) + '|')} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
