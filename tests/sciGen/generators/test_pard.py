"""PARD: the structural partial order, the block-causal masks, equivariance, training and sampling."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from sciGen.data import Sequence
from sciGen.generators.pard import PARD, visibility
from sciGen.nn.partial_order import higher_order_degrees, peel_blocks

# a small molecule-like graph: isobutyl acetate's heavy-atom skeleton with a ring closed
ADJ = np.zeros((8, 8), dtype=np.int64)
for i, j, t in [(0, 1, 1), (1, 2, 1), (1, 3, 2), (2, 4, 1), (4, 5, 1), (5, 6, 1), (5, 7, 1), (6, 7, 1)]:
    ADJ[i, j] = ADJ[j, i] = t


def tiny(**kw) -> PARD:
    torch.manual_seed(0)
    cfg = dict(n_node_types=3, n_edge_types=3, max_nodes=9, d_model=32, d_edge=16, n_layers=2, n_heads=4,
               d_ff=64, diffusion_steps=5)
    cfg.update(kw)
    return PARD(cfg).eval()


def graphs() -> list[Sequence]:
    rng = np.random.default_rng(0)
    out = []
    for n in (8, 5, 3, 1):
        adj = ADJ[:n, :n]
        out.append(Sequence(torch.from_numpy(rng.integers(0, 3, n)), edges=torch.from_numpy(adj.copy())))
    return out


def test_higher_order_degrees_count_walks():
    d = higher_order_degrees(ADJ, 2)
    assert d[0].tolist() == [1, 3]  # node 0: one neighbour (1), which has degree 3
    assert (d[:, 0] == (ADJ != 0).sum(1)).all()


def test_peel_blocks_leaves_last_and_core_first():
    b = peel_blocks(ADJ)
    assert b[0] == b[3] == b.max()  # the two leaves are peeled first, so they form the last block
    assert b.min() == 0 and set(range(b.max() + 1)) == set(b.tolist())


def test_block_assignment_is_permutation_equivariant():
    rng = np.random.default_rng(1)
    b = peel_blocks(ADJ)
    for _ in range(5):
        p = rng.permutation(8)
        assert (peel_blocks(ADJ[np.ix_(p, p)]) == b[p]).all()


def test_block_causal_masks():
    block = torch.tensor([[0, 1, 0, 1]])
    noisy = torch.tensor([[False, False, True, True]])
    see, pair = visibility(block, noisy, torch.ones(1, 4, dtype=torch.bool))
    # noisy block 1 (token 3) sees clean block 0 (token 0) and itself, not clean block 1 nor noisy block 0
    assert see[0, 3].tolist() == [True, False, False, True]
    assert see[0, 0].tolist() == [True, False, False, False]  # clean block 0 sees only clean block ≤ 0
    assert pair[0, 2].tolist() == [False, False, True, False]  # noisy block 0 pairs with nothing earlier


def _inputs(model: PARD):
    b = model.collate(graphs())
    t = torch.rand(b.x.shape) * b.noisy
    x = torch.where(b.noisy & (torch.rand(b.x.shape) < 0.5), model.node_mask, b.x)
    return b, x, t


def test_denoiser_is_permutation_equivariant():
    model = tiny()
    b, x, t = _inputs(model)
    nl, el, h = model(x, b.e, b.block, b.noisy, b.valid, t)
    g = torch.Generator().manual_seed(3)
    p = torch.randperm(x.shape[1], generator=g)
    nl2, el2, h2 = model(x[:, p], b.e[:, p][:, :, p], b.block[:, p], b.noisy[:, p], b.valid[:, p], t[:, p])
    v = b.valid
    assert torch.allclose(nl[:, p][v[:, p]], nl2[v[:, p]], atol=1e-4)
    vv = (v[:, :, None] & v[:, None, :])[:, p][:, :, p]
    assert torch.allclose(el[:, p][:, :, p][vv], el2[vv], atol=1e-4)


def test_no_information_from_later_blocks_or_other_blocks_noise():
    """A block's denoising output and a prefix's size prediction do not change when what they must
    not see changes: the noisy tokens of other blocks, and the clean tokens of their own and later blocks."""
    model = tiny()
    b, x, t = _inputs(model)
    nl, el, h = model(x, b.e, b.block, b.noisy, b.valid, t)
    g = 0  # the 8-node graph
    tb = 1  # the block whose denoising we watch
    n = 8
    watch = b.noisy[g] & (b.block[g] == tb) & b.valid[g]
    hidden = ((~b.noisy[g]) & (b.block[g] >= tb)) | (b.noisy[g] & (b.block[g] != tb))
    hidden &= b.valid[g]
    x2, e2 = x.clone(), b.e.clone()
    x2[g, hidden] = (x2[g, hidden] + 1) % 3
    hid = hidden.nonzero().squeeze(1)
    e2[g, hid[:, None], torch.arange(2 * n)] = 2
    e2[g, torch.arange(2 * n)[:, None], hid] = 2
    t2 = t.clone()
    t2[g, b.noisy[g] & (b.block[g] != tb)] = 0.9
    nl2, el2, h2 = model(x2, e2, b.block, b.noisy, b.valid, t2)
    assert torch.allclose(nl[g, watch], nl2[g, watch], atol=1e-5)
    # edges of the watched block: to itself and to clean earlier blocks
    _, pair = visibility(b.block, b.noisy, b.valid)
    tgt = pair[g] & (watch[:, None] | watch[None, :])
    assert torch.allclose(el[g][tgt], el2[g][tgt], atol=1e-5)
    # the size prediction after block 0 sees clean block 0 only
    clean = b.valid & ~b.noisy
    upto = torch.zeros(len(b), 1, dtype=torch.long)
    s1 = model.size_logits(h, b.block, clean, upto)
    s2 = model.size_logits(h2, b.block, clean, upto)
    assert torch.allclose(s1[g], s2[g], atol=1e-5)
    assert not torch.allclose(nl[g], nl2[g])  # the change did reach the tokens allowed to see it


def test_losses_train_and_sampling_is_seeded():
    model = tiny().train()
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    batch = model.collate(graphs() * 4)
    g = torch.Generator().manual_seed(0)
    first = None
    for _ in range(60):
        out = model.losses(batch, generator=g)
        opt.zero_grad()
        out["loss"].backward()
        opt.step()
        first = first if first is not None else float(out["loss"].detach())
    assert float(out["loss"]) < 0.6 * first
    assert set(out) == {"loss", "node", "edge", "size"}
    model.eval()
    s1 = model.sample(6, generator=torch.Generator().manual_seed(5))
    s2 = model.sample(6, generator=torch.Generator().manual_seed(5))
    assert [q.tokens.tolist() for q in s1] == [q.tokens.tolist() for q in s2]
    for q in s1:
        assert 1 <= len(q) <= 9 and q.edges.shape == (len(q), len(q))
        assert torch.equal(q.edges, q.edges.T) and (q.edges.diagonal() == 0).all()
        assert (q.tokens < 3).all() and (q.edges < 3).all()  # no absorbing-state id left
        assert (np.diff(q.block.numpy()) >= 0).all()
    assert 0 < model.nfe <= 6 * (5 + 1) * 9


def test_condition_is_refused():
    with pytest.raises(ValueError, match="unconditional"):
        tiny().sample(1, condition=3)


def test_a_block_sees_the_same_at_training_and_at_sampling():
    """The noisy tokens of block t give the same outputs in the training layout (clean and noisy copies of
    every block, padding) as in the sampling layout (clean blocks < t, noisy block t, nothing else)."""
    model = tiny()
    b, x, t = _inputs(model)
    nl, el, _ = model(x, b.e, b.block, b.noisy, b.valid, t)
    g, tb = 0, 2
    keep = b.valid[g] & ((~b.noisy[g] & (b.block[g] < tb)) | (b.noisy[g] & (b.block[g] == tb)))
    idx = keep.nonzero().squeeze(1)
    sub = (x[g, idx][None], b.e[g][idx][:, idx][None], b.block[g, idx][None], b.noisy[g, idx][None],
           torch.ones(1, len(idx), dtype=torch.bool), t[g, idx][None])
    nl2, el2, _ = model(*sub)
    mine = b.noisy[g, idx] & (b.block[g, idx] == tb)
    assert mine.any()
    assert torch.allclose(nl[g, idx][mine], nl2[0][mine], atol=1e-5)
    assert torch.allclose(el[g][idx][:, idx][mine], el2[0][mine], atol=1e-5)
