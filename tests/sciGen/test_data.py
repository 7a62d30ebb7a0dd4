from __future__ import annotations

import numpy as np
import pytest
import torch

from sciGen.config import ConfigError, from_dict
from sciGen.data import PackedSequences, Sequence, Vocab, VocabError, collate, holdout_mask
from sciGen.generators.unigenx import UniGenXConfig


def test_vocab_roundtrip_and_specials() -> None:
    v = Vocab.build([["C", "O"], ["C", "N"]])
    assert v.tokens[:4] == ["<pad>", "<bos>", "<eos>", "<unk>"]
    ids = v.encode(["C", "N", "O"])
    assert v.decode(ids) == ["C", "N", "O"]
    assert Vocab.from_dict(v.to_dict()).tokens == v.tokens
    with pytest.raises(VocabError):
        v.encode(["Xe"])
    assert v.encode(["Xe"], strict=False) == [v.unk_id]
    with pytest.raises(VocabError):
        Vocab(["A"], numbers=["<num>"], value_dim=1)


def test_collate_pads_and_masks() -> None:
    a = Sequence(torch.tensor([5, 6, 7]), torch.ones(3, 2), torch.tensor([False, True, False]))
    b = Sequence(torch.tensor([5]), torch.ones(1, 2), torch.tensor([True]))
    batch = collate([a, b], pad_id=0)
    assert batch.tokens.shape == (2, 3) and batch.values.shape == (2, 3, 2)
    assert batch.pad_mask.tolist() == [[True, True, True], [True, False, False]]
    assert batch.value_mask.tolist() == [[False, True, False], [True, False, False]]
    assert batch.tokens[1].tolist() == [5, 0, 0]
    with pytest.raises(ValueError):
        Sequence(torch.tensor([1, 2]), torch.ones(3, 1))


def test_packed_sequences_roundtrip() -> None:
    toks = [[4, 5], [6], [7, 8, 9]]
    vals = [np.array([[1.0], [np.nan]], np.float32), None, np.full((3, 1), 2.0, np.float32)]
    ds = PackedSequences(toks, vals, value_dim=1)
    assert len(ds) == 3 and ds.lengths().tolist() == [2, 1, 3]
    s = ds[0]
    assert s.tokens.tolist() == [4, 5] and s.value_mask.tolist() == [True, False]
    assert ds[2].values[:, 0].tolist() == [2.0, 2.0, 2.0]
    assert s.ref is None
    refs = PackedSequences(toks, vals, 1, [np.array([-1, 0]), None, np.array([-1, 0, 1])])
    assert refs[0].ref.tolist() == [-1, 0] and refs[1].ref.tolist() == [-1] and refs[2].ref.tolist() == [-1, 0, 1]


def test_holdout_mask_is_deterministic_and_sized() -> None:
    keys = [f"k{i}" for i in range(20000)]
    m1 = holdout_mask(keys, 0.1)
    assert (m1 == holdout_mask(list(reversed(keys)), 0.1)[::-1]).all()
    assert 0.08 < m1.mean() < 0.12
    assert not (m1 == holdout_mask(keys, 0.1, salt="other")).all()


def test_typed_config_rejects_unknown_missing_and_mistyped_keys() -> None:
    cfg = from_dict(UniGenXConfig, {"vocab_size": 10, "transformer": {"d_model": 32}})
    assert cfg.transformer.d_model == 32 and cfg.transformer.n_layers == 6
    with pytest.raises(ConfigError, match="unknown key"):
        from_dict(UniGenXConfig, {"vocab_size": 10, "colour": 1})
    with pytest.raises(ConfigError, match="missing required key"):
        from_dict(UniGenXConfig, {})
    with pytest.raises(ConfigError, match="expected int"):
        from_dict(UniGenXConfig, {"vocab_size": "ten"})
