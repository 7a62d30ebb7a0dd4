"""Pre-norm causal transformer with a key/value cache for incremental decoding.

Block → layer stack, in the style of nanoGPT (Karpathy) / GPT-2 (Radford et al. 2019).
The cache is preallocated per layer, ``(B, H, T_max, D_h)``, so one decoding step costs
O(T) attention instead of re-running the whole prefix.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class TransformerConfig:
    d_model: int = 256
    n_layers: int = 6
    n_heads: int = 8
    d_ff: int = 1024
    max_len: int = 128
    dropout: float = 0.0


def gpt_init(m: nn.Module) -> None:
    """GPT-2's initialisation for ``module.apply``: N(0, 0.02) weights for linear and embedding layers,
    zero biases."""
    if isinstance(m, (nn.Linear, nn.Embedding)):
        nn.init.normal_(m.weight, std=0.02)
        if isinstance(m, nn.Linear) and m.bias is not None:
            nn.init.zeros_(m.bias)


class KVCache:
    """Preallocated keys/values for every layer.  ``length`` is the number of filled positions."""

    def __init__(self, n_layers: int, batch: int, n_heads: int, max_len: int, head_dim: int,
                 device: torch.device, dtype: torch.dtype) -> None:
        shape = (batch, n_heads, max_len, head_dim)
        self.k = [torch.empty(shape, device=device, dtype=dtype) for _ in range(n_layers)]
        self.v = [torch.empty(shape, device=device, dtype=dtype) for _ in range(n_layers)]
        self.length = 0
        self.max_len = max_len

    def select(self, index: torch.Tensor) -> None:
        """Keep only batch rows ``index`` (e.g. drop finished samples or reorder beams)."""
        self.k = [k.index_select(0, index) for k in self.k]
        self.v = [v.index_select(0, index) for v in self.v]


class SelfAttention(nn.Module):
    def __init__(self, cfg: TransformerConfig) -> None:
        super().__init__()
        assert cfg.d_model % cfg.n_heads == 0
        self.n_heads, self.head_dim = cfg.n_heads, cfg.d_model // cfg.n_heads
        self.qkv = nn.Linear(cfg.d_model, 3 * cfg.d_model)
        self.proj = nn.Linear(cfg.d_model, cfg.d_model)
        self.dropout = cfg.dropout

    def forward(self, x: torch.Tensor, cache: KVCache | None = None, layer: int = 0,
                attn_mask: torch.Tensor | None = None) -> torch.Tensor:
        """x: (B, T, D) → (B, T, D).  Causal over the new positions; with a cache, the new
        positions also attend to every cached one.  ``attn_mask`` (B|1, 1, T, T) bool (True = may
        attend) replaces the causal mask when given (block-causal masks, padding)."""
        B, T, D = x.shape
        q, k, v = self.qkv(x).view(B, T, 3, self.n_heads, self.head_dim).permute(2, 0, 3, 1, 4)
        p = self.dropout if self.training else 0.0
        if cache is None:
            if attn_mask is None:
                y = F.scaled_dot_product_attention(q, k, v, dropout_p=p, is_causal=True)
            else:
                y = F.scaled_dot_product_attention(q, k, v, attn_mask=attn_mask, dropout_p=p)
        else:
            s = cache.length
            cache.k[layer][:, :, s:s + T] = k
            cache.v[layer][:, :, s:s + T] = v
            k_all, v_all = cache.k[layer][:, :, : s + T], cache.v[layer][:, :, : s + T]
            if T == 1:
                y = F.scaled_dot_product_attention(q, k_all, v_all)
            else:
                mask = torch.ones(T, s + T, dtype=torch.bool, device=x.device).tril(diagonal=s)
                y = F.scaled_dot_product_attention(q, k_all, v_all, attn_mask=mask)
        return self.proj(y.transpose(1, 2).reshape(B, T, D))


class Block(nn.Module):
    """x + Attn(LN(x)); x + MLP(LN(x))."""

    def __init__(self, cfg: TransformerConfig) -> None:
        super().__init__()
        self.ln1 = nn.LayerNorm(cfg.d_model)
        self.attn = SelfAttention(cfg)
        self.ln2 = nn.LayerNorm(cfg.d_model)
        self.mlp = nn.Sequential(nn.Linear(cfg.d_model, cfg.d_ff), nn.GELU(approximate="tanh"),
                                 nn.Linear(cfg.d_ff, cfg.d_model), nn.Dropout(cfg.dropout))
        self.drop = nn.Dropout(cfg.dropout)

    def forward(self, x: torch.Tensor, cache: KVCache | None = None, layer: int = 0,
                attn_mask: torch.Tensor | None = None) -> torch.Tensor:
        x = x + self.drop(self.attn(self.ln1(x), cache, layer, attn_mask))
        return x + self.mlp(self.ln2(x))


class Transformer(nn.Module):
    """Stack of pre-norm blocks over input embeddings (B, T, D) with learned absolute positions.

    ``forward(x, cache)`` returns the final-normed hidden states (B, T, D); with a cache, the
    new positions start at ``cache.length`` and the cache advances by T.
    """

    def __init__(self, cfg: TransformerConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.pos = nn.Embedding(cfg.max_len, cfg.d_model)
        self.drop = nn.Dropout(cfg.dropout)
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layers))
        self.ln_f = nn.LayerNorm(cfg.d_model)

    def new_cache(self, batch: int, device: torch.device, dtype: torch.dtype = torch.float32) -> KVCache:
        c = self.cfg
        return KVCache(c.n_layers, batch, c.n_heads, c.max_len, c.d_model // c.n_heads, device, dtype)

    def forward(self, x: torch.Tensor, cache: KVCache | None = None,
                attn_mask: torch.Tensor | None = None) -> torch.Tensor:
        B, T, _ = x.shape
        start = cache.length if cache is not None else 0
        if start + T > self.cfg.max_len:
            raise ValueError(f"sequence length {start + T} exceeds max_len {self.cfg.max_len}")
        x = self.drop(x + self.pos(torch.arange(start, start + T, device=x.device)))
        for i, blk in enumerate(self.blocks):
            x = blk(x, cache, i, attn_mask)
        if cache is not None:
            cache.length += T
        return self.ln_f(x)
