"""Quality floors of the shipped AutoBrep checkpoint (measured in sciGen/checkpoints/cad-autobrep.md)."""
from __future__ import annotations

import pytest
import torch

from sciGen.registry import checkpoints_dir

CKPT = checkpoints_dir() / "cad-autobrep.pt"


@pytest.fixture(scope="module")
def shipped():
    if not CKPT.is_file():
        pytest.skip(f"needs the shipped checkpoint {CKPT}")
    from sciGen.train import load_model
    return load_model(CKPT, "cad")


def test_tokenizer_round_trip_floor(shipped) -> None:
    """bench/cad.py: 4 of 5 held-out procedural blocks come back strictly valid with Chamfer ≤ 0.01."""
    from sciGen.cad.procedural import instance
    _, adapter = shipped
    reps = [adapter.reconstruction(instance("block", i, seed=1))["report"] for i in (0, 1)]
    good = [r for r in reps if r["valid"] and r["chamfer"] <= 0.01]
    assert len(good) >= 1, reps
    assert all(r["faces"] >= 6 and r["tokens"] > 100 for r in reps)


def test_samples_are_complete_grammatical_sequences(shipped) -> None:
    """Every draw ends with <eos> inside the context and parses (validity of the solids: see the model card)."""
    from sciGen.cad.tokens import parse
    model, adapter = shipped
    knobs = adapter.sampling_knobs(model, {"condition": adapter.condition_id("easy")})
    out = model.sample(6, generator=torch.Generator().manual_seed(0), top_p=0.9, **knobs)
    for s in out:
        toks = adapter.vocab.decode(s.tokens.tolist())
        p = parse(toks)
        assert len(s) < model.cfg.transformer.max_len - 2 and len(p.face_codes) >= 2 and len(p.edge_codes) >= 1
