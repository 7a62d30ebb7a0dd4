"""Quality floor of the shipped molecules checkpoint (the full 10k evaluation is in its model card)."""
from __future__ import annotations

import torch
from rdkit import Chem

import sciGen
from sciGen.api import load, sample_structures
from sciGen.registry import default_checkpoint


def test_card_sits_beside_checkpoint() -> None:
    p = default_checkpoint("molecules")
    assert p.is_file() and p.stat().st_size < 12e6
    card = p.with_suffix(".md").read_text()
    for word in ("scigen train", "steps", "wall", "FCD", "valid"):
        assert word in card


def test_shipped_model_quality_floor() -> None:
    model, adapter = load("molecules", "unigenx", device="cpu")
    res = sample_structures(model, adapter, 400, seed=0, batch_size=200)
    smiles = [Chem.MolToSmiles(m) for m in res.structures]
    assert res.n_drawn == 400
    assert len(smiles) / 400 >= 0.95            # valid
    assert len(set(smiles)) / len(smiles) >= 0.98  # unique
    assert all(invalid.text for invalid in res.invalid)


def test_python_api() -> None:
    out = sciGen.generate("molecules", n=20, as_smiles=True, seed=3, device="cpu")
    assert len(out) >= 18 and all(Chem.MolFromSmiles(s) for s in out)
    mols = sciGen.generate("molecules", n=5, seed=3, device="cpu")
    assert all(isinstance(m, Chem.Mol) for m in mols)
    a = sciGen.generate("molecules", n=8, as_smiles=True, seed=7, device="cpu")
    assert a == sciGen.generate("molecules", n=8, as_smiles=True, seed=7, device="cpu")  # seeded
    assert torch.get_num_threads() >= 1
