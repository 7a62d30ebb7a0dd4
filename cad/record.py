"""A B-Rep part as arrays: what the AutoBrep tokenizer and its autoencoders read.

:func:`part_record` normalises a part into [-1, 1]³ and returns its face UV grids with trimming masks,
its edge curve grids, which faces each edge bounds, and the surface type of each face.  Seam edges (a
closed surface meeting itself) and degenerated edges (a pole) bound only one face: they are part of
that face's own parametrisation, kept out of the edge list, and counted.

A face or edge that cannot be gridded raises :class:`PartError` naming the face or edge and why.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from OCP.BRep import BRep_Tool
from OCP.TopoDS import TopoDS_Shape

from sciGen.adapter import ReadError
from sciGen.cad.brep import count, edge_faces, normalize
from sciGen.cad.sampling import GridError, edge_grid, face_grid, surface_type


class PartError(ReadError):
    """A part the tokenizer cannot read (an assembly, an open shell, a face it cannot grid)."""


@dataclass
class PartRecord:
    face_grids: np.ndarray  # (F, n, n, 3) float32 in [-1, 1]³
    face_masks: np.ndarray  # (F, n, n) bool, True inside the trimmed face
    face_types: list[str]  # 'plane', 'cylinder', …
    edge_grids: np.ndarray  # (E, n, 3) float32
    edge_faces: np.ndarray  # (E, 2) int: the two faces each edge bounds
    n_seams: int = 0

    @property
    def n_faces(self) -> int:
        return len(self.face_grids)

    def adjacency(self) -> list[set[int]]:
        """Neighbouring faces of each face (through at least one edge)."""
        from sciGen.cad.tokens import adjacency
        return adjacency(self.n_faces, self.edge_faces)


def check_part(shape: TopoDS_Shape) -> None:
    """PartError unless ``shape`` holds exactly one solid and nothing else."""
    n = count(shape, "solid")
    if n == 0:
        raise PartError("no solid (an open shell or loose faces)")
    if n > 1:
        raise PartError(f"an assembly of {n} solids (one part per file)")
    from sciGen.cad.brep import subshapes
    if count(shape, "face") != count(subshapes(shape, "solid")[0], "face"):
        raise PartError("faces outside the solid")


def split_closed(shape: TopoDS_Shape) -> TopoDS_Shape:
    """Closed faces (a full cylinder, a sphere) split in two (``ShapeUpgrade_ShapeDivideClosed``), so every
    edge bounds two distinct faces and no face needs a seam (as the BrepGen / AutoBrep data)."""
    from OCP.ShapeUpgrade import ShapeUpgrade_ShapeDivideClosed
    div = ShapeUpgrade_ShapeDivideClosed(shape)
    div.SetNbSplitPoints(1)
    div.Perform()
    return div.Result()


def part_record(shape: TopoDS_Shape, n: int = 32, edge_n: int = 32, max_faces: int | None = None,
                split: bool = True, partial: bool = False, frame: TopoDS_Shape | None = None) -> PartRecord:
    """The arrays of a one-solid part, normalised into [-1, 1]³ (longest side 2), closed faces split.
    ``partial``: any set of faces (an open shell to autocomplete) — edges bounding one face are left out,
    and ``frame`` (the shape whose box defines the normalisation, default the shape itself) may be given."""
    if not partial:
        check_part(shape)
    elif count(shape, "face") == 0:
        raise PartError("no faces")
    else:  # loose faces (a STEP file of faces shares no edges): sew them so that neighbours share edges
        from OCP.BRepBuilderAPI import BRepBuilderAPI_Sewing
        from sciGen.cad.brep import bounding_box
        lo, hi = bounding_box(shape)
        sew = BRepBuilderAPI_Sewing(1e-6 * float((hi - lo).max()))
        sew.Add(shape)
        sew.Perform()
        if sew.SewedShape() is not None and not sew.SewedShape().IsNull():
            shape = sew.SewedShape()
    if split:
        shape = split_closed(shape)
    if frame is None:
        shape = normalize(shape)
    else:
        from sciGen.cad.brep import normalize_like
        shape = normalize_like(shape, frame)
    faces, edges, owners = edge_faces(shape)
    if max_faces is not None and len(faces) > max_faces:
        raise PartError(f"{len(faces)} faces (this tokenizer takes at most {max_faces})")
    grids, masks, types = [], [], []
    for i, face in enumerate(faces):
        kind = surface_type(face)
        try:
            g, m = face_grid(face, n)
        except GridError as e:
            raise PartError(f"face {i} ({kind}): {e}") from None
        grids.append(g)
        masks.append(m)
        types.append(kind)
    egrids, epairs, seams = [], [], 0
    for j, (edge, fs) in enumerate(zip(edges, owners)):
        if BRep_Tool.Degenerated_s(edge) or len(set(fs)) < 2:
            seams += len(fs) != 1  # a free edge of a partial shell is not a seam
            continue
        if len(set(fs)) > 2:
            raise PartError(f"edge {j} bounds {len(set(fs))} faces (non-manifold)")
        try:
            egrids.append(edge_grid(edge, edge_n))
        except GridError as e:
            raise PartError(f"edge {j}: {e}") from None
        epairs.append(sorted(set(fs)))
    return PartRecord(np.asarray(grids, np.float32), np.asarray(masks, bool), types,
                      np.asarray(egrids, np.float32).reshape(-1, edge_n, 3), np.asarray(epairs, np.int64).reshape(-1, 2),
                      seams)
