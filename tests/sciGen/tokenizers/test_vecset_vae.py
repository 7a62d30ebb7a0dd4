"""VecSetVAE (MAR-3D's pyramid VAE): two token sets, one decoder, the low-to-high upsampling, and learning."""
from __future__ import annotations

import pytest
import torch

from sciGen.tokenizers.vecset_vae import VecSetVAE
from tests.sciGen.tokenizers.test_vat import sphere_batch

TINY = {"channels": 8, "resolution": 8, "point_hidden": 16, "n_freqs": 2, "d_model": 32, "n_heads": 2, "d_ff": 64,
        "enc_layers": 1, "dec_layers": 1, "latent_dim": 4, "base_low": 2, "base_high": 4, "plane_up": 2,
        "plane_channels": 8, "mlp_hidden": 16, "optim": {"lr": 3e-3, "warmup_steps": 5}}


def test_two_levels_one_decoder():
    vae = VecSetVAE(TINY).eval()
    b = sphere_batch(2, torch.Generator().manual_seed(0))
    low, _ = vae.encode(b["surface"], "low")
    high, aux = vae.encode(b["surface"], "high")
    assert low.shape == (2, 12, 4) and high.shape == (2, 48, 4) and aux["logvar"].shape == high.shape
    for z in (low, high):
        planes = vae.decode(z)
        assert planes.shape == (2, 3, 8, 8, 8)
        assert vae.occupancy(planes, b["queries"]).shape == (2, 256)
    with pytest.raises(ValueError, match="neither level"):
        vae.decode(torch.zeros(1, 7, 4))


def test_upsample_copies_each_low_token_to_its_child_patches():
    vae = VecSetVAE(TINY)
    h = torch.arange(12.0).view(1, 12, 1)  # 3 planes × 2 × 2 low patches
    up = vae._upsample(h).view(3, 4, 4)  # 3 planes × 4 × 4 high patches
    for p in range(3):
        for i in range(4):
            for j in range(4):
                assert up[p, i, j] == p * 4 + (i // 2) * 2 + j // 2


def test_vecset_vae_learns_spheres_at_both_levels():
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(0)
    vae = VecSetVAE(TINY)
    opt = torch.optim.AdamW(vae.parameters(), lr=3e-3)
    for _ in range(120):
        out = vae.losses(sphere_batch(16, g))
        opt.zero_grad()
        out["loss"].backward()
        opt.step()
    vae.eval()
    out = vae.losses(sphere_batch(32, g))
    assert out["bce_high"] < 0.25 and out["bce_low"] < 0.3 and out["iou_high"] > 0.5, out
