"""Per-token diffusion head: a small denoiser that models a continuous value given a hidden state.

Li et al. 2024, "Autoregressive Image Generation without Vector Quantization" (MAR, DiffLoss):
an MLP with adaptive layer norm denoises the target, conditioned on the transformer's hidden
state and the timestep.  Unlike MAR (ε-prediction) the network predicts v = √ᾱ·ε − √(1−ᾱ)·x₀
(Salimans & Ho 2022): x₀ stays well-conditioned at the near-pure-noise end of the cosine
schedule, so few respaced sampling steps suffice for unbounded values.  Shared by UniGenX (numbers in sequences) and MAR-3D.

Anchored values (``anchored``): a value may come with an *anchor* a, a known value it lies close to (an atom's
bonded neighbour already placed).  The head then also runs a *refiner* that sees the noisy value relative to
its anchor, y_t = x_t − √ᾱ_t·a, and adds its prediction to the absolute network's:
v̂ = net(x_t, t, h) + refine(y_t, t, [h, a]).  A precise offset (a bond length to a picometre) is easy to read
from y_t and hard to read from x_t, where it is a small difference of two large positions the hidden state
carries only approximately.  The refiner's output layer starts at zero, so an anchored head made from an
absolute one starts as exactly that head.

Two verbs: ``forward(target, cond, mask, anchor) -> loss`` and ``sample(cond, steps, temperature, anchor) -> x``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn as nn


@dataclass
class DiffusionHeadConfig:
    width: int = 256
    depth: int = 3
    train_steps: int = 1000
    sample_steps: int = 50
    batch_mul: int = 4  # noise draws per target per step (MAR's diffusion_batch_mul)
    anchored: bool = False  # each value comes with an anchor value; a refiner reads the value relative to it
    refine_width: int = 0  # the refiner's width and depth (0: width, depth)
    refine_depth: int = 0


def timestep_embedding(t: torch.Tensor, dim: int, max_period: float = 10000.0) -> torch.Tensor:
    """Sinusoidal embedding of integer timesteps t: (N,) → (N, dim)."""
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, device=t.device, dtype=torch.float32) / half)
    args = t.float()[:, None] * freqs[None]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=-1)


class AdaLNResBlock(nn.Module):
    """h + gate · MLP(LN(h)·(1+scale) + shift), with (shift, scale, gate) from the condition."""

    def __init__(self, width: int) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(width, elementwise_affine=False, eps=1e-6)
        self.mlp = nn.Sequential(nn.Linear(width, width), nn.SiLU(), nn.Linear(width, width))
        self.ada = nn.Sequential(nn.SiLU(), nn.Linear(width, 3 * width))
        nn.init.zeros_(self.ada[1].weight)
        nn.init.zeros_(self.ada[1].bias)

    def forward(self, h: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        shift, scale, gate = self.ada(c).chunk(3, dim=-1)
        return h + gate * self.mlp(self.norm(h) * (1 + scale) + shift)


class Denoiser(nn.Module):
    """v-prediction network: (x_t (N, V), t (N,), cond (N, C)) → v̂ (N, V)."""

    def __init__(self, value_dim: int, cond_dim: int, width: int, depth: int) -> None:
        super().__init__()
        self.inp = nn.Linear(value_dim, width)
        self.t_emb = nn.Sequential(nn.Linear(width, width), nn.SiLU(), nn.Linear(width, width))
        self.c_emb = nn.Linear(cond_dim, width)
        self.blocks = nn.ModuleList(AdaLNResBlock(width) for _ in range(depth))
        self.norm_out = nn.LayerNorm(width, elementwise_affine=False, eps=1e-6)
        self.ada_out = nn.Sequential(nn.SiLU(), nn.Linear(width, 2 * width))
        self.out = nn.Linear(width, value_dim)
        self.width = width
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def forward(self, x: torch.Tensor, t: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        return self.denoise(x, self.embed_time(t) + self.c_emb(cond))

    def embed_time(self, t: torch.Tensor) -> torch.Tensor:
        """Timesteps (N,) → their embeddings (N, W)."""
        return self.t_emb(timestep_embedding(t, self.width))

    def denoise(self, x: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        """x_t (N, V) and the summed embedding c = embed_time(t) + c_emb(cond) (N, W) → v̂ (N, V).  A sampler
        computes both parts of c once (every step's time embedding, every row's condition projection)."""
        h = self.inp(x)
        for blk in self.blocks:
            h = blk(h, c)
        shift, scale = self.ada_out(c).chunk(2, dim=-1)
        return self.out(self.norm_out(h) * (1 + scale) + shift)


def cosine_alphas_cumprod(steps: int, s: float = 0.008) -> torch.Tensor:
    """ᾱ_t of Nichol & Dhariwal's cosine schedule, t = 1..steps, as float64 (steps,)."""
    x = torch.linspace(0, steps, steps + 1, dtype=torch.float64)
    f = torch.cos((x / steps + s) / (1 + s) * math.pi / 2) ** 2
    betas = (1 - f[1:] / f[:-1]).clamp(max=0.999)
    return torch.cumprod(1 - betas, dim=0)


