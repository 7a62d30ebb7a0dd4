"""Quantizers: round trips, straight-through use, multi-scale layout, codebook learning, FSQ."""
from __future__ import annotations

import torch

from sciGen.nn.quantize import FSQ, MultiScaleResidualQuantizer, VectorQuantizer


def test_vq_encode_decode_nearest_code():
    vq = VectorQuantizer(8, 4).eval()
    x = vq.embed[torch.tensor([3, 5, 0])] + 1e-4
    idx, aux = vq.encode(x)
    assert idx.tolist() == [3, 5, 0]
    assert torch.allclose(vq.decode(idx), vq.embed[idx])
    assert aux["commit"] < 1e-6


def test_vq_ema_learns_clusters():
    torch.manual_seed(0)
    centres = torch.randn(4, 2) * 5
    vq = VectorQuantizer(4, 2, decay=0.8).train()
    for _ in range(100):
        x = centres[torch.randint(0, 4, (256,))] + 0.01 * torch.randn(256, 2)
        vq.encode(x)
    vq.eval()
    idx, aux = vq.encode(centres)
    assert len(set(idx.tolist())) == 4  # every cluster got its own code
    assert aux["commit"] < 0.01


def test_multiscale_layout_and_decode_matches_encode():
    torch.manual_seed(0)
    q = MultiScaleResidualQuantizer([1, 4, 16, 11], n_latents=32, dim=8, codebook_size=16).eval()
    z = torch.randn(3, 32, 8)
    idx, aux = q.encode(z)
    assert idx.shape == (3, 32) and q.n_tokens == 32
    assert q.levels().tolist() == [0] + [1] * 4 + [2] * 16 + [3] * 11
    assert torch.allclose(q.decode(idx), aux["recon"], atol=1e-5)
    assert int(idx.max()) < q.codebook_size


def test_multiscale_residual_error_shrinks_with_scales():
    torch.manual_seed(0)
    q = MultiScaleResidualQuantizer([1, 4, 16, 64], n_latents=64, dim=4, codebook_size=64, decay=0.5).train()
    z = torch.randn(16, 64, 4).cumsum(1) / 8  # smooth along the token axis, like learned latents
    for _ in range(30):
        q.encode(z)
    q.eval()
    idx, aux = q.encode(z)
    coarse = MultiScaleResidualQuantizer([1], n_latents=64, dim=4, codebook_size=64)
    coarse.vq, coarse.phi = q.vq, q.phi[:1]
    err_all = (aux["recon"] - z).pow(2).mean()
    err_one = (coarse.encode(z)[1]["recon"] - z).pow(2).mean()
    assert err_all < 0.5 * err_one


def test_fsq_round_trip_and_gradient():
    fsq = FSQ([8, 5, 5])
    assert fsq.codebook_size == 200
    z = torch.randn(10, 3, requires_grad=True)
    idx, aux = fsq.encode(z)
    assert aux == {} and int(idx.max()) < 200 and int(idx.min()) >= 0
    assert torch.allclose(fsq.decode(idx), fsq.quantize(z), atol=1e-6)
    fsq.quantize(z).sum().backward()
    assert z.grad is not None and z.grad.abs().sum() > 0
