"""Point-cloud and token-set encoders: Fourier features of coordinates, cross-attention from a set of
learned queries to point features (Perceiver, Jaegle et al. 2021; 3DShape2VecSet, Zhang et al. 2023;
VAT's in-context transformer), and full (non-causal) self-attention over a token set.

block → stack.  Shapes: points (B, N, 3|6), queries (B, L, D).
"""
from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from sciGen.nn.transformer import Block, TransformerConfig


class FourierFeatures(nn.Module):
    """xyz (..., 3) in about [-1, 1] → (..., 3 + 6·n_freqs): [x, sin(2^k π x), cos(2^k π x)]."""

    def __init__(self, n_freqs: int = 8) -> None:
        super().__init__()
        self.register_buffer("freq", (2.0 ** torch.arange(n_freqs)) * math.pi, persistent=False)

    @property
    def out_dim(self) -> int:
        return 3 + 6 * len(self.freq)

    def forward(self, xyz: torch.Tensor) -> torch.Tensor:
        phase = (xyz.unsqueeze(-1) * self.freq).flatten(-2)
        return torch.cat([xyz, phase.sin(), phase.cos()], -1)


class CrossAttentionBlock(nn.Module):
    """q + Attn(LN q, LN kv); q + MLP(LN q) — queries (B, L, D) read a context (B, N, D)."""

    def __init__(self, d: int, n_heads: int, d_ff: int) -> None:
        super().__init__()
        self.h = n_heads
        self.ln_q, self.ln_kv, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d), nn.LayerNorm(d)
        self.q, self.kv, self.proj = nn.Linear(d, d), nn.Linear(d, 2 * d), nn.Linear(d, d)
        self.mlp = nn.Sequential(nn.Linear(d, d_ff), nn.GELU(approximate="tanh"), nn.Linear(d_ff, d))

    def forward(self, q: torch.Tensor, ctx: torch.Tensor, ctx_mask: torch.Tensor | None = None,
                bias: torch.Tensor | None = None) -> torch.Tensor:
        """``bias`` (B|1, 1, L, N) is added to the attention logits (e.g. a locality prior)."""
        B, L, D = q.shape
        N = ctx.shape[1]
        qh = self.q(self.ln_q(q)).view(B, L, self.h, -1).transpose(1, 2)
        k, v = self.kv(self.ln_kv(ctx)).view(B, N, 2, self.h, -1).permute(2, 0, 3, 1, 4)
        m = None if ctx_mask is None else ctx_mask[:, None, None, :]
        if bias is not None:
            m = bias if m is None else bias.masked_fill(~m, float("-inf"))
        y = F.scaled_dot_product_attention(qh, k, v, attn_mask=m)
        q = q + self.proj(y.transpose(1, 2).reshape(B, L, D))
        return q + self.mlp(self.ln2(q))


class SetTransformer(nn.Module):
    """Pre-norm self-attention blocks with full attention over a token set (B, L, D) → (B, L, D)."""

    def __init__(self, d: int, n_heads: int, d_ff: int, n_layers: int) -> None:
        super().__init__()
        cfg = TransformerConfig(d_model=d, n_layers=n_layers, n_heads=n_heads, d_ff=d_ff)
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(n_layers))
        self.ln_f = nn.LayerNorm(d)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        full = torch.ones(1, 1, x.shape[1], x.shape[1], dtype=torch.bool, device=x.device)
        for blk in self.blocks:
            x = blk(x, attn_mask=full)
        return self.ln_f(x)


def plane_locality_bias(centres: torch.Tensor, points: torch.Tensor, sigma: float) -> torch.Tensor:
    """Queries that are triplane patches: −‖proj_plane(x) − centre‖²/2σ² for patch centres (3·P², 2)
    (plane-major: xy, xz, yz) and points (B, N, 3) → (B, 1, 3·P², N) attention-logit bias."""
    n = centres.shape[0] // 3
    out = []
    for i, (a, c) in enumerate(((0, 1), (0, 2), (1, 2))):
        proj = points[..., [a, c]]  # (B, N, 2)
        d2 = (centres[i * n:(i + 1) * n][None, :, None, :] - proj[:, None]).pow(2).sum(-1)
        out.append(d2)
    return (-torch.cat(out, 1) / (2 * sigma * sigma)).unsqueeze(1)


class PointQueryEncoder(nn.Module):
    """Oriented point cloud (B, N, 6) [xyz, normal] → L latent tokens (B, L, D): learned queries
    cross-attend to per-point features, then self-attention over the queries.

    The queries are the patches of a triplane (L = 3·P²; :mod:`sciGen.nn.triplane`).  With ``sigma`` > 0
    the cross-attention logits get a Gaussian locality prior −‖projection of x − patch centre‖²/2σ², so a
    token first summarises the points above its patch (ConvONet's plane projection, made soft), while the
    query vectors stay learned; identical random queries would all average the whole cloud, which trains
    far slower and generalises worse to unseen shapes."""

    def __init__(self, d: int, n_heads: int, d_ff: int, n_layers: int, patches: int, n_freqs: int = 8,
                 sigma: float = 0.0) -> None:
        super().__init__()
        from sciGen.nn.triplane import patch_centres

        self.fourier = FourierFeatures(n_freqs)
        self.point_proj = nn.Sequential(nn.Linear(self.fourier.out_dim + 3, d), nn.GELU(approximate="tanh"),
                                        nn.Linear(d, d))
        self.register_buffer("centres", patch_centres(patches), persistent=False)
        self.queries = nn.Parameter(torch.randn(3 * patches * patches, d) * 0.02)
        self.sigma = sigma
        self.cross = CrossAttentionBlock(d, n_heads, d_ff)
        self.body = SetTransformer(d, n_heads, d_ff, n_layers)

    def forward(self, points: torch.Tensor) -> torch.Tensor:
        feats = self.point_proj(torch.cat([self.fourier(points[..., :3]), points[..., 3:6]], -1))
        q = self.queries.unsqueeze(0).expand(points.shape[0], -1, -1)
        bias = plane_locality_bias(self.centres, points[..., :3], self.sigma) if self.sigma > 0 else None
        return self.body(self.cross(q, feats, bias=bias))
