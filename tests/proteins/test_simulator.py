from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from sciGen.adapter import ReadError
from sciGen.proteins.intensity import IntensityModel
from sciGen.proteins.residues import H2O, PROTON, RESIDUE_MASS, matches_precursor, peptide_mass, tokenize
from sciGen.proteins.simulator import PeptideSampler, SimulatorConfig, digest, read_fasta, simulate

# trypsin sites: ...VSK|D..., ...NPQR|S..., ...GGAR|W...; WYK-P is not cleaved (K before P)
PROTEIN = "MAGLLVSKDEFGHIAMNPQRSTVWYKPLLGGARWEDNLLQ"
PIECES = ["MAGLLVSK", "DEFGHIAMNPQR", "STVWYKPLLGGAR", "WEDNLLQ"]


def _missed(pep: str) -> int:
    return len(re.findall(r"[KR](?=[^P])", pep))


def test_digest_by_hand() -> None:
    assert digest([PROTEIN], missed_cleavages=0, min_length=6) == sorted(PIECES)
    assert set(digest([PROTEIN], 1, 6, 30)) == set(PIECES) | {"MAGLLVSKDEFGHIAMNPQR", "DEFGHIAMNPQRSTVWYKPLLGGAR",
                                                             "STVWYKPLLGGARWEDNLLQ"}
    assert "DEFGHIAMNPQRSTVWYKPLLGGAR" not in digest([PROTEIN], 1, 6, 22)  # 25 > max_length
    assert "WEDNLLQ" not in digest([PROTEIN], 1, 8, 30)                   # 7 < min_length
    assert digest([PROTEIN + "XK"], 0, 6, 30) == sorted(PIECES[:3])        # non-standard residue dropped


@pytest.mark.parametrize("mc,lo,hi", [(0, 6, 30), (1, 6, 30), (2, 5, 20)])
def test_digest_properties(mc: int, lo: int, hi: int) -> None:
    proteins = [PROTEIN, "MKRGASPVTLLEDKPNNFHWYRAGSTTLLVEKACDEFGHIK"]
    peps = digest(proteins, mc, lo, hi)
    assert peps == sorted(set(peps)) and peps
    for p in peps:
        prot = next(q for q in proteins if p in q)
        assert lo <= len(p) <= hi and _missed(p) <= mc
        assert p[-1] in "KR" or prot.endswith(p)


def test_read_fasta(tmp_path: Path) -> None:
    f = tmp_path / "p.fasta"
    f.write_text(">sp|P1|A\nMAGLLVSKDEF\nGHIAMNPQR\n>sp|P2|B\nPEPTIDEK\n")
    assert read_fasta(f) == ["MAGLLVSKDEFGHIAMNPQR", "PEPTIDEK"]
    with pytest.raises(ReadError, match="not found"):
        read_fasta(tmp_path / "none.fasta")


def test_sampler_vocabulary() -> None:
    cfg = SimulatorConfig(random_fraction=0.5, p_oxidation=0.5, p_deamidation=0.3, p_acetyl=0.1,
                          p_carbamyl=0.1, p_ammonia_loss=0.1)
    sampler = PeptideSampler(digest([PROTEIN, "ACDICKNQMILR"], 2, 6, 30), cfg)
    rng = np.random.default_rng(0)
    seen: set[str] = set()
    for _ in range(300):
        toks = sampler.draw(rng)
        assert all(t in RESIDUE_MASS for t in toks)
        assert all(not t.endswith("-") for t in toks[1:])
        assert "C" not in toks and "I" not in toks  # C always carbamidomethylated, I written as L
        assert tokenize("".join(toks)) == list(toks)
        seen.update(toks)
    assert {"C[Carbamidomethyl]", "M[Oxidation]", "M", "L", "[Acetyl]-"} <= seen
    with pytest.raises(ValueError):
        PeptideSampler([], cfg)


def _ions(toks: list[str]) -> np.ndarray:
    """Singly charged b and y ions, computed here from the residue masses."""
    nterm = RESIDUE_MASS[toks[0]] if toks[0].endswith("-") else 0.0
    m = np.array([RESIDUE_MASS[t] for t in toks if not t.endswith("-")])
    b = np.cumsum(m)[:-1] + nterm
    y = np.cumsum(m[::-1])[:-1] + H2O
    return np.concatenate([b + PROTON, y + PROTON])


def test_simulate_reproducible_sorted_and_has_fragments() -> None:
    model, cfg = IntensityModel.default(), SimulatorConfig()
    toks = tokenize("[Acetyl]-LESLLEKPC[Carbamidomethyl]GM[Oxidation]NR")
    a = simulate(toks, np.random.default_rng(7), model, cfg)
    b = simulate(toks, np.random.default_rng(7), model, cfg)
    np.testing.assert_array_equal(a.mz, b.mz)
    np.testing.assert_array_equal(a.intensity, b.intensity)
    assert (a.precursor_mz, a.charge, a.peptide) == (b.precursor_mz, b.charge, "".join(toks))
    ions = _ions(toks)
    share, decoy = [], []
    for seed in range(10):
        s = simulate(toks, np.random.default_rng(seed), model, cfg)
        assert (np.diff(s.mz) >= 0).all() and s.mz.shape == s.intensity.shape and (s.intensity > 0).all()
        assert 1 <= s.charge <= cfg.max_charge
        assert matches_precursor(peptide_mass(toks), s.precursor_mz, s.charge, 50, (0, 1))
        share.append((np.abs(s.mz[None] - ions[:, None]).min(1) < 0.05).mean())
        decoy.append((np.abs(s.mz[None] - ions[:, None] - 0.4).min(1) < 0.05).mean())
    assert np.mean(share) > 0.3 and np.mean(share) > 4 * np.mean(decoy)


def test_simulate_without_noise_is_all_explained() -> None:
    cfg = replace(SimulatorConfig(), noise_peaks=(0, 0), p_immonium=0.0, p_neutral_loss=0.0, p_a_ion=0.0,
                  p_isotope_error=0.0)
    toks = tokenize("PEPTLDEK")
    s = simulate(toks, np.random.default_rng(1), IntensityModel.default(), cfg, charge=2)
    assert s.charge == 2 and s.intensity.max() == pytest.approx(1.0)
    assert abs(s.precursor_mz - (peptide_mass(toks) + 2 * PROTON) / 2) / s.precursor_mz < 20e-6
    ions = _ions(toks)
    ions2 = (ions + PROTON) / 2
    d = np.abs(s.mz[:, None] - np.concatenate([ions, ions2])[None]).min(1)
    assert (d < 0.05).all() and s.mz.size > 0
