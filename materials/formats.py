"""Crystal file formats as :class:`sciGen.adapter.Format` records: CIF (one or more data blocks) and
the CDVAE CSV (a ``cif`` column; ``.csv`` or ``.csv.gz``).  Each structure read carries
``structure.properties["id"]`` (the CSV's ``material_id`` or ``file:block``) to name it in messages.
A record pymatgen cannot parse, with an unknown element or with overlapping atoms is skipped into
``errors`` (or raises when ``errors`` is None)."""
from __future__ import annotations

import csv
import gzip
import io
import warnings
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np
from pymatgen.core import DummySpecies, Element, Structure

from sciGen.adapter import BadRecord, Format, ReadError
from sciGen.io import atomic_write, atomic_write_text
from sciGen.materials.validate import MIN_DISTANCE, min_distance

csv.field_size_limit(1 << 28)


def _check(s: Structure, rid: str) -> Structure:
    if not s.is_ordered:
        raise ValueError("disordered (partial occupancies)")
    unknown = sorted({sp.symbol for sp in s.species if isinstance(sp, DummySpecies) or not Element.is_valid_symbol(sp.symbol)})
    if unknown:
        raise ValueError(f"unknown element {', '.join(unknown)}")
    d = min_distance(s) if len(s) > 1 else np.inf
    if d <= MIN_DISTANCE:
        raise ValueError(f"overlapping atoms (shortest distance {d:.2f} Å)")
    s.properties["id"] = rid
    return s


def parse_cif(text: str, rid: str) -> list[Structure]:
    """Every structure in a CIF string; ValueError with pymatgen's reason."""
    from pymatgen.io.cif import CifParser
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            structs = CifParser.from_str(text).parse_structures(primitive=False, on_error="raise")
        except Exception as e:  # noqa: BLE001 - pymatgen raises many exception types
            msg = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            raise ValueError(f"pymatgen cannot parse the CIF ({msg})") from None
    if not structs:
        raise ValueError("pymatgen cannot parse the CIF (no structure in it)")
    return [_check(s, rid if len(structs) == 1 else f"{rid}#{k}") for k, s in enumerate(structs)]


def _skip(errors: list[BadRecord] | None, path: Path, i: int, rid: str, reason: str) -> None:
    bad = BadRecord(str(path), i, rid, reason)
    if errors is None:
        raise ReadError(f"{path}: record {rid}: {reason}")
    errors.append(bad)


def read_cif(path: Path, errors: list[BadRecord] | None) -> Iterator[Structure]:
    try:
        text = path.read_text(errors="replace")
    except OSError as e:
        raise ReadError(f"{path}: {e}") from None
    try:
        yield from parse_cif(text, path.name)
    except ValueError as e:
        _skip(errors, path, 0, path.name, str(e))


def csv_rows(path: Path) -> Iterator[dict[str, str]]:
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    try:
        with opener(path, "rt", newline="") as fh:
            reader = csv.DictReader(fh)
            if reader.fieldnames is None or "cif" not in reader.fieldnames:
                raise ReadError(f"{path}: no 'cif' column (CDVAE CSV format expected)")
            yield from reader
    except (OSError, EOFError, UnicodeDecodeError, csv.Error) as e:
        raise ReadError(f"{path}: cannot read as CSV ({e})") from None


def read_csv(path: Path, errors: list[BadRecord] | None) -> Iterator[Structure]:
    for i, row in enumerate(csv_rows(path)):
        rid = str(row.get("material_id") or row.get("Unnamed: 0") or i)
        try:
            for s in parse_cif(row["cif"], rid):
                yield s
        except ValueError as e:
            _skip(errors, path, i, rid, str(e))


def cif_text(s: Structure) -> str:
    from pymatgen.io.cif import CifWriter
    return str(CifWriter(s))


def write_cif(structures: Iterable[Structure] | Structure, path: Path) -> int:
    structures = [structures] if isinstance(structures, Structure) else list(structures)
    atomic_write_text(path, "".join(cif_text(s) for s in structures))
    return len(structures)


def write_csv(structures: Iterable[Structure], path: Path) -> int:
    rows = list(structures)
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["material_id", "formula", "cif"])
    for i, s in enumerate(rows):
        w.writerow([s.properties.get("id", i), s.composition.reduced_formula, cif_text(s)])
    data = buf.getvalue()
    if path.name.lower().endswith(".gz"):
        atomic_write(path, lambda tmp: Path(tmp).write_bytes(gzip.compress(data.encode(), mtime=0)))
    else:
        atomic_write_text(path, data)
    return len(rows)


FORMATS: tuple[Format, ...] = (
    Format("cif", ("*.cif",), read_cif, write_cif),
    Format("csv", ("*.csv", "*.csv.gz"), read_csv, write_csv),
)


def write_folder(named: Iterable[tuple[str, Structure]], folder: str | Path) -> int:
    """Write ``folder/NAME.cif`` for each (name, structure), atomically; returns the count."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    n = 0
    for name, s in named:
        write_cif(s, folder / f"{name}.cif")
        n += 1
    return n


def read_folder(folder: str | Path, errors: list[BadRecord] | None = None) -> list[tuple[str, Structure]]:
    """(file stem, structure) for every readable ``*.cif`` in ``folder`` (sorted by name)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ReadError(f"{folder}: not a folder")
    out = []
    for p in sorted(folder.glob("*.cif")):
        out.extend((p.stem, s) for s in read_cif(p, errors))
    return out
