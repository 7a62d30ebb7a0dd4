"""The CAD adapter with small untrained autoencoders: encode gives a grammatical sequence with roles and
faces, decode reports why it fails, sampling knobs build a grammar constraint, autocompletion prefixes."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from build123d import Box

from sciGen.adapter import DecodeError, ReadError
from sciGen.cad.adapter import ROLE, CADAdapter
from sciGen.cad.brep import compound, subshapes
from sciGen.cad.procedural import instance
from sciGen.cad.tokens import parse
from sciGen.generators.autobrep import AutoBrep
from sciGen.tokenizers.fsq_autoencoder import FSQAutoencoder


@pytest.fixture
def adapter() -> CADAdapter:
    torch.manual_seed(0)
    ad = CADAdapter()
    ad.face_ae = FSQAutoencoder({"dims": 2, "width": 16}).eval()
    ad.edge_ae = FSQAutoencoder({"dims": 1, "width": 16}).eval()
    return ad


def test_encode_is_grammatical_with_roles_and_faces(adapter: CADAdapter) -> None:
    seq = adapter.encode(instance("boss", 0))
    toks = adapter.vocab.decode(seq.tokens.tolist())
    p = parse(toks)
    assert toks[0] == "<easy>" and len(p.face_codes) == toks.count("<bof>")
    assert seq.level[0] == ROLE["cond"] and seq.level[2] == ROLE["<bof>"] and seq.level[3] == ROLE["face_box0"]
    assert seq.ref[2] == 1 and seq.ref.max() == len(p.face_codes)
    with pytest.raises(ReadError, match="unknown CAD condition"):
        adapter.condition_id("gear")


def test_decode_failures_keep_the_reason(adapter: CADAdapter) -> None:
    seq = adapter.encode(instance("plate", 0))
    with pytest.raises(DecodeError) as e:  # untrained autoencoders: the geometry does not close
        adapter.decode(seq)
    assert e.value.reason and e.value.text.startswith("<easy>")
    with pytest.raises(DecodeError, match="ends inside"):
        adapter.decode_tokens(["<easy>", "<bol>", "<bof>", "q1"])


def test_sampling_knobs_and_autocompletion_prefix(adapter: CADAdapter, tmp_path) -> None:
    from sciGen.cad.brep import write_step
    v = adapter.vocab
    model = AutoBrep({"vocab_size": len(v), "pad_id": v.pad_id, "bos_id": v.bos_id, "eos_id": v.eos_id,
                      "n_roles": len(ROLE), "max_faces": 256, "uncond_id": v.index["<uncond>"],
                      "transformer": {"d_model": 32, "n_layers": 1, "n_heads": 2, "d_ff": 64, "max_len": 300}})
    knobs = adapter.sampling_knobs(model, {"condition": adapter.condition_id("easy"), "top_k": 5})
    assert "top_k" not in knobs and adapter.vocab.decode(knobs["condition"].tokens.tolist()) == ["<easy>"]
    out = model.sample(3, generator=torch.Generator().manual_seed(0), **knobs)
    for s in out:  # an untrained model still writes grammatical sequences that end in time
        toks = adapter.vocab.decode(s.tokens.tolist())
        parse(toks)
        assert len(toks) < 300
    lid_off = compound(subshapes(Box(2, 1, 1).wrapped, "face")[:5])
    write_step(lid_off, tmp_path / "partial.step")
    knobs = adapter.sampling_knobs(model, {}, complete=tmp_path / "partial.step")
    pre = adapter.vocab.decode(knobs["condition"].tokens.tolist())
    assert pre[0] == "<uncond>" and pre.count("<bof>") == 5 and pre[-1] == "<eof>"
    s = model.sample(1, generator=torch.Generator().manual_seed(0), **knobs)[0]
    assert adapter.vocab.decode(s.tokens.tolist())[:len(pre)] == pre
    assert adapter.output_transform is not None
    np.testing.assert_allclose(adapter.spec.dequantize(adapter.spec.quantize(np.array([-1.0, 0.0, 1.0]))),
                               [-1.0, 0.0, 1.0], atol=2 / 511)
