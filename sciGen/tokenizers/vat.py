"""VAT: the variational tokenizer for 3D shapes.

Zhang et al. 2024, "Towards Scalable and Efficient 3D Tokenization" / G3PT (Zhang et al. 2024, "G3PT:
Unleash the Power of Autoregressive Modeling in 3D Generation via Cross-scale Querying Transformer").
An oriented point cloud is compressed by an in-context transformer (learned query tokens cross-attending
to point features) into L latent tokens, each a Gaussian (mean, log-variance; KL-regularised).  The
sampled latents are quantized by multi-scale residual quantization with one shared codebook, the token
count growing per scale (e.g. 1, 4, 16, 64, 171 = 256 one-byte tokens).  A transformer and a triplane
decoder turn the quantized tokens into an occupancy field.

The L = 3·P² latent tokens are the patches of the triplane (the encoder's learned queries carry a soft
locality prior towards the points projecting onto their patch; the decoder unpatchifies each token): in
this form the tokenizer trains an order of magnitude faster than with plane pixels read from free-floating
tokens by cross-attention, which matters on a CPU budget (see the model card).

Two verbs: ``encode(points (B, N, 6)) -> (indices (B, T), aux)`` and ``decode(indices) -> planes``
(then ``occupancy(planes, xyz) -> logits``).  Bytes per shape: T · ⌈log2 K / 8⌉ for codebook size K.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
import torch.nn as nn
import torch.nn.functional as F

from sciGen.config import from_dict
from sciGen.generators.optim import OptimConfig
from sciGen.nn.point_encoder import PointQueryEncoder, SetTransformer
from sciGen.nn.quantize import MultiScaleResidualQuantizer
from sciGen.nn.trainable import Trainable
from sciGen.nn.triplane import TriplaneDecoder
from sciGen.tokenizers.occupancy_steps import OccupancySteps, occupancy_iou, perplexity


@dataclass
class VATConfig:
    d_model: int = 128
    n_heads: int = 4
    d_ff: int = 256
    enc_layers: int = 0
    dec_layers: int = 2
    latent_dim: int = 16
    scales: list[int] = field(default_factory=lambda: [1, 4, 16, 64, 171])
    codebook_size: int = 256
    ema_decay: float = 0.99
    plane_base: int = 9  # patches per triplane side: 3 · 9² = 243 latent tokens
    plane_up: int = 4  # pixels per patch side: 36 × 36 planes
    plane_channels: int = 32
    mlp_hidden: int = 64
    n_freqs: int = 8
    locality: float = 0.07  # σ of the encoder's plane-patch locality prior (0: none)
    kl_weight: float = 1e-4
    commit_weight: float = 0.25
    optim: OptimConfig = field(default_factory=OptimConfig)


class VAT(OccupancySteps, Trainable):
    """Trains on dict batches: ``surface`` (B, N, 6) points + normals, ``queries`` (B, M, 3),
    ``occ`` (B, M) float 0/1 inside labels."""

    def __init__(self, config: VATConfig | dict) -> None:
        super().__init__()
        cfg = config if isinstance(config, VATConfig) else from_dict(VATConfig, config)
        if min(cfg.scales) < 1 or max(cfg.scales) > self.n_latents_of(cfg):
            raise ValueError(f"VAT scales {cfg.scales} must be positive and at most the {self.n_latents_of(cfg)} "
                             "latent tokens (3 · plane_base²)")
        self.cfg = cfg
        d = cfg.d_model
        L = self.n_latents_of(cfg)
        self.encoder = PointQueryEncoder(d, cfg.n_heads, cfg.d_ff, cfg.enc_layers, cfg.plane_base, cfg.n_freqs,
                                         cfg.locality)
        self.to_gauss = nn.Linear(d, 2 * cfg.latent_dim)
        with torch.no_grad():  # start with little posterior noise (σ ≈ 0.05): unit noise would drown the
            self.to_gauss.bias[cfg.latent_dim:] = -6.0  # small initial means, and the KL lets σ grow if useful
        self.quantizer = MultiScaleResidualQuantizer(cfg.scales, L, cfg.latent_dim, cfg.codebook_size, cfg.ema_decay)
        self.from_latent = nn.Linear(cfg.latent_dim, d)
        self.latent_pos = nn.Parameter(torch.randn(L, d) * 0.02)
        self.decoder = SetTransformer(d, cfg.n_heads, cfg.d_ff, cfg.dec_layers)
        self.triplane = TriplaneDecoder(d, cfg.plane_base, cfg.plane_up, cfg.plane_channels, cfg.mlp_hidden)

    @staticmethod
    def n_latents_of(cfg: VATConfig) -> int:
        return 3 * cfg.plane_base * cfg.plane_base

    # ---- the two verbs ------------------------------------------------------------------------------
    @property
    def codebook_size(self) -> int:
        return self.cfg.codebook_size

    @property
    def n_tokens(self) -> int:
        return sum(self.cfg.scales)

    @property
    def bytes_per_shape(self) -> int:
        return self.n_tokens * math.ceil(math.log2(self.codebook_size) / 8)

    def levels(self) -> torch.Tensor:
        """(T,) scale index of each token."""
        return self.quantizer.levels()

    def gaussian(self, points: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """points (B, N, 6) → mean, log-variance (B, L, latent_dim)."""
        mu, logvar = self.to_gauss(self.encoder(points)).chunk(2, -1)
        return mu, logvar.clamp(-12, 6)

    @torch.no_grad()
    def encode(self, points: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """points (B, N, 6) → token indices (B, T) coarse-to-fine (the Gaussian means are quantized)."""
        mu, _ = self.gaussian(points)
        return self.quantizer.encode(mu)

    def decode(self, indices: torch.Tensor) -> torch.Tensor:
        """indices (B, T) → triplanes (B, 3, C, R, R)."""
        return self._planes(self.quantizer.decode(indices))

    def occupancy(self, planes: torch.Tensor, points: torch.Tensor) -> torch.Tensor:
        """planes (B, 3, C, R, R), points (B, M, 3) → occupancy logits (B, M)."""
        return self.triplane.query(planes, points)

    def _planes(self, latents: torch.Tensor) -> torch.Tensor:
        h = self.decoder(self.from_latent(latents) + self.latent_pos)
        return self.triplane.planes(h)

    # ---- training -----------------------------------------------------------------------------------
    def losses(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        mu, logvar = self.gaussian(batch["surface"])
        z = mu + torch.randn_like(mu) * (0.5 * logvar).exp() if self.training else mu
        idx, aux = self.quantizer.encode(z)
        zq = z + (aux["recon"] - z).detach()
        logits = self.occupancy(self._planes(zq), batch["queries"])
        bce = F.binary_cross_entropy_with_logits(logits, batch["occ"])
        kl = 0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar).mean()
        c = self.cfg
        loss = bce + c.kl_weight * kl + c.commit_weight * aux["commit"]
        return {"loss": loss, "bce": bce, "kl": kl, "commit": aux["commit"],
                "iou": occupancy_iou(logits, batch["occ"]), "perplexity": perplexity(idx, self.codebook_size)}
