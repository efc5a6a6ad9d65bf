"""The reference's fast pipeline (prashant182/lingbot-world, wan/image2video_fast.py WanI2VFast)
built from a checkpoint folder in its layout, with the reference's own loaders, and run through its
own generate() with hooks that record what `ablate generate --dump-intermediates` writes.

Nothing of the reference is edited or copied: its modules are imported from the checkout given,
and the tool only replaces names at run time (monkeypatching):
  * the package __init__ files are skipped (they import the non-fast pipeline: cv2, the HF
    tokenizer); the fast modules are imported by name;
  * attention: model_fast's `attention` / `flash_attention` (and sequence_parallel's) become one
    F.scaled_dot_product_attention call in the inputs' dtype, under the SDPA backend asked for
    (flash_attn is not installed where this runs); flash_attention's cast of fp32 inputs to bf16 is
    not reproduced, so that a forced-fp32 run stays fp32;
  * the tokenizer: T5EncoderModel's HuggingfaceTokenizer returns the given token ids;
  * model sizes other than umt5-xxl / Wan2.1's VAE (the tiny preset): umt5_xxl() and _video_vae()
    get the sizes read from the checkpoint's tensors; the DiT's text_dim (an ignore_for_config key,
    so always 4096 from config.json) is passed to from_pretrained when the T5 is narrower.
WanI2VFast.__init__ hard-codes cuda:<id> and the full-size T5, so the tool assembles the same
object (the attributes __init__ sets) from the same loaders: T5EncoderModel, Wan2_1_VAE,
WanModelFast.from_pretrained, _configure_model and FlowUniPCMultistepScheduler.
"""
import contextlib
import functools
import importlib
import os
import sys
import types

import numpy as np
import torch

FAST_PACKAGES = ["wan", "wan.modules", "wan.utils", "wan.distributed", "wan.configs"]
UMT5_XXL = dict(vocab_size=256384, dim=4096, dim_attn=4096, dim_ffn=10240, num_heads=64, encoder_layers=24,
                num_buckets=32)
WAN21_VAE_DIM = 96


def import_reference(ref_dir):
    """The reference's fast modules from the checkout at ref_dir."""
    ref_dir = os.path.abspath(ref_dir)
    if not os.path.isfile(os.path.join(ref_dir, "wan", "image2video_fast.py")):
        raise SystemExit(f"reference_check: {ref_dir} is not a lingbot-world checkout (no wan/image2video_fast.py)")
    for name in FAST_PACKAGES:
        pkg = types.ModuleType(name)
        pkg.__path__ = [os.path.join(ref_dir, *name.split("."))]
        sys.modules[name] = pkg
    if ref_dir not in sys.path:
        sys.path.insert(0, ref_dir)
    return types.SimpleNamespace(
        i2v=importlib.import_module("wan.image2video_fast"),
        model_fast=importlib.import_module("wan.modules.model_fast"),
        t5=importlib.import_module("wan.modules.t5"),
        vae=importlib.import_module("wan.modules.vae2_1"),
        sequence_parallel=importlib.import_module("wan.distributed.sequence_parallel"),
        fsdp=importlib.import_module("wan.distributed.fsdp"),
        config=importlib.import_module("wan.configs.wan_i2v_A14B").i2v_A14B,
    )


# ---- attention ---------------------------------------------------------------------------------

def sdpa_backend(name):
    """A context that restricts SDPA to one backend ('default': no restriction)."""
    if name == "default":
        return contextlib.nullcontext()
    try:
        attention = importlib.import_module("torch.nn.attention")  # PyTorch >= 2.3
    except ImportError:
        attention = None
    if attention is not None and hasattr(attention, "sdpa_kernel"):
        b = attention.SDPBackend
        return attention.sdpa_kernel({"math": b.MATH, "flash": b.FLASH_ATTENTION, "efficient": b.EFFICIENT_ATTENTION,
                                      "cudnn": b.CUDNN_ATTENTION}[name])
    if name == "math" and not torch.cuda.is_available():
        return contextlib.nullcontext()  # PyTorch < 2 on the CPU: the stand-in is the math backend
    raise SystemExit(f"reference_check: SDPA backend '{name}' needs torch.nn.attention.sdpa_kernel")


