"""UniGenX: one autoregressive transformer for tokens and numbers.

Zhang et al. 2025, "UniGenX: Unified Generation of Sequence and Structure with Autoregressive
Diffusion".  A decoder-only transformer reads a mixed sequence of discrete tokens and number
slots.  Next-token cross-entropy trains the tokens; at a number slot the hidden state of the
previous position conditions a per-token diffusion head (MAR's DiffLoss) that models the
continuous value, and the value is fed back as an input embedding.  Conditioning is by prefix
(a composition for crystal structure prediction, a SMILES string for conformers).

With an anchored head (``diffusion.anchored``) each number slot names an earlier slot, its anchor
(``Sequence.ref``: the anchor's position, −1 for none; from the adapter — for molecules, a bonded atom placed
before): the head reads the value relative to the anchor's value too (:mod:`sciGen.nn.diffusion_head`).  At
sampling the adapter's ``value_anchor`` names each new slot's anchor.  ``train_only`` trains some parameters
(by name prefix, e.g. ``head.refine``) with the rest frozen.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import torch
import torch.nn as nn
import torch.nn.functional as F

from sciGen.config import from_dict
from sciGen.data import Batch, Sequence, collate
from sciGen.generators.optim import OptimConfig, configure_adamw
from sciGen.nn.diffusion_head import DiffusionHead, DiffusionHeadConfig
from sciGen.nn.trainable import Trainable
from sciGen.nn.transformer import Transformer, TransformerConfig, gpt_init


@dataclass
class UniGenXConfig:
    vocab_size: int
    value_dim: int = 0
    number_ids: list[int] = field(default_factory=list)
    pad_id: int = 0
    bos_id: int = 1
    eos_id: int = 2
    transformer: TransformerConfig = field(default_factory=TransformerConfig)
    diffusion: DiffusionHeadConfig = field(default_factory=DiffusionHeadConfig)
    value_loss_weight: float = 1.0
    # training only: σ (value units) of the anchor-chained perturbation of the earlier numbers the transformer
    # reads (``anchor_chained_noise``; needs Sequence.ref): it sees a context placed as imprecisely as its own draws
    context_noise: float = 0.0
    optim: OptimConfig = field(default_factory=OptimConfig)
    train_only: list[str] = field(default_factory=list)  # parameter-name prefixes to train; empty: all


class ValueCheck(Protocol):
    """A hard constraint on a sampled number: ``(token (N,), tokens (N, t), values (N, t, V), value_mask (N, t),
    candidate (N, V)) -> ok (N,) bool`` — the positions before it include <bos>."""

    def __call__(self, token: torch.Tensor, tokens: torch.Tensor, values: torch.Tensor, value_mask: torch.Tensor,
                 candidate: torch.Tensor) -> torch.Tensor: ...


class ValueAnchor(Protocol):
    """The anchor of a number slot about to be drawn: ``(token (N,), tokens (N, t), values (N, t, V), value_mask
    (N, t)) -> position (N,) long`` among the t positions before it (<bos> included; 0, <bos>'s zero value, for
    none)."""

    def __call__(self, token: torch.Tensor, tokens: torch.Tensor, values: torch.Tensor,
                 value_mask: torch.Tensor) -> torch.Tensor: ...


def filter_logits(logits: torch.Tensor, top_k: int = 0, top_p: float = 1.0) -> torch.Tensor:
    """logits (B, V) with everything outside the top-k / nucleus top-p set to -inf."""
    if top_k and top_k < logits.shape[-1]:
        kth = torch.topk(logits, top_k, dim=-1).values[:, -1:]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    if top_p < 1.0:
        srt, idx = torch.sort(logits, descending=True, dim=-1)
        cum = srt.softmax(-1).cumsum(-1)
        drop = cum - srt.softmax(-1) > top_p  # keep the first token that crosses top_p
        logits = logits.masked_fill(drop.scatter(-1, idx, drop), float("-inf"))
    return logits


@torch.no_grad()
def anchor_chained_noise(values: torch.Tensor, value_mask: torch.Tensor, ref: torch.Tensor, sigma: float,
                         generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Perturb a batch's numbers the way free-running sampling does, and move each target with its anchor.

    values (B, T, V), value_mask (B, T), ref (B, T): each slot's anchor position, earlier than it (0 = none,
    <bos>, whose value is never perturbed).  Every slot k draws its own error δ_k ~ N(0, σ²) and inherits its
    anchor's displacement: D_k = δ_k + D_ref(k).  Returns (inputs = values + D, targets = values + D_ref(k)):
    the target of slot k keeps its true offset to its anchor *as perturbed*, so teacher forcing on the inputs
    teaches the head to place an atom relative to where its neighbour actually landed (the compounding error of
    autoregressive sampling; Bengio et al. 2015's scheduled sampling, for numbers) rather than where it should
    have landed.  Both (B, T, V)."""
    B, T, _ = values.shape
    delta = torch.randn(values.shape, generator=generator, device=values.device, dtype=values.dtype) * sigma
    delta = delta * value_mask.unsqueeze(-1).to(values.dtype)
    D = torch.zeros_like(values)
    rows = torch.arange(B, device=values.device)
    for t in range(1, T):  # ref(k) < k: anchors are displaced before the slots that hang from them
        D[:, t] = delta[:, t] + D[rows, ref[:, t]]
    return values + D, values + D - delta


