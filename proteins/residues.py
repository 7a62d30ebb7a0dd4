"""Residues, modifications and masses in ProForma notation, and the peptide tokenizer.

Masses come from pyteomics (monoisotopic residue compositions, ``pyteomics.mass``); modifications are
given as elemental composition deltas (Unimod) so no Unimod download is needed.
Tokens: the 20 amino acids, ``C[Carbamidomethyl]``, ``M[Oxidation]``, ``N[Deamidated]``,
``Q[Deamidated]`` and the N-terminal ``[Acetyl]-``, ``[Carbamyl]-``, ``[Ammonia-loss]-``.
"""
from __future__ import annotations

import re

from pyteomics import mass as pmass

PROTON = 1.007276466812
H2O = pmass.calculate_mass(formula="H2O")
NH3 = pmass.calculate_mass(formula="NH3")
CO = pmass.calculate_mass(formula="CO")
ISOTOPE_SPACING = 1.00335483507  # 13C − 12C

AMINO_ACIDS = "GASPVTCLINDQKEMHFRYW"
# Unimod composition deltas
MODS: dict[str, str] = {
    "Carbamidomethyl": "H3C2NO",
    "Oxidation": "O",
    "Deamidated": "H-1N-1O",
    "Acetyl": "H2C2O",
    "Carbamyl": "HCNO",
    "Ammonia-loss": "H-3N-1",
}
MODIFIED_RESIDUES = ("C[Carbamidomethyl]", "M[Oxidation]", "N[Deamidated]", "Q[Deamidated]")
N_TERM_MODS = ("[Acetyl]-", "[Carbamyl]-", "[Ammonia-loss]-")
UNIMOD_IDS = {"4": "Carbamidomethyl", "35": "Oxidation", "7": "Deamidated", "1": "Acetyl", "5": "Carbamyl",
              "385": "Ammonia-loss"}


def _mod_mass(name: str) -> float:
    return pmass.Composition(formula=MODS[name]).mass()


def _residue_masses() -> dict[str, float]:
    m = {aa: pmass.std_aa_mass[aa] for aa in AMINO_ACIDS}
    for tok in MODIFIED_RESIDUES:
        aa, mod = tok[0], tok[2:-1]
        m[tok] = pmass.std_aa_mass[aa] + _mod_mass(mod)
    for tok in N_TERM_MODS:
        m[tok] = _mod_mass(tok[1:-2])
    return m


RESIDUE_MASS: dict[str, float] = _residue_masses()
RESIDUE_TOKENS: tuple[str, ...] = tuple(RESIDUE_MASS)

_TOKEN_RE = re.compile(r"\[[^\]]+\]-|[A-Z](?:\[[^\]]+\])?")


class PeptideError(ValueError):
    """A peptide string uses a residue or modification this vocabulary does not have."""


def _normalise_mod(tok: str) -> str:
    """``C[UNIMOD:4]`` (Unimod accessions) and ``[Gln->pyro-Glu]-`` → the ProForma names used here."""
    tok = re.sub(r"\[UNIMOD:(\d+)\]", lambda m: f"[{UNIMOD_IDS.get(m.group(1), 'UNIMOD:' + m.group(1))}]", tok)
    # pyro-glutamate from N-terminal Gln has the composition of an ammonia loss (Unimod 28, −NH3)
    return tok.replace("[Gln->pyro-Glu]", "[Ammonia-loss]")


def tokenize(peptide: str) -> list[str]:
    """ProForma string → residue tokens, N-terminal modification first.

    >>> tokenize("[Acetyl]-C[Carbamidomethyl]PEPTIDEK")[:3]
    ['[Acetyl]-', 'C[Carbamidomethyl]', 'P']
    """
    s = _normalise_mod(peptide.strip())
    s = re.sub(r"^\[([^\]]+)\](?!-)", r"[\1]-", s)  # "[Acetyl]PEP" → "[Acetyl]-PEP"
    toks = _TOKEN_RE.findall(s)
    if "".join(toks) != s or not toks:
        raise PeptideError(f"cannot parse peptide {peptide!r}")
    bad = [t for t in toks if t not in RESIDUE_MASS]
    if bad:
        raise PeptideError(f"peptide {peptide!r}: unknown residue/modification {bad[0]!r}")
    if all(t.endswith("-") for t in toks):
        raise PeptideError(f"peptide {peptide!r} has no residues")
    if any(t.endswith("-") for t in toks[1:]):
        raise PeptideError(f"peptide {peptide!r}: N-terminal modification not at the N-terminus")
    return toks


def detokenize(tokens: list[str]) -> str:
    return "".join(tokens)


def peptide_mass(tokens: list[str] | str) -> float:
    """Neutral monoisotopic mass of the peptide (residues + water)."""
    toks = tokenize(tokens) if isinstance(tokens, str) else tokens
    return sum(RESIDUE_MASS[t] for t in toks) + H2O


def mz(neutral_mass: float, charge: int) -> float:
    return (neutral_mass + charge * PROTON) / charge


def neutral_from_mz(precursor_mz: float, charge: int) -> float:
    return precursor_mz * charge - charge * PROTON


def mass_error_ppm(peptide_neutral: float, precursor_mz: float, charge: int, isotope: int = 0) -> float:
    """ppm error of a candidate against the observed precursor, allowing the monoisotopic peak
    to have been mis-picked ``isotope`` 13C peaks too high."""
    observed = neutral_from_mz(precursor_mz, charge) - isotope * ISOTOPE_SPACING
    return (peptide_neutral - observed) / observed * 1e6


def matches_precursor(peptide_neutral: float, precursor_mz: float, charge: int, tol_ppm: float = 50.0,
                      isotopes: tuple[int, ...] = (0, 1)) -> bool:
    return any(abs(mass_error_ppm(peptide_neutral, precursor_mz, charge, i)) <= tol_ppm for i in isotopes)
