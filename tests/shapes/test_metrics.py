"""Shape metrics on cases with known answers, the PointFlow set metrics, and folder evaluation."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import trimesh

from sciGen.adapter import ReadError
from sciGen.shapes.formats import write_folder
from sciGen.shapes.metrics import (chamfer, chamfer_matrix, distribution_metrics, evaluate_folders, fscore,
                                   normal_consistency, paired_metrics)


def plane(n: int = 101) -> np.ndarray:
    """A dense grid on z = 0 over [-0.5, 0.5]², (n², 3)."""
    g = np.linspace(-0.5, 0.5, n)
    x, y = np.meshgrid(g, g)
    return np.c_[x.ravel(), y.ravel(), np.zeros(x.size)]


def test_identical_clouds() -> None:
    a = np.random.default_rng(0).random((500, 3))
    assert chamfer(a, a) == 0.0
    assert fscore(a, a) == 1.0


def test_shift_beyond_tau_and_chamfer_of_a_shift() -> None:
    a = plane()
    b = a + [0, 0, 0.05]
    assert fscore(a, b, tau=0.02) == 0.0
    assert chamfer(a, b) == pytest.approx(0.05, abs=1e-12)
    yz = a[:, [2, 0, 1]]  # the same plane as x = 0, shifted along x
    assert fscore(yz, yz + [0.05, 0, 0], tau=0.02) == 0.0
    assert chamfer(yz, yz + [0.05, 0, 0]) == pytest.approx(0.05, abs=1e-12)
    assert fscore(a, b, tau=0.06) == 1.0


def test_fscore_precision_and_recall() -> None:
    a = plane(21)
    far = a + [0, 0, 5]
    # half the prediction is far away: precision 1/2, recall 1 -> F = 2/3
    assert fscore(np.r_[a, far], a) == pytest.approx(2 / 3)
    assert fscore(far, a) == 0.0


def test_normal_consistency() -> None:
    a = plane(21)
    up = np.tile([0.0, 0.0, 1.0], (len(a), 1))
    assert normal_consistency(a, up, a, up) == pytest.approx(1.0)
    assert normal_consistency(a, up, a, -3 * up) == pytest.approx(1.0)  # orientation-free, unnormalised ok
    side = np.tile([1.0, 0.0, 0.0], (len(a), 1))
    assert normal_consistency(a, up, a, side) == pytest.approx(0.0)


def test_paired_metrics_on_meshes() -> None:
    box = trimesh.creation.box((1.0, 1.0, 1.0))
    same = paired_metrics(box, box.copy(), seed=1)  # dense (100k): sample spacing well under tau
    assert set(same) == {"chamfer", "fscore", "normal_consistency"}
    assert same["chamfer"] < 0.005 and same["fscore"] > 0.999 and same["normal_consistency"] > 0.99
    sparse = paired_metrics(box, box.copy(), n=5_000, seed=1)  # spacing ~ tau: F drops on a perfect match
    assert sparse["fscore"] < 0.95
    assert paired_metrics(box, box.copy(), n=5_000, seed=1) == sparse  # seeded
    moved = paired_metrics(box, box.copy().apply_translation([0.3, 0, 0]), n=5_000, seed=1)
    assert moved["chamfer"] > sparse["chamfer"] and moved["fscore"] < sparse["fscore"]


def test_paired_metrics_are_the_three_metrics_on_the_same_samples() -> None:
    from sciGen.shapes.metrics import sample_with_normals
    a, b = trimesh.creation.box((1.0, 0.6, 0.8)), trimesh.creation.icosphere(2, radius=0.5)
    rng = np.random.default_rng(3)
    pa, na = sample_with_normals(a, 4_000, rng)
    pb, nb = sample_with_normals(b, 4_000, rng)
    got = paired_metrics(a, b, n=4_000, tau=0.05, seed=3)
    assert got == pytest.approx({"chamfer": chamfer(pa, pb), "fscore": fscore(pa, pb, 0.05),
                                 "normal_consistency": normal_consistency(pa, na, pb, nb)}, rel=1e-12)


def test_chamfer_matrix_matches_brute_force() -> None:
    rng = np.random.default_rng(0)
    A, B = rng.random((3, 50, 3)), rng.random((5, 40, 3))
    got = chamfer_matrix(A, B, device="cpu", chunk=2)
    assert got.shape == (3, 5) and got.dtype == np.float64
    for i in range(3):
        for j in range(5):
            d = ((A[i][:, None] - B[j][None]) ** 2).sum(-1)
            assert got[i, j] == pytest.approx(d.min(1).mean() + d.min(0).mean(), rel=1e-10, abs=1e-14)
    clouds = list(A)
    sym = chamfer_matrix(clouds, clouds, device="cpu")  # same object: upper triangle, mirrored
    np.testing.assert_allclose(sym, chamfer_matrix(clouds, list(A), device="cpu"), atol=1e-12)
    np.testing.assert_array_equal(sym, sym.T)
    np.testing.assert_array_equal(np.diag(sym), 0.0)
    with pytest.raises(ValueError, match="same shape"):
        chamfer_matrix([A[0], A[0][:10]], B, device="cpu")


def ellipsoids(k: int, rng: np.random.Generator, n: int = 128, shift: float = 0.0) -> list[np.ndarray]:
    """``k`` clouds of ``n`` points on ellipsoids with random semi-axes in [0.3, 0.8]."""
    out = []
    for _ in range(k):
        d = rng.normal(size=(n, 3))
        d /= np.linalg.norm(d, axis=1, keepdims=True)
        out.append(d * rng.uniform(0.3, 0.8, size=3) + [shift, 0, 0])
    return out


def test_distribution_metrics_known_cases() -> None:
    rng = np.random.default_rng(0)
    ref = ellipsoids(24, rng)
    copy = distribution_metrics(ref, ref, device="cpu")
    assert set(copy) == {"MMD-CD", "COV-CD", "1-NNA-CD"}
    # exact copies: every reference is matched at distance 0, and each cloud's nearest is its twin
    assert copy["MMD-CD"] == pytest.approx(0.0, abs=1e-12)
    assert copy["COV-CD"] == 1.0 and copy["1-NNA-CD"] == 0.0
    same = distribution_metrics(ellipsoids(24, rng), ref, device="cpu")  # same distribution, new draws
    assert 0.25 <= same["1-NNA-CD"] <= 0.75 and same["COV-CD"] >= 0.4
    apart = distribution_metrics(ellipsoids(24, rng, shift=3.0), ref, device="cpu")
    assert apart["1-NNA-CD"] == 1.0 and apart["MMD-CD"] > 8.0 > same["MMD-CD"]
    with pytest.raises(ValueError):
        distribution_metrics([], ref)


def test_evaluate_folders(tmp_path: Path) -> None:
    shapes = [trimesh.creation.box((1.0, 0.8, 0.6)), trimesh.creation.icosphere(2, radius=0.7)]
    write_folder(shapes, tmp_path / "ref", fmt="obj")
    write_folder(shapes, tmp_path / "gen", fmt="stl")
    (tmp_path / "gen" / "zz_bad.stl").write_bytes(b"")
    out = evaluate_folders(tmp_path / "gen", tmp_path / "ref", n_points=128)
    assert out["n_generated"] == 2 and out["n_reference"] == 2 and out["unreadable"] == 1
    assert out["watertight"] == 1.0
    assert out["MMD-CD"] < 0.05 and out["COV-CD"] == 1.0  # 128 samples: spacing ~0.17
    assert out["n_paired"] == 2 and out["fscore"] > 0.99 and out["chamfer"] < 5e-3  # same stems: paired

    holed = trimesh.Trimesh(shapes[0].vertices, shapes[0].faces[1:], process=False)
    write_folder([holed, shapes[1]], tmp_path / "gen2", fmt="ply", start=5)  # other stems: not paired
    alone = evaluate_folders(tmp_path / "gen2")
    assert alone["watertight"] == 0.5 and alone["n_reference"] == 0 and "MMD-CD" not in alone
    other = evaluate_folders(tmp_path / "gen2", tmp_path / "ref", n_points=64)
    assert "chamfer" not in other and "1-NNA-CD" in other
    with pytest.raises(ValueError, match="share no file names"):
        evaluate_folders(tmp_path / "gen2", tmp_path / "ref", n_points=64, paired=True)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ReadError, match="no readable mesh"):
        evaluate_folders(tmp_path / "empty")
