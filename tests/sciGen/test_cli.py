"""The scigen command: errors are one line, generate → evaluate works on the shipped checkpoint."""
from __future__ import annotations

import json
from pathlib import Path

from rdkit import Chem


def test_unknown_domain_is_one_line_error(run_scigen, tmp_path: Path) -> None:
    r = run_scigen("generate", "polymers", "-n", "2", "-o", tmp_path / "x.smi", process=True)
    assert r.returncode != 0
    assert "unknown domain 'polymers'" in r.stderr and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_missing_files_are_one_line_errors(run_scigen, tmp_path: Path) -> None:
    r = run_scigen("evaluate", "molecules", tmp_path / "none.smi", "--reference", tmp_path / "ref.smi")
    assert r.returncode != 0 and "none.smi: file not found" in r.stderr and "Traceback" not in r.stderr
    r = run_scigen("train", tmp_path / "missing.yaml")
    assert r.returncode != 0 and "config file not found" in r.stderr and "Traceback" not in r.stderr
    r = run_scigen("generate", "molecules", "--checkpoint", tmp_path / "no.pt", "-o", tmp_path / "x.smi")
    assert r.returncode != 0 and "checkpoint not found" in r.stderr and "Traceback" not in r.stderr


def test_info_lists_shipped_checkpoint(run_scigen) -> None:
    r = run_scigen("info", process=True)  # the installed entry point
    assert r.returncode == 0 and "molecules" in r.stdout and "unigenx" in r.stdout and "missing" not in r.stdout


def test_generate_then_evaluate(run_scigen, tmp_path: Path, smiles: list[str]) -> None:
    out, png = tmp_path / "out.smi", tmp_path / "grid.png"
    r = run_scigen("generate", "molecules", "-n", "64", "-o", out, "--seed", "1", "--preview", png)
    assert r.returncode == 0, r.stderr[-2000:]
    lines = out.read_text().splitlines()
    assert "64 drawn" in r.stderr and len(lines) >= 55
    assert all(Chem.MolFromSmiles(s) is not None for s in lines)
    assert png.read_bytes()[:4] == b"\x89PNG"
    # garbage lines in the scored file count as invalid, never dropped
    gen = tmp_path / "gen.smi"
    gen.write_text("\n".join(lines[:40] + ["garbage(", "C1CC", "xx"]) + "\n")
    ref = tmp_path / "ref.smi"
    ref.write_text("\n".join(smiles) + "\n")
    r = run_scigen("evaluate", "molecules", gen, "--reference", ref, "--train", ref, "--json", tmp_path / "m.json")
    assert r.returncode == 0, r.stderr[-2000:]
    m = json.loads((tmp_path / "m.json").read_text())
    assert abs(m["valid"] - 40 / 43) < 1e-9
    assert set(m) == {"valid", "unique@1000", "unique@10000", "novelty", "FCD", "SNN", "Frag", "Scaf", "IntDiv",
                      "IntDiv2", "Filters"}
    assert "3 invalid" in r.stderr


def test_keep_invalid_and_sdf(run_scigen, tmp_path: Path) -> None:
    r = run_scigen("generate", "molecules", "-n", "16", "-o", tmp_path / "o.sdf", "--temperature", "1.6",
                   "--keep-invalid")
    assert r.returncode == 0, r.stderr[-2000:]
    mols = [m for m in Chem.SDMolSupplier(str(tmp_path / "o.sdf")) if m is not None]
    assert mols and all(m.GetConformer().Is3D() for m in mols)


def test_tokens_and_paths_in_brackets_print_verbatim(tmp_path: Path, monkeypatch) -> None:
    """Bracket atoms are tokens, not rich markup; a file name with brackets is named as it is; data lines never
    wrap at the terminal width."""
    from typer.testing import CliRunner

    from sciGen.cli import app

    monkeypatch.setenv("COLUMNS", "20")
    smi = tmp_path / "a[b].smi"
    smi.write_text("c1cc[nH]c1\nC[C@@H](N)C(=O)OCCCCCCCCCCCCCCCCCCCC\n")
    r = CliRunner().invoke(app, ["tokenize", "molecules", str(smi)])
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    assert len(lines) == 2 and "[nH]" in lines[0].split() and "[C@@H]" in lines[1].split()
    r = CliRunner().invoke(app, ["evaluate", "molecules", str(tmp_path / "x[1].smi"), "--reference", str(smi)])
    assert r.exit_code == 2 and "x[1].smi: file not found" in r.stderr
