"""`scigen train / generate / evaluate materials` end to end on a tiny model trained on textbook crystals."""
from __future__ import annotations

from pathlib import Path

import pytest

from sciGen.materials.adapter import MaterialsAdapter

from .conftest import diamond, nacl, srtio3

TINY = """\
domain: materials
generator: unigenx
data: {{train: {train}, holdout_fraction: 0.0}}
model:
  transformer: {{d_model: 32, n_layers: 1, n_heads: 2, d_ff: 64, max_len: 24}}
  diffusion: {{width: 32, depth: 1, sample_steps: 10}}
  optim: {{lr: 0.003, warmup_steps: 10, decay_steps: 150}}
trainer: {{batch_size: 8, max_steps: 150, val_every: 150, log_every: 10, num_workers: 0}}
"""


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory) -> Path:
    from tests.conftest import run_cli
    d = tmp_path_factory.mktemp("mat")
    structs = []
    for i in range(8):
        for s in (srtio3(), nacl(), diamond()):
            s.apply_strain(0.01 * i)
            s.properties["id"] = f"{s.composition.reduced_formula}-{i}"
            structs.append(s)
    MaterialsAdapter().write(structs, d / "train.csv")
    (d / "cfg.yaml").write_text(TINY.format(train=d / "train.csv"))
    r = run_cli(["train", d / "cfg.yaml", "--output", d / "run"])
    assert r.returncode == 0, r.stderr[-3000:]
    return d / "run" / "model.pt"


def test_csp_condition_file_and_evaluate(tmp_path: Path, tiny_model: Path, run_scigen) -> None:
    (tmp_path / "f.txt").write_text("SrTiO3\nSr(TiO3\nNaCl\nFeO\n")
    r = run_scigen("generate", "materials", "--checkpoint", tiny_model, "--condition-file", tmp_path / "f.txt",
                   "-n", "3", "-o", tmp_path / "out", "--keep-invalid", "--preview", tmp_path / "p.png")
    assert r.returncode == 0, r.stderr[-3000:]
    assert "line 2" in r.stderr and "malformed" in r.stderr and "line 4" in r.stderr and "Fe" in r.stderr
    names = sorted(p.name for p in (tmp_path / "out").glob("*.cif"))
    assert set(names) <= {f"{L:06d}_{k}.cif" for L in (0, 2) for k in range(3)} and names
    assert "6 drawn" in r.stderr
    ref = tmp_path / "ref.csv"
    MaterialsAdapter().write([srtio3(), diamond(), nacl(), diamond()], ref)  # row L ↔ line L
    r = run_scigen("evaluate", "materials", tmp_path / "out", "--reference", ref, "--task", "csp",
                   "--json", tmp_path / "m.json")
    assert r.returncode == 0, r.stderr[-3000:]
    import json
    m = json.loads((tmp_path / "m.json").read_text())
    assert {"match_rate", "rmse", "match_rate@3"} <= set(m) and 0 <= m["match_rate"] <= 1


def test_denovo_generate_and_evaluate(tmp_path: Path, tiny_model: Path, run_scigen) -> None:
    r = run_scigen("generate", "materials", "--checkpoint", tiny_model, "-n", "6", "-o", tmp_path / "dn",
                   "--keep-invalid", "--seed", "1")
    assert r.returncode == 0, r.stderr[-3000:]
    assert "6 drawn" in r.stderr
    ref = tmp_path / "ref.cif"
    MaterialsAdapter().write([srtio3(), nacl(), diamond()], ref)
    r = run_scigen("evaluate", "materials", tmp_path / "dn", "--reference", ref, "--json", tmp_path / "d.json")
    assert r.returncode == 0, r.stderr[-3000:]
    import json
    m = json.loads((tmp_path / "d.json").read_text())
    assert {"struct_valid", "comp_valid", "cov_r", "cov_p", "density_wdist", "nelem_wdist"} <= set(m) or m["valid"] == 0


def test_bad_condition_is_one_line(tmp_path: Path, tiny_model: Path, run_scigen) -> None:
    r = run_scigen("generate", "materials", "--checkpoint", tiny_model, "--condition", "Qz3", "-n", "2",
                   "-o", tmp_path / "x")
    assert r.returncode == 2 and "error" in r.stderr and "unknown element Qz" in r.stderr
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1
    r = run_scigen("evaluate", "materials", tmp_path, "--reference", tmp_path / "missing.csv")
    assert r.returncode == 2 and "not found" in r.stderr
