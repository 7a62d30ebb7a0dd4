"""Is a triangle mesh a sound solid?  Watertight, edge-manifold, consistently wound, non-degenerate,
bounded and positively oriented — each failure is one short reason (``"not watertight: 12 boundary
edges"``).  The mesh is checked as indexed: coincident but unmerged vertices count as separate
(:mod:`sciGen.shapes.formats` merges them on reading).
"""
from __future__ import annotations

import numpy as np
import trimesh
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from sciGen.adapter import Validity

DEGENERATE_AREA = 1e-12  # faces below this fraction of scale² count as degenerate


def _edge_groups(faces: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Directed edges (3F, 2), the index of each one's undirected edge (3F,), and use counts per edge."""
    directed = faces[:, [0, 1, 1, 2, 2, 0]].reshape(-1, 2)
    undirected = np.sort(directed, axis=1)
    _, inverse, counts = np.unique(undirected, axis=0, return_inverse=True, return_counts=True)
    return directed, inverse.reshape(-1), counts


def components(mesh: trimesh.Trimesh) -> int:
    """Number of edge-connected face components (faces sharing an edge are connected)."""
    faces = np.asarray(mesh.faces)
    if len(faces) == 0:
        return 0
    _, inverse, counts = _edge_groups(faces)
    n_faces, n_edges = len(faces), len(counts)
    face_of = np.repeat(np.arange(n_faces), 3)
    # bipartite graph faces + edges: every edge node touches a face, so it adds no component
    graph = coo_matrix((np.ones(len(inverse)), (face_of, n_faces + inverse)),
                       shape=(n_faces + n_edges, n_faces + n_edges))
    return int(connected_components(graph, directed=False)[0])


def validate(mesh: trimesh.Trimesh, bound: float = 1.0) -> Validity:
    """Check a mesh; ``Validity(ok, reasons)`` lists every failure found.

    Checks: empty; bounded (finite, every ``|coordinate| <= bound + 1e-6``); watertight (no boundary
    edge, i.e. used by one face); manifold (no edge used by more than two faces); consistent winding
    (no directed edge used twice); non-degenerate (face area >= 1e-12 · scale²); positive volume
    (only checked on a watertight, consistently wound mesh, where it is well defined).
    """
    vertices = np.asarray(mesh.vertices, dtype=np.float64)
    faces = np.asarray(mesh.faces)
    if len(faces) == 0 or len(vertices) == 0:
        return Validity(False, ["empty: no triangles"])
    reasons: list[str] = []
    used = vertices[np.unique(faces)]
    finite = bool(np.isfinite(used).all())
    if not finite:
        reasons.append(f"not bounded: {int((~np.isfinite(used)).any(axis=1).sum())} non-finite vertices")
    else:
        extent = float(np.abs(used).max())
        if extent > bound + 1e-6:
            reasons.append(f"not bounded: |coordinate| up to {extent:.4g} > {bound:g}")

    directed, inverse, counts = _edge_groups(faces)
    boundary = int((counts == 1).sum())
    nonmanifold = int((counts > 2).sum())
    if boundary:
        reasons.append(f"not watertight: {boundary} boundary edges")
    if nonmanifold:
        reasons.append(f"non-manifold: {nonmanifold} edges shared by more than 2 faces")
    # on a consistently wound surface the two faces of an edge traverse it in opposite directions
    _, directed_counts = np.unique(directed, axis=0, return_counts=True)
    twice = int((directed_counts > 1).sum())
    if twice:
        reasons.append(f"inconsistent winding: {twice} edges traversed twice in the same direction")

    if finite:
        tri = vertices[faces]
        area = 0.5 * np.linalg.norm(np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]), axis=1)
        scale = float(np.linalg.norm(used.max(axis=0) - used.min(axis=0)))
        degenerate = int((area < DEGENERATE_AREA * max(scale, 1e-300) ** 2).sum())
        if degenerate:
            reasons.append(f"degenerate: {degenerate} faces with (near) zero area")
        if not (boundary or nonmanifold or twice):
            # signed volume by the divergence theorem: sum of det[v0 v1 v2] / 6
            volume = float(np.einsum("ij,ij->i", tri[:, 0], np.cross(tri[:, 1], tri[:, 2])).sum() / 6.0)
            if volume <= 0:
                reasons.append(f"inverted: volume {volume:.4g} <= 0 (faces wound inwards)")
    return Validity(not reasons, reasons)
