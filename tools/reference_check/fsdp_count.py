#!/usr/bin/env python3
"""Counts, on the reference's side, the collectives, FSDP all-gathers and host syncs of every DiT
forward under its own distributed setup (Ulysses sequence parallel + FSDP, as generate_fast.py
--dit_fsdp --ulysses_size N), to check Ablate's faithful-baseline counts against measured ones.

Run under torchrun, one process per GPU (NCCL):
  torchrun --nproc-per-node 2 tools/reference_check/fsdp_count.py --reference .reference/lingbot-world \\
      --checkpoint CKPT --out OUT [--frames 21] [--size 480*832]
CKPT is an `ablate export-checkpoint` folder (tiny or 1.3b). Two sharding strategies are measured,
each on a freshly built pipeline running generate() twice:
  SHARD_GRAD_OP  the checkout as it is (main 54f7ec6 hard-codes it in shard_model);
  FULL_SHARD     the pre-PR #52 baseline (the same shard_model with that strategy substituted).
Counted per forward (between the FSDP root's forward pre-hook and its forward hook), on each rank:
torch.distributed calls by name (all_to_all, all_gather, all_gather_into_tensor, broadcast, ...),
torch.cuda.Event.synchronize calls (FSDP's all-gather rate limiter) and synchronizing CUDA
operations reported by torch.cuda.set_sync_debug_mode('warn'). Writes OUT/fsdp_counts.json and
OUT/fsdp_counts.md (rank 0).
"""
import argparse
import collections
import json
import os
import sys
import time
import types
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

COLLECTIVES = ["all_to_all", "all_to_all_single", "all_gather", "all_gather_into_tensor", "_all_gather_base",
               "reduce_scatter_tensor", "all_reduce", "broadcast", "barrier"]


class Counter:
    """Counts torch.distributed calls, Event.synchronize and sync-debug warnings; snapshots per forward."""

    def __init__(self, torch, dist):
        self.counts = collections.Counter()
        self.forwards = []
        self._start = None
        self._warnings = None
        for name in COLLECTIVES:
            if hasattr(dist, name):
                setattr(dist, name, self._wrap(getattr(dist, name), name))
        sync = torch.cuda.Event.synchronize

        def event_synchronize(event):
            self.counts["event.synchronize"] += 1
            return sync(event)

        torch.cuda.Event.synchronize = event_synchronize

    def _wrap(self, fn, name):
        def counted(*args, **kwargs):
            self.counts[name] += 1
            return fn(*args, **kwargs)
        return counted

    def snapshot(self):
        c = collections.Counter(self.counts)
        c["host syncs (sync debug)"] = len(self._warnings) if self._warnings is not None else 0
        return c

    def attach(self, model, record):
        def pre(module, args):
            self._start = self.snapshot()

        def post(module, args, output):
            delta = self.snapshot()
            delta.subtract(self._start)
            record.append({k: v for k, v in delta.items() if v})

        return model.register_forward_pre_hook(pre), model.register_forward_hook(post)


def run_strategy(args, mods, torch, dist, counter, label, strategy):
    from refcheck import reference

    rank, local = dist.get_rank(), int(os.environ.get("LOCAL_RANK", 0))
    device = torch.device("cuda", local)
    fsdp_api = sys.modules["torch.distributed.fsdp"]
    substitute = types.SimpleNamespace(SHARD_GRAD_OP=getattr(fsdp_api.ShardingStrategy, strategy),
                                       FULL_SHARD=fsdp_api.ShardingStrategy.FULL_SHARD)
    ids = [5, 17, 1]
    with reference.patched(mods.fsdp, "ShardingStrategy", substitute):
        pipe, _ = reference.build_pipeline(mods, args.checkpoint, "bf16", device, ids, rank=rank, use_sp=True,
                                           dit_fsdp=True)
    import numpy as np
    from PIL import Image

    image = Image.fromarray(np.load(os.path.join(args.inputs, "image.npy")))
    h, w = (int(v) for v in args.size.split("*"))
    per_run = []
    for run in range(2):
        record = []
        hooks = counter.attach(pipe.model, record)
        torch.cuda.synchronize()
        t0 = time.time()
        pipe.generate("reference check", image, action_path=args.inputs, chunk_size=3, max_area=h * w,
                      frame_num=args.frames, shift=mods.config.sample_shift, seed=42, offload_model=False)
        torch.cuda.synchronize()
        for hk in hooks:
            hk.remove()
        per_run.append({"generate_s": time.time() - t0, "forwards": record})
    blocks = len(pipe.model.module.blocks) if hasattr(pipe.model, "module") else None
    del pipe
    torch.cuda.empty_cache()
    return {"label": label, "strategy": strategy, "rank": rank, "blocks": blocks, "runs": per_run}


