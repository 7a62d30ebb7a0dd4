"""Spectrum files of the proteins domain.

Readers stream (one spectrum in memory at a time) and yield :class:`Spectrum` records, MS2 only:
``.mgf`` / ``.mgf.gz`` (own block parser: a corrupt block is reported and the next one read),
``.mzML`` / ``.mzML.gz`` (own ``lxml.iterparse`` parser: pyteomics' mzML reader needs ``psims``) and
``.mzXML`` / ``.mzXML.gz`` (``pyteomics.mzxml``).  ``index`` is the 0-based position of the spectrum
in its file counting every spectrum (bad and MS1 ones too), so ``spectra_ref = index=N`` stays stable.
Writer: MGF.  Result files (mzTab, CSV) are in :mod:`sciGen.proteins.results`.
"""
from __future__ import annotations

import base64
import gzip
import io
import math
import re
import zlib
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np
from lxml import etree

from sciGen.adapter import BadRecord, Format, ReadError
from sciGen.io import atomic_write
from sciGen.proteins.spectrum import Spectrum

_STREAM_ERRORS = (OSError, EOFError, zlib.error, etree.LxmlError)  # gzip.BadGzipFile is an OSError


class _Bad(ValueError):
    """One unusable spectrum record: ``text`` shows it, the message says why."""

    def __init__(self, reason: str, text: str = "") -> None:
        super().__init__(reason)
        self.reason, self.text = reason, text


def _report(errors: list[BadRecord] | None, path: Path, index: int, bad: _Bad) -> None:
    rec = BadRecord(str(path), index, bad.text, bad.reason)
    if errors is None:
        raise ReadError(str(rec))
    errors.append(rec)


def _open(path: Path, mode: str = "rt") -> io.IOBase:
    """Open plain or gzip (by name); a missing file is a one-line :class:`ReadError`."""
    try:
        if path.name.lower().endswith(".gz"):
            return gzip.open(path, mode, encoding="utf-8", errors="replace") if "t" in mode else gzip.open(path, mode)
        return open(path, mode, encoding="utf-8", errors="replace") if "t" in mode else open(path, mode)
    except OSError as e:
        raise ReadError(f"{path}: cannot open ({e.strerror or e})") from None


# ---------------------------------------------------------------- MGF

def _charge(text: str) -> int:
    """``2+``, ``+2``, ``2``, ``3-``, ``2+ and 3+`` (first one) → signed int; 0 when absent."""
    m = re.search(r"([+-]?)(\d+)([+-]?)", text)
    if m is None:
        return 0
    return -int(m.group(2)) if "-" in (m.group(1) + m.group(3)) else int(m.group(2))


def _float(text: str | None) -> float | None:
    """First field of ``text`` as a finite float, else None."""
    try:
        v = float(text.split()[0])
    except (AttributeError, IndexError, ValueError):
        return None
    return v if math.isfinite(v) else None


def _mgf_spectrum(params: dict[str, str], peaks: list[str], path: Path, index: int) -> Spectrum:
    title = params.get("TITLE", "")
    where = f"TITLE={title}" if title else f"block {index}"
    if "PEPMASS" not in params:
        raise _Bad("missing PEPMASS", where)
    pmz = _float(params["PEPMASS"])
    if pmz is None or pmz <= 0:
        raise _Bad(f"bad PEPMASS {params['PEPMASS']!r}", where)
    if not peaks:
        raise _Bad("no peaks", where)
    try:  # fast path; on failure find the line to report
        arr = np.loadtxt(peaks, dtype=np.float64, usecols=(0, 1), ndmin=2, comments=None)
        if not np.isfinite(arr).all():
            raise ValueError
    except ValueError:
        bad = next((ln for ln in peaks if len(ln.split()) < 2 or None in map(_float, ln.split()[:2])), "")
        raise _Bad(f"bad peak line {bad!r}" if bad else "bad peak list", where) from None
    seq = params.get("SEQ", "").strip() or None
    return Spectrum(arr[:, 0].copy(), arr[:, 1].copy(), pmz, _charge(params.get("CHARGE", "")),
                    file=str(path), index=index, scan=params.get("SCANS") or title, title=title,
                    peptide=seq, rt=_float(params.get("RTINSECONDS")))


