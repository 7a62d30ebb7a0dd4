"""End to end through the CLI with tiny VAT and G3PT models trained by `scigen train` on a folder of meshes."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import trimesh

from sciGen.shapes.formats import read_folder

VAT_CFG = """\
domain: shapes
generator: vat
data:
  train: {data}
  holdout_fraction: 0.25
  options: {{n_surface: 1024, n_queries: 1536, cache_dir: {cache}, workers: 1}}
model: {{d_model: 32, n_heads: 2, d_ff: 64, enc_layers: 1, dec_layers: 1, latent_dim: 4, locality: 0.4,
        scales: [1, 4, 11], codebook_size: 16, plane_base: 3, plane_up: 2, plane_channels: 8, mlp_hidden: 16,
        optim: {{lr: 0.003, warmup_steps: 5}}}}
trainer: {{batch_size: 4, max_steps: 40, val_every: 20, val_batches: 1, log_every: 5, accelerator: cpu}}
"""
G3PT_CFG = """\
domain: shapes
generator: g3pt
data:
  train: {data}
  holdout_fraction: 0.25
  options: {{n_surface: 1024, n_queries: 1536, cache_dir: {cache}, workers: 1, tokenizer: {vat}, views: 2}}
model: {{d_model: 32, n_layers: 1, n_heads: 2, d_ff: 64}}
trainer: {{batch_size: 4, max_steps: 10, val_every: 5, val_batches: 1, log_every: 5, accelerator: cpu}}
"""


def box_ball_folder(root: Path) -> Path:
    """A folder of 6 boxes and 6 balls (one sub-folder per category) under ``root``."""
    data = root / "meshes"
    for i in range(6):
        (data / "box").mkdir(parents=True, exist_ok=True)
        (data / "ball").mkdir(parents=True, exist_ok=True)
        trimesh.creation.box([1.0, 0.6 + 0.1 * i, 0.8]).export(data / "box" / f"{i}.stl")
        trimesh.creation.icosphere(2, radius=0.5 + 0.05 * i).export(data / "ball" / f"{i}.obj")
    return data


def scigen_train(cfg: Path, output: Path) -> Path:
    """``scigen train cfg --output output``; the trained checkpoint's path."""
    from tests.conftest import run_cli
    r = run_cli(["train", cfg, "--output", output])
    assert r.returncode == 0, r.stderr[-3000:]
    return output / "model.pt"


@pytest.fixture(scope="module")
def models(tmp_path_factory, request) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("shapes")
    data = box_ball_folder(root)
    out = {"data": data, "root": root}
    for name, text in (("vat", VAT_CFG), ("g3pt", G3PT_CFG)):
        cfg = root / f"{name}.yaml"
        cfg.write_text(text.format(data=data, cache=root / "cache", vat=out.get("vat")))
        out[name] = scigen_train(cfg, root / name)
    return out


def test_generate_writes_valid_meshes_only(models, run_scigen, tmp_path):
    r = run_scigen("generate", "shapes", "-n", "3", "-o", tmp_path / "out", "--checkpoint", models["g3pt"],
                   "--condition", "ball", "--resolution", "24", "--format", "stl")
    assert r.returncode == 0, r.stderr
    assert "3 drawn" in r.stderr
    for _, mesh in read_folder(tmp_path / "out"):  # whatever was written is valid
        assert mesh.is_watertight


def test_generate_unknown_category_is_one_line(models, run_scigen, tmp_path):
    r = run_scigen("generate", "shapes", "-n", "1", "-o", tmp_path / "o", "--checkpoint", models["g3pt"],
                   "--condition", "sofa")
    assert r.returncode == 2 and "unknown shape category 'sofa'" in r.stderr and "Traceback" not in r.stderr


def test_tokenize_json_and_non_watertight_warning(models, run_scigen, tmp_path):
    r = run_scigen("tokenize", "shapes", models["data"] / "box" / "0.stl", "--checkpoint", models["vat"], "--json")
    assert r.returncode == 0, r.stderr
    rep = json.loads(r.stdout.strip().splitlines()[-1])
    assert rep["tokens"] == 16 and rep["bytes"] == 16 and set(rep) == {"tokens", "bytes", "fscore", "chamfer", "iou"}
    s = trimesh.creation.icosphere(2, radius=0.6)
    trimesh.Trimesh(s.vertices, s.faces[3:]).export(tmp_path / "holed.ply")
    r = run_scigen("tokenize", "shapes", tmp_path / "holed.ply", "--checkpoint", models["vat"])
    assert r.returncode == 0 and "not watertight" in r.stderr and "16 tokens" in r.stdout
    two = trimesh.util.concatenate([trimesh.creation.box([0.5] * 3), trimesh.creation.box([0.5] * 3).apply_translation([1, 0, 0])])
    two.export(tmp_path / "two.stl")
    r = run_scigen("tokenize", "shapes", tmp_path / "two.stl", "--checkpoint", models["vat"])
    assert r.returncode == 0 and "2 separate components" in r.stderr


@pytest.mark.parametrize("content", [b"", b"solid garbage\nthis is not a mesh\n"])
def test_tokenize_bad_file_is_one_line(models, run_scigen, tmp_path, content):
    bad = tmp_path / "bad.stl"
    bad.write_bytes(content)
    r = run_scigen("tokenize", "shapes", bad, "--checkpoint", models["vat"])
    assert r.returncode == 2 and str(bad) in r.stderr and "Traceback" not in r.stderr


def test_evaluate_folders_json(models, run_scigen, tmp_path):
    # two boxes against two balls of the same file names (so paired metrics run too: 100k points a mesh, and
    # nearest neighbours between far-apart surfaces are the slow case of a k-d tree, hence two, not six)
    for cat in ("box", "ball"):
        (tmp_path / cat).mkdir()
        for f in sorted((models["data"] / cat).iterdir())[:2]:
            (tmp_path / cat / f.name).write_bytes(f.read_bytes())
    r = run_scigen("evaluate", "shapes", tmp_path / "box", "--reference", tmp_path / "ball",
                   "--json", tmp_path / "m.json")
    assert r.returncode == 0, r.stderr
    m = json.loads((tmp_path / "m.json").read_text())
    for k in ("watertight", "MMD-CD", "COV-CD", "1-NNA-CD", "chamfer", "fscore"):
        assert k in m
    assert m["n_paired"] == 2 and m["watertight"] == 1.0 and m["1-NNA-CD"] > 0.9  # boxes vs balls
    assert 0 <= m["fscore"] < 0.5


def test_adapter_encode_decode_round_trip(models):
    from sciGen.train import load_model
    vat, adapter = load_model(models["vat"], "shapes")
    box = trimesh.creation.box([1.0, 0.8, 0.6])
    seq = adapter.encode(box, category="box")
    assert len(seq) == 17 and seq.level.tolist()[:6] == [0, 1, 2, 2, 2, 2]
    assert seq.tokens[0] == adapter.condition_id("box")
    adapter.resolution = 24
    field = adapter.occupancy_field(seq.tokens[1:] - adapter.code_offset(), 24)
    assert field.shape == (24, 24, 24) and np.isfinite(field).all()
