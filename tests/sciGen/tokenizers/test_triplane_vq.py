"""TriplaneVQ (Argus3D's tokenizer): the coupled 1-D code vector, its size, and that a tiny one learns."""
from __future__ import annotations

import pytest
import torch

from sciGen.tokenizers.triplane_vq import TriplaneVQ, couple, uncouple
from tests.sciGen.tokenizers.test_vat import sphere_batch

TINY = {"channels": 8, "resolution": 16, "point_hidden": 16, "n_freqs": 2, "width": 16, "down": 2, "dec_up": 1,
        "code_dim": 4, "codebook_size": 32, "mlp_hidden": 16, "optim": {"lr": 3e-3, "warmup_steps": 5}}


def test_couple_is_invertible():
    planes = torch.randn(2, 3, 4, 5, 5)
    assert couple(planes).shape == (2, 4, 5, 15)
    assert torch.equal(uncouple(couple(planes)), planes)


def test_one_vector_of_codes_and_finer_decoded_planes():
    vq = TriplaneVQ(TINY).eval()
    b = sphere_batch(2, torch.Generator().manual_seed(0))
    idx, _ = vq.encode(b["surface"])
    assert vq.grid == (4, 12) and idx.shape == (2, 48) and idx.dtype == torch.long
    assert int(idx.max()) < 32 and vq.bytes_per_shape == 48
    planes = vq.decode(idx)
    assert planes.shape == (2, 3, 8, 32, 32)  # dec_up 1: twice the encoder's 16 × 16 planes
    assert vq.occupancy(planes, b["queries"]).shape == (2, 256)


def test_resolution_must_divide():
    with pytest.raises(ValueError, match="divisible"):
        TriplaneVQ({**TINY, "resolution": 18})


def test_triplane_vq_learns_spheres():
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(0)
    vq = TriplaneVQ(TINY)
    opt = torch.optim.AdamW(vq.parameters(), lr=3e-3)
    for _ in range(120):
        out = vq.losses(sphere_batch(16, g))
        opt.zero_grad()
        out["loss"].backward()
        opt.step()
    vq.eval()
    out = vq.losses(sphere_batch(32, g))
    assert out["bce"] < 0.25 and out["iou"] > 0.5, out  # from chance (BCE 0.69) through the codebook