def read_mgf(path: Path, errors: list[BadRecord] | None = None) -> Iterator[Spectrum]:
    """Spectra of an MGF file, block by block.  Parameters before the first ``BEGIN IONS`` are
    defaults (e.g. a global ``CHARGE``).  A block with a missing/bad PEPMASS, no peaks, a bad peak
    line or no ``END IONS`` is reported and skipped; a missing CHARGE gives ``charge=0``."""
    path = Path(path)
    defaults: dict[str, str] = {}
    params: dict[str, str] | None = None
    peaks: list[str] = []
    index = -1
    with _open(path) as fh:
        try:
            for line in fh:
                s = line.strip()
                if not s or s[0] in "#;!/":
                    continue
                if params is not None and s[0].isdigit():  # most lines: peaks
                    peaks.append(s)
                    continue
                u = s.upper()
                if u == "BEGIN IONS":
                    if params is not None:
                        _report(errors, path, index, _Bad("BEGIN IONS before END IONS", params.get("TITLE", "")))
                    index += 1
                    params, peaks = dict(defaults), []
                elif u == "END IONS":
                    if params is not None:
                        try:
                            yield _mgf_spectrum(params, peaks, path, index)
                        except _Bad as bad:
                            _report(errors, path, index, bad)
                    params = None
                elif params is None:
                    if "=" in s:
                        key, _, value = s.partition("=")
                        defaults[key.strip().upper()] = value.strip()
                elif "=" in s and not (s[0].isdigit() or s[0] in "+-."):
                    key, _, value = s.partition("=")
                    params[key.strip().upper()] = value.strip()
                else:
                    peaks.append(s)
        except _STREAM_ERRORS as e:
            raise ReadError(f"{path}: unreadable ({e.__class__.__name__}: {e})") from None
    if params is not None:
        _report(errors, path, index, _Bad("no END IONS (truncated file?)", params.get("TITLE", "")))
    if index < 0:
        raise ReadError(f"{path}: no BEGIN IONS block: not an MGF file")


def write_mgf(spectra: Iterable[Spectrum], path: Path) -> int:
    """MGF with TITLE, PEPMASS, CHARGE (when known), SCANS (when not the title), RTINSECONDS and
    SEQ (when labelled); gzip when the name ends in ``.gz``.  Returns the number written."""
    path = Path(path)

    def clean(s: str) -> str:
        return " ".join(str(s).split())

    def write(tmp: str) -> None:
        nonlocal n
        opener = gzip.open if path.name.lower().endswith(".gz") else open
        with opener(tmp, "wt", encoding="utf-8") as fh:
            for s in spectra:
                head = ["BEGIN IONS", s.title and f"TITLE={clean(s.title)}", f"PEPMASS={float(s.precursor_mz)}",
                        s.charge and f"CHARGE={abs(s.charge)}{'+' if s.charge > 0 else '-'}",
                        s.scan and s.scan != s.title and f"SCANS={clean(s.scan)}",
                        s.rt is not None and f"RTINSECONDS={float(s.rt)}", s.peptide and f"SEQ={s.peptide}"]
                body = [f"{a} {b}" for a, b in zip(np.asarray(s.mz, float).tolist(),
                                                  np.asarray(s.intensity, float).tolist())]
                fh.write("\n".join([h for h in head if h] + body + ["END IONS", "", ""]))
                n += 1
    n = 0
    atomic_write(path, write)
    return n


# ---------------------------------------------------------------- mzML (lxml, no psims needed)

_MZML_DTYPES = {"MS:1000523": "<f8", "MS:1000521": "<f4", "MS:1000522": "<i8", "MS:1000519": "<i4"}
_MZML_ARRAYS = {"MS:1000514": "mz", "MS:1000515": "intensity"}


def _local(el: etree._Element) -> str:
    return el.tag.rsplit("}", 1)[-1] if isinstance(el.tag, str) else ""


def _cv(el: etree._Element) -> dict[str, tuple[str, str]]:
    """accession → (value, unit accession) of the direct ``cvParam`` children."""
    return {c.get("accession", ""): (c.get("value", ""), c.get("unitAccession", "") or c.get("unitName", ""))
            for c in el if _local(c) == "cvParam"}


def _mzml_arrays(el: etree._Element, where: str) -> tuple[np.ndarray, np.ndarray]:
    arrays: dict[str, np.ndarray] = {}
    for bda in el.iter("{*}binaryDataArray"):
        cv = _cv(bda)
        kind = next((_MZML_ARRAYS[a] for a in cv if a in _MZML_ARRAYS), None)
        if kind is None:
            continue
        dtype = next((_MZML_DTYPES[a] for a in cv if a in _MZML_DTYPES), None)
        names = [c.get("name", "").lower() for c in bda if _local(c) == "cvParam"]
        comp = "zlib" if "MS:1000574" in cv else "none" if "MS:1000576" in cv or not any(
            "compression" in n or "numpress" in n for n in names) else "other"
        if dtype is None or comp == "other":
            raise _Bad(f"unsupported {kind} array encoding (only 32/64-bit float/int, zlib or none)", where)
        binary = next((c for c in bda if _local(c) == "binary"), None)
        try:
            raw = base64.b64decode((binary.text or "") if binary is not None else "", validate=True)
            arrays[kind] = np.frombuffer(zlib.decompress(raw) if comp == "zlib" and raw else raw,
                                         dtype=dtype).astype(np.float64)
        except (ValueError, zlib.error) as e:
            raise _Bad(f"undecodable {kind} array ({e})", where) from None
    if "mz" not in arrays or "intensity" not in arrays:
        raise _Bad("missing m/z or intensity array", where)
    if len(arrays["mz"]) != len(arrays["intensity"]):
        raise _Bad("m/z and intensity arrays differ in length", where)
    return arrays["mz"], arrays["intensity"]


