from __future__ import annotations

import pytest
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


def test_guidance_mixes_conditional_and_unconditional_predictions() -> None:
    """cfg_scale 1 ignores ``uncond``; scale s samples with v_u + s (v_c − v_u) — checked against a manual
    guided sampler on the same noise."""
    torch.manual_seed(0)
    head = DiffusionHead(2, 3, DiffusionHeadConfig(width=16, depth=1, train_steps=50, sample_steps=5))
    for p in head.parameters():  # the zero-initialised output layer would make every prediction 0
        torch.nn.init.normal_(p, std=0.3)
    c, u = torch.randn(4, 3), torch.randn(4, 3)
    g = lambda: torch.Generator().manual_seed(3)  # noqa: E731
    plain = head.sample(c, generator=g())
    assert torch.equal(head.sample(c, generator=g(), uncond=u, cfg_scale=1.0), plain)
    guided = head.sample(c, generator=g(), uncond=u, cfg_scale=3.0)
    assert not torch.allclose(guided, plain)
    mixed = lambda x, t, cond, anchor: (head.velocity(x, t, u) + 3.0 * (head.velocity(x, t, cond)  # noqa: E731
                                                                       - head.velocity(x, t, u)))
    assert torch.allclose(guided, reference_sample(head, c, 5, 1.0, g(), velocity=mixed), atol=1e-5)


def reference_sample(head: DiffusionHead, cond: torch.Tensor, steps: int, temperature: float,
                     generator: torch.Generator, anchor: torch.Tensor | None = None,
                     velocity=None) -> torch.Tensor:
    """Ancestral sampling written out step by step through ``velocity`` (each row's timestep embedded and
    condition projected anew at every step, the coefficients as tensors): what ``sample`` must reproduce."""
    velocity = velocity or head.velocity
    N = cond.shape[0]
    ts = torch.linspace(0, head.cfg.train_steps - 1, steps).round().long()
    acp = head.acp[ts].double()
    acp_prev = torch.cat([acp.new_ones(1), acp[:-1]])
    betas = 1 - acp / acp_prev
    x = torch.randn(N, head.value_dim, generator=generator)
    for i in reversed(range(steps)):
        v = velocity(x, ts[i].expand(N), cond, anchor).double()
        x0 = acp[i].sqrt() * x.double() - (1 - acp[i]).sqrt() * v
        mean = (betas[i] * acp_prev[i].sqrt() / (1 - acp[i])) * x0 \
            + ((1 - acp_prev[i]) * (1 - betas[i]).sqrt() / (1 - acp[i])) * x.double()
        if i > 0:
            var = betas[i] * (1 - acp_prev[i]) / (1 - acp[i])
            x = (mean + var.sqrt() * temperature * torch.randn(x.shape, generator=generator).double()).float()
        else:
            x = mean.float()
    return x


@pytest.mark.parametrize("anchored", [False, True])
def test_sample_projects_the_condition_once_and_matches_the_step_by_step_sampler(anchored: bool) -> None:
    """``sample`` projects the conditions and embeds the steps once, before denoising; its draws are the
    step-by-step sampler's on the same noise (plain and anchored heads)."""
    torch.manual_seed(0)
    head = DiffusionHead(3, 8, DiffusionHeadConfig(width=32, depth=2, train_steps=100, sample_steps=7,
                                                   anchored=anchored))
    for p in head.parameters():
        torch.nn.init.normal_(p, std=0.3)
    cond = torch.randn(5, 8)
    anchor = torch.randn(5, 3) if anchored else None
    calls = []
    head.net.c_emb.register_forward_hook(lambda m, i, o: calls.append(i[0].shape[0]))
    head.net.t_emb.register_forward_hook(lambda m, i, o: calls.append(i[0].shape[0]))
    got = head.sample(cond, generator=torch.Generator().manual_seed(1), temperature=0.7, anchor=anchor)
    assert calls == [5, 7]  # once: the 5 conditions' projections, the 7 steps' time embeddings
    want = reference_sample(head, cond, 7, 0.7, torch.Generator().manual_seed(1), anchor)
    assert got.shape == (5, 3)
    assert torch.allclose(got, want, atol=1e-5)


def test_anchored_head_starts_as_its_absolute_head_and_needs_anchors() -> None:
    """The refiner's output layer starts at zero: an anchored head with an absolute head's network predicts and
    samples exactly as that head, whatever the anchors; without anchors it refuses."""
    torch.manual_seed(0)
    cfg = dict(width=16, depth=1, train_steps=50, sample_steps=5)
    plain = DiffusionHead(3, 4, DiffusionHeadConfig(**cfg))
    for p in plain.parameters():
        torch.nn.init.normal_(p, std=0.3)
    anchored = DiffusionHead(3, 4, DiffusionHeadConfig(**cfg, anchored=True, refine_width=8))
    anchored.net.load_state_dict(plain.net.state_dict())
    c, a = torch.randn(6, 4), 5 * torch.randn(6, 3)
    g = lambda: torch.Generator().manual_seed(3)  # noqa: E731
    assert torch.equal(anchored.sample(c, generator=g(), anchor=a), plain.sample(c, generator=g()))
    with pytest.raises(ValueError, match="anchor"):
        anchored.sample(c)
    with pytest.raises(ValueError, match="anchor"):
        anchored(torch.randn(6, 3), c)
    assert anchored.refine.inp.in_features == 3 and anchored.refine.c_emb.in_features == 4 + 3


def test_anchored_head_places_values_relative_to_far_anchors() -> None:
    """Targets anchor + 0.2·sign(condition), anchors spread over ±20: the refiner reads the offset directly, so
    the anchored head lands within 0.05 where the same budget leaves the absolute head (anchors in its
    condition) far off."""
    def fit(anchored: bool) -> float:
        torch.manual_seed(0)
        g = torch.Generator().manual_seed(0)
        head = DiffusionHead(1, 2, DiffusionHeadConfig(width=32, depth=2, train_steps=200, sample_steps=50,
                                                       anchored=anchored))
        opt = torch.optim.Adam(head.parameters(), lr=3e-3)

        def data(n: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
            s = torch.randint(0, 2, (n, 1), generator=g).float() * 2 - 1
            a = 40 * torch.rand(n, 1, generator=g) - 20
            return a + 0.2 * s, torch.cat([s, a / 20], -1), a

        for _ in range(300):
            x, c, a = data(256)
            loss = head(x, c, anchor=a if anchored else None)
            opt.zero_grad()
            loss.backward()
            opt.step()
        x, c, a = data(400)
        s = head.sample(c, generator=torch.Generator().manual_seed(1), temperature=0.0,
                        anchor=a if anchored else None)
        return float((s - x).abs().median())

    err_anchored, err_plain = fit(True), fit(False)
    assert err_anchored < 0.05 and err_plain > 2 * err_anchored
