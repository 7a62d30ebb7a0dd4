"""Point grids of B-Rep faces and edges, the geometry the AutoBrep tokenizer reads (BrepGen, Xu et al. 2024;
AutoBrep, Xu et al. 2025).

- a face: its surface sampled on an ``n × n`` grid over the face's UV bounds (``BRepTools.UVBounds``) with
  ``BRepAdaptor_Surface`` → (n, n, 3) points, and a (n, n) mask of the samples inside the trimmed face
  (``IntTools_FClass2d``).  The grid covers the untrimmed patch, so the surface can be refitted from
  it and then trimmed by the face's edges.  For a reversed face the u axis is flipped, so the grid's
  normal ∂u × ∂v points out of the solid whatever the face's orientation.
- an edge: its 3D curve at ``n`` equally spaced parameters (``BRepAdaptor_Curve``) → (n, 3).
"""
from __future__ import annotations

import numpy as np
from OCP.BRepAdaptor import BRepAdaptor_Curve, BRepAdaptor_Surface
from OCP.BRepTools import BRepTools
from OCP.IntTools import IntTools_FClass2d
from OCP.GeomAbs import GeomAbs_SurfaceType
from OCP.gp import gp_Pnt2d
from OCP.TopAbs import TopAbs_IN, TopAbs_ON, TopAbs_REVERSED
from OCP.TopoDS import TopoDS_Edge, TopoDS_Face

SURFACE_TYPES = {t.value: t.name.replace("GeomAbs_", "").lower() for t in GeomAbs_SurfaceType.__members__.values()}


class GridError(ValueError):
    """A face or edge that cannot be sampled on a grid (infinite or degenerate parameter range)."""


def surface_type(face: TopoDS_Face) -> str:
    """'plane', 'cylinder', 'cone', 'sphere', 'torus', 'bsplinesurface', …"""
    return BRepAdaptor_Surface(face).GetType().name.replace("GeomAbs_", "").lower()


def face_grid(face: TopoDS_Face, n: int = 32, mask: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """(points (n, n, 3), inside (n, n) bool) of ``face``; ``inside`` is all True when ``mask`` is off."""
    u0, u1, v0, v1 = BRepTools.UVBounds_s(face)
    if not all(np.isfinite([u0, u1, v0, v1])) or u1 - u0 <= 1e-12 or v1 - v0 <= 1e-12:
        raise GridError(f"face with parameter range u [{u0:.3g}, {u1:.3g}], v [{v0:.3g}, {v1:.3g}] cannot be gridded")
    surf = BRepAdaptor_Surface(face)
    us, vs = np.linspace(u0, u1, n), np.linspace(v0, v1, n)
    if face.Orientation() == TopAbs_REVERSED:
        us = us[::-1]
    pts = np.empty((n, n, 3))
    inside = np.ones((n, n), dtype=bool)
    cls = IntTools_FClass2d(face, 1e-7) if mask else None
    for i, u in enumerate(us):
        for j, v in enumerate(vs):
            p = surf.Value(u, v)
            pts[i, j] = (p.X(), p.Y(), p.Z())
            if cls is not None:
                inside[i, j] = cls.Perform(gp_Pnt2d(u, v)) in (TopAbs_IN, TopAbs_ON)
    if not np.isfinite(pts).all():
        raise GridError("face surface evaluates to non-finite points")
    return pts, inside


def edge_grid(edge: TopoDS_Edge, n: int = 32) -> np.ndarray:
    """(n, 3) points along the edge's 3D curve, first to last parameter."""
    curve = BRepAdaptor_Curve(edge)
    t0, t1 = curve.FirstParameter(), curve.LastParameter()
    if not (np.isfinite(t0) and np.isfinite(t1)) or abs(t1 - t0) <= 1e-12:
        raise GridError(f"edge with parameter range [{t0:.3g}, {t1:.3g}] cannot be gridded")
    out = np.empty((n, 3))
    for i, t in enumerate(np.linspace(t0, t1, n)):
        p = curve.Value(t)
        out[i] = (p.X(), p.Y(), p.Z())
    return out
