"""Compares the reference's and Ablate's dumps (the same .npy names) as a Markdown table.

Per component: the shape, max |diff|, max |reference| and PSNR = 10 log10(peak^2 / MSE) with peak
the reference tensor's range (max - min); the video also as uint8 frames (round((clamp(x, -1, 1)
+ 1) * 127.5), half to even, Ablate's MD5 layout) with peak 255. A row fails when it exceeds the
bound given for it (x0 max |diff|, video uint8 PSNR); rows without a bound are informative.
"""
import glob
import math
import os
import re

import numpy as np


def load(folder, name):
    path = os.path.join(folder, name + ".npy")
    return np.load(path) if os.path.exists(path) else None


def to_uint8(video):
    return np.rint((np.clip(video.astype(np.float64), -1, 1) + 1) * 127.5).astype(np.uint8)


def stats(ref, got, peak=None):
    if ref is None or got is None:
        return {"missing": "reference" if ref is None else "ablate"}
    if ref.shape != got.shape:
        return {"shape_ref": list(ref.shape), "shape_ablate": list(got.shape)}
    r, g = ref.astype(np.float64), got.astype(np.float64)
    diff = np.abs(r - g)
    mse = float(np.mean(diff ** 2))
    if peak is None:
        peak = float(r.max() - r.min()) if r.size else 0.0
    psnr = math.inf if mse == 0 else (10 * math.log10(peak * peak / mse) if peak > 0 else -math.inf)
    return {"shape": list(ref.shape), "max_abs": float(diff.max()) if diff.size else 0.0,
            "ref_max_abs": float(np.abs(r).max()) if r.size else 0.0, "psnr_db": psnr, "mse": mse}


def step_names(folder):
    """x0_c<c>_s<s> names in chunk-major order."""
    names = [os.path.basename(p)[:-4] for p in glob.glob(os.path.join(folder, "x0_c*_s*.npy"))]

    def key(n):
        c, s = re.match(r"x0_c(\d+)_s(\d+)$", n).groups()
        return int(c), int(s)

    return sorted(names, key=key)


def compare(ref_dir, ablate_dir, x0_max_abs=None, min_video_psnr=None):
    """Rows [{component, ..., bound, ok}] in pipeline order."""
    rows = []

    def add(component, name, note, peak=None, bound=None, transform=None):
        ref, got = load(ref_dir, name), load(ablate_dir, name)
        if transform is not None and ref is not None and got is not None:
            ref, got = transform(ref), transform(got)
        row = {"component": component, "file": name, "note": note, **stats(ref, got, peak)}
        ok = "max_abs" in row
        if ok and bound is not None:
            kind, value = bound
            row["bound"] = f"max abs <= {value:g}" if kind == "max_abs" else f"PSNR >= {value:g} dB"
            ok = row["max_abs"] <= value if kind == "max_abs" else row["psnr_db"] >= value
        row["ok"] = ok
        rows.append(row)

    add("text embedding", "text_embedding", "T5 output [len, dim]")
    add("first-frame latent", "first_frame_latent", "VAE encode of image + zero frames")
    add("initial noise", "noise_initial", "fed to Ablate from the reference (--noise): must be 0")
    add("first DiT forward", "dit_output_c0_s0", "flow prediction, chunk 0 step 0")
    x0_bound = ("max_abs", x0_max_abs) if x0_max_abs is not None else None
    for name in step_names(ref_dir):
        c, s = re.match(r"x0_c(\d+)_s(\d+)$", name).groups()
        add(f"x0 chunk {c} step {s}", name, "", bound=x0_bound)
    add("denoised latents", "latents", "x0 of every chunk's last step")
    add("video (float)", "video", "[3, F, H, W] in [-1, 1]")
    video_bound = ("psnr", min_video_psnr) if min_video_psnr is not None else None
    add("video (uint8)", "video", "Ablate's MD5 frames, peak 255", peak=255.0, bound=video_bound, transform=to_uint8)
    return rows


def fmt(v, spec):
    if isinstance(v, float) and math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return format(v, spec)


def table(rows):
    out = ["| component | shape | max abs diff | max abs ref | PSNR (dB) | bound | result |",
           "|---|---|---:|---:|---:|---|---|"]
    for r in rows:
        if "missing" in r:
            out.append(f"| {r['component']} | - | - | - | - | {r.get('bound', '')} | MISSING in {r['missing']} |")
            continue
        if "shape_ref" in r:
            out.append(f"| {r['component']} | ref {r['shape_ref']} vs ablate {r['shape_ablate']} | - | - | - | "
                       f"{r.get('bound', '')} | SHAPE MISMATCH |")
            continue
        result = "pass" if r["ok"] and "bound" in r else ("FAIL" if not r["ok"] else "")
        out.append(f"| {r['component']} | {'x'.join(map(str, r['shape']))} | {fmt(r['max_abs'], '.3e')} | "
                   f"{fmt(r['ref_max_abs'], '.3g')} | {fmt(r['psnr_db'], '.2f')} | {r.get('bound', '')} | {result} |")
    return "\n".join(out) + "\n"


def summary(rows):
    """One line: whether every bounded row passed, and the first row over its bound."""
    bounded = [r for r in rows if "bound" in r]
    failed = [r for r in rows if not r["ok"]]
    if not failed:
        return f"PASS: all {len(bounded)} bounded rows within their bounds"
    return f"FAIL: {len(failed)} rows out of bounds or missing; first: {failed[0]['component']}"
