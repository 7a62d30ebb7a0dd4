"""FSQ autoencoders for B-Rep geometry: a face's UV point grid (n × n × 3) or an edge's curve grid (n × 3)
→ a few discrete codes, and back.

AutoBrep (Xu et al. 2025, "AutoBrep: Autoregressive B-Rep Generation with Unified Topology and Geometry")
encodes each surface and curve of a B-Rep as latent geometry tokens with finite scalar quantization
(FSQ, Mentzer et al. 2024); BrepGen (Xu et al. 2024) introduced the point-grid representation and the
per-primitive normalisation: a grid is centred on its bounding box and scaled by its largest half side,
so the autoencoder only sees shape, and the box (quantised separately, as bounding-box tokens) restores
position and size.

Architecture (block → stack): a convolutional encoder (2-D for faces, 1-D for edges) of residual blocks
and stride-2 downsamplings from ``grid`` to ``latent_grid`` cells, a projection to ``len(levels)`` FSQ
channels per cell, and the mirrored decoder.  Codes per primitive: ``latent_grid^dims``.

Two verbs: ``encode(grid (B, n, n, 3) | (B, n, 3)) -> (indices (B, L), aux)``, ``decode(indices) -> grid``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
import torch.nn as nn
import torch.nn.functional as F

from sciGen.config import from_dict
from sciGen.generators.optim import OptimConfig, configure_adamw
from sciGen.nn.quantize import FSQ
from sciGen.nn.trainable import Trainable


@dataclass
class FSQAutoencoderConfig:
    dims: int = 2  # 2: face UV grids (n × n × 3); 1: edge curve grids (n × 3)
    grid: int = 32
    latent_grid: int = 2  # codes per primitive: latent_grid ** dims
    width: int = 64
    blocks: int = 1  # residual blocks per resolution
    levels: list[int] = field(default_factory=lambda: [8, 5, 5, 5])  # FSQ levels: 1,000 codes
    optim: OptimConfig = field(default_factory=OptimConfig)


def _conv(dims: int) -> type[nn.Module]:
    return nn.Conv2d if dims == 2 else nn.Conv1d


class ResBlock(nn.Module):
    """x + conv(act(norm(conv(act(norm(x))))))."""

    def __init__(self, dims: int, ch: int) -> None:
        super().__init__()
        conv = _conv(dims)
        self.body = nn.Sequential(nn.GroupNorm(8, ch), nn.SiLU(), conv(ch, ch, 3, padding=1),
                                  nn.GroupNorm(8, ch), nn.SiLU(), conv(ch, ch, 3, padding=1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class GridEncoder(nn.Module):
    """(B, 3, n[, n]) → (B, C_latent, m[, m]) with m = latent_grid."""

    def __init__(self, cfg: FSQAutoencoderConfig) -> None:
        super().__init__()
        conv, w = _conv(cfg.dims), cfg.width
        layers: list[nn.Module] = [conv(3, w, 3, padding=1)]
        for _ in range(int(math.log2(cfg.grid // cfg.latent_grid))):
            layers += [ResBlock(cfg.dims, w) for _ in range(cfg.blocks)] + [conv(w, w, 4, stride=2, padding=1)]
        layers += [ResBlock(cfg.dims, w) for _ in range(cfg.blocks)]
        layers += [nn.GroupNorm(8, w), nn.SiLU(), conv(w, len(cfg.levels), 1)]
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class GridDecoder(nn.Module):
    """(B, C_latent, m[, m]) → (B, 3, n[, n])."""

    def __init__(self, cfg: FSQAutoencoderConfig) -> None:
        super().__init__()
        conv, w = _conv(cfg.dims), cfg.width
        up = nn.ConvTranspose2d if cfg.dims == 2 else nn.ConvTranspose1d
        layers: list[nn.Module] = [conv(len(cfg.levels), w, 3, padding=1)]
        for _ in range(int(math.log2(cfg.grid // cfg.latent_grid))):
            layers += [ResBlock(cfg.dims, w) for _ in range(cfg.blocks)] + [up(w, w, 4, stride=2, padding=1)]
        layers += [ResBlock(cfg.dims, w) for _ in range(cfg.blocks)]
        layers += [nn.GroupNorm(8, w), nn.SiLU(), conv(w, 3, 3, padding=1)]
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z)


def normalize_grid(grid: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """grid (B, ..., 3) → (grid centred on its bounding box and scaled into [-1, 1] by its largest half side,
    centre (B, 3), half side (B,)).  BrepGen's per-primitive normalisation."""
    flat = grid.reshape(grid.shape[0], -1, 3)
    lo, hi = flat.min(1).values, flat.max(1).values
    centre = (lo + hi) / 2
    half = ((hi - lo) / 2).max(-1).values.clamp(min=1e-9)
    shape = (grid.shape[0],) + (1,) * (grid.dim() - 2) + (3,)
    return (grid - centre.view(shape)) / half.view(shape[:-1] + (1,)), centre, half


