"""Bidirectional-augmented autoregressive peptide decoder (CrossNovo).

Paper: "Bidirectional Representations Augmented Autoregressive Biological Sequence Generation:
Application in De Novo Peptide Sequencing" (BEAM-Labs, 2025; github.com/BEAM-Labs/denovo).
Spectrum encoder after Casanovo (Yilmaz et al., ICML 2022).

spectrum (B, P, 2) + precursor ─► encoder ─► E (B, 1+P, d) ─┬─► NAR decoder (fixed N queries, full attention)
                                                            │     └─► N (B, N, d) ─► CTC loss
                                                            └─► AR decoder: causal self-attention, cross-attention to
                                                                  [stop-grad(N) ⊕ E] ─► next-residue loss
Loss = w(t)·CTC + (1 − w(t))·AR with w annealed from ``anneal_start`` to ``anneal_end`` (importance
annealing); from ``stage2_step`` the encoder and NAR decoder are frozen and only the AR decoder trains.
``bidirectional=False`` is the AR-only ablation (no NAR decoder; the AR decoder sees E alone).
Decoding: beam search with a precursor-mass filter (:mod:`sciGen.generators.beam_search`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch
import torch.nn as nn
import torch.nn.functional as F

from sciGen.config import from_dict
from sciGen.data import Sequence
from sciGen.generators.beam_search import BeamSearch
from sciGen.generators.optim import OptimConfig, configure_adamw
from sciGen.nn.cross_decoder import CrossDecoder
from sciGen.nn.fragment_evidence import FragmentEvidence
from sciGen.nn.sinusoidal import PeakEncoder, SinusoidalScalar
from sciGen.nn.trainable import Trainable


@dataclass
class BidirPeptideConfig:
    vocab_size: int = 0
    pad_id: int = 0            # also the CTC blank
    bos_id: int = 1
    eos_id: int = 2
    token_masses: list[float] = field(default_factory=list)  # additive mass per token id (0 for specials)
    first_only_ids: list[int] = field(default_factory=list)  # tokens allowed only first (N-terminal mods)
    water_mass: float = 18.0105646837                        # precursor mass = Σ token masses + water_mass
    ion_types: list[list[float]] = field(default_factory=list)  # fragment ions for the evidence term (see
    evidence_sigmas: list[float] = field(default_factory=lambda: [0.01, 0.05])  # sciGen.nn.fragment_evidence)
    d_model: int = 256
    n_heads: int = 8
    d_ff: int = 1024
    dropout: float = 0.1
    encoder_layers: int = 4
    nar_layers: int = 2
    ar_layers: int = 4
    nar_positions: int = 40
    max_len: int = 32          # residues, excluding <eos>
    max_charge: int = 4
    max_peaks: int = 150
    bidirectional: bool = True
    remaining_mass: bool = True  # the AR decoder also sees the mass still to explain
    anneal_start: float = 0.5
    anneal_end: float = 0.1
    anneal_steps: int = 10000
    stage2_step: int = -1
    label_smoothing: float = 0.01
    optim: OptimConfig = field(default_factory=OptimConfig)


class SpectrumEncoder(nn.Module):
    """Peaks (B, P, 2), peak_mask (B, P), precursor (B, 3) [neutral mass, charge, m/z] →
    memory (B, 1+P, d) and its mask: a global precursor token followed by the peaks."""

    def __init__(self, cfg: BidirPeptideConfig) -> None:
        super().__init__()
        d = cfg.d_model
        self.peaks = PeakEncoder(d)
        self.mass = SinusoidalScalar(d)
        self.mass_proj = nn.Linear(d, d)
        self.charge = nn.Embedding(cfg.max_charge + 1, d)
        layer = nn.TransformerEncoderLayer(d, cfg.n_heads, cfg.d_ff, cfg.dropout, batch_first=True, norm_first=True)
        self.layers = nn.TransformerEncoder(layer, cfg.encoder_layers, enable_nested_tensor=False)
        self.ln = nn.LayerNorm(d)
        self.max_charge = cfg.max_charge

    def precursor_token(self, precursor: torch.Tensor) -> torch.Tensor:
        z = precursor[:, 1].long().clamp(0, self.max_charge)
        return self.mass_proj(self.mass(precursor[:, 0])) + self.charge(z)

    def forward(self, peaks: torch.Tensor, peak_mask: torch.Tensor, precursor: torch.Tensor
                ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        prec = self.precursor_token(precursor)[:, None]
        x = torch.cat([prec, self.peaks(peaks)], 1)
        mask = torch.cat([torch.ones_like(peak_mask[:, :1]), peak_mask], 1)
        return self.ln(self.layers(x, src_key_padding_mask=~mask)), mask, prec


class NARDecoder(nn.Module):
    """``nar_positions`` learned queries (+ precursor token), bidirectional self-attention and
    cross-attention to the encoder → features (B, N, d) and CTC logits (B, N, V)."""

    def __init__(self, cfg: BidirPeptideConfig) -> None:
        super().__init__()
        d = cfg.d_model
        self.queries = nn.Parameter(torch.randn(cfg.nar_positions, d) * 0.02)
        layer = nn.TransformerDecoderLayer(d, cfg.n_heads, cfg.d_ff, cfg.dropout, batch_first=True, norm_first=True)
        self.layers = nn.TransformerDecoder(layer, cfg.nar_layers)
        self.ln = nn.LayerNorm(d)
        self.head = nn.Linear(d, cfg.vocab_size)

    def forward(self, memory: torch.Tensor, mem_mask: torch.Tensor, prec: torch.Tensor
                ) -> tuple[torch.Tensor, torch.Tensor]:
        q = self.queries[None].expand(memory.shape[0], -1, -1) + prec
        h = self.ln(self.layers(q, memory, memory_key_padding_mask=~mem_mask))
        return h, self.head(h)


class BidirPeptide(Trainable):
    """Spectrum → peptide: shared encoder, CTC NAR decoder, AR decoder over [sg(NAR) ⊕ encoder]."""

    def __init__(self, config: dict | BidirPeptideConfig) -> None:
        super().__init__()
        cfg = config if isinstance(config, BidirPeptideConfig) else from_dict(BidirPeptideConfig, dict(config))
        self.cfg = cfg
        d = cfg.d_model
        self.encoder = SpectrumEncoder(cfg)
        self.nar = NARDecoder(cfg) if cfg.bidirectional else None
        self.embed = nn.Embedding(cfg.vocab_size, d)
        self.pos = nn.Embedding(cfg.max_len + 2, d)
        self.remaining = SinusoidalScalar(d) if cfg.remaining_mass else None
        self.remaining_proj = nn.Linear(d, d) if cfg.remaining_mass else None
        self.ar = CrossDecoder(d, cfg.n_heads, cfg.d_ff, cfg.ar_layers, cfg.dropout)
        self.head = nn.Linear(d, cfg.vocab_size)
        self.evidence = FragmentEvidence(cfg.ion_types, cfg.evidence_sigmas) if cfg.ion_types else None
        self.register_buffer("token_masses", torch.tensor(cfg.token_masses or [0.0] * cfg.vocab_size,
                                                          dtype=torch.float64), persistent=False)

    # ---- parts -------------------------------------------------------------------------------------
    def memory(self, peaks: torch.Tensor, peak_mask: torch.Tensor, precursor: torch.Tensor
               ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """AR decoder memory (B, S, d) and mask (B, S); also the NAR CTC logits (B, N, V) or None."""
        enc, mask, prec = self.encoder(peaks, peak_mask, precursor)
        if self.nar is None:
            return enc, mask, None
        h, logits = self.nar(enc, mask, prec)
        mem = torch.cat([h.detach(), enc], 1)  # cross-decoder gradient blocking
        return mem, torch.cat([torch.ones_like(mask[:, :1]).expand(-1, h.shape[1]), mask], 1), logits

    def ar_inputs(self, tokens: torch.Tensor, residue_mass: torch.Tensor, start: int = 0,
                  spent_before: torch.Tensor | None = None) -> torch.Tensor:
        """tokens (B, T) [<bos>, r1, …]; residue_mass (B,) precursor mass − water; ``spent_before`` (B,)
        the mass of residues decoded before ``tokens`` (incremental decoding) → embeddings (B, T, d)."""
        x = self.embed(tokens) + self.pos(torch.arange(start, start + tokens.shape[1], device=tokens.device))
        if self.remaining is not None:
            spent = self.token_masses[tokens].cumsum(1)  # the precursor mass still unexplained after each input
            if spent_before is not None:
                spent = spent + spent_before[:, None]
            x = x + self.remaining_proj(self.remaining(residue_mass[:, None] - spent))
        return x

    def logits(self, h: torch.Tensor, peaks: torch.Tensor, peak_mask: torch.Tensor, spent: torch.Tensor,
               total: torch.Tensor) -> torch.Tensor:
        """h (B, T, d); spent (B, T) mass decoded so far; total (B,) precursor neutral mass → (B, T, V):
        the decoder's logits plus, for residue tokens, the fragment-ion evidence of each extension."""
        logits = self.head(h)
        if self.evidence is None:
            return logits
        with torch.no_grad():
            feats = self.evidence.features(peaks, peak_mask, spent, total, self.token_masses)
        bonus = self.evidence.mlp(feats).squeeze(-1)
        return logits + bonus * (self.token_masses != 0).to(bonus.dtype)

    def ctc_weight(self, step: int) -> float:
        c = self.cfg
        if self.nar is None:
            return 0.0
        if 0 <= c.stage2_step <= step:
            return 0.0
        frac = min(1.0, step / max(1, c.anneal_steps))
        return c.anneal_start + (c.anneal_end - c.anneal_start) * frac

    # ---- training ----------------------------------------------------------------------------------
    def losses(self, batch: dict[str, torch.Tensor], step: int = 0) -> dict[str, torch.Tensor]:
        c = self.cfg
        frozen = self.nar is not None and 0 <= c.stage2_step <= step
        with torch.set_grad_enabled(torch.is_grad_enabled() and not frozen):
            mem, mem_mask, ctc_logits = self.memory(batch["peaks"], batch["peak_mask"], batch["precursor"])
        if frozen:
            mem = mem.detach()
        tgt, lengths = batch["tokens"], batch["lengths"]  # (B, L) residues padded with pad_id
        B = tgt.shape[0]
        bos = torch.full((B, 1), c.bos_id, dtype=torch.long, device=tgt.device)
        inp = torch.cat([bos, tgt], 1)
        out = torch.cat([tgt, torch.full_like(bos, c.pad_id)], 1)
        out[torch.arange(B), lengths] = c.eos_id
        residue_mass = batch["precursor"][:, 0].double() - c.water_mass
        h = self.ar(self.ar_inputs(inp, residue_mass), mem, mem_mask)
        spent = self.token_masses[inp].cumsum(1)
        logits = self.logits(h, batch["peaks"], batch["peak_mask"], spent, batch["precursor"][:, 0])
        ar = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), out.reshape(-1), ignore_index=c.pad_id,
                             label_smoothing=c.label_smoothing)
        acc = ((logits.argmax(-1) == out) | (out == c.pad_id)).all(1).float().mean()
        res = {"ar": ar, "peptide_acc_tf": acc}
        if ctc_logits is not None:
            lp = ctc_logits.float().log_softmax(-1).transpose(0, 1)  # (N, B, V)
            n = torch.full((B,), lp.shape[0], dtype=torch.long, device=tgt.device)
            res["ctc"] = F.ctc_loss(lp, tgt, n, lengths, blank=c.pad_id, zero_infinity=True) \
                / lengths.clamp(min=1).float().mean()
        w = self.ctc_weight(step)
        res["loss"] = (1 - w) * ar + w * res["ctc"] if "ctc" in res and w > 0 else ar
        return res

    def training_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> torch.Tensor:
        res = self.losses(batch, self.global_step)
        self.log_dict({f"train/{k}": v for k, v in res.items()}, prog_bar=False, batch_size=len(batch["tokens"]))
        self.log("loss", res["loss"], prog_bar=True, batch_size=len(batch["tokens"]))
        self.log("ctc_w", self.ctc_weight(self.global_step), prog_bar=True)
        return res["loss"]

    def validation_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> None:
        res = self.losses(batch, 0)
        self.log_dict({f"val/{k}": v for k, v in res.items() if k != "loss"}, batch_size=len(batch["tokens"]),
                      prog_bar=False)
        self.log("val_loss", res["ar"], prog_bar=True, batch_size=len(batch["tokens"]))

    def configure_optimizers(self) -> dict:
        return configure_adamw(self, self.cfg.optim)

    # ---- sampling ----------------------------------------------------------------------------------
    @torch.no_grad()
    def decode_spectra(self, peaks: torch.Tensor, peak_mask: torch.Tensor, precursor: torch.Tensor, *,
                       beam_size: int = 5, tol_ppm: float = 50.0, isotopes: tuple[int, ...] = (0, 1),
                       fixed_length: int | None = None) -> list[dict[str, Any]]:
        """Beam search for a batch of spectra: one dict per spectrum with ``tokens`` (ids, no specials),
        ``aa_scores`` (probability of each residue), ``score`` (mean residue probability, −1 if no
        candidate matched the precursor mass) and ``mass_ok``."""
        mem, mem_mask, _ = self.memory(peaks, peak_mask, precursor)
        search = BeamSearch(self, beam_size=beam_size, tol_ppm=tol_ppm, isotopes=isotopes,
                            fixed_length=fixed_length)
        return search.run(mem, mem_mask, precursor, peaks, peak_mask)

    @torch.no_grad()
    def sample(self, n: int, condition: dict[str, torch.Tensor] | None = None, *,
               generator: torch.Generator | None = None, beam_size: int = 5, **knobs: Any) -> list[Sequence]:
        """The generator contract: ``condition`` holds ``peaks``, ``peak_mask``, ``precursor`` for n spectra;
        returns the decoded peptides as Sequences (beam search is deterministic, ``generator`` is unused)."""
        if condition is None:
            raise ValueError("BidirPeptide samples peptides for spectra: pass condition=spectrum batch")
        res = self.decode_spectra(condition["peaks"], condition["peak_mask"], condition["precursor"],
                                  beam_size=beam_size, **knobs)
        return [Sequence(torch.tensor(r["tokens"], dtype=torch.long)) for r in res[:n]]
