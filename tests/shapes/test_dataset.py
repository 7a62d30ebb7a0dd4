"""Training items of the shape generators: plane cuts, resampling, Argus3D's partial-cloud items, MAR-3D's latents."""
from __future__ import annotations

import numpy as np
import torch

from sciGen.shapes.dataset import LatentDataset, PartialCodesDataset, plane_cut, random_plane, resample


def test_plane_cut_keeps_one_side_and_the_asked_fraction():
    pts = np.random.default_rng(1).normal(size=(4000, 3))
    part = plane_cut(pts, np.random.default_rng(0), 0.3)
    assert abs(len(part) / len(pts) - 0.3) < 0.01
    n = np.random.default_rng(0).normal(size=3)  # the cut's normal: the first draw of the same generator
    kept = np.isin(pts @ n, part @ n)
    assert (pts[kept] @ n).min() >= (pts[~kept] @ n).max()  # every kept point on one side of every dropped one


def test_random_plane_is_the_cut_plane_cut_uses():
    pts = np.random.default_rng(2).normal(size=(2000, 3))
    n, offset = random_plane(pts, np.random.default_rng(5), 0.4)
    assert abs(np.linalg.norm(n) - 1) < 1e-9
    assert np.array_equal(plane_cut(pts, np.random.default_rng(5), 0.4), pts[pts @ n >= offset])

def test_resample_exact_count():
    rng = np.random.default_rng(0)
    pts = np.arange(30.0).reshape(10, 3)
    assert resample(pts, 4, rng).shape == (4, 3)
    up = resample(pts, 25, rng)
    assert up.shape == (25, 3) and {tuple(p) for p in pts} <= {tuple(p) for p in up}


def test_partial_codes_items():
    rng = np.random.default_rng(0)
    S, T = 4, 6
    codes = rng.integers(0, 8, (2, S, T)).astype(np.int16)
    surface = rng.uniform(-1, 1, (S, 512, 6)).astype(np.float16)
    ds = PartialCodesDataset(codes, np.array([5, 5, 6, 6]), surface, np.array([0, 2]), 2, code_offset=10,
                             n_points=100, points_prob=1.0)
    assert len(ds) == 4
    it = ds[3]  # view 1, shape 2
    assert it["tokens"].tolist() == [6] + (codes[1, 2] + 10).tolist()
    assert it["points"].shape == (100, 3) and bool(it["has_points"])
    val = PartialCodesDataset(codes, np.array([5, 5, 6, 6]), surface, np.array([0, 2]), 1, code_offset=10,
                              n_points=100, fixed=True)
    assert torch.equal(val[0]["points"], val[0]["points"]) and bool(val[0]["has_points"]) and not val[1]["has_points"]


def test_latent_items():
    low, high = np.zeros((2, 3, 4, 2), np.float32), np.ones((2, 3, 16, 2), np.float32)
    ds = LatentDataset(low, high, np.array([4, 5, 6]), np.array([1, 2]), 2)
    it = ds[1]
    assert len(ds) == 4 and int(it["cond"]) == 6 and it["low"].shape == (4, 2) and it["high"].shape == (16, 2)
