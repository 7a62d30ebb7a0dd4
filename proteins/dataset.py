"""Spectra → tensors for the peptide generators: simulated training streams, real-spectrum batches.

A batch is a dict: ``peaks`` (B, P, 2) [m/z, intensity], ``peak_mask`` (B, P), ``precursor`` (B, 3)
[neutral mass, charge, m/z] (float64), and for labelled spectra ``tokens`` (B, L) residue ids padded
with ``<pad>`` and ``lengths`` (B,).
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import torch

from sciGen.data import Vocab
from sciGen.proteins.intensity import IntensityModel
from sciGen.proteins.preprocess import SkipSpectrum, preprocess
from sciGen.proteins.residues import neutral_from_mz, tokenize
from sciGen.proteins.simulator import PeptideSampler, SimulatorConfig, simulate
from sciGen.proteins.spectrum import Spectrum


@dataclass
class PreprocessConfig:
    min_mz: float = 50.0
    max_mz: float = 2500.0
    n_peaks: int = 150
    min_peaks: int = 20
    remove_precursor_tol: float = 2.0
    max_charge: int = 4

    def __call__(self, s: Spectrum) -> Spectrum:
        return preprocess(s, min_mz=self.min_mz, max_mz=self.max_mz, n_peaks=self.n_peaks,
                          min_peaks=self.min_peaks, remove_precursor_tol=self.remove_precursor_tol,
                          max_charge=self.max_charge)


def spectrum_item(s: Spectrum, vocab: Vocab | None = None, max_len: int = 0) -> dict:
    """One preprocessed spectrum → arrays (and residue ids when labelled and ``vocab`` is given)."""
    item = {"peaks": np.stack([s.mz, s.intensity], 1).astype(np.float32),
            "precursor": np.array([neutral_from_mz(s.precursor_mz, s.charge), s.charge, s.precursor_mz])}
    if vocab is not None and s.peptide:
        toks = ["L" if t == "I" else t for t in tokenize(s.peptide)]
        if max_len and len(toks) > max_len:
            raise SkipSpectrum(f"peptide longer than {max_len} residues")
        item["tokens"] = vocab.encode(toks)
    return item


def collate_spectra(items: list[dict], pad_id: int = 0) -> dict[str, torch.Tensor]:
    B, P = len(items), max(len(i["peaks"]) for i in items)
    peaks = torch.zeros(B, P, 2)
    mask = torch.zeros(B, P, dtype=torch.bool)
    for b, it in enumerate(items):
        n = len(it["peaks"])
        peaks[b, :n] = torch.from_numpy(it["peaks"])
        mask[b, :n] = True
    out = {"peaks": peaks, "peak_mask": mask,
           "precursor": torch.from_numpy(np.stack([i["precursor"] for i in items])).double()}
    if all("tokens" in i for i in items):
        L = max(len(i["tokens"]) for i in items)
        toks = torch.full((B, L), pad_id, dtype=torch.long)
        for b, it in enumerate(items):
            toks[b, : len(it["tokens"])] = torch.tensor(it["tokens"], dtype=torch.long)
        out["tokens"] = toks
        out["lengths"] = torch.tensor([len(i["tokens"]) for i in items], dtype=torch.long)
    return out


class SimulatedSpectra(torch.utils.data.IterableDataset):
    """An endless stream of freshly simulated, preprocessed, labelled spectra.

    Each DataLoader worker and each distributed rank draws from its own seeded RNG, so runs repeat
    exactly for a given seed and device count.  ``size`` > 0 makes a finite, fixed set (validation)."""

    def __init__(self, peptides: list[str], vocab: Vocab, sim: SimulatorConfig, prep: PreprocessConfig,
                 model: IntensityModel, seed: int = 0, size: int = 0, max_len: int = 32) -> None:
        super().__init__()
        self.sampler = PeptideSampler(peptides, sim)
        self.vocab, self.sim, self.prep, self.model = vocab, sim, prep, model
        self.seed, self.size, self.max_len = seed, size, max_len

    def __iter__(self):
        info = torch.utils.data.get_worker_info()
        wid, nw = (info.id, info.num_workers) if info else (0, 1)
        rank = int(os.environ.get("RANK", os.environ.get("LOCAL_RANK", "0")))
        if self.size:
            rng, n, produced = np.random.default_rng([self.seed, 7919]), self.size, 0
            stride, offset = nw, wid
        else:
            rng, n, produced = np.random.default_rng([self.seed, rank, wid]), None, 0
            stride, offset = 1, 0
        i = 0
        while n is None or produced < n:
            toks = self.sampler.draw(rng)
            if len(toks) > self.max_len:
                continue
            s = simulate(toks, rng, self.model, self.sim)
            try:
                s = self.prep(s)
            except SkipSpectrum:
                continue
            produced += 1
            if self.size and (i % stride) != offset:
                i += 1
                continue
            i += 1
            yield spectrum_item(s, self.vocab, self.max_len)
