"""NSPDK MMD: zero for a set against itself, small for alike sets, large for different ones."""
from __future__ import annotations

from rdkit import Chem

from sciGen.molecules.nspdk import nspdk_features, nspdk_mmd


def _mols(smiles: list[str]) -> list[Chem.Mol]:
    return [Chem.MolFromSmiles(s) for s in smiles]


def test_features_are_normalised_and_invariant_to_atom_order() -> None:
    m = Chem.MolFromSmiles("CC(=O)Nc1ccc(O)cc1")
    f = nspdk_features(m)
    assert abs(sum(v * v for v in f.values()) - 1) < 1e-9
    g = nspdk_features(Chem.RenumberAtoms(m, list(range(m.GetNumAtoms()))[::-1]))
    assert f.keys() == g.keys() and all(abs(f[k] - g[k]) < 1e-9 for k in f)


def test_mmd_orders_sets_by_similarity(smiles: list[str]) -> None:
    ref = _mols(smiles)
    assert nspdk_mmd(ref, ref) < 1e-12
    alike = nspdk_mmd(_mols(smiles[:10]), _mols(smiles[10:]))
    unlike = nspdk_mmd(_mols(["C#N", "O=O", "FF", "N#N"] * 3), ref)
    assert 0 < alike < unlike
