#!/usr/bin/env python3
"""The DiT's FLOP per forward and per generate() (the MFU numerator of EXPERIMENTS.md).

Usage: scripts/dit_flop.py [--preset 14b|1.3b] [--frame-tokens 1508] [--chunks 7] [--dit-ms MS]

Per block and forward, with L new tokens attending to Lk cached ones, d the width, f the FFN width
and Lt text tokens, multiply-adds x 2 of:
  - q, k, v, o and cross-attention's q and o: 6 L d^2 (cross k/v come from the cross-attention
    cache after the first forward);
  - the camera layers (cam_injector_layer1/2, cam_scale_layer, cam_shift_layer): 4 L d^2. They are
    Linear(d, d) over every token of the chunk, in every forward;
  - the FFN: 2 L d f;
  - self-attention scores and values: 2 L Lk d; cross-attention's: 2 L Lt d.
The patch and camera embeddings, the time embedding and the head are left out (< 0.5 %).

A generate() runs 5 forwards per chunk (4 denoising steps and the KV refresh); chunk c (0-based)
attends to its 3 (c + 1) latent frames. At 14b, 464x832: 7.53 PFLOP, of which the camera layers are
1.33; the issue's "about 7.46" is the same count without cross-attention's scores (0.07). With
camera_cache a chunk computes its camera layers once instead of 5 times: 6.47 PFLOP executed.
"""
import argparse
import sys

PEAK_BF16_TFLOPS = 989.0  # H100 SXM and H200, dense
PRESETS = {"14b": (5120, 13824, 40), "1.3b": (1536, 8960, 30)}


def dit_forward_flop(dim, ffn, layers, tokens, kv_tokens, text_len=512, cross_kv=False, camera=True):
    """FLOP of one DiT forward over `tokens` new tokens attending to `kv_tokens` (module docstring);
    cross_kv adds cross-attention's k/v projections (the first forward's), camera the camera layers."""
    per_block = 6 * tokens * dim * dim + 2 * tokens * dim * ffn
    per_block += 2 * tokens * kv_tokens * dim + 2 * tokens * text_len * dim
    if camera:
        per_block += 4 * tokens * dim * dim
    if cross_kv:
        per_block += 2 * text_len * dim * dim
    return 2.0 * per_block * layers


def generate_flop(dim, ffn, layers, frame_tokens=1508, chunks=7, chunk_frames=3, forwards=5, camera_forwards=5,
                  text_len=512):
    """FLOP of a generate()'s DiT: `forwards` per chunk, the camera layers in `camera_forwards` of them."""
    total = 0.0
    tokens = chunk_frames * frame_tokens
    for c in range(chunks):
        kv = (c + 1) * chunk_frames * frame_tokens
        total += forwards * dit_forward_flop(dim, ffn, layers, tokens, kv, text_len, camera=False)
        total += camera_forwards * 2.0 * 4 * tokens * dim * dim * layers
    return total


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preset", choices=sorted(PRESETS), default="14b")
    ap.add_argument("--frame-tokens", type=int, default=1508, help="tokens per latent frame (464x832: 29 x 52)")
    ap.add_argument("--chunks", type=int, default=7, help="chunks of 3 latent frames (81 frames: 7)")
    ap.add_argument("--dit-ms", type=float, default=0.0, help="a generate()'s DiT time: prints the MFU")
    args = ap.parse_args()
    dim, ffn, layers = PRESETS[args.preset]
    rows = [
        ("model (every forward runs its camera layers)", generate_flop(dim, ffn, layers, args.frame_tokens, args.chunks)),
        ("without the camera layers", generate_flop(dim, ffn, layers, args.frame_tokens, args.chunks, camera_forwards=0)),
        ("executed with camera_cache", generate_flop(dim, ffn, layers, args.frame_tokens, args.chunks, camera_forwards=1)),
    ]
    print(f"| {args.preset} DiT per generate() | PFLOP |" + (" MFU at the DiT time |" if args.dit_ms else ""))
    print("|---|---:|" + ("---:|" if args.dit_ms else ""))
    for label, flop in rows:
        mfu = f" {100 * flop / (args.dit_ms / 1000.0) / 1e12 / PEAK_BF16_TFLOPS:.1f} % |" if args.dit_ms else ""
        print(f"| {label} | {flop / 1e15:.3f} |{mfu}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
