"""B-Rep basics on OpenCASCADE (OCP): read and write STEP / BREP, sub-shape maps, the face-adjacency graph,
normalisation into the [-1, 1]³ cube, and tessellation for previews and point-cloud metrics.

A *part* is a ``TopoDS_Shape`` holding one solid.  Faces and edges are numbered by OpenCASCADE's indexed
maps (``TopExp.MapShapes``), which follow the file's order: the same file always gives the same numbers
(BRepNet's ``.seg`` labels use this order too).
"""
from __future__ import annotations

import os
import sys
import tempfile
from contextlib import contextmanager
from typing import Iterator
from pathlib import Path

import numpy as np
from OCP.Bnd import Bnd_Box
from OCP.BRep import BRep_Builder, BRep_Tool
from OCP.BRepBndLib import BRepBndLib
from OCP.BRepBuilderAPI import BRepBuilderAPI_Transform
from OCP.BRepMesh import BRepMesh_IncrementalMesh
from OCP.BRepTools import BRepTools
from OCP.collections import (IndexedDataMap_TopoDS_Shape_List_TopoDS_Shape_TopTools_ShapeMapHasher as _IDMap,
                             IndexedMap_TopoDS_Shape_TopTools_ShapeMapHasher as _IMap)
from OCP.gp import gp_Pnt, gp_Trsf, gp_Vec
from OCP.IFSelect import IFSelect_RetDone
from OCP.Interface import Interface_Static
from OCP.STEPControl import STEPControl_AsIs, STEPControl_Reader, STEPControl_Writer
from OCP.TopAbs import TopAbs_EDGE, TopAbs_FACE, TopAbs_REVERSED, TopAbs_SHELL, TopAbs_SOLID, TopAbs_VERTEX
from OCP.TopExp import TopExp
from OCP.TopLoc import TopLoc_Location
from OCP.TopoDS import TopoDS, TopoDS_Compound, TopoDS_Shape

from sciGen.io import atomic_write

KINDS = {"solid": TopAbs_SOLID, "shell": TopAbs_SHELL, "face": TopAbs_FACE, "edge": TopAbs_EDGE,
         "vertex": TopAbs_VERTEX}


