"""Quality floors of the shipped shape checkpoints (VAT tokenizer, G3PT generator).

The floors sit below the numbers measured by ``bench/shapes_quality.py`` (model cards beside the
checkpoints) so that a broken checkpoint, decoder or extraction fails here."""
from __future__ import annotations

import numpy as np
import pytest

from sciGen.registry import checkpoints_dir
from tests.conftest import SHARED

VAT = checkpoints_dir() / "shapes-vat.pt"
# measured by bench/shapes_quality.py at resolution 128: held-out procedural mean F 0.70 (mug 0.76, chair 0.75,
# bottle 0.87, lamp 0.54); the real sphere 0.59.  Floors leave room for resolution 96 and 50k points.
FSCORE_FLOOR = 0.55
REAL_FLOOR = 0.40
G3PT = checkpoints_dir() / "shapes-g3pt.pt"
# Measured with this file's own draws: the mean F-score@0.02 (4,096 points) of each chair to its nearest of 30
# held-out chairs is 0.158 (Argus3D, 1,200-step model) and 0.157 (MAR-3D trained on a GPU; the CPU-trained one 0.202,
# though it is far worse on bench/shapes_compare.py's 800 draws), where a mug scores 0.03.  Argus3D
# completions (best of 16, 100k points a side): bench/shapes_compare.py 0.704 over 80 (given the category too: mug 0.71, bottle 0.87,
# vase 0.77; the stage-1 model 0.565); this file's three (mug, vase, bottle at 64³) score 0.64, 0.96, 0.97 (mean 0.85,
# 2026-11-27; stage 1: 0.59, 0.93, 0.70).  Full numbers: the model cards.
NEAREST_FLOOR = 0.10
COMPLETION_FLOOR = 0.70


@pytest.fixture(scope="module")
def vat_adapter():
    if not VAT.is_file():
        pytest.skip(f"{VAT} not shipped in this checkout")
    from sciGen.train import load_model
    vat, adapter = load_model(VAT, "shapes", device="cpu")
    adapter.resolution = 96
    return adapter


def test_vat_reconstructs_held_out_procedural_shapes(vat_adapter):
    from sciGen.shapes.procedural import instance
    scores = [vat_adapter.reconstruction(instance(c, 0, seed=1), n_points=50_000)
              for c in ("mug", "chair", "bottle", "lamp")]
    assert all(s["tokens"] == 256 and s["bytes"] == 256 for s in scores)
    assert np.mean([s["fscore"] for s in scores]) >= FSCORE_FLOOR, [s["fscore"] for s in scores]


def test_vat_reconstructs_a_real_mesh(vat_adapter):
    folder = SHARED / "data" / "meshes_open" / "odedstein_meshes"
    path = folder / "sphere.obj.xz"
    if not path.is_file():
        pytest.skip(f"needs {path} (the shared data folder beside the checkout)")
    mesh = next(iter(vat_adapter.read(path)))
    r = vat_adapter.reconstruction(mesh, n_points=50_000)
    assert r["fscore"] >= REAL_FLOOR, r["fscore"]


def test_g3pt_generates_valid_chairs():
    if not G3PT.is_file():
        pytest.skip(f"{G3PT} not shipped in this checkout")
    import sciGen
    from sciGen.api import load, sample_structures
    model, adapter = load("shapes", device="cpu")
    adapter.resolution = 64
    res = sample_structures(model, adapter, 6, seed=0, condition=adapter.condition_id("chair"))
    assert len(res.structures) >= 5, [e.reason for e in res.invalid]
    for m in res.structures:
        assert m.is_watertight and m.is_winding_consistent and np.abs(m.vertices).max() <= 1.0
    assert sciGen.generate("shapes", n=1, condition="mug", seed=3)  # the Python API path


ARGUS3D = checkpoints_dir() / "shapes-argus3d.pt"
MAR3D = checkpoints_dir() / "shapes-mar3d.pt"


@pytest.mark.parametrize("name, path", [("argus3d", ARGUS3D), ("mar3d", MAR3D)])
def test_argus3d_and_mar3d_generate_valid_chairs_close_to_real_ones(name, path):
    """Valid closed chairs whose nearest held-out procedural chair is near (F-score@0.02 of the nearest,
    measured by bench/shapes_compare.py over 800 shapes: see the model cards)."""
    if not path.is_file():
        pytest.skip(f"{path} not shipped in this checkout")
    from sciGen.api import load, sample_structures
    from sciGen.shapes.geometry import sample_surface
    from sciGen.shapes.metrics import fscore
    from sciGen.shapes.procedural import instance
    model, adapter = load("shapes", generator=name, device="cpu")
    adapter.resolution = 64
    res = sample_structures(model, adapter, 4, seed=0, condition=adapter.condition_id("chair"))
    assert len(res.structures) >= 3, [e.reason for e in res.invalid]
    rng = np.random.default_rng(0)
    refs = [sample_surface(instance("chair", i, seed=1), 4096, rng)[0] for i in range(30)]
    best = [max(fscore(sample_surface(m, 4096, rng)[0], r) for r in refs) for m in res.structures]
    assert all(m.is_watertight for m in res.structures)
    assert np.mean(best) >= NEAREST_FLOOR, best


def test_argus3d_completes_half_a_held_out_shape():
    if not ARGUS3D.is_file():
        pytest.skip(f"{ARGUS3D} not shipped in this checkout")
    from sciGen.api import load, sample_structures
    from sciGen.shapes.dataset import plane_cut
    from sciGen.shapes.geometry import sample_surface
    from sciGen.shapes.metrics import fscore
    from sciGen.shapes.procedural import instance
    model, adapter = load("shapes", generator="argus3d", device="cpu")
    adapter.resolution = 64
    scores = []
    for i, c in enumerate(("mug", "vase", "bottle")):
        rng = np.random.default_rng([i, 3])
        full = instance(c, i, seed=1)
        part = plane_cut(sample_surface(full, 4096, rng)[0], rng, 0.5)
        knobs = adapter.sampling_knobs(model, {}, condition_points=part)
        assert knobs["candidates"] == 16 and knobs["temperature"] == 0.7  # the card's completion settings
        got = sample_structures(model, adapter, 1, seed=i, **knobs)
        ref = sample_surface(full, 100_000, rng)[0]
        scores.append(fscore(sample_surface(got.structures[0], 100_000, rng)[0], ref) if got.structures else 0.0)
    assert np.mean(scores) >= COMPLETION_FLOOR, scores
