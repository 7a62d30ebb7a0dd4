"""PARD through the CLI: train on a CSV split (bad and inexpressible molecules skipped and counted),
generate with --generator pard, NSPDK with --graph-metrics, and clear refusals of mismatched checkpoints."""
from __future__ import annotations

import json
from pathlib import Path

import torch

from sciGen.train import load_model

CONFIG = """\
domain: molecules
generator: pard
data:
  train: {train}
  holdout_fraction: 0.1
  workers: 1
  options: {{split: train, node_types: {nodes}}}
model: {{max_nodes: 12, d_model: 32, d_edge: 16, n_layers: 1, n_heads: 4, d_ff: 64, diffusion_steps: 4,
         optim: {{warmup_steps: 2, decay_steps: 10}}}}
trainer: {{batch_size: 8, max_steps: 4, val_every: 2, val_batches: 1, log_every: 1, num_workers: 0}}
{extra}
"""


def _setup(tmp_path: Path, smiles: list[str], nodes: str = "[C, N, O, S, Cl]", extra: str = "",
           name: str = "pard.yaml") -> Path:
    rows = ["smiles,split"] + [f"{s},train" for s in smiles * 2] + ["not a smiles,train", "CCCC,val"]
    data = tmp_path / "qm9like.csv"
    data.write_text("\n".join(rows) + "\n")
    cfg = tmp_path / name
    cfg.write_text(CONFIG.format(train=data, nodes=nodes, extra=extra))
    return cfg


def test_pard_train_generate_evaluate(tmp_path: Path, smiles: list[str], run_scigen) -> None:
    cfg = _setup(tmp_path, smiles)
    r = run_scigen("train", cfg, "--output", tmp_path / "run")
    assert r.returncode == 0, r.stderr[-3000:]
    model, adapter = load_model(tmp_path / "run" / "model.pt", domain="molecules")
    # skipped and counted: the bad line (×1), Br (×2), and molecules over 12 heavy atoms
    big = sum(1 for s in smiles if "Br" not in s and _heavy(s) > 12)
    assert model.meta["skipped"] == 1 + 2 + 2 * big
    assert model.meta["skipped_reasons"]["atom type Br is not in the graph vocabulary"] == 2
    assert adapter.graph_vocab.nodes == ["C", "N", "O", "S", "Cl"]
    assert "skipped" in r.stderr
    out = tmp_path / "gen.smi"
    r = run_scigen("generate", "molecules", "--generator", "pard", "--checkpoint", tmp_path / "run" / "model.pt",
                   "-n", "12", "-o", out, "--keep-invalid", "--device", "cpu")
    assert r.returncode == 0, r.stderr[-3000:]
    assert "12 drawn" in r.stderr and len(out.read_text().splitlines()) == 12
    ref = tmp_path / "ref.smi"
    ref.write_text("\n".join(s for s in smiles if "Br" not in s) + "\n")
    r = run_scigen("evaluate", "molecules", ref, "--reference", ref, "--graph-metrics", "--json", tmp_path / "m.json")
    assert r.returncode == 0, r.stderr[-3000:]
    assert json.loads((tmp_path / "m.json").read_text())["NSPDK"] < 1e-9
    r = run_scigen("evaluate", "peptides", ref, "--graph-metrics")
    assert r.returncode == 2 and "--graph-metrics is not available" in r.stderr


def test_mismatched_vocabularies_are_refused(tmp_path: Path, smiles: list[str], run_scigen) -> None:
    cfg = _setup(tmp_path, smiles)
    assert run_scigen("train", cfg, "--output", tmp_path / "a").returncode == 0
    other = _setup(tmp_path, smiles, nodes="[C, N, O]", extra=f"init_from: {tmp_path / 'a' / 'model.pt'}",
                   name="other.yaml")
    r = run_scigen("train", other, "--output", tmp_path / "b")
    assert r.returncode == 2 and "another vocabulary" in r.stderr and "node:Cl" in r.stderr
    assert len(r.stderr.strip().splitlines()[-1]) < 400
    blob = torch.load(tmp_path / "a" / "model.pt", weights_only=True)
    blob["vocab"]["tokens"] = blob["vocab"]["tokens"][:-3]  # drop tokens: sizes no longer match the model
    torch.save(blob, tmp_path / "bad.pt")
    r = run_scigen("generate", "molecules", "--checkpoint", tmp_path / "bad.pt", "-n", "2", "-o", tmp_path / "x.smi")
    assert r.returncode == 2 and "bad.pt" in r.stderr and "node / " in r.stderr
    blob["vocab"]["tokens"] = ["<pad>", "<bos>", "<eos>", "<unk>", "C", "O"]  # a SMILES vocabulary
    torch.save(blob, tmp_path / "smiles.pt")
    r = run_scigen("generate", "molecules", "--checkpoint", tmp_path / "smiles.pt", "-n", "2", "-o", tmp_path / "y.smi")
    assert r.returncode == 2 and "graph" in r.stderr


def _heavy(s: str) -> int:
    from rdkit import Chem

    return Chem.MolFromSmiles(s).GetNumAtoms()
