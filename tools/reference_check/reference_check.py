#!/usr/bin/env python3
"""Numerical cross-check of Ablate's generator against the Python reference (lingbot-world's fast
pipeline): the same checkpoint, image, camera path, token ids and noise on both sides, then a table
of max |diff| and PSNR per component (text embedding, first-frame latent, first DiT forward, x0 of
every step, video).

Usage (all steps; each runs in its own process):
  tools/reference_check/reference_check.py all --reference .reference/lingbot-world \\
      --ablate build/experiments/ablate --preset tiny --size 64*64 --dtype fp32 --attention math \\
      --device cpu --out out/refcheck-tiny
Steps, for reruns: export (ablate export-checkpoint), reference (the reference's generate()),
ablate (ablate generate with the reference's noise), compare (the table). See README.md.
"""
import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)


def add_common(ap):
    ap.add_argument("--out", required=True, help="output folder (inputs/, checkpoint/, reference/, ablate/, table.md)")
    ap.add_argument("--reference", default=".reference/lingbot-world", help="checkout of prashant182/lingbot-world")
    ap.add_argument("--ablate", default="build/experiments/ablate", help="the ablate binary")
    ap.add_argument("--preset", default="tiny", help="Ablate preset whose export both sides load")
    ap.add_argument("--size", default="64*64", help="max area H*W, as the reference's --size")
    ap.add_argument("--frames", type=int, default=81)
    ap.add_argument("--dtype", choices=["fp32", "bf16"], default="fp32",
                    help="fp32: T5, DiT, autocast and KV caches in float32 on both sides; bf16: the reference's dtypes")
    ap.add_argument("--attention", choices=["default", "math", "efficient", "flash", "cudnn"], default="math",
                    help="SDPA backend of the DiT's attention on both sides")
    ap.add_argument("--device", default="cpu", help="cpu or cuda")
    ap.add_argument("--seed", type=int, default=42, help="the reference's noise seed (Ablate reads its draws)")
    ap.add_argument("--weight-seed", type=int, default=0, help="seed of Ablate's exported weights")
    ap.add_argument("--checkpoint", default="", help="an existing export to use (default: OUT/checkpoint)")
    ap.add_argument("--image", default="", help="first frame (default: the reference's examples/03/image.jpg)")
    ap.add_argument("--action-dir", default="", help="poses.npy + intrinsics.npy (default: examples/03)")
    ap.add_argument("--tokens", type=int, default=16, help="number of token ids (eos included)")
    ap.add_argument("--x0-max-abs", type=float, default=None, help="bound on max |x0 diff| at every step")
    ap.add_argument("--min-video-psnr", type=float, default=None, help="bound on the uint8 video's PSNR (dB)")
    ap.add_argument("--title", default="", help="heading of table.md")


def checkpoint_dir(args):
    return args.checkpoint or os.path.join(args.out, "checkpoint")


def log_command(args, cmd, seconds):
    with open(os.path.join(args.out, "commands.log"), "a") as f:
        f.write(f"{' '.join(shlex.quote(c) for c in cmd)}  # {seconds:.1f} s\n")


def run(args, cmd):
    print("+", " ".join(shlex.quote(c) for c in cmd), flush=True)
    t0 = time.time()
    subprocess.run(cmd, check=True)
    log_command(args, cmd, time.time() - t0)


def write_inputs(args):
    """inputs/: image.npy ([H, W, 3] uint8, decoded once by PIL for both sides), poses.npy,
    intrinsics.npy and token_ids.npy."""
    import numpy as np
    from PIL import Image

    inputs = os.path.join(args.out, "inputs")
    os.makedirs(inputs, exist_ok=True)
    image = args.image or os.path.join(args.reference, "examples", "03", "image.jpg")
    action = args.action_dir or os.path.join(args.reference, "examples", "03")
    rgb = np.asarray(Image.open(image).convert("RGB"), dtype=np.uint8)
    np.save(os.path.join(inputs, "image.npy"), np.ascontiguousarray(rgb))
    for name in ("poses.npy", "intrinsics.npy"):
        shutil.copyfile(os.path.join(action, name), os.path.join(inputs, name))
    return inputs


def token_ids(vocab, count):
    import numpy as np

    ids = np.random.RandomState(0).randint(3, vocab, size=count - 1).tolist()
    return ids + [1]  # T5's eos


def step_export(args):
    os.makedirs(args.out, exist_ok=True)
    ckpt = checkpoint_dir(args)
    if args.checkpoint and os.path.isdir(os.path.join(ckpt, "lingbot_world_fast")):
        print(f"using the export in {ckpt}")
        return
    run(args, [args.ablate, "export-checkpoint", "--preset", args.preset, "--weight-seed", str(args.weight_seed),
               "--out", ckpt])


