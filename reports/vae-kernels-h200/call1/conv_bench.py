# exploratory: the VAE decoder's causal 3x3x3 convs at 1.3b (464x832), per decoded latent frame,
# as cuDNN conv3d (NCDHW, NDHWC) and as conv2d over temporally stacked taps; bf16
import torch, time
torch.backends.cudnn.benchmark = True
dev = "cuda"
def bench(f, n=20):
    for _ in range(3): f()
    torch.cuda.synchronize(); s = torch.cuda.Event(enable_timing=True); e = torch.cuda.Event(enable_timing=True)
    s.record()
    for _ in range(n): f()
    e.record(); torch.cuda.synchronize(); return s.elapsed_time(e) / n
shapes = [  # (name, C_in, C_out, T_out, H, W)
    ("lowres 384", 384, 384, 1, 58, 104), ("q 384", 384, 384, 2, 116, 208), ("half 192", 192, 192, 4, 232, 416),
    ("full 96", 96, 96, 4, 464, 832), ("head 96->3", 96, 3, 4, 464, 832)]
tot = {}
for name, ci, co, t, h, w in shapes:
    x = torch.randn(1, ci, t + 2, h + 2, w + 2, device=dev, dtype=torch.bfloat16)  # cache + padded
    wt = torch.randn(co, ci, 3, 3, 3, device=dev, dtype=torch.bfloat16) * 0.02
    b = torch.zeros(co, device=dev, dtype=torch.bfloat16)
    xcl = x.contiguous(memory_format=torch.channels_last_3d); wcl = wt.contiguous(memory_format=torch.channels_last_3d)
    xr = torch.randn(1, ci, t + 2, h, w, device=dev, dtype=torch.bfloat16).contiguous(memory_format=torch.channels_last_3d)
    flops = 2 * 27 * ci * co * t * h * w
    r = {}
    r["conv3d ncdhw"] = bench(lambda: torch.nn.functional.conv3d(x, wt, b))
    r["conv3d ndhwc"] = bench(lambda: torch.nn.functional.conv3d(xcl, wcl, b))
    r["conv3d ndhwc pad(0,1,1)"] = bench(lambda: torch.nn.functional.conv3d(xr, wcl, b, padding=(0, 1, 1)))
    # conv2d over stacked taps: frames [t, t+1, t+2] concatenated on channels (a copy), one conv2d
    w2 = torch.cat([wt[:, :, k] for k in range(3)], 1).contiguous(memory_format=torch.channels_last)
    xf = xr[0].permute(1, 0, 2, 3)  # [T+2, C, H, W], channels-last strides
    def stacked():
        s = torch.cat([xf[k:k + t] for k in range(3)], 1)
        return torch.nn.functional.conv2d(s, w2, b, padding=1)
    r["conv2d taps-stacked"] = bench(stacked)
    # three conv2d over shifted frames, accumulated
    w3 = [wt[:, :, k].contiguous(memory_format=torch.channels_last) for k in range(3)]
    def summed():
        o = torch.nn.functional.conv2d(xf[0:t], w3[0], b, padding=1)
        o = o + torch.nn.functional.conv2d(xf[1:t + 1], w3[1], None, padding=1)
        return o + torch.nn.functional.conv2d(xf[2:t + 2], w3[2], None, padding=1)
    r["3x conv2d summed"] = bench(summed)
    # the exact cost of the copies the core makes before each conv (cat cache + pad)
    c = xr[:, :, :2].clone(); xi = xr[:, :, 2:].clone()
    r["core cat+pad copies"] = bench(lambda: torch.nn.functional.pad(torch.cat([c, xi], 2), (1, 1, 1, 1, 0, 0)))
    for k, v in r.items():
        tot[k] = tot.get(k, 0) + v
        print(f"{name:12s} {k:26s} {v:8.3f} ms  {flops / v / 1e9:7.1f} TF/s")
print({k: round(v, 3) for k, v in tot.items()})
