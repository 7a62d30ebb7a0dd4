"""The UniGenX molecule-with-coordinates sequence (Zhang et al. 2025, §3): SMILES tokens, then numbers.

    C C ( = O ) O  <coords>  <xyz:C> <xyz:H> <xyz:H> <xyz:H> <xyz:C> <xyz:O> <xyz:O> <xyz:H>

- the canonical isomeric SMILES of the heavy atoms (stereo assigned from the geometry), one token per
  SMILES token (:class:`~sciGen.molecules.tokenizer.SmilesTokenizer`);
- ``<coords>`` closes the SMILES, so the prefix ``SMILES <coords>`` conditions conformer generation;
- one number slot of width 3 per atom, in SMILES atom order, each heavy atom followed by its hydrogens
  (when ``hydrogens``).  The slot token names the element (``<xyz:C>``), so the model never has to count
  SMILES atoms to know what it places, and the decoder checks every slot against the SMILES.
- coordinates are in a canonical frame fixed by the first atoms in sequence order (a Z-matrix frame):
  atom 0 at the origin, atom 1 on +x, the first atom off that line in the xy plane with y > 0.  A proper
  rotation plus a translation, so chirality is kept; the values are Å / :data:`SCALE`.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from rdkit import Chem
from rdkit.Geometry import Point3D

from sciGen.molecules.formats import parse
from sciGen.molecules.tokenizer import SmilesTokenizer, TokenizeError

COORDS = "<coords>"
ELEMENTS = ("H", "B", "C", "N", "O", "F", "Si", "P", "S", "Cl", "Br", "I")
SCALE = 2.0  # Å per unit value


def slot(element: str) -> str:
    return f"<xyz:{element}>"


NUMBERS = tuple(slot(e) for e in ELEMENTS)
_TOKENIZER = SmilesTokenizer()


class ConformerError(ValueError):
    """A molecule cannot be written as, or a sequence cannot be read back to, a molecule with coordinates."""


def with_coordinates(mol: Chem.Mol, xyz: np.ndarray) -> Chem.Mol:
    """A copy of ``mol`` whose only conformer has positions ``xyz`` (N, 3) Å."""
    out = Chem.Mol(mol)
    conf = Chem.Conformer(out.GetNumAtoms())
    for i, p in enumerate(np.asarray(xyz, dtype=np.float64)):
        conf.SetAtomPosition(i, Point3D(*p))
    conf.Set3D(True)
    out.RemoveAllConformers()
    out.AddConformer(conf, assignId=True)
    return out


def canonical_frame(xyz: np.ndarray) -> np.ndarray:
    """(N, 3) → (N, 3) in the frame of the first atoms: 0 at the origin, 1 on +x, the first atom off that
    line in the xy plane with y > 0.  Distances and handedness are unchanged."""
    x = np.asarray(xyz, dtype=np.float64) - xyz[0]
    if len(x) < 2:
        return x
    e1 = x[1] / max(np.linalg.norm(x[1]), 1e-9)
    e2 = None
    for v in x[2:]:
        w = v - (v @ e1) * e1
        if np.linalg.norm(w) > 1e-3:
            e2 = w / np.linalg.norm(w)
            break
    if e2 is None:  # a linear molecule: any perpendicular
        w = np.cross(e1, [0.0, 0.0, 1.0]) if abs(e1[2]) < 0.9 else np.cross(e1, [0.0, 1.0, 0.0])
        e2 = w / np.linalg.norm(w)
    rot = np.stack([e1, e2, np.cross(e1, e2)])
    return x @ rot.T


def anchor_atom(adjacency: np.ndarray, i: int) -> int:
    """Atom ``i``'s anchor: of the atoms before it in sequence order, the last one it is bonded to (−1: none)."""
    before = np.nonzero(adjacency[i, :i])[0]
    return int(before.max()) if len(before) else -1


def sequence_order(mol: Chem.Mol, heavy_order: list[int]) -> list[int]:
    """Atom indices of ``mol`` (hydrogens explicit) in sequence order: each heavy atom of ``heavy_order``
    followed by its hydrogens (by index)."""
    out = []
    for i in heavy_order:
        out.append(i)
        out += sorted(n.GetIdx() for n in mol.GetAtomWithIdx(i).GetNeighbors() if n.GetAtomicNum() == 1)
    return out


