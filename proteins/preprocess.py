"""Casanovo's spectrum preprocessing (Yilmaz et al., ICML 2022; Casanovo v4 with depthcharge 0.2 and
spectrum_utils), vectorised in numpy.

Steps, as in ``depthcharge.data.SpectrumDataset._process_peaks``:

1. keep peaks with ``min_mz <= m/z <= max_mz``;
2. drop peaks within ``remove_precursor_tol`` Da of the precursor at every charge 1..z
   (spectrum_utils' ``remove_precursor_peak``);
3. drop peaks not above ``min_intensity`` × the base peak, then keep the ``n_peaks`` most intense
   (spectrum_utils' ``filter_intensity``);
4. sort by m/z; intensities → square root, then scaled to unit L2 norm (Casanovo: ``scale_intensity
   ("root", 1)`` then ``intensity / np.linalg.norm(intensity)``; ``norm="max"`` gives unit maximum instead).

Casanovo replaces a spectrum left empty by a dummy peak; here :class:`SkipSpectrum` says why instead.
Its ``min_peaks`` check is applied to the peaks left after filtering (Casanovo counts the raw peaks).
"""
from __future__ import annotations

import math
from dataclasses import replace
from typing import Literal

import numpy as np

from sciGen.proteins.residues import PROTON
from sciGen.proteins.spectrum import Spectrum


class SkipSpectrum(ValueError):
    """The spectrum cannot be sequenced; ``reason`` says why in a few words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def precursor_mzs(precursor_mz: float, charge: int) -> np.ndarray:
    """m/z of the precursor ion at charges z, z−1, …, 1: (z,) array."""
    neutral = (precursor_mz - PROTON) * charge
    return neutral / np.arange(charge, 0, -1) + PROTON


def preprocess(spectrum: Spectrum, *, min_mz: float = 50.0, max_mz: float = 2500.0, n_peaks: int = 150,
               min_peaks: int = 20, min_intensity: float = 0.01, remove_precursor_tol: float = 2.0,
               max_charge: int = 10, norm: Literal["l2", "max"] = "l2") -> Spectrum:
    """A new :class:`Spectrum` with at most ``n_peaks`` peaks: mz (P,) float64 ascending, intensity
    (P,) float32 (√, unit L2 norm or unit max); other fields copied.  Raises :class:`SkipSpectrum`."""
    pmz = spectrum.precursor_mz
    if pmz is None or not math.isfinite(pmz) or pmz <= 0:
        raise SkipSpectrum("missing precursor m/z")
    z = int(spectrum.charge or 0)
    if z == 0:
        raise SkipSpectrum("missing charge")
    if z < 0:
        raise SkipSpectrum(f"negative charge {z}")
    if z > max_charge:
        raise SkipSpectrum(f"charge {z} above the model's range (max {max_charge})")
    mz = np.asarray(spectrum.mz, dtype=np.float64)
    inten = np.asarray(spectrum.intensity, dtype=np.float64)
    if mz.shape != inten.shape or mz.ndim != 1:
        raise SkipSpectrum(f"m/z and intensity arrays differ in shape ({mz.shape} vs {inten.shape})")
    if mz.size == 0:
        raise SkipSpectrum("no peaks")

    keep = (mz >= min_mz) & (mz <= max_mz) & np.isfinite(inten) & (inten > 0)
    if remove_precursor_tol > 0:
        near = np.abs(mz[:, None] - precursor_mzs(pmz, z)[None, :]) <= remove_precursor_tol  # (P, z)
        keep &= ~near.any(axis=1)
    mz, inten = mz[keep], inten[keep]
    if mz.size:
        keep = inten > min_intensity * inten.max()
        mz, inten = mz[keep], inten[keep]
    if mz.size > n_peaks:
        top = np.argpartition(-inten, n_peaks - 1)[:n_peaks]
        mz, inten = mz[top], inten[top]
    if mz.size < max(min_peaks, 1):
        raise SkipSpectrum(f"only {mz.size} peaks after filtering (need {max(min_peaks, 1)})")

    order = np.argsort(mz, kind="stable")
    mz, inten = mz[order], np.sqrt(inten[order])
    inten /= np.linalg.norm(inten) if norm == "l2" else inten.max()
    return replace(spectrum, mz=mz, intensity=inten.astype(np.float32))


def try_preprocess(spectrum: Spectrum, **kw: object) -> tuple[Spectrum | None, str]:
    """(processed spectrum, "") or (None, reason): for loops that count skipped spectra."""
    try:
        return preprocess(spectrum, **kw), ""
    except SkipSpectrum as e:
        return None, e.reason
