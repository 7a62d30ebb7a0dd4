"""Triplane occupancy decoder (EG3D, Chan et al. 2022; ConvONet, Peng et al. 2020), as VAT and Argus3D use.

A token set (B, L, D) becomes three axis-aligned feature planes: learned plane queries cross-attend to
the tokens, each query is pixel-shuffled into an ``up × up`` patch, and a residual 3×3 conv smooths the
planes → (B, 3, C, R, R) with R = base · up.  A query point reads bilinear features from the xy, xz and
yz planes; an MLP on [features, Fourier(xyz)] gives its occupancy logit.
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from sciGen.nn.point_encoder import CrossAttentionBlock, FourierFeatures


class TriplaneDecoder(nn.Module):
    def __init__(self, d: int, n_heads: int, d_ff: int, base: int = 16, up: int = 2, channels: int = 32,
                 hidden: int = 64, n_freqs: int = 4, anchors: torch.Tensor | None = None, sigma: float = 0.0) -> None:
        """``anchors`` (L, 3) and ``sigma`` > 0: a plane pixel's attention to token l gets the bias
        −‖(anchor_l projected on the plane) − pixel‖²/2σ², so it first reads the tokens above it."""
        super().__init__()
        self.base, self.up, self.channels = base, up, channels
        # plane queries start from a 2-D sinusoidal code of their pixel and plane, so each plane pixel
        # first asks for something different (learned from there)
        ax = torch.linspace(-1, 1, base)
        uv = torch.stack(torch.meshgrid(ax, ax, indexing="ij"), -1).reshape(-1, 2)
        freqs = torch.arange(1, d // 8 + 1) * torch.pi / 2
        code = torch.cat([(uv[:, :1] * freqs).sin(), (uv[:, :1] * freqs).cos(), (uv[:, 1:] * freqs).sin(),
                          (uv[:, 1:] * freqs).cos()], -1)[:, :d]
        code = torch.nn.functional.pad(code, (0, d - code.shape[1]))
        plane = torch.randn(3, 1, d) * 0.5
        self.queries = nn.Parameter((code[None] + plane).reshape(3 * base * base, d) * 0.5)
        if anchors is not None and sigma > 0:
            pix = uv.repeat(3, 1)  # (3 b², 2) pixel centres of the xy, xz, yz planes
            proj = torch.stack([anchors[:, [0, 1]], anchors[:, [0, 2]], anchors[:, [1, 2]]])  # (3, L, 2)
            d2 = (pix.view(3, base * base, 1, 2) - proj[:, None]).pow(2).sum(-1).reshape(3 * base * base, -1)
            self.register_buffer("bias", (-d2 / (2 * sigma * sigma))[None, None], persistent=False)
        else:
            self.bias = None
        self.cross = CrossAttentionBlock(d, n_heads, d_ff)
        self.ln = nn.LayerNorm(d)
        self.shuffle = nn.Linear(d, channels * up * up)
        self.conv = nn.Conv2d(channels, channels, 3, padding=1)
        self.fourier = FourierFeatures(n_freqs)
        self.mlp = nn.Sequential(nn.Linear(3 * channels + self.fourier.out_dim, hidden), nn.GELU(approximate="tanh"),
                                 nn.Linear(hidden, hidden), nn.GELU(approximate="tanh"), nn.Linear(hidden, 1))

    @property
    def resolution(self) -> int:
        return self.base * self.up

    def planes(self, tokens: torch.Tensor) -> torch.Tensor:
        """tokens (B, L, D) → planes (B, 3, C, R, R)."""
        B, b, u, C = tokens.shape[0], self.base, self.up, self.channels
        q = self.cross(self.queries.unsqueeze(0).expand(B, -1, -1), tokens, bias=self.bias)
        x = self.shuffle(self.ln(q)).view(B * 3, b, b, C, u, u)
        x = x.permute(0, 3, 1, 4, 2, 5).reshape(B * 3, C, b * u, b * u)
        x = x + self.conv(F.gelu(x, approximate="tanh"))
        return x.view(B, 3, C, b * u, b * u)

    def query(self, planes: torch.Tensor, points: torch.Tensor) -> torch.Tensor:
        """planes (B, 3, C, R, R), points (B, M, 3) in [-1, 1] → occupancy logits (B, M)."""
        B, M = points.shape[:2]
        pairs = (points[..., [0, 1]], points[..., [0, 2]], points[..., [1, 2]])
        feats = [F.grid_sample(planes[:, i], p.unsqueeze(1), mode="bilinear", padding_mode="border",
                               align_corners=True).squeeze(2).transpose(1, 2) for i, p in enumerate(pairs)]
        h = torch.cat(feats + [self.fourier(points)], -1)
        return self.mlp(h).squeeze(-1)
