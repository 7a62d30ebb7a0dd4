"""3D de novo metrics as EDM defines them (Hoogeboom et al. 2022, "Equivariant Diffusion for Molecule
Generation in 3D", §5 and its released evaluation): bonds and their orders are read from interatomic
distances alone with a table of typical bond lengths (pm) and margins; an atom is *stable* when the
orders of its bonds sum to its allowed valence, a molecule when all its atoms are; a molecule is *valid*
when the graph so built (hydrogens included) sanitizes in RDKit, scored by its largest fragment, and
*unique* among the valid ones by canonical SMILES.

The SMILES a UniGenX-3D sequence carries plays no part: these metrics judge the coordinates.
"""
from __future__ import annotations

from typing import Iterable

import numpy as np
from rdkit import Chem, RDLogger

# typical bond lengths in pm: single, double, triple (EDM's bond tables, after Allen et al. / Lide's CRC)
BONDS1 = {
    "H": {"H": 74, "C": 109, "N": 101, "O": 96, "F": 92, "B": 119, "Si": 148, "P": 144, "As": 152, "S": 134,
          "Cl": 127, "Br": 141, "I": 161},
    "C": {"H": 109, "C": 154, "N": 147, "O": 143, "F": 135, "Si": 185, "P": 184, "S": 182, "Cl": 177, "Br": 194,
          "I": 214},
    "N": {"H": 101, "C": 147, "N": 145, "O": 140, "F": 136, "Cl": 175, "Br": 214, "S": 168, "I": 222, "P": 177},
    "O": {"H": 96, "C": 143, "N": 140, "O": 148, "F": 142, "Br": 172, "S": 151, "P": 163, "Si": 163, "Cl": 164,
          "I": 194},
    "F": {"H": 92, "C": 135, "N": 136, "O": 142, "F": 142, "S": 158, "Si": 160, "Cl": 166, "Br": 178, "P": 156,
          "I": 187},
    "B": {"H": 119, "Cl": 175},
    "Si": {"Si": 233, "H": 148, "C": 185, "O": 163, "S": 200, "F": 160, "Cl": 202, "Br": 215, "I": 243},
    "Cl": {"Cl": 199, "H": 127, "C": 177, "N": 175, "O": 164, "P": 203, "S": 207, "B": 175, "Si": 202, "F": 166,
           "Br": 214},
    "S": {"H": 134, "C": 182, "N": 168, "O": 151, "S": 204, "F": 158, "Cl": 207, "Br": 225, "Si": 200, "P": 210,
          "I": 234},
    "Br": {"Br": 228, "H": 141, "C": 194, "O": 172, "N": 214, "Si": 215, "S": 225, "F": 178, "Cl": 214, "P": 222},
    "P": {"P": 221, "H": 144, "C": 184, "O": 163, "Cl": 203, "S": 210, "F": 156, "N": 177, "Br": 222},
    "I": {"H": 161, "C": 214, "Si": 243, "N": 222, "O": 194, "S": 234, "F": 187, "I": 266},
    "As": {"H": 152},
}
BONDS2 = {"C": {"C": 134, "N": 129, "O": 120, "S": 160}, "N": {"C": 129, "N": 125, "O": 121},
          "O": {"C": 120, "N": 121, "O": 121, "P": 150}, "P": {"O": 150, "S": 186}, "S": {"P": 186}}
BONDS3 = {"C": {"C": 120, "N": 116, "O": 113}, "N": {"C": 116, "N": 110}, "O": {"C": 113}}
MARGINS = (10, 5, 3)  # pm added to the single / double / triple lengths
ALLOWED = {"H": (1,), "C": (4,), "N": (3,), "O": (2,), "F": (1,), "B": (3,), "Al": (3,), "Si": (4,), "P": (3, 5),
           "S": (4,), "Cl": (1,), "As": (3,), "Br": (1,), "I": (1,)}