def sdpa_attention(q, k, v, q_lens=None, k_lens=None, dropout_p=0.0, softmax_scale=None, q_scale=None,
                   causal=False, window_size=(-1, -1), deterministic=False, dtype=None, version=None,
                   fa_version=None, backend="default"):
    """flash_attention's contract ([B, L, N, C] in and out, default scale 1/sqrt(C)) on SDPA."""
    if q_lens is not None or k_lens is not None or q_scale is not None or causal or dropout_p or \
            tuple(window_size) != (-1, -1):
        raise NotImplementedError("reference_check: the fast pipeline's attention is unmasked and non-causal")
    out_dtype = q.dtype
    q, k = q.to(v.dtype), k.to(v.dtype)  # as flash_attention does
    q, k, v = (x.transpose(1, 2) for x in (q, k, v))
    kwargs = {} if softmax_scale is None else {"scale": softmax_scale}
    with sdpa_backend(backend):
        x = torch.nn.functional.scaled_dot_product_attention(q, k, v, **kwargs)
    return x.transpose(1, 2).contiguous().type(out_dtype)


def route_attention(mods, backend):
    fn = functools.partial(sdpa_attention, backend=backend)
    mods.model_fast.attention = fn
    mods.model_fast.flash_attention = fn
    mods.sequence_parallel.flash_attention = fn


# ---- loading ---------------------------------------------------------------------------------------

def torch_load(path):
    """torch.load as the reference calls it, memory-mapped where this PyTorch can (a shape probe)."""
    try:
        return torch.load(path, map_location="cpu", mmap=True, weights_only=True)
    except Exception:  # PyTorch < 2.1 has no mmap; an archive that cannot be mapped is read whole
        return torch.load(path, map_location="cpu", weights_only=True)


def t5_sizes(state):
    """umt5_xxl() keyword arguments that describe the encoder whose state dict this is."""
    layers = len({k.split(".")[1] for k in state if k.startswith("blocks.")})
    return dict(vocab_size=state["token_embedding.weight"].shape[0], dim=state["token_embedding.weight"].shape[1],
                dim_attn=state["blocks.0.attn.q.weight"].shape[0], dim_ffn=state["blocks.0.ffn.fc1.weight"].shape[0],
                num_heads=state["blocks.0.pos_embedding.embedding.weight"].shape[1], encoder_layers=layers,
                num_buckets=state["blocks.0.pos_embedding.embedding.weight"].shape[0])


def fixed_ids_tokenizer(ids):
    """A HuggingfaceTokenizer stand-in that returns `ids` (the real tokens, eos included) padded
    with 0 to seq_len, and their mask."""

    class FixedIdsTokenizer:
        def __init__(self, name=None, seq_len=512, clean=None, **kwargs):
            self.seq_len = seq_len

        def __call__(self, sequence, return_mask=False, add_special_tokens=True, **kwargs):
            n = len(ids)
            out = torch.zeros(1, self.seq_len, dtype=torch.long)
            out[0, :n] = torch.tensor(ids, dtype=torch.long)
            mask = torch.zeros(1, self.seq_len, dtype=torch.long)
            mask[0, :n] = 1
            return (out, mask) if return_mask else out

    return FixedIdsTokenizer


@contextlib.contextmanager
def patched(obj, name, value):
    old = getattr(obj, name)
    setattr(obj, name, value)
    try:
        yield
    finally:
        setattr(obj, name, old)


@contextlib.contextmanager
def skip_parameter_init(mods):
    """Constructors skip their random init (every parameter is then loaded with strict=True, so
    nothing of it survives); at 1.3b this saves a minute of CPU time on 5.7 B T5 weights."""
    layers = [torch.nn.Linear, torch.nn.Embedding, torch.nn.Conv2d, torch.nn.Conv3d, torch.nn.LayerNorm]
    with contextlib.ExitStack() as stack:
        for cls in layers:
            stack.enter_context(patched(cls, "reset_parameters", lambda self: None))
        stack.enter_context(patched(mods.t5, "init_weights", lambda m: None))
        stack.enter_context(patched(mods.model_fast.WanModelFast, "init_weights", lambda self: None))
        yield


