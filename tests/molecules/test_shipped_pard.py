"""The shipped PARD checkpoint (QM9): card, size, quality floor (the 10k evaluation is in its card)."""
from __future__ import annotations

import torch
from rdkit import Chem

import sciGen
from sciGen.api import load, sample_structures
from sciGen.registry import default_checkpoint, named_checkpoint


def test_card_sits_beside_checkpoint() -> None:
    p = default_checkpoint("molecules", "pard")
    assert p == named_checkpoint("molecules", "qm9")
    assert p.is_file() and p.stat().st_size < 10e6
    card = p.with_suffix(".md").read_text()
    for word in ("scigen train", "steps", "wall", "FCD", "NSPDK", "valid", "NFE"):
        assert word in card


def test_shipped_pard_quality_floor() -> None:
    model, adapter = load("molecules", "pard", device="cpu")
    assert model.cfg.max_nodes == 9 and adapter.graph_vocab.kekulize
    # 50 draws (about a minute on 2 CPU cores); the card measures valid 0.942, unique 0.966 on 10,000, so a
    # floor of 0.80 sits four standard errors of 50 draws below it
    res = sample_structures(model, adapter, 50, seed=0, batch_size=50)
    smiles = [Chem.MolToSmiles(m) for m in res.structures]
    assert res.n_drawn == 50
    assert len(smiles) / 50 >= 0.80             # valid: sanitizes with no correction, one molecule
    assert len(set(smiles)) / len(smiles) >= 0.95  # unique
    assert all(m.GetNumAtoms() <= 9 for m in res.structures)
    assert all(e.reason for e in res.invalid)


def test_python_api_names_the_generator() -> None:
    a = sciGen.generate("molecules", n=6, checkpoint="qm9", as_smiles=True, seed=2, device="cpu")
    model, _ = sciGen.load("molecules", "pard", device="cpu")
    assert type(model).__name__ == "PARD" and all(Chem.MolFromSmiles(s) for s in a)
    assert torch.get_num_threads() >= 1