def step_reference(args):
    import numpy as np
    import torch

    from refcheck import reference, stand_ins

    t0 = time.time()
    used = stand_ins.install()
    mods = reference.import_reference(args.reference)
    reference.route_attention(mods, args.attention)
    inputs = write_inputs(args)
    ckpt = checkpoint_dir(args)
    device = torch.device("cuda:0") if args.device.startswith("cuda") else torch.device("cpu")
    pipe, info = reference.build_pipeline(mods, ckpt, args.dtype, device, lambda vocab: token_ids(vocab, args.tokens))
    ids = info["token_ids"]
    np.save(os.path.join(inputs, "token_ids.npy"), np.array(ids, dtype=np.int64))
    built = time.time()
    h, w = (int(v) for v in args.size.split("*"))
    image = np.load(os.path.join(inputs, "image.npy"))
    out = os.path.join(args.out, "reference")
    shutil.rmtree(out, ignore_errors=True)
    reference.run_generate(mods, pipe, image, inputs, h * w, args.frames, args.seed, mods.config.sample_shift, out)
    if device.type == "cuda":
        torch.cuda.synchronize()
    info.update({"stand_ins": used, "torch": torch.__version__, "build_s": built - t0,
                 "generate_s": time.time() - built, "shift": mods.config.sample_shift,
                 "strict_load": "T5EncoderModel, Wan2_1_VAE and WanModelFast.from_pretrained loaded with strict=True"})
    with open(os.path.join(args.out, "reference.json"), "w") as f:
        json.dump(info, f, indent=2)
    log_command(args, [sys.executable] + sys.argv, time.time() - t0)


def step_ablate(args):
    inputs = os.path.join(args.out, "inputs")
    out = os.path.join(args.out, "ablate")
    shutil.rmtree(out, ignore_errors=True)
    cmd = [args.ablate, "generate", "--preset", args.preset, "--device", args.device, "--dtype", args.dtype,
           "--size", args.size, "--frames", str(args.frames), "--seed", str(args.seed),
           "--checkpoint-dir", checkpoint_dir(args), "--image", os.path.join(inputs, "image.npy"),
           "--poses", os.path.join(inputs, "poses.npy"), "--intrinsics", os.path.join(inputs, "intrinsics.npy"),
           "--token-ids", os.path.join(inputs, "token_ids.npy"), "--noise", os.path.join(args.out, "reference"),
           "--dump-intermediates", out, "--json", os.path.join(args.out, "ablate.json")]
    if args.attention != "default":
        cmd += ["--set", f"attention_backend={args.attention}"]
    run(args, cmd)


def step_compare(args):
    from refcheck import compare

    rows = compare.compare(os.path.join(args.out, "reference"), os.path.join(args.out, "ablate"),
                           args.x0_max_abs, args.min_video_psnr)
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump({"rows": rows, "summary": compare.summary(rows)}, f, indent=2)
    ref = {}
    if os.path.exists(os.path.join(args.out, "reference.json")):
        with open(os.path.join(args.out, "reference.json")) as f:
            ref = json.load(f)
    commands = ""
    if os.path.exists(os.path.join(args.out, "commands.log")):
        with open(os.path.join(args.out, "commands.log")) as f:
            commands = f.read()
    title = args.title or f"Reference check: preset {args.preset}, {args.size}, {args.frames} frames, {args.dtype}, " \
                          f"attention {args.attention}, {args.device}"
    text = [f"# {title}", "", compare.summary(rows), "",
            f"Reference: PyTorch {ref.get('torch', '?')}, stand-ins for {', '.join(ref.get('stand_ins', [])) or 'nothing'}; "
            f"checkpoint loaded with the reference's loaders, strict keys ({ref.get('strict_load', '?')}); "
            f"T5 sizes {ref.get('t5_sizes', '?')}, VAE dim {ref.get('vae_dim', '?')}, DiT head nonzero: "
            f"{ref.get('dit_head_nonzero', '?')}; sample_shift {ref.get('shift', '?')}; "
            f"{len(ref.get('token_ids', []))} token ids.", "",
            compare.table(rows), "", "PSNR: 10 log10(peak^2 / MSE), peak = the reference tensor's range (max - min); "
            "the uint8 video row uses peak 255 on round((clamp(x) + 1) * 127.5).", "",
            "Commands (wall seconds):", "", "```", commands.rstrip(), "```", ""]
    with open(os.path.join(args.out, "table.md"), "w") as f:
        f.write("\n".join(text))
    print("\n".join(text))
    return 0 if all(r["ok"] for r in rows) else 1


def step_all(args):
    os.makedirs(args.out, exist_ok=True)
    if os.path.exists(os.path.join(args.out, "commands.log")):
        os.remove(os.path.join(args.out, "commands.log"))
    step_export(args)
    # the reference in its own process: its GPU memory is gone before Ablate starts
    argv = [a for a in sys.argv[1:]]
    run_step = [sys.executable, sys.argv[0], "reference"] + argv[1:]
    print("+", " ".join(shlex.quote(c) for c in run_step), flush=True)
    subprocess.run(run_step, check=True)
    step_ablate(args)
    return step_compare(args)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="step", required=True)
    for name in ("all", "export", "reference", "ablate", "compare"):
        add_common(sub.add_parser(name))
    args = ap.parse_args()
    steps = {"all": step_all, "export": step_export, "reference": step_reference, "ablate": step_ablate,
             "compare": step_compare}
    sys.exit(steps[args.step](args) or 0)


if __name__ == "__main__":
    main()
