"""From decoded geometry and topology to a solid: the AutoBrep / BrepGen B-Rep builder.

Input: face point grids (F, n, n, 3) and edge point grids (E, m, 3) in the part frame, and for each edge
the two faces it bounds.  Steps:

1. **Vertices.**  Within each face, every end point of its edges is paired with the nearest end point
   of another of its edges (the loops of a face close end to end); pairs found in the two faces of
   each edge are merged (union–find) into vertices at the mean of their end points (AutoBrep's
   ``detect_shared_vertex``).
2. **Edges**, built once and shared by their two faces: a straight segment when the points lie on the
   chord between the edge's two vertices, a circular arc through start, middle and end when they lie on
   that circle, otherwise a B-spline (``GeomAPI_PointsToBSpline``) of the points with their ends blended
   onto the vertices (AutoBrep's joint-optimisation snap).
3. **Surfaces**: a plane when the face's boundary edges are coplanar (edges decode more accurately than
   face grids) or its grid is flat — an exact analytic snap; otherwise a B-spline surface
   (``GeomAPI_PointsToBSplineSurface``) through the grid.
4. **Faces**: each face's edges are chained into closed loops through their shared vertices.  For decoded
   geometry (``Tolerances.fill``) a curved face with one loop is *filled* through its edges (``BRepOffsetAPI_MakeFilling``: the edges as
   boundary constraints, interior grid points as point constraints), so its edges lie on it by
   construction; otherwise the loop with the largest box is the outer wire, the others holes,
   ``BRepBuilderAPI_MakeFace`` on the surface, p-curves by projection (``ShapeFix_Edge.FixAddPCurve``),
   ``ShapeFix_Face``.  Each shared edge's tolerance is then fitted to both faces (``FixSameParameter``).
5. **Solid**: ``BRepBuilderAPI_Sewing``, ``ShapeFix_Shell``, ``BRepBuilderAPI_MakeSolid``,
   ``ShapeFix_Solid`` (and ``ShapeFix_Shape`` if still invalid), flipped if inside out; the caller
   validates.  Tolerances (:class:`Tolerances`): exact input uses 1e-3 sewing in the [-1, 1] frame;
   decoded geometry goes through :data:`LADDER` — 5e-3, then 2e-2 (0.25 % and 1 % of the part's size) —
   and the first strictly valid result is kept (:func:`build_valid`).

A step that cannot go on raises :class:`BuildError` with the face or edge and the reason.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from OCP.BRepBuilderAPI import (BRepBuilderAPI_MakeEdge, BRepBuilderAPI_MakeFace, BRepBuilderAPI_MakeSolid,
                                BRepBuilderAPI_MakeVertex, BRepBuilderAPI_MakeWire, BRepBuilderAPI_Sewing)
from OCP.GC import GC_MakeArcOfCircle, GC_MakeSegment
from OCP.Geom import Geom_Plane
from OCP.BRepOffsetAPI import BRepOffsetAPI_MakeFilling
from OCP.GeomAbs import GeomAbs_C0, GeomAbs_C2
from OCP.GeomAPI import GeomAPI_PointsToBSpline, GeomAPI_PointsToBSplineSurface
from OCP.gp import gp_Dir, gp_Pnt
from OCP.BRepCheck import BRepCheck_Analyzer
from OCP.BRepGProp import BRepGProp
from OCP.BRepLib import BRepLib
from OCP.GProp import GProp_GProps
from OCP.ShapeFix import ShapeFix_Edge, ShapeFix_Face, ShapeFix_Shape, ShapeFix_Shell, ShapeFix_Solid
from OCP.collections import Array1_gp_Pnt as TColgp_Array1OfPnt, Array2_gp_Pnt as TColgp_Array2OfPnt
from OCP.TopAbs import TopAbs_SHELL
from OCP.TopoDS import TopoDS, TopoDS_Shape

SEW_TOLERANCE = 1e-3
LINE_TOL = 2e-3  # max distance of the points from the chord, relative to the chord length
ARC_TOL = 2e-3  # … from the circle through three points, relative to its radius
PLANE_TOL = 1e-3  # max distance of grid points from their best-fit plane, relative to the grid's size


@dataclass
class Tolerances:
    """How close decoded geometry must be to a line / arc / plane to be snapped to it (relative), and the
    sewing tolerance (absolute, [-1, 1] frame).  Exact grids (a round trip of the tokenizer's input)
    need the tight defaults; grids decoded from codes carry the autoencoder's error."""

    line: float = LINE_TOL
    arc: float = ARC_TOL
    plane: float = PLANE_TOL
    sew: float = SEW_TOLERANCE
    fill: bool = False  # fill curved faces through their edges (for decoded, inexact geometry)


log = logging.getLogger(__name__)


class BuildError(ValueError):
    """The decoded geometry does not assemble into faces and a shell."""


def _pnt(p: np.ndarray) -> gp_Pnt:
    return gp_Pnt(float(p[0]), float(p[1]), float(p[2]))


class _Union:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, a: int) -> int:
        while self.parent[a] != a:
            self.parent[a] = self.parent[self.parent[a]]
            a = self.parent[a]
        return a

    def union(self, a: int, b: int) -> None:
        self.parent[self.find(a)] = self.find(b)


