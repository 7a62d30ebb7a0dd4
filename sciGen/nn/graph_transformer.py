"""A graph-transformer layer: node self-attention biased by edge features, under a visibility mask.

Dwivedi & Bresson 2021 / Vignac et al. 2023 (DiGress) style: the edge features of pair (i, j) add a
per-head bias to the attention logit of node i on node j.  Permutation-equivariant in the nodes.
"""
from __future__ import annotations

import torch
import torch.nn as nn


class GraphTransformerLayer(nn.Module):
    """h (B, M, D), e (B, M, M, E), see (B, M, M) bool (i may attend j) → h (B, M, D)."""

    def __init__(self, d_model: int, d_edge: int, n_heads: int, d_ff: int, dropout: float = 0.0) -> None:
        super().__init__()
        if d_model % n_heads:
            raise ValueError(f"d_model {d_model} is not a multiple of n_heads {n_heads}")
        self.h = n_heads
        self.ln1, self.ln_e, self.ln2 = nn.LayerNorm(d_model), nn.LayerNorm(d_edge), nn.LayerNorm(d_model)
        self.qkv = nn.Linear(d_model, 3 * d_model)
        self.bias = nn.Linear(d_edge, n_heads)
        self.out = nn.Linear(d_model, d_model)
        self.ff = nn.Sequential(nn.Linear(d_model, d_ff), nn.GELU(), nn.Linear(d_ff, d_model))
        self.drop = nn.Dropout(dropout)

    def forward(self, h: torch.Tensor, e: torch.Tensor, see: torch.Tensor) -> torch.Tensor:
        B, M, D = h.shape
        q, k, v = self.qkv(self.ln1(h)).view(B, M, 3, self.h, D // self.h).permute(2, 0, 3, 1, 4)
        bias = self.bias(self.ln_e(e)).permute(0, 3, 1, 2)  # (B, H, M, M)
        bias = bias.masked_fill(~see[:, None], float("-inf"))
        # a row that sees nothing (padding) would give NaN: let it see itself
        bias = torch.where(see.any(-1)[:, None, :, None], bias, torch.zeros_like(bias))
        att = nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=bias)
        h = h + self.drop(self.out(att.transpose(1, 2).reshape(B, M, D)))
        return h + self.drop(self.ff(self.ln2(h)))
