"""Crystal structures in canonical form, on pymatgen.

Canonical form (what the tokenizer sees, so equal crystals give equal sequences as far as possible):
the Niggli-reduced lattice; atoms ordered by atomic number, then by fractional position; the whole
cell translated so that the first atom sits at the origin (crystals are translation invariant, so
this removes three degrees of freedom the generator would otherwise have to learn); fractional
coordinates wrapped to [0, 1).
"""
from __future__ import annotations

import numpy as np
from pymatgen.core import Composition, Element, Lattice, Structure


class CrystalError(ValueError):
    """A structure or formula that cannot be used (unknown element, malformed formula, bad cell)."""


def canonical(s: Structure, origin: int = 0) -> Structure:
    """The canonical form of ``s`` (see the module docstring); a new Structure.  ``origin`` picks which atom
    of the lightest element goes to the origin (0: the first by position; others give equivalent
    sequences of the same crystal — training-data augmentation)."""
    if not s.is_ordered:
        raise CrystalError("a disordered structure (partial occupancies) cannot be tokenized")
    if len(s) == 0:
        raise CrystalError("a structure with no atoms")
    try:
        red = s.get_reduced_structure("niggli")
    except Exception as e:  # noqa: BLE001 - pymatgen raises bare ValueErrors on degenerate cells
        raise CrystalError(f"Niggli reduction failed ({e})") from None
    z = np.array([site.specie.Z for site in red])
    frac = np.mod(red.frac_coords, 1.0)
    order0 = np.lexsort((frac[:, 2], frac[:, 1], frac[:, 0], z))
    lightest = order0[z[order0] == z[order0[0]]]
    first = lightest[origin % len(lightest)]
    frac = np.mod(frac - frac[first], 1.0)
    frac[np.isclose(frac, 1.0, atol=1e-8)] = 0.0
    order = np.lexsort((frac[:, 2], frac[:, 1], frac[:, 0], z))
    return Structure(red.lattice, [red[i].specie for i in order], frac[order])


def composition_of(text: str) -> Composition:
    """A formula in any notation pymatgen reads (``SrTiO3``, ``Sr1Ti1O3``, ``C8``) → Composition of the
    cell's contents (integer amounts).  Clear error for malformed formulas and unknown elements."""
    text = text.strip()
    if not text:
        raise CrystalError("empty formula")
    try:
        comp = Composition(text)
    except Exception as e:  # noqa: BLE001 - pymatgen raises ValueError / KeyError variants
        raise CrystalError(f"malformed formula {text!r} ({e})") from None
    for el in comp.elements:
        if not isinstance(el, Element) or not Element.is_valid_symbol(str(el)):
            raise CrystalError(f"unknown element {getattr(el, 'symbol', el)} in {text!r}")
    amounts = np.array(list(comp.values()), float)
    if (amounts <= 0).any() or not np.allclose(amounts, np.round(amounts)):
        raise CrystalError(f"{text!r}: the formula must give whole numbers of atoms in the cell")
    return comp


def atoms_of(comp: Composition) -> list[str]:
    """One element symbol per atom, in canonical order (atomic number)."""
    return [str(el) for el in sorted(comp.elements, key=lambda e: e.Z) for _ in range(int(round(comp[el])))]


def lattice_from(lengths: np.ndarray, angles: np.ndarray) -> Lattice:
    """A Lattice from (a, b, c) in Å and (α, β, γ) in degrees; CrystalError for impossible cells."""
    if (lengths <= 0).any() or not np.isfinite(lengths).all():
        raise CrystalError(f"non-positive lattice length {np.round(lengths, 3).tolist()}")
    if (angles <= 0).any() or (angles >= 180).any():
        raise CrystalError(f"lattice angle outside (0, 180): {np.round(angles, 1).tolist()}")
    lat = Lattice.from_parameters(*lengths.tolist(), *angles.tolist())
    if not np.isfinite(lat.matrix).all() or lat.volume <= 0 or not np.isfinite(lat.volume):
        raise CrystalError(f"angles {np.round(angles, 1).tolist()} do not make a cell")
    return lat
