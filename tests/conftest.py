"""Shared fixtures: tiny synthetic data, the optional ../shared folder, the scigen command."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("SCIGEN_SHARED", ROOT.parent / "shared"))

SMILES = [
    "CCO", "c1ccccc1", "CC(=O)Nc1ccc(O)cc1", "CC(C)Cc1ccc(C(C)C(=O)O)cc1", "O=C(O)c1ccccc1O",
    "CN1CCC[C@H]1c1cccnc1", "Cc1ccccc1N", "COc1ccc(CC(=O)O)cc1", "CCN(CC)CC", "O=C1CCCCC1",
    "Clc1ccc(Cl)cc1", "CC(=O)OC1=CC=CC=C1C(=O)O", "C1CCNCC1", "N#Cc1ccccc1", "CCOC(=O)c1ccccc1",
    "Brc1ccccc1", "CC1=CC(=O)CC(C)(C)C1", "OCC1OC(O)C(O)C(O)C1O", "c1ccc2[nH]ccc2c1", "CS(=O)(=O)N",
]


@pytest.fixture
def smiles() -> list[str]:
    return list(SMILES)


@pytest.fixture
def moses_train() -> Path:
    p = SHARED / "data" / "moses" / "train.csv.gz"
    if not p.is_file():
        pytest.skip(f"needs {p} (the shared data folder beside the checkout)")
    return p


def scigen_cmd() -> list[str]:
    exe = shutil.which("scigen", path=str(Path(sys.executable).parent))
    return [exe] if exe else [sys.executable, "-m", "sciGen.cli"]


@pytest.fixture
def run_scigen():
    """Run the CLI in a subprocess: returns CompletedProcess with text stdout/stderr."""
    def run(*args: str, cwd: Path | None = None, timeout: int = 600) -> subprocess.CompletedProcess:
        env = dict(os.environ, PYTHONWARNINGS="ignore", COLUMNS="200")
        return subprocess.run(scigen_cmd() + [str(a) for a in args], capture_output=True, text=True,
                              cwd=cwd, timeout=timeout, env=env)
    return run


TINY_CONFIG = """\
domain: molecules
generator: unigenx
data: {{train: {train}, holdout_fraction: 0.1, workers: 1}}
model:
  transformer: {{d_model: 32, n_layers: 1, n_heads: 2, d_ff: 64, max_len: 64}}
  optim: {{lr: 0.003, warmup_steps: 2, decay_steps: 20}}
trainer: {{batch_size: 8, max_steps: {steps}, val_every: 5, val_batches: 1, log_every: 1, accelerator: cpu}}
"""


@pytest.fixture
def tiny_config(tmp_path: Path, smiles: list[str]):
    """Write a training file (with malformed lines) and a tiny config; returns (config, data)."""
    def make(steps: int = 6) -> tuple[Path, Path]:
        data = tmp_path / "train.smi"
        data.write_text("\n".join(smiles * 3 + ["C1CC(", "not a smiles!", "c1cccc1"]) + "\n")
        cfg = tmp_path / "tiny.yaml"
        cfg.write_text(TINY_CONFIG.format(train=data, steps=steps))
        return cfg, data
    return make
