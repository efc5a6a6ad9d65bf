#!/usr/bin/env python3
"""Unit tests of the tool's own parts (no reference checkout needed):
  python3 -m unittest discover -s tools/reference_check -p 'test_*.py'
"""
import json
import os
import struct
import sys
import tempfile
import unittest

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from refcheck import compare, safetensors_file, stand_ins  # noqa: E402


def write_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    names = {torch.float32: "F32", torch.bfloat16: "BF16", torch.int64: "I64"}
    for name, t in tensors.items():
        data = t.contiguous().view(torch.uint8).numpy().tobytes() if t.dtype == torch.bfloat16 else t.numpy().tobytes()
        header[name] = {"dtype": names[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header).encode()
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


class RearrangeTest(unittest.TestCase):
    def test_patterns_of_the_fast_pipeline(self):
        z = torch.arange(5 * 16 * 24 * 6).reshape(5, 16, 24, 6)
        a = stand_ins.rearrange(z, "f (h c1) (w c2) c -> (f h w) (c c1 c2)", c1=8, c2=8)
        self.assertTrue(torch.equal(a, z.reshape(5, 2, 8, 3, 8, 6).permute(0, 1, 3, 5, 2, 4).reshape(30, 384)))
        b = stand_ins.rearrange(a[None], "b (f h w) c -> b c f h w", f=5, h=2, w=3)
        self.assertTrue(torch.equal(b, a[None].reshape(1, 5, 2, 3, 384).permute(0, 4, 1, 2, 3)))
        x = torch.arange(6 * 3 * 4 * 4).reshape(1, 6, 3, 4, 4)
        y = stand_ins.rearrange(x, "1 c (f c1) (h c2) (w c3) -> 1 (f h w) (c c1 c2 c3)", c1=1, c2=2, c3=2)
        ref = x.reshape(1, 6, 3, 1, 2, 2, 2, 2).permute(0, 2, 4, 6, 1, 3, 5, 7).reshape(1, 12, 24)
        self.assertTrue(torch.equal(y, ref))
        v = torch.randn(2, 3, 4, 5, 6)
        bt = stand_ins.rearrange(v, "b c t h w -> (b t) c h w")
        self.assertTrue(torch.equal(bt, v.permute(0, 2, 1, 3, 4).reshape(8, 3, 5, 6)))
        self.assertTrue(torch.equal(stand_ins.rearrange(bt, "(b t) c h w-> b c t h w", t=4), v))


class ConfigTest(unittest.TestCase):
    def test_register_to_config_records_defaults_and_skips_ignored(self):
        class M(stand_ins.ModelMixin):
            ignore_for_config = ["text_dim"]

            @stand_ins.register_to_config
            def __init__(self, dim=4, text_dim=8, layers=2):
                super().__init__()
                self.lin = torch.nn.Linear(text_dim, dim)

        m = M(6, layers=3)
        self.assertEqual(dict(m.config), {"dim": 6, "layers": 3})
        self.assertEqual(m.config.dim, 6)


class SafetensorsTest(unittest.TestCase):
    def test_sharded_folder_reads_back_every_tensor(self):
        a = torch.randn(3, 4).to(torch.bfloat16)
        b = torch.arange(6, dtype=torch.float32).reshape(2, 3)
        c = torch.tensor([7, -1], dtype=torch.int64)
        with tempfile.TemporaryDirectory() as d:
            write_safetensors(os.path.join(d, "m-00001-of-00002.safetensors"), {"a": a, "b": b})
            write_safetensors(os.path.join(d, "m-00002-of-00002.safetensors"), {"c": c})
            with open(os.path.join(d, "m.safetensors.index.json"), "w") as f:
                json.dump({"metadata": {}, "weight_map": {"a": "m-00001-of-00002.safetensors",
                                                          "b": "m-00001-of-00002.safetensors",
                                                          "c": "m-00002-of-00002.safetensors"}}, f)
            state = safetensors_file.load_model_folder(d, "m")
        self.assertEqual(sorted(state), ["a", "b", "c"])
        self.assertEqual(state["a"].dtype, torch.bfloat16)
        self.assertTrue(torch.equal(state["a"], a))
        self.assertTrue(torch.equal(state["b"], b))
        self.assertTrue(torch.equal(state["c"], c))


class CompareTest(unittest.TestCase):
    def test_rows_bounds_and_psnr(self):
        with tempfile.TemporaryDirectory() as d:
            ref, got = os.path.join(d, "ref"), os.path.join(d, "got")
            os.makedirs(ref)
            os.makedirs(got)
            x = np.linspace(-1, 1, 100, dtype=np.float32).reshape(4, 25)
            for folder, delta in ((ref, 0.0), (got, 0.01)):
                np.save(os.path.join(folder, "text_embedding.npy"), x)
                np.save(os.path.join(folder, "x0_c0_s0.npy"), x + delta)
                np.save(os.path.join(folder, "x0_c1_s0.npy"), x)
                np.save(os.path.join(folder, "x0_c0_s1.npy"), x)
            rows = {r["component"]: r for r in compare.compare(ref, got, x0_max_abs=1e-3)}
        self.assertEqual(rows["text embedding"]["max_abs"], 0.0)
        self.assertEqual(rows["text embedding"]["psnr_db"], float("inf"))
        r = rows["x0 chunk 0 step 0"]
        self.assertAlmostEqual(r["max_abs"], 0.01, places=6)
        self.assertAlmostEqual(r["psnr_db"], 20 * np.log10(2.0 / 0.01), places=3)  # range 2, error 0.01
        self.assertFalse(r["ok"])
        self.assertTrue(rows["x0 chunk 1 step 0"]["ok"])
        self.assertEqual(rows["first-frame latent"]["missing"], "reference")
        names = [r["component"] for r in compare.compare(ref_dir="/nonexistent", ablate_dir="/nonexistent")]
        self.assertEqual(names[:4], ["text embedding", "first-frame latent", "initial noise", "first DiT forward"])


if __name__ == "__main__":
    unittest.main()
