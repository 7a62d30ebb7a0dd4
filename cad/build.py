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
3. **Surfaces**: a plane when the grid is flat (exact analytic snap), otherwise a B-spline surface
   (``GeomAPI_PointsToBSplineSurface``) through the grid.
4. **Faces**: each face's edges are chained into closed loops through their shared vertices; the loop
   with the largest box is the outer wire, the others holes; ``BRepBuilderAPI_MakeFace`` on the surface,
   p-curves by projection (``ShapeFix_Edge.FixAddPCurve``), then ``ShapeFix_Wire`` / ``ShapeFix_Face``.
5. **Solid**: ``BRepBuilderAPI_Sewing`` at ``SEW_TOLERANCE`` (1e-3 of the [-1, 1] cube, i.e. 5e-4 of the
   part's size), ``BRepBuilderAPI_MakeSolid`` on the shell, ``ShapeFix_Solid``; the caller validates.

A step that cannot go on raises :class:`BuildError` with the face or edge and the reason.
"""
from __future__ import annotations

import numpy as np
from OCP.BRep import BRep_Builder
from OCP.BRepBuilderAPI import (BRepBuilderAPI_MakeEdge, BRepBuilderAPI_MakeFace, BRepBuilderAPI_MakeSolid,
                                BRepBuilderAPI_MakeVertex, BRepBuilderAPI_MakeWire, BRepBuilderAPI_Sewing)
from OCP.GC import GC_MakeArcOfCircle, GC_MakeSegment
from OCP.Geom import Geom_Plane
from OCP.GeomAbs import GeomAbs_C2
from OCP.GeomAPI import GeomAPI_PointsToBSpline, GeomAPI_PointsToBSplineSurface
from OCP.gp import gp_Dir, gp_Pnt
from OCP.ShapeFix import ShapeFix_Edge, ShapeFix_Face, ShapeFix_Shell, ShapeFix_Solid, ShapeFix_Wire
from OCP.collections import Array1_gp_Pnt as TColgp_Array1OfPnt, Array2_gp_Pnt as TColgp_Array2OfPnt
from OCP.TopAbs import TopAbs_SHELL
from OCP.TopoDS import TopoDS, TopoDS_Shape

SEW_TOLERANCE = 1e-3
LINE_TOL = 2e-3  # max distance of the points from the chord, relative to the chord length
ARC_TOL = 2e-3  # … from the circle through three points, relative to its radius
PLANE_TOL = 1e-3  # max distance of grid points from their best-fit plane, in the [-1, 1] frame


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


def _edge_curve(pts: np.ndarray, a: np.ndarray, b: np.ndarray):
    """The 3D curve of an edge whose ends are the vertices ``a`` and ``b``: a segment, an arc or a B-spline."""
    chord = b - a
    L = float(np.linalg.norm(chord))
    if L < 1e-9:
        raise BuildError("edge with coincident end vertices")
    t = np.clip((pts - a) @ chord / L**2, 0, 1)
    if np.linalg.norm(pts - (a + t[:, None] * chord), axis=1).max() <= LINE_TOL * L:
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
                if max(off_plane.max(), np.abs(radial - r).max()) <= ARC_TOL * max(r, 1e-9):
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


def _surface(grid: np.ndarray):
    pts = grid.reshape(-1, 3)
    c = pts.mean(0)
    _, s, vt = np.linalg.svd(pts - c, full_matrices=False)
    n = vt[2]
    if np.abs((pts - c) @ n).max() <= PLANE_TOL:
        return Geom_Plane(_pnt(c), gp_Dir(float(n[0]), float(n[1]), float(n[2])))
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


def build_solid(face_grids: np.ndarray, edge_grids: np.ndarray, edge_faces: np.ndarray) -> TopoDS_Shape:
    """The shape assembled from the grids (world frame) and the edge → faces topology; a solid when it
    closes (the caller runs :func:`sciGen.cad.validate.validate`)."""
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
            curve = _edge_curve(pts, vpos[a], vpos[b])
        except BuildError as err:
            raise BuildError(f"edge {e}: {err}") from None
        mk = BRepBuilderAPI_MakeEdge(curve, verts[a], verts[b])
        if not mk.IsDone():
            raise BuildError(f"edge {e}: BRepBuilderAPI_MakeEdge failed")
        edges.append(mk.Edge())
    faces = []
    for f, elist in enumerate(face_edge_lists(F, edge_faces)):
        try:
            surf = _surface(face_grids[f])
            loops = _loops(elist, ends)
        except BuildError as err:
            raise BuildError(f"face {f}: {err}") from None
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
        if not mf.IsDone():
            raise BuildError(f"face {f}: BRepBuilderAPI_MakeFace failed")
        face = mf.Face()
        fix_edge = ShapeFix_Edge()
        for e in elist:
            fix_edge.FixAddPCurve(edges[e], face, False, 1e-3)
        sff = ShapeFix_Face(face)
        sff.SetPrecision(1e-3)
        sff.SetMaxTolerance(1e-2)
        sff.Perform()
        sff.FixOrientation()
        faces.append(sff.Face())
    sew = BRepBuilderAPI_Sewing(SEW_TOLERANCE)
    for face in faces:
        sew.Add(face)
    sew.Perform()
    sewn = sew.SewedShape()
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
    return fix.Solid()
