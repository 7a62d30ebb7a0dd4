"""Beam search with a precursor-mass filter for mass-constrained sequence decoders.

As in Casanovo's beam search (Yilmaz et al. 2022/2024): beams whose prefix mass already exceeds the
precursor mass (+ tolerance) are pruned; a finished peptide *matches* when its mass agrees with the
precursor within ``tol_ppm`` for some isotope offset in ``isotopes``; the answer is the finished
candidate with the highest peptide score (mean residue probability), matching candidates first —
a non-matching answer scores its mean residue probability − 1.  Keys and values are cached, so
each step costs one new position per beam.
"""
from __future__ import annotations

from typing import Any

import torch

ISOTOPE_SPACING = 1.00335483507


class BeamSearch:
    """``run(memory (B, S, d), mem_mask (B, S), precursor (B, 3))`` → one result dict per spectrum."""

    def __init__(self, model: Any, beam_size: int = 5, tol_ppm: float = 50.0, isotopes: tuple[int, ...] = (0, 1),
                 fixed_length: int | None = None) -> None:
        self.m, self.K, self.tol, self.isotopes, self.fixed = model, beam_size, tol_ppm, tuple(isotopes), fixed_length

    def _targets(self, residue_mass: torch.Tensor) -> torch.Tensor:
        """(BK,) observed residue mass → (BK, I) admissible residue masses, one per isotope offset."""
        iso = torch.tensor(self.isotopes, dtype=torch.float64, device=residue_mass.device)
        return residue_mass[:, None] - iso[None] * ISOTOPE_SPACING

    def run(self, mem: torch.Tensor, mem_mask: torch.Tensor, precursor: torch.Tensor, peaks: torch.Tensor,
            peak_mask: torch.Tensor) -> list[dict[str, Any]]:
        m, c, K = self.m, self.m.cfg, self.K
        B, V, dev = mem.shape[0], c.vocab_size, mem.device
        mem, mem_mask = mem.repeat_interleave(K, 0), mem_mask.repeat_interleave(K, 0)
        peaks, peak_mask = peaks.repeat_interleave(K, 0), peak_mask.repeat_interleave(K, 0)
        total = precursor[:, 0].repeat_interleave(K)
        residue_mass = precursor[:, 0].double().repeat_interleave(K) - c.water_mass
        targets = self._targets(residue_mass)
        tol = (targets + c.water_mass).abs() * self.tol * 1e-6
        upper = (targets + tol).max(1).values
        steps = self.fixed or c.max_len
        tm = m.token_masses.to(dev)
        cache = m.ar.new_cache(mem, mem_mask, steps + 1)
        tok = torch.full((B * K, 1), c.bos_id, dtype=torch.long, device=dev)
        hist = torch.zeros(B * K, 0, dtype=torch.long, device=dev)
        probs = torch.zeros(B * K, steps, device=dev)
        spent = torch.zeros(B * K, dtype=torch.float64, device=dev)
        beam_lp = torch.zeros(B, K, device=dev)
        beam_lp[:, 1:] = float("-inf")
        beam_lp = beam_lp.flatten()
        finished: list[list[tuple[float, list[int], list[float], bool]]] = [[] for _ in range(B)]
        blocked = [i for i, mass in enumerate(c.token_masses) if mass == 0 and i != c.eos_id]  # specials
        blocked = blocked or [c.pad_id, c.bos_id]
        for t in range(steps + 1):
            x = m.ar_inputs(tok, residue_mass, start=t, spent_before=spent - tm[tok[:, 0]])
            h = m.ar(x, cache=cache)
            logp = m.logits(h, peaks, peak_mask, spent[:, None], total)[:, -1].float().log_softmax(-1)
            logp[:, blocked] = float("-inf")
            if t > 0 and c.first_only_ids:
                logp[:, c.first_only_ids] = float("-inf")
            if self.fixed is not None:
                if t < self.fixed:
                    logp[:, c.eos_id] = float("-inf")
                else:
                    keep = logp[:, c.eos_id].clone()
                    logp[:] = float("-inf")
                    logp[:, c.eos_id] = keep
            else:
                over = (spent[:, None] + tm[None]) > upper[:, None]
                over[:, c.eos_id] = False
                logp = logp.masked_fill(over, float("-inf"))
            alive = torch.isfinite(beam_lp)
            if t > 0:
                mass_ok = ((spent[:, None] - targets).abs() <= tol).any(1)
                wants_stop = logp.argmax(-1) == c.eos_id
                no_way_on = torch.isfinite(logp).sum(1) == torch.isfinite(logp[:, c.eos_id]).long()  # EOS or nothing
                stop = mass_ok | wants_stop | no_way_on | (t == steps)
                rows = (alive & torch.isfinite(logp[:, c.eos_id]) & stop).nonzero().flatten()
                for r in rows.tolist():
                    aa = probs[r, :t].tolist()
                    ok = bool(mass_ok[r])
                    score = sum(aa) / len(aa) - (0.0 if ok else 1.0)
                    finished[r // K].append((score, hist[r].tolist(), aa, ok))
            if t == steps:
                break
            cont = (beam_lp[:, None] + logp)
            cont[:, c.eos_id] = float("-inf")
            top_lp, idx = cont.view(B, K * V).topk(K, dim=1)
            rows = (torch.arange(B, device=dev)[:, None] * K + idx // V).flatten()
            new_tok = (idx % V).flatten()
            cache.select(rows)
            step_p = logp[rows, new_tok].exp()
            hist = torch.cat([hist[rows], new_tok[:, None]], 1)
            probs = probs[rows]
            probs[:, t] = step_p
            spent = spent[rows] + tm[new_tok]
            residue_mass, targets, tol, upper = residue_mass[rows], targets[rows], tol[rows], upper[rows]
            peaks, peak_mask, total = peaks[rows], peak_mask[rows], total[rows]
            beam_lp = top_lp.flatten()
            tok = new_tok[:, None]
            if not torch.isfinite(beam_lp).any():
                break
        return [self._best(f) for f in finished]

    @staticmethod
    def _best(cands: list[tuple[float, list[int], list[float], bool]]) -> dict[str, Any]:
        if not cands:
            return {"tokens": [], "aa_scores": [], "score": -1.0, "mass_ok": False}
        score, toks, aa, ok = max(cands, key=lambda x: x[0])
        return {"tokens": toks, "aa_scores": aa, "score": score, "mass_ok": ok}
