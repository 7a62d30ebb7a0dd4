"""The UniGenX-3D sequence: SMILES tokens, <coords>, one typed slot per atom in SMILES order (hydrogens after
their heavy atom), coordinates in the frame of the first atoms."""
from __future__ import annotations

import numpy as np
import pytest
from rdkit import Chem

from sciGen.molecules.conformer import COORDS, SCALE, ConformerError, ConformerSequence, canonical_frame

from ._geom import QM9_LIKE, embedded


def _dist(m: Chem.Mol) -> np.ndarray:
    x = m.GetConformer().GetPositions()
    return np.linalg.norm(x[:, None] - x[None], axis=-1)


@pytest.mark.parametrize("smi", QM9_LIKE)
def test_round_trip_keeps_geometry_and_stereo(smi: str) -> None:
    codec = ConformerSequence()
    mol = embedded(smi)
    tokens, values = codec.encode(mol)
    k = tokens.index(COORDS)
    assert len(tokens) - k - 1 == mol.GetNumAtoms()  # one slot per atom, hydrogens included
    assert np.isnan(values[: k + 1]).all() and not np.isnan(values[k + 1:]).any()
    back = codec.decode(tokens, np.nan_to_num(values))
    assert Chem.MolToSmiles(Chem.RemoveHs(back)) == "".join(tokens[:k])
    # the same molecule, the same shape: sorted interatomic distances agree to float32 precision
    assert np.allclose(np.sort(_dist(back).ravel()), np.sort(_dist(mol).ravel()), atol=1e-4)
    from rdkit.Chem import rdMolAlign
    assert rdMolAlign.GetBestRMS(Chem.RemoveHs(back), Chem.RemoveHs(mol)) < 1e-3
    if "@" in smi:  # chirality comes from the geometry and survives the proper rotation
        Chem.AssignStereochemistryFrom3D(back)
        assert "@" in Chem.MolToSmiles(Chem.RemoveHs(back))


def test_slots_name_elements_and_hydrogens_follow_their_atom() -> None:
    tokens, _ = ConformerSequence().encode(embedded("CC(=O)O"))
    assert tokens == ["C", "C", "(", "=", "O", ")", "O", COORDS, "<xyz:C>", "<xyz:H>", "<xyz:H>", "<xyz:H>",
                      "<xyz:C>", "<xyz:O>", "<xyz:O>", "<xyz:H>"]
    heavy_only, vals = ConformerSequence(hydrogens=False).encode(embedded("CC(=O)O"))
    assert heavy_only[heavy_only.index(COORDS) + 1:] == ["<xyz:C>", "<xyz:C>", "<xyz:O>", "<xyz:O>"]
    assert ConformerSequence(hydrogens=False).decode(heavy_only, np.nan_to_num(vals)).GetNumAtoms() == 4


def test_canonical_frame() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(6, 3)) * 2
    y = canonical_frame(x)
    assert np.allclose(y[0], 0) and np.allclose(y[1, 1:], 0) and y[1, 0] > 0
    assert abs(y[2, 2]) < 1e-9 and y[2, 1] > 0
    # a proper rotation: distances and handedness are kept
    assert np.allclose(np.linalg.norm(y[:, None] - y[None], axis=-1), np.linalg.norm(x[:, None] - x[None], axis=-1))
    vol = lambda p: np.linalg.det(np.stack([p[1] - p[0], p[2] - p[0], p[3] - p[0]]))  # noqa: E731
    assert np.sign(vol(y)) == np.sign(vol(x))
    line = canonical_frame(np.array([[0, 0, 0], [0, 0, 1.2], [0, 0, 2.4]], float))  # linear: still a frame
    assert np.allclose(line[:, 1:], 0)


