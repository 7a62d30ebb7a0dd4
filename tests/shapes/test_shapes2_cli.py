"""Argus3D and MAR-3D end to end through the CLI: tiny TriplaneVQ → Argus3D and VecSetVAE → MAR-3D models
trained by `scigen train` on a folder of meshes, then `scigen generate shapes --generator argus3d|mar3d`,
point-cloud completion and its bad inputs."""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import trimesh

from sciGen.shapes.formats import read_folder
from tests.shapes.test_cli import box_ball_folder, scigen_train

DATA = "train: {data}\n  holdout_fraction: 0.25\n  options: {{n_surface: 1024, n_queries: 1536, cache_dir: {cache}, workers: 1"
TRAINER = "trainer: {{batch_size: 4, max_steps: {steps}, val_every: 10, val_batches: 1, log_every: 5, accelerator: cpu}}\n"
CFGS = {
    "vq": ("domain: shapes\ngenerator: triplane_vq\ndata:\n  " + DATA + "}}\n"
           "model: {{channels: 8, resolution: 16, point_hidden: 16, n_freqs: 2, width: 16, down: 2, dec_up: 0, code_dim: 4,\n"
           "        codebook_size: 16, mlp_hidden: 16, optim: {{lr: 0.003, warmup_steps: 5}}}}\n" + TRAINER, 30),
    "argus3d": ("domain: shapes\ngenerator: argus3d\ndata:\n  " + DATA + ", tokenizer: {vq}, views: 2}}\n"
                "model: {{d_model: 32, n_layers: 1, n_heads: 2, d_ff: 64, point_base: 1, n_points: 128,\n"
                "        partial_codes: true}}\n" + TRAINER, 10),
    "vae": ("domain: shapes\ngenerator: vecset_vae\ndata:\n  " + DATA + "}}\n"
            "model: {{channels: 8, resolution: 8, point_hidden: 16, n_freqs: 2, d_model: 32, n_heads: 2, d_ff: 64,\n"
            "        dec_layers: 1, latent_dim: 4, base_low: 2, base_high: 4, plane_up: 2, plane_channels: 8,\n"
            "        mlp_hidden: 16, optim: {{lr: 0.003, warmup_steps: 5}}}}\n" + TRAINER, 30),
    "mar3d": ("domain: shapes\ngenerator: mar3d\ndata:\n  " + DATA + ", tokenizer: {vae}, views: 2}}\n"
              "model: {{d_model: 32, n_layers: 1, n_heads: 2, d_ff: 64, head: {{width: 32, depth: 1, sample_steps: 5}}}}\n"
              + TRAINER, 10),
}


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("shapes2")
    data = box_ball_folder(root)
    out: dict[str, Path] = {"data": data, "root": root}
    for name, (text, steps) in CFGS.items():
        cfg = root / f"{name}.yaml"
        cfg.write_text(text.format(data=data, cache=root / "cache", steps=steps, vq=out.get("vq"), vae=out.get("vae")))
        out[name] = scigen_train(cfg, root / name)
    return out


@pytest.mark.parametrize("name", ["argus3d", "mar3d"])
def test_generate_writes_valid_meshes_only(models, run_scigen, tmp_path, name):
    r = run_scigen("generate", "shapes", "--checkpoint", str(models[name]), "--generator", name, "-n", "3",
                   "--condition", "ball", "--resolution", "32", "-o", str(tmp_path / "out"))
    assert r.returncode == 0, r.stderr
    assert "3 drawn" in r.stderr
    meshes = read_folder(tmp_path / "out")
    assert all(m.is_watertight for _, m in meshes)


def test_argus3d_completes_a_point_cloud_file(models, run_scigen, tmp_path):
    pts = trimesh.creation.icosphere(2, radius=0.6).vertices
    part = pts[pts[:, 0] > 0]
    np.savetxt(tmp_path / "half.xyz", part)
    r = run_scigen("generate", "shapes", "--checkpoint", str(models["argus3d"]), "-n", "2", "--resolution", "32",
                   "--condition-points", str(tmp_path / "half.xyz"), "-o", str(tmp_path / "out"))
    assert r.returncode == 0, r.stderr
    assert "2 drawn" in r.stderr


@pytest.mark.parametrize("content, message", [("1 2 3\n", "at least 16 points"), ("nan nan nan\n" * 20, "not all finite"),
                                               ("5 5 5\n" * 20, "beyond [-1, 1]")])
