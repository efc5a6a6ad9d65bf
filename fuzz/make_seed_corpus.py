#!/usr/bin/env python3
"""Writes the starting seeds of each fuzz target into a folder (default build-fuzz/seeds/<target>/):
small valid files from the repository and a few hand-made variants. scripts/fuzz.sh --merge then
keeps what adds coverage in fuzz/corpus/<target>/. Standard library only (no numpy, no cbor2)."""
import json
import os
import struct
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def cbor(v):
    """A minimal CBOR encoder for JSON values (the *_tree targets read CBOR)."""
    def head(major, n):
        if n < 24:
            return bytes([major << 5 | n])
        for extra, fmt in ((24, ">B"), (25, ">H"), (26, ">I"), (27, ">Q")):
            if n < 1 << (8 * struct.calcsize(fmt)):
                return bytes([major << 5 | extra]) + struct.pack(fmt, n)
        raise ValueError(n)
    if v is None:
        return b"\xf6"
    if v is True:
        return b"\xf5"
    if v is False:
        return b"\xf4"
    if isinstance(v, int):
        return head(0, v) if v >= 0 else head(1, -1 - v)
    if isinstance(v, float):
        return b"\xfb" + struct.pack(">d", v)
    if isinstance(v, str):
        b = v.encode()
        return head(3, len(b)) + b
    if isinstance(v, list):
        return head(4, len(v)) + b"".join(cbor(x) for x in v)
    if isinstance(v, dict):
        return head(5, len(v)) + b"".join(cbor(k) + cbor(x) for k, x in v.items())
    raise TypeError(type(v))


def read(rel):
    with open(os.path.join(ROOT, rel), "rb") as f:
        return f.read()


def safetensors(tensors, metadata=None):
    header, data = {}, b""
    if metadata:
        header["__metadata__"] = metadata
    for name, (dtype, shape, payload) in tensors.items():
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(payload)]}
        data += payload
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    return struct.pack("<Q", len(h)) + h + data


def npy(descr, shape, payload, version=1, fortran=False):
    dims = "".join(f"{d}, " if len(shape) > 1 else f"{d}," for d in shape).rstrip(" ")
    h = f"{{'descr': '{descr}', 'fortran_order': {fortran}, 'shape': ({dims}), }}"
    width = 2 if version == 1 else 4
    h += " " * (-(len(h) + 1 + 8 + width) % 64) + "\n"
    fmt = "<H" if version == 1 else "<I"
    return b"\x93NUMPY" + bytes([version, 0]) + struct.pack(fmt, len(h)) + h.encode() + payload


def seeds():
    specs = {}
    for name in ("tiny-cpu", "ci-check-tiny", "search-1.3b", "shard-1.3b-w2", "factorial-1.3b"):
        specs[name] = json.loads(read(f"experiments/matrices/{name}.json"))
    yield "matrix_spec", {f"{k}.json": json.dumps(v, indent=1).encode() for k, v in specs.items()}
    yield "matrix_spec_tree", {f"{k}.cbor": cbor(v) for k, v in specs.items()}

    base = json.loads(read("baselines/ci-check-tiny.json"))
    one = dict(base, entries=base["entries"][:1])
    e = one["entries"][0]
    e["tiers"] = dict(list(e["tiers"].items())[:3])
    yield "baseline", {"ci-check-tiny-1.json": json.dumps(one).encode(),
                       "empty-entries.json": json.dumps(dict(base, entries=[])).encode()}

    lines = read("reports/runner-gpu/aa-search-1.3b-h100/ledger.jsonl").splitlines(keepends=True)
    records = [json.loads(l) for l in lines[:2]]
    yield "ledger", {"one.jsonl": lines[0], "two.jsonl": b"".join(lines[:2]),
                     "torn.jsonl": lines[0] + lines[1][: len(lines[1]) // 2], "empty.jsonl": b""}
    yield "ledger_record_tree", {f"record{i}.cbor": cbor(r) for i, r in enumerate(records)}

    text = read("EXPERIMENTS.md").decode()
    journal = text[text.index("## Journal"):]
    e1 = journal.index("### E1")
    e2 = journal.index("### E2") if "### E2" in journal else e1 + 600
    yield "journal", {
        "head.md": text[:400].encode() + b"\n## Strategy table\n\n| strategy | values |\n|---|---|\n| a | on |\n\n"
                   + journal[:e1].encode()[:600] + journal[e1:e2].encode()[:1200],
        "empty-journal.md": b"# journal\n\n## Journal\n",
        "no-journal.md": b"# journal\n",
    }

    f32 = struct.pack("<4f", 1, 2, 3, 4)
    yield "safetensors", {
        "two.safetensors": safetensors({"a": ("F32", [2, 2], f32), "b": ("I64", [1], struct.pack("<q", 7))},
                                       {"format": "pt"}),
        "bf16.safetensors": safetensors({"w": ("BF16", [2], b"\x80\x3f\x00\x40"), "e": ("U8", [0], b"")}),
    }
    yield "safetensors_index", {
        "index.json": json.dumps({"metadata": {"total_size": 24}, "weight_map": {
            "a": "model-00001-of-00002.safetensors", "b": "model-00002-of-00002.safetensors"}}).encode(),
        "no-metadata.json": b'{"weight_map": {"x.weight": "m.safetensors"}}',
    }
    yield "npy", {
        "f4.npy": npy("<f4", [2, 2], f32),
        "poses.npy": npy("<f8", [1, 4, 4], struct.pack("<16d", *[1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1])),
        "b1-v2.npy": npy("|b1", [3], b"\x00\x01\x02", version=2),
        "i8-scalar.npy": npy("<i8", [], struct.pack("<q", -3)),
        "fortran.npy": npy("<i4", [1], struct.pack("<i", 5), fortran=True),
    }


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build-fuzz", "seeds")
    for target, files in seeds():
        folder = os.path.join(out, target)
        os.makedirs(folder, exist_ok=True)
        for name, data in files.items():
            with open(os.path.join(folder, name), "wb") as f:
                f.write(data)
        print(f"{target}: {len(files)} seeds, {sum(len(d) for d in files.values())} bytes")


if __name__ == "__main__":
    main()
