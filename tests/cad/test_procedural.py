"""The procedural part families: valid, reproducible, varied, quick."""
from __future__ import annotations

import numpy as np
import pytest

from sciGen.cad.brep import bounding_box, count
from sciGen.cad.procedural import FAMILIES, MAX_FACES, generate, instance
from sciGen.cad.validate import solid_volume, validate


def fingerprint(shape) -> tuple:
    lo, hi = bounding_box(shape)
    return (count(shape, "face"), count(shape, "edge"), round(solid_volume(shape), 6),
            tuple(np.round(hi - lo, 6)))


@pytest.mark.parametrize("family", FAMILIES)
def test_every_family_gives_valid_varied_parts(family: str) -> None:
    parts = generate(family, 4, seed=3)
    for p in parts:
        assert validate(p).ok and count(p, "face") <= MAX_FACES
    assert len({fingerprint(p) for p in parts}) == 4  # four different parts


def test_instances_are_reproducible_and_seeded() -> None:
    a, b = instance("flange", 7, seed=1), instance("flange", 7, seed=1)
    assert fingerprint(a) == fingerprint(b)
    assert fingerprint(a) != fingerprint(instance("flange", 7, seed=2))
    with pytest.raises(ValueError, match="unknown CAD family 'gear'"):
        instance("gear", 0)
