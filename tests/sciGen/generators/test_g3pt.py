"""G3PT: the cross-scale mask, one-pass training equals scale-by-scale sampling, and a toy it must learn."""
from __future__ import annotations

import torch

from sciGen.data import Sequence
from sciGen.generators.g3pt import G3PT, scale_mask

SCALES = [1, 2, 4]
K, OFFSET, CONDS = 6, 7, [4, 5, 6]  # vocab: 4 specials, <uncond> <a> <b>, then codes 7..12


def cfg(**kw) -> dict:
    return {"vocab_size": OFFSET + K, "code_offset": OFFSET, "codebook_size": K, "scales": SCALES,
            "cond_ids": CONDS, "d_model": 32, "n_layers": 2, "n_heads": 2, "d_ff": 64, "dropout": 0.0,
            "cond_drop": 0.0, **kw}


def test_mask_full_within_scale_causal_across():
    kind, level, mask = scale_mask(SCALES)
    L = 1 + 3 + 7
    assert mask.shape == (L, L)
    q = (kind == 2).nonzero().flatten()
    for i in q.tolist():
        for j in range(L):
            want = kind[j] == 0 or (kind[j] == 1 and level[j] < level[i]) or (kind[j] == 2 and level[j] == level[i])
            assert bool(mask[i, j]) == bool(want)
    c = (kind == 1).nonzero().flatten()
    assert all(not mask[i, j] for i in c.tolist() for j in q.tolist())  # context never sees queries


def test_forward_independent_of_later_scales():
    torch.manual_seed(0)
    m = G3PT(cfg()).eval()
    codes = torch.randint(0, K, (2, 7))
    other = codes.clone()
    other[:, 3:] = (other[:, 3:] + 1) % K  # change the last scale only
    cond = torch.tensor([1, 2])
    a, b = m(cond, codes), m(cond, other)
    assert torch.allclose(a[:, :3], b[:, :3], atol=1e-6)  # scales 1-2 predictions do not see scale 3


def test_learns_class_dependent_tokens_and_samples_them():
    """Class a → all codes equal to the first code; class b → code k at scale k.  G3PT must get both."""
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(0)
    m = G3PT(cfg(optim={"lr": 3e-3, "warmup_steps": 10}))

    def data(n: int) -> list[Sequence]:
        out = []
        for _ in range(n):
            if torch.rand(1, generator=g) < 0.5:
                c, codes = CONDS[1], torch.full((7,), int(torch.randint(0, K, (1,), generator=g)))
            else:
                c, codes = CONDS[2], torch.tensor([0, 1, 1, 2, 2, 2, 2])
            out.append(Sequence(torch.cat([torch.tensor([c]), codes + OFFSET])))
        return out

    opt = torch.optim.AdamW(m.parameters(), lr=3e-3)
    for _ in range(200):
        loss = m.losses(m.collate(data(32)))["loss"]
        opt.zero_grad()
        loss.backward()
        opt.step()
    m.eval()
    sa = m.sample(20, condition=CONDS[1], generator=torch.Generator().manual_seed(1))
    sb = m.sample(20, condition=CONDS[2], generator=torch.Generator().manual_seed(1), cfg_scale=2.0)
    assert all(s.tokens[0] == CONDS[1] for s in sa) and sa[0].level.tolist() == [0, 1, 2, 2, 3, 3, 3, 3]
    same = sum(len(set(s.tokens[1:].tolist())) == 1 for s in sa)
    exact = sum(s.tokens[1:].tolist() == [OFFSET + v for v in (0, 1, 1, 2, 2, 2, 2)] for s in sb)
    assert same >= 17 and exact >= 18, (same, exact)
