"""G3PT: coarse-to-fine autoregression over multi-scale tokens with a cross-scale querying transformer.

Zhang et al. 2024, "G3PT: Unleash the Power of Autoregressive Modeling in 3D Generation via Cross-scale
Querying Transformer".  A shape is S scales of unordered tokens from VAT (n_1 < n_2 < … tokens).  Since
the tokens have no spatial grid to interpolate between scales, scale s is predicted from n_s learned
*query* tokens that attend to every token of the scales before it — all tokens of a scale at once, full
attention within a scale, causal across scales (next-scale prediction, VAR, Tian et al. 2024).

One pre-norm transformer runs over [condition, context tokens of scales 1..S-1, queries of scales 1..S]
with a block mask: context(s) sees condition + context(≤ s); query(s) sees condition + context(< s) +
query(s).  The condition is a category token or the unconditional token (dropped to unconditional with
probability ``cond_drop`` in training, for classifier-free guidance).

Sequences (from the shapes adapter): tokens (1 + T,) = [condition id, code ids …], level (1 + T,) =
[0, scale index + 1 …].
"""
from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn as nn
import torch.nn.functional as F

from sciGen.config import from_dict
from sciGen.data import Batch, Sequence, collate
from sciGen.generators.conditions import condition_ids, condition_lut, guided
from sciGen.generators.loss_steps import LossSteps
from sciGen.generators.optim import OptimConfig
from sciGen.generators.unigenx import filter_logits
from sciGen.nn.trainable import Trainable
from sciGen.nn.transformer import Block, TransformerConfig, gpt_init


@dataclass
class G3PTConfig:
    vocab_size: int
    code_offset: int  # vocabulary id of code 0
    codebook_size: int
    scales: list[int]
    cond_ids: list[int]  # vocabulary ids of the condition tokens; cond_ids[0] is "unconditional"
    pad_id: int = 0
    bos_id: int = 1
    eos_id: int = 2
    d_model: int = 256
    n_layers: int = 6
    n_heads: int = 8
    d_ff: int = 1024
    dropout: float = 0.1
    cond_drop: float = 0.1
    optim: OptimConfig = field(default_factory=OptimConfig)


