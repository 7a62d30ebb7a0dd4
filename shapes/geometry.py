"""Mesh geometry for the shapes adapter: normalisation, surface sampling, inside/outside and signed
distance queries (open3d ``RaycastingScene``), and mesh extraction from an occupancy grid
(scikit-image marching cubes, then clean-up).

All meshes are :class:`trimesh.Trimesh`; the working frame is the cube [-1, 1]³.
"""
from __future__ import annotations

import ctypes
from functools import lru_cache
from typing import Any, Callable

import numpy as np
import trimesh


@lru_cache(maxsize=1)
def load_open3d() -> Any:
    """Import open3d.  Its wheel links ``libusb-1.0.so.0``; the ``libusb-package`` wheel ships one,
    loaded globally first so no system package is needed."""
    try:
        import open3d  # noqa: F401 - system libusb present
    except ImportError:
        import libusb_package

        ctypes.CDLL(str(libusb_package.get_library_path()), mode=ctypes.RTLD_GLOBAL)
    import open3d
    return open3d


def normalize(mesh: trimesh.Trimesh, half_extent: float = 0.9) -> trimesh.Trimesh:
    """A copy centred on its bounding-box centre, the longest side scaled to ``2 · half_extent``."""
    if len(mesh.vertices) == 0:
        raise ValueError("empty mesh")
    lo, hi = mesh.bounds
    size = float((hi - lo).max())
    if not np.isfinite(size) or size <= 0:
        raise ValueError("degenerate mesh: zero or non-finite extent")
    out = mesh.copy()
    out.apply_translation(-(lo + hi) / 2)
    out.apply_scale(2 * half_extent / size)
    return out


