"""MAR-3D: a cascaded masked autoregressive transformer with a per-token diffusion loss over continuous
latent token sets.

Liu et al. 2025, "MAR-3D: Progressive Masked Auto-regressor for High-Resolution 3D Generation"; MAR
(Li et al. 2024, "Autoregressive Image Generation without Vector Quantization").  A shape is two sets of
continuous latent tokens from :class:`~sciGen.tokenizers.vecset_vae.VecSetVAE`: L_lo low-resolution and
L_hi high-resolution tokens.  Each stage is a bidirectional transformer over [context, tokens], where the
unknown tokens are a learned mask embedding; its output z_i at each masked position conditions the shared
:class:`~sciGen.nn.diffusion_head.DiffusionHead` that models the token's value (no vector quantization).

- Training: a random fraction of the tokens is masked (ratio ~ truncated N(1, 0.25) on [0.7, 1], as
  MAR) and the diffusion loss is taken on the masked tokens.  The category is dropped to the
  unconditional token with probability ``cond_drop`` (classifier-free guidance).
- Sampling: random order, iterative: at step k of K the first ⌊L·cos(π/2 · k/K)⌋ tokens of the order stay
  masked and the others so far unknown are drawn by the diffusion head (cosine schedule); guidance mixes
  the head's conditional and unconditional predictions.
- Cascade: the high-resolution stage's context is the category and the low-resolution tokens, noised in
  training to a random level σ ∈ [0, aug_max] (x̃ = √(1−σ²)·x + σ·ε, σ embedded; *condition
  augmentation*), so at sampling it tolerates the low stage's own errors (σ = aug_sample there).

Latents are divided by the training data's standard deviation per level (``scale_low``, ``scale_high``).
Batches (dicts): ``cond`` (B,) condition vocabulary ids, ``low`` (B, L_lo, V), ``high`` (B, L_hi, V).
Samples are Sequences [condition, <lat> × L] with the latents as ``values`` (L = L_hi, or L_lo for
``stage="low"``: the low-resolution stage alone).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
import torch.nn as nn

from sciGen.config import from_dict
from sciGen.data import Sequence
from sciGen.generators.conditions import condition_ids, condition_lut
from sciGen.generators.loss_steps import LossSteps
from sciGen.generators.optim import OptimConfig
from sciGen.nn.diffusion_head import DiffusionHead, DiffusionHeadConfig, timestep_embedding
from sciGen.nn.point_encoder import SetTransformer
from sciGen.nn.trainable import Trainable


@dataclass
class MAR3DConfig:
    vocab_size: int
    latent_id: int  # vocabulary id of the latent slot token
    cond_ids: list[int]  # vocabulary ids of the condition tokens; cond_ids[0] is "unconditional"
    latent_dim: int
    n_low: int
    n_high: int
    scale_low: float = 1.0
    scale_high: float = 1.0
    pad_id: int = 0
    bos_id: int = 1
    eos_id: int = 2
    d_model: int = 192
    n_layers: int = 4
    n_heads: int = 6
    d_ff: int = 768
    cond_drop: float = 0.1
    mask_min: float = 0.7  # lowest training mask ratio
    aug_max: float = 0.5  # condition augmentation: largest noise σ on the low tokens in training
    aug_sample: float = 0.1  # σ on the low tokens when sampling the high stage
    head: DiffusionHeadConfig = field(default_factory=lambda: DiffusionHeadConfig(width=256, depth=3, batch_mul=2))
    optim: OptimConfig = field(default_factory=OptimConfig)


class MaskedStage(nn.Module):
    """One masked-AR stage: context (B, Lc, D), tokens x (B, L, V), mask (B, L) bool (True = unknown)
    → z (B, L, D), the per-token conditions of the diffusion head."""

    def __init__(self, n_tokens: int, value_dim: int, d: int, n_heads: int, d_ff: int, n_layers: int) -> None:
        super().__init__()
        self.inp = nn.Linear(value_dim, d)
        self.mask_emb = nn.Parameter(torch.randn(d) * 0.02)
        self.pos = nn.Parameter(torch.randn(n_tokens, d) * 0.02)
        self.body = SetTransformer(d, n_heads, d_ff, n_layers)

    def forward(self, context: torch.Tensor, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        tok = torch.where(mask[..., None], self.mask_emb.to(x.dtype), self.inp(x)) + self.pos
        return self.body(torch.cat([context, tok], 1))[:, context.shape[1]:]


class MAR3D(LossSteps, Trainable):
    """Two MaskedStages (low, high) sharing one DiffusionHead; samples Sequences of latent tokens."""

    def __init__(self, config: MAR3DConfig | dict) -> None:
        super().__init__()
        cfg = config if isinstance(config, MAR3DConfig) else from_dict(MAR3DConfig, config)
        self.cfg = cfg
        d, V = cfg.d_model, cfg.latent_dim
        self.cond_emb = nn.Embedding(len(cfg.cond_ids), d)
        self.low = MaskedStage(cfg.n_low, V, d, cfg.n_heads, cfg.d_ff, cfg.n_layers)
        self.high = MaskedStage(cfg.n_high, V, d, cfg.n_heads, cfg.d_ff, cfg.n_layers)
        self.low_ctx = nn.Linear(V, d)  # the high stage's view of the (noised) low tokens
        self.low_ctx_pos = nn.Parameter(torch.randn(cfg.n_low, d) * 0.02)
        self.aug_emb = nn.Linear(d, d)
        self.diffusion = DiffusionHead(V, d, cfg.head)
        self.register_buffer("cond_lut", condition_lut(cfg.vocab_size, cfg.cond_ids), persistent=False)

    # ---- contexts ----------------------------------------------------------------------------------
    def _cond(self, cond_ids: torch.Tensor) -> torch.Tensor:
        cond = self.cond_lut[cond_ids]
        if (cond < 0).any():
            raise ValueError("MAR3D: condition is not a condition token of this model")
        return cond

    def high_context(self, cond: torch.Tensor, low: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
        """cond (B,), low (B, L_lo, V) normalised and already noised at σ (B,) → context (B, 2 + L_lo, D)."""
        s = self.aug_emb(timestep_embedding(sigma * 1000, self.cfg.d_model))
        return torch.cat([self.cond_emb(cond)[:, None], s[:, None], self.low_ctx(low) + self.low_ctx_pos], 1)

    @staticmethod
    def augment(x: torch.Tensor, sigma: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """x̃ = √(1−σ²)·x + σ·ε per sample (σ (B,))."""
        eps = torch.randn(x.shape, device=x.device, generator=generator, dtype=x.dtype)
        s = sigma[:, None, None]
        return (1 - s * s).sqrt() * x + s * eps

    # ---- training ----------------------------------------------------------------------------------
    def random_mask(self, B: int, L: int, device: torch.device) -> torch.Tensor:
        """(B, L) bool: a ratio r ~ N(1, 0.25) truncated to [mask_min, 1] of each row masked, at random."""
        r = torch.empty(B, device=device)
        for i in range(B):  # rejection sampling of the truncated normal (MAR's mask-ratio generator)
            v = 2.0
            while not self.cfg.mask_min <= v <= 1.0:
                v = float(torch.randn(()) * 0.25 + 1.0)
            r[i] = v
        n = (r * L).ceil().clamp(min=1).long()
        rank = torch.rand(B, L, device=device).argsort(1).argsort(1)
        return rank < n[:, None]

    def _stage_loss(self, stage: MaskedStage, ctx: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        mask = self.random_mask(x.shape[0], x.shape[1], x.device)
        z = stage(ctx, x, mask)
        return self.diffusion(x.reshape(-1, x.shape[-1]), z.reshape(-1, z.shape[-1]), mask.reshape(-1))

    def losses(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        cond = self._cond(batch["cond"])
        if self.training and self.cfg.cond_drop > 0:
            cond = cond.masked_fill(torch.rand(cond.shape, device=cond.device) < self.cfg.cond_drop, 0)
        low, high = batch["low"] / self.cfg.scale_low, batch["high"] / self.cfg.scale_high
        loss_low = self._stage_loss(self.low, self.cond_emb(cond)[:, None], low)
        sigma = torch.rand(low.shape[0], device=low.device) * self.cfg.aug_max
        loss_high = self._stage_loss(self.high, self.high_context(cond, self.augment(low, sigma), sigma), high)
        return {"loss": loss_low + loss_high, "loss_low": loss_low, "loss_high": loss_high}

    # ---- sampling ----------------------------------------------------------------------------------
    def _iterate(self, stage: MaskedStage, ctx: torch.Tensor, ctx_u: torch.Tensor | None, L: int, steps: int,
                 cfg_scale: float, temperature: float, diffusion_steps: int | None,
                 generator: torch.Generator | None) -> torch.Tensor:
        """Random-order iterative sampling of L tokens → (B, L, V) normalised latents."""
        B, dev, V = ctx.shape[0], ctx.device, self.cfg.latent_dim
        x = torch.zeros(B, L, V, device=dev)
        known = torch.zeros(B, L, dtype=torch.bool, device=dev)
        rank = torch.rand(B, L, device=dev, generator=generator).argsort(1).argsort(1)  # order position of a token
        steps = max(1, min(steps, L))
        for k in range(steps):  # after step k the first ⌊L·cos(π/2·(k+1)/K)⌋ tokens of the order stay masked
            n_masked_after = 0 if k == steps - 1 else \
                min(max(1, math.floor(L * math.cos(math.pi / 2 * (k + 1) / steps))), int((~known[0]).sum()) - 1)
            todo = ~known & (rank >= n_masked_after)
            if not todo.any():
                continue
            z = stage(ctx, x, ~known)
            zu = stage(ctx_u, x, ~known) if ctx_u is not None else None
            vals = self.diffusion.sample(z[todo], diffusion_steps, temperature, generator,
                                         uncond=None if zu is None else zu[todo], cfg_scale=cfg_scale)
            x[todo] = vals
            known |= todo
        return x

    @torch.no_grad()
    def sample(self, n: int, condition: int | list[int] | None = None, *, generator: torch.Generator | None = None,
               cfg_scale: float = 1.0, temperature: float = 1.0, steps_low: int = 16, steps_high: int = 32,
               diffusion_steps: int | None = None, stage: str = "high", **_: object) -> list[Sequence]:
        """n Sequences [condition, <lat> × L] with latent ``values``: the low stage, then (``stage="high"``)
        the high stage conditioned on it.  ``cfg_scale`` guides towards the category."""
        if stage not in ("low", "high"):
            raise ValueError(f"MAR3D.sample: stage must be 'low' or 'high', not {stage!r}")
        dev = self.device
        cond_ids = condition_ids(n, condition, self.cfg.cond_ids[0], dev)
        cond = self._cond(cond_ids)
        guided = cfg_scale != 1.0 and bool((cond > 0).any())
        unc = torch.zeros_like(cond)
        ctx = self.cond_emb(cond)[:, None]
        low = self._iterate(self.low, ctx, self.cond_emb(unc)[:, None] if guided else None, self.cfg.n_low,
                            steps_low, cfg_scale, temperature, diffusion_steps, generator)
        out, scale = low, self.cfg.scale_low
        if stage == "high":
            sigma = torch.full((n,), self.cfg.aug_sample, device=dev)
            noisy = self.augment(low, sigma, generator)
            ctx = self.high_context(cond, noisy, sigma)
            ctx_u = self.high_context(unc, noisy, sigma) if guided else None
            out = self._iterate(self.high, ctx, ctx_u, self.cfg.n_high, steps_high, cfg_scale, temperature,
                                diffusion_steps, generator)
            scale = self.cfg.scale_high
        L, V = out.shape[1], self.cfg.latent_dim
        tokens = torch.full((L + 1,), self.cfg.latent_id, dtype=torch.long)
        mask = torch.ones(L + 1, dtype=torch.bool)
        mask[0] = False
        seqs = []
        for i in range(n):
            t = tokens.clone()
            t[0] = int(cond_ids[i])
            values = torch.cat([torch.zeros(1, V), (out[i] * scale).float().cpu()])
            seqs.append(Sequence(t, values=values, value_mask=mask.clone()))
        return seqs
