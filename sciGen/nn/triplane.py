"""Triplane occupancy decoder (EG3D, Chan et al. 2022; ConvONet, Peng et al. 2020), as VAT and Argus3D use.

The latent tokens are the patches of three axis-aligned feature planes (xy, xz, yz), ``base × base``
patches per plane, plane-major and row-major: (B, 3·base², D).  A linear layer unpatchifies each token into
a ``up × up`` pixel patch of C channels (as MAE's decoder, He et al. 2022) and a residual 3×3 conv
smooths the seams → planes (B, 3, C, R, R) with R = base · up.  A query point reads bilinear features from
its three projections; an MLP on [features, Fourier(xyz)] gives its occupancy logit.

A token that is a plane patch learns an order of magnitude faster than plane pixels read out of the tokens
by cross-attention (measured here: BCE 0.002 against 0.19 after 200 steps on the same 8 shapes).
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from sciGen.nn.point_encoder import FourierFeatures

PLANES = ((0, 1), (0, 2), (1, 2))  # xy, xz, yz


def patch_centres(base: int) -> torch.Tensor:
    """(3·base², 2) the centre of every patch in its plane's coordinates, plane-major, row-major."""
    ax = (torch.arange(base) + 0.5) / base * 2 - 1
    uv = torch.stack(torch.meshgrid(ax, ax, indexing="ij"), -1).reshape(-1, 2)  # row = first coordinate
    return uv.repeat(3, 1)


class TriplaneDecoder(nn.Module):
    def __init__(self, d: int, base: int = 9, up: int = 4, channels: int = 32, hidden: int = 64,
                 n_freqs: int = 4) -> None:
        super().__init__()
        self.base, self.up, self.channels = base, up, channels
        self.unpatch = nn.Linear(d, channels * up * up)
        self.conv = nn.Conv2d(channels, channels, 3, padding=1)
        self.fourier = FourierFeatures(n_freqs)
        self.mlp = nn.Sequential(nn.Linear(3 * channels + self.fourier.out_dim, hidden), nn.GELU(approximate="tanh"),
                                 nn.Linear(hidden, hidden), nn.GELU(approximate="tanh"), nn.Linear(hidden, 1))

    @property
    def resolution(self) -> int:
        return self.base * self.up

    def planes(self, tokens: torch.Tensor) -> torch.Tensor:
        """tokens (B, 3·base², D) → planes (B, 3, C, R, R); plane row index = first coordinate."""
        B, b, u, C = tokens.shape[0], self.base, self.up, self.channels
        x = self.unpatch(tokens).view(B * 3, b, b, C, u, u)
        x = x.permute(0, 3, 1, 4, 2, 5).reshape(B * 3, C, b * u, b * u)
        x = x + self.conv(F.gelu(x, approximate="tanh"))
        return x.view(B, 3, C, b * u, b * u)

    def query(self, planes: torch.Tensor, points: torch.Tensor) -> torch.Tensor:
        """planes (B, 3, C, R, R), points (B, M, 3) in [-1, 1] → occupancy logits (B, M)."""
        return self.mlp(torch.cat([plane_features(planes, points), self.fourier(points)], -1)).squeeze(-1)


def plane_features(planes: torch.Tensor, points: torch.Tensor) -> torch.Tensor:
    """planes (B, 3, C, R, R), points (B, M, 3) in [-1, 1] → bilinear features of the three projections
    (B, M, 3·C)."""
    feats = []
    for i, (a, c) in enumerate(PLANES):
        # grid_sample's grid is (x → width, y → height); rows hold the first coordinate
        grid = points[..., [c, a]].unsqueeze(1)
        feats.append(F.grid_sample(planes[:, i], grid, mode="bilinear", padding_mode="border",
                                   align_corners=False).squeeze(2).transpose(1, 2))
    return torch.cat(feats, -1)


class PlaneOccupancy(nn.Module):
    """Occupancy MLP on triplane features: planes (B, 3, C, R, R), points (B, M, 3) → logits (B, M)
    (the read-out of :class:`TriplaneDecoder`, for tokenizers that build their planes by convolution)."""

    def __init__(self, channels: int, hidden: int = 64, n_freqs: int = 4) -> None:
        super().__init__()
        self.fourier = FourierFeatures(n_freqs)
        self.mlp = nn.Sequential(nn.Linear(3 * channels + self.fourier.out_dim, hidden), nn.GELU(approximate="tanh"),
                                 nn.Linear(hidden, hidden), nn.GELU(approximate="tanh"), nn.Linear(hidden, 1))

    def forward(self, planes: torch.Tensor, points: torch.Tensor) -> torch.Tensor:
        return self.mlp(torch.cat([plane_features(planes, points), self.fourier(points)], -1)).squeeze(-1)


class ResConv(nn.Module):
    """x + conv(GELU(GN(conv(GELU(GN x))))) — a 3×3 residual block on (B, C, H, W)."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.GroupNorm(min(8, channels), channels), nn.GELU(approximate="tanh"),
                                  nn.Conv2d(channels, channels, 3, padding=1),
                                  nn.GroupNorm(min(8, channels), channels), nn.GELU(approximate="tanh"),
                                  nn.Conv2d(channels, channels, 3, padding=1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class TriplaneEncoder(nn.Module):
    """Oriented points (B, N, 6) → triplane features (B, 3, C, R, R), as ConvONet (Peng et al. 2020):
    a point MLP (Fourier xyz + normal), features averaged into the R × R cells each point projects to on
    the xy, xz and yz planes, then residual 3×3 convolutions (weights shared by the three planes).
    A point's features land exactly in its cell, so thin parts keep their place — the convolutional
    counterpart of VAT's soft locality prior."""

    def __init__(self, channels: int = 32, resolution: int = 32, hidden: int = 64, n_freqs: int = 6,
                 n_blocks: int = 2) -> None:
        super().__init__()
        self.resolution, self.channels = resolution, channels
        self.fourier = FourierFeatures(n_freqs)
        self.point_mlp = nn.Sequential(nn.Linear(self.fourier.out_dim + 3, hidden), nn.GELU(approximate="tanh"),
                                       nn.Linear(hidden, hidden), nn.GELU(approximate="tanh"), nn.Linear(hidden, channels))
        self.convs = nn.Sequential(*[ResConv(channels) for _ in range(n_blocks)])

    def cells(self, points: torch.Tensor) -> torch.Tensor:
        """points (B, N, 3) → flat cell index on each plane (B, 3, N)."""
        R = self.resolution
        ij = ((points.clamp(-1, 1 - 1e-6) + 1) / 2 * R).long()
        return torch.stack([ij[..., a] * R + ij[..., c] for a, c in PLANES], 1)

    def forward(self, points: torch.Tensor) -> torch.Tensor:
        B, N, _ = points.shape
        R, C = self.resolution, self.channels
        f = self.point_mlp(torch.cat([self.fourier(points[..., :3]), points[..., 3:6]], -1))  # (B, N, C)
        idx = self.cells(points[..., :3])  # (B, 3, N)
        src = f.unsqueeze(1).expand(B, 3, N, C)
        flat = torch.zeros(B, 3, R * R, C, dtype=f.dtype, device=f.device)
        flat = flat.scatter_reduce(2, idx.unsqueeze(-1).expand(B, 3, N, C), src, reduce="mean", include_self=False)
        planes = flat.view(B * 3, R, R, C).permute(0, 3, 1, 2)
        return self.convs(planes).view(B, 3, C, R, R)
