"""Molecules from (SMILES, elements, xyz) in any atom order; 3D checks; XYZ files."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from rdkit import Chem

from sciGen.adapter import BadRecord
from sciGen.molecules.conformer import ConformerError
from sciGen.molecules.conformer import with_coordinates
from sciGen.molecules.geometry import geometry_problems, mol_from_xyz, read_xyz, write_xyz

from ._geom import embedded


def test_mol_from_shuffled_xyz_matches_atoms_through_bonds() -> None:
    ref = embedded("CC(=O)NC")
    xyz = ref.GetConformer().GetPositions()
    symbols = [a.GetSymbol() for a in ref.GetAtoms()]
    perm = np.random.default_rng(0).permutation(len(symbols))
    mol = mol_from_xyz("CNC(C)=O", [symbols[i] for i in perm], xyz[perm])
    assert Chem.MolToSmiles(Chem.RemoveHs(mol)) == Chem.MolToSmiles(Chem.MolFromSmiles("CC(=O)NC"))
    assert geometry_problems(mol) == []
    from rdkit.Chem import rdMolAlign
    assert rdMolAlign.GetBestRMS(mol, ref) < 1e-6


def test_mol_from_xyz_refuses_a_geometry_of_another_molecule() -> None:
    ref = embedded("CCO")
    symbols = [a.GetSymbol() for a in ref.GetAtoms()]
    with pytest.raises(ConformerError, match="bonds"):
        mol_from_xyz("COC", symbols, ref.GetConformer().GetPositions())
    with pytest.raises(ConformerError, match="atoms differ"):
        mol_from_xyz("CCN", symbols, ref.GetConformer().GetPositions())


def test_geometry_problems_flag_stretched_bonds_and_clashes() -> None:
    mol = embedded("CCO")
    x = mol.GetConformer().GetPositions()
    far = x.copy()
    far[2] += (x[2] - x[1]) * 1.0  # the C–O bond doubled
    assert any("bonds from distances" in p for p in geometry_problems(with_coordinates(mol, far)))
    near = x.copy()
    near[3] = near[0] + 0.05
    assert any(p.startswith("clash") for p in geometry_problems(with_coordinates(mol, near)))


def test_xyz_round_trip_and_bad_block(tmp_path: Path) -> None:
    mols = [embedded("CCO"), embedded("c1ccncc1")]
    path = tmp_path / "m.xyz"
    assert write_xyz(mols, path) == 2
    back = list(read_xyz(path, None))
    assert [Chem.MolToSmiles(Chem.RemoveHs(m)) for m in back] == ["CCO", "c1ccncc1"]
    path.write_text(path.read_text() + "3\nbroken\nC 0 0 0\n")
    errors: list[BadRecord] = []
    assert len(list(read_xyz(path, errors))) == 2
    assert len(errors) == 1 and "XYZ block" in errors[0].reason
