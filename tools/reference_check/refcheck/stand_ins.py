"""Stand-ins for the few third-party names the reference's fast pipeline imports but a machine lacks.

The GPU machine has everything except easydict and diffusers; this machine (Debian's CPU
PyTorch 1.13) also lacks einops, ftfy and transformers, and PyTorch 1.13 has no
F.scaled_dot_product_attention. A stand-in is installed only when the real package cannot be
imported (install() returns the names it stood in for, so a report says what ran).

What each stands in for, and only as far as the fast pipeline uses it:
  easydict      EasyDict: a dict with attribute access (wan/configs).
  diffusers     ConfigMixin + register_to_config (init arguments recorded as .config),
                ModelMixin.from_pretrained (config.json + safetensors, strict keys, as diffusers
                loads a model folder), the scheduler base names, deprecate, is_scipy_available.
  einops        rearrange with named axes, parenthesized groups and literal 1s.
  ftfy          fix_text (identity; the tool gives token ids, the prompt is never cleaned).
  transformers  AutoTokenizer (raises: the tool replaces the reference's tokenizer by fixed ids).
"""
import enum
import functools
import importlib.util
import inspect
import json
import math
import os
import sys
import types
from dataclasses import dataclass

import torch

from . import safetensors_file


def _module(name, **attrs):
    m = types.ModuleType(name)
    m.__dict__.update(attrs)
    m.__reference_check_stand_in__ = True
    sys.modules[name] = m
    return m


# ---- easydict ---------------------------------------------------------------------------------

class EasyDict(dict):
    """dict whose keys are also attributes."""

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError as e:
            raise AttributeError(name) from e

    def __setattr__(self, name, value):
        self[name] = value


# ---- diffusers --------------------------------------------------------------------------------

class FrozenConfig(dict):
    """The recorded init arguments, readable as attributes (model.config.dim)."""

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError as e:
            raise AttributeError(name) from e


class ConfigMixin:
    config_name = "config.json"
    ignore_for_config = []

    def register_to_config(self, **kwargs):
        current = dict(getattr(self, "_internal_dict", {}))
        current.update(kwargs)
        # object.__setattr__: nn.Module's __setattr__ is not ready before Module.__init__
        object.__setattr__(self, "_internal_dict", FrozenConfig(current))

    @property
    def config(self):
        return self._internal_dict


def register_to_config(init):
    """Records the init arguments (defaults filled, ignore_for_config left out) before init runs."""

    @functools.wraps(init)
    def inner(self, *args, **kwargs):
        ignore = set(getattr(self, "ignore_for_config", []))
        params = list(inspect.signature(init).parameters.items())[1:]
        config = {}
        for (name, _), value in zip(params, args):
            config[name] = value
        for name, p in params:
            if name not in config:
                config[name] = kwargs.get(name, p.default)
        ConfigMixin.register_to_config(self, **{k: v for k, v in config.items() if k not in ignore})
        init(self, *args, **kwargs)

    return inner


class ModelMixin(torch.nn.Module, ConfigMixin):
    """from_pretrained as diffusers reads a model folder: config.json (keys of ignore_for_config
    and keys the class does not take are dropped; kwargs win), the weights from
    diffusion_pytorch_model.safetensors or its sharded index, loaded with strict key matching,
    then cast to torch_dtype."""

    @classmethod
    def from_pretrained(cls, path, subfolder=None, torch_dtype=None, **kwargs):
        folder = os.path.join(path, subfolder) if subfolder else path
        with open(os.path.join(folder, cls.config_name)) as f:
            config = json.load(f)
        takes = set(list(inspect.signature(cls.__init__).parameters)[1:])
        ignore = set(getattr(cls, "ignore_for_config", []))
        init = {k: v for k, v in config.items() if k in takes and k not in ignore}
        unknown = sorted(set(kwargs) - takes)
        if unknown:
            raise TypeError(f"{cls.__name__}.from_pretrained: unknown arguments {unknown}")
        init.update(kwargs)
        model = cls(**init)
        state = safetensors_file.load_model_folder(folder, "diffusion_pytorch_model")
        model.load_state_dict(state, strict=True)
        if torch_dtype is not None:
            model = model.to(torch_dtype)
        return model.eval()


class KarrasDiffusionSchedulers(enum.Enum):
    FlowMatchEulerDiscreteScheduler = 1


class SchedulerMixin:
    config_name = "scheduler_config.json"


@dataclass
class SchedulerOutput:
    prev_sample: torch.Tensor


def deprecate(*args, **kwargs):
    return None


def is_scipy_available():
    return importlib.util.find_spec("scipy") is not None


def randn_tensor(shape, generator=None, device=None, dtype=None, layout=None):
    return torch.randn(shape, generator=generator, device=device, dtype=dtype)


def _install_diffusers():
    root = _module("diffusers", ModelMixin=ModelMixin, ConfigMixin=ConfigMixin)
    root.__path__ = []
    root.configuration_utils = _module("diffusers.configuration_utils", ConfigMixin=ConfigMixin,
                                       register_to_config=register_to_config, FrozenDict=FrozenConfig)
    models = _module("diffusers.models", ModelMixin=ModelMixin)
    models.__path__ = []
    root.models = models
    models.modeling_utils = _module("diffusers.models.modeling_utils", ModelMixin=ModelMixin)
    schedulers = _module("diffusers.schedulers")
    schedulers.__path__ = []
    root.schedulers = schedulers
    schedulers.scheduling_utils = _module("diffusers.schedulers.scheduling_utils",
                                          KarrasDiffusionSchedulers=KarrasDiffusionSchedulers,
                                          SchedulerMixin=SchedulerMixin, SchedulerOutput=SchedulerOutput)
    utils = _module("diffusers.utils", deprecate=deprecate, is_scipy_available=is_scipy_available)
    utils.__path__ = []
    root.utils = utils
    utils.torch_utils = _module("diffusers.utils.torch_utils", randn_tensor=randn_tensor)


