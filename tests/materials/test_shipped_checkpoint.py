"""Quality floors of the shipped crystal checkpoints (the full evaluation is in their model cards and
bench/results/materials.json)."""
from __future__ import annotations

import pytest
from pymatgen.analysis.structure_matcher import StructureMatcher

from sciGen.api import load, sample_structures
from sciGen.registry import default_checkpoint, named_checkpoint

from .conftest import srtio3


@pytest.mark.parametrize("name", ["perov5", "carbon24"])
def test_cards_sit_beside_checkpoints(name: str) -> None:
    p = named_checkpoint("materials", name)
    assert p.is_file() and p.stat().st_size < 12e6
    card = p.with_suffix(".md").read_text()
    for word in ("scigen train", "steps", "wall", "match rate", "valid"):
        assert word in card
    assert default_checkpoint("materials") == named_checkpoint("materials", "perov5")


def test_perov5_de_novo_validity_floor() -> None:
    model, adapter = load("materials", checkpoint="perov5", device="cpu")
    res = sample_structures(model, adapter, 200, seed=0, batch_size=200)
    assert res.n_drawn == 200 and len(res.structures) / 200 >= 0.8
    assert all(len(s) == 5 for s in res.structures)


def test_perov5_predicts_cubic_srtio3() -> None:
    """Crystal structure prediction from the composition alone: one of 10 candidates is cubic SrTiO3."""
    model, adapter = load("materials", checkpoint="perov5", device="cpu")
    knobs = adapter.sampling_knobs(model, {"condition": adapter.condition_id("SrTiO3")})
    res = sample_structures(model, adapter, 10, seed=0, batch_size=10, **knobs)
    assert all(s.composition.reduced_formula == "SrTiO3" for s in res.structures)
    m = StructureMatcher(stol=0.5, angle_tol=10, ltol=0.3)
    assert any(m.fit(s, srtio3()) for s in res.structures)


def test_carbon24_de_novo_validity_floor() -> None:
    model, adapter = load("materials", checkpoint="carbon24", device="cpu")
    res = sample_structures(model, adapter, 100, seed=0, batch_size=100)
    assert len(res.structures) / 100 >= 0.8
    assert all({str(e) for e in s.composition.elements} == {"C"} for s in res.structures)
