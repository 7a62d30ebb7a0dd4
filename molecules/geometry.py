"""Molecules with coordinates: from (SMILES, elements, xyz) rows such as QM9's, XYZ files, and the 3D
checks UniGenX-3D output must pass (bonds re-perceived from distances agree with the SMILES; no clash)."""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

import numpy as np
from rdkit import Chem, RDLogger
from rdkit.Chem import rdDetermineBonds

from sciGen.adapter import BadRecord, ReadError
from sciGen.molecules.conformer import ConformerError, with_coordinates
from sciGen.molecules.formats import parse, smiles_of

CLASH_FACTOR = 0.5  # two atoms closer than this × the sum of their covalent radii clash
BOND_FACTOR = 1.15  # bonded: closer than this × the sum of covalent radii (RDKit's default 1.3 bonds the
# 1,3 bridgeheads of QM9's bicyclo[1.1.1] cages, 1.8–1.95 Å apart)
_PT = Chem.GetPeriodicTable()


def _connectivity(symbols: list[str], xyz: np.ndarray) -> Chem.Mol:
    raw = Chem.RWMol()
    for s in symbols:
        raw.AddAtom(Chem.Atom(s))
    raw = with_coordinates(raw.GetMol(), xyz)
    rdDetermineBonds.DetermineConnectivity(raw, covFactor=BOND_FACTOR, useVdw=True)
    return raw


def _generic(mol: Chem.Mol) -> Chem.Mol:
    """Single bonds, no aromaticity, no charges: the graph alone, for matching against perceived bonds."""
    q = Chem.RWMol(mol)
    for b in q.GetBonds():
        b.SetBondType(Chem.BondType.SINGLE)
        b.SetIsAromatic(False)
    for a in q.GetAtoms():
        a.SetIsAromatic(False)
        a.SetFormalCharge(0)
        a.SetNoImplicit(True)
    q.UpdatePropertyCache(strict=False)
    return q.GetMol()


def mol_from_xyz(smiles: str, symbols: list[str], xyz: np.ndarray) -> Chem.Mol:
    """The molecule ``smiles`` names (hydrogens explicit) with the coordinates of the atoms ``symbols``/``xyz``
    in any order.  Atoms are matched through the bonds perceived from distances; a geometry whose bonds differ
    from the SMILES raises :class:`ConformerError`."""
    mol, reason = parse(smiles)
    if mol is None:
        raise ConformerError(f"{reason}: {smiles!r}")
    mol = Chem.AddHs(mol)
    if sorted(symbols) != sorted(a.GetSymbol() for a in mol.GetAtoms()):
        raise ConformerError("the atoms differ from the SMILES's")
    raw = _connectivity(symbols, xyz)
    q = _generic(mol)
    if raw.GetNumBonds() != q.GetNumBonds():
        raise ConformerError(f"the geometry has {raw.GetNumBonds()} bonds, the SMILES {q.GetNumBonds()}")
    match = raw.GetSubstructMatch(q)
    if not match:
        raise ConformerError("the geometry's bonds differ from the SMILES's")
    return with_coordinates(mol, np.asarray(xyz, dtype=np.float64)[list(match)])


def geometry_problems(mol: Chem.Mol) -> list[str]:
    """Why a molecule's coordinates do not fit its bonds (empty when they do): the bonds perceived from
    distances (RDKit ``DetermineConnectivity``) must be the molecule's own, and no two atoms may clash."""
    if mol.GetNumConformers() == 0:
        return ["no coordinates"]
    xyz = mol.GetConformer().GetPositions()
    symbols = [a.GetSymbol() for a in mol.GetAtoms()]
    out = []
    d = np.linalg.norm(xyz[:, None] - xyz[None], axis=-1)
    r = np.array([_PT.GetRcovalent(a.GetAtomicNum()) for a in mol.GetAtoms()])
    near = np.triu(d < CLASH_FACTOR * (r[:, None] + r[None]), 1)
    if near.any():
        i, j = map(int, np.argwhere(near)[0])
        out.append(f"clash: atoms {i} and {j} are {d[i, j]:.2f} Å apart")
    raw = _connectivity(symbols, xyz)
    own = {tuple(sorted((b.GetBeginAtomIdx(), b.GetEndAtomIdx()))) for b in mol.GetBonds()}
    seen = {tuple(sorted((b.GetBeginAtomIdx(), b.GetEndAtomIdx()))) for b in raw.GetBonds()}
    if own != seen:
        extra, missing = len(seen - own), len(own - seen)
        out.append(f"bonds from distances differ from the SMILES ({missing} missing, {extra} extra)")
    return out


# ------------------------------------------------------------------ files
def read_xyz(path: Path, errors: list[BadRecord] | None) -> Iterator[Chem.Mol]:
    """Concatenated XYZ blocks; bonds and charges perceived with RDKit ``DetermineBonds`` (neutral)."""
    RDLogger.DisableLog("rdApp.*")
    lines = path.read_text().splitlines()
    i, k = 0, 0
    while i < len(lines):
        if not lines[i].strip():
            i += 1
            continue
        k += 1
        head = lines[i].split()[0]
        n = int(head) if head.isdigit() else 0
        step = n + 2 if n else 1  # a block is the atom count, a comment line and n atom lines
        try:
            if not n:
                raise ValueError("the first line is not an atom count")
            if len(lines) < i + step:
                raise ValueError("truncated block")
            mol = Chem.MolFromXYZBlock("\n".join(lines[i:i + step]))
            if mol is None:
                raise ValueError("unreadable block")
            rdDetermineBonds.DetermineBonds(mol, charge=0)
            Chem.SanitizeMol(mol)
        except Exception as e:  # noqa: BLE001 - one record, reported and skipped
            bad = BadRecord(str(path), k, lines[i][:40], f"XYZ block: {str(e).splitlines()[0] if str(e) else e}")
            if errors is None:
                raise ReadError(str(bad)) from None
            errors.append(bad)
            i += step
            continue
        i += step
        yield mol


def write_xyz(mols, path: Path) -> int:
    """Concatenated XYZ blocks (the comment line holds the SMILES); molecules without coordinates skipped."""
    from sciGen.io import atomic_write_text

    blocks = []
    for m in mols:
        if isinstance(m, str) or m.GetNumConformers() == 0:
            continue
        block = Chem.MolToXYZBlock(m).splitlines()
        block[1] = (m.GetProp("_Name") if m.HasProp("_Name") else "") or smiles_of(m)
        blocks.append("\n".join(block) + "\n")
    atomic_write_text(path, "".join(blocks))
    return len(blocks)