class FSQAutoencoder(Trainable):
    """Trains on batches of normalised grids (B, n, n, 3) or (B, n, 3) (``normalize_grid`` applied by the
    data); loss = mean squared error of the decoded grid."""

    def __init__(self, config: FSQAutoencoderConfig | dict) -> None:
        super().__init__()
        cfg = config if isinstance(config, FSQAutoencoderConfig) else from_dict(FSQAutoencoderConfig, config)
        if cfg.dims not in (1, 2):
            raise ValueError(f"FSQAutoencoder dims must be 1 (edges) or 2 (faces), not {cfg.dims}")
        if cfg.grid % cfg.latent_grid or (cfg.grid // cfg.latent_grid) & (cfg.grid // cfg.latent_grid - 1):
            raise ValueError(f"grid {cfg.grid} must be latent_grid {cfg.latent_grid} times a power of two")
        self.cfg = cfg
        self.encoder, self.decoder, self.fsq = GridEncoder(cfg), GridDecoder(cfg), FSQ(cfg.levels)

    # ---- the two verbs ------------------------------------------------------------------------------
    @property
    def codebook_size(self) -> int:
        return self.fsq.codebook_size

    @property
    def codes_per_item(self) -> int:
        return self.cfg.latent_grid ** self.cfg.dims

    def _to_channels(self, grid: torch.Tensor) -> torch.Tensor:
        return grid.movedim(-1, 1)  # (B, n[, n], 3) → (B, 3, n[, n])

    def _latent(self, grid: torch.Tensor) -> torch.Tensor:
        """(B, n[, n], 3) → continuous latents (B, L, C) before rounding."""
        z = self.encoder(self._to_channels(grid))
        return z.flatten(2).transpose(1, 2)

    def _decode_values(self, q: torch.Tensor) -> torch.Tensor:
        """(B, L, C) quantised values → grids (B, n[, n], 3)."""
        m = self.cfg.latent_grid
        z = q.transpose(1, 2).reshape(q.shape[0], q.shape[2], *([m] * self.cfg.dims))
        return self.decoder(z).movedim(1, -1)

    @torch.no_grad()
    def encode(self, grid: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """normalised grids (B, n[, n], 3) → code indices (B, L) row-major over the latent cells."""
        return self.fsq.encode(self._latent(grid))

    @torch.no_grad()
    def decode(self, indices: torch.Tensor) -> torch.Tensor:
        """indices (B, L) → normalised grids (B, n[, n], 3)."""
        return self._decode_values(self.fsq.decode(indices))

    # ---- training -----------------------------------------------------------------------------------
    def losses(self, grid: torch.Tensor) -> dict[str, torch.Tensor]:
        rec = self._decode_values(self.fsq.quantize(self._latent(grid)))
        mse = F.mse_loss(rec, grid)
        return {"loss": mse, "mse": mse, "max_err": (rec - grid).abs().amax(dim=tuple(range(1, grid.dim()))).mean()}

    def training_step(self, batch: torch.Tensor, batch_idx: int) -> torch.Tensor:
        out = self.losses(batch)
        self.log_dict({f"train/{k}": v for k, v in out.items()}, batch_size=batch.shape[0])
        self.log("loss", out["loss"], prog_bar=True, batch_size=batch.shape[0], logger=False)
        return out["loss"]

    def validation_step(self, batch: torch.Tensor, batch_idx: int) -> None:
        out = self.losses(batch)
        self.log_dict({f"val/{k}": v for k, v in out.items()}, batch_size=batch.shape[0], sync_dist=True)

    def configure_optimizers(self):
        return configure_adamw(self, self.cfg.optim)
