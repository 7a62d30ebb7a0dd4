"""Training spectra simulated from a protein FASTA (real spectra are for validation only).

Peptides: tryptic digestion (pyteomics ``parser.cleave``, missed cleavages, length bounds), plus a
share of random tryptic-like peptides drawn with the digest's residue frequencies, fixed
carbamidomethyl C and variable modifications (M oxidation, N/Q deamidation, N-terminal acetyl /
carbamyl / ammonia loss).  Spectra: b/y ions at charges 1–2 whose presence and intensity come from
:class:`~sciGen.proteins.intensity.IntensityModel` (fitted on annotated ProteomeTools PSMs), H2O / NH3
neutral losses, a-ions, immonium ions, missing fragments, noise peaks, ppm m/z error and
precursor isotope errors.
"""
from __future__ import annotations

import gzip
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sciGen.adapter import ReadError
from sciGen.proteins.intensity import IntensityModel, features
from sciGen.proteins.residues import CO, H2O, ISOTOPE_SPACING, NH3, PROTON, RESIDUE_MASS
from sciGen.proteins.spectrum import Spectrum


@dataclass
class SimulatorConfig:
    missed_cleavages: int = 2
    min_length: int = 6
    max_length: int = 30
    random_fraction: float = 0.3       # share of random tryptic-like peptides
    p_oxidation: float = 0.25          # per M
    p_deamidation: float = 0.04        # per N / Q
    p_acetyl: float = 0.02             # per peptide
    p_carbamyl: float = 0.02
    p_ammonia_loss: float = 0.01
    detect_scale: tuple[float, float] = (0.6, 1.4)   # per-spectrum multiplier on the presence odds
    ppm_sd: tuple[float, float] = (2.0, 20.0)        # fragment m/z error, per spectrum
    precursor_ppm_sd: float = 3.0
    p_isotope_error: float = 0.1
    noise_peaks: tuple[int, int] = (5, 150)
    noise_log_intensity: tuple[float, float] = (-3.5, 1.0)  # mean, sd of log relative intensity
    p_neutral_loss: float = 0.15
    p_a_ion: float = 0.3
    p_immonium: float = 0.3
    max_charge: int = 4


def read_fasta(path: str | Path) -> list[str]:
    """Protein sequences of a (gzipped) FASTA file."""
    from pyteomics import fasta

    path = Path(path)
    if not path.is_file():
        raise ReadError(f"{path}: FASTA file not found")
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rt") as fh:
        try:
            return [seq for _, seq in fasta.read(fh)]
        except Exception as e:  # noqa: BLE001
            raise ReadError(f"{path}: not a readable FASTA ({e.__class__.__name__})") from None


def digest(proteins: list[str], missed_cleavages: int = 2, min_length: int = 6, max_length: int = 30) -> list[str]:
    """Sorted unique tryptic peptides of standard residues only."""
    from pyteomics import parser

    out: set[str] = set()
    for prot in proteins:
        for pep in parser.cleave(prot, "trypsin", missed_cleavages=missed_cleavages, min_length=min_length):
            if len(pep) <= max_length and all(c in "ACDEFGHIKLMNPQRSTVWY" for c in pep):
                out.add(pep)
    return sorted(out)


class PeptideSampler:
    """Draw modified peptides (token lists) from a digest plus random tryptic-like peptides."""

    def __init__(self, peptides: list[str], cfg: SimulatorConfig) -> None:
        if not peptides:
            raise ValueError("no peptides to simulate from")
        self.peptides, self.cfg = peptides, cfg
        letters = np.array(list("".join(peptides)))
        self.alphabet, counts = np.unique(letters[~np.isin(letters, ["K", "R"])], return_counts=True)
        self.freq = counts / counts.sum()
        self.lengths = np.array([len(p) for p in peptides])

    def draw(self, rng: np.random.Generator) -> list[str]:
        c = self.cfg
        if rng.random() < c.random_fraction:
            n = int(rng.choice(self.lengths))
            seq = list(rng.choice(self.alphabet, size=n - 1, p=self.freq)) + [rng.choice(["K", "R"])]
        else:
            seq = list(self.peptides[int(rng.integers(len(self.peptides)))])
        toks = []
        for aa in seq:
            if aa == "I":
                aa = "L"  # isobaric: the model is trained to write L
            if aa == "C":
                aa = "C[Carbamidomethyl]"
            elif aa == "M" and rng.random() < c.p_oxidation:
                aa = "M[Oxidation]"
            elif aa in "NQ" and rng.random() < c.p_deamidation:
                aa = f"{aa}[Deamidated]"
            toks.append(aa)
        u = rng.random()
        for p, mod in ((c.p_acetyl, "[Acetyl]-"), (c.p_carbamyl, "[Carbamyl]-"), (c.p_ammonia_loss, "[Ammonia-loss]-")):
            if u < p:
                return [mod] + toks
            u -= p
        return toks


