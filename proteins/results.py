"""Result files of de novo sequencing: mzTab 1.0 as Casanovo writes it, and CSV.

mzTab is written whole (:func:`write_mztab`) or row by row (:func:`mztab_header` then
:func:`mztab_row`), and read back by :func:`read_mztab`; ``spectra_ref`` is ``ms_run[k]:index=N`` with
``N`` the spectrum's 0-based position in its file (see :mod:`sciGen.proteins.formats`).
"""
from __future__ import annotations

import csv
import functools
import math
import os
import re
from pathlib import Path
from typing import Iterable
from urllib.parse import urlparse
from urllib.request import url2pathname

from sciGen.adapter import ReadError
from sciGen.io import atomic_write
from sciGen.proteins.formats import _float, _open
from sciGen.proteins.residues import (MODIFIED_RESIDUES, MODS, N_TERM_MODS, RESIDUE_TOKENS, UNIMOD_IDS,
                                      PeptideError, mz, peptide_mass, tokenize)
from sciGen.proteins.spectrum import Prediction

PSM_COLUMNS = ("sequence", "PSM_ID", "accession", "unique", "database", "database_version", "search_engine",
               "search_engine_score[1]", "modifications", "retention_time", "charge", "exp_mass_to_charge",
               "calc_mass_to_charge", "spectra_ref", "pre", "post", "start", "end",
               "opt_global_cv_MS:1002217_decoy_peptide", "opt_global_aa_scores")
_UNIMOD_BY_NAME = {name: uid for uid, name in UNIMOD_IDS.items()}


def _mod_accession(name: str) -> str:
    """``UNIMOD:4`` for a Unimod name, else ``CHEMMOD:+mass`` from its composition."""
    if name in _UNIMOD_BY_NAME:
        return f"UNIMOD:{_UNIMOD_BY_NAME[name]}"
    from pyteomics import mass as pmass
    return f"CHEMMOD:{pmass.Composition(formula=MODS[name]).mass():+.6f}"


def _mod_param(name: str) -> str:
    acc = _mod_accession(name)
    return f"[UNIMOD, {acc}, {name}, ]" if acc.startswith("UNIMOD") else f"[CHEMMOD, {acc}, , ]"


def _software(software: str) -> str:
    return f"[MS, MS:1001456, analysis software, {software}]"


@functools.lru_cache(maxsize=16)
def _run_map(ms_runs: tuple[str, ...]) -> dict[str, int]:
    return {os.path.abspath(f): k for k, f in enumerate(ms_runs, start=1)}


def mztab_header(ms_runs: list[str], *, software: str = "sciGen", description: str | None = None,
                 residues: Iterable[str] | None = None, settings: dict[str, object] | None = None) -> str:
    """MTD lines and the PSH line of an mzTab 1.0 Identification/Summary file.  A modified residue
    is a fixed mod when its plain amino acid is not in ``residues`` (the model's vocabulary), else
    variable; N-terminal mods are variable."""
    toks = list(RESIDUE_TOKENS if residues is None else residues)
    fixed, variable = [], []
    for t in toks:
        if t in N_TERM_MODS:
            variable.append((t[1:-2], "N-term"))
        elif t in MODIFIED_RESIDUES or "[" in t:
            (variable if t[0] in toks else fixed).append((t[2:-1], t[0]))
    mtd = [("mzTab-version", "1.0.0"), ("mzTab-mode", "Summary"), ("mzTab-type", "Identification"),
           ("description", description or f"{software} de novo peptide sequencing"),
           ("software[1]", _software(software)),
           ("psm_search_engine_score[1]", "[MS, MS:1001143, search engine specific score for PSMs, ]")]
    mtd += [(f"ms_run[{k}]-location", Path(os.path.abspath(f)).as_uri()) for k, f in enumerate(ms_runs, 1)]
    for kind, mods, none in (("fixed", fixed, "[MS, MS:1002453, No fixed modifications searched, ]"),
                             ("variable", variable, "[MS, MS:1002454, No variable modifications searched, ]")):
        if not mods:
            mtd.append((f"{kind}_mod[1]", none))
        for i, (name, site) in enumerate(mods, start=1):
            mtd += [(f"{kind}_mod[{i}]", _mod_param(name)), (f"{kind}_mod[{i}]-site", site)]
    mtd += [(f"software[1]-setting[{i}]", f"{k} = {v}") for i, (k, v) in enumerate((settings or {}).items(), 1)]
    return "".join(f"MTD\t{k}\t{v}\n" for k, v in mtd) + "\t".join(("PSH",) + PSM_COLUMNS) + "\n"


def _modifications(tokens: list[str]) -> str:
    """mzTab ``modifications``: ``pos-UNIMOD:id`` (0 = N-term, residues 1-based), or ``null``."""
    out, pos = [], 0
    for t in tokens:
        pos += 0 if t.endswith("-") else 1
        if "[" in t:
            out.append(f"{pos}-{_mod_accession(t[1:-2] if t.endswith('-') else t[2:-1])}")
    return ",".join(out) or "null"


