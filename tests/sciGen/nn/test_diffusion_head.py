from __future__ import annotations

import torch

from sciGen.nn.diffusion_head import DiffusionHead, DiffusionHeadConfig


def test_learns_a_conditional_distribution() -> None:
    """Targets N(±2, 0.1²) picked by a one-hot condition: samples must follow the condition."""
    g = torch.Generator().manual_seed(0)
    torch.manual_seed(0)
    head = DiffusionHead(1, 2, DiffusionHeadConfig(width=64, depth=2, train_steps=200, sample_steps=50))
    opt = torch.optim.Adam(head.parameters(), lr=3e-3)
    for _ in range(400):
        c = torch.randint(0, 2, (128,), generator=g)
        cond = torch.nn.functional.one_hot(c, 2).float()
        x = (c.float() * 4 - 2).unsqueeze(-1) + 0.1 * torch.randn(128, 1, generator=g)
        loss = head(x, cond)
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.dim() == 0
    cond = torch.eye(2).repeat_interleave(200, 0)
    s = head.sample(cond, steps=50, generator=torch.Generator().manual_seed(1))
    assert s.shape == (400, 1)
    assert abs(s[:200].mean() + 2) < 0.3 and abs(s[200:].mean() - 2) < 0.3
    assert s[:200].std() < 0.5


def test_mask_and_empty() -> None:
    head = DiffusionHead(3, 4)
    loss = head(torch.randn(5, 3), torch.randn(5, 4, requires_grad=True), torch.zeros(5, dtype=torch.bool))
    assert loss.item() == 0.0
    loss.backward()  # still a graph
