"""TriplaneVQ: Argus3D's tokenizer — a shape as one 1-D vector of discrete codes on a compact triplane.

Luo et al. 2024, "Pushing Auto-regressive Models for 3D Shape Generation at Capacity and Scalability"
(Argus3D; after ImAM, Qian et al. 2023).  A point cloud is projected onto three axis-aligned feature
planes (ConvONet, Peng et al. 2020).  Instead of quantizing each plane as its own grid, a *coupling
network* concatenates the three planes side by side into one (R × 3R) map and convolves it down to a
compact latent vector of r × 3r positions (r = R / 2^down), read out in raster order: one 1-D
sequence whose every token sees its neighbours across plane borders, so the sequence has one
tractable order for the GPT.  Each position is vector-quantized with one codebook (EMA VQ,
:mod:`sciGen.nn.quantize`).  The decoder mirrors the coupling network with transposed convolutions
back to three planes (optionally at a finer resolution than the encoder's), and an MLP on bilinear
plane features + Fourier(xyz) gives occupancy logits.

Two verbs: ``encode(points (B, N, 6)) -> (indices (B, T), aux)`` and ``decode(indices) -> planes``
(then ``occupancy(planes, xyz (B, M, 3)) -> logits (B, M)``).  Bytes per shape: T · ⌈log2 K / 8⌉.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
import torch.nn as nn
import torch.nn.functional as F

from sciGen.config import from_dict
from sciGen.generators.optim import OptimConfig
from sciGen.nn.quantize import VectorQuantizer
from sciGen.nn.trainable import Trainable
from sciGen.nn.triplane import PlaneOccupancy, ResConv, TriplaneEncoder
from sciGen.tokenizers.occupancy_steps import OccupancySteps, occupancy_iou, perplexity


@dataclass
class TriplaneVQConfig:
    channels: int = 32  # triplane feature channels
    resolution: int = 32  # encoder plane resolution R
    point_hidden: int = 64
    n_freqs: int = 6
    width: int = 64  # coupling network channels
    down: int = 2  # stride-2 stages: the latent vector has (R/2^down) · 3(R/2^down) positions
    dec_up: int = 1  # extra ×2 upsampling in the decoder: decoded planes are R · 2^dec_up
    code_dim: int = 16
    codebook_size: int = 512
    ema_decay: float = 0.99
    mlp_hidden: int = 64
    commit_weight: float = 0.25
    optim: OptimConfig = field(default_factory=OptimConfig)


def couple(planes: torch.Tensor) -> torch.Tensor:
    """planes (B, 3, C, R, R) → the three planes side by side (B, C, R, 3R)."""
    return torch.cat(planes.unbind(1), -1)


def uncouple(x: torch.Tensor) -> torch.Tensor:
    """(B, C, R, 3R) → planes (B, 3, C, R, R)."""
    return torch.stack(x.chunk(3, -1), 1)


class TriplaneVQ(OccupancySteps, Trainable):
    """Trains on dict batches: ``surface`` (B, N, 6), ``queries`` (B, M, 3), ``occ`` (B, M)."""

    def __init__(self, config: TriplaneVQConfig | dict) -> None:
        super().__init__()
        cfg = config if isinstance(config, TriplaneVQConfig) else from_dict(TriplaneVQConfig, config)
        if cfg.resolution % (2 ** cfg.down):
            raise ValueError(f"TriplaneVQ: resolution {cfg.resolution} is not divisible by 2^down = {2 ** cfg.down}")
        self.cfg = cfg
        C, W = cfg.channels, cfg.width
        self.encoder = TriplaneEncoder(C, cfg.resolution, cfg.point_hidden, cfg.n_freqs)
        down: list[nn.Module] = [nn.Conv2d(C, W, 3, padding=1)]
        for _ in range(cfg.down):
            down += [ResConv(W), nn.Conv2d(W, W, 4, stride=2, padding=1)]
        down += [ResConv(W), nn.GroupNorm(8, W), nn.GELU(approximate="tanh"), nn.Conv2d(W, cfg.code_dim, 1)]
        self.coupling = nn.Sequential(*down)
        self.quantizer = VectorQuantizer(cfg.codebook_size, cfg.code_dim, cfg.ema_decay)
        up: list[nn.Module] = [nn.Conv2d(cfg.code_dim, W, 1), ResConv(W)]
        for _ in range(cfg.down):
            up += [nn.ConvTranspose2d(W, W, 4, stride=2, padding=1), ResConv(W)]
        up += [nn.GroupNorm(8, W), nn.GELU(approximate="tanh"), nn.Conv2d(W, C, 3, padding=1)]
        for _ in range(cfg.dec_up):  # finer planes than the encoder's, at the plane width (cheap)
            up += [nn.GELU(approximate="tanh"), nn.ConvTranspose2d(C, C, 4, stride=2, padding=1), ResConv(C)]
        self.uncoupling = nn.Sequential(*up)
        self.field = PlaneOccupancy(C, cfg.mlp_hidden, cfg.n_freqs)

    # ---- sizes ---------------------------------------------------------------------------------------
    @property
    def grid(self) -> tuple[int, int]:
        """(rows, columns) of the latent map: the 1-D vector is its raster order."""
        r = self.cfg.resolution // 2 ** self.cfg.down
        return r, 3 * r

    @property
    def n_tokens(self) -> int:
        return self.grid[0] * self.grid[1]

    @property
    def codebook_size(self) -> int:
        return self.cfg.codebook_size

    @property
    def bytes_per_shape(self) -> int:
        return self.n_tokens * math.ceil(math.log2(self.codebook_size) / 8)

    # ---- the two verbs ------------------------------------------------------------------------------
    def latents(self, points: torch.Tensor) -> torch.Tensor:
        """points (B, N, 6) → continuous latent vector (B, T, code_dim), before quantization."""
        return self.coupling(couple(self.encoder(points))).flatten(2).transpose(1, 2)

    @torch.no_grad()
    def encode(self, points: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """points (B, N, 6) → code indices (B, T) in raster order of the coupled latent map."""
        return self.quantizer.encode(self.latents(points))

    def decode(self, indices: torch.Tensor) -> torch.Tensor:
        """indices (B, T) → planes (B, 3, C, R', R') with R' = R · 2^dec_up."""
        return self._planes(self.quantizer.decode(indices))

    def occupancy(self, planes: torch.Tensor, points: torch.Tensor) -> torch.Tensor:
        """planes (B, 3, C, R', R'), points (B, M, 3) → occupancy logits (B, M)."""
        return self.field(planes, points)

    def _planes(self, z: torch.Tensor) -> torch.Tensor:
        rows, cols = self.grid
        x = z.transpose(1, 2).reshape(z.shape[0], -1, rows, cols)
        return uncouple(self.uncoupling(x))

    # ---- training -----------------------------------------------------------------------------------
    def losses(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        z = self.latents(batch["surface"])
        idx, aux = self.quantizer.encode(z)
        zq = z + (self.quantizer.decode(idx) - z).detach()  # straight-through
        logits = self.occupancy(self._planes(zq), batch["queries"])
        bce = F.binary_cross_entropy_with_logits(logits, batch["occ"])
        loss = bce + self.cfg.commit_weight * aux["commit"]
        return {"loss": loss, "bce": bce, "commit": aux["commit"], "iou": occupancy_iou(logits, batch["occ"]),
                "perplexity": perplexity(idx, self.codebook_size)}
