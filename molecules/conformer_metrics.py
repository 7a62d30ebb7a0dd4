"""Conformer-generation metrics (GeoMol / GeoDiff protocol) and the RDKit ETKDG baseline.

For each molecule, the heavy-atom RMSD after optimal alignment (RDKit ``GetBestRMS``: over symmetry-equivalent
atom mappings) between every generated conformer and every reference conformer.  With δ the threshold:
COV-R is the share of reference conformers with a generated one within δ, MAT-R the mean over reference
conformers of the best RMSD; COV-P / MAT-P swap the roles.  Each is averaged over molecules;
``median_rmsd`` is the median over molecules of the best RMSD.  A molecule with no generated conformer is
uncovered and counted in ``n_missing``; it has no MAT.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
from rdkit import Chem, RDLogger
from rdkit.Chem import AllChem, rdMolAlign

THRESHOLD = 0.5  # Å


def heavy(mol: Chem.Mol) -> Chem.Mol:
    return Chem.RemoveHs(mol, sanitize=False)


def best_rmsd(probe: Chem.Mol, ref: Chem.Mol) -> float:
    """Heavy-atom RMSD (Å) after optimal alignment over symmetry-equivalent mappings; inf when the two are
    not the same molecule."""
    RDLogger.DisableLog("rdApp.*")
    try:
        return float(rdMolAlign.GetBestRMS(heavy(probe), heavy(ref)))
    except (RuntimeError, ValueError):
        return float("inf")


def rmsd_matrix(generated: list[Chem.Mol], references: list[Chem.Mol]) -> np.ndarray:
    """(G, R) best RMSDs."""
    return np.array([[best_rmsd(g, r) for r in references] for g in generated]).reshape(len(generated), len(references))


def coverage(matrices: list[np.ndarray | None], threshold: float = THRESHOLD) -> dict[str, float]:
    """COV/MAT recall and precision from one (G, R) RMSD matrix per molecule (None: nothing generated)."""
    cov_r, mat_r, cov_p, mat_p, best = [], [], [], [], []
    missing = 0
    for m in matrices:
        if m is None or m.shape[0] == 0:
            missing += 1
            cov_r.append(0.0)
            continue
        r_min, p_min = m.min(0), m.min(1)  # per reference, per generated
        cov_r.append(float((r_min < threshold).mean()))
        cov_p.append(float((p_min < threshold).mean()))
        finite_r, finite_p = r_min[np.isfinite(r_min)], p_min[np.isfinite(p_min)]
        if len(finite_r):
            mat_r.append(float(finite_r.mean()))
            best.append(float(finite_r.min()))
        if len(finite_p):
            mat_p.append(float(finite_p.mean()))

    def mean(x: list[float]) -> float:
        return float(np.mean(x)) if x else float("nan")

    return {"cov_r": mean(cov_r), "mat_r": mean(mat_r), "cov_p": mean(cov_p), "mat_p": mean(mat_p),
            "median_rmsd": float(np.median(best)) if best else float("nan"), "n_molecules": len(matrices),
            "n_missing": missing, "threshold": threshold}


def etkdg(ref: Chem.Mol, k: int, seed: int = 0, mmff: bool = False) -> list[Chem.Mol]:
    """``k`` ETKDGv3 conformers of the reference's molecule (its stereo kept), optionally MMFF94-optimised.  When
    fewer than ``k`` embed, the embedding is redone from random coordinates (``useRandomCoords``)."""
    r = Chem.Mol(ref)
    if r.GetNumConformers():
        Chem.AssignStereochemistryFrom3D(r)
    mol = Chem.AddHs(Chem.RemoveHs(r))
    mol.RemoveAllConformers()
    params = AllChem.ETKDGv3()
    params.randomSeed = seed
    ids = list(AllChem.EmbedMultipleConfs(mol, numConfs=k, params=params))
    if len(ids) < k:  # strained cages often fail from eigenvector coordinates: RDKit's documented fallback
        params.useRandomCoords = True
        ids = list(AllChem.EmbedMultipleConfs(mol, numConfs=k, params=params))
    if not ids:
        return []
    if mmff and AllChem.MMFFHasAllMoleculeParams(mol):
        AllChem.MMFFOptimizeMoleculeConfs(mol, maxIters=2000)
    return [Chem.Mol(mol, confId=cid) for cid in ids]


def conformer_metrics(generated: list[list[Chem.Mol]], references: list[Chem.Mol], threshold: float = THRESHOLD,
                      on_done: Callable[[int], None] | None = None) -> dict[str, float]:
    """``generated[i]`` are the conformers drawn for ``references[i]`` (one reference geometry each)."""
    mats = []
    for gen, ref in zip(generated, references):
        mats.append(rmsd_matrix(gen, [ref]) if gen else None)
        if on_done:
            on_done(1)
    return coverage(mats, threshold)


def etkdg_metrics(references: list[Chem.Mol], k: int, threshold: float = THRESHOLD, seed: int = 0,
                  on_done: Callable[[int], None] | None = None) -> dict[str, dict[str, float]]:
    """The baselines in one pass: ``etkdg`` (no force field) and ``etkdg_mmff``, ``k`` conformers each."""
    plain, relaxed = [], []
    for i, ref in enumerate(references):
        plain.append(etkdg(ref, k, seed + i))
        relaxed.append(etkdg(ref, k, seed + i, mmff=True))
        if on_done:
            on_done(1)
    return {"etkdg": conformer_metrics(plain, references, threshold),
            "etkdg_mmff": conformer_metrics(relaxed, references, threshold)}