def test_values_are_scaled() -> None:
    tokens, values = ConformerSequence().encode(embedded("OCC#N"))
    k = tokens.index(COORDS)
    assert tokens[:k] == ["N", "#", "C", "C", "O"] and tokens[k + 1:k + 3] == ["<xyz:N>", "<xyz:C>"]
    cn = values[k + 2] * SCALE  # atom 1 (the nitrile C) lies on +x at the C≡N bond length
    assert np.allclose(values[k + 1], 0) and np.allclose(cn[1:], 0) and 1.1 < cn[0] < 1.2


def test_decode_errors_name_the_problem() -> None:
    codec = ConformerSequence()
    tokens, values = codec.encode(embedded("CCO"))
    v = np.nan_to_num(values)
    with pytest.raises(ConformerError, match="coordinate slots"):
        codec.decode(tokens[:-1], v[:-1])
    bad = list(tokens)
    bad[-1] = "<xyz:N>"
    with pytest.raises(ConformerError, match="slot 8 is <xyz:N>"):
        codec.decode(bad, v)
    with pytest.raises(ConformerError, match="no <coords>"):
        codec.decode(tokens[:3], v[:3])
    with pytest.raises(ConformerError, match="unparsable"):
        codec.decode(["C", "1", "C", COORDS] + tokens[4:], v)
    with pytest.raises(ConformerError, match="no coordinates"):
        codec.encode(Chem.AddHs(Chem.MolFromSmiles("CCO")))
    with pytest.raises(ConformerError, match="hydrogens without coordinates"):
        codec.encode(Chem.RemoveHs(embedded("CCO")))


@pytest.mark.parametrize("smi", QM9_LIKE)
def test_random_smiles_encode_the_same_molecule_and_geometry_in_another_order(smi: str) -> None:
    codec = ConformerSequence()
    mol = embedded(smi)
    canon, _ = codec.encode(mol)
    rng = np.random.default_rng(0)
    orders = set()
    for _ in range(6):
        tokens, values = codec.encode(mol, rng=rng)
        k = tokens.index(COORDS)
        orders.add(tuple(tokens[:k]))
        back = codec.decode(tokens, np.nan_to_num(values))
        ref = Chem.Mol(mol)
        Chem.AssignStereochemistryFrom3D(ref)
        Chem.AssignStereochemistryFrom3D(back)
        assert Chem.MolToSmiles(Chem.RemoveHs(back)) == Chem.MolToSmiles(Chem.RemoveHs(ref))
        assert np.allclose(np.sort(_dist(back).ravel()), np.sort(_dist(mol).ravel()), atol=1e-4)
        assert values[k + 1:k + 2].tolist() == [[0.0, 0.0, 0.0]]  # each order has its own first-atom frame
    if mol.GetNumHeavyAtoms() > 3:
        assert len(orders) > 1  # the orders differ, not just the seed
    again = [codec.encode(mol, rng=np.random.default_rng(0))[0] for _ in range(2)]
    assert again[0] == again[1]  # seeded: reproducible
    assert codec.encode(mol)[0] == canon  # without rng: the canonical sequence


@pytest.mark.parametrize("smi", ["CC(=O)O", "c1ccncc1", "OC1CC1N"])
def test_each_atom_is_anchored_to_the_last_placed_atom_it_is_bonded_to(smi: str) -> None:
    codec = ConformerSequence()
    tokens, values = codec.encode(embedded(smi))
    ref = codec.anchors(tokens)
    k = tokens.index(COORDS)
    mol, _ = codec.skeleton(tokens[:k])
    assert (ref[:k + 2] == -1).all()  # SMILES tokens, <coords> and the first atom have none
    xyz = values[k + 1:] * SCALE
    for i in range(1, mol.GetNumAtoms()):
        j = ref[k + 1 + i] - (k + 1)
        bonded = [n.GetIdx() for n in mol.GetAtomWithIdx(i).GetNeighbors() if n.GetIdx() < i]
        assert j == max(bonded)  # the ring partner placed after the SMILES parent wins, e.g. in the rings here
        assert np.linalg.norm(xyz[i] - xyz[j]) < 1.7  # a bond, so the offset the head refines is short
