"""The CDVAE structure and composition fingerprints behind de novo coverage (COV-R / COV-P).

- structure: CrystalNN "ops" site fingerprints (Zimmermann & Jain 2020) averaged over sites — the
  ``CrystalNNFingerprint.from_preset("ops")`` of matminer, here from ``emmet-core`` (the Materials Project's
  port; matminer itself pins ``pandas<3``);
- composition: the Magpie element-property statistics (22 properties × minimum, maximum, range, mean,
  average deviation, mode; Ward et al. 2016) from the Magpie table that SMACT ships, standardised with
  CDVAE's MP-20 means and deviations (``data/comp_scaler.json``) so that CDVAE's distance cut-offs apply.
"""
from __future__ import annotations

import csv
import json
import warnings
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np
from pymatgen.core import Composition, Structure

MAGPIE = ("Number", "MendeleevNumber", "AtomicWeight", "MeltingT", "Column", "Row", "CovalentRadius",
          "Electronegativity", "NsValence", "NpValence", "NdValence", "NfValence", "NValence", "NsUnfilled",
          "NpUnfilled", "NdUnfilled", "NfUnfilled", "NUnfilled", "GSvolume_pa", "GSbandgap", "GSmagmom",
          "SpaceGroupNumber")


@lru_cache(maxsize=1)
def _magpie_table() -> dict[str, np.ndarray]:
    import smact
    path = Path(smact.__file__).parent / "data" / "magpie.csv"
    with open(path, newline="", encoding="utf-8-sig") as fh:
        return {(row.get("element") or row.get("Element")): np.array([float(row[k]) if row[k] not in ("", "nan") else np.nan for k in MAGPIE])
                for row in csv.DictReader(fh)}


@lru_cache(maxsize=1)
def _scaler() -> tuple[np.ndarray, np.ndarray]:
    d = json.loads((resources.files("sciGen.materials") / "data" / "comp_scaler.json").read_text())
    return np.array(d["means"]), np.array(d["stds"])


def composition_fp(comp: Composition) -> np.ndarray:
    """(132,) Magpie statistics of a composition (unscaled; NaN where an element lacks data)."""
    table = _magpie_table()
    el = comp.element_composition.fractional_composition
    syms = [str(e) for e in el.elements]
    w = np.array([el[e] for e in el.elements])
    x = np.stack([table.get(s, np.full(len(MAGPIE), np.nan)) for s in syms])  # (n_el, 22)
    mean = w @ x
    out = []
    for j in range(len(MAGPIE)):
        col = x[:, j]
        mode = col[w == w.max()].min()
        out += [col.min(), col.max(), col.max() - col.min(), mean[j], w @ np.abs(col - mean[j]), mode]
    return np.array(out)


def scaled_composition_fps(comps: list[Composition]) -> np.ndarray:
    """(N, 132) composition fingerprints standardised as CDVAE does (NaN → 0)."""
    means, stds = _scaler()
    x = (np.stack([composition_fp(c) for c in comps]) - means) / stds
    return np.nan_to_num(x, nan=0.0)


@lru_cache(maxsize=1)
def _crystalnn_fp():
    from emmet.core.featurization.featurizers import CrystalNNFingerprint
    return CrystalNNFingerprint.from_preset("ops")


def structure_fp(s: Structure) -> np.ndarray | None:
    """(61,) site-averaged CrystalNN "ops" fingerprint, or None when CrystalNN fails on the cell."""
    fp = _crystalnn_fp()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return np.array([fp.featurize(s, i) for i in range(len(s))], float).mean(0)
    except Exception:  # noqa: BLE001 - CrystalNN raises on pathological cells: no fingerprint (as CDVAE)
        return None
