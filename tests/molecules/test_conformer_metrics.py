"""COV / MAT / median RMSD and the ETKDG baseline."""
from __future__ import annotations

import numpy as np
from scipy.spatial.transform import Rotation

from sciGen.molecules.conformer_metrics import best_rmsd, conformer_metrics, coverage, etkdg, etkdg_metrics
from sciGen.molecules.conformer import with_coordinates

from ._geom import embedded


def test_rmsd_ignores_rigid_motion_and_other_molecules_are_inf() -> None:
    m = embedded("CC(=O)NC")
    x = m.GetConformer().GetPositions()
    moved = with_coordinates(m, Rotation.from_euler("xyz", [0.3, 1.0, -2.0]).apply(x) + 5.0)
    assert best_rmsd(moved, m) < 1e-6
    assert best_rmsd(embedded("CCO"), m) == float("inf")


def test_coverage_recall_and_precision() -> None:
    # molecule 1: 3 generated vs 1 reference; molecule 2: nothing generated
    mats = [np.array([[0.2], [0.7], [0.4]]), None]
    r = coverage(mats, 0.5)
    assert r["cov_r"] == 0.5 and r["n_missing"] == 1
    assert np.isclose(r["mat_r"], 0.2) and np.isclose(r["median_rmsd"], 0.2)
    assert np.isclose(r["cov_p"], 2 / 3) and np.isclose(r["mat_p"], (0.2 + 0.7 + 0.4) / 3)


def test_etkdg_baseline_on_its_own_geometry() -> None:
    refs = [embedded("CCO"), embedded("c1ccncc1")]
    confs = etkdg(refs[1], 3)
    assert len(confs) == 3 and all(c.GetNumConformers() == 1 for c in confs)
    r = etkdg_metrics(refs, 3)
    assert set(r) == {"etkdg", "etkdg_mmff"}
    assert r["etkdg_mmff"]["cov_r"] == 1.0 and r["etkdg_mmff"]["median_rmsd"] < 0.1  # MMFF refs: MMFF finds them
    same = conformer_metrics([[refs[0]], [refs[1]]], refs)
    assert same["cov_r"] == 1.0 and same["mat_r"] < 1e-6
