"""A PPGN layer: pair features updated by a matrix product over the third node (2-FWL power).

Maron et al. 2019, "Provably Powerful Graph Networks": pair (i, j) gets Σ_k f(e_ik) ⊙ g(e_kj), which
counts paths and cycles that message passing cannot.  PARD (Zhao et al. 2024) combines such layers with a
graph transformer for its denoiser.  Here the sum over k can be restricted to nodes of ``level`` at most
the pair's level (max of its two nodes' levels), the block-causal form PARD's parallel training needs.
The sum is scaled by a constant, ``1/sqrt(norm)``, never by a count of the tokens present: a count
would differ between the training layout (clean and noisy copies, padding) and sampling (one noisy
block), and between batches.
"""
from __future__ import annotations

import torch
import torch.nn as nn


class PPGNLayer(nn.Module):
    """e (B, M, M, E), h (B, M, D), pair (B, M, M) bool, level (B, M) int → e (B, M, M, E).

    Node features are added to their pairs (h_i + h_j), then the masked matrix product and an MLP.
    Entries of pairs where ``pair`` is False stay zero.
    """

    def __init__(self, d_model: int, d_edge: int, d_ff: int, dropout: float = 0.0, norm: float = 1.0) -> None:
        super().__init__()
        self.scale = norm ** -0.5
        self.node_i, self.node_j = nn.Linear(d_model, d_edge), nn.Linear(d_model, d_edge, bias=False)
        self.ln_h, self.ln1, self.ln2 = nn.LayerNorm(d_model), nn.LayerNorm(d_edge), nn.LayerNorm(d_edge)
        self.f, self.g = nn.Linear(d_edge, d_edge), nn.Linear(d_edge, d_edge)
        self.mix = nn.Linear(2 * d_edge, d_edge)
        self.ff = nn.Sequential(nn.Linear(d_edge, d_ff), nn.GELU(), nn.Linear(d_ff, d_edge))
        self.drop = nn.Dropout(dropout)

    def forward(self, e: torch.Tensor, h: torch.Tensor, pair: torch.Tensor, level: torch.Tensor) -> torch.Tensor:
        pm = pair[..., None].to(e.dtype)
        hn = self.ln_h(h)
        e = (e + self.node_i(hn)[:, :, None] + self.node_j(hn)[:, None, :]) * pm
        x = self.ln1(e)
        prod = causal_matmul(self.f(x) * pm, self.g(x) * pm, level) * self.scale
        e = e + self.drop(self.mix(torch.cat([x, prod], -1)))
        e = e + self.drop(self.ff(self.ln2(e)))
        return e * pm


def causal_matmul(a: torch.Tensor, b: torch.Tensor, level: torch.Tensor) -> torch.Tensor:
    """out[i, j] = Σ_{k : level_k ≤ max(level_i, level_j)} a[i, k] ⊙ b[k, j].

    a, b: (B, M, M, C); level: (B, M) int (padding may take any level: its rows of a and b are zero).
    One batched product per level present, so memory stays O(M²C) rather than O(M³C).
    """
    a_, b_ = a.permute(0, 3, 1, 2), b.permute(0, 3, 1, 2)  # (B, C, M, M)
    pair_level = torch.maximum(level[:, :, None], level[:, None, :])  # (B, M, M)
    out = torch.zeros_like(a_)
    for lv in torch.unique(pair_level).tolist():
        k_ok = (level <= lv).to(a.dtype)  # (B, M)
        p = a_ @ (b_ * k_ok[:, None, :, None])
        out = out + p * (pair_level == lv)[:, None].to(a.dtype)
    return out.permute(0, 2, 3, 1)
