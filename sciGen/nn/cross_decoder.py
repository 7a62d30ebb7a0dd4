"""Pre-norm transformer decoder with self-attention, cross-attention to a memory, and a key/value
cache for beam search (Vaswani et al. 2017; the cache as in ``sciGen.nn.transformer``).

block → stack.  The memory's keys/values are computed once per input (:meth:`CrossDecoder.memory_kv`)
and reused at every decoding step; the self-attention cache is preallocated ``(B, H, T_max, D_h)``.
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F


class DecoderCache:
    """Self-attention keys/values per layer (preallocated) plus the memory's keys/values per layer."""

    def __init__(self, self_k: list[torch.Tensor], self_v: list[torch.Tensor],
                 mem: list[tuple[torch.Tensor, torch.Tensor]], mem_mask: torch.Tensor | None) -> None:
        self.k, self.v, self.mem, self.mem_mask, self.length = self_k, self_v, mem, mem_mask, 0

    def select(self, index: torch.Tensor) -> None:
        """Keep / reorder batch rows (beam search)."""
        self.k = [k.index_select(0, index) for k in self.k]
        self.v = [v.index_select(0, index) for v in self.v]
        self.mem = [(k.index_select(0, index), v.index_select(0, index)) for k, v in self.mem]
        if self.mem_mask is not None:
            self.mem_mask = self.mem_mask.index_select(0, index)


class CrossDecoderLayer(nn.Module):
    """x + SelfAttn(LN x) (causal); x + CrossAttn(LN x, memory); x + MLP(LN x)."""

    def __init__(self, d: int, n_heads: int, d_ff: int, dropout: float = 0.0) -> None:
        super().__init__()
        self.h, self.dh = n_heads, d // n_heads
        self.ln1, self.ln2, self.ln3 = nn.LayerNorm(d), nn.LayerNorm(d), nn.LayerNorm(d)
        self.qkv = nn.Linear(d, 3 * d)
        self.q_cross = nn.Linear(d, d)
        self.kv_cross = nn.Linear(d, 2 * d)
        self.proj_self, self.proj_cross = nn.Linear(d, d), nn.Linear(d, d)
        self.mlp = nn.Sequential(nn.Linear(d, d_ff), nn.GELU(), nn.Linear(d_ff, d))
        self.drop = nn.Dropout(dropout)

    def _heads(self, x: torch.Tensor) -> torch.Tensor:
        B, T, _ = x.shape
        return x.view(B, T, self.h, self.dh).transpose(1, 2)

    def memory_kv(self, memory: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """memory (B, S, d) → keys, values (B, H, S, D_h)."""
        k, v = self.kv_cross(memory).chunk(2, -1)
        return self._heads(k), self._heads(v)

    def forward(self, x: torch.Tensor, mem_kv: tuple[torch.Tensor, torch.Tensor], mem_mask: torch.Tensor | None,
                cache: DecoderCache | None = None, layer: int = 0) -> torch.Tensor:
        """x (B, T, d); mem_mask (B, S) True at real memory positions → (B, T, d)."""
        B, T, D = x.shape
        q, k, v = self.qkv(self.ln1(x)).view(B, T, 3, self.h, self.dh).permute(2, 0, 3, 1, 4)
        if cache is None:
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        else:
            s = cache.length
            cache.k[layer][:, :, s:s + T], cache.v[layer][:, :, s:s + T] = k, v
            k, v = cache.k[layer][:, :, : s + T], cache.v[layer][:, :, : s + T]
            mask = None if T == 1 else torch.ones(T, s + T, dtype=torch.bool, device=x.device).tril(diagonal=s)
            y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        x = x + self.drop(self.proj_self(y.transpose(1, 2).reshape(B, T, D)))
        q = self._heads(self.q_cross(self.ln2(x)))
        m = None if mem_mask is None else mem_mask[:, None, None, :]
        y = F.scaled_dot_product_attention(q, mem_kv[0], mem_kv[1], attn_mask=m)
        x = x + self.drop(self.proj_cross(y.transpose(1, 2).reshape(B, T, D)))
        return x + self.drop(self.mlp(self.ln3(x)))


class CrossDecoder(nn.Module):
    """Stack of :class:`CrossDecoderLayer`; ``forward(x, memory | cache)`` → final-normed (B, T, d)."""

    def __init__(self, d: int, n_heads: int, d_ff: int, n_layers: int, dropout: float = 0.0) -> None:
        super().__init__()
        self.d, self.n_heads = d, n_heads
        self.layers = nn.ModuleList(CrossDecoderLayer(d, n_heads, d_ff, dropout) for _ in range(n_layers))
        self.ln_f = nn.LayerNorm(d)

    def new_cache(self, memory: torch.Tensor, mem_mask: torch.Tensor | None, max_len: int) -> DecoderCache:
        B = memory.shape[0]
        shape = (B, self.n_heads, max_len, self.d // self.n_heads)
        ks = [torch.empty(shape, device=memory.device, dtype=memory.dtype) for _ in self.layers]
        vs = [torch.empty(shape, device=memory.device, dtype=memory.dtype) for _ in self.layers]
        return DecoderCache(ks, vs, [layer.memory_kv(memory) for layer in self.layers], mem_mask)

    def forward(self, x: torch.Tensor, memory: torch.Tensor | None = None, mem_mask: torch.Tensor | None = None,
                cache: DecoderCache | None = None) -> torch.Tensor:
        for i, layer in enumerate(self.layers):
            kv = cache.mem[i] if cache is not None else layer.memory_kv(memory)
            x = layer(x, kv, cache.mem_mask if cache is not None else mem_mask, cache, i)
        if cache is not None:
            cache.length += x.shape[1]
        return self.ln_f(x)
