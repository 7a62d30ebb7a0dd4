"""`scigen train` end to end on tiny data: bad lines skipped, DDP on CPU, checkpoints load."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import torch

from sciGen.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from sciGen.train import load_model


def test_train_skips_bad_lines_and_saves_a_loadable_checkpoint(tmp_path: Path, tiny_config, run_scigen) -> None:
    cfg, _ = tiny_config(steps=6)
    r = run_scigen("train", cfg, "--output", tmp_path / "run")
    assert r.returncode == 0, r.stderr[-3000:]
    assert "skipped 3 bad record(s)" in r.stderr
    model, adapter = load_model(tmp_path / "run" / "model.pt", domain="molecules")
    assert model.meta["steps"] == 6 and model.meta["skipped"] == 3
    assert (tmp_path / "run" / "holdout.txt").read_text().strip()
    seqs = model.sample(3, generator=torch.Generator().manual_seed(0), max_len=20)
    assert len(seqs) == 3
    # resume continues from Lightning's last checkpoint
    r = run_scigen("train", cfg, "--output", tmp_path / "run", "--resume", "--max-steps", "8")
    assert r.returncode == 0, r.stderr[-3000:]
    assert load_model(tmp_path / "run" / "model.pt")[0].meta["steps"] == 8


def test_train_ddp_two_cpu_processes(tmp_path: Path, tiny_config, run_scigen) -> None:
    cfg, _ = tiny_config(steps=4)
    r = run_scigen("train", cfg, "--devices", "2", "--strategy", "ddp", "--accelerator", "cpu",
                   "--output", tmp_path / "ddp", process=True)
    assert r.returncode == 0, r.stderr[-3000:]
    model, _ = load_model(tmp_path / "ddp" / "model.pt")
    assert model.meta["devices"] == 2 and model.meta["steps"] == 4


def test_checkpoint_mismatches_are_clear_errors(tmp_path: Path) -> None:
    p = tmp_path / "c.pt"
    save_checkpoint(p, generator="unigenx", domain="molecules", config={}, vocab={},
                    state_dict={"w": torch.ones(2)}, half=True)
    blob = load_checkpoint(p)
    assert blob["state_dict"]["w"].dtype == torch.float32
    with pytest.raises(CheckpointError, match="for domain 'molecules', not 'materials'"):
        load_checkpoint(p, domain="materials")
    torch.save({"format_version": 99}, p)
    with pytest.raises(CheckpointError, match="format 99"):
        load_checkpoint(p)
    p.write_bytes(b"garbage")
    with pytest.raises(CheckpointError, match="not a readable"):
        load_checkpoint(p)


def test_init_from_starts_a_new_run_from_a_checkpoint(tmp_path: Path, tiny_config, run_scigen) -> None:
    from sciGen.config import ConfigError
    from sciGen.train import init_weights

    cfg, _ = tiny_config(steps=4)
    assert run_scigen("train", cfg, "--output", tmp_path / "a").returncode == 0
    first, _ = load_model(tmp_path / "a" / "model.pt")
    fresh = type(first)(first.cfg)
    init_weights(fresh, tmp_path / "a" / "model.pt", "unigenx")
    for k, v in first.state_dict().items():
        assert torch.equal(fresh.state_dict()[k], v), k
    r = run_scigen("train", cfg, "--output", tmp_path / "b", "--init-from", tmp_path / "a" / "model.pt",
                   "--max-steps", "2")
    assert r.returncode == 0, r.stderr[-3000:]
    assert load_model(tmp_path / "b" / "model.pt")[0].meta["init_from"].endswith("model.pt")
    # fine-tuning on other data keeps the checkpoint's vocabulary; records it cannot write are skipped and counted
    other = tmp_path / "other.smi"
    other.write_text("CCO\nCCN\n" * 10 + "".join(f"C[Se]{'C' * k}O\n" for k in range(1, 9)))
    r = run_scigen("train", cfg, "--data", other, "--output", tmp_path / "c", "--init-from",
                   tmp_path / "a" / "model.pt", "--max-steps", "2")
    assert r.returncode == 0, r.stderr[-3000:]
    assert re.search(r"skipped \d training record\(s\) with tokens outside", r.stderr), r.stderr
    tokens = load_model(tmp_path / "a" / "model.pt")[1].vocab.tokens
    assert load_model(tmp_path / "c" / "model.pt")[1].vocab.tokens == tokens
    # a checkpoint of another shape is one clear error
    wrong = tmp_path / "w.pt"
    sd = {k: torch.zeros(3) if i == 0 else v for i, (k, v) in enumerate(first.state_dict().items())}
    save_checkpoint(wrong, generator="unigenx", domain="molecules", config={}, vocab={}, state_dict=sd)
    with pytest.raises(ConfigError, match="does not fit this model"):
        init_weights(fresh, wrong, "unigenx")


def test_device_train_probes_sizes_trains_and_splits(tmp_path: Path, tiny_config) -> None:
    """bench/device_train.py (the lent-GPU recipe) on CPU: two configs probed, sized to the budget by the slower
    rate as an overlay on each, trained side by side, checkpoints returned in parts that join back."""
    import json
    import subprocess
    import sys

    cfg, _ = tiny_config(steps=6)
    other = tmp_path / "other.yaml"
    other.write_text(f"base: {cfg.name}\nmodel:\n  transformer:\n    d_model: 48\n")
    script = Path(__file__).resolve().parents[2] / "bench" / "device_train.py"
    out = tmp_path / "out"
    r = subprocess.run([sys.executable, str(script), str(cfg), str(other), "--budget", "0.1", "--probe", "8",
                        "--out", str(out), "--work", str(tmp_path / "work"), "--part-mb", "1"],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    rep = json.loads((out / "device_train.json").read_text())
    assert set(rep["runs"]) == {"tiny", "other"}
    for name, run in rep["runs"].items():
        assert run["exit"] == 0 and run["max_steps"] == 50 and run["probe_steps_per_s"] > 0
        joined = b"".join((out / p).read_bytes() for p in run["parts"])
        assert len(joined) == run["model_bytes"]
        (tmp_path / f"{name}.pt").write_bytes(joined)
        model, _ = load_model(tmp_path / f"{name}.pt", domain="molecules")
        assert model.meta["steps"] == 50
        assert (out / f"{name}.metrics.csv").is_file()
    assert load_model(tmp_path / "other.pt")[0].cfg.transformer.d_model == 48


def test_init_new_leaves_a_new_part_fresh(tmp_path: Path) -> None:
    """A plain UniGenX checkpoint starts an anchored one: everything it has is loaded, the declared new part
    (the refiner) keeps its fresh weights; an undeclared missing part or a declared part that is not new is an
    error."""
    from sciGen.config import ConfigError
    from sciGen.generators.unigenx import UniGenX
    from sciGen.train import init_weights

    cfg = {"vocab_size": 8, "value_dim": 3, "number_ids": [6],
           "transformer": {"d_model": 16, "n_layers": 1, "n_heads": 2, "d_ff": 32, "max_len": 8},
           "diffusion": {"width": 16, "depth": 1, "train_steps": 20}}
    torch.manual_seed(0)
    plain = UniGenX(cfg)
    path = tmp_path / "plain.pt"
    save_checkpoint(path, generator="unigenx", domain="molecules", config=cfg, vocab={},
                    state_dict=plain.state_dict())
    anchored = UniGenX({**cfg, "diffusion": {**cfg["diffusion"], "anchored": True}})
    fresh = {k: v.clone() for k, v in anchored.state_dict().items() if k.startswith("head.refine.")}
    init_weights(anchored, path, "unigenx", new=["head.refine"])
    for k, v in anchored.state_dict().items():
        assert torch.equal(v, fresh[k] if k in fresh else plain.state_dict()[k]), k
    with pytest.raises(ConfigError, match="lacks head.refine"):
        init_weights(anchored, path, "unigenx")
    with pytest.raises(ConfigError, match="already has"):
        init_weights(anchored, path, "unigenx", new=["head.net"])
    with pytest.raises(ConfigError, match="names no parameter"):
        init_weights(anchored, path, "unigenx", new=["head.refine", "body.nothing"])
