"""Mesh file formats (trimesh): STL, OBJ, PLY, OFF, GLB and GLTF, plain or compressed
(``*.obj.xz``, ``*.stl.gz``, ``*.ply.bz2``, ...).  Each is a :class:`sciGen.adapter.Format` record.

A file holds one mesh: scenes are flattened with their transforms (``Scene.to_mesh``), vertices are
float64 and coincident vertices are merged (STL stores a triangle soup).  ``mesh.metadata["name"]``
is the file name.  Writing several meshes goes through :func:`write_folder` (``NNNNNN.<fmt>``).
"""
from __future__ import annotations

import bz2
import gzip
import io
import lzma
from pathlib import Path
from typing import Callable, Iterable, Iterator

import numpy as np
import trimesh

from sciGen.adapter import BadRecord, Format, ReadError
from sciGen.io import atomic_write

# compression suffix -> (decompress, compress)
_CODECS: dict[str, tuple[Callable[[bytes], bytes], Callable[[bytes], bytes]]] = {
    ".gz": (gzip.decompress, gzip.compress),
    ".xz": (lzma.decompress, lzma.compress),
    ".bz2": (bz2.decompress, bz2.compress),
}
# format name -> (suffix, trimesh file_type for reading, for writing)
_TYPES = {
    "stl": (".stl", "stl", "stl"),
    "obj": (".obj", "obj", "obj"),
    "ply": (".ply", "ply", "ply"),
    "off": (".off", "off", "off"),
    "glb": (".glb", "glb", "glb"),
    "gltf": (".gltf", "gltf", "gltf"),
}


def _codec(path: Path) -> str:
    """The compression suffix of ``path`` ('.gz', '.xz', '.bz2') or ''."""
    suffix = path.suffix.lower()
    return suffix if suffix in _CODECS else ""


def mesh_stem(path: str | Path) -> str:
    """File name without its mesh and compression suffixes: ``cat.obj.xz`` -> ``cat``."""
    name = Path(path).name
    low = name.lower()
    for codec in ("", *_CODECS):
        for suffix, _, _ in _TYPES.values():
            if low.endswith(suffix + codec):
                return name[: len(name) - len(suffix + codec)]
    return Path(path).stem


def _load(path: Path, file_type: str) -> tuple[trimesh.Trimesh | None, str]:
    """Parse one file → (mesh, "") or (None, reason)."""
    codec = _codec(path)
    try:
        data = path.read_bytes()
    except OSError as e:
        return None, f"cannot read ({e.strerror or e})"
    if not data:
        return None, "empty file"
    if codec:
        try:
            data = _CODECS[codec][0](data)
        except (OSError, EOFError, lzma.LZMAError, ValueError) as e:
            return None, f"not a valid {codec[1:]} file ({e.__class__.__name__})"
        if not data:
            return None, "empty file (after decompression)"
    kind = file_type.upper()
    try:
        # a plain .gltf may keep its buffers in files beside it
        resolver = trimesh.resolvers.FilePathResolver(path) if file_type == "gltf" and not codec else None
        loaded = trimesh.load(io.BytesIO(data), file_type=file_type, process=False, resolver=resolver)
        parts = list(loaded.geometry.values()) if isinstance(loaded, trimesh.Scene) else [loaded]
        n_points = sum(len(g.vertices) for g in parts if isinstance(g, trimesh.PointCloud))
        if not any(isinstance(g, trimesh.Trimesh) and len(g.faces) for g in parts):
            if n_points:
                return None, f"no triangles ({n_points} vertices, 0 faces)"
            return None, f"no vertices or triangles (not {kind} data?)"
        # scenes: every triangle mesh with its node transform, concatenated (points and lines dropped)
        mesh = loaded.to_mesh() if isinstance(loaded, trimesh.Scene) else loaded
    except Exception as e:  # noqa: BLE001 - trimesh parsers raise many types; reported as one line
        msg = str(e).splitlines()[0][:120] if str(e) else ""
        return None, f"not a readable {kind} file ({e.__class__.__name__}{': ' + msg if msg else ''})"
    if not np.isfinite(np.asarray(mesh.vertices)[np.asarray(mesh.faces)]).all():
        return None, "non-finite vertex coordinates"
    # geometry only (UVs, normals, colours dropped); process=True merges coincident vertices
    out = trimesh.Trimesh(np.asarray(mesh.vertices, dtype=np.float64), np.asarray(mesh.faces, dtype=np.int64),
                          process=True)
    out.metadata = {"name": path.name}
    return out, ""


def _reader(file_type: str) -> Callable[[Path, list[BadRecord] | None], Iterator[trimesh.Trimesh]]:
    def read(path: Path, errors: list[BadRecord] | None) -> Iterator[trimesh.Trimesh]:
        """The one mesh in ``path``; a bad file goes to ``errors`` (nothing yielded) or raises."""
        path = Path(path)
        mesh, reason = _load(path, file_type)
        if mesh is None:
            if errors is None:
                raise ReadError(f"{path}: {reason}")
            errors.append(BadRecord(str(path), 0, "", reason))
            return
        yield mesh
    return read


def _export(mesh: trimesh.Trimesh, file_type: str) -> bytes:
    if file_type == "gltf":  # one self-contained file: buffers embedded as data URIs
        from trimesh.exchange.gltf import export_gltf

        data = export_gltf(trimesh.Scene(mesh), embed_buffers=True)["model.gltf"]
    else:
        data = mesh.export(file_type=file_type)
    return data.encode() if isinstance(data, str) else bytes(data)


