"""MOSES distribution-learning metrics for generated SMILES.

Re-implements the metrics of MOSES -- Polykovskiy et al. (2020), "Molecular Sets
(MOSES): A Benchmarking Platform for Molecular Generation Models", Front. Pharmacol.
11:565644 -- following ``moses/metrics/metrics.py`` and ``moses/metrics/utils.py`` of
https://github.com/molecularsets/moses (release ``molsets==0.3.1``, MIT licence):

* ``valid``      fraction of generated entries RDKit can parse (None/garbage = invalid);
* ``unique@k``   unique canonical SMILES among the first ``k`` valid ones;
* ``novelty``    fraction of unique valid molecules absent from ``train``;
* ``FCD``        Frechet ChemNet Distance (``fcd_torch``) to ``reference``;
* ``SNN``        mean over generated of max Tanimoto to ``reference`` (Morgan r=2, 1024 bits);
* ``Frag``/``Scaf`` cosine similarity of BRICS-fragment / Bemis-Murcko-scaffold counts
  (scaffolds with fewer than 2 rings are ignored, as in MOSES);
* ``IntDiv``/``IntDiv2``  1 - mean_i (mean_j T_ij^p)^(1/p), p = 1 / 2, over generated x generated;
* ``Filters``    fraction passing MOSES's MCF + PAINS SMARTS and atom/charge/ring rules.

All metrics except ``valid`` use only the valid generated molecules (canonicalised,
duplicates kept), like MOSES's ``get_all_metrics``. The SMARTS filter tables
``data/mcf.csv`` and ``data/wehi_pains.csv`` are verbatim copies of MOSES's files.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import sys
import time
import warnings
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
from rdkit import Chem, rdBase
from rdkit.Chem import AllChem, rdFingerprintGenerator
from rdkit.Chem.Scaffolds import MurckoScaffold

__all__ = [
    "canonical", "get_mol", "fingerprints", "tanimoto_agg", "internal_diversity",
    "fragment_counts", "scaffold_counts", "cos_similarity", "mol_passes_filters",
    "moses_metrics",
]

_DATA = Path(__file__).parent / "data"
_ALLOWED_ATOMS = frozenset({"C", "N", "S", "O", "F", "Cl", "Br", "H"})
_MORGAN = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=1024)


def get_mol(smiles_or_mol: str | Chem.Mol | None) -> Chem.Mol | None:
    """Parse a SMILES into a sanitized RDKit molecule (MOSES ``get_mol``); None if invalid."""
    if isinstance(smiles_or_mol, Chem.Mol):
        return smiles_or_mol
    if not isinstance(smiles_or_mol, str) or len(smiles_or_mol) == 0:
        return None
    with rdBase.BlockLogs():
        mol = Chem.MolFromSmiles(smiles_or_mol)
        if mol is None:
            return None
        try:
            Chem.SanitizeMol(mol)
        except ValueError:
            return None
    return mol


def canonical(smiles_or_mol: str | Chem.Mol | None) -> str | None:
    """RDKit canonical SMILES (MOSES ``canonic_smiles``), or None when invalid."""
    mol = get_mol(smiles_or_mol)
    return None if mol is None else Chem.MolToSmiles(mol)


def fingerprints(mols: Sequence[Chem.Mol]) -> np.ndarray:
    """Morgan radius-2, 1024-bit fingerprints (== MOSES ``fp_type='morgan'``).

    Returns a uint8 0/1 array of shape (len(mols), 1024).
    """
    if len(mols) == 0:
        return np.zeros((0, 1024), dtype=np.uint8)
    return np.stack([_MORGAN.GetFingerprintAsNumPy(m) for m in mols]).astype(np.uint8)


def _tanimoto_blocks(ref: np.ndarray, gen: np.ndarray, chunk: int
                     ) -> Iterator[tuple[slice, np.ndarray]]:
    """Yield (gen row slice, Tanimoto block of shape (n_gen_chunk, n_ref_chunk)) pairs."""
    ref_f, gen_f = ref.astype(np.float32), gen.astype(np.float32)
    ref_n, gen_n = ref_f.sum(1), gen_f.sum(1)
    for i in range(0, len(gen_f), chunk):
        g, gn = gen_f[i:i + chunk], gen_n[i:i + chunk]
        for j in range(0, len(ref_f), chunk):
            tp = g @ ref_f[j:j + chunk].T
            denom = gn[:, None] + ref_n[None, j:j + chunk] - tp
            with np.errstate(divide="ignore", invalid="ignore"):
                jac = tp / denom
            jac[denom == 0] = 1.0  # MOSES: two empty fingerprints have similarity 1
            yield slice(i, i + len(g)), jac


def tanimoto_agg(ref_fps: np.ndarray, gen_fps: np.ndarray, agg: str = "max",
                 p: float = 1, chunk: int = 2048) -> np.ndarray:
    """Per-generated-molecule aggregate of Tanimoto similarity to every reference one.

    ``ref_fps``: (n_ref, d) and ``gen_fps``: (n_gen, d) 0/1 arrays. Returns shape (n_gen,):
    ``max_j T_ij`` (agg='max') or ``(mean_j T_ij**p)**(1/p)`` (agg='mean'); the mean of
    this vector is MOSES's ``average_agg_tanimoto``. Memory is O(chunk**2).
    """
    if agg not in ("max", "mean"):
        raise ValueError("agg must be 'max' or 'mean'")
    out = np.zeros(len(gen_fps), dtype=np.float64)
    for rows, jac in _tanimoto_blocks(ref_fps, gen_fps, chunk):
        if p != 1:
            jac = jac ** p
        if agg == "max":
            out[rows] = np.maximum(out[rows], jac.max(1))
        else:
            out[rows] += jac.sum(1, dtype=np.float64)
    if agg == "mean":
        out /= len(ref_fps)
    return out ** (1 / p) if p != 1 else out


def internal_diversity(fps: np.ndarray, p: float = 1) -> float:
    """MOSES IntDiv_p of fingerprints ``fps`` (n, d): 1 - mean_i (mean_j T_ij^p)^(1/p)."""
    return float(1 - tanimoto_agg(fps, fps, agg="mean", p=p).mean())


def fragment_counts(mols: Iterable[Chem.Mol]) -> Counter[str]:
    """Counter of BRICS fragment SMILES over all molecules (MOSES ``compute_fragments``)."""
    counts: Counter[str] = Counter()
    for mol in mols:
        counts.update(Chem.MolToSmiles(AllChem.FragmentOnBRICSBonds(mol)).split("."))
    return counts


def _scaffold(mol: Chem.Mol, min_rings: int = 2) -> str | None:
    try:
        scaffold = MurckoScaffold.GetScaffoldForMol(mol)
    except (ValueError, RuntimeError):
        return None
    smiles = Chem.MolToSmiles(scaffold)
    if smiles == "" or scaffold.GetRingInfo().NumRings() < min_rings:
        return None
    return smiles


def scaffold_counts(mols: Iterable[Chem.Mol], min_rings: int = 2) -> Counter[str]:
    """Counter of Bemis-Murcko scaffolds with >= ``min_rings`` rings (MOSES ``compute_scaffolds``)."""
    counts = Counter(_scaffold(m, min_rings) for m in mols)
    counts.pop(None, None)
    return counts


def cos_similarity(ref_counts: Counter[str], gen_counts: Counter[str]) -> float:
    """Cosine similarity of two sparse count vectors {key: count}; NaN if either is empty."""
    if len(ref_counts) == 0 or len(gen_counts) == 0:
        return float("nan")
    keys = sorted(set(ref_counts) | set(gen_counts))
    r = np.array([ref_counts.get(k, 0) for k in keys], dtype=np.float64)
    g = np.array([gen_counts.get(k, 0) for k in keys], dtype=np.float64)
    return float(r @ g / (np.linalg.norm(r) * np.linalg.norm(g)))


@cache
def _filter_patterns() -> tuple[Chem.Mol, ...]:
    """MCF + PAINS SMARTS queries, parsed exactly as MOSES does (pandas ``read_csv``)."""
    mcf = pd.read_csv(_DATA / "mcf.csv")
    pains = pd.read_csv(_DATA / "wehi_pains.csv", names=["smarts", "names"])
    smarts = list(mcf["smarts"]) + list(pains["smarts"])
    patterns = tuple(Chem.MolFromSmarts(s) for s in smarts)
    if any(p is None for p in patterns):
        raise RuntimeError("unparsable SMARTS in MOSES filter tables")
    return patterns


def mol_passes_filters(mol: Chem.Mol | str | None,
                       allowed: frozenset[str] = _ALLOWED_ATOMS) -> bool:
    """MOSES ``mol_passes_filters``: no ring of size >= 8, no formal charge, only
    ``allowed`` atoms, no MCF/PAINS match (on the H-added molecule), and a SMILES round trip."""
    mol = get_mol(mol)
    if mol is None:
        return False
    ring_info = mol.GetRingInfo()
    if ring_info.NumRings() != 0 and any(len(r) >= 8 for r in ring_info.AtomRings()):
        return False
    if any(atom.GetFormalCharge() != 0 for atom in mol.GetAtoms()):
        return False
    if any(atom.GetSymbol() not in allowed for atom in mol.GetAtoms()):
        return False
    h_mol = Chem.AddHs(mol)
    if any(h_mol.HasSubstructMatch(q) for q in _filter_patterns()):
        return False
    smiles = Chem.MolToSmiles(mol, isomericSmiles=False)
    return bool(smiles) and get_mol(smiles) is not None


def _canonical_set(smiles: Sequence[str], workers: int | None = None) -> set[str | None]:
    """Canonical forms of many SMILES; large lists are split over all cores."""
    workers = workers or os.cpu_count() or 1
    if workers < 2 or len(smiles) < 50_000:
        return {canonical(s) for s in smiles}
    with mp.get_context("fork").Pool(workers) as pool:
        return set(pool.imap_unordered(canonical, smiles, chunksize=5000))


def moses_metrics(generated: list[str | None], reference: list[str],
                  train: list[str] | None = None, *, device: str = "cpu",
                  batch_size: int = 512, ks: tuple[int, ...] = (1000, 10000),
                  progress: bool = False, canonicalize_train: bool = True
                  ) -> dict[str, float]:
    """Compute the MOSES metrics of ``generated`` against ``reference`` (and ``train``).

    Args:
        generated: N generated SMILES; None / unparsable entries count as invalid.
        reference: M reference SMILES (e.g. a held-out test split); invalid ones are dropped
            with a warning.
        train: training SMILES for ``novelty`` (key omitted when None).
        device, batch_size: passed to ``fcd_torch.FCD``.
        ks: sizes for ``unique@k`` (first k valid; fewer valid -> computed on all, with a
            warning, as MOSES does).
        progress: print stage timings to stderr.
        canonicalize_train: canonicalise ``train`` with the installed RDKit before the
            novelty lookup (MOSES compares raw strings; identical when ``train`` is already
            canonical). Set False to skip this (minutes for the 1.6M MOSES train set).

    Returns:
        {'valid', 'unique@k'..., 'novelty'?, 'FCD', 'SNN', 'Frag', 'Scaf', 'IntDiv',
        'IntDiv2', 'Filters'} as floats; NaN where undefined (e.g. no valid molecule).
    """
    from fcd_torch import FCD  # heavy import (torch), deferred

    t0 = time.perf_counter()

    def log(stage: str) -> None:
        if progress:
            print(f"[moses_metrics] {stage} ({time.perf_counter() - t0:.1f}s)", file=sys.stderr)

    if len(generated) == 0:
        raise ValueError("generated is empty")
    gen_smiles = [s for s in (canonical(x) for x in generated) if s is not None]
    gen_mols = [get_mol(s) for s in gen_smiles]
    ref_pairs = [(s, m) for s in reference if (m := get_mol(s)) is not None]
    if len(ref_pairs) < len(reference):
        warnings.warn(f"dropped {len(reference) - len(ref_pairs)} invalid reference SMILES")
    ref_smiles = [s for s, _ in ref_pairs]
    ref_mols = [m for _, m in ref_pairs]
    log(f"parsed {len(gen_smiles)}/{len(generated)} valid generated, {len(ref_mols)} reference")

    nan = float("nan")
    out: dict[str, float] = {"valid": len(gen_smiles) / len(generated)}
    for k in ks:
        if len(gen_smiles) < k:
            warnings.warn(f"Can't compute unique@{k}: only {len(gen_smiles)} valid molecules")
        first = gen_smiles[:k]
        out[f"unique@{k}"] = len(set(first)) / len(first) if first else nan
    if train is not None:
        train_set = _canonical_set(train) if canonicalize_train else set(train)
        uniq = set(gen_smiles)
        out["novelty"] = len(uniq - train_set) / len(uniq) if uniq else nan
        log("unique/novelty")

    if len(gen_smiles) >= 2 and len(ref_smiles) >= 2:
        with warnings.catch_warnings():  # numpy/scipy deprecations inside fcd_torch
            warnings.filterwarnings("ignore", category=DeprecationWarning, module="fcd_torch")
            fcd = FCD(device=device, n_jobs=1, batch_size=batch_size)
            out["FCD"] = float(fcd(ref=ref_smiles, gen=gen_smiles))
    else:
        warnings.warn("FCD needs at least 2 valid generated and 2 reference molecules")
        out["FCD"] = nan
    log("FCD")

    gen_fps = fingerprints(gen_mols)
    ref_fps = fingerprints(ref_mols)
    out["SNN"] = float(tanimoto_agg(ref_fps, gen_fps, agg="max").mean()) \
        if gen_mols and ref_mols else nan
    log("SNN")
    out["Frag"] = cos_similarity(fragment_counts(ref_mols), fragment_counts(gen_mols))
    out["Scaf"] = cos_similarity(scaffold_counts(ref_mols), scaffold_counts(gen_mols))
    log("Frag/Scaf")
    out["IntDiv"] = internal_diversity(gen_fps, p=1) if gen_mols else nan
    out["IntDiv2"] = internal_diversity(gen_fps, p=2) if gen_mols else nan
    log("IntDiv")
    # Filters are a per-molecule property: evaluate each distinct molecule once.
    passes: dict[str, bool] = {}
    for s, m in zip(gen_smiles, gen_mols):
        if s not in passes:
            passes[s] = mol_passes_filters(m)
    out["Filters"] = float(np.mean([passes[s] for s in gen_smiles])) if gen_smiles else nan
    log("Filters")
    return out