@contextlib.contextmanager
def old_torch_compat(mods):
    """PyTorch < 2.1 (the CPU test machine): `with torch.device(...)` and load_state_dict(assign=True)
    do not exist. _t5 then builds on the CPU; _video_vae builds on the CPU and loads strictly (the
    same values: assign=True only keeps the stored fp32 dtype, the module's own)."""
    if hasattr(torch.device("cpu"), "__enter__"):
        yield
        return

    class TorchWithoutDeviceContext:
        def __getattr__(self, name):
            if name == "device":
                return lambda *a, **k: contextlib.nullcontext()
            return getattr(torch, name)

    def video_vae_without_meta(pretrained_path=None, z_dim=None, device="cpu", **kwargs):
        cfg = dict(dim=WAN21_VAE_DIM, z_dim=z_dim, dim_mult=[1, 2, 4, 4], num_res_blocks=2, attn_scales=[],
                   temperal_downsample=[False, True, True], dropout=0.0)
        cfg.update(**kwargs)
        model = mods.vae.WanVAE_(**cfg)
        model.load_state_dict(torch.load(pretrained_path, map_location=device), strict=True)
        return model

    with patched(mods.t5, "torch", TorchWithoutDeviceContext()), patched(mods.vae, "_video_vae", video_vae_without_meta):
        yield


def build_pipeline(mods, ckpt_dir, dtype, device, token_ids, rank=0, use_sp=False, dit_fsdp=False):
    """WanI2VFast with the checkpoint's weights: dtype 'bf16' (the reference's dtypes) or 'fp32'
    (T5, DiT, autocast and KV caches all float32; the VAE is float32 either way). token_ids: the
    prompt's ids, or a function of the T5's vocabulary size that gives them. Returns the pipeline
    and what was loaded (sizes, whether the DiT head is nonzero, the token ids)."""
    cfg = mods.config
    t5_path = os.path.join(ckpt_dir, cfg.t5_checkpoint)
    vae_path = os.path.join(ckpt_dir, cfg.vae_checkpoint)
    t5_state = torch_load(t5_path)
    sizes = t5_sizes(t5_state)
    if callable(token_ids):  # ids that depend on the vocabulary: read the T5 file once
        token_ids = token_ids(sizes["vocab_size"])
    vae_dim = torch_load(vae_path)["encoder.conv1.weight"].shape[0]
    del t5_state
    fp32 = dtype == "fp32"
    t5_dtype = torch.float32 if fp32 else cfg.t5_dtype
    param_dtype = torch.float32 if fp32 else cfg.param_dtype

    pipe = mods.i2v.WanI2VFast.__new__(mods.i2v.WanI2VFast)
    pipe.device, pipe.config, pipe.rank, pipe.t5_cpu, pipe.init_on_cpu = device, cfg, rank, False, True
    pipe.num_train_timesteps, pipe.boundary = cfg.num_train_timesteps, cfg.boundary
    pipe.param_dtype, pipe.pipe_dtype = param_dtype, param_dtype
    pipe.local_attn_size, pipe.sink_size, pipe.control_type = -1, 0, "cam"
    umt5 = mods.t5.umt5_xxl
    overrides = {k: v for k, v in sizes.items() if UMT5_XXL[k] != v}
    orig_video_vae = mods.vae._video_vae
    with contextlib.ExitStack() as stack:
        stack.enter_context(skip_parameter_init(mods))
        stack.enter_context(old_torch_compat(mods))
        stack.enter_context(patched(mods.t5, "HuggingfaceTokenizer", fixed_ids_tokenizer(token_ids)))
        stack.enter_context(patched(mods.t5, "umt5_xxl", lambda **kw: umt5(**{**overrides, **kw})))
        if vae_dim != WAN21_VAE_DIM:
            video_vae = mods.vae._video_vae  # the compat one on old PyTorch
            stack.enter_context(patched(mods.vae, "_video_vae", lambda **kw: video_vae(dim=vae_dim, **kw)))
        shard_fn = functools.partial(mods.fsdp.shard_model, device_id=device.index) if dit_fsdp else None
        pipe.text_encoder = mods.t5.T5EncoderModel(
            text_len=cfg.text_len, dtype=t5_dtype, device=torch.device("cpu"), checkpoint_path=t5_path,
            tokenizer_path=os.path.join(ckpt_dir, cfg.t5_tokenizer), shard_fn=None)
        pipe.vae_stride, pipe.patch_size = cfg.vae_stride, cfg.patch_size
        pipe.vae = mods.vae.Wan2_1_VAE(vae_pth=vae_path, device=device)
        extra = {} if sizes["dim"] == 4096 else {"text_dim": sizes["dim"]}
        model = mods.model_fast.WanModelFast.from_pretrained(
            ckpt_dir, subfolder=cfg.fast_noise_checkpoint, torch_dtype=param_dtype, control_type="cam",
            local_attn_size=-1, sink_size=0, **extra)
    assert mods.vae._video_vae is orig_video_vae
    # read before FSDP wrapping: FSDP frees the original parameters' storage (reading it faults)
    head = model.head.head.weight if hasattr(model, "head") else None
    head_nonzero = bool(head is not None and head.detach().float().abs().sum().item() > 0)
    pipe.model = pipe._configure_model(model=model, use_sp=use_sp, dit_fsdp=dit_fsdp, shard_fn=shard_fn,
                                       convert_model_dtype=False).to(device)
    pipe.scheduler = mods.i2v.FlowUniPCMultistepScheduler(num_train_timesteps=pipe.num_train_timesteps, shift=1,
                                                          use_dynamic_shifting=False)
    pipe.sp_size = torch.distributed.get_world_size() if use_sp else 1
    pipe.sample_neg_prompt = cfg.sample_neg_prompt
    pipe._t5_cache = {}
    pipe._cross_attn_initialized = False
    return pipe, {"t5_sizes": sizes, "vae_dim": int(vae_dim), "token_ids": list(token_ids),
                  "dit_head_nonzero": head_nonzero}


