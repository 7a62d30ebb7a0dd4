"""Strict B-Rep validity: the reasons for each failure."""
from __future__ import annotations

from pathlib import Path

from build123d import Box, Pos

from sciGen.cad.brep import compound, read_step, subshapes
from sciGen.cad.validate import validate


def test_a_solid_is_valid_and_the_reasons_name_each_failure() -> None:
    assert validate(Box(1, 2, 3).wrapped).ok
    two = compound([Box(1, 1, 1).wrapped, (Pos(5, 0, 0) * Box(1, 1, 1)).wrapped])
    assert validate(two).reasons == ["2 solids (need exactly one)"]
    faces = subshapes(Box(1, 1, 1).wrapped, "face")[:5]  # a box without its lid: an open shell
    v = validate(compound(faces))
    assert not v.ok and "0 solids (need exactly one)" in v.reasons
    assert any("free edges (open shell)" in r for r in v.reasons)
    assert validate(None).reasons == ["no shape"]


def test_solid_plus_stray_face_is_not_one_solid() -> None:
    box = Box(1, 1, 1).wrapped
    stray = subshapes((Pos(3, 0, 0) * Box(1, 1, 1)).wrapped, "face")[0]
    assert "1 faces outside the solid" in validate(compound([box, stray])).reasons


def test_real_parts_and_assemblies(real_solids: Path) -> None:
    assert validate(read_step(real_solids / "block_fillet3.step")).ok
    assert validate(read_step(real_solids / "21165_5cb2d287_0000_2.step")).reasons == ["2 solids (need exactly one)"]