@contextmanager
def quiet() -> Iterator[None]:
    """Silence OpenCASCADE, which prints its reader/writer statistics on the process's own stdout/stderr."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, 1)
        os.dup2(null, 2)
        yield
    finally:
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in (*saved, null):
            os.close(fd)


class BRepReadError(ValueError):
    """A file is not a readable B-Rep (not STEP/BREP, empty, or no shape in it)."""


def read_step(path: str | Path) -> TopoDS_Shape:
    """The shape of every root of a STEP file, one compound if there are several."""
    path = Path(path)
    reader = STEPControl_Reader()
    with quiet():  # OCC prints its own messages on stdout
        status = reader.ReadFile(str(path))
    if status != IFSelect_RetDone:
        raise BRepReadError(f"{path}: not a readable STEP file")
    with quiet():
        reader.TransferRoots()
    shape = reader.OneShape()
    if shape.IsNull() or count(shape, "face") == 0:
        raise BRepReadError(f"{path}: the STEP file holds no faces")
    return shape


def read_brep(path: str | Path) -> TopoDS_Shape:
    """An OpenCASCADE ``.brep`` file."""
    path = Path(path)
    shape = TopoDS_Shape()
    try:
        with quiet():
            ok = BRepTools.Read_s(shape, str(path), BRep_Builder())
    except Exception:  # noqa: BLE001 - OCC raises its own exception types on garbage
        ok = False
    if not ok or shape.IsNull() or count(shape, "face") == 0:
        raise BRepReadError(f"{path}: not a readable BREP file")
    return shape


def write_step(shape: TopoDS_Shape, path: str | Path) -> None:
    """Write ``shape`` as STEP AP214 (millimetres), atomically."""
    def write(tmp: str) -> None:
        writer = STEPControl_Writer()
        Interface_Static.SetCVal_s("write.step.schema", "AP214IS")
        with quiet():
            writer.Transfer(shape, STEPControl_AsIs)
            if writer.Write(tmp) != IFSelect_RetDone:
                raise OSError(f"{path}: OpenCASCADE could not write STEP")
    atomic_write(path, write)


def write_brep(shape: TopoDS_Shape, path: str | Path) -> None:
    def write(tmp: str) -> None:
        if not BRepTools.Write_s(shape, tmp):
            raise OSError(f"{path}: OpenCASCADE could not write BREP")
    atomic_write(path, write)


def step_bytes(shape: TopoDS_Shape) -> bytes:
    """The STEP text of a shape (for hashing and tests)."""
    fd, tmp = tempfile.mkstemp(suffix=".step")
    os.close(fd)
    try:
        write_step(shape, tmp)
        return Path(tmp).read_bytes()
    finally:
        os.unlink(tmp)


# ---- sub-shapes and the face-adjacency graph -------------------------------------------------------
def subshapes(shape: TopoDS_Shape, kind: str) -> list[TopoDS_Shape]:
    """The distinct sub-shapes of ``kind`` ('solid', 'shell', 'face', 'edge', 'vertex') in map order,
    cast to their concrete type (``TopoDS_Face`` …)."""
    m = _IMap()
    TopExp.MapShapes_s(shape, KINDS[kind], m)
    cast = {"solid": TopoDS.Solid, "shell": TopoDS.Shell, "face": TopoDS.Face, "edge": TopoDS.Edge,
            "vertex": TopoDS.Vertex}[kind]
    return [cast(m.FindKey(i)) for i in range(1, m.Extent() + 1)]


def count(shape: TopoDS_Shape, kind: str) -> int:
    m = _IMap()
    TopExp.MapShapes_s(shape, KINDS[kind], m)
    return m.Extent()


def edge_faces(shape: TopoDS_Shape) -> tuple[list[TopoDS_Shape], list[TopoDS_Shape], list[list[int]]]:
    """(faces, edges, for each edge the indices of the faces it bounds — two for a closed-shell edge,
    one for a free edge, one face twice for a seam)."""
    faces = subshapes(shape, "face")
    fmap = _IMap()
    TopExp.MapShapes_s(shape, TopAbs_FACE, fmap)
    anc = _IDMap()
    TopExp.MapShapesAndAncestors_s(shape, TopAbs_EDGE, TopAbs_FACE, anc)
    edges, owners = [], []
    for i in range(1, anc.Extent() + 1):
        edges.append(TopoDS.Edge(anc.FindKey(i)))
        owners.append([fmap.FindIndex(f) - 1 for f in anc.FindFromIndex(i)])
    return faces, edges, owners


def face_adjacency(shape: TopoDS_Shape) -> tuple[int, list[tuple[int, int, int]]]:
    """(number of faces, [(face a, face b, edge index)]) for every edge shared by two distinct faces."""
    faces, _, owners = edge_faces(shape)
    pairs = []
    for e, fs in enumerate(owners):
        distinct = sorted(set(fs))
        if len(distinct) == 2:
            pairs.append((distinct[0], distinct[1], e))
    return len(faces), pairs


# ---- geometry --------------------------------------------------------------------------------------
def bounding_box(shape: TopoDS_Shape, optimal: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """(lo (3,), hi (3,)) of the shape; ``optimal`` uses the exact geometry rather than control points."""
    box = Bnd_Box()
    if optimal:
        BRepBndLib.AddOptimal_s(shape, box, False, False)
    else:
        BRepBndLib.Add_s(shape, box)
    if box.IsVoid():
        return np.full(3, np.inf), np.full(3, -np.inf)
    lo, hi = box.CornerMin(), box.CornerMax()
    return np.array([lo.X(), lo.Y(), lo.Z()]), np.array([hi.X(), hi.Y(), hi.Z()])


def normalize(shape: TopoDS_Shape, half_extent: float = 1.0) -> TopoDS_Shape:
    """Translate and scale uniformly so the bounding box is centred and its longest side is
    ``2·half_extent`` (the [-1, 1]³ cube by default).  The geometry is transformed, not just located."""
    return normalize_like(shape, shape, half_extent)


def normalization(frame: TopoDS_Shape, half_extent: float = 1.0) -> gp_Trsf:
    """The transform :func:`normalize` applies to ``frame`` (``.Inverted()`` maps back)."""
    lo, hi = bounding_box(frame)
    size = float((hi - lo).max())
    if not np.isfinite(size) or size <= 0:
        raise ValueError("cannot normalise a shape with an empty bounding box")
    move, scale = gp_Trsf(), gp_Trsf()
    move.SetTranslation(gp_Vec(*(-(lo + hi) / 2)))
    scale.SetScale(gp_Pnt(0, 0, 0), 2 * half_extent / size)
    return scale.Multiplied(move)


def transformed(shape: TopoDS_Shape, trsf: gp_Trsf) -> TopoDS_Shape:
    return BRepBuilderAPI_Transform(shape, trsf, True).Shape()


def normalize_like(shape: TopoDS_Shape, frame: TopoDS_Shape, half_extent: float = 1.0) -> TopoDS_Shape:
    """``shape`` moved and scaled by the transform that :func:`normalize` applies to ``frame``."""
    return transformed(shape, normalization(frame, half_extent))


def tessellate(shape: TopoDS_Shape, deflection: float = 0.005, angle: float = 0.3
               ) -> tuple[np.ndarray, np.ndarray]:
    """Triangulate every face (``BRepMesh_IncrementalMesh``) → (vertices (V, 3), faces (F, 3)) with
    outward winding (reversed faces flipped).  Faces that fail to mesh are left out."""
    BRepMesh_IncrementalMesh(shape, deflection, False, angle, True)
    verts, tris, offset = [], [], 0
    for face in subshapes(shape, "face"):
        loc = TopLoc_Location()
        tri = BRep_Tool.Triangulation_s(face, loc)
        if tri is None:
            continue
        trsf = loc.Transformation()
        v = np.array([[p.X(), p.Y(), p.Z()] for p in
                      (tri.Node(i).Transformed(trsf) for i in range(1, tri.NbNodes() + 1))])
        t = np.array([tri.Triangle(i).Get() for i in range(1, tri.NbTriangles() + 1)]) - 1
        if face.Orientation() == TopAbs_REVERSED:
            t = t[:, ::-1]
        verts.append(v)
        tris.append(t + offset)
        offset += len(v)
    if not verts:
        return np.zeros((0, 3)), np.zeros((0, 3), dtype=np.int64)
    return np.concatenate(verts), np.concatenate(tris).astype(np.int64)


def compound(shapes: list[TopoDS_Shape]) -> TopoDS_Compound:
    comp = TopoDS_Compound()
    builder = BRep_Builder()
    builder.MakeCompound(comp)
    for s in shapes:
        builder.Add(comp, s)
    return comp