# ---- running ---------------------------------------------------------------------------------------

class TorchRecordingRandn:
    """The torch module as image2video_fast sees it, with every seeded randn recorded."""

    def __init__(self, record):
        self._record = record

    def __getattr__(self, name):
        return getattr(torch, name)

    def randn(self, *args, **kwargs):
        out = torch.randn(*args, **kwargs)
        if kwargs.get("generator") is not None:
            self._record(out)
        return out


class TextEncoderRecorder:
    """pipe.text_encoder with its output recorded."""

    def __init__(self, inner, record):
        self._inner, self._record = inner, record

    @property
    def model(self):
        return self._inner.model

    def __call__(self, texts, device):
        out = self._inner(texts, device)
        self._record(out[0])
        return out


def save(out_dir, name, tensor):
    np.save(os.path.join(out_dir, name + ".npy"), tensor.detach().float().cpu().contiguous().numpy())


def run_generate(mods, pipe, image_rgb, action_dir, max_area, frames, seed, shift, out_dir, prompt="reference check"):
    """pipe.generate() on one image and action folder; writes noise_initial, noise_c<c>_s<s>,
    text_embedding, first_frame_latent, dit_output_c<c>_s<s>, x0_c<c>_s<s>, latents and video
    (.npy, float32) to out_dir. Returns the video [3, F, H, W]."""
    from PIL import Image

    os.makedirs(out_dir, exist_ok=True)
    steps, chunk_size = 4, 3
    draws, forwards, x0s = [], [], []

    def on_noise(t):
        if not draws:
            save(out_dir, "noise_initial", t)
        else:
            k = len(draws) - 1
            save(out_dir, f"noise_c{k // (steps - 1)}_s{k % (steps - 1)}", t)
        draws.append(1)

    def on_forward(module, args, output):
        k = len(forwards)
        forwards.append(1)
        if k % (steps + 1) < steps:  # the last forward of a chunk is the cache refresh
            save(out_dir, f"dit_output_c{k // (steps + 1)}_s{k % (steps + 1)}", output[0])

    convert = pipe._convert_flow_pred_to_x0

    def on_x0(*args, **kwargs):
        x0 = convert(*args, **kwargs)
        k = len(x0s)
        x0s.append(x0)
        save(out_dir, f"x0_c{k // steps}_s{k % steps}", x0)
        return x0

    encode = pipe.vae.encode

    def on_encode(videos):
        out = encode(videos)
        save(out_dir, "first_frame_latent", out[0])
        return out

    hook = pipe.model.register_forward_hook(on_forward)
    text_encoder = pipe.text_encoder
    pipe.text_encoder = TextEncoderRecorder(text_encoder, lambda t: save(out_dir, "text_embedding", t))
    pipe._convert_flow_pred_to_x0 = on_x0
    pipe.vae.encode = on_encode
    try:
        with patched(mods.i2v, "torch", TorchRecordingRandn(on_noise)):
            video = pipe.generate(prompt, Image.fromarray(image_rgb), action_path=action_dir, chunk_size=chunk_size,
                                  max_area=max_area, frame_num=frames, shift=shift, seed=seed, offload_model=False)
    finally:
        hook.remove()
        pipe.text_encoder = text_encoder
        del pipe._convert_flow_pred_to_x0
        del pipe.vae.encode
    finals = [x for i, x in enumerate(x0s) if i % steps == steps - 1]
    save(out_dir, "latents", torch.cat(finals, dim=1))
    if video is not None:
        save(out_dir, "video", video)
    return video
