"""Crystal generation metrics, as CDVAE (Xie et al. 2022) and DiffCSP (Jiao et al. 2023) compute them.

**CSP** (crystal structure prediction): the k-th candidate for reference row L is matched with
``StructureMatcher(stol=0.5, angle_tol=10, ltol=0.3)``; a pair counts only when both structures are
valid (DiffCSP's convention).  ``match_rate`` is the share of rows whose first candidate matches, ``rmse``
the mean normalised RMS displacement of those matches; with K candidates per row, ``match_rate@K`` /
``rmse@K`` take the best of them, and ``match_rate_first_valid`` the first valid candidate (what a user
gets when invalid draws are redrawn, as ``scigen generate`` writes only valid structures).

**De novo**: structural and compositional validity (:mod:`sciGen.materials.validate`); Wasserstein
distances of density and number of elements between the valid generated crystals and the reference;
coverage COV-R (share of references with a generated crystal within both fingerprint cut-offs) and
COV-P (share of generated crystals within the cut-offs of a reference) with the CDVAE fingerprints
(:mod:`sciGen.materials.fingerprints`) and cut-offs.
"""
from __future__ import annotations

import multiprocessing as mp
import os
import re
import warnings
from pathlib import Path

import numpy as np
from pymatgen.core import Structure
from rich.progress import Progress
from scipy.spatial.distance import cdist
from scipy.stats import wasserstein_distance

from sciGen.adapter import BadRecord, ReadError
from sciGen.materials.validate import composition_reasons, structure_reasons

# CDVAE's coverage cut-offs (structure fingerprint distance, scaled composition fingerprint distance)
COV_CUTOFFS = {"perov_5": (0.2, 4.0), "carbon_24": (0.2, 4.0), "mp_20": (0.4, 10.0)}
NAME = re.compile(r"^(\d+)_(\d+)$")


def _valid(s: Structure | None) -> bool:
    return s is not None and not structure_reasons(s) and not composition_reasons(s.composition)


def _rms(pair: tuple[Structure, Structure]) -> float | None:
    from pymatgen.analysis.structure_matcher import StructureMatcher
    pred, ref = pair
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            r = StructureMatcher(stol=0.5, angle_tol=10, ltol=0.3).get_rms_dist(pred, ref)
        except Exception:  # noqa: BLE001 - the matcher fails on degenerate cells: no match
            return None
    return None if r is None else float(r[0])


def _pool_map(fn, items: list, desc: str, workers: int) -> list:
    """``[fn(x) for x in items]`` over ``workers`` processes, with a progress bar (on stderr)."""
    from rich.console import Console
    from rich.errors import LiveError

    bar = Progress(console=Console(stderr=True), transient=True)
    try:
        bar.start()
    except LiveError:  # a status spinner is already live (the CLI's): go on without a bar
        bar = None
    task = bar.add_task(desc, total=len(items)) if bar else None
    out: list = []
    try:
        if workers > 1 and len(items) > 64:
            with mp.get_context("fork").Pool(workers) as pool:
                for r in pool.imap(fn, items, chunksize=8):
                    out.append(r)
                    if bar:
                        bar.advance(task)
        else:
            for it in items:
                out.append(fn(it))
                if bar:
                    bar.advance(task)
    finally:
        if bar:
            bar.stop()
    return out


def csp_metrics(candidates: list[list[Structure | None]], reference: list[Structure],
                workers: int | None = None) -> dict[str, float]:
    """``candidates[L]`` are the K candidates (None where a draw was invalid) for ``reference[L]``."""
    if len(candidates) != len(reference):
        raise ValueError(f"{len(candidates)} candidate lists for {len(reference)} reference structures")
    workers = workers or os.cpu_count() or 1
    ref_ok = [_valid(r) for r in reference]
    jobs, where = [], []
    for L, (cands, ref) in enumerate(zip(candidates, reference)):
        for k, c in enumerate(cands):
            if c is not None and ref_ok[L] and _valid(c):
                jobs.append((c, ref))
                where.append((L, k))
    rms = _pool_map(_rms, jobs, "matching", workers)
    K = max((len(c) for c in candidates), default=0)
    best = np.full((len(reference), max(K, 1)), np.inf)
    for (L, k), r in zip(where, rms):
        if r is not None:
            best[L, k] = r
    top1 = best[:, 0]
    out = {"n": len(reference), "k": K, "match_rate": float(np.isfinite(top1).mean()),
           "rmse": float(top1[np.isfinite(top1)].mean()) if np.isfinite(top1).any() else float("nan"),
           "reference_valid": float(np.mean(ref_ok))}
    if K > 1:  # the first *valid* candidate of each row (an invalid draw redrawn, up to K draws in all)
        first: dict[int, int] = {}
        for L, k in where:  # ``where`` is in (row, candidate) order
            first.setdefault(L, k)
        fv = np.array([best[L, first[L]] if L in first else np.inf for L in range(len(reference))])
        out["match_rate_first_valid"] = float(np.isfinite(fv).mean())
        out["rmse_first_valid"] = float(fv[np.isfinite(fv)].mean()) if np.isfinite(fv).any() else float("nan")
    if K > 1:
        bk = best.min(1)
        out[f"match_rate@{K}"] = float(np.isfinite(bk).mean())
        out[f"rmse@{K}"] = float(bk[np.isfinite(bk)].mean()) if np.isfinite(bk).any() else float("nan")
    return out


