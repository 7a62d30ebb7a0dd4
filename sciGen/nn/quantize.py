"""Quantizers shared by the tokenizers (VAT, Argus3D, AutoBrep): a codebook VQ, a multi-scale residual
quantizer over a token set, and finite scalar quantization.

Each has the two verbs of the design: ``encode(x) -> (indices, aux_losses)`` and ``decode(indices)``,
plus ``codebook_size``.  Training uses the straight-through estimator outside the quantizer:
``x + (decode(idx) - x).detach()``.

- :class:`VectorQuantizer` — van den Oord et al. 2017 (VQ-VAE), codebook kept by exponential moving
  averages (Razavi et al. 2019, VQ-VAE-2) with dead codes restarted from the batch.
- :class:`MultiScaleResidualQuantizer` — VAR's multi-scale residual quantization (Tian et al. 2024) over a
  1-D set of latent tokens, as VAT does for 3D (Zhang et al. 2024): scale s quantizes the residual
  area-pooled to ``scales[s]`` tokens with one shared codebook; token counts grow per scale.
- :class:`FSQ` — Mentzer et al. 2023, finite scalar quantization.
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F


class VectorQuantizer(nn.Module):
    """Nearest-neighbour codebook of ``codebook_size`` vectors of width ``dim`` (EMA updates)."""

    def __init__(self, codebook_size: int, dim: int, decay: float = 0.99, eps: float = 1e-5,
                 dead_threshold: float = 0.03) -> None:
        super().__init__()
        self.codebook_size, self.dim, self.decay, self.eps = codebook_size, dim, decay, eps
        self.dead_threshold = dead_threshold
        embed = torch.randn(codebook_size, dim) * 0.1
        self.register_buffer("embed", embed)
        self.register_buffer("cluster_size", torch.ones(codebook_size))
        self.register_buffer("embed_sum", embed.clone())

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """x (..., D) → indices (...) long; aux ``commit`` = ‖x − sg(e)‖².  In training mode the
        codebook moves towards the vectors assigned to it."""
        flat = x.reshape(-1, self.dim).float()
        dist = (flat.pow(2).sum(1, keepdim=True) - 2 * flat @ self.embed.t()
                + self.embed.pow(2).sum(1)[None])
        idx = dist.argmin(1)
        q = self.embed[idx]
        if self.training:
            self._ema_update(flat.detach(), idx)
        commit = F.mse_loss(flat, q.detach())
        return idx.view(x.shape[:-1]), {"commit": commit}

    def decode(self, indices: torch.Tensor) -> torch.Tensor:
        """indices (...) → vectors (..., D)."""
        return F.embedding(indices, self.embed)

    @torch.no_grad()
    def _ema_update(self, flat: torch.Tensor, idx: torch.Tensor) -> None:
        onehot = F.one_hot(idx, self.codebook_size).type(flat.dtype)
        counts, sums = onehot.sum(0), onehot.t() @ flat
        if torch.distributed.is_available() and torch.distributed.is_initialized():
            torch.distributed.all_reduce(counts)
            torch.distributed.all_reduce(sums)
        self.cluster_size.mul_(self.decay).add_(counts, alpha=1 - self.decay)
        self.embed_sum.mul_(self.decay).add_(sums, alpha=1 - self.decay)
        n = self.cluster_size.sum()
        size = (self.cluster_size + self.eps) / (n + self.codebook_size * self.eps) * n
        self.embed.copy_(self.embed_sum / size[:, None])
        dead = self.cluster_size < self.dead_threshold
        if dead.any():  # restart unused codes on random vectors of this batch
            pick = torch.randint(0, flat.shape[0], (int(dead.sum()),), device=flat.device)
            if torch.distributed.is_available() and torch.distributed.is_initialized():
                torch.distributed.broadcast(pick, 0)
                fresh = flat[pick].clone()
                torch.distributed.broadcast(fresh, 0)
            else:
                fresh = flat[pick]
            self.embed[dead] = fresh
            self.embed_sum[dead] = fresh
            self.cluster_size[dead] = 1.0


class MultiScaleResidualQuantizer(nn.Module):
    """Residual quantization of a token set (B, L, D) at growing scales with a shared codebook.

    For scale s: r ← area-pool(residual, scales[s]) (B, n_s, D); idx_s = VQ(r); the code vectors are
    linearly interpolated back to L tokens and refined by a per-scale 1-D conv (VAR's φ_s, mixed half
    and half); the result is added to the reconstruction and subtracted from the residual.
    ``encode`` returns all indices concatenated coarse-to-fine: (B, Σ scales).
    """

    def __init__(self, scales: list[int], n_latents: int, dim: int, codebook_size: int,
                 decay: float = 0.99) -> None:
        super().__init__()
        self.scales, self.n_latents = list(scales), n_latents
        self.vq = VectorQuantizer(codebook_size, dim, decay)
        self.phi = nn.ModuleList(nn.Conv1d(dim, dim, 3, padding=1) for _ in scales)

    @property
    def codebook_size(self) -> int:
        return self.vq.codebook_size

    @property
    def n_tokens(self) -> int:
        return sum(self.scales)

    def levels(self) -> torch.Tensor:
        """(Σ scales,) the scale index of each token."""
        return torch.cat([torch.full((n,), s, dtype=torch.long) for s, n in enumerate(self.scales)])

    def _up(self, q: torch.Tensor, s: int) -> torch.Tensor:
        """Code vectors of scale s (B, n_s, D) → their contribution at full length (B, L, D)."""
        up = F.interpolate(q.transpose(1, 2), size=self.n_latents, mode="linear", align_corners=False)
        return (0.5 * up + 0.5 * self.phi[s](up)).transpose(1, 2)

    def encode(self, z: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """z (B, L, D) → indices (B, Σ scales); aux ``commit`` (mean over scales) and ``recon`` — the
        quantized reconstruction (B, L, D), so training needs one pass only."""
        residual, f_hat = z, torch.zeros_like(z)
        idx_all, commit = [], z.new_zeros(())
        for s, n in enumerate(self.scales):
            r = F.adaptive_avg_pool1d(residual.transpose(1, 2), n).transpose(1, 2)
            idx, aux = self.vq.encode(r)
            commit = commit + aux["commit"]
            f_hat = f_hat + self._up(self.vq.decode(idx), s)
            residual = z - f_hat.detach()
            idx_all.append(idx)
        return torch.cat(idx_all, 1), {"commit": commit / len(self.scales), "recon": f_hat}

    def decode(self, indices: torch.Tensor) -> torch.Tensor:
        """indices (B, Σ scales) → reconstruction (B, L, D)."""
        out, start = None, 0
        for s, n in enumerate(self.scales):
            part = self._up(self.vq.decode(indices[:, start:start + n]), s)
            out = part if out is None else out + part
            start += n
        return out


class FSQ(nn.Module):
    """Finite scalar quantization: each of ``len(levels)`` channels is bounded by tanh and rounded to
    ``levels[i]`` values; the code index is the mixed-radix number of the rounded channels."""

    def __init__(self, levels: list[int]) -> None:
        super().__init__()
        self.levels = list(levels)
        lv = torch.tensor(levels, dtype=torch.float32)
        self.register_buffer("_levels", lv, persistent=False)
        basis = torch.cumprod(torch.tensor([1] + levels[:-1], dtype=torch.long), 0)
        self.register_buffer("_basis", basis, persistent=False)

    @property
    def codebook_size(self) -> int:
        n = 1
        for level in self.levels:
            n *= level
        return n

    def quantize(self, z: torch.Tensor) -> torch.Tensor:
        """z (..., C) → rounded values in [-1, 1] (..., C), straight-through gradient."""
        half_l = (self._levels - 1) * (1 + 1e-3) / 2
        offset = torch.where(self._levels % 2 == 0, 0.5, 0.0)
        shift = torch.atanh(offset / half_l)
        bounded = torch.tanh(z + shift) * half_l - offset
        rounded = bounded + (bounded.round() - bounded).detach()
        return rounded / (self._levels // 2)

    def encode(self, z: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """z (..., C) → indices (...) long; FSQ has no auxiliary loss."""
        half = self._levels // 2
        digits = (self.quantize(z) * half + half).round().long()
        return (digits * self._basis).sum(-1), {}

    def decode(self, indices: torch.Tensor) -> torch.Tensor:
        """indices (...) → values (..., C) in [-1, 1]."""
        half = self._levels // 2
        digits = (indices[..., None] // self._basis) % self._levels.long()
        return (digits.float() - half) / half