@dataclass
class ConformerSequence:
    """Molecule with a conformer ↔ (token strings, values (T, 3) with NaN at non-number positions)."""

    hydrogens: bool = True

    def encode(self, mol: Chem.Mol, conf_id: int = -1,
               rng: np.random.Generator | None = None) -> tuple[list[str], np.ndarray]:
        """``mol`` must carry a 3D conformer (and explicit hydrogens when ``hydrogens``).  With ``rng`` the SMILES
        is a random one (atoms renumbered by a permutation from ``rng``, written without canonical ordering):
        another atom order, and so another canonical frame, of the same molecule and geometry — training-data
        augmentation (randomized SMILES, Arús-Pous et al. 2019)."""
        if mol.GetNumConformers() == 0:
            raise ConformerError("no coordinates")
        m = Chem.Mol(mol)
        if self.hydrogens and any(a.GetNumImplicitHs() for a in m.GetAtoms() if a.GetAtomicNum() > 1):
            raise ConformerError("hydrogens without coordinates (the sequence places every hydrogen)")
        Chem.AssignStereochemistryFrom3D(m, confId=conf_id)
        heavy_idx = [a.GetIdx() for a in m.GetAtoms() if a.GetAtomicNum() > 1]
        if not heavy_idx:
            raise ConformerError("no heavy atom")
        heavy = Chem.RemoveAllHs(m, sanitize=False)
        perm = list(range(heavy.GetNumAtoms()))
        if rng is not None:
            perm = [int(i) for i in rng.permutation(len(perm))]
            heavy = Chem.RenumberAtoms(heavy, perm)  # new atom j is old atom perm[j]
        smi = Chem.MolToSmiles(heavy, canonical=rng is None)
        out_order = [heavy_idx[perm[i]] for i in heavy.GetPropsAsDict(True, True)["_smilesAtomOutputOrder"]]
        order = sequence_order(m, out_order) if self.hydrogens else out_order
        unknown = sorted({m.GetAtomWithIdx(i).GetSymbol() for i in order} - set(ELEMENTS))
        if unknown:
            raise ConformerError(f"element(s) {', '.join(unknown)} have no coordinate slot")
        try:
            tokens = _TOKENIZER.encode(smi)
        except TokenizeError as e:
            raise ConformerError(str(e)) from None
        xyz = canonical_frame(m.GetConformer(conf_id).GetPositions()[order]) / SCALE
        slots = [slot(m.GetAtomWithIdx(i).GetSymbol()) for i in order]
        vals = np.full((len(tokens) + 1 + len(slots), 3), np.nan, dtype=np.float32)
        vals[len(tokens) + 1:] = xyz
        return tokens + [COORDS] + slots, vals

    def skeleton(self, smiles_tokens: list[str]) -> tuple[Chem.Mol, list[str]]:
        """The molecule a SMILES prefix describes (hydrogens added when ``hydrogens``) in sequence order,
        and its slot tokens.  Raises :class:`ConformerError`."""
        text = _TOKENIZER.decode(smiles_tokens)
        mol, reason = parse(text)
        if mol is None:
            raise ConformerError(f"{reason}: {text!r}")
        if self.hydrogens:
            mol = Chem.AddHs(mol)
            order = sequence_order(mol, [a.GetIdx() for a in mol.GetAtoms() if a.GetAtomicNum() > 1])
            mol = Chem.RenumberAtoms(mol, order)
        return mol, [slot(a.GetSymbol()) for a in mol.GetAtoms()]

    def anchors(self, tokens: list[str]) -> np.ndarray:
        """Each coordinate slot's anchor in ``tokens`` (a whole sequence, or a SMILES prefix with ``<coords>``
        and its slots): the position of the slot of the atom it is bonded to that was placed last before it
        (a hydrogen's heavy atom; a heavy atom's SMILES parent or ring partner); −1 for the first atom, for
        tokens that are not slots and for an atom bonded to nothing before it.  (T,) int64.
        Raises :class:`ConformerError` for an unparsable SMILES."""
        k = tokens.index(COORDS)
        mol, _ = self.skeleton(tokens[:k])
        adj = Chem.GetAdjacencyMatrix(mol)
        out = np.full(len(tokens), -1, dtype=np.int64)
        for i in range(min(mol.GetNumAtoms(), len(tokens) - k - 1)):
            j = anchor_atom(adj, i)
            if j >= 0:
                out[k + 1 + i] = k + 1 + j
        return out

    def prefix(self, smiles: str) -> list[str]:
        """The conformer condition: canonical SMILES tokens and ``<coords>``."""
        mol, reason = parse(smiles)
        if mol is None:
            raise ConformerError(f"{reason}: {smiles!r}")
        return _TOKENIZER.encode(Chem.MolToSmiles(mol)) + [COORDS]

    def decode(self, tokens: list[str], values: np.ndarray) -> Chem.Mol:
        """A Mol (hydrogens explicit when ``hydrogens``) with one conformer in Å; raises :class:`ConformerError`."""
        if COORDS not in tokens:
            raise ConformerError("no <coords> marker after the SMILES")
        k = tokens.index(COORDS)
        mol, slots = self.skeleton(tokens[:k])
        got = tokens[k + 1:]
        if len(got) != len(slots):
            raise ConformerError(f"{len(slots)} atoms but {len(got)} coordinate slots")
        bad = next((i for i, (a, b) in enumerate(zip(got, slots)) if a != b), None)
        if bad is not None:
            raise ConformerError(f"slot {bad} is {got[bad]} but atom {bad} is {slots[bad]}")
        xyz = np.asarray(values[k + 1:], dtype=np.float64) * SCALE
        if not np.isfinite(xyz).all():
            raise ConformerError("non-finite coordinates")
        return with_coordinates(mol, xyz)
