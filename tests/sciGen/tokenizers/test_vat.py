"""VAT: shapes through encode/decode, bytes per shape, and that a tiny one learns a toy occupancy."""
from __future__ import annotations

import torch

from sciGen.tokenizers.vat import VAT

TINY = {"d_model": 32, "n_heads": 2, "d_ff": 64, "enc_layers": 1, "dec_layers": 1,
        "latent_dim": 4, "scales": [1, 4, 11], "codebook_size": 32, "plane_base": 3, "plane_up": 2, "locality": 0.4,
        "plane_channels": 8, "mlp_hidden": 16, "n_freqs": 2, "optim": {"lr": 3e-3, "warmup_steps": 5}}


def sphere_batch(B: int, g: torch.Generator) -> dict[str, torch.Tensor]:
    """Spheres of random radius: surface points with normals, and labelled queries."""
    r = 0.3 + 0.5 * torch.rand(B, 1, 1, generator=g)
    n = torch.nn.functional.normalize(torch.randn(B, 256, 3, generator=g), dim=-1)
    q = torch.rand(B, 256, 3, generator=g) * 2 - 1
    return {"surface": torch.cat([n * r, n], -1), "queries": q, "occ": (q.norm(dim=-1, keepdim=True) < r).float()[..., 0]}


def test_vat_shapes_and_bytes():
    vat = VAT(TINY).eval()
    b = sphere_batch(2, torch.Generator().manual_seed(0))
    idx, _ = vat.encode(b["surface"])
    assert idx.shape == (2, 16) and idx.dtype == torch.long
    planes = vat.decode(idx)
    assert planes.shape == (2, 3, 8, 6, 6)  # 3 × 3² = 27 latent patches of 2 × 2 pixels
    assert vat.occupancy(planes, b["queries"]).shape == (2, 256)
    assert vat.bytes_per_shape == 16 and vat.levels().tolist() == [0, 1, 1, 1, 1] + [2] * 11


def test_vat_learns_spheres():
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(0)
    vat = VAT(TINY)
    opt = torch.optim.AdamW(vat.parameters(), lr=3e-3)
    for _ in range(150):
        out = vat.losses(sphere_batch(16, g))
        opt.zero_grad()
        out["loss"].backward()
        opt.step()
    vat.eval()
    out = vat.losses(sphere_batch(32, g))
    # from chance (BCE 0.69, IoU ~0.1) to a sphere of about the right size, through the quantizer
    assert out["bce"] < 0.25 and out["iou"] > 0.4, out
