from __future__ import annotations

from pathlib import Path

import pytest
import torch
from rdkit import Chem

from sciGen.adapter import BadRecord, DecodeError
from sciGen.data import Sequence, Vocab
from sciGen.molecules import MoleculesAdapter


def test_encode_decode_roundtrip(smiles: list[str]) -> None:
    a = MoleculesAdapter()
    recs = [a.training_record(Chem.MolFromSmiles(s)) for s in smiles]
    a.vocab = Vocab.build(r.tokens for r in recs)
    for s in smiles:
        mol = Chem.MolFromSmiles(s)
        seq = a.encode(mol)
        assert isinstance(seq, Sequence) and seq.tokens.dtype == torch.long
        assert Chem.MolToSmiles(a.decode(seq)) == Chem.MolToSmiles(mol)


def test_decode_reports_invalid_text() -> None:
    a = MoleculesAdapter(Vocab.build([["C", "1", "(", ")", "O"]]))
    with pytest.raises(DecodeError) as e:
        a.decode(Sequence(torch.tensor(a.vocab.encode(["C", "1", "C", "("]))))
    assert e.value.text == "C1C("
    with pytest.raises(DecodeError, match="valence|Explicit"):
        a.decode(Sequence(torch.tensor(a.vocab.encode(["C", "(", "C", ")", "(", "C", ")", "(", "C", ")", "(", "C",
                                                       ")", "C"]))))


def test_validate_gives_reasons() -> None:
    a = MoleculesAdapter()
    assert a.validate("CCO").ok
    v = a.validate("C(C)(C)(C)(C)C")
    assert not v.ok and "valence" in v.reasons[0].lower()
    assert a.validate(Chem.MolFromSmiles("c1ccccc1")).ok


def test_training_records_in_parallel_match_serial(tmp_path: Path, smiles: list[str]) -> None:
    p = tmp_path / "big.smi"
    p.write_text("\n".join(smiles * 1100 + ["C1CC("]) + "\n")  # > 20k lines → worker pool
    e1: list[BadRecord] = []
    e2: list[BadRecord] = []
    serial = MoleculesAdapter().training_records(p, e1, workers=1)
    parallel = MoleculesAdapter().training_records(p, e2, workers=2)
    assert [r.tokens for r in serial] == [r.tokens for r in parallel]
    assert len(serial) == len(smiles) * 1100 and len(e1) == len(e2) == 1
