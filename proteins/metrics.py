"""The standard de novo peptide sequencing metrics, with the DeepNovo / Casanovo definitions
(Tran et al., PNAS 2017; Yilmaz et al., ICML 2022; ``casanovo/denovo/evaluate.py``).

Residues are :func:`residues.tokenize` tokens, I read as L, an N-terminal modification folded into
the mass of the first residue.  A predicted residue matches a true one when the cumulative masses of
the two prefixes (then, from the first mismatch on, of the two suffixes) agree within 0.5 Da and
the two residue masses within 0.1 Da.  A peptide matches when every residue does and the lengths agree.
Casanovo marks a match at ``max(i_pred, i_true)`` of a max-length array; here it is marked at the
predicted residue, so the returned mask lines up with the prediction (the match counts are the same
when each residue pairs once).
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Iterable

import numpy as np

from sciGen.io import atomic_write
from sciGen.proteins.residues import RESIDUE_MASS, PeptideError, tokenize

CUM_MASS_TOL = 0.5  # Da, cumulative (prefix/suffix) mass agreement
AA_MASS_TOL = 0.1  # Da, single-residue mass agreement


def residue_masses(peptide: str | list[str]) -> tuple[list[str], np.ndarray]:
    """(tokens with I→L and the N-terminal mod merged into the first residue, (L,) masses).
    Raises :class:`PeptideError` for a string the vocabulary cannot parse."""
    toks = tokenize(peptide) if isinstance(peptide, str) else list(peptide)
    toks = ["L" if t == "I" else t for t in toks]
    masses = [RESIDUE_MASS[t] for t in toks]
    if len(toks) > 1 and toks[0].endswith("-"):
        toks, masses = [toks[0] + toks[1]] + toks[2:], [masses[0] + masses[1]] + masses[2:]
    return toks, np.asarray(masses, dtype=np.float64)


def _walk(m1: np.ndarray, m2: np.ndarray, match1: np.ndarray, match2: np.ndarray,
          start1: int, start2: int, stop1: int, stop2: int, step: int) -> None:
    """Casanovo's cumulative-mass walk from (start1, start2) by ``step`` (+1 prefix, −1 suffix) until
    an index leaves [stop, len); sets ``match1[i1]``/``match2[i2]`` where the masses realign."""
    i1, i2, cum1, cum2 = start1, start2, 0.0, 0.0
    inside = (lambda a, b: a < len(m1) and b < len(m2)) if step > 0 else (lambda a, b: a >= stop1 and b >= stop2)
    while inside(i1, i2):
        a1, a2 = m1[i1], m2[i2]
        if abs(cum1 + a1 - (cum2 + a2)) < CUM_MASS_TOL:
            match1[i1] = match2[i2] = abs(a1 - a2) < AA_MASS_TOL
            i1, i2, cum1, cum2 = i1 + step, i2 + step, cum1 + a1, cum2 + a2
        elif cum2 + a2 > cum1 + a1:
            i1, cum1 = i1 + step, cum1 + a1
        else:
            i2, cum2 = i2 + step, cum2 + a2


def aa_match(pred: str | list[str], true: str | list[str]) -> tuple[np.ndarray, bool]:
    """(per-residue match mask (L_pred,) bool, whole-peptide match) of a prediction against the truth
    (strings or token lists).  The prefix walk runs first; if it leaves a mismatch the suffix walk
    covers the residues after the first mismatch (Casanovo's ``aa_match_prefix_suffix``)."""
    _, m1 = residue_masses(pred)
    _, m2 = residue_masses(true)
    match1, match2 = np.zeros(len(m1), bool), np.zeros(len(m2), bool)
    _walk(m1, m2, match1, match2, 0, 0, 0, 0, +1)
    if match1.all() and match2.all():
        return match1, len(m1) == len(m2) and len(m1) > 0
    stop1 = int(np.argmin(match1)) if not match1.all() else len(m1)
    stop2 = int(np.argmin(match2)) if not match2.all() else len(m2)
    _walk(m1, m2, match1, match2, len(m1) - 1, len(m2) - 1, stop1, stop2, -1)
    return match1, bool(match1.all() and match2.all() and len(m1) == len(m2))


def _n_letters(peptide: str) -> int:
    """Residue count of a string the vocabulary cannot parse: its capital letters."""
    return len(re.findall(r"[A-Z]", re.sub(r"\[[^\]]*\]", "", peptide)))


def _score_pair(pred: str | None, true: str) -> tuple[int, int, bool]:
    """(predicted residues, matched residues, peptide match); an unparsable prediction matches nothing."""
    if not pred:
        return 0, 0, False
    try:
        match, pep = aa_match(pred, true)
    except PeptideError:
        return _n_letters(pred), 0, False
    return len(match), int(match.sum()), pep


def peptide_metrics(pairs: Iterable[tuple[str | None, str]]) -> dict[str, float]:
    """Metrics over (prediction or None/"" = none, true peptide) pairs, one per labelled spectrum.

    aa_precision = matched / predicted residues, aa_recall = matched / true residues,
    peptide_recall = exact peptides / labelled spectra, peptide_precision = exact / predicted spectra.
    Labels the vocabulary cannot parse are left out and counted in ``n_bad_labels``."""
    n_spectra = n_pred = n_pred_aa = n_true_aa = n_match_aa = n_pep = n_bad = 0
    for pred, true in pairs:
        try:
            n_true = len(residue_masses(true)[1])
        except PeptideError:
            n_bad += 1
            continue
        n_spectra += 1
        n_true_aa += n_true
        n_aa, n_ok, pep = _score_pair(pred, true)
        n_pred += bool(pred)
        n_pred_aa += n_aa
        n_match_aa += n_ok
        n_pep += pep
    return {"aa_precision": n_match_aa / n_pred_aa if n_pred_aa else 0.0,
            "aa_recall": n_match_aa / n_true_aa if n_true_aa else 0.0,
            "peptide_recall": n_pep / n_spectra if n_spectra else 0.0,
            "peptide_precision": n_pep / n_pred if n_pred else 0.0,
            "n_spectra": n_spectra, "n_predicted": n_pred, "n_bad_labels": n_bad}


def precision_coverage(preds_with_scores: list[tuple[str | None, float]], truths: list[str]
                       ) -> tuple[np.ndarray, np.ndarray, float]:
    """Peptide precision against coverage, predictions ranked by score (descending, ties in input
    order); spectra without a prediction are never covered.  Returns coverage (K,) = k/N and
    precision (K,) = correct among the top k, for k = 1..K predicted of N labelled spectra, and the
    area under the curve (trapezoids, starting at coverage 0 with the first precision; 1.0 is
    perfect at full coverage)."""
    if len(preds_with_scores) != len(truths):
        raise ValueError(f"{len(preds_with_scores)} predictions for {len(truths)} labels")
    n = len(truths)
    scored = [(s, pep, t) for (pep, s), t in zip(preds_with_scores, truths) if pep]
    if not scored:
        return np.zeros(0), np.zeros(0), 0.0
    order = np.argsort(-np.asarray([s for s, _, _ in scored], dtype=np.float64), kind="stable")
    correct = np.empty(len(scored), bool)
    for k, j in enumerate(order):
        _, pep, true = scored[j]
        correct[k] = _score_pair(pep, true)[2]  # an unparsable prediction or label never matches
    k = np.arange(1, len(scored) + 1)
    coverage, precision = k / n, np.cumsum(correct) / k
    auc = float(np.trapezoid(np.r_[precision[0], precision], np.r_[0.0, coverage]))
    return coverage, precision, auc


def plot_precision_coverage(curve: tuple[np.ndarray, np.ndarray, float]
                            | dict[str, tuple[np.ndarray, np.ndarray, float]], path: str | Path) -> None:
    """PNG of one curve from :func:`precision_coverage`, or several as ``{label: curve}``; atomic."""
    from matplotlib.figure import Figure  # no pyplot: no global state, no GUI backend

    curves = curve if isinstance(curve, dict) else {"": curve}
    fig = Figure(figsize=(4.5, 4), dpi=120)
    ax = fig.subplots()
    for label, (cov, prec, auc) in curves.items():
        ax.plot(cov, prec, label=f"{label + ' ' if label else ''}AUC {auc:.3f}")
    ax.set(xlabel="Coverage", ylabel="Peptide precision", xlim=(0, 1), ylim=(0, 1.02),
           title="Precision–coverage")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower left")
    fig.tight_layout()
    atomic_write(Path(path), lambda tmp: fig.savefig(tmp, format="png"))