class DiffusionHead(nn.Module):
    """DDPM over a value vector of width ``value_dim`` conditioned on a hidden state of width ``cond_dim``."""

    def __init__(self, value_dim: int, cond_dim: int, cfg: DiffusionHeadConfig | None = None) -> None:
        super().__init__()
        self.cfg = cfg = cfg or DiffusionHeadConfig()
        self.value_dim = value_dim
        self.net = Denoiser(value_dim, cond_dim, cfg.width, cfg.depth)
        if cfg.anchored:
            self.refine = Denoiser(value_dim, cond_dim + value_dim, cfg.refine_width or cfg.width,
                                   cfg.refine_depth or cfg.depth)
        self.register_buffer("acp", cosine_alphas_cumprod(cfg.train_steps).float(), persistent=False)

    def _anchor(self, anchor: torch.Tensor | None, n: int) -> torch.Tensor | None:
        if not self.cfg.anchored:
            return None
        if anchor is None or anchor.shape[0] != n:
            raise ValueError(f"an anchored diffusion head needs one anchor value per row ({n} rows)")
        return anchor.float()

    def velocity(self, x: torch.Tensor, t: torch.Tensor, cond: torch.Tensor,
                 anchor: torch.Tensor | None = None) -> torch.Tensor:
        """v̂ (N, V) for x_t (N, V) at steps t (N,) given cond (N, C) [and anchors (N, V) when ``anchored``]."""
        v = self.net(x, t, cond)
        if anchor is None:
            return v
        y = x - self.acp[t].unsqueeze(-1).sqrt() * anchor
        return v + self.refine(y, t, self._refine_cond(cond, anchor))

    @staticmethod
    def _refine_cond(cond: torch.Tensor, anchor: torch.Tensor) -> torch.Tensor:
        return torch.cat([cond.to(anchor.dtype), anchor], -1)

    def forward(self, target: torch.Tensor, cond: torch.Tensor, mask: torch.Tensor | None = None,
                anchor: torch.Tensor | None = None) -> torch.Tensor:
        """target (N, V), cond (N, C), mask (N,) bool or None, anchor (N, V) when ``anchored`` → scalar v-MSE over
        masked rows."""
        anchor = self._anchor(anchor, target.shape[0])
        if mask is not None:
            target, cond = target[mask], cond[mask]
            anchor = anchor[mask] if anchor is not None else None
        if target.shape[0] == 0:
            return cond.sum() * 0.0
        m = self.cfg.batch_mul
        target, cond = target.repeat(m, 1), cond.repeat(m, 1)
        anchor = anchor.repeat(m, 1) if anchor is not None else None
        t = torch.randint(0, self.cfg.train_steps, (target.shape[0],), device=target.device)
        a = self.acp[t].unsqueeze(-1)
        noise = torch.randn_like(target)
        x_t = a.sqrt() * target + (1 - a).sqrt() * noise
        v = a.sqrt() * noise - (1 - a).sqrt() * target
        return ((self.velocity(x_t, t, cond, anchor).float() - v) ** 2).mean()

    @torch.no_grad()
    def sample(self, cond: torch.Tensor, steps: int | None = None, temperature: float = 1.0,
               generator: torch.Generator | None = None, uncond: torch.Tensor | None = None,
               cfg_scale: float = 1.0, anchor: torch.Tensor | None = None) -> torch.Tensor:
        """cond (N, C) [, anchor (N, V) when ``anchored``] → values (N, V), by ancestral sampling on a respaced
        schedule of ``steps``.  ``temperature`` scales the noise injected at each step (as in MAR).  With ``uncond``
        (N, C) and ``cfg_scale`` ≠ 1, classifier-free guidance: v̂ = v̂_u + cfg_scale · (v̂_c − v̂_u) (MAR's
        DiffLoss CFG)."""
        steps = min(steps or self.cfg.sample_steps, self.cfg.train_steps)
        N, dev = cond.shape[0], cond.device
        anchor = self._anchor(anchor, N)
        ts = torch.linspace(0, self.cfg.train_steps - 1, steps, device=dev).round().long()
        acp = self.acp[ts].double().tolist()
        x = torch.randn(N, self.value_dim, device=dev, generator=generator, dtype=torch.float32)
        guided = uncond is not None and cfg_scale != 1.0
        if guided:  # conditional and unconditional rows in one pass
            cond = torch.cat([cond.float(), uncond.float()])
            anchor = None if anchor is None else anchor.repeat(2, 1)
        cond = cond.float()
        # computed once, as they do not change over the steps: each row's condition projection, and each step's
        # time embedding (one row for all rows)
        net_c, net_t = self.net.c_emb(cond), self.net.embed_time(ts)
        if anchor is not None:
            ref_c, ref_t = self.refine.c_emb(self._refine_cond(cond, anchor)), self.refine.embed_time(ts)
        for i in reversed(range(steps)):
            xi = x.repeat(2, 1) if guided else x
            v = self.net.denoise(xi, net_c + net_t[i])
            if anchor is not None:
                v = v + self.refine.denoise(xi - math.sqrt(acp[i]) * anchor, ref_c + ref_t[i])
            v = v.double()
            if guided:
                vc, vu = v.chunk(2)
                v = vu + cfg_scale * (vc - vu)
            a, a_prev = acp[i], acp[i - 1] if i > 0 else 1.0
            beta = 1 - a / a_prev
            xd = x.double()
            mean = (beta * math.sqrt(a_prev) / (1 - a)) * (math.sqrt(a) * xd - math.sqrt(1 - a) * v) \
                + ((1 - a_prev) * math.sqrt(1 - beta) / (1 - a)) * xd
            if i > 0:
                var = beta * (1 - a_prev) / (1 - a)
                noise = torch.randn(x.shape, device=dev, generator=generator, dtype=torch.float32)
                x = (mean + math.sqrt(var) * temperature * noise.double()).float()
            else:
                x = mean.float()
        return x