def scale_mask(scales: list[int]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The layout [cond, context(scales[:-1]), queries(scales)] → (kind (L,), level (L,), mask (L, L)):
    kind 0 cond / 1 context / 2 query; mask[i, j] True where position i may attend to j."""
    S = len(scales)
    kind = [0] + [1] * sum(scales[:-1]) + [2] * sum(scales)
    level = [-1] + [s for s in range(S - 1) for _ in range(scales[s])] + [s for s in range(S) for _ in range(scales[s])]
    kind, level = torch.tensor(kind), torch.tensor(level)
    ki, kj, li, lj = kind[:, None], kind[None, :], level[:, None], level[None, :]
    mask = (kj == 0) | ((ki == 1) & (kj == 1) & (lj <= li)) | ((ki == 2) & (kj == 1) & (lj < li)) \
        | ((ki == 2) & (kj == 2) & (lj == li))
    return kind, level, mask


class G3PT(LossSteps, Trainable):
    """Reads Batch ``tokens`` (B, 1 + T); samples Sequences of the same layout."""

    reads = ("tokens", "level")

    def __init__(self, config: G3PTConfig | dict) -> None:
        super().__init__()
        cfg = config if isinstance(config, G3PTConfig) else from_dict(G3PTConfig, config)
        self.cfg = cfg
        d, S, T = cfg.d_model, len(cfg.scales), sum(cfg.scales)
        self.cond_emb = nn.Embedding(len(cfg.cond_ids), d)
        self.code_emb = nn.Embedding(cfg.codebook_size, d)
        self.level_emb = nn.Embedding(S, d)
        self.token_pos = nn.Parameter(torch.randn(T, d) * 0.02)  # which token of its scale (context)
        self.query_pos = nn.Parameter(torch.randn(T, d) * 0.02)  # which token of its scale (queries)
        tcfg = TransformerConfig(d_model=d, n_layers=cfg.n_layers, n_heads=cfg.n_heads, d_ff=cfg.d_ff,
                                 dropout=cfg.dropout)
        self.blocks = nn.ModuleList(Block(tcfg) for _ in range(cfg.n_layers))
        self.ln_f = nn.LayerNorm(d)
        self.head = nn.Linear(d, cfg.codebook_size)
        self.apply(gpt_init)
        kind, level, mask = scale_mask(cfg.scales)
        self.register_buffer("mask", mask, persistent=False)
        self.register_buffer("levels", torch.cat([torch.full((n,), s) for s, n in enumerate(cfg.scales)]),
                             persistent=False)
        self.register_buffer("cond_lut", condition_lut(cfg.vocab_size, cfg.cond_ids), persistent=False)
        self.starts = [sum(cfg.scales[:s]) for s in range(S + 1)]

    # ---- data --------------------------------------------------------------------------------------
    def collate(self, seqs: list[Sequence]) -> Batch:
        return collate(seqs, self.cfg.pad_id)

    # ---- model -------------------------------------------------------------------------------------
    def _context(self, codes: torch.Tensor, upto: int) -> torch.Tensor:
        """codes (B, ≥ starts[upto]) → context embeddings of scales < upto (B, starts[upto], D)."""
        n = self.starts[upto]
        return self.code_emb(codes[:, :n]) + self.token_pos[:n] + self.level_emb(self.levels[:n])

    def _queries(self, B: int, s: int) -> torch.Tensor:
        a, b = self.starts[s], self.starts[s + 1]
        return (self.query_pos[a:b] + self.level_emb(self.levels[a:b])).unsqueeze(0).expand(B, -1, -1)

    def _run(self, x: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
        """x (B, L', D) at layout positions ``idx`` (L',) → hidden (B, L', D) under the block mask."""
        m = self.mask[idx][:, idx][None, None]
        for blk in self.blocks:
            x = blk(x, attn_mask=m)
        return self.ln_f(x)

    def forward(self, cond: torch.Tensor, codes: torch.Tensor) -> torch.Tensor:
        """cond (B,) condition index, codes (B, T) → logits (B, T, K) for every token, in one pass."""
        B, S, T = codes.shape[0], len(self.cfg.scales), codes.shape[1]
        x = torch.cat([self.cond_emb(cond)[:, None], self._context(codes, S - 1),
                       torch.cat([self._queries(B, s) for s in range(S)], 1)], 1)
        h = self._run(x, torch.arange(x.shape[1], device=x.device))
        return self.head(h[:, -T:])

    def _split(self, tokens: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        cond = self.cond_lut[tokens[:, 0]]
        if (cond < 0).any():
            raise ValueError("G3PT: the first token of a sequence must be a condition token")
        return cond, tokens[:, 1:] - self.cfg.code_offset

    def losses(self, batch: Batch) -> dict[str, torch.Tensor]:
        cond, codes = self._split(batch.tokens)
        if self.training and self.cfg.cond_drop > 0:
            drop = torch.rand(cond.shape, device=cond.device) < self.cfg.cond_drop
            cond = cond.masked_fill(drop, 0)
        logits = self(cond, codes)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), codes.reshape(-1))
        acc = (logits.argmax(-1) == codes).float().mean()
        return {"loss": loss, "acc": acc}


    # ---- sampling ----------------------------------------------------------------------------------
    @torch.no_grad()
    def sample(self, n: int, condition: int | list[int] | None = None, *, generator: torch.Generator | None = None,
               temperature: float = 1.0, top_k: int = 0, top_p: float = 1.0, cfg_scale: float = 1.0,
               **_: object) -> list[Sequence]:
        """n Sequences, scale by scale: every token of scale s drawn at once from its queries.
        ``condition``: a condition vocabulary id (or one per sample); None = unconditional.
        ``cfg_scale`` > 1 applies classifier-free guidance against the unconditional token."""
        dev, S = self.device, len(self.cfg.scales)
        cond_ids = condition_ids(n, condition, self.cfg.cond_ids[0], dev)
        cond = self.cond_lut[cond_ids]
        if (cond < 0).any():
            raise ValueError("G3PT.sample: condition is not a condition token of this model")
        guide = cfg_scale != 1.0 and bool((cond > 0).any())
        codes = torch.zeros(n, sum(self.cfg.scales), dtype=torch.long, device=dev)
        n_ctx = sum(self.cfg.scales[:-1])
        for s in range(S):
            a, b = self.starts[s], self.starts[s + 1]
            idx = torch.cat([torch.arange(1 + a, device=dev), 1 + n_ctx + torch.arange(a, b, device=dev)])
            c = torch.cat([cond, torch.zeros_like(cond)]) if guide else cond
            cc = codes.repeat(2, 1) if guide else codes
            x = torch.cat([self.cond_emb(c)[:, None], self._context(cc, s), self._queries(len(c), s)], 1)
            logits = self.head(self._run(x, idx)[:, -(b - a):]).float()
            if guide:
                logits = guided(logits, cfg_scale)
            logits = filter_logits((logits / max(temperature, 1e-6)).reshape(-1, logits.shape[-1]), top_k, top_p)
            draw = torch.multinomial(logits.softmax(-1), 1, generator=generator).view(n, b - a)
            codes[:, a:b] = draw
        level = torch.cat([torch.zeros(1, dtype=torch.long), self.levels.cpu() + 1])
        return [Sequence(torch.cat([cond_ids[i:i + 1].cpu(), codes[i].cpu() + self.cfg.code_offset]), level=level)
                for i in range(n)]
