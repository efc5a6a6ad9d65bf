#!/usr/bin/env python3
"""The reference's DiT kernels in one chunk: a Kineto trace of its forwards, for the kernel
comparison with `ablate profile --trace` (issue 16: the 14b DiT gap).

Usage (GPU machine, from the repository root):
  tools/reference_check/kernel_profile.py --checkpoint CKPT --trace OUT/trace-ref.json \\
      [--reference .reference/lingbot-world] [--size 480*832] [--frames 81] [--chunk 2]

CKPT is an `ablate export-checkpoint` folder (the reference's layout), loaded with the reference's
own loaders (refcheck/reference.py). The reference's generate() runs unchanged, with SDPA's default
backend standing in for flash_attn (as in reference_check.py); the profiler records the forwards
of chunk --chunk (its 4 denoising forwards and the cache refresh), each inside a `dit_forward`
range as Ablate's trace has them. The generate() is abandoned after that chunk: what follows is
not profiled. Chunk 2 of the first generate() is profiled, so chunks 0-1 are its warm-up.
"""
import argparse
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

STEPS = 4  # denoising forwards per chunk; one refresh forward follows them


class ChunkDone(Exception):
    """Raised from the forward hook once the profiled chunk is over."""


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--checkpoint", required=True, help="an ablate export-checkpoint folder")
    ap.add_argument("--trace", required=True, help="Kineto trace to write (.json)")
    ap.add_argument("--reference", default=".reference/lingbot-world", help="checkout of prashant182/lingbot-world")
    ap.add_argument("--size", default="480*832", help="max area H*W, as the reference's --size")
    ap.add_argument("--frames", type=int, default=81)
    ap.add_argument("--chunk", type=int, default=2, help="the chunk whose forwards are profiled (0-based)")
    ap.add_argument("--attention", default="default", choices=["default", "math", "efficient", "flash", "cudnn"])
    args = ap.parse_args()

    import numpy as np
    import torch
    from PIL import Image

    from refcheck import reference, stand_ins
    from reference_check import token_ids

    if not torch.cuda.is_available():
        raise SystemExit("kernel_profile: needs a CUDA device")
    if args.chunk < 0 or (args.frames - 1) // 4 + 1 < 3 * (args.chunk + 1):
        raise SystemExit(f"kernel_profile: --chunk {args.chunk} is past the last chunk of {args.frames} frames")
    stand_ins.install()
    mods = reference.import_reference(args.reference)
    reference.route_attention(mods, args.attention)
    device = torch.device("cuda:0")
    t0 = time.time()
    pipe, _ = reference.build_pipeline(mods, args.checkpoint, "bf16", device, lambda vocab: token_ids(vocab, 16))
    print(f"kernel_profile: reference pipeline built in {time.time() - t0:.1f} s", flush=True)

    first = args.chunk * (STEPS + 1)
    last = first + STEPS
    profiler = torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU,
                                                  torch.profiler.ProfilerActivity.CUDA])
    state = {"k": 0, "range": None, "t": 0.0}

    def before(module, inputs):
        if state["k"] == first:
            torch.cuda.synchronize()
            profiler.start()
            state["t"] = time.time()
        if first <= state["k"] <= last:
            state["range"] = torch.profiler.record_function("dit_forward")
            state["range"].__enter__()

    def after(module, inputs, output):
        k = state["k"]
        state["k"] += 1
        if first <= k <= last:
            state["range"].__exit__(None, None, None)
        if k == last:
            torch.cuda.synchronize()
            state["t"] = time.time() - state["t"]
            profiler.stop()
            raise ChunkDone()

    image = np.asarray(Image.open(os.path.join(args.reference, "examples", "03", "image.jpg")).convert("RGB"))
    h, w = (int(v) for v in args.size.split("*"))
    hooks = [pipe.model.register_forward_pre_hook(before), pipe.model.register_forward_hook(after)]
    try:
        pipe.generate("kernel profile", Image.fromarray(image), action_path=os.path.join(args.reference, "examples", "03"),
                      chunk_size=3, max_area=h * w, frame_num=args.frames, shift=mods.config.sample_shift, seed=42,
                      offload_model=False)
        raise SystemExit(f"kernel_profile: generate() ended after {state['k']} forwards, before chunk {args.chunk}")
    except ChunkDone:
        pass
    finally:
        for hook in hooks:
            hook.remove()
    os.makedirs(os.path.dirname(os.path.abspath(args.trace)), exist_ok=True)
    profiler.export_chrome_trace(args.trace)
    summary = {"chunk": args.chunk, "forwards": last - first + 1, "wall_ms_profiled": 1000 * state["t"],
               "size": args.size, "frames": args.frames, "attention": args.attention, "torch": torch.__version__,
               "gpu": torch.cuda.get_device_name(0)}
    with open(os.path.splitext(args.trace)[0] + ".summary.json", "w") as f:
        json.dump(summary, f, indent=2)
    print(f"kernel_profile: chunk {args.chunk} ({summary['forwards']} forwards) in {summary['wall_ms_profiled']:.1f} ms "
          f"under the profiler; trace {args.trace}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
