from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sciGen.proteins.metrics import (aa_match, peptide_metrics, plot_precision_coverage, precision_coverage,
                                     residue_masses)


def test_identical_peptide() -> None:
    match, pep = aa_match("PEPC[Carbamidomethyl]IDEK", "PEPC[Carbamidomethyl]IDEK")
    assert match.tolist() == [True] * 8 and pep
    m = peptide_metrics([("PEPTIDEK", "PEPTIDEK")])
    assert m["aa_precision"] == m["aa_recall"] == m["peptide_recall"] == m["peptide_precision"] == 1.0


def test_i_equals_l() -> None:
    match, pep = aa_match("PEPTLDEK", "PEPTIDEK")
    assert match.all() and pep
    assert residue_masses("LIVE")[0] == ["L", "L", "V", "E"]


def test_swapped_residues_realign() -> None:
    # P+E == E+P: cumulative masses agree again after the swap, the first two residues do not match
    match, pep = aa_match("PEPTIDEK", "EPPTIDEK")
    assert match.tolist() == [False, False] + [True] * 6 and not pep
    m = peptide_metrics([("PEPTIDEK", "EPPTIDEK")])
    assert m["aa_precision"] == m["aa_recall"] == pytest.approx(6 / 8) and m["peptide_recall"] == 0.0


def test_suffix_walk_after_a_mass_gap() -> None:
    # an extra residue at the front shifts every prefix; the suffix walk still aligns the tail
    match, pep = aa_match("GPEPTIDEK", "PEPTIDEK")
    assert match.tolist() == [False] + [True] * 8 and not pep
    # an N-terminal modification is folded into the first residue: only that residue misses
    match, _ = aa_match("[Acetyl]-PEPTIDEK", "PEPTIDEK")
    assert match.tolist() == [False] + [True] * 7
    # N (114.043) has the mass of G+G: masses realign but the residue does not match
    match, _ = aa_match("NPEPTIDEK", "GGPEPTIDEK")
    assert match.tolist() == [False] + [True] * 8


def test_wrong_and_longer_predictions() -> None:
    match, pep = aa_match("GGGG", "WWW")
    assert not match.any() and not pep
    assert peptide_metrics([("GGGG", "WWW")])["aa_precision"] == 0.0
    match, pep = aa_match("PEPTIDEKA", "PEPTIDEK")  # every true residue found, one extra: not the peptide
    assert match.sum() == 8 and not pep


def test_empty_and_unparsable_predictions() -> None:
    m = peptide_metrics([("PEPTIDEK", "PEPTIDEK"), (None, "PEPTIDEK"), ("", "AAAA"), ("PEPXZ!", "PEPK")])
    assert m["n_spectra"] == 4 and m["n_predicted"] == 2
    assert m["aa_recall"] == pytest.approx(8 / (8 + 8 + 4 + 4))  # no prediction still counts its residues
    assert m["aa_precision"] == pytest.approx(8 / (8 + 5))  # the unparsable one: 5 residues, none right
    assert m["peptide_recall"] == 0.25 and m["peptide_precision"] == 0.5
    bad = peptide_metrics([("PEPTIDEK", "PEPTIDEK"), ("QAA", "[Phospho]-QAA")])
    assert bad["n_bad_labels"] == 1 and bad["n_spectra"] == 1 and bad["peptide_recall"] == 1.0


def test_precision_coverage(tmp_path: Path) -> None:
    preds = [("PEPTIDEK", 0.9), ("AAAA", 0.95), (None, 0.0), ("GGK", 0.1), ("LESLIEK", 0.5)]
    truths = ["PEPTIDEK", "GGGG", "KK", "GGK", "LESIIEK"]
    cov, prec, auc = precision_coverage(preds, truths)
    # ranked: AAAA (wrong), PEPTIDEK, LESLIEK (I=L), GGK
    np.testing.assert_allclose(cov, [0.2, 0.4, 0.6, 0.8])
    np.testing.assert_allclose(prec, [0.0, 0.5, 2 / 3, 0.75])
    assert 0.0 < auc < 0.8
    perfect = precision_coverage([("PEPTIDEK", 1.0), ("GGK", 0.5)], ["PEPTIDEK", "GGK"])
    assert perfect[2] == pytest.approx(1.0)
    assert precision_coverage([(None, 0.0)], ["PEPK"])[2] == 0.0
    with pytest.raises(ValueError):
        precision_coverage(preds, truths[:2])
    png = tmp_path / "pc.png"
    plot_precision_coverage({"a": (cov, prec, auc), "perfect": perfect}, png)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and not list(tmp_path.glob(".tmp-*"))
