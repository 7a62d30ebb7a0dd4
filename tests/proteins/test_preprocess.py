from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sciGen.proteins.formats import read_mgf
from sciGen.proteins.preprocess import SkipSpectrum, precursor_mzs, preprocess, try_preprocess
from sciGen.proteins.residues import PROTON
from sciGen.proteins.spectrum import Spectrum

DATA = Path(__file__).parent / "data"


def spectrum(n: int = 300, charge: int = 2, pmz: float = 800.0, seed: int = 0) -> Spectrum:
    rng = np.random.default_rng(seed)
    mz = rng.uniform(10.0, 3000.0, n)
    return Spectrum(mz, rng.uniform(1.0, 1000.0, n), pmz, charge, file="x.mgf", index=7, scan="s7",
                    peptide="PEPTIDEK", rt=3.0)


def test_steps_match_casanovo() -> None:
    s = spectrum()
    out = preprocess(s)
    assert out is not s and out.mz.size == 150 and out.intensity.dtype == np.float32
    assert np.all(np.diff(out.mz) >= 0) and out.mz.min() >= 50.0 and out.mz.max() <= 2500.0
    assert np.linalg.norm(out.intensity) == pytest.approx(1.0, abs=1e-6)  # √ then unit L2 norm
    assert all(np.abs(out.mz - p).min() > 2.0 for p in precursor_mzs(800.0, 2))
    # the kept peaks are the 150 most intense of those in range and away from the precursor
    keep = (s.mz >= 50) & (s.mz <= 2500) & (np.abs(s.mz - 800.0) > 2) & \
        (np.abs(s.mz - ((800.0 - PROTON) * 2 + PROTON)) > 2)
    top = np.sort(s.mz[keep][np.argsort(-s.intensity[keep])[:150]])
    np.testing.assert_array_equal(out.mz, top)
    expect = np.sqrt(s.intensity[np.isin(s.mz, top)][np.argsort(s.mz[np.isin(s.mz, top)])])
    np.testing.assert_allclose(out.intensity, expect / np.linalg.norm(expect), rtol=1e-6)
    assert (out.file, out.index, out.scan, out.peptide, out.rt, out.charge) == ("x.mgf", 7, "s7", "PEPTIDEK", 3.0, 2)
    assert s.mz.size == 300  # the input is untouched


def test_max_norm_and_min_intensity() -> None:
    s = Spectrum(np.arange(100.0, 130.0), np.r_[np.full(29, 100.0), 0.5], 1000.0, 2)
    out = preprocess(s, norm="max")
    assert out.mz.size == 29 and out.intensity.max() == pytest.approx(1.0)  # 0.5 < 1% of the base peak


def test_precursor_removed_at_every_charge() -> None:
    neutral = (500.0 - PROTON) * 3
    assert precursor_mzs(500.0, 3) == pytest.approx([500.0, neutral / 2 + PROTON, neutral + PROTON])
    mz = np.r_[np.arange(100.0, 125.0), 500.5, (500.0 - PROTON) * 1.5 + PROTON + 1.0]
    out = preprocess(Spectrum(mz, np.ones(mz.size), 500.0, 3))
    assert out.mz.size == 25


@pytest.mark.parametrize("kw,reason", [
    (dict(charge=0), "missing charge"),
    (dict(charge=7), "charge 7 above the model's range (max 4)"),
    (dict(pmz=0.0), "missing precursor m/z"),
    (dict(n=0), "no peaks"),
    (dict(n=12), "only"),
])
def test_skip_reasons(kw: dict, reason: str) -> None:
    with pytest.raises(SkipSpectrum, match=reason.replace("(", r"\(").replace(")", r"\)")) as e:
        preprocess(spectrum(**kw), max_charge=4)
    assert isinstance(e.value, ValueError) and e.value.reason.startswith(reason)
    assert try_preprocess(spectrum(**kw), max_charge=4) == (None, e.value.reason)


def test_few_peaks_message() -> None:
    mz = np.linspace(100.0, 400.0, 12)
    with pytest.raises(SkipSpectrum, match=r"only 12 peaks after filtering \(need 20\)"):
        preprocess(Spectrum(mz, np.ones(12), 1000.0, 2))


def test_sample_spectra_all_usable() -> None:
    out = [preprocess(s) for s in read_mgf(DATA / "sample.mgf", None)]
    assert len(out) == 16 and all(20 <= s.mz.size <= 150 for s in out)
    assert all(np.linalg.norm(s.intensity) == pytest.approx(1.0, abs=1e-5) for s in out)
