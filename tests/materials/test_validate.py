from __future__ import annotations

from pymatgen.core import Composition, Lattice, Structure

from sciGen.materials.validate import composition_reasons, min_distance, reasons, structure_reasons

from .conftest import diamond, nacl, srtio3


def test_textbook_crystals_are_valid() -> None:
    for s in (srtio3(), nacl(), diamond()):
        assert reasons(s) == []
    assert abs(min_distance(srtio3()) - 3.905 / 2) < 1e-6


def test_overlap_and_volume() -> None:
    s = Structure(Lattice.cubic(4.0), ["Na", "Cl"], [[0, 0, 0], [0.05, 0, 0]])
    assert any("overlap" in r for r in structure_reasons(s))
    tiny = Structure(Lattice.cubic(0.3), ["C"], [[0, 0, 0]])
    assert structure_reasons(tiny)


def test_smact_charge_neutrality() -> None:
    assert composition_reasons(Composition("SrTiO3")) == []
    assert composition_reasons(Composition("C24")) == []  # one element
    assert composition_reasons(Composition("FeNi3")) == []  # an alloy
    assert composition_reasons(Composition("LiF2"))  # Li+ and F- cannot balance 1:2
