"""EDM's 3D metrics: bond orders from distances, atom / molecule stability, validity, uniqueness."""
from __future__ import annotations

import numpy as np
import pytest

from sciGen.molecules.conformer import with_coordinates
from sciGen.molecules.stability import bond_order, metrics_3d, stability

from ._geom import QM9_LIKE, embedded


@pytest.mark.parametrize("a,b,d,order", [("C", "C", 1.54, 1), ("C", "C", 1.34, 2), ("C", "C", 1.20, 3),
                                         ("C", "C", 1.70, 0), ("C", "H", 1.09, 1), ("C", "H", 1.25, 0),
                                         ("C", "O", 1.21, 2), ("N", "C", 1.16, 3), ("H", "H", 1.8, 0),
                                         ("F", "F", 1.0, 1), ("Xe", "C", 1.5, 0)])
def test_bond_order_from_distance(a: str, b: str, d: float, order: int) -> None:
    assert bond_order(a, b, d) == order


def test_force_field_geometries_are_stable_and_valid() -> None:
    mols = [embedded(s) for s in ["CCO", "CC(=O)O", "OCC#N", "CC1CC1O", "CC(C)(C)O"]]
    for m in mols:
        n_ok, ok = stability([a.GetSymbol() for a in m.GetAtoms()], m.GetConformer().GetPositions())
        assert ok and n_ok == m.GetNumAtoms()
    r = metrics_3d(mols)
    assert r["atom_stable"] == 1.0 and r["mol_stable"] == 1.0 and r["valid"] == 1.0 and r["unique"] == 1.0


def test_broken_geometry_is_unstable_and_failures_count() -> None:
    m = embedded("CCO")
    x = m.GetConformer().GetPositions().copy()
    x[1] = x[0] + (x[1] - x[0]) * 1.3  # C–C at ~2 Å: both carbons lose a bond
    broken = with_coordinates(m, x)
    r = metrics_3d([embedded("CCO"), broken, None], n_failed=1)
    assert r["n"] == 4 and r["mol_stable"] == 0.25
    assert r["atom_stable"] < 1.0
    dup = metrics_3d([embedded("CCO"), embedded("CCO", seed=1)])
    assert dup["unique"] == 0.5
    assert len(QM9_LIKE) == len(set(QM9_LIKE))


def test_identical_positions_do_not_crash() -> None:
    m = embedded("CO")
    r = metrics_3d([with_coordinates(m, np.zeros((m.GetNumAtoms(), 3)))])
    assert r["mol_stable"] == 0.0
