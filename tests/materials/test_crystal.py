from __future__ import annotations

import numpy as np
import pytest
from pymatgen.core import Lattice, Structure

from sciGen.materials.crystal import CrystalError, atoms_of, canonical, composition_of, lattice_from

from .conftest import nacl, srtio3


def test_canonical_is_invariant_to_atom_order() -> None:
    s = srtio3()
    permuted = Structure(s.lattice, list(reversed(s.species)), s.frac_coords[::-1])
    ref, c = canonical(s), canonical(permuted)
    assert [x.symbol for x in c.species] == [x.symbol for x in ref.species]
    assert np.allclose(c.frac_coords, ref.frac_coords) and np.allclose(c.lattice.matrix, ref.lattice.matrix)


def test_canonical_form_of_a_moved_and_sheared_cell() -> None:
    """Translation and another cell choice give the same Niggli cell and composition order, and the same
    crystal; which of several equivalent atoms lands on the origin may differ."""
    from pymatgen.analysis.structure_matcher import StructureMatcher
    s = srtio3()
    moved = Structure(s.lattice, s.species, np.mod(s.frac_coords + [0.13, 0.4, 0.71], 1))
    sheared = Structure(Lattice(np.array([[1, 0, 0], [1, 1, 0], [0, 0, 1]]) @ s.lattice.matrix), s.species,
                        s.cart_coords, coords_are_cartesian=True, to_unit_cell=True)
    ref = canonical(s)
    for other in (moved, sheared):
        c = canonical(other)
        assert [x.symbol for x in c.species] == [x.symbol for x in ref.species]
        assert np.allclose(c.lattice.abc, ref.lattice.abc, atol=1e-6)
        assert np.allclose(c.frac_coords[0], 0) and StructureMatcher().fit(c, s)
    assert [x.Z for x in ref.species] == sorted(x.Z for x in ref.species)
    assert ((ref.frac_coords >= 0) & (ref.frac_coords < 1)).all()


def test_canonical_refuses_disorder() -> None:
    s = nacl()
    s.replace_species({"Na": {"Na": 0.5, "K": 0.5}})
    with pytest.raises(CrystalError, match="disordered"):
        canonical(s)


def test_formulas() -> None:
    assert atoms_of(composition_of("SrTiO3")) == ["O", "O", "O", "Ti", "Sr"]
    assert atoms_of(composition_of("Sr1Ti1O3")) == atoms_of(composition_of("SrTiO3"))
    assert len(atoms_of(composition_of("C8"))) == 8
    for bad, msg in (("Xx2O", "malformed|unknown"), ("Sr(Ti", "malformed"), ("", "empty"), ("SrTi0.5O3", "whole")):
        with pytest.raises(CrystalError, match=msg):
            composition_of(bad)


def test_impossible_lattice() -> None:
    with pytest.raises(CrystalError):
        lattice_from(np.array([3.0, 3.0, 3.0]), np.array([170.0, 170.0, 170.0]))
    with pytest.raises(CrystalError):
        lattice_from(np.array([3.0, -1.0, 3.0]), np.array([90.0, 90.0, 90.0]))
    assert lattice_from(np.array([3.0, 4.0, 5.0]), np.array([90.0, 90.0, 90.0])).volume == pytest.approx(60.0)
