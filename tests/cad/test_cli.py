"""End to end through the CLI: tiny face / edge autoencoders and AutoBrep trained by `scigen train` on a
folder of STEP parts, then generate, tokenize, evaluate and the bad-input messages."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from sciGen.cad.brep import compound, subshapes, write_step
from sciGen.cad.formats import write_folder
from sciGen.cad.procedural import instance

AE_CFG = """\
domain: cad
generator: fsq_autoencoder
data: {{train: {data}, holdout_fraction: 0.25, options: {{kind: {kind}, cache_dir: {cache}, workers: 1}}}}
model: {{dims: {dims}, width: 8, optim: {{lr: 0.003, warmup_steps: 2}}}}
trainer: {{batch_size: 16, max_steps: 6, val_every: 3, val_batches: 1, log_every: 1, accelerator: cpu}}
"""
AB_CFG = """\
domain: cad
generator: autobrep
data: {{train: {data}, holdout_fraction: 0.25,
        options: {{cache_dir: {cache}, workers: 1, face_tokenizer: {face}, edge_tokenizer: {edge}}}}}
model: {{transformer: {{d_model: 32, n_layers: 1, n_heads: 2, d_ff: 64, max_len: 1024}},
        optim: {{lr: 0.003, warmup_steps: 2}}}}
trainer: {{batch_size: 2, max_steps: 4, val_every: 2, val_batches: 1, log_every: 1, accelerator: cpu}}
"""


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> dict[str, Path]:
    from tests.conftest import run_cli
    root = tmp_path_factory.mktemp("cad")
    data = root / "parts"
    write_folder([instance(f, i) for f in ("plate", "shaft", "flange") for i in range(3)], data)
    paths = {"data": data}
    for kind, dims in (("face", 2), ("edge", 1)):
        cfg = root / f"{kind}.yaml"
        cfg.write_text(AE_CFG.format(data=data, kind=kind, dims=dims, cache=root / "cache"))
        r = run_cli(["train", cfg, "--output", root / kind])
        assert r.returncode == 0, r.stderr[-2000:]
        paths[kind] = root / kind / "model.pt"
    cfg = root / "ab.yaml"
    cfg.write_text(AB_CFG.format(data=data, cache=root / "cache", face=paths["face"], edge=paths["edge"]))
    r = run_cli(["train", cfg, "--output", root / "ab"])
    assert r.returncode == 0, r.stderr[-2000:]
    paths["autobrep"] = root / "ab" / "model.pt"
    return paths


def test_generate_tokenize_evaluate(trained: dict[str, Path], tmp_path: Path, run_scigen) -> None:
    ck = trained["autobrep"]
    r = run_scigen("generate", "cad", "-n", "3", "-o", tmp_path / "out", "--checkpoint", ck, "--keep-invalid",
                   "--condition", "easy", "--seed", "1")
    assert r.returncode == 0, r.stderr[-2000:]
    assert "3 drawn:" in r.stderr and (tmp_path / "out").is_dir()
    part = trained["data"] / "0000.step"
    r = run_scigen("tokenize", "cad", part, "--json", "--checkpoint", ck)
    assert r.returncode == 0, r.stderr[-2000:]
    rep = json.loads(r.stdout.strip().splitlines()[-1])
    assert {"tokens", "faces", "edges", "valid", "chamfer", "reasons"} <= set(rep) and rep["tokens"] > 50
    r = run_scigen("evaluate", "cad", trained["data"], "--reference", trained["data"], "--train", trained["data"],
                   "--json", tmp_path / "m.json")
    assert r.returncode == 0, r.stderr[-2000:]
    m = json.loads((tmp_path / "m.json").read_text())
    assert m["valid"] == 1.0 and m["unique"] == 1.0 and m["novel"] == 0.0 and {"MMD-CD", "COV-CD", "JSD"} <= set(m)


def test_bad_inputs_are_one_line_errors(trained: dict[str, Path], tmp_path: Path, run_scigen) -> None:
    from build123d import Box, Pos
    ck = trained["autobrep"]
    (tmp_path / "notes.step").write_text("not a STEP file")
    write_step(compound([Box(1, 1, 1).wrapped, (Pos(3, 0, 0) * Box(1, 1, 1)).wrapped]), tmp_path / "asm.step")
    write_step(compound(subshapes(Box(1, 1, 1).wrapped, "face")[:5]), tmp_path / "open.step")
    for name, msg in (("notes.step", "not a readable STEP file"), ("asm.step", "an assembly of 2 solids"),
                      ("open.step", "no solid (an open shell")):
        r = run_scigen("tokenize", "cad", tmp_path / name, "--checkpoint", ck)
        assert r.returncode == 2, (name, r.stderr[-1500:])
        assert msg in r.stderr and name in r.stderr and "Traceback" not in r.stderr
