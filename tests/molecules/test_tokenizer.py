from __future__ import annotations

import pytest

from sciGen.molecules.tokenizer import SmilesTokenizer, TokenizeError


def test_bracket_atoms_and_halogens_stay_whole() -> None:
    t = SmilesTokenizer()
    assert t.encode("C[C@@H](Cl)c1cc[nH]c1Br") == ["C", "[C@@H]", "(", "Cl", ")", "c", "1", "c", "c", "[nH]",
                                                     "c", "1", "Br"]
    assert t.encode("C%12CC%12") == ["C", "%12", "C", "C", "%12"]
    assert t.encode("[NH3+]CC(=O)[O-]")[0] == "[NH3+]"


def test_roundtrip(smiles: list[str]) -> None:
    t = SmilesTokenizer()
    for s in smiles:
        assert t.decode(t.encode(s)) == s


def test_rejects_non_smiles_characters() -> None:
    with pytest.raises(TokenizeError, match="position 2"):
        SmilesTokenizer().encode("CC&C")