def mztab_row(psm_id: int, pred: Prediction, ms_runs: list[str], *, software: str = "sciGen") -> str:
    """One PSM line (with newline) for ``pred``; its spectrum's file must be one of ``ms_runs``."""
    s = pred.spectrum
    run = _run_map(tuple(ms_runs)).get(os.path.abspath(s.file))
    if run is None:
        raise ValueError(f"{s.file}: spectrum file is not one of the mzTab ms_runs {list(ms_runs)}")
    try:
        toks = tokenize(pred.peptide)
        mods = _modifications(toks)
        calc = f"{mz(peptide_mass(toks), s.charge)}" if s.charge > 0 else "null"
    except PeptideError:
        mods, calc = "null", "null"
    row = [pred.peptide or "null", str(psm_id), "null", "null", "null", "null", _software(software),
           repr(float(pred.score)), mods, "null" if s.rt is None else repr(float(s.rt)),
           str(s.charge) if s.charge else "null", repr(float(s.precursor_mz)), calc,
           f"ms_run[{run}]:{s.spectra_ref}", "null", "null", "null", "null", "0",
           ",".join(f"{a:.5f}" for a in pred.aa_scores) or "null"]
    return "\t".join(("PSM",) + tuple(row)) + "\n"


def write_mztab(predictions: Iterable[Prediction], path: Path, *, ms_runs: list[str],
                software: str = "sciGen", **header: object) -> int:
    """Whole mzTab file, atomically; predictions with an empty peptide are not written (as Casanovo).
    ``header`` goes to :func:`mztab_header`.  Returns the number of PSM rows."""
    n = 0

    def write(tmp: str) -> None:
        nonlocal n
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(mztab_header(ms_runs, software=software, **header))
            for p in predictions:
                if p.peptide:
                    fh.write(mztab_row(n, p, ms_runs, software=software))
                    n += 1
    atomic_write(Path(path), write)
    return n


def read_mztab(path: Path) -> list[dict]:
    """PSM rows as dicts: every PSH column (strings) plus parsed ``sequence``, ``score`` (float,
    NaN if null), ``aa_scores`` (list[float]), ``charge`` (int, 0 if null), the m/z and
    retention-time columns (float or None), ``ms_run`` (int),
    ``file`` (the ms_run location as a local path), ``index`` (int, None for a non-``index=`` ref)."""
    path = Path(path)
    runs: dict[int, str] = {}
    cols: list[str] | None = None
    rows: list[dict] = []
    with _open(path) as fh:
        for n, line in enumerate(fh, start=1):
            f = line.rstrip("\r\n").split("\t")
            if f[0] == "MTD" and len(f) >= 3:
                m = re.fullmatch(r"ms_run\[(\d+)\]-location", f[1])
                if m:
                    u = urlparse(f[2])
                    runs[int(m.group(1))] = url2pathname(u.path) if u.scheme == "file" else f[2]
            elif f[0] == "PSH":
                cols = f[1:]
            elif f[0] == "PSM":
                if cols is None:
                    raise ReadError(f"{path}:{n}: PSM row before the PSH header")
                row = dict(zip(cols, f[1:]))
                ref = re.fullmatch(r"ms_run\[(\d+)\]:(index=(\d+)|.*)", row.get("spectra_ref", ""))
                aa = next((v for k, v in row.items() if k.endswith("aa_scores")), "null")
                score = _float(row.get("search_engine_score[1]"))
                try:
                    aa_scores = [float(x) for x in aa.split(",")] if aa not in ("null", "") else []
                except ValueError:
                    raise ReadError(f"{path}:{n}: bad aa_scores {aa[:40]!r}") from None
                row.update({k: _float(row.get(k)) for k in ("exp_mass_to_charge", "calc_mass_to_charge",
                                                            "retention_time")})
                run = int(ref.group(1)) if ref else 0
                row.update(sequence=row.get("sequence", ""), ms_run=run, file=runs.get(run, ""),
                           index=int(ref.group(3)) if ref and ref.group(3) else None, aa_scores=aa_scores,
                           score=math.nan if score is None else score, charge=int(_float(row.get("charge")) or 0))
                rows.append(row)
    if cols is None and not runs:
        raise ReadError(f"{path}: no MTD/PSH lines: not an mzTab file")
    return rows


def write_csv(predictions: Iterable[Prediction], path: Path) -> int:
    """CSV with columns file, index, scan, peptide, score, charge, precursor_mz, aa_scores
    (comma-joined, 5 decimals).  Returns the number of rows."""
    rows = [[p.spectrum.file, p.spectrum.index, p.spectrum.scan, p.peptide, repr(float(p.score)),
             p.spectrum.charge, repr(float(p.spectrum.precursor_mz)),
             ",".join(f"{a:.5f}" for a in p.aa_scores)] for p in predictions]

    def write(tmp: str) -> None:
        with open(tmp, "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(["file", "index", "scan", "peptide", "score", "charge", "precursor_mz", "aa_scores"])
            w.writerows(rows)
    atomic_write(Path(path), write)
    return len(rows)