class UniGenX(Trainable):
    """Reads Batch fields ``tokens, pad_mask, values, value_mask``; samples Sequences."""

    reads = ("tokens", "values", "value_mask")

    def __init__(self, config: UniGenXConfig | dict) -> None:
        super().__init__()
        cfg = config if isinstance(config, UniGenXConfig) else from_dict(UniGenXConfig, config)
        self.cfg = cfg
        d = cfg.transformer.d_model
        self.tok_emb = nn.Embedding(cfg.vocab_size, d)
        self.body = Transformer(cfg.transformer)
        self.lm_head = nn.Linear(d, cfg.vocab_size, bias=False)
        self.lm_head.weight = self.tok_emb.weight  # weight tying (GPT-2)
        if cfg.value_dim > 0:
            self.num_emb = nn.Sequential(nn.Linear(cfg.value_dim, d), nn.SiLU(), nn.Linear(d, d))
            self.head = DiffusionHead(cfg.value_dim, d, cfg.diffusion)
        for part in (self.tok_emb, self.body, getattr(self, "num_emb", None)):
            if part is not None:
                part.apply(gpt_init)
        self.register_buffer("is_number", torch.zeros(cfg.vocab_size, dtype=torch.bool), persistent=False)
        self.is_number[cfg.number_ids] = True
        if cfg.train_only:
            names = [n for n, _ in self.named_parameters()]
            unknown = [p for p in cfg.train_only if not any(n.startswith(p) for n in names)]
            if unknown:
                raise ValueError(f"train_only names no parameter: {', '.join(unknown)}")
            for n, p in self.named_parameters():
                p.requires_grad_(any(n.startswith(q) for q in cfg.train_only))

    @property
    def anchored(self) -> bool:
        return self.cfg.value_dim > 0 and self.cfg.diffusion.anchored

    # ---- data --------------------------------------------------------------------------------
    def collate(self, seqs: list[Sequence]) -> Batch:
        """Wrap each Sequence as <bos> … <eos> and pad: the DataLoader's collate_fn."""
        wrapped = [self._wrap(s, eos=True) for s in seqs]
        return collate(wrapped, self.cfg.pad_id, self.cfg.value_dim or None)

    def _wrap(self, s: Sequence, eos: bool) -> Sequence:
        c = self.cfg
        tok = [torch.tensor([c.bos_id]), s.tokens] + ([torch.tensor([c.eos_id])] if eos else [])
        tokens = torch.cat(tok)
        if c.value_dim == 0:
            return Sequence(tokens)
        V = c.value_dim
        vals = s.values if s.values is not None else torch.zeros(len(s), V)
        vmask = s.value_mask if s.value_mask is not None else torch.zeros(len(s), dtype=torch.bool)
        pad_v, pad_m, pad_r = torch.zeros(1, V), torch.zeros(1, dtype=torch.bool), torch.zeros(1, dtype=torch.long)
        ref = None
        # anchor positions shift by one for <bos>; none (−1) becomes <bos> (value 0)
        if self.anchored or (c.context_noise > 0 and s.ref is not None):
            ref = torch.cat([pad_r, s.ref + 1 if s.ref is not None else torch.zeros(len(s), dtype=torch.long)]
                            + ([pad_r] if eos else []))
        return Sequence(tokens, torch.cat([pad_v, vals] + ([pad_v] if eos else [])),
                        torch.cat([pad_m, vmask] + ([pad_m] if eos else [])), ref=ref)

    # ---- model -------------------------------------------------------------------------------
    def embed(self, tokens: torch.Tensor, values: torch.Tensor | None = None,
              value_mask: torch.Tensor | None = None) -> torch.Tensor:
        """tokens (B, T), values (B, T, V), value_mask (B, T) → (B, T, D)."""
        x = self.tok_emb(tokens)
        if self.cfg.value_dim > 0 and values is not None:
            x = x + self.num_emb(values.to(x.dtype)) * value_mask.unsqueeze(-1).to(x.dtype)
        return x

    def losses(self, batch: Batch) -> dict[str, torch.Tensor]:
        """Token cross-entropy (mean over real next tokens) + diffusion loss at number slots."""
        inp = slice(None, -1)
        values = targets = batch.values
        if self.training and self.cfg.context_noise > 0 and values is not None:
            if batch.ref is None:
                raise ValueError("context_noise trains on Sequences with anchors (Sequence.ref)")
            values, targets = anchor_chained_noise(values, batch.value_mask, batch.ref, self.cfg.context_noise)
        x = self.embed(batch.tokens[:, inp],
                       None if values is None else values[:, inp],
                       None if batch.value_mask is None else batch.value_mask[:, inp])
        h = self.body(x)  # (B, T-1, D)
        logits = self.lm_head(h)
        target = batch.tokens[:, 1:].masked_fill(~batch.pad_mask[:, 1:], -100)
        token_loss = F.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), target.reshape(-1),
                                     ignore_index=-100)
        out = {"token_loss": token_loss, "loss": token_loss}
        if self.cfg.value_dim > 0 and batch.value_mask is not None:
            m = (batch.value_mask[:, 1:] & batch.pad_mask[:, 1:]).reshape(-1)
            V = self.cfg.value_dim
            vt = targets[:, 1:].reshape(-1, V)
            anchor = None
            if self.anchored:
                if batch.ref is None:
                    raise ValueError("an anchored UniGenX trains on Sequences with anchors (Sequence.ref)")
                anchor = values.gather(1, batch.ref[:, 1:, None].expand(-1, -1, V)).reshape(-1, V)
            value_loss = self.head(vt, h.reshape(-1, h.shape[-1]), m, anchor)
            out["value_loss"] = value_loss
            out["loss"] = token_loss + self.cfg.value_loss_weight * value_loss
        return out

    def training_step(self, batch: Batch, batch_idx: int) -> torch.Tensor:
        out = self.losses(batch)
        self.log_dict({f"train/{k}": v for k, v in out.items()}, prog_bar=True, batch_size=len(batch),
                      sync_dist=False)
        return out["loss"]

    def validation_step(self, batch: Batch, batch_idx: int) -> None:
        out = self.losses(batch)
        self.log_dict({f"val/{k}": v for k, v in out.items()}, prog_bar=True, batch_size=len(batch),
                      sync_dist=True)

    def configure_optimizers(self) -> dict:
        return configure_adamw(self, self.cfg.optim)

    # ---- sampling ----------------------------------------------------------------------------
    @torch.no_grad()
    def sample(self, n: int, condition: Sequence | None = None, *, generator: torch.Generator | None = None,
               temperature: float = 1.0, top_k: int = 0, top_p: float = 1.0, max_len: int | None = None,
               diffusion_steps: int | None = None, value_temperature: float = 1.0, batch_size: int = 256,
               use_cache: bool = True, stop_at_eos: bool = True, value_check: ValueCheck | None = None,
               value_retries: int = 8, template: Sequence | None = None,
               value_anchor: ValueAnchor | None = None) -> list[Sequence]:
        """Draw ``n`` Sequences (without <bos>/<eos>), each starting with ``condition``'s tokens.

        ``value_check`` (from the adapter) is a hard constraint on sampled numbers: a value it rejects is
        drawn again from the diffusion head, up to ``value_retries`` times (e.g. an atom placed closer
        than 0.5 Å to another).  ``value_anchor`` (from the adapter) names each slot's anchor; an anchored
        model needs it.

        ``template`` fixes every token (its ``value_mask`` marks the number slots): only the numbers are
        drawn, by :meth:`fill` (e.g. conformers of a given SMILES).

        Batched; with ``use_cache`` each step feeds one position through the KV cache, otherwise
        the whole prefix is recomputed (the baseline the cache is measured against).  Finished
        rows are dropped from the batch.  A sample that reaches ``max_len`` without <eos> is
        returned truncated (its decode usually fails and is counted invalid).
        """
        if template is not None:
            return self.fill([template] * n, generator=generator, diffusion_steps=diffusion_steps,
                             value_temperature=value_temperature, batch_size=batch_size, value_check=value_check,
                             value_retries=value_retries, value_anchor=value_anchor)
        self._need_anchor(value_anchor)
        was_training = self.training
        self.eval()
        out: list[Sequence] = []
        for start in range(0, n, batch_size):
            out += self._sample_batch(min(batch_size, n - start), condition, generator, temperature, top_k, top_p,
                                      max_len or self.cfg.transformer.max_len, diffusion_steps,
                                      value_temperature, use_cache, stop_at_eos, value_check, value_retries,
                                      value_anchor)
        self.train(was_training)
        return out

    def _need_anchor(self, value_anchor: ValueAnchor | None) -> None:
        if self.anchored and value_anchor is None:
            raise ValueError("this UniGenX has an anchored diffusion head: sampling needs value_anchor "
                             "(the adapter's sampling_knobs gives it)")

    def _sample_batch(self, B: int, condition: Sequence | None, gen: torch.Generator | None, temperature: float,
                      top_k: int, top_p: float, max_len: int, diffusion_steps: int | None,
                      value_temperature: float, use_cache: bool, stop_at_eos: bool,
                      value_check: ValueCheck | None = None, value_retries: int = 0,
                      value_anchor: ValueAnchor | None = None) -> list[Sequence]:
        c, dev, V = self.cfg, self.device, self.cfg.value_dim
        prefix = self._wrap(condition if condition is not None else Sequence(torch.zeros(0, dtype=torch.long)),
                            eos=False)
        P = len(prefix)
        max_len = min(max_len, c.transformer.max_len)
        tokens = torch.full((B, max_len), c.pad_id, dtype=torch.long, device=dev)
        tokens[:, :P] = prefix.tokens.to(dev)
        values = torch.zeros(B, max_len, max(V, 1), device=dev)
        vmask = torch.zeros(B, max_len, dtype=torch.bool, device=dev)
        if V:
            values[:, :P] = prefix.values.to(dev)
            vmask[:, :P] = prefix.value_mask.to(dev)
        length = torch.full((B,), max_len, dtype=torch.long, device=dev)
        active = torch.arange(B, device=dev)  # output rows held in the running batch
        live = torch.ones(B, dtype=torch.bool, device=dev)  # of those, not yet finished
        cache = self.body.new_cache(B, dev, self.tok_emb.weight.dtype) if use_cache else None
        h = self.body(self.embed(tokens[:, :P], values[:, :P], vmask[:, :P]), cache)[:, -1]
        for t in range(P, max_len):
            logits = filter_logits(self.lm_head(h).float() / max(temperature, 1e-6), top_k, top_p)
            nxt = torch.multinomial(logits.softmax(-1), 1, generator=gen).squeeze(-1)
            tokens[active[live], t] = nxt[live]
            is_num = self.is_number[nxt] & live
            val = torch.zeros(len(active), max(V, 1), device=dev)
            if V and bool(is_num.any()):
                rows = is_num.nonzero().squeeze(-1)
                a = active[rows]
                val[rows] = self._draw_values(h[rows], nxt[rows], tokens[a, :t], values[a, :t], vmask[a, :t],
                                              diffusion_steps, value_temperature, gen, value_check,
                                              value_retries, value_anchor).to(val.dtype)
                values[active[is_num], t] = val[is_num]
                vmask[active[is_num], t] = True
            done = live & (nxt == c.eos_id) if stop_at_eos else torch.zeros_like(live)
            length[active[done]] = t
            live &= ~done
            if t + 1 == max_len or not bool(live.any()):
                break
            # drop finished rows only once a quarter of the batch is finished: copying the cache costs
            if int((~live).sum()) * 4 >= len(live):
                keep = live.nonzero().squeeze(-1)
                active, live, nxt, val, is_num = active[keep], live[keep], nxt[keep], val[keep], is_num[keep]
                if cache is not None:
                    cache.select(keep)
            if cache is not None:
                h = self.body(self.embed(nxt[:, None], val[:, None], is_num[:, None]), cache)[:, -1]
            else:
                a = active
                h = self.body(self.embed(tokens[a, :t + 1], values[a, :t + 1], vmask[a, :t + 1]))[:, -1]
        seqs = []
        for i in range(B):
            L = int(length[i])
            tk = tokens[i, 1:L].cpu()
            seqs.append(Sequence(tk, values[i, 1:L].cpu(), vmask[i, 1:L].cpu()) if V else Sequence(tk))
        return seqs

    def _draw_values(self, h: torch.Tensor, token: torch.Tensor, tokens: torch.Tensor, values: torch.Tensor,
                     value_mask: torch.Tensor, diffusion_steps: int | None, value_temperature: float,
                     gen: torch.Generator | None, value_check: ValueCheck | None, value_retries: int,
                     value_anchor: ValueAnchor | None = None) -> torch.Tensor:
        """Values (N, V) for N number slots from hidden states h (N, D); a value ``value_check`` rejects (given
        the slot's token (N,) and the rows' earlier positions (N, t, …)) is drawn again, up to ``value_retries``
        times.  An anchored head reads each slot's anchor value, at the position ``value_anchor`` names."""
        anchor = None
        if self.anchored:
            pos = value_anchor(token, tokens, values, value_mask).to(values.device)
            anchor = values[torch.arange(len(pos), device=values.device), pos].float()
        val = self.head.sample(h, diffusion_steps, value_temperature, gen, anchor=anchor)
        for _ in range(value_retries if value_check is not None else 0):
            ok = value_check(token, tokens, values, value_mask, val).to(val.device)
            if bool(ok.all()):
                break
            bad = (~ok).nonzero().squeeze(-1)
            val[bad] = self.head.sample(h[bad], diffusion_steps, value_temperature, gen,
                                        anchor=None if anchor is None else anchor[bad]).to(val.dtype)
        return val

    @torch.no_grad()
    def fill(self, templates: list[Sequence], *, generator: torch.Generator | None = None,
             diffusion_steps: int | None = None, value_temperature: float = 1.0, batch_size: int = 256,
             value_check: ValueCheck | None = None, value_retries: int = 8,
             value_anchor: ValueAnchor | None = None) -> list[Sequence]:
        """Draw the numbers of token sequences fixed in advance: each template's tokens are kept, and each
        position its ``value_mask`` marks gets a value from the diffusion head conditioned on everything
        before it (earlier numbers included).  Templates may differ in length: rows are aligned at <bos>,
        so one KV-cached pass over the longest serves the batch.  Returns Sequences without <bos>/<eos>."""
        if self.cfg.value_dim == 0:
            raise ValueError("fill needs a model with number slots (value_dim > 0)")
        self._need_anchor(value_anchor)
        was_training = self.training
        self.eval()
        out: list[Sequence] = []
        for start in range(0, len(templates), batch_size):
            out += self._fill_batch(templates[start:start + batch_size], generator, diffusion_steps,
                                    value_temperature, value_check, value_retries, value_anchor)
        self.train(was_training)
        return out

    def _fill_batch(self, templates: list[Sequence], gen: torch.Generator | None, diffusion_steps: int | None,
                    value_temperature: float, value_check: ValueCheck | None, value_retries: int,
                    value_anchor: ValueAnchor | None = None) -> list[Sequence]:
        c, dev, V = self.cfg, self.device, self.cfg.value_dim
        rows = [self._wrap(Sequence(t.tokens, torch.zeros(len(t), V), t.value_mask.clone()), eos=False)
                for t in templates]
        lengths = [len(r) for r in rows]
        T = max(lengths)
        if T > c.transformer.max_len:
            raise ValueError(f"a template of {T} positions is longer than the model's max_len {c.transformer.max_len}")
        b = collate(rows, c.pad_id, V)
        tokens, values, slots = b.tokens.to(dev), b.values.to(dev), b.value_mask.to(dev) & b.pad_mask.to(dev)
        cache = self.body.new_cache(len(rows), dev, self.tok_emb.weight.dtype)
        h = self.body(self.embed(tokens[:, :1], values[:, :1], slots[:, :1]), cache)[:, -1]
        for t in range(1, T):
            num = slots[:, t]
            if bool(num.any()):
                idx = num.nonzero().squeeze(-1)
                values[idx, t] = self._draw_values(h[idx], tokens[idx, t], tokens[idx, :t], values[idx, :t],
                                                   slots[idx, :t], diffusion_steps, value_temperature, gen,
                                                   value_check, value_retries, value_anchor).to(values.dtype)
            if t + 1 < T:
                h = self.body(self.embed(tokens[:, t:t + 1], values[:, t:t + 1], slots[:, t:t + 1]), cache)[:, -1]
        return [Sequence(tokens[i, 1:L].cpu(), values[i, 1:L].cpu(), slots[i, 1:L].cpu())
                for i, L in enumerate(lengths)]