def csp_from_folder(folder: str | Path, reference: list[Structure], workers: int | None = None) -> dict[str, float]:
    """CSP metrics of ``folder/LLLLLL_K.cif`` against reference row L (missing files: invalid draws)."""
    from sciGen.materials.formats import read_cif
    folder = Path(folder)
    if not folder.is_dir():
        raise ReadError(f"{folder}: not a folder")
    cands: list[list[Structure | None]] = [[] for _ in reference]
    bad: list[BadRecord] = []
    files = sorted(folder.glob("*.cif"))
    for p in files:
        m = NAME.match(p.stem)
        if not m:
            raise ReadError(f"{p}: CSP candidates are named LLLLLL_K.cif (line L of the condition file, sample K)")
        L, k = int(m.group(1)), int(m.group(2))
        if L >= len(reference):
            raise ReadError(f"{p}: line {L} but the reference has {len(reference)} rows")
        s = next(iter(read_cif(p, bad)), None)
        row = cands[L]
        row.extend([None] * (k + 1 - len(row)))
        row[k] = s
    K = max((len(r) for r in cands), default=0)
    for row in cands:
        row.extend([None] * (K - len(row)))
    out = csp_metrics(cands, reference, workers)
    out["unreadable"] = len(bad)
    return out


def _struct_fp(s: Structure):
    from sciGen.materials.fingerprints import structure_fp
    return structure_fp(s)


def cov_cutoffs(reference: list[Structure]) -> tuple[str, tuple[float, float]]:
    """CDVAE's cut-offs for the reference set's kind: Carbon-24 (only C), Perov-5 (5 atoms), else MP-20."""
    if all({str(e) for e in s.composition.elements} == {"C"} for s in reference):
        return "carbon_24", COV_CUTOFFS["carbon_24"]
    if all(len(s) == 5 for s in reference):
        return "perov_5", COV_CUTOFFS["perov_5"]
    return "mp_20", COV_CUTOFFS["mp_20"]


def denovo_metrics(generated: list[Structure | None], reference: list[Structure], n_unreadable: int = 0,
                   n_drawn: int | None = None, workers: int | None = None,
                   cutoffs: tuple[float, float] | None = None) -> dict[str, float]:
    """De novo metrics of ``generated`` (None = an undecodable draw) against ``reference``."""
    from sciGen.materials.fingerprints import scaled_composition_fps
    workers = workers or os.cpu_count() or 1
    n = n_drawn or (len(generated) + n_unreadable)
    if n == 0:
        raise ReadError("no generated structures to score")
    present = [g for g in generated if g is not None]
    sv = [not structure_reasons(g) for g in present]
    cv = [not composition_reasons(g.composition) for g in present]
    valid = [g for g, a, b in zip(present, sv, cv) if a and b]
    out: dict[str, float] = {"n": n, "struct_valid": sum(sv) / n, "comp_valid": sum(cv) / n,
                             "valid": len(valid) / n}
    if valid:
        out["density_wdist"] = float(wasserstein_distance([g.density for g in valid], [r.density for r in reference]))
        out["nelem_wdist"] = float(wasserstein_distance([len(g.composition.elements) for g in valid],
                                                        [len(r.composition.elements) for r in reference]))
    name, (sc, cc) = (("given", cutoffs) if cutoffs else cov_cutoffs(reference))
    gen_ok = [g for g, a in zip(present, sv) if a]  # fingerprints of the structurally valid (as CDVAE)
    fps = _pool_map(_struct_fp, gen_ok + list(reference), "fingerprints", workers)
    g_fp, r_fp = fps[:len(gen_ok)], fps[len(gen_ok):]
    keep_g = [i for i, f in enumerate(g_fp) if f is not None]
    keep_r = [i for i, f in enumerate(r_fp) if f is not None]
    if keep_g and keep_r:
        gs, rs = np.stack([g_fp[i] for i in keep_g]), np.stack([r_fp[i] for i in keep_r])
        gc = scaled_composition_fps([gen_ok[i].composition for i in keep_g])
        rc = scaled_composition_fps([reference[i].composition for i in keep_r])
        ds, dc = cdist(gs, rs), cdist(gc, rc)
        out["cov_r"] = float(((ds.min(0) <= sc) & (dc.min(0) <= cc)).sum() / len(reference))
        out["cov_p"] = float(((ds.min(1) <= sc) & (dc.min(1) <= cc)).sum() / n)
    else:
        out["cov_r"] = out["cov_p"] = 0.0
    out["cov_cutoffs"] = f"{name}: struct {sc}, comp {cc}"
    return out
