"""One MS/MS spectrum and one sequencing result, the records the proteins adapter exchanges."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Spectrum:
    """A tandem mass spectrum.

    mz, intensity: (P,) float arrays (peaks); precursor_mz in Th; charge ≥ 1 (0 = unknown);
    ``file`` and ``index`` (0-based position in the file) locate it; ``scan`` is the scan id /
    native id as the file gives it; ``peptide`` the ``SEQ=`` label in ProForma when known.
    """

    mz: np.ndarray
    intensity: np.ndarray
    precursor_mz: float
    charge: int
    file: str = ""
    index: int = 0
    scan: str = ""
    title: str = ""
    peptide: str | None = None
    rt: float | None = None

    @property
    def spectra_ref(self) -> str:
        """mzTab ``spectra_ref`` body: ``index=N`` (MGF) or the native ``scan=`` id."""
        return f"index={self.index}"

    @property
    def key(self) -> str:
        return f"{self.file}:{self.index}"


@dataclass
class Prediction:
    """The peptide sequenced for one spectrum: ProForma string, peptide score in [-1, 1]
    (mean residue probability, minus 1 when the precursor mass does not match) and per-residue scores."""

    spectrum: Spectrum
    peptide: str
    score: float
    aa_scores: list[float] = field(default_factory=list)
    mass_ok: bool = True