def sample_surface(mesh: trimesh.Trimesh, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points uniform on the surface (area-weighted) and their face normals: (n, 3), (n, 3) float32."""
    areas = mesh.area_faces
    total = areas.sum()
    if not total > 0:
        raise ValueError("mesh has no surface area")
    face = rng.choice(len(areas), size=n, p=areas / total)
    u, v = rng.random((2, n))
    flip = u + v > 1
    u[flip], v[flip] = 1 - u[flip], 1 - v[flip]
    tri = mesh.triangles[face]
    pts = tri[:, 0] + u[:, None] * (tri[:, 1] - tri[:, 0]) + v[:, None] * (tri[:, 2] - tri[:, 0])
    return pts.astype(np.float32), mesh.face_normals[face].astype(np.float32)


class Scene:
    """Ray-casting queries against one mesh (open3d ``RaycastingScene``), built once, queried often."""

    def __init__(self, mesh: trimesh.Trimesh) -> None:
        o3d = load_open3d()
        self.scene = o3d.t.geometry.RaycastingScene()
        self.scene.add_triangles(o3d.core.Tensor(np.ascontiguousarray(mesh.vertices, np.float32)),
                                 o3d.core.Tensor(np.ascontiguousarray(mesh.faces, np.uint32)))
        self._o3d = o3d

    def occupancy(self, points: np.ndarray, robust: bool = False) -> np.ndarray:
        """(M, 3) → (M,) bool inside.  ``robust`` votes over several ray directions, which keeps the
        inside test sensible on meshes with holes (non-watertight input)."""
        q = self._o3d.core.Tensor(np.ascontiguousarray(points, np.float32))
        occ = self.scene.compute_occupancy(q, nsamples=9 if robust else 1)
        return occ.numpy().astype(bool)

    def signed_distance(self, points: np.ndarray, robust: bool = False) -> np.ndarray:
        """(M, 3) → (M,) float32 distance to the surface, negative inside."""
        q = self._o3d.core.Tensor(np.ascontiguousarray(points, np.float32))
        if not robust:
            return self.scene.compute_signed_distance(q).numpy()
        d = self.scene.compute_distance(q).numpy()
        return np.where(self.occupancy(points, robust=True), -d, d)

    def distance(self, points: np.ndarray) -> np.ndarray:
        """(M, 3) → (M,) unsigned distance to the surface."""
        return self.scene.compute_distance(self._o3d.core.Tensor(np.ascontiguousarray(points, np.float32))).numpy()


def occupancy(mesh: trimesh.Trimesh, points: np.ndarray, robust: bool = False) -> np.ndarray:
    """Inside test of ``points`` (M, 3) against ``mesh`` → (M,) bool.  See :meth:`Scene.occupancy`."""
    return Scene(mesh).occupancy(points, robust)


def signed_distance(mesh: trimesh.Trimesh, points: np.ndarray, robust: bool = False) -> np.ndarray:
    """Signed distance of ``points`` (M, 3) to ``mesh`` (negative inside) → (M,) float32."""
    return Scene(mesh).signed_distance(points, robust)


def grid_points(resolution: int, bound: float = 1.0) -> np.ndarray:
    """The (R³, 3) float32 vertices of a regular grid over [-bound, bound]³, x slowest (``ij`` order)."""
    ax = np.linspace(-bound, bound, resolution, dtype=np.float32)
    return np.stack(np.meshgrid(ax, ax, ax, indexing="ij"), -1).reshape(-1, 3)


def evaluate_grid(fn: Callable[[np.ndarray], np.ndarray], resolution: int, bound: float = 1.0,
                  chunk: int = 262_144) -> np.ndarray:
    """``fn`` (M, 3) → (M,) evaluated on the grid, in chunks → (R, R, R) float32."""
    pts = grid_points(resolution, bound)
    out = np.concatenate([np.asarray(fn(pts[i:i + chunk]), np.float32) for i in range(0, len(pts), chunk)])
    return out.reshape(resolution, resolution, resolution)


def evaluate_grid_sparse(fn: Callable[[np.ndarray], np.ndarray], resolution: int, bound: float = 1.0,
                         factor: int = 2, band: float = 2.0, chunk: int = 262_144) -> tuple[np.ndarray, float]:
    """Coarse-to-fine evaluation (as ONet's MISE, Mescheder et al. 2019): ``fn`` on a grid ``factor`` times
    coarser, trilinearly upsampled; then exact values only at fine points near the surface — coarse cells
    with a sign change or ``|fn| < band`` among their neighbours (dilated by one cell).  Far from the
    surface only the sign matters to marching cubes, and the upsampled sign is right there unless a part is
    thinner than a coarse cell.  Returns the (R, R, R) field and the fraction of fine points evaluated."""
    import torch
    import torch.nn.functional as F

    Rc = max(4, resolution // factor)
    coarse = torch.from_numpy(evaluate_grid(fn, Rc, bound, chunk))[None, None]
    near = (coarse.abs() < band).float()
    pos = (coarse > 0).float()
    change = (F.max_pool3d(pos, 3, 1, 1) != -F.max_pool3d(-pos, 3, 1, 1)).float()  # a neighbour differs
    mask = F.max_pool3d(torch.maximum(near, change), 3, 1, 1)
    up = F.interpolate(coarse, size=(resolution,) * 3, mode="trilinear", align_corners=True)[0, 0]
    fine_mask = F.interpolate(mask, size=(resolution,) * 3, mode="nearest")[0, 0] > 0
    field = up.numpy().copy()
    idx = np.flatnonzero(fine_mask.numpy())
    pts = grid_points(resolution, bound)[idx]
    vals = [np.asarray(fn(pts[i:i + chunk]), np.float32) for i in range(0, len(pts), chunk)]
    field.reshape(-1)[idx] = np.concatenate(vals) if vals else []
    return field, len(idx) / field.size


def marching_cubes(field: np.ndarray, level: float = 0.0, bound: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """scikit-image marching cubes on ``field`` (R, R, R) sampled on :func:`grid_points`, ``field > level``
    inside → vertices (V, 3) in [-bound, bound]³ and outward-wound faces (F, 3).  Raises ``ValueError``
    when the field has no surface."""
    from skimage.measure import marching_cubes as mc

    R = field.shape[0]
    if not (field.min() < level < field.max()):
        raise ValueError(f"no surface: the field never crosses level {level}")
    # a grid value exactly at the level puts a vertex on a grid point, shared by several cubes: zero-area
    # triangles.  Nudge such values off the level (1e-5 in field units moves no vertex visibly).
    field = np.where(np.abs(field - level) < 1e-5, level + 1e-5, field)
    # pad so shapes touching the domain boundary still close up
    padded = np.pad(field, 1, mode="constant", constant_values=min(float(field.min()), level - 1.0))
    verts, faces, _, _ = mc(padded, level=level)
    verts = (verts - 1) * (2 * bound / (R - 1)) - bound
    return verts, faces[:, ::-1]  # scikit-image winds for "inside = below level"; ours is above


def clean_mesh(verts: np.ndarray, faces: np.ndarray, keep_largest: bool = True) -> trimesh.Trimesh:
    """Merge vertices, drop degenerate faces, keep the largest connected component, make the winding
    consistent with normals pointing outwards."""
    mesh = trimesh.Trimesh(verts, faces, process=False)
    mesh.merge_vertices(digits_vertex=7)  # collapse (near-)coincident vertices first: slivers then vanish whole
    mesh.update_faces(mesh.nondegenerate_faces())
    mesh.remove_unreferenced_vertices()
    mesh = _collapse_slivers(mesh)
    if keep_largest:
        parts = mesh.split(only_watertight=False)
        if len(parts) > 1:
            mesh = max(parts, key=lambda m: (len(m.faces), m.area))
    trimesh.repair.fix_winding(mesh)
    if mesh.is_watertight and mesh.volume < 0:
        mesh.invert()
    return mesh


def _collapse_slivers(mesh: trimesh.Trimesh, rel_area: float = 1e-10, rounds: int = 6) -> trimesh.Trimesh:
    """Marching cubes leaves a few zero-area triangles with three distinct, collinear vertices.  Deleting
    them would open holes; instead collapse each one's shortest edge (the two vertices become one; a tiny
    triangle collapses to its centre), after which the sliver and its neighbours across the collapsed
    edges are exactly degenerate and drop out cleanly."""
    scale = float(np.linalg.norm(np.ptp(mesh.vertices, axis=0))) if len(mesh.vertices) else 1.0
    for _ in range(rounds):
        bad = np.flatnonzero(mesh.area_faces < rel_area * scale * scale)
        if not len(bad):
            break
        v, f = mesh.vertices.copy(), mesh.faces[bad]
        tri = v[f]
        lengths = np.stack([np.linalg.norm(tri[:, k] - tri[:, (k + 1) % 3], axis=1) for k in range(3)], 1)
        k = lengths.argmin(1)
        a, b = f[np.arange(len(f)), k], f[np.arange(len(f)), (k + 1) % 3]
        v[b] = v[a]
        tiny = lengths.max(1) < 1e-4 * scale  # a tiny triangle, not a needle: all three corners become one
        v[f[tiny].ravel()] = np.repeat(tri[tiny].mean(1), 3, axis=0)
        mesh = trimesh.Trimesh(v, mesh.faces, process=False)
        mesh.merge_vertices(digits_vertex=9)
        mesh.update_faces(mesh.nondegenerate_faces())
        mesh.remove_unreferenced_vertices()
    return mesh


def extract_mesh(field: np.ndarray, level: float = 0.0, bound: float = 1.0, keep_largest: bool = True
                 ) -> trimesh.Trimesh:
    """Mesh of the ``level`` set of ``field`` (R, R, R): :func:`marching_cubes` then :func:`clean_mesh`."""
    return clean_mesh(*marching_cubes(field, level, bound), keep_largest=keep_largest)