# ---- einops -----------------------------------------------------------------------------------

def _parse_side(side):
    """'b (f h w) c' -> [['b'], ['f', 'h', 'w'], ['c']]; a literal 1 is an anonymous size-1 axis."""
    groups, current, depth = [], None, 0
    for token in side.replace("(", " ( ").replace(")", " ) ").split():
        if token == "(":
            depth, current = depth + 1, []
        elif token == ")":
            depth -= 1
            groups.append(current)
            current = None
        elif current is not None:
            current.append(token)
        else:
            groups.append([token])
    if depth != 0:
        raise ValueError(f"rearrange: unbalanced parentheses in '{side}'")
    return groups


def rearrange(tensor, pattern, **sizes):
    left, right = (_parse_side(s) for s in pattern.split("->"))
    if len(left) != tensor.dim():
        raise ValueError(f"rearrange '{pattern}': {len(left)} groups for a {tensor.dim()}-d tensor")
    known = dict(sizes)
    names, shape = [], []
    for group, total in zip(left, tensor.shape):
        unknown = [n for n in group if n != "1" and n not in known]
        if len(unknown) > 1:
            raise ValueError(f"rearrange '{pattern}': cannot infer {unknown}")
        fixed = math.prod(1 if n == "1" else known[n] for n in group if n not in unknown)
        if unknown:
            known[unknown[0]] = total // fixed
        for n in group:
            if n != "1":  # a size-1 axis is left out of the elementary shape (same element count)
                names.append(n)
                shape.append(known[n])
    x = tensor.reshape(shape)
    order = [names.index(n) for g in right for n in g if n != "1"]
    x = x.permute(order)
    out = [math.prod(1 if n == "1" else known[n] for n in g) for g in right]
    return x.reshape(out)


# ---- torch 1.13 ---------------------------------------------------------------------------------

def sdpa_math(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None):
    """F.scaled_dot_product_attention's math backend: q and k each scaled by sqrt(scale), softmax
    in the input dtype (PyTorch < 2.0 has no SDPA)."""
    if attn_mask is not None or dropout_p or is_causal:
        raise NotImplementedError("sdpa_math: only the unmasked, dropout-free, non-causal case")
    s = math.sqrt(scale if scale is not None else 1.0 / math.sqrt(query.size(-1)))
    attn = torch.matmul(query * s, key.transpose(-2, -1) * s)
    return torch.matmul(torch.softmax(attn, dim=-1), value)


def _fsdp_importable():
    try:
        import torch.distributed.fsdp  # noqa: F401
        return True
    except Exception:
        for name in [m for m in sys.modules if m.startswith("torch.distributed.fsdp")]:
            del sys.modules[name]
        return False


def install():
    """Installs the stand-ins this machine needs; returns their names."""
    used = []
    if importlib.util.find_spec("easydict") is None:
        _module("easydict", EasyDict=EasyDict)
        used.append("easydict")
    if importlib.util.find_spec("diffusers") is None:
        _install_diffusers()
        used.append("diffusers")
    if importlib.util.find_spec("einops") is None:
        _module("einops", rearrange=rearrange)
        used.append("einops")
    if importlib.util.find_spec("ftfy") is None:
        _module("ftfy", fix_text=lambda text, **kw: text)
        used.append("ftfy")
    if importlib.util.find_spec("transformers") is None:
        class AutoTokenizer:
            @staticmethod
            def from_pretrained(*args, **kwargs):
                raise RuntimeError("reference_check: no tokenizer here; the tool gives token ids")
        _module("transformers", AutoTokenizer=AutoTokenizer)
        used.append("transformers")
    if importlib.util.find_spec("regex") is None:
        import re
        sys.modules["regex"] = re
        used.append("regex")
    if not _fsdp_importable():
        # Debian's PyTorch 1.13 cannot import FSDP on Python 3.11; the single-device run never uses it
        def unavailable(*args, **kwargs):
            raise RuntimeError("reference_check: FSDP is not importable with this PyTorch")
        fsdp = _module("torch.distributed.fsdp", FullyShardedDataParallel=unavailable, MixedPrecision=unavailable,
                       ShardingStrategy=types.SimpleNamespace(FULL_SHARD=None, SHARD_GRAD_OP=None))
        fsdp.__path__ = []
        fsdp.wrap = _module("torch.distributed.fsdp.wrap", lambda_auto_wrap_policy=unavailable)
        used.append("torch.distributed.fsdp (unavailable)")
    import torch.distributed.utils as dist_utils
    if not hasattr(dist_utils, "_free_storage"):
        dist_utils._free_storage = lambda tensor: None
        used.append("torch.distributed.utils._free_storage")
    if not hasattr(torch.nn.functional, "scaled_dot_product_attention"):
        torch.nn.functional.scaled_dot_product_attention = sdpa_math
        used.append("F.scaled_dot_product_attention (math)")
    if not torch.cuda.is_available():
        # t5.py evaluates torch.cuda.current_device() as a default argument at import
        torch.cuda.current_device = lambda: "cpu"
        used.append("torch.cuda.current_device (cpu)")
    return used
