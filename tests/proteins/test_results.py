from __future__ import annotations

import csv
from pathlib import Path

import pytest

from sciGen.adapter import ReadError
from sciGen.proteins.residues import mz, peptide_mass
from sciGen.proteins.results import (PSM_COLUMNS, mztab_header, mztab_row, read_mztab, write_csv,
                                     write_mztab)
from sciGen.proteins.spectrum import Prediction




def predictions(tmp_path: Path, spectra) -> tuple[list[Prediction], list[str]]:
    runs = [str(tmp_path / "a.mgf"), str(tmp_path / "b b.mgf")]
    sa, sb = spectra(3, runs[0]), spectra(2, runs[1])
    preds = [Prediction(sa[0], "PEPC[Carbamidomethyl]IDEK", 0.93, [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2]),
             Prediction(sb[1], "[Acetyl]-M[Oxidation]KR", -0.25, [0.123456, 0.5, 0.75]),
             Prediction(sa[2], "", 0.0, []),  # no prediction: not written
             Prediction(sa[1], "LESLIEK", 0.5, [0.5] * 7)]
    return preds, runs


def test_mztab_roundtrip(tmp_path: Path, make_spectra) -> None:
    preds, runs = predictions(tmp_path, make_spectra)
    out = tmp_path / "out.mztab"
    assert write_mztab(preds, out, ms_runs=runs) == 3
    text = out.read_text()
    for line in ("MTD\tmzTab-version\t1.0.0", "MTD\tmzTab-mode\tSummary", "MTD\tmzTab-type\tIdentification",
                 "MTD\tpsm_search_engine_score[1]\t[MS, MS:1001143, search engine specific score for PSMs, ]",
                 f"MTD\tms_run[2]-location\t{Path(runs[1]).as_uri()}",
                 "MTD\tvariable_mod[1]\t[UNIMOD, UNIMOD:4, Carbamidomethyl, ]"):
        assert line in text
    assert "\t".join(("PSH",) + PSM_COLUMNS) in text
    rows = read_mztab(out)
    assert [r["PSM_ID"] for r in rows] == ["0", "1", "2"]
    assert [(r["file"], r["index"]) for r in rows] == [(runs[0], 0), (runs[1], 1), (runs[0], 1)]
    assert [r["spectra_ref"] for r in rows] == ["ms_run[1]:index=0", "ms_run[2]:index=1", "ms_run[1]:index=1"]
    assert [r["sequence"] for r in rows] == ["PEPC[Carbamidomethyl]IDEK", "[Acetyl]-M[Oxidation]KR", "LESLIEK"]
    assert [r["score"] for r in rows] == [0.93, -0.25, 0.5]
    assert rows[1]["aa_scores"] == [0.12346, 0.5, 0.75] and rows[1]["charge"] == 3
    assert rows[0]["modifications"] == "4-UNIMOD:4" and rows[1]["modifications"] == "0-UNIMOD:1,1-UNIMOD:35"
    assert rows[0]["calc_mass_to_charge"] == pytest.approx(mz(peptide_mass("PEPC[Carbamidomethyl]IDEK"), 2))
    assert rows[2]["charge"] == 3 and rows[2]["exp_mass_to_charge"] == preds[3].spectrum.precursor_mz
    assert rows[2]["retention_time"] == preds[3].spectrum.rt


def test_mztab_streaming_equals_whole_file(tmp_path: Path, make_spectra) -> None:
    preds, runs = predictions(tmp_path, make_spectra)
    streamed = tmp_path / "s.mztab"
    with open(streamed, "w") as fh:
        fh.write(mztab_header(runs))
        for k, p in enumerate(p for p in preds if p.peptide):
            fh.write(mztab_row(k, p, runs))
    write_mztab(preds, tmp_path / "w.mztab", ms_runs=runs)
    assert streamed.read_text() == (tmp_path / "w.mztab").read_text()
    with pytest.raises(ValueError, match="not one of the mzTab ms_runs"):
        mztab_row(0, preds[0], runs[1:])


def test_mztab_unknown_charge_and_bad_peptide(tmp_path: Path, make_spectra) -> None:
    s = make_spectra(3, str(tmp_path / "a.mgf"))[2]  # charge 0
    row = mztab_row(0, Prediction(s, "PEPXZ", 0.1, [0.1]), [s.file]).rstrip("\n").split("\t")
    r = dict(zip(PSM_COLUMNS, row[1:]))
    assert r["charge"] == "null" and r["calc_mass_to_charge"] == "null" and r["modifications"] == "null"
    with pytest.raises(ReadError):
        read_mztab(tmp_path / "none.mztab")


def test_csv(tmp_path: Path, make_spectra) -> None:
    preds, _ = predictions(tmp_path, make_spectra)
    assert write_csv(preds, tmp_path / "p.csv") == 4
    rows = list(csv.DictReader(open(tmp_path / "p.csv")))
    assert list(rows[0]) == ["file", "index", "scan", "peptide", "score", "charge", "precursor_mz", "aa_scores"]
    assert rows[1]["peptide"] == "[Acetyl]-M[Oxidation]KR" and rows[1]["aa_scores"] == "0.12346,0.50000,0.75000"
    assert rows[0]["index"] == "0" and float(rows[0]["score"]) == 0.93
