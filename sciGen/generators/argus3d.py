"""Argus3D: a GPT over one 1-D vector of discrete shape codes, with conditions as a prefix.

Luo et al. 2024, "Pushing Auto-regressive Models for 3D Shape Generation at Capacity and Scalability"
(Argus3D; ImAM, Qian et al. 2023).  A shape is the raster-ordered code vector of :class:`TriplaneVQ`
(T codes, one codebook).  A decoder-only transformer models it token by token; conditions are simply
concatenated in front of the codes: a category token (or the unconditional token — dropped to it with
probability ``cond_drop`` in training, for classifier-free guidance) and P tokens summarising a partial
point cloud (shape completion), read by learned queries that cross-attend to the points (with a soft
locality prior, :class:`~sciGen.nn.point_encoder.PointQueryEncoder`).  Without a cloud the P prefix
slots hold learned "no points" embeddings; in training a fraction ``points_prob`` of the shapes get a
partial cloud cut from their own surface by a random plane.

With ``partial_codes`` the partial cloud also enters *aligned* with the sequence: the tokenizer's own
code vector of the partial cloud (TriplaneVQ.encode of the cut points, normals zeroed; computed by the
shapes adapter) is embedded and added to the input that predicts each code, so position t sees what
the given half says about patch t (a learned "none" entry, index K, where no cloud is given).  The
12-token summary alone conditions weakly; the aligned codes let the GPT copy the observed patches and
generate only the missing ones.

Layout: [category, points_1 … points_P, code_1 … code_T]; the hidden state before code t predicts it.
Batches (dicts from the shapes adapter): ``tokens`` (B, 1 + T) = [condition id, code ids], ``points``
(B, N, 3), ``has_points`` (B,) bool, and with ``partial_codes`` ``partial`` (B, T) in [0, K] (K = none).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn as nn
import torch.nn.functional as F

from sciGen.config import from_dict
from sciGen.data import Sequence
from sciGen.generators.conditions import condition_ids, condition_lut, guided
from sciGen.generators.loss_steps import LossSteps
from sciGen.generators.optim import OptimConfig
from sciGen.generators.unigenx import filter_logits
from sciGen.nn.point_encoder import PointQueryEncoder
from sciGen.nn.trainable import Trainable
from sciGen.nn.transformer import Transformer, TransformerConfig, gpt_init


@dataclass
class Argus3DConfig:
    vocab_size: int
    code_offset: int  # vocabulary id of code 0
    codebook_size: int
    n_codes: int  # T: codes per shape
    cond_ids: list[int]  # vocabulary ids of the condition tokens; cond_ids[0] is "unconditional"
    pad_id: int = 0
    bos_id: int = 1
    eos_id: int = 2
    d_model: int = 192
    n_layers: int = 4
    n_heads: int = 6
    d_ff: int = 768
    dropout: float = 0.1
    cond_drop: float = 0.1
    point_base: int = 2  # P = 3 · point_base² prefix tokens for the partial cloud
    point_sigma: float = 0.5  # locality prior of the point prefix queries
    n_points: int = 1024  # points of the partial cloud the prefix reads
    points_prob: float = 0.5  # training shapes whose prefix carries a partial cloud
    partial_codes: bool = False  # also add the partial cloud's own code vector, aligned, to the inputs
    optim: OptimConfig = field(default_factory=OptimConfig)


class Argus3D(LossSteps, Trainable):
    """GPT over codes with a [category, partial-cloud] prefix; samples Sequences [condition, codes]."""

    def __init__(self, config: Argus3DConfig | dict) -> None:
        super().__init__()
        cfg = config if isinstance(config, Argus3DConfig) else from_dict(Argus3DConfig, config)
        self.cfg = cfg
        d = cfg.d_model
        self.n_prefix = 1 + 3 * cfg.point_base ** 2
        self.cond_emb = nn.Embedding(len(cfg.cond_ids), d)
        self.code_emb = nn.Embedding(cfg.codebook_size, d)
        self.no_points = nn.Parameter(torch.randn(self.n_prefix - 1, d) * 0.02)
        self.point_enc = PointQueryEncoder(d, cfg.n_heads, cfg.d_ff, 0, cfg.point_base, 6, cfg.point_sigma)
        self.gpt = Transformer(TransformerConfig(d_model=d, n_layers=cfg.n_layers, n_heads=cfg.n_heads,
                                                 d_ff=cfg.d_ff, max_len=self.n_prefix + cfg.n_codes,
                                                 dropout=cfg.dropout))
        self.head = nn.Linear(d, cfg.codebook_size)
        self.partial_emb = nn.Embedding(cfg.codebook_size + 1, d) if cfg.partial_codes else None
        self.apply(gpt_init)
        self.register_buffer("cond_lut", condition_lut(cfg.vocab_size, cfg.cond_ids), persistent=False)

    # ---- model -------------------------------------------------------------------------------------
    def prefix(self, cond: torch.Tensor, points: torch.Tensor | None, has_points: torch.Tensor | None = None
               ) -> torch.Tensor:
        """cond (B,) condition index, points (B, N, 3) or None, has_points (B,) → prefix (B, 1 + P, D)."""
        B = cond.shape[0]
        pre = self.no_points.unsqueeze(0).expand(B, -1, -1)
        if points is not None:
            pts = torch.cat([points, torch.zeros_like(points)], -1)  # a partial cloud has no normals
            enc = self.point_enc(pts)
            keep = torch.ones(B, dtype=torch.bool, device=cond.device) if has_points is None else has_points
            pre = torch.where(keep[:, None, None], enc, pre)
        return torch.cat([self.cond_emb(cond)[:, None], pre], 1)

    def aligned(self, partial: torch.Tensor | None, n: int, device: torch.device) -> torch.Tensor | None:
        """partial (B, T) or (T,) codes of the partial cloud (K = none) or None → embeddings (n, T, D), or
        None without ``partial_codes``."""
        if self.partial_emb is None:
            return None
        if partial is None:
            partial = torch.full((self.cfg.n_codes,), self.cfg.codebook_size, dtype=torch.long)
        partial = torch.as_tensor(partial, dtype=torch.long, device=device)
        return self.partial_emb(partial.expand(n, -1) if partial.dim() == 1 else partial)

    def forward(self, cond: torch.Tensor, codes: torch.Tensor, points: torch.Tensor | None = None,
                has_points: torch.Tensor | None = None, partial: torch.Tensor | None = None) -> torch.Tensor:
        """cond (B,), codes (B, T) → logits (B, T, K): position t predicts code t from the prefix and codes < t
        (and, with ``partial_codes``, from the partial cloud's code t, added to that position's input)."""
        x = torch.cat([self.prefix(cond, points, has_points), self.code_emb(codes[:, :-1])], 1)
        side = self.aligned(partial, len(codes), codes.device)
        if side is not None:  # onto the inputs that predict codes 1..T: the last prefix slot and codes < T
            x = x + F.pad(side, (0, 0, self.n_prefix - 1, 0))
        h = self.gpt(x)
        return self.head(h[:, self.n_prefix - 1:])

    def _split(self, tokens: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        cond = self.cond_lut[tokens[:, 0]]
        if (cond < 0).any():
            raise ValueError("Argus3D: the first token of a sequence must be a condition token")
        return cond, tokens[:, 1:] - self.cfg.code_offset

    # ---- training ----------------------------------------------------------------------------------
    def losses(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        cond, codes = self._split(batch["tokens"])
        if self.training and self.cfg.cond_drop > 0:
            cond = cond.masked_fill(torch.rand(cond.shape, device=cond.device) < self.cfg.cond_drop, 0)
        logits = self(cond, codes, batch.get("points"), batch.get("has_points"), batch.get("partial"))
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), codes.reshape(-1))
        return {"loss": loss, "acc": (logits.argmax(-1) == codes).float().mean()}

    # ---- sampling ----------------------------------------------------------------------------------
    @torch.no_grad()
    def sample(self, n: int, condition: int | list[int] | None = None, *, points: torch.Tensor | None = None,
               generator: torch.Generator | None = None, temperature: float = 1.0, top_k: int = 0,
               top_p: float = 1.0, cfg_scale: float = 1.0, partial: torch.Tensor | None = None,
               **_: object) -> list[Sequence]:
        """n Sequences [condition, T codes], drawn token by token with a KV cache.
        ``condition``: a condition vocabulary id (or one per sample); None = unconditional.
        ``points``: a partial cloud (N, 3) for every sample, or (n, N, 3) one each; None = none.
        ``cfg_scale`` > 1 guides towards the category against the unconditional token (same points).
        ``partial``: the partial cloud's code vector (T,) or (n, T) (``partial_codes`` models; the shapes
        adapter's ``sampling_knobs`` makes it from the points)."""
        dev = self.device
        cond_ids = condition_ids(n, condition, self.cfg.cond_ids[0], dev)
        cond = self.cond_lut[cond_ids]
        if (cond < 0).any():
            raise ValueError("Argus3D.sample: condition is not a condition token of this model")
        pts = None
        if points is not None:
            pts = torch.as_tensor(points, dtype=torch.float32, device=dev)
            pts = pts.expand(n, -1, -1) if pts.dim() == 2 else pts
        guide = cfg_scale != 1.0 and bool((cond > 0).any())
        c = torch.cat([cond, torch.zeros_like(cond)]) if guide else cond
        p = pts.repeat(2, 1, 1) if (guide and pts is not None) else pts
        side = self.aligned(partial, n, dev)
        if side is not None and guide:
            side = side.repeat(2, 1, 1)
        pre = self.prefix(c, p)
        if side is not None:
            pre = torch.cat([pre[:, :-1], pre[:, -1:] + side[:, :1]], 1)
        cache = self.gpt.new_cache(len(c), dev)
        h = self.gpt(pre, cache)[:, -1]
        codes = torch.zeros(n, self.cfg.n_codes, dtype=torch.long, device=dev)
        for t in range(self.cfg.n_codes):
            logits = self.head(h).float()
            if guide:
                logits = guided(logits, cfg_scale)
            logits = filter_logits(logits / max(temperature, 1e-6), top_k, top_p)
            codes[:, t] = torch.multinomial(logits.softmax(-1), 1, generator=generator)[:, 0]
            if t + 1 < self.cfg.n_codes:
                nxt = codes[:, t].repeat(2) if guide else codes[:, t]
                x = self.code_emb(nxt)[:, None]
                h = self.gpt(x if side is None else x + side[:, t + 1:t + 2], cache)[:, -1]
        return [Sequence(torch.cat([cond_ids[i:i + 1].cpu(), codes[i].cpu() + self.cfg.code_offset]))
                for i in range(n)]