def test_bad_condition_points_are_one_line(models, run_scigen, tmp_path, content, message):
    (tmp_path / "bad.xyz").write_text(content)
    r = run_scigen("generate", "shapes", "--checkpoint", str(models["argus3d"]), "-n", "1",
                   "--condition-points", str(tmp_path / "bad.xyz"), "-o", str(tmp_path / "out"))
    assert r.returncode == 2 and message in r.stderr and "Traceback" not in r.stderr, r.stderr


def test_condition_points_need_argus3d(models, run_scigen, tmp_path):
    np.savetxt(tmp_path / "p.xyz", np.random.default_rng(0).uniform(-0.5, 0.5, (50, 3)))
    r = run_scigen("generate", "shapes", "--checkpoint", str(models["mar3d"]), "-n", "1",
                   "--condition-points", str(tmp_path / "p.xyz"), "-o", str(tmp_path / "out"))
    assert r.returncode == 2 and "argus3d" in r.stderr and "Traceback" not in r.stderr, r.stderr


@pytest.mark.parametrize("name, prefix", [("argus3d", "codes"), ("mar3d", "latents")])
def test_generators_retrain_from_their_token_cache_alone(models, tmp_path, name, prefix):
    """What a generator trained on is kept: Argus3D's TriplaneVQ codes (int16, 2 views) with the surface points
    it cuts partial clouds from, MAR-3D's VecSetVAE latents (float16, both levels, 2 views).  A cache folder
    holding only that file is enough to train again: no meshes are read and no surface samples are made."""
    (kept,) = (models["root"] / "cache").glob(f"{prefix}-*.npz")
    with np.load(kept) as z:
        S = len(z["keys"])
        assert S == len(z["categories"]) > 0
        if name == "mar3d":
            assert z["low"].dtype == z["high"].dtype == np.float16
            assert z["low"].shape == (2, S, 12, 4) and z["high"].shape == (2, S, 48, 4)
            assert np.isfinite(z["high"]).all() and z["high"].std() > 0
        else:
            assert z["codes"].dtype == np.int16 and z["codes"].shape[:2] == (2, S)
            assert 0 <= z["codes"].min() and z["codes"].max() < 16 and len(np.unique(z["codes"])) > 1
            assert z["surface"].shape == (S, 1024, 3) and np.abs(z["surface"]).max() <= 1.0
    only = tmp_path / "cache"
    only.mkdir()
    shutil.copy(kept, only / kept.name)
    cfg = tmp_path / f"{name}.yaml"
    text, tok = CFGS[name][0], {"vq": models["vq"], "vae": models["vae"]}
    cfg.write_text(text.format(data=tmp_path / "no-such-folder", cache=only, steps=2, **tok))
    with pytest.raises(AssertionError, match="no-such-folder"):  # another data path → another cache key
        scigen_train(cfg, tmp_path / "run0")
    cfg.write_text(text.format(data=models["data"], cache=only, steps=2, **tok))
    shutil.move(models["data"], tmp_path / "moved")  # the meshes are gone; the kept tokens are all it needs
    try:
        assert scigen_train(cfg, tmp_path / "run").is_file()
    finally:
        shutil.move(tmp_path / "moved", models["data"])
    assert [p.name for p in only.iterdir()] == [kept.name]


def test_mar3d_low_stage_and_cascade_decode(models):
    from sciGen.api import load, sample_structures
    model, adapter = load("shapes", checkpoint=models["mar3d"], device="cpu")
    adapter.resolution = 24
    for stage, n_tok in (("low", 12), ("high", 48)):
        res = sample_structures(model, adapter, 2, seed=0, stage=stage)
        seqs = model.sample(1, stage=stage)
        assert int(seqs[0].value_mask.sum()) == n_tok
        assert res.n_drawn == 2


def test_completion_knobs_carry_the_partial_clouds_own_codes(models):
    """--condition-points on a partial_codes Argus3D: the knobs hold the points and their TriplaneVQ code vector
    (normals zeroed), which is what the model was trained to read."""
    import torch
    from sciGen.shapes.tokens import partial_codes
    from sciGen.train import load_model
    model, adapter = load_model(models["argus3d"], "shapes")
    assert model.cfg.partial_codes
    pts = trimesh.creation.icosphere(2, radius=0.6).vertices.astype(np.float32)
    knobs = adapter.sampling_knobs(model, {}, condition_points=pts[pts[:, 0] > 0])
    assert knobs["points"].shape == (128, 3) and knobs["partial"].shape == (48,)
    assert torch.equal(knobs["partial"], partial_codes(adapter.tokenizer, knobs["points"][None])[0])
    assert int(knobs["partial"].max()) < adapter.tokenizer.codebook_size
    seqs = model.sample(2, **knobs)
    assert all(len(s) == 49 for s in seqs)