def _charge(n_residues: int, basic: int, rng: np.random.Generator, max_charge: int) -> int:
    """Precursor charge: about one proton per basic site plus the N-terminus, fewer for short peptides."""
    z = 1 + basic + (1 if n_residues > 14 else 0) - int(rng.random() < 0.35)
    z = max(2, z) if rng.random() > 0.05 else 1
    return int(min(z, max_charge))


def simulate(tokens: list[str], rng: np.random.Generator, model: IntensityModel, cfg: SimulatorConfig,
             charge: int | None = None) -> Spectrum:
    """One simulated MS/MS spectrum of the peptide ``tokens`` (ProForma residue tokens)."""
    c = cfg
    nterm = RESIDUE_MASS[tokens[0]] if tokens[0].endswith("-") else 0.0
    res = [t for t in tokens if not t.endswith("-")]
    m = np.array([RESIDUE_MASS[t] for t in res])
    m[0] += nterm
    n = len(res)
    neutral = m.sum() + H2O
    z = charge or _charge(n, sum(t[0] in "KRH" for t in res), rng, c.max_charge)
    prefix = np.cumsum(m)[:-1]                                   # b-ion neutral residue sums, i = 1..n-1
    pos = np.arange(1, n)
    b = prefix
    y = neutral - prefix                                          # y_{n-i} is complementary to b_i
    feats, masses, series = [], [], []
    for k in range(6):
        frag_z = k % 3 + 1
        if frag_z > 2 or frag_z > max(1, z - 1):
            continue
        is_b = k >= 3
        for i in range(n - 1):
            feats.append(features(k, z, int(pos[i]), n, res[i], res[i + 1]))
            neutral_frag = b[i] if is_b else y[i]
            masses.append((neutral_frag + frag_z * PROTON) / frag_z)
            series.append((is_b, frag_z, neutral_frag, i))
    feats_a = np.stack(feats)
    p_obs, mu = model.predict(feats_a)
    odds = p_obs / (1 - p_obs) * rng.uniform(*c.detect_scale)
    keep = rng.random(len(p_obs)) < odds / (1 + odds)
    inten = np.exp(mu + rng.normal(0, model.residual_sd, len(mu)))
    mz_list = list(np.asarray(masses)[keep])
    int_list = list(inten[keep])
    for (is_b, fz, nf, i), it in zip((s for s, kk in zip(series, keep) if kk), inten[keep]):
        if rng.random() < c.p_neutral_loss:
            loss = H2O if rng.random() < 0.6 else NH3
            mz_list.append((nf - loss + fz * PROTON) / fz)
            int_list.append(it * rng.uniform(0.05, 0.4))
        if is_b and fz == 1 and i < 4 and rng.random() < c.p_a_ion:
            mz_list.append(nf - CO + PROTON)
            int_list.append(it * rng.uniform(0.1, 0.6))
    top = max(int_list) if int_list else 1.0
    for aa in set(t[0] for t in res):
        if rng.random() < c.p_immonium:
            mz_list.append(RESIDUE_MASS[aa] - CO + PROTON)
            int_list.append(top * rng.uniform(0.02, 0.4))
    hi = min(2500.0, neutral + PROTON)
    n_noise = int(rng.integers(c.noise_peaks[0], c.noise_peaks[1] + 1))
    mz_list.extend(rng.uniform(50.0, hi, n_noise))
    int_list.extend(top * np.exp(rng.normal(c.noise_log_intensity[0], c.noise_log_intensity[1], n_noise)))
    mz_arr = np.asarray(mz_list, dtype=np.float64)
    mz_arr *= 1 + rng.normal(0, rng.uniform(*c.ppm_sd), len(mz_arr)) * 1e-6
    order = np.argsort(mz_arr)
    observed = neutral + (ISOTOPE_SPACING if rng.random() < c.p_isotope_error else 0.0)
    prec = (observed + z * PROTON) / z * (1 + rng.normal(0, c.precursor_ppm_sd) * 1e-6)
    return Spectrum(mz=mz_arr[order], intensity=np.asarray(int_list)[order] / top, precursor_mz=float(prec),
                    charge=z, peptide="".join(tokens))
