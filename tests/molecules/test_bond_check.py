"""The sampling constraint: an atom is accepted only where its SMILES bonds say it is."""
from __future__ import annotations

import numpy as np
import torch

from sciGen.data import Vocab
from sciGen.molecules.bond_check import BondCheck
from sciGen.molecules.conformer import COORDS, NUMBERS, SCALE, ConformerSequence

from ._geom import embedded


def test_accepts_the_true_position_and_rejects_wrong_ones() -> None:
    codec = ConformerSequence()
    tokens, values = codec.encode(embedded("CCO"))
    vocab = Vocab.build([tokens], [t for t in NUMBERS if t in tokens], 3)
    ids = torch.tensor([vocab.bos_id] + vocab.encode(tokens))
    vals = torch.cat([torch.zeros(1, 3), torch.from_numpy(np.nan_to_num(values))])
    k = tokens.index(COORDS) + 1  # position of <coords> in the <bos>-prefixed row
    check = BondCheck(vocab, codec)
    for t in range(k + 1, len(ids)):  # every true atom position passes, against the atoms before it
        assert check(ids[t:t + 1], ids[None, :t], vals[None, :t], None, vals[t:t + 1]).all()
    t = k + 5  # the second carbon (C, H, H, H, C …): bonded to atom 0 only
    far = vals[t:t + 1] * 3
    near = vals[t - 1:t] + 0.02 / SCALE
    cands = torch.cat([vals[t:t + 1], far, near])
    ok = check(ids[t:t + 1].repeat(3), ids[None, :t].repeat(3, 1), vals[None, :t].repeat(3, 1, 1), None, cands)
    assert ok.tolist() == [True, False, False]


def test_sampling_anchor_is_the_training_anchor() -> None:
    """While sampling, :meth:`BondCheck.anchor` must name the same slot as the training sequence's anchors
    (shifted by one for <bos>; 0 for none) — the head reads the same neighbour in both."""
    codec = ConformerSequence()
    tokens, _ = codec.encode(embedded("OC1CC1N"))
    vocab = Vocab.build([tokens], [t for t in NUMBERS if t in tokens], 3)
    ids = torch.tensor([vocab.bos_id] + vocab.encode(tokens))
    ref = codec.anchors(tokens) + 1
    check = BondCheck(vocab, codec)
    k = tokens.index(COORDS) + 1
    for t in range(k + 1, len(ids)):
        got = check.anchor(ids[t:t + 1], ids[None, :t], torch.zeros(1, t, 3), None)
        assert int(got) == int(ref[t - 1])
