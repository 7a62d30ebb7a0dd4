"""The UniGenX crystal sequence (Zhang et al. 2025, §3): composition tokens, then numbers.

    Sr Ti O O O | sg:221 <lengths> <angles> <xyz> <xyz> <xyz> <xyz> <xyz>

- one element token per atom, in canonical order (:func:`sciGen.materials.crystal.canonical`);
- ``|`` closes the composition, so a prefix ``Sr Ti O O O |`` conditions crystal structure prediction
  (and a run of ``C`` tokens says how many carbon atoms the cell holds);
- optionally the space group (``sg:N``, spglib through pymatgen, symprec 0.1) — a discrete choice the
  model makes before it writes numbers;
- three number slots of width 3: ``<lengths>`` = ln(a, b, c / Å) − 1.5, ``<angles>`` = (α, β, γ − 90°)/30°,
  then one ``<xyz>`` per atom = 2·frac − 1.  Fractional coordinates are periodic: the decoder wraps
  them back into [0, 1), and the canonical translation puts the first atom at the origin.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from pymatgen.core import Structure

from sciGen.materials.crystal import CrystalError, canonical, lattice_from

SEP, LENGTHS, ANGLES, XYZ = "|", "<lengths>", "<angles>", "<xyz>"
NUMBERS = (LENGTHS, ANGLES, XYZ)
LEN_SHIFT, ANG_SCALE = 1.5, 30.0


def space_group(s: Structure, symprec: float = 0.1) -> int:
    from pymatgen.symmetry.analyzer import SpacegroupAnalyzer
    try:
        return int(SpacegroupAnalyzer(s, symprec=symprec).get_space_group_number())
    except Exception:  # noqa: BLE001 - spglib fails on some distorted cells: P1
        return 1


@dataclass
class CrystalSequence:
    """Structure ↔ (token strings, values (T, 3) with NaN at non-number positions)."""

    use_space_group: bool = True

    def encode(self, s: Structure, already_canonical: bool = False, origin: int = 0) -> tuple[list[str], np.ndarray]:
        c = s if already_canonical else canonical(s, origin)
        atoms = [site.specie.symbol for site in c]
        tokens = atoms + [SEP] + ([f"sg:{space_group(c)}"] if self.use_space_group else [])
        vals = [np.full(3, np.nan)] * len(tokens)
        tokens += [LENGTHS, ANGLES] + [XYZ] * len(c)
        vals += [np.log(np.array(c.lattice.abc)) - LEN_SHIFT, (np.array(c.lattice.angles) - 90.0) / ANG_SCALE]
        vals += list(2.0 * np.asarray(c.frac_coords) - 1.0)
        return tokens, np.stack(vals).astype(np.float32)

    @staticmethod
    def prefix(atoms: list[str]) -> list[str]:
        """The CSP condition: the composition and the separator."""
        return list(atoms) + [SEP]

    def decode(self, tokens: list[str], values: np.ndarray) -> Structure:
        """Raises :class:`CrystalError` naming what is wrong with the sequence."""
        if SEP not in tokens:
            raise CrystalError("no composition separator '|'")
        k = tokens.index(SEP)
        atoms, rest, rvals = tokens[:k], tokens[k + 1:], values[k + 1:]
        if not atoms:
            raise CrystalError("empty composition")
        if rest and rest[0].startswith("sg:"):
            rest, rvals = rest[1:], rvals[1:]
        if rest[:2] != [LENGTHS, ANGLES]:
            raise CrystalError(f"expected <lengths> <angles> after the composition, got {rest[:2]}")
        bad = [t for t in rest[2:] if t != XYZ]
        if bad:
            raise CrystalError(f"unexpected token {bad[0]!r} among the coordinates")
        n_xyz = len(rest) - 2
        if n_xyz != len(atoms):
            raise CrystalError(f"{len(atoms)} atoms but {n_xyz} coordinates")
        lengths = np.exp(rvals[0].astype(float) + LEN_SHIFT)
        angles = rvals[1].astype(float) * ANG_SCALE + 90.0
        lat = lattice_from(lengths, angles)
        frac = np.mod((rvals[2:].astype(float) + 1.0) / 2.0, 1.0)
        try:
            return Structure(lat, atoms, frac)
        except Exception as e:  # noqa: BLE001 - an unknown element symbol
            raise CrystalError(f"cannot build the structure ({e})") from None
