"""AutoBrep: one autoregressive transformer over unified B-Rep topology + geometry tokens.

Xu et al. 2025, "AutoBrep: Autoregressive B-Rep Generation with Unified Topology and Geometry".  A
decoder-only transformer reads the breadth-first face sequence (face bounding-box and FSQ surface
tokens; per edge a reference token naming an earlier face, edge bounding-box and FSQ curve tokens) and is
trained with next-token cross-entropy.  Each input position adds two learned embeddings the adapter fills
in: ``level`` = the token's role (bbox coordinate k, code k, reference …) and ``ref`` = the face block it
belongs to, so a small model knows where in the structure it is.

Sampling is nucleus (top-p) sampling under a grammar: a ``constraint`` object supplied by the domain
(:class:`Constraint`) masks every token the sequence so far does not allow — a reference can only name a
face that exists — and tells the model each new token's role and face.  Autocompletion is the same
sampler started from a given prefix (a partial B-Rep's faces).  With ``cond_drop`` the condition token
(complexity) is replaced by the unconditional one during training (AutoBrep's 20 % meta dropout).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import torch
import torch.nn as nn
import torch.nn.functional as F

from sciGen.config import from_dict
from sciGen.data import Batch, Sequence, collate
from sciGen.generators.loss_steps import LossSteps
from sciGen.generators.optim import OptimConfig
from sciGen.generators.unigenx import filter_logits
from sciGen.nn.trainable import Trainable
from sciGen.nn.transformer import Transformer, TransformerConfig, gpt_init


@dataclass
class AutoBrepConfig:
    vocab_size: int
    pad_id: int = 0
    bos_id: int = 1
    eos_id: int = 2
    n_roles: int = 32
    max_faces: int = 64
    token_kinds: list[int] = field(default_factory=list)  # per id: kind index (stored for the constraint)
    uncond_id: int = -1  # the unconditional token (cond_drop replaces position 1 with it)
    cond_drop: float = 0.2
    transformer: TransformerConfig = field(default_factory=TransformerConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)


class Constraint(Protocol):
    """Grammar of a batch of sequences being sampled.  ``start(prefixes)`` reads each row's prefix;
    ``allowed()`` → (B, V) bool of tokens allowed next; ``step(tokens (B,))`` advances every row and returns
    (role (B,), face (B,)) of the new tokens; ``finished()`` → (B,) bool."""

    def start(self, prefixes: list[list[int]]) -> None: ...

    def allowed(self) -> torch.Tensor: ...

    def step(self, tokens: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]: ...

    def finished(self) -> torch.Tensor: ...

    def select(self, rows: torch.Tensor) -> None: ...


class AutoBrep(LossSteps, Trainable):
    """Reads Batch fields ``tokens, pad_mask, level, ref``; samples Sequences (with level / ref)."""

    reads = ("tokens", "level", "ref")

    def __init__(self, config: AutoBrepConfig | dict) -> None:
        super().__init__()
        cfg = config if isinstance(config, AutoBrepConfig) else from_dict(AutoBrepConfig, config)
        self.cfg = cfg
        d = cfg.transformer.d_model
        self.tok_emb = nn.Embedding(cfg.vocab_size, d)
        self.role_emb = nn.Embedding(cfg.n_roles + 1, d)
        self.face_emb = nn.Embedding(cfg.max_faces + 1, d)
        self.body = Transformer(cfg.transformer)
        self.lm_head = nn.Linear(d, cfg.vocab_size, bias=False)
        self.lm_head.weight = self.tok_emb.weight
        for part in (self.tok_emb, self.role_emb, self.face_emb, self.body):
            part.apply(gpt_init)

    # ---- data --------------------------------------------------------------------------------
    def wrap(self, s: Sequence, eos: bool = True) -> Sequence:
        """<bos> + tokens (+ <eos>); roles / faces padded with 0 (<bos>) and n_roles (<eos>)."""
        c = self.cfg
        lv = s.level if s.level is not None else torch.zeros(len(s), dtype=torch.long)
        rf = s.ref if s.ref is not None else torch.zeros(len(s), dtype=torch.long)
        end = [torch.tensor([c.eos_id])] if eos else []
        return Sequence(torch.cat([torch.tensor([c.bos_id]), s.tokens] + end),
                        level=torch.cat([torch.tensor([c.n_roles]), lv] + ([torch.tensor([c.n_roles])] if eos else [])),
                        ref=torch.cat([torch.tensor([0]), rf] + ([torch.tensor([0])] if eos else [])))

    def collate(self, seqs: list[Sequence]) -> Batch:
        return collate([self.wrap(s) for s in seqs], self.cfg.pad_id)

    def embed(self, tokens: torch.Tensor, roles: torch.Tensor, faces: torch.Tensor) -> torch.Tensor:
        """(B, T) ids, roles, faces → (B, T, D)."""
        return (self.tok_emb(tokens) + self.role_emb(roles.clamp(0, self.cfg.n_roles))
                + self.face_emb(faces.clamp(0, self.cfg.max_faces)))

    # ---- training ----------------------------------------------------------------------------
    def losses(self, batch: Batch) -> dict[str, torch.Tensor]:
        tokens = batch.tokens
        if self.training and self.cfg.cond_drop > 0 and self.cfg.uncond_id >= 0 and tokens.shape[1] > 1:
            drop = torch.rand(tokens.shape[0], device=tokens.device) < self.cfg.cond_drop
            tokens = tokens.clone()
            tokens[drop, 1] = self.cfg.uncond_id
        x = self.embed(tokens[:, :-1], batch.level[:, :-1], batch.ref[:, :-1])
        logits = self.lm_head(self.body(x))
        target = tokens[:, 1:].masked_fill(~batch.pad_mask[:, 1:], -100)
        loss = F.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), target.reshape(-1), ignore_index=-100)
        with torch.no_grad():
            m = target != -100
            acc = (logits.argmax(-1) == target)[m].float().mean()
        return {"loss": loss, "acc": acc}


    # ---- sampling ----------------------------------------------------------------------------
    @torch.no_grad()
    def sample(self, n: int, condition: Sequence | list[Sequence] | None = None, *,
               generator: torch.Generator | None = None, constraint: Constraint | None = None,
               temperature: float = 1.0, top_p: float = 0.9, max_len: int | None = None,
               batch_size: int = 64) -> list[Sequence]:
        """Draw ``n`` Sequences (without <bos>/<eos>) that continue ``condition`` (one prefix for all, or
        one per sample: a condition token, or a partial B-Rep for autocompletion).  ``constraint`` masks
        the logits to the grammar; without one the model samples freely."""
        if constraint is None:
            raise ValueError("AutoBrep samples under a grammar: pass the domain's constraint")
        prefixes = condition if isinstance(condition, list) else [condition] * n
        if len(prefixes) != n:
            raise ValueError(f"{len(prefixes)} prefixes for {n} samples")
        was = self.training
        self.eval()
        out: list[Sequence] = []
        for s in range(0, n, batch_size):
            out += self._sample_batch(prefixes[s:s + batch_size], generator, constraint, temperature, top_p,
                                      min(max_len or self.cfg.transformer.max_len, self.cfg.transformer.max_len))
        self.train(was)
        return out

    def _sample_batch(self, prefixes: list[Sequence | None], gen: torch.Generator | None, constraint: Constraint,
                      temperature: float, top_p: float, max_len: int) -> list[Sequence]:
        c, dev = self.cfg, self.device
        B = len(prefixes)
        wrapped = [self.wrap(p if p is not None else Sequence(torch.zeros(0, dtype=torch.long)), eos=False)
                   for p in prefixes]
        P = max(len(w) for w in wrapped)
        if any(len(w) != P for w in wrapped):  # different prefix lengths: sample one group at a time
            groups: dict[int, list[int]] = {}
            for i, w in enumerate(wrapped):
                groups.setdefault(len(w), []).append(i)
            res: list[Sequence | None] = [None] * B
            for idx in groups.values():
                for i, s in zip(idx, self._sample_batch([prefixes[i] for i in idx], gen, constraint, temperature,
                                                        top_p, max_len)):
                    res[i] = s
            return res  # type: ignore[return-value]
        tokens = torch.full((B, max_len), c.pad_id, dtype=torch.long, device=dev)
        roles = torch.zeros(B, max_len, dtype=torch.long, device=dev)
        faces = torch.zeros(B, max_len, dtype=torch.long, device=dev)
        for i, w in enumerate(wrapped):
            tokens[i, :P], roles[i, :P], faces[i, :P] = w.tokens, w.level, w.ref
        constraint.start([w.tokens[1:].tolist() for w in wrapped])
        length = torch.full((B,), max_len, dtype=torch.long)
        active = torch.arange(B)
        cache = self.body.new_cache(B, dev, self.tok_emb.weight.dtype)
        h = self.body(self.embed(tokens[:, :P], roles[:, :P], faces[:, :P]), cache)[:, -1]
        for t in range(P, max_len):
            logits = self.lm_head(h).float() / max(temperature, 1e-6)
            logits = logits.masked_fill(~constraint.allowed().to(dev), float("-inf"))
            nxt = torch.multinomial(filter_logits(logits, 0, top_p).softmax(-1), 1, generator=gen).squeeze(-1)
            r, f = constraint.step(nxt.cpu())
            tokens[active, t], roles[active, t], faces[active, t] = nxt, r.to(dev), f.to(dev)
            done = constraint.finished()
            length[active[done]] = t
            if bool(done.all()) or t + 1 == max_len:
                break
            if bool(done.any()):
                keep = (~done).nonzero().squeeze(-1)
                active, nxt, r, f = active[keep], nxt[keep], r[keep], f[keep]
                cache.select(keep.to(dev))
                constraint.select(keep)
            h = self.body(self.embed(nxt[:, None], r.to(dev)[:, None], f.to(dev)[:, None]), cache)[:, -1]
        out = []
        for i in range(B):
            L = int(length[i])
            out.append(Sequence(tokens[i, 1:L].cpu(), level=roles[i, 1:L].cpu(), ref=faces[i, 1:L].cpu()))
        return out