_BOND_TYPES = {1: Chem.BondType.SINGLE, 2: Chem.BondType.DOUBLE, 3: Chem.BondType.TRIPLE}


def bond_order(a: str, b: str, distance: float) -> int:
    """0 (no bond), 1, 2 or 3 for atoms ``a``, ``b`` ``distance`` Å apart."""
    d = 100.0 * distance
    single = BONDS1.get(a, {}).get(b)
    if single is None or d >= single + MARGINS[0]:
        return 0
    double = BONDS2.get(a, {}).get(b)
    if double is None or d >= double + MARGINS[1]:
        return 1
    triple = BONDS3.get(a, {}).get(b)
    return 3 if triple is not None and d < triple + MARGINS[2] else 2


def bond_matrix(symbols: list[str], xyz: np.ndarray) -> np.ndarray:
    """(N, N) int bond orders from distances."""
    xyz = np.asarray(xyz, dtype=np.float64)
    d = np.linalg.norm(xyz[:, None] - xyz[None], axis=-1)
    n = len(symbols)
    out = np.zeros((n, n), dtype=np.int64)
    for i in range(n):
        for j in range(i + 1, n):
            out[i, j] = out[j, i] = bond_order(symbols[i], symbols[j], d[i, j])
    return out


def stability(symbols: list[str], xyz: np.ndarray) -> tuple[int, bool]:
    """(number of stable atoms, is the molecule stable)."""
    valence = bond_matrix(symbols, xyz).sum(1)
    ok = [int(v) in ALLOWED.get(s, ()) for s, v in zip(symbols, valence)]
    return sum(ok), all(ok)


def edm_smiles(symbols: list[str], xyz: np.ndarray) -> str | None:
    """Canonical SMILES of the largest fragment of the molecule built from distance bonds, or None when it
    does not sanitize (EDM's validity)."""
    RDLogger.DisableLog("rdApp.*")
    orders = bond_matrix(symbols, xyz)
    mol = Chem.RWMol()
    for s in symbols:
        mol.AddAtom(Chem.Atom(s))
    for i, j in zip(*np.nonzero(np.triu(orders))):
        mol.AddBond(int(i), int(j), _BOND_TYPES[int(orders[i, j])])
    try:
        Chem.SanitizeMol(mol)
        frags = Chem.GetMolFrags(mol, asMols=True, sanitizeFrags=True)
        largest = max(frags, key=lambda m: m.GetNumAtoms())
        return Chem.MolToSmiles(largest)
    except Exception:  # noqa: BLE001 - RDKit raises several types: not valid
        return None


def metrics_3d(molecules: Iterable[Chem.Mol | None], n_failed: int = 0) -> dict[str, float]:
    """``atom_stable``, ``mol_stable``, ``valid``, ``unique`` over molecules with coordinates (hydrogens explicit).
    ``None`` entries and ``n_failed`` draws that never decoded count as unstable and invalid molecules; their
    atoms are unknown, so ``atom_stable`` is over the atoms of the decoded ones."""
    n_atoms = n_stable_atoms = n_mol_stable = 0
    valid: list[str] = []
    n = n_failed
    for m in molecules:
        n += 1
        if m is None or m.GetNumConformers() == 0:
            continue
        symbols = [a.GetSymbol() for a in m.GetAtoms()]
        xyz = m.GetConformer().GetPositions()
        k, stable = stability(symbols, xyz)
        n_atoms += len(symbols)
        n_stable_atoms += k
        n_mol_stable += stable
        smi = edm_smiles(symbols, xyz)
        if smi is not None:
            valid.append(smi)
    return {"n": n, "atom_stable": n_stable_atoms / max(n_atoms, 1), "mol_stable": n_mol_stable / max(n, 1),
            "valid": len(valid) / max(n, 1), "unique": len(set(valid)) / max(len(valid), 1),
            "valid_unique": len(set(valid)) / max(n, 1)}