def test_candidates_keep_the_draw_closest_to_the_given_points(models):
    """candidates=K: each result is the valid draw of the same K (same seed) nearest the partial cloud."""
    from sciGen.api import sample_structures
    from sciGen.train import load_model
    model, adapter = load_model(models["argus3d"], "shapes")
    adapter.resolution = 24
    pts = trimesh.creation.icosphere(2, radius=0.6).vertices.astype(np.float32)
    knobs = adapter.sampling_knobs(model, {}, condition_points=pts[pts[:, 0] > 0])
    best = sample_structures(model, adapter, 1, seed=3, candidates=4, **knobs)
    group = sample_structures(model, adapter, 4, seed=3, batch_size=4, **knobs)
    assert best.n_drawn == 1 and group.n_drawn == 4
    if group.structures:
        score = [adapter.fidelity(m, knobs) for m in group.structures]
        assert adapter.fidelity(best.structures[0], knobs) == pytest.approx(min(score))
    else:
        assert len(best.invalid) == 1


def test_completion_defaults_come_from_the_checkpoint(models):
    from sciGen.train import load_model
    model, adapter = load_model(models["argus3d"], "shapes")
    model.meta = {**getattr(model, "meta", {}), "sampling_completion": {"candidates": 3, "temperature": 0.7}}
    pts = np.random.default_rng(0).uniform(-0.5, 0.5, (64, 3))
    knobs = adapter.sampling_knobs(model, {"temperature": None}, condition_points=pts)
    assert knobs["candidates"] == 3 and knobs["temperature"] == 0.7
    assert adapter.sampling_knobs(model, {"temperature": 1.0}, condition_points=pts)["temperature"] == 1.0
    assert "candidates" not in adapter.sampling_knobs(model, {"temperature": None})


def test_candidates_from_the_cli(models, run_scigen, tmp_path):
    pts = trimesh.creation.icosphere(2, radius=0.6).vertices
    np.savetxt(tmp_path / "half.xyz", pts[pts[:, 0] > 0])
    r = run_scigen("generate", "shapes", "--checkpoint", str(models["argus3d"]), "-n", "2", "--resolution", "24",
                   "--condition-points", str(tmp_path / "half.xyz"), "--candidates", "3", "-o", str(tmp_path / "out"))
    assert r.returncode == 0 and "2 drawn" in r.stderr, r.stderr
    r = run_scigen("generate", "shapes", "--checkpoint", str(models["argus3d"]), "-n", "1", "--candidates", "3",
                   "-o", str(tmp_path / "out2"))
    assert r.returncode == 2 and "--condition-points" in r.stderr and "Traceback" not in r.stderr, r.stderr


def test_candidates_need_a_domain_that_scores_draws(run_scigen, tmp_path):
    r = run_scigen("generate", "molecules", "--candidates", "3", "-n", "1", "-o", str(tmp_path / "x.smi"))
    assert r.returncode == 2 and "--candidates is not available for molecules" in r.stderr
    assert "Traceback" not in r.stderr, r.stderr

def test_continuous_round_trip_and_code_round_trip(models):
    from sciGen.train import load_model
    for name, kind in (("vae", "VecSetVAE"), ("vq", "TriplaneVQ")):
        tok, adapter = load_model(models[name], "shapes")
        assert type(adapter.tokenizer).__name__ == kind
        adapter.resolution = 24
        seq = adapter.encode(trimesh.creation.box([1, 1, 1]), category="box")
        assert adapter.condition_id("box") == int(seq.tokens[0])
        if name == "vae":
            assert seq.values.shape == (49, 4) and not seq.value_mask[0] and seq.value_mask[1:].all()
        else:
            assert len(seq) == 1 + 48 and seq.values is None
        try:
            adapter.decode(seq)
        except Exception as e:  # a 30-step model may decode to nothing, but only as a DecodeError
            assert type(e).__name__ == "DecodeError", e


@pytest.mark.parametrize("name, tokens", [("vq", 48), ("argus3d", 48), ("vae", 48), ("mar3d", 48)])
def test_tokenize_with_each_tokenizer_or_its_generator(models, run_scigen, tmp_path, name, tokens):
    import json
    trimesh.creation.box([1.0, 0.7, 0.8]).export(tmp_path / "box.stl")
    r = run_scigen("tokenize", "shapes", str(tmp_path / "box.stl"), "--checkpoint", str(models[name]), "--json")
    assert r.returncode == 0, r.stderr
    rep = json.loads(r.stdout)
    assert rep["tokens"] == tokens and rep["bytes"] == (48 if name in ("vq", "argus3d") else 48 * 4 * 2)