def face_edge_lists(n_faces: int, edge_faces: np.ndarray) -> list[list[int]]:
    out: list[list[int]] = [[] for _ in range(n_faces)]
    for e, (a, b) in enumerate(edge_faces):
        out[int(a)].append(e)
        out[int(b)].append(e)
    return out


def detect_vertices(edge_grids: np.ndarray, edge_faces: np.ndarray, n_faces: int) -> tuple[np.ndarray, np.ndarray]:
    """(vertex positions (V, 3), end-point vertex ids (E, 2)).  End point 2e+k is end k of edge e."""
    ends = np.stack([edge_grids[:, 0], edge_grids[:, -1]], 1).reshape(-1, 3)  # (2E, 3)
    uf = _Union(len(ends))
    for f, edges in enumerate(face_edge_lists(n_faces, edge_faces)):
        if len(edges) < 2:
            raise BuildError(f"face {f} has {len(edges)} edge(s): no closed loop")
        idx = np.array([2 * e + k for e in edges for k in (0, 1)])
        d = np.linalg.norm(ends[idx][:, None] - ends[idx][None], axis=-1)
        owner = idx // 2
        d[owner[:, None] == owner[None, :]] = np.inf  # an end pairs with another edge's end
        paired = np.zeros(len(idx), bool)
        for flat in np.argsort(d, axis=None):
            i, j = divmod(int(flat), len(idx))
            if paired.all() or not np.isfinite(d[i, j]):
                break
            if i < j and not paired[i] and not paired[j]:
                paired[i] = paired[j] = True
                uf.union(int(idx[i]), int(idx[j]))
        if not paired.all():
            raise BuildError(f"face {f}: edge end points do not pair into closed loops")
    roots = np.array([uf.find(i) for i in range(len(ends))])
    uniq, vid = np.unique(roots, return_inverse=True)
    pos = np.stack([ends[vid == v].mean(0) for v in range(len(uniq))])
    return pos, vid.reshape(-1, 2)


