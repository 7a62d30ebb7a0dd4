"""UniGenX-3D through the CLI: train on a CSV of SMILES + coordinates (bad rows skipped and counted), 3D de novo
to SDF, conformers from a condition file (bad lines reported, the rest goes on), and both evaluate tasks."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from rdkit import Chem

from sciGen.train import load_model

from ._geom import QM9_LIKE, embedded

CONFIG = """\
domain: molecules
generator: unigenx-3d
data:
  train: {train}
  holdout_fraction: 0.1
  workers: 1
  options: {{coords: true, split: train}}
model:
  transformer: {{d_model: 32, n_layers: 1, n_heads: 4, d_ff: 64, max_len: 40}}
  diffusion: {{width: 32, depth: 1, train_steps: 50, sample_steps: 5, batch_mul: 1}}
  optim: {{warmup_steps: 2, decay_steps: 10}}
trainer: {{batch_size: 8, max_steps: 4, val_every: 2, val_batches: 1, log_every: 1, num_workers: 0}}
"""


def _row(smi: str, mol: Chem.Mol) -> str:
    el = " ".join(a.GetSymbol() for a in mol.GetAtoms())
    xyz = " ".join(f"{v:.5f}" for v in mol.GetConformer().GetPositions().ravel())
    return f"{smi},{el},{xyz},train"


def test_unigenx3d_train_generate_evaluate(tmp_path: Path, run_scigen) -> None:
    rows = ["smiles,elements,xyz_ang,split"]
    for seed in range(3):
        rows += [_row(s, embedded(s, seed)) for s in QM9_LIKE]
    wrong = embedded("CCO")
    rows.append(_row("COC", wrong))  # a geometry of another molecule: skipped
    rows.append(_row("CCCC", embedded("CCCC")).replace(",train", ",val"))  # another split: not read
    data = tmp_path / "qm9like.csv"
    data.write_text("\n".join(rows) + "\n")
    cfg = tmp_path / "u3d.yaml"
    cfg.write_text(CONFIG.format(train=data))
    r = run_scigen("train", cfg, "--output", tmp_path / "run")
    assert r.returncode == 0, r.stderr[-3000:]
    ckpt = tmp_path / "run" / "model.pt"
    model, adapter = load_model(ckpt, domain="molecules")
    assert model.meta["skipped"] == 1 and adapter.conformer is not None
    assert set(adapter.vocab.numbers) == {"<xyz:C>", "<xyz:H>", "<xyz:N>", "<xyz:O>", "<xyz:F>"}
    model.meta = {"sampling": {"value_temperature": 0.3}, "sampling_conformers": {"value_temperature": 0.5}}
    kn = adapter.sampling_knobs(model, {"condition": adapter.condition_id("CC(=O)O")})
    assert "template" in kn and kn["value_temperature"] == 0.5  # a conformer task: its own measured setting
    kn = adapter.sampling_knobs(model, {"condition": adapter.condition_id("CC(=O)O"), "value_temperature": 0.2})
    assert kn["value_temperature"] == 0.2  # the user's knob wins
    assert "value_temperature" not in adapter.sampling_knobs(model, {})  # de novo: meta["sampling"] applies later

    out = tmp_path / "denovo.sdf"
    r = run_scigen("generate", "molecules", "--generator", "unigenx-3d", "--checkpoint", ckpt, "-n", "6", "-o", out,
                   "--keep-invalid", "--device", "cpu")
    assert r.returncode == 0, r.stderr[-3000:]
    assert "6 drawn" in r.stderr
    written = list(Chem.SDMolSupplier(str(out), removeHs=False, sanitize=False)) if out.stat().st_size else []
    assert all(m is not None and m.GetConformer().Is3D() for m in written)  # undecoded draws are left out
    r = run_scigen("evaluate", "molecules", out, "--task", "3d", "--json", tmp_path / "d.json")
    assert r.returncode == 0, r.stderr[-3000:]
    m = json.loads((tmp_path / "d.json").read_text())
    assert {"atom_stable", "mol_stable", "valid", "unique"} <= set(m)

    conds = tmp_path / "smiles.txt"
    conds.write_text("CC(=O)O\nnot a smiles\nC[Si](C)(C)C\nOCC#N\n")
    confs = tmp_path / "confs.sdf"
    r = run_scigen("generate", "molecules", "--generator", "unigenx-3d", "--checkpoint", ckpt, "--condition-file",
                   conds, "-n", "3", "-o", confs, "--keep-invalid", "--device", "cpu")
    assert r.returncode == 0, r.stderr[-3000:]
    assert "line 2" in r.stderr and "unparsable SMILES" in r.stderr
    assert "line 3" in r.stderr and "Si not in this checkpoint" in r.stderr
    got = [m for m in Chem.SDMolSupplier(str(confs), removeHs=False, sanitize=False)]
    assert [m.GetProp("_Name") for m in got] == [f"{L:06d}_{k}" for L in (0, 3) for k in range(3)]
    assert all(m.GetNumAtoms() == 8 for m in got[:3])  # acetic acid with its hydrogens
    xyz = got[0].GetConformer().GetPositions()
    assert np.isfinite(xyz).all() and np.ptp(xyz) > 0

    ref = tmp_path / "ref.sdf"
    w = Chem.SDWriter(str(ref))
    for s in ["CC(=O)O", "CCO", "CC", "OCC#N"]:  # reference L matches line L of the condition file
        w.write(embedded(s))
    w.close()
    r = run_scigen("evaluate", "molecules", confs, "--reference", ref, "--task", "conformers", "--baseline", "etkdg",
                   "--json", tmp_path / "c.json")
    assert r.returncode == 0, r.stderr[-3000:]
    c = json.loads((tmp_path / "c.json").read_text())
    for key in ("cov_r", "mat_r", "cov_p", "mat_p", "median_rmsd"):
        assert key in c and f"etkdg_{key}" in c and f"etkdg_mmff_{key}" in c
    assert c["n_missing"] == 2 and c["n_generated"] == 6  # molecules 1 and 2 had no conformers

    r = run_scigen("generate", "molecules", "--generator", "unigenx-3d", "--checkpoint", ckpt, "--condition", "C1CC",
                   "-o", tmp_path / "x.sdf")
    assert r.returncode == 2 and "unparsable SMILES" in r.stderr
    r = run_scigen("evaluate", "molecules", out, "--task", "3d", "--baseline", "etkdg")
    assert r.returncode == 2 and "--baseline needs --task conformers" in r.stderr


def test_augment_writes_random_orders_under_the_canonical_key(tmp_path: Path) -> None:
    from sciGen.adapter import ReadError
    from sciGen.molecules.adapter import MoleculesAdapter

    data = tmp_path / "qm9like.csv"
    data.write_text("\n".join(["smiles,elements,xyz_ang,split"] + [_row(s, embedded(s)) for s in QM9_LIKE]) + "\n")
    one = MoleculesAdapter().training_records(data, coords=True, split="train")
    four = MoleculesAdapter().training_records(data, coords=True, split="train", augment=4)
    assert len(four) == 4 * len(one) == 4 * len(QM9_LIKE)
    for i, rec in enumerate(one):
        group = four[4 * i:4 * i + 4]
        assert {r.key for r in group} == {rec.key}  # one hold-out side for all orders of a molecule
        assert group[0].tokens == rec.tokens and np.allclose(group[0].values, rec.values, equal_nan=True)
        n_slots = [sum(t.startswith("<xyz:") for t in r.tokens) for r in group]
        assert len(set(n_slots)) == 1
    assert MoleculesAdapter().training_records(data, coords=True, split="train", augment=4)[5].tokens == four[5].tokens
    with pytest.raises(ReadError, match="augment"):
        MoleculesAdapter().training_records(data, augment=2)