def _mzml_spectrum(el: etree._Element, path: Path, index: int) -> Spectrum | None:
    """One ``<spectrum>`` element → Spectrum (None for MS1/other levels)."""
    sid = el.get("id", "")
    cv = _cv(el)
    level = cv.get("MS:1000511", ("",))[0] or ("1" if "MS:1000579" in cv else "2")
    if level != "2":
        return None
    where = f"id={sid}"
    rt = pmz = None
    charge = 0
    for node in el.iter("{*}cvParam"):
        acc, value, unit = node.get("accession"), node.get("value", ""), node.get("unitAccession", "")
        if acc == "MS:1000016" and rt is None:
            rt = _float(value)
            if rt is not None and (unit == "UO:0000031" or node.get("unitName") == "minute"):
                rt *= 60.0
        elif acc == "MS:1000744" and pmz is None:
            pmz = _float(value)
        elif acc == "MS:1000041" and not charge:
            charge = _charge(value)
    if pmz is None or pmz <= 0:
        raise _Bad("missing precursor m/z", where)
    mz_arr, int_arr = _mzml_arrays(el, where)
    if len(mz_arr) == 0:
        raise _Bad("no peaks", where)
    return Spectrum(mz_arr, int_arr, pmz, charge, file=str(path), index=index, scan=sid,
                    title=cv.get("MS:1000796", ("",))[0], rt=rt)


def read_mzml(path: Path, errors: list[BadRecord] | None = None) -> Iterator[Spectrum]:
    """MS2 spectra of an mzML file (plain, indexed or gzip), streamed with ``lxml.iterparse``."""
    path = Path(path)
    count = 0
    with _open(path, "rb") as fh:
        try:
            for _, el in etree.iterparse(fh, events=("end",), tag="{*}spectrum", huge_tree=True):
                index = int(el.get("index")) if el.get("index", "").isdigit() else count
                count += 1
                try:
                    spec = _mzml_spectrum(el, path, index)
                except _Bad as bad:
                    _report(errors, path, index, bad)
                    spec = None
                el.clear()
                while el.getprevious() is not None:
                    del el.getparent()[0]
                if spec is not None:
                    yield spec
        except _STREAM_ERRORS as e:
            raise ReadError(f"{path}: not a readable mzML file ({e.__class__.__name__}: {e})") from None
    if count == 0:
        raise ReadError(f"{path}: no <spectrum> elements: not an mzML file")


# ---------------------------------------------------------------- mzXML (pyteomics)

def _mzxml_spectrum(rec: dict, path: Path, index: int) -> Spectrum | None:
    """One pyteomics mzXML scan record (binary not yet decoded) → Spectrum (None unless MS2)."""
    from pyteomics.auxiliary import PyteomicsError

    if int(rec.get("msLevel", 2)) != 2:
        return None
    where = f"num={rec.get('num', '')}"
    prec = (rec.get("precursorMz") or [{}])[0]
    pmz = prec.get("precursorMz")
    if not pmz or pmz <= 0:
        raise _Bad("missing precursor m/z", where)
    try:
        mz_arr = np.asarray(rec["m/z array"].decode(), dtype=np.float64)
        int_arr = np.asarray(rec["intensity array"].decode(), dtype=np.float64)
    except (KeyError, ValueError, TypeError, zlib.error, PyteomicsError) as e:
        raise _Bad(f"undecodable peaks ({e})", where) from None
    if len(mz_arr) == 0:
        raise _Bad("no peaks", where)
    rt = rec.get("retentionTime")
    return Spectrum(mz_arr, int_arr, float(pmz), int(prec.get("precursorCharge") or 0), file=str(path),
                    index=index, scan=str(rec.get("num", "")), rt=None if rt is None else float(rt) * 60.0)


def read_mzxml(path: Path, errors: list[BadRecord] | None = None) -> Iterator[Spectrum]:
    """MS2 scans of an mzXML file (plain or gzip; nested scans in document order) via
    ``pyteomics.mzxml``; ``scan`` is the scan ``num``, ``rt`` in seconds."""
    from pyteomics import mzxml
    from pyteomics.auxiliary import PyteomicsError

    path = Path(path)
    count = 0
    with _open(path, "rb") as fh:
        try:
            for index, rec in enumerate(mzxml.read(fh, use_index=False, decode_binary=False)):
                count += 1
                try:
                    spec = _mzxml_spectrum(rec, path, index)
                except _Bad as bad:
                    _report(errors, path, index, bad)
                    continue
                if spec is not None:
                    yield spec
        except (*_STREAM_ERRORS, PyteomicsError) as e:
            raise ReadError(f"{path}: not a readable mzXML file ({e.__class__.__name__}: {e})") from None
    if count == 0:
        raise ReadError(f"{path}: no <scan> elements: not an mzXML file")


FORMATS: tuple[Format, ...] = (
    Format("mgf", ("*.mgf", "*.mgf.gz"), read_mgf, write_mgf),
    Format("mzml", ("*.mzml", "*.mzml.gz"), read_mzml),
    Format("mzxml", ("*.mzxml", "*.mzxml.gz"), read_mzxml),
)
