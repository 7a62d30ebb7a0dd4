"""MAR-3D: the training mask ratio, the random-order cosine schedule, and a cascade it must learn."""
from __future__ import annotations

import torch

from sciGen.generators.mar3d import MAR3D

CONDS, LAT = [4, 5, 6], 7  # vocab: 4 specials, <uncond> <a> <b>, <lat>


def cfg(**kw) -> dict:
    return {"vocab_size": 8, "latent_id": LAT, "cond_ids": CONDS, "latent_dim": 2, "n_low": 3, "n_high": 12,
            "d_model": 32, "n_layers": 2, "n_heads": 2, "d_ff": 64, "cond_drop": 0.0,
            "head": {"width": 64, "depth": 2, "train_steps": 200, "sample_steps": 20, "batch_mul": 4}, **kw}


def test_mask_ratio_between_mask_min_and_one():
    m = MAR3D(cfg(mask_min=0.7))
    mask = m.random_mask(500, 20, torch.device("cpu"))
    frac = mask.float().mean(1)
    assert (frac >= 0.7).all() and (frac <= 1.0).all() and frac.mean() < 0.95


def test_unmasked_tokens_inform_the_masked_ones():
    torch.manual_seed(0)
    m = MAR3D(cfg()).eval()
    ctx = m.cond_emb(torch.tensor([1]))[:, None]
    x = torch.randn(1, 3, 2)
    mask = torch.tensor([[True, False, False]])
    z1 = m.low(ctx, x, mask)
    x2 = x.clone()
    x2[0, 0] += 5.0  # a masked token's value is never read
    assert torch.allclose(m.low(ctx, x2, mask), z1, atol=1e-6)
    x2[0, 1] += 5.0  # a known one is
    assert not torch.allclose(m.low(ctx, x2, mask)[0, 0], z1[0, 0])


def toy(B: int, g: torch.Generator) -> dict[str, torch.Tensor]:
    """Class a → every low token (+1, +1); class b → each low token ±(1, 1) at random.  High = each low
    token repeated 4 times, so the high stage must copy its low context."""
    kind = torch.randint(1, 3, (B,), generator=g)
    flip = torch.where(torch.rand(B, 3, 1, generator=g) < 0.5, 1.0, -1.0)
    low = torch.where((kind == 1)[:, None, None], torch.ones(B, 3, 1), flip).expand(B, 3, 2).clone()
    return {"cond": torch.tensor(CONDS)[kind], "low": low, "high": low.repeat_interleave(4, 1)}


def test_cascade_learns_class_and_copies_low_to_high():
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(0)
    m = MAR3D(cfg())
    opt = torch.optim.AdamW(m.parameters(), lr=2e-3)
    for _ in range(400):
        out = m.losses(toy(64, g))
        opt.zero_grad()
        out["loss"].backward()
        opt.step()
    m.eval()
    gen = torch.Generator().manual_seed(1)
    seqs = m.sample(16, condition=CONDS[1], generator=gen, steps_low=3, steps_high=6)
    s = seqs[0]
    assert s.tokens[0] == CONDS[1] and (s.tokens[1:] == LAT).all() and s.values.shape == (13, 2)
    assert not s.value_mask[0] and s.value_mask[1:].all()
    high = torch.stack([q.values[1:] for q in seqs])  # (16, 12, 2)
    assert (high > 0).float().mean() > 0.85  # class a
    b = torch.stack([q.values[1:] for q in m.sample(16, condition=CONDS[2], generator=gen, steps_low=3, steps_high=6)])
    assert (b[..., 0].sign() == b[..., 1].sign()).float().mean() > 0.85
    groups = b[..., 0].view(16, 3, 4).sign()  # the 4 children of a random low token agree
    assert (groups == groups[..., :1]).float().mean() > 0.85 and (b < 0).float().mean() > 0.2
    low = torch.stack([q.values[1:] for q in m.sample(16, condition=CONDS[2], generator=gen, stage="low")])
    assert low.shape == (16, 3, 2) and (low.abs() - 1).abs().mean() < 0.35
