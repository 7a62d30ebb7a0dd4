"""Fragment-ion evidence for mass-constrained decoding: for every candidate next token, how much
spectrum intensity sits where its fragment ions would be.

In the spirit of DeepNovo's ion-CNN (Tran et al., PNAS 2017) and PointNovo (Qiao et al., 2021): the
decoder is told, for each candidate extension, whether the spectrum has peaks at the m/z of the ions
that extension implies.  Generic in its form: an ion type is ``(c_prefix, c_total, offset, charge)``
with m/z = (c_prefix · S + c_total · M + offset) / charge, where S is the prefix mass including the
candidate and M the precursor mass; the adapter supplies the ion types (b, y, a, neutral losses …).
"""
from __future__ import annotations

import torch
import torch.nn as nn


class FragmentEvidence(nn.Module):
    """peaks (B, P, 2), mask (B, P), prefix S (B, T), total M (B,), candidate masses (V,) →
    evidence logits (B, T, V): an MLP over the Gaussian-kernel intensity found at each ion's m/z,
    for each kernel width in ``sigmas`` (Da)."""

    def __init__(self, ion_types: list[list[float]], sigmas: list[float], hidden: int = 64) -> None:
        super().__init__()
        ions = torch.tensor(ion_types, dtype=torch.float32)  # (I, 4)
        self.register_buffer("ions", ions, persistent=False)
        self.register_buffer("inv_two_sigma2", 1.0 / (2 * torch.tensor(sigmas) ** 2), persistent=False)
        n_feat = len(ion_types) * len(sigmas)
        self.mlp = nn.Sequential(nn.Linear(n_feat, hidden), nn.GELU(), nn.Linear(hidden, 1))

    def features(self, peaks: torch.Tensor, mask: torch.Tensor, prefix: torch.Tensor, total: torch.Tensor,
                 cand: torch.Tensor) -> torch.Tensor:
        """→ (B, T, V, I·W): log(1 + Σ rel. intensity · exp(−Δ²/2σ²)) over the two peaks nearest each
        ion's m/z (peaks sorted by m/z), per ion type and width — O(log P) per ion, not O(P)."""
        mz = peaks[..., 0].float().masked_fill(~mask, float("inf")).contiguous()       # (B, P) ascending
        rel = peaks[..., 1] / peaks[..., 1].amax(1, keepdim=True).clamp(min=1e-6) * mask
        S = prefix.float()[:, :, None] + cand.float()[None, None, :]                    # (B, T, V)
        cp, ct, off, z = self.ions.unbind(-1)                                            # (I,)
        ion_mz = (S[..., None] * cp + total.float()[:, None, None, None] * ct + off) / z  # (B, T, V, I)
        B, T, V, I = ion_mz.shape
        q = ion_mz.reshape(B, -1)
        P = mz.shape[1]
        right = torch.searchsorted(mz, q).clamp(max=P - 1)
        left = (right - 1).clamp(min=0)
        f = 0
        for idx in (left, right):
            d = q - mz.gather(1, idx)
            w = rel.gather(1, idx)
            f = f + w[..., None] * torch.exp(-(d * d)[..., None] * self.inv_two_sigma2)  # (B, N, W)
        f = torch.nan_to_num(f, nan=0.0)
        return torch.log1p(f).reshape(B, T, V, -1)

    def forward(self, peaks: torch.Tensor, mask: torch.Tensor, prefix: torch.Tensor, total: torch.Tensor,
                cand: torch.Tensor) -> torch.Tensor:
        return self.mlp(self.features(peaks, mask, prefix, total, cand)).squeeze(-1)