def summarize(result):
    """Per kind of forward: the process's first, the rest of the first generate(), the second generate()."""
    first = result["runs"][0]["forwards"]
    second = result["runs"][1]["forwards"]
    groups = [("process's first forward", first[:1]), ("other forwards, generate 1", first[1:]),
              ("forwards of generate 2", second)]
    rows = []
    for name, fwds in groups:
        keys = sorted({k for f in fwds for k in f})
        cells = {}
        for k in keys:
            values = sorted({f.get(k, 0) for f in fwds})
            cells[k] = str(values[0]) if len(values) == 1 else f"{values[0]}-{values[-1]}"
        rows.append((name, len(fwds), cells))
    return rows


def markdown(results, args, world):
    keys = sorted({k for r in results for _, _, cells in summarize(r) for k in cells})
    out = [f"# Reference FSDP counts per DiT forward (world {world}, Ulysses SP + FSDP)", "",
           f"Checkpoint {args.checkpoint}, {args.size}, {args.frames} frames, bf16; counts on rank 0 per forward "
           "(a range where forwards differ).", "",
           "| strategy | forwards | n | " + " | ".join(keys) + " |", "|---|---|---:|" + "---:|" * len(keys)]
    for r in results:
        for name, n, cells in summarize(r):
            out.append(f"| {r['label']} ({r['blocks']} blocks) | {name} | {n} | " +
                       " | ".join(cells.get(k, "0") for k in keys) + " |")
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reference", default=".reference/lingbot-world")
    ap.add_argument("--checkpoint", required=True, help="an ablate export-checkpoint folder")
    ap.add_argument("--inputs", required=True, help="folder with image.npy, poses.npy, intrinsics.npy (a reference_check OUT/inputs)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--size", default="480*832")
    ap.add_argument("--frames", type=int, default=21, help="21: two chunks, 10 forwards per generate()")
    args = ap.parse_args()

    import torch
    import torch.distributed as dist

    from refcheck import reference, stand_ins

    dist.init_process_group("nccl")
    torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", 0)))
    stand_ins.install()
    mods = reference.import_reference(args.reference)
    reference.route_attention(mods, "default")
    counter = Counter(torch, dist)
    results = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        counter._warnings = caught
        torch.cuda.set_sync_debug_mode("warn")
        for label, strategy in [("SHARD_GRAD_OP (main as checked out)", "SHARD_GRAD_OP"),
                                ("FULL_SHARD (baseline 91ff5f6)", "FULL_SHARD")]:
            results.append(run_strategy(args, mods, torch, dist, counter, label, strategy))
        torch.cuda.set_sync_debug_mode("default")
    if dist.get_rank() == 0:
        os.makedirs(args.out, exist_ok=True)
        with open(os.path.join(args.out, "fsdp_counts.json"), "w") as f:
            json.dump(results, f, indent=2)
        text = markdown(results, args, dist.get_world_size())
        with open(os.path.join(args.out, "fsdp_counts.md"), "w") as f:
            f.write(text)
        print(text)
    dist.barrier()
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
