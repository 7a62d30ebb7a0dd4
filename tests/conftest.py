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
    """Run the CLI: returns a CompletedProcess with text stdout/stderr.

    In this process by default (``typer``'s CliRunner: torch and Lightning are imported once for the whole
    suite instead of once per call); ``process=True`` runs the installed ``scigen`` command in a subprocess,
    for the entry point itself and for commands that start processes of their own (DDP re-runs ``sys.argv``);
    ``timeout`` applies to those.
    An exception the CLI does not turn into a one-line error lands on stderr as a traceback, as it would in
    a process, so ``"Traceback" not in r.stderr`` means the same either way."""
    def run(*args: str, cwd: Path | None = None, timeout: int = 600,
            process: bool = False) -> subprocess.CompletedProcess:
        argv = [str(a) for a in args]
        if process:
            env = dict(os.environ, PYTHONWARNINGS="ignore", COLUMNS="200")
            return subprocess.run(scigen_cmd() + argv, capture_output=True, text=True, cwd=cwd, timeout=timeout,
                                  env=env)
        return run_cli(argv, cwd)
    return run


def run_cli(argv: list, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """``scigen *argv`` in this process (see ``run_scigen``); usable from module-scoped fixtures."""
    import traceback
    import warnings

    from typer.testing import CliRunner

    from sciGen.cli import app

    argv = [str(a) for a in argv]
    here = os.getcwd()
    try:
        if cwd is not None:
            os.chdir(cwd)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = CliRunner().invoke(app, argv, env={"COLUMNS": "200"})
    finally:
        os.chdir(here)
    stderr = r.stderr
    if r.exception is not None and not isinstance(r.exception, SystemExit):
        stderr += "".join(traceback.format_exception(r.exception))
    return subprocess.CompletedProcess(["scigen", *argv], r.exit_code, r.stdout, stderr)


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
