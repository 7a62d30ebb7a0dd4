"""FSQ autoencoders for B-Rep grids: shapes, codes in range, decode(encode) = the trained reconstruction."""
from __future__ import annotations

import pytest
import torch

from sciGen.tokenizers.fsq_autoencoder import FSQAutoencoder, normalize_grid


@pytest.mark.parametrize("dims", [1, 2])
def test_codes_and_shapes(dims: int) -> None:
    torch.manual_seed(0)
    ae = FSQAutoencoder({"dims": dims, "grid": 16, "latent_grid": 2, "width": 16, "levels": [8, 5, 5, 5]}).eval()
    grid, centre, half = normalize_grid(torch.randn(3, *([16] * dims), 3) * 5 + 2)
    assert grid.abs().max() <= 1 + 1e-6 and centre.shape == (3, 3) and half.shape == (3,)
    idx, aux = ae.encode(grid)
    assert idx.shape == (3, 2 ** dims) and idx.min() >= 0 and idx.max() < ae.codebook_size == 1000
    rec = ae.decode(idx)
    assert rec.shape == grid.shape
    with torch.no_grad():  # decode(encode(x)) is exactly the reconstruction the training loss sees
        direct = ae._decode_values(ae.fsq.quantize(ae._latent(grid)))
    torch.testing.assert_close(rec, direct, atol=1e-5, rtol=1e-5)


def test_learns_a_family_of_lines() -> None:
    torch.manual_seed(0)
    ae = FSQAutoencoder({"dims": 1, "grid": 16, "latent_grid": 2, "width": 32})
    t = torch.linspace(-1, 1, 16)
    dirs = torch.nn.functional.normalize(torch.randn(64, 3), dim=-1)
    lines, _, _ = normalize_grid(t[None, :, None] * dirs[:, None, :])
    opt = torch.optim.Adam(ae.parameters(), lr=3e-3)
    first = ae.losses(lines)["mse"].item()
    for _ in range(300):
        opt.zero_grad()
        ae.losses(lines)["loss"].backward()
        opt.step()
    assert ae.losses(lines)["mse"].item() < 0.05 * first
    with pytest.raises(ValueError, match="power of two"):
        FSQAutoencoder({"dims": 1, "grid": 24, "latent_grid": 2})