def _writer(file_type: str) -> Callable[[Iterable[trimesh.Trimesh], Path], int]:
    def write(meshes: Iterable[trimesh.Trimesh] | trimesh.Trimesh, path: Path) -> int:
        """Write the one mesh atomically (compressed when ``path`` ends in .gz/.xz/.bz2); returns 1."""
        path = Path(path)
        items = [meshes] if isinstance(meshes, trimesh.Trimesh) else list(meshes)
        if len(items) != 1:
            raise ValueError(f"{path}: a {file_type.upper()} file holds one mesh, got {len(items)}; "
                             "pass a folder to write several (write_folder)")
        data = _export(items[0], file_type)
        codec = _codec(path)
        if codec:
            data = _CODECS[codec][1](data)
        atomic_write(path, lambda tmp: Path(tmp).write_bytes(data))
        return 1
    return write


def _format(name: str) -> Format:
    suffix, read_type, write_type = _TYPES[name]
    patterns = tuple(f"*{suffix}{codec}" for codec in ("", *_CODECS))
    return Format(name, patterns, _reader(read_type), _writer(write_type))


FORMATS: tuple[Format, ...] = tuple(_format(name) for name in _TYPES)


def format_for(path: str | Path) -> Format | None:
    """The Format whose patterns match ``path``'s name, or None."""
    return next((f for f in FORMATS if f.matches(path)), None)


def read(path: str | Path, errors: list[BadRecord] | None = None) -> Iterator[trimesh.Trimesh]:
    """The mesh in one file of any supported format (see :data:`FORMATS`)."""
    path = Path(path)
    fmt = format_for(path)
    if fmt is None:
        names = ", ".join(p for f in FORMATS for p in f.patterns[:1])
        raise ReadError(f"{path}: unsupported mesh file type (use {names}, optionally .gz/.xz/.bz2)")
    if not path.is_file():
        raise ReadError(f"{path}: file not found")
    return fmt.read(path, errors)


def write(meshes: Iterable[trimesh.Trimesh] | trimesh.Trimesh, path: str | Path) -> int:
    """Write one mesh to ``path``; the format follows the file name."""
    fmt = format_for(path)
    if fmt is None or fmt.write is None:
        raise ReadError(f"{path}: unsupported mesh file type for writing")
    return fmt.write(meshes, Path(path))


def mesh_files(folder: str | Path) -> list[Path]:
    """Every supported mesh file directly in ``folder``, sorted by name."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ReadError(f"{folder}: folder not found")
    return sorted(p for p in folder.iterdir() if p.is_file() and format_for(p) is not None)


def read_folder(folder: str | Path, errors: list[BadRecord] | None = None
                ) -> Iterator[tuple[Path, trimesh.Trimesh]]:
    """(path, mesh) for every supported file in ``folder`` (sorted); bad files go to ``errors`` or raise."""
    for path in mesh_files(folder):
        for mesh in format_for(path).read(path, errors):
            yield path, mesh


def write_folder(meshes: Iterable[trimesh.Trimesh], folder: str | Path, fmt: str = "obj",
                 start: int = 0) -> list[Path]:
    """Write each mesh atomically to ``folder/NNNNNN.<fmt>`` (6 digits, from ``start``); returns the paths."""
    fmt = fmt.lower().lstrip(".")
    target = format_for(f"x.{fmt}")
    if target is None:
        raise ValueError(f"unknown mesh format {fmt!r} (use {', '.join(_TYPES)}, optionally + .gz/.xz/.bz2)")
    folder = Path(folder)
    paths = []
    for i, mesh in enumerate(meshes, start=start):
        path = folder / f"{i:06d}.{fmt}"
        target.write([mesh], path)
        paths.append(path)
    return paths


def read_points(path: str | Path, n_sample: int = 4096) -> np.ndarray:
    """A point cloud (N, 3) float32 from ``.xyz`` / ``.txt`` / ``.csv`` (x y z columns first), ``.npy``, or
    any file trimesh reads (a ``.ply`` point cloud's vertices; a mesh's surface, ``n_sample`` points).
    A missing file, too few points or non-finite coordinates are one clear error naming the file."""
    path = Path(path)
    if not path.is_file():
        raise ReadError(f"{path}: file not found")
    try:
        suffix = path.suffix.lower()
        if suffix in (".xyz", ".txt", ".csv"):
            pts = np.loadtxt(path, delimiter="," if suffix == ".csv" else None, ndmin=2)[:, :3]
        elif suffix == ".npy":
            pts = np.load(path, allow_pickle=False).reshape(-1, 3)
        else:
            geom = trimesh.load(path, force=None)
            if isinstance(geom, trimesh.Trimesh) and len(geom.faces):
                pts = geom.sample(n_sample, seed=0)
            else:
                pts = np.asarray(geom.vertices)
    except Exception as e:  # noqa: BLE001 - any parser failure is the file's fault
        raise ReadError(f"{path}: cannot read a point cloud ({e})") from None
    pts = np.asarray(pts, dtype=np.float32)
    if pts.ndim != 2 or pts.shape[1] != 3 or len(pts) < 16:
        raise ReadError(f"{path}: a point cloud needs at least 16 points with x, y, z (got {pts.shape})")
    if not np.isfinite(pts).all():
        raise ReadError(f"{path}: point coordinates are not all finite")
    return pts
