from __future__ import annotations

import numpy as np
import pytest
from pymatgen.analysis.structure_matcher import StructureMatcher
from pymatgen.core import Element

from sciGen.materials.crystal import CrystalError
from sciGen.materials.sequence import ANGLES, LENGTHS, SEP, XYZ, CrystalSequence


def test_round_trip(crystals) -> None:
    codec = CrystalSequence()
    for s in crystals:
        tokens, values = codec.encode(s)
        n = len(s)
        assert tokens[:n + 1] == sorted((x.symbol for x in s.species), key=lambda e: Element(e).Z) + [SEP]
        assert tokens[n + 1].startswith("sg:")
        assert tokens[n + 2:] == [LENGTHS, ANGLES] + [XYZ] * n
        assert np.isnan(values[: n + 2]).all() and np.isfinite(values[n + 2:]).all()
        back = codec.decode(tokens, values)
        assert StructureMatcher().fit(back, s)
        assert np.allclose(codec.encode(back, already_canonical=True)[1][n + 2:], values[n + 2:], atol=1e-5)


def test_space_group_token(crystals) -> None:
    tokens, _ = CrystalSequence().encode(crystals[0])
    assert "sg:221" in tokens  # cubic perovskite: Pm-3m
    assert not any(t.startswith("sg:") for t in CrystalSequence(use_space_group=False).encode(crystals[0])[0])


def test_wraps_periodic_coordinates(crystals) -> None:
    codec = CrystalSequence()
    tokens, values = codec.encode(crystals[0])
    shifted = values.copy()
    shifted[-1] += 2.0  # one full period in 2·frac − 1
    assert np.allclose(codec.decode(tokens, shifted).frac_coords, codec.decode(tokens, values).frac_coords)


def test_decode_errors(crystals) -> None:
    codec = CrystalSequence()
    tokens, values = codec.encode(crystals[0])
    with pytest.raises(CrystalError, match="5 atoms but 4"):
        codec.decode(tokens[:-1], values[:-1])
    with pytest.raises(CrystalError, match="separator"):
        codec.decode([t for t in tokens if t != SEP], values[1:])
    bad = values.copy()
    bad[tokens.index(ANGLES)] = 3.0  # 180° angles
    with pytest.raises(CrystalError, match="angle"):
        codec.decode(tokens, bad)
