"""B-Rep file formats: STEP (``.step``, ``.stp``) and OpenCASCADE BREP (``.brep``), each a
:class:`sciGen.adapter.Format` record.  A file holds one shape (a part, or an assembly the caller may
refuse); writing several shapes goes through :func:`write_folder` (``NNNN.step``)."""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterable, Iterator

from OCP.TopoDS import TopoDS_Shape

from sciGen.adapter import BadRecord, Format, ReadError
from sciGen.cad.brep import BRepReadError, read_brep, read_step, write_brep, write_step


def _reader(load: Callable[[Path], TopoDS_Shape]) -> Callable[[Path, list[BadRecord] | None], Iterator[TopoDS_Shape]]:
    def read(path: Path, errors: list[BadRecord] | None) -> Iterator[TopoDS_Shape]:
        try:
            shape = load(path)
        except BRepReadError as e:
            if errors is None:
                raise ReadError(str(e)) from None
            errors.append(BadRecord(str(path), 0, "", str(e).split(": ", 1)[-1]))
            return
        yield shape
    return read


def _writer(save: Callable[[TopoDS_Shape, Path], None]) -> Callable[[Iterable[TopoDS_Shape], Path], int]:
    def write(shapes: Iterable[TopoDS_Shape] | TopoDS_Shape, path: Path) -> int:
        shapes = [shapes] if isinstance(shapes, TopoDS_Shape) else list(shapes)
        if len(shapes) != 1:
            raise ValueError(f"{path}: a B-Rep file holds one shape, got {len(shapes)} (write a folder instead)")
        save(shapes[0], path)
        return 1
    return write


FORMATS: tuple[Format, ...] = (
    Format("step", ("*.step", "*.stp"), _reader(read_step), _writer(write_step)),
    Format("brep", ("*.brep",), _reader(read_brep), _writer(write_brep)),
)
SUFFIXES = {"step": ".step", "brep": ".brep"}


def cad_files(folder: str | Path) -> list[Path]:
    """The STEP / BREP files in ``folder`` (not recursive), sorted by name."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ReadError(f"{folder}: not a folder")
    return sorted(p for p in folder.iterdir() if p.is_file() and any(f.matches(p) for f in FORMATS))


def read_folder(folder: str | Path, errors: list[BadRecord] | None = None) -> list[tuple[str, TopoDS_Shape]]:
    """(file name, shape) for every readable B-Rep file of ``folder``; unreadable ones go to ``errors``."""
    errors = [] if errors is None else errors
    out = []
    for p in cad_files(folder):
        fmt = next(f for f in FORMATS if f.matches(p))
        out.extend((p.name, s) for s in fmt.read(p, errors))
    return out


def write_folder(shapes: Iterable[TopoDS_Shape], folder: str | Path, fmt: str = "step", start: int = 0,
                 digits: int = 4) -> list[Path]:
    """Write ``NNNN.step`` (or ``.brep``) files, numbered from ``start``, each atomically."""
    if fmt not in SUFFIXES:
        raise ValueError(f"unknown CAD format {fmt!r} (use {', '.join(SUFFIXES)})")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    save = write_step if fmt == "step" else write_brep
    paths = []
    for i, s in enumerate(shapes, start):
        p = folder / f"{i:0{digits}d}{SUFFIXES[fmt]}"
        save(s, p)
        paths.append(p)
    return paths