def _edge_curve(pts: np.ndarray, a: np.ndarray, b: np.ndarray, tol: Tolerances):
    """The 3D curve of an edge whose ends are the vertices ``a`` and ``b``: a segment, an arc or a B-spline."""
    chord = b - a
    L = float(np.linalg.norm(chord))
    if L < 1e-9:
        raise BuildError("edge with coincident end vertices")
    t = np.clip((pts - a) @ chord / L**2, 0, 1)
    if np.linalg.norm(pts - (a + t[:, None] * chord), axis=1).max() <= tol.line * L:
        return GC_MakeSegment(_pnt(a), _pnt(b)).Value()
    mid = pts[len(pts) // 2]
    try:
        arc = GC_MakeArcOfCircle(_pnt(a), _pnt(mid), _pnt(b))
        if arc.IsDone():
            c = arc.Value().BasisCurve()
            circ = c.Circ() if hasattr(c, "Circ") else None
            if circ is not None:
                ctr = np.array([circ.Location().X(), circ.Location().Y(), circ.Location().Z()])
                ax = circ.Axis().Direction()
                n = np.array([ax.X(), ax.Y(), ax.Z()])
                r = circ.Radius()
                rel = pts - ctr
                off_plane = np.abs(rel @ n)
                radial = np.linalg.norm(rel - np.outer(rel @ n, n), axis=1)
                if max(off_plane.max(), np.abs(radial - r).max()) <= tol.arc * max(r, 1e-9):
                    return arc.Value()
    except Exception:  # noqa: BLE001 - collinear or degenerate: fall through to a B-spline
        pass
    w = np.linspace(0, 1, len(pts))[:, None]  # blend the ends onto the vertices (AutoBrep)
    snapped = pts + (1 - w) * (a - pts[0]) + w * (b - pts[-1])
    arr = TColgp_Array1OfPnt(1, len(snapped))
    for i, p in enumerate(snapped, 1):
        arr.SetValue(i, _pnt(p))
    for tol in (5e-4, 2e-3, 1e-2):
        try:
            return GeomAPI_PointsToBSpline(arr, 3, 8, GeomAbs_C2, tol).Curve()
        except Exception:  # noqa: BLE001
            continue
    raise BuildError("edge curve fit failed")


def _plane(pts: np.ndarray, rel_tol: float):
    """The best-fit plane of ``pts`` (N, 3) if they lie on it within ``rel_tol`` of their extent, else None."""
    c = pts.mean(0)
    _, _, vt = np.linalg.svd(pts - c, full_matrices=False)
    n = vt[2]
    size = float(np.linalg.norm(pts.max(0) - pts.min(0)))
    if np.abs((pts - c) @ n).max() <= rel_tol * max(size, 1e-9):
        return Geom_Plane(_pnt(c), gp_Dir(float(n[0]), float(n[1]), float(n[2])))
    return None


def _surface(grid: np.ndarray, tol: Tolerances, boundary: np.ndarray | None = None):
    """The support surface of a face: a plane when its boundary edges (decoded more accurately than face
    grids) are coplanar, or else when its grid is flat; otherwise a B-spline fit of the grid."""
    for pts in ((boundary,) if boundary is not None else ()) + (grid.reshape(-1, 3),):
        plane = _plane(pts, tol.plane)
        if plane is not None:
            return plane
    arr = TColgp_Array2OfPnt(1, grid.shape[0], 1, grid.shape[1])
    for i in range(grid.shape[0]):
        for j in range(grid.shape[1]):
            arr.SetValue(i + 1, j + 1, _pnt(grid[i, j]))
    for tol in (5e-4, 2e-3, 1e-2):
        try:
            return GeomAPI_PointsToBSplineSurface(arr, 3, 8, GeomAbs_C2, tol).Surface()
        except Exception:  # noqa: BLE001
            continue
    raise BuildError("surface fit failed")


def _filled_face(init, edges: list, grid: np.ndarray, tol: Tolerances):
    """:func:`_fill` with interior grid points, then (if OCC refuses them) from the boundary alone."""
    return _fill(edges, grid, tol, 4) or _fill(edges, grid, tol, 0)


def _fill(edges: list, grid: np.ndarray, tol: Tolerances, k: int):
    """A curved face through its boundary edges (``BRepOffsetAPI_MakeFilling``: the edges as C0 boundary
    constraints, ``k × k`` interior grid points as point constraints), so the edges lie on the surface by
    construction.  None when OCC cannot fill it."""
    try:
        fill = BRepOffsetAPI_MakeFilling(3, 15, 2, False, 1e-5, tol.sew / 5, 0.01, 0.1, 8, 9)
        # (LoadInitSurface with the grid's B-spline face crashes this OCCT build: the filling finds its own)
        for e in edges:
            fill.Add(e, GeomAbs_C0, True)
        n = grid.shape[0]
        for i in np.linspace(n // 6, n - 1 - n // 6, k).astype(int):
            for j in np.linspace(n // 6, n - 1 - n // 6, k).astype(int):
                fill.Add(_pnt(grid[i, j]))
        fill.Build()
        if not fill.IsDone():
            return None
        face = TopoDS.Face(fill.Shape())
        return None if face.IsNull() else face
    except Exception as err:  # noqa: BLE001 - OCC failures fall back to trimming the fitted surface
        log.debug("filling failed: %s %s", type(err).__name__, err)
        return None


def _loops(edges: list[int], ends: np.ndarray) -> list[list[int]]:
    """Chain a face's edges into closed loops through their vertex ids ``ends`` (E, 2)."""
    left = list(edges)
    loops = []
    while left:
        loop = [left.pop(0)]
        start, cur = int(ends[loop[0], 0]), int(ends[loop[0], 1])
        while cur != start:
            nxt = next((e for e in left if cur in (int(ends[e, 0]), int(ends[e, 1]))), None)
            if nxt is None:
                raise BuildError("a loop of edges does not close")
            left.remove(nxt)
            loop.append(nxt)
            cur = int(ends[nxt, 1]) if int(ends[nxt, 0]) == cur else int(ends[nxt, 0])
        loops.append(loop)
    return loops


def build_solid(face_grids: np.ndarray, edge_grids: np.ndarray, edge_faces: np.ndarray,
                tol: Tolerances | None = None) -> TopoDS_Shape:
    """The shape assembled from the grids (world frame) and the edge → faces topology; a solid when it
    closes (the caller runs :func:`sciGen.cad.validate.validate`)."""
    tol = tol or Tolerances()
    F = len(face_grids)
    if F < 2 or len(edge_grids) < 1:
        raise BuildError(f"{F} faces and {len(edge_grids)} edges cannot bound a solid")
    vpos, ends = detect_vertices(edge_grids, edge_faces, F)
    verts = [BRepBuilderAPI_MakeVertex(_pnt(p)).Vertex() for p in vpos]
    edges = []
    for e, pts in enumerate(edge_grids):
        a, b = int(ends[e, 0]), int(ends[e, 1])
        if a == b:
            raise BuildError(f"edge {e}: both ends merged into one vertex")
        # orient the points from vertex a to vertex b
        if np.linalg.norm(pts[0] - vpos[a]) > np.linalg.norm(pts[-1] - vpos[a]):
            pts = pts[::-1]
        try:
            curve = _edge_curve(pts, vpos[a], vpos[b], tol)
        except BuildError as err:
            raise BuildError(f"edge {e}: {err}") from None
        mk = BRepBuilderAPI_MakeEdge(curve, verts[a], verts[b])
        if not mk.IsDone():
            raise BuildError(f"edge {e}: BRepBuilderAPI_MakeEdge failed")
        edges.append(mk.Edge())
    faces = []
    for f, elist in enumerate(face_edge_lists(F, edge_faces)):
        try:
            boundary = np.concatenate([edge_grids[e] for e in elist] + [vpos[ends[e]] for e in elist])
            surf = _surface(face_grids[f], tol, boundary)
            loops = _loops(elist, ends)
        except BuildError as err:
            raise BuildError(f"face {f}: {err}") from None
        if tol.fill and not isinstance(surf, Geom_Plane) and len(loops) == 1:
            face = _filled_face(surf, [edges[e] for e in loops[0]], face_grids[f], tol)
            log.debug("face %d: %s", f, "filled" if face is not None else "filling failed, trimming the B-spline fit")
            if face is not None:
                faces.append(face)
                continue
        wires = []
        for loop in loops:
            mw = BRepBuilderAPI_MakeWire()
            for e in loop:
                mw.Add(edges[e])
            if not mw.IsDone():
                raise BuildError(f"face {f}: its edges do not make a wire")
            box = np.array([vpos[int(v)] for e in loop for v in ends[e]])
            wires.append((float(np.linalg.norm(box.max(0) - box.min(0))), mw.Wire()))
        wires.sort(key=lambda t: -t[0])
        mf = BRepBuilderAPI_MakeFace(surf, wires[0][1], True)
        for _, w in wires[1:]:
            mf.Add(w)
        if not mf.IsDone() or mf.Face().IsNull():
            raise BuildError(f"face {f}: BRepBuilderAPI_MakeFace failed")
        face = mf.Face()
        fix_edge = ShapeFix_Edge()
        for e in elist:
            fix_edge.FixAddPCurve(edges[e], face, False, tol.sew)
        sff = ShapeFix_Face(face)
        sff.SetPrecision(tol.sew)
        sff.SetMaxTolerance(10 * tol.sew)
        try:
            sff.Perform()
            sff.FixOrientation()
        except Exception as err:  # noqa: BLE001 - OCC's own exceptions carry no message
            raise BuildError(f"face {f}: ShapeFix_Face failed ({type(err).__name__})") from None
        if sff.Face().IsNull():
            raise BuildError(f"face {f}: ShapeFix_Face returned no face")
        faces.append(sff.Face())
    fix_edge = ShapeFix_Edge()
    for edge in edges:  # each edge now has a p-curve on both its faces: fit its tolerance to both
        try:
            fix_edge.FixSameParameter(edge)
        except Exception:  # noqa: BLE001 - left to the final repair
            pass
    sew = BRepBuilderAPI_Sewing(tol.sew)
    for face in faces:
        sew.Add(face)
    sew.Perform()
    sewn = sew.SewedShape()
    if sewn is None or sewn.IsNull():
        raise BuildError("sewing returned no shape")
    BRepLib.UpdateTolerances_s(sewn, False)
    if sewn.ShapeType() != TopAbs_SHELL:
        from sciGen.cad.brep import subshapes
        shells = subshapes(sewn, "shell")
        if len(shells) != 1:
            return sewn  # not one shell: returned as is, validation says why
        sewn = shells[0]
    fix_shell = ShapeFix_Shell(TopoDS.Shell(sewn))
    fix_shell.Perform()
    shell = fix_shell.Shell()
    ms = BRepBuilderAPI_MakeSolid()
    ms.Add(shell)
    if not ms.IsDone():
        return shell
    fix = ShapeFix_Solid(ms.Solid())
    fix.Perform()
    solid = fix.Solid()
    if not BRepCheck_Analyzer(solid).IsValid():  # a last, general repair (tolerances, p-curves, wires)
        sfs = ShapeFix_Shape(solid)
        sfs.SetPrecision(tol.sew)
        sfs.SetMaxTolerance(10 * tol.sew)
        sfs.Perform()
        solid = sfs.Shape()
    props = GProp_GProps()
    BRepGProp.VolumeProperties_s(solid, props)
    return solid.Reversed() if props.Mass() < 0 else solid  # an inside-out shell: flip it


# the tolerance ladder for decoded geometry: tight first (exact analytic snaps, 5e-3 sewing), then looser
LADDER = (Tolerances(0.02, 0.02, 0.02, 5e-3, True), Tolerances(0.05, 0.05, 0.05, 2e-2, True))


def build_valid(face_grids: np.ndarray, edge_grids: np.ndarray, edge_faces: np.ndarray,
                ladder: tuple[Tolerances, ...] = LADDER) -> tuple[TopoDS_Shape | None, list[str], Tolerances | None]:
    """Try :func:`build_solid` with each tolerance setting in turn; (first strictly valid solid, [], its
    tolerances) or (the last shape built or None, the reasons of the last attempt, None)."""
    from sciGen.cad.validate import validate
    shape, reasons = None, ["not built"]
    for tol in ladder:
        try:
            shape = build_solid(face_grids, edge_grids, edge_faces, tol)
        except BuildError as e:
            shape, reasons = None, [str(e)]
            continue
        except Exception as e:  # noqa: BLE001 - an OCC failure inside a repair: the next setting may pass
            shape, reasons = None, [f"OpenCASCADE {type(e).__name__}"]
            continue
        reasons = validate(shape).reasons
        if not reasons:
            return shape, [], tol
    return shape, reasons, None
