"""Reads .safetensors files (one, or the shards an index names) into a state dict.

The format: an 8-byte little-endian header length, a JSON header {name: {dtype, shape,
data_offsets: [begin, end]}, "__metadata__": {...}}, then the raw little-endian data. Read here
without the safetensors package (absent on the Debian test machine).
"""
import json
import os
import struct

import torch

DTYPES = {
    "F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
    "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8, "U8": torch.uint8,
    "BOOL": torch.bool,
}


def load_file(path):
    """All tensors of one .safetensors file (CPU, the stored dtypes)."""
    out = {}
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
        base = 8 + n
        for name, info in header.items():
            if name == "__metadata__":
                continue
            if info["dtype"] not in DTYPES:
                raise ValueError(f"{path}: tensor {name} has dtype {info['dtype']}, not one of {sorted(DTYPES)}")
            begin, end = info["data_offsets"]
            f.seek(base + begin)
            data = bytearray(f.read(end - begin))
            if len(data) != end - begin:
                raise ValueError(f"{path}: tensor {name} is truncated ({len(data)} of {end - begin} bytes)")
            dtype = DTYPES[info["dtype"]]
            t = torch.frombuffer(data, dtype=dtype) if data else torch.empty(0, dtype=dtype)
            out[name] = t.reshape(info["shape"])
    return out


def load_model_folder(folder, base):
    """<folder>/<base>.safetensors, or every shard that <base>.safetensors.index.json names."""
    index = os.path.join(folder, base + ".safetensors.index.json")
    if os.path.exists(index):
        with open(index) as f:
            weight_map = json.load(f)["weight_map"]
        state = {}
        for shard in sorted(set(weight_map.values())):
            part = load_file(os.path.join(folder, shard))
            for key in part:
                if weight_map.get(key) != shard:
                    raise ValueError(f"{index}: {key} is in {shard} but the index names {weight_map.get(key)}")
            state.update(part)
        missing = sorted(set(weight_map) - set(state))
        if missing:
            raise ValueError(f"{index}: keys named but in no shard: {missing[:5]}")
        return state
    return load_file(os.path.join(folder, base + ".safetensors"))
