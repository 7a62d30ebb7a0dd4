"""Argus3D: causal over the code vector, the prefix carries category and partial cloud, and a toy it must learn."""
from __future__ import annotations

import torch

from sciGen.generators.argus3d import Argus3D

K, OFFSET, CONDS, T = 4, 7, [4, 5, 6], 6  # vocab: 4 specials, <uncond> <a> <b>, then codes 7..10


def cfg(**kw) -> dict:
    return {"vocab_size": OFFSET + K, "code_offset": OFFSET, "codebook_size": K, "n_codes": T, "cond_ids": CONDS,
            "d_model": 32, "n_layers": 2, "n_heads": 2, "d_ff": 64, "dropout": 0.0, "cond_drop": 0.0,
            "point_base": 1, "n_points": 64, **kw}


def test_prediction_of_code_t_ignores_codes_from_t_on():
    torch.manual_seed(0)
    m = Argus3D(cfg()).eval()
    codes = torch.randint(0, K, (2, T))
    other = codes.clone()
    other[:, 3:] = (other[:, 3:] + 1) % K
    cond = torch.tensor([1, 2])
    a, b = m(cond, codes), m(cond, other)
    assert a.shape == (2, T, K)
    assert torch.allclose(a[:, :4], b[:, :4], atol=1e-6) and not torch.allclose(a[:, 4:], b[:, 4:])


def test_points_prefix_only_where_has_points():
    torch.manual_seed(0)
    m = Argus3D(cfg()).eval()
    cond, codes = torch.tensor([1, 1]), torch.zeros(2, T, dtype=torch.long)
    pts = torch.rand(2, 64, 3)
    none = m(cond, codes)
    off = m(cond, codes, pts, torch.tensor([False, False]))
    on = m(cond, codes, pts, torch.tensor([True, False]))
    assert torch.allclose(none, off)
    assert not torch.allclose(on[0], none[0]) and torch.allclose(on[1], none[1])


def toy(B: int, g: torch.Generator) -> dict[str, torch.Tensor]:
    """Class a → every code 1; class b → every code 2; no class → code 3 if the partial cloud lies at
    x > 0 else code 0 (only the point prefix can tell)."""
    kind = torch.randint(0, 3, (B,), generator=g)
    side = torch.randint(0, 2, (B,), generator=g)
    pts = torch.rand(B, 64, 3, generator=g) * 0.5
    pts[..., 0] = torch.where(side[:, None] == 1, pts[..., 0] + 0.2, -pts[..., 0] - 0.2)
    code = torch.where(kind == 1, 1, torch.where(kind == 2, 2, torch.where(side == 1, 3, 0)))
    tokens = torch.cat([torch.tensor(CONDS)[kind][:, None], (code[:, None] + OFFSET).expand(B, T)], 1)
    return {"tokens": tokens, "points": pts, "has_points": kind == 0}


def test_learns_categories_and_completion_and_samples_them():
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(0)
    m = Argus3D(cfg(optim={"lr": 3e-3, "warmup_steps": 10}))
    opt = torch.optim.AdamW(m.parameters(), lr=3e-3)
    for _ in range(150):
        out = m.losses(toy(32, g))
        opt.zero_grad()
        out["loss"].backward()
        opt.step()
    m.eval()
    gen = torch.Generator().manual_seed(1)
    a = torch.stack([s.tokens for s in m.sample(8, condition=CONDS[1], generator=gen)])
    assert (a[:, 0] == CONDS[1]).all() and (a[:, 1:] == OFFSET + 1).float().mean() > 0.9
    b = torch.stack([s.tokens for s in m.sample(8, condition=CONDS[2], generator=gen, cfg_scale=2.0)])
    assert (b[:, 1:] == OFFSET + 2).float().mean() > 0.9
    right = torch.rand(64, 3, generator=g) * 0.5 + torch.tensor([0.2, 0.0, 0.0])
    c = torch.stack([s.tokens for s in m.sample(8, points=right, generator=gen)])
    assert (c[:, 0] == CONDS[0]).all() and (c[:, 1:] == OFFSET + 3).float().mean() > 0.9
    left = right * torch.tensor([-1.0, 1.0, 1.0])
    d = torch.stack([s.tokens for s in m.sample(8, points=left, generator=gen)])
    assert (d[:, 1:] == OFFSET + 0).float().mean() > 0.9


def test_partial_codes_enter_aligned_and_causally():
    """With partial_codes, code t's prediction reads the partial cloud's code t and never codes > t."""
    torch.manual_seed(0)
    m = Argus3D(cfg(partial_codes=True)).eval()
    cond, codes = torch.tensor([1, 1]), torch.zeros(2, T, dtype=torch.long)
    part = torch.randint(0, K, (2, T))
    later = part.clone()
    later[:, 3:] = (later[:, 3:] + 1) % K
    a, b = m(cond, codes, partial=part), m(cond, codes, partial=later)
    assert torch.allclose(a[:, :3], b[:, :3], atol=1e-6) and not torch.allclose(a[:, 3], b[:, 3])
    none = torch.full((2, T), K)
    assert torch.allclose(m(cond, codes), m(cond, codes, partial=none), atol=1e-6)


def test_learns_to_copy_observed_codes_and_fill_the_rest():
    """Toy completion: the full vector is the partial vector where it is observed (code < 3) and code 3 where
    the partial says 'empty' (code 3 stands for an unobserved patch); sampling must reproduce it exactly."""
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(0)
    m = Argus3D(cfg(partial_codes=True))
    opt = torch.optim.AdamW(m.parameters(), lr=3e-3)

    def batch(B: int) -> dict[str, torch.Tensor]:
        full = torch.randint(0, 3, (B, T), generator=g)
        seen = torch.rand(B, T, generator=g) < 0.5
        part = torch.where(seen, full, 3)
        full = torch.where(seen, full, 3)
        tokens = torch.cat([torch.full((B, 1), CONDS[0]), full + OFFSET], 1)
        return {"tokens": tokens, "points": torch.rand(B, 64, 3, generator=g), "has_points": torch.ones(B, dtype=bool),
                "partial": part}

    for _ in range(150):
        out = m.losses(batch(32))
        opt.zero_grad()
        out["loss"].backward()
        opt.step()
    m.eval()
    test = batch(8)
    gen = torch.Generator().manual_seed(1)
    got = torch.stack([s.tokens for s in m.sample(8, partial=test["partial"], generator=gen)])
    assert (got[:, 1:] == test["tokens"][:, 1:]).float().mean() > 0.95
    guided = torch.stack([s.tokens for s in m.sample(8, condition=CONDS[1], partial=test["partial"][0],
                                                     generator=gen, cfg_scale=2.0)])
    assert guided.shape == (8, 1 + T)
