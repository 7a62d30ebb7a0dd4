from __future__ import annotations

import pytest

from sciGen.proteins.residues import (ISOTOPE_SPACING, MODIFIED_RESIDUES, N_TERM_MODS, RESIDUE_MASS,
                                      RESIDUE_TOKENS, PeptideError, detokenize, mass_error_ppm,
                                      matches_precursor, mz, neutral_from_mz, peptide_mass, tokenize)

EVERY_MOD = [f"{nterm}{mod}PEPTLDEK" for nterm in N_TERM_MODS for mod in MODIFIED_RESIDUES]


@pytest.mark.parametrize("peptide", ["PEPTLDEK", *EVERY_MOD,
                                     "C[Carbamidomethyl]M[Oxidation]N[Deamidated]Q[Deamidated]K"])
def test_tokenize_detokenize_roundtrip(peptide: str) -> None:
    toks = tokenize(peptide)
    assert detokenize(toks) == peptide and all(t in RESIDUE_MASS for t in toks)
    assert tokenize(detokenize(toks)) == toks


def test_vocabulary() -> None:
    assert len(RESIDUE_TOKENS) == 20 + len(MODIFIED_RESIDUES) + len(N_TERM_MODS)
    assert tokenize("[Acetyl]-C[Carbamidomethyl]PEK") == ["[Acetyl]-", "C[Carbamidomethyl]", "P", "E", "K"]


def test_unimod_and_alias_spellings() -> None:
    assert tokenize("PEC[UNIMOD:4]K") == ["P", "E", "C[Carbamidomethyl]", "K"]
    assert tokenize("M[UNIMOD:35]N[UNIMOD:7]K") == ["M[Oxidation]", "N[Deamidated]", "K"]
    assert tokenize("[UNIMOD:1]-PEK")[0] == "[Acetyl]-"
    assert tokenize("[Gln->pyro-Glu]-QPEK") == ["[Ammonia-loss]-", "Q", "P", "E", "K"]
    assert tokenize("[Acetyl]PEK") == ["[Acetyl]-", "P", "E", "K"]  # dash optional
    assert peptide_mass("PEC[UNIMOD:4]K") == pytest.approx(peptide_mass("PEC[Carbamidomethyl]K"), abs=1e-9)


@pytest.mark.parametrize("peptide,reason", [("PEPXK", "'X'"), ("PEM[Phospho]K", "Phospho"),
                                            ("PEC[UNIMOD:21]K", "UNIMOD:21"), ("PE[Acetyl]-PK", "cannot parse"),
                                            ("[Acetyl]-[Carbamyl]-PK", "N-terminal"), ("pepk", "cannot parse"),
                                            ("", "cannot parse")])
def test_bad_peptide_raises_with_name(peptide: str, reason: str) -> None:
    with pytest.raises(PeptideError, match=reason) as e:
        tokenize(peptide)
    assert repr(peptide) in str(e.value) and isinstance(e.value, ValueError)


def test_peptide_mass_by_hand() -> None:
    # IAHYNKR: monoisotopic residue masses + water, charge 2 (the real file says PEPMASS=451.25348)
    hand = {"I": 113.08406, "A": 71.03711, "H": 137.05891, "Y": 163.06333, "N": 114.04293,
            "K": 128.09496, "R": 156.10111}
    neutral = sum(hand[c] for c in "IAHYNKR") + 18.010565
    assert peptide_mass("IAHYNKR") == pytest.approx(neutral, abs=1e-3)
    assert mz(peptide_mass("IAHYNKR"), 2) == pytest.approx(451.2538, abs=1e-3)
    assert peptide_mass(tokenize("IAHYNKR")) == peptide_mass("IAHYNKR")
    # modification deltas (Unimod monoisotopic)
    assert peptide_mass("C[Carbamidomethyl]K") - peptide_mass("CK") == pytest.approx(57.02146, abs=1e-4)
    assert peptide_mass("M[Oxidation]K") - peptide_mass("MK") == pytest.approx(15.99491, abs=1e-4)
    assert peptide_mass("N[Deamidated]K") - peptide_mass("NK") == pytest.approx(0.98402, abs=1e-4)
    assert peptide_mass("[Acetyl]-PK") - peptide_mass("PK") == pytest.approx(42.01057, abs=1e-4)
    assert peptide_mass("[Carbamyl]-PK") - peptide_mass("PK") == pytest.approx(43.00581, abs=1e-4)
    assert peptide_mass("[Ammonia-loss]-QK") - peptide_mass("QK") == pytest.approx(-17.02655, abs=1e-4)


def test_mz_neutral_roundtrip() -> None:
    m = peptide_mass("PEPTLDEK")
    for z in (1, 2, 3):
        assert neutral_from_mz(mz(m, z), z) == pytest.approx(m, abs=1e-9)


def test_matches_precursor_isotope() -> None:
    m = peptide_mass("IAHYNKR")
    assert matches_precursor(m, 451.25348, 2, 20, (0,))
    heavy = mz(m + ISOTOPE_SPACING, 2)  # monoisotopic peak mis-picked one 13C too high
    assert not matches_precursor(m, heavy, 2, 50, (0,))
    assert matches_precursor(m, heavy, 2, 50, (0, 1))
    assert abs(mass_error_ppm(m, heavy, 2, isotope=1)) < 1e-6
    assert not matches_precursor(m, mz(m + 2 * ISOTOPE_SPACING, 2), 2, 50, (0, 1))
    shifted = mz(m * (1 + 30e-6), 2)
    assert matches_precursor(m, shifted, 2, 50, (0,)) and not matches_precursor(m, shifted, 2, 20, (0,))
    assert mass_error_ppm(m, shifted, 2) == pytest.approx(-30 / 1.00003, abs=1e-3)
