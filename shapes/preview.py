"""A PNG grid of meshes drawn with matplotlib (Agg, ``Poly3DCollection``), Lambert-shaded from the face
normals, one labelled cell per mesh.  Big meshes are decimated by vertex clustering to ``max_faces``
(fast_simplification is not a dependency), and closed outward meshes lose their back faces, which
also spares matplotlib's painter's algorithm most of its depth-order mistakes.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import trimesh

from sciGen.io import atomic_write

ELEV, AZIM = 20.0, -60.0  # matplotlib view angles (degrees)
COLOR = np.array([0.55, 0.68, 0.85])


def _eye() -> np.ndarray:
    """Unit vector from the scene towards the viewer for ``view_init(ELEV, AZIM)``."""
    e, a = np.radians(ELEV), np.radians(AZIM)
    return np.array([np.cos(e) * np.cos(a), np.cos(e) * np.sin(a), np.sin(e)])


def cluster_decimate(vertices: np.ndarray, faces: np.ndarray, max_faces: int) -> tuple[np.ndarray, np.ndarray]:
    """Vertex-clustering decimation (Rossignac & Borrel 1993): snap vertices to a grid, average each
    cell, drop collapsed and repeated faces; the grid coarsens until at most ``max_faces`` remain."""
    lo = vertices.min(axis=0)
    extent = max(float((vertices.max(axis=0) - lo).max()), 1e-12)
    res = max(int(np.sqrt(max_faces) * 1.5), 4)
    while True:
        cell = np.floor((vertices - lo) / extent * (res - 1e-9)).astype(np.int64)
        _, inverse = np.unique(cell, axis=0, return_inverse=True)
        inverse = inverse.reshape(-1)
        f = inverse[faces]
        f = f[(f[:, 0] != f[:, 1]) & (f[:, 1] != f[:, 2]) & (f[:, 0] != f[:, 2])]
        f = np.unique(f, axis=0)
        if len(f) <= max_faces or res <= 4:
            counts = np.bincount(inverse, minlength=inverse.max() + 1)[:, None]
            v = np.zeros((len(counts), 3))
            np.add.at(v, inverse, vertices)
            return v / np.maximum(counts, 1), f[:max_faces]
        res = max(int(res * 0.8), 4)


def _triangles(mesh: trimesh.Trimesh, max_faces: int) -> np.ndarray:
    """Triangles (F, 3, 3) to draw: decimated to ``max_faces``; back faces culled on closed, outward meshes."""
    vertices, faces = np.asarray(mesh.vertices, dtype=np.float64), np.asarray(mesh.faces)
    closed = mesh.is_watertight and mesh.is_winding_consistent and mesh.volume > 0
    if len(faces) > max_faces:
        vertices, faces = cluster_decimate(vertices, faces, max_faces)
    tri = vertices[faces]
    if closed and len(tri) > 4:
        normal = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
        tri = tri[normal @ _eye() > 0]
    return tri


def _shade(tri: np.ndarray) -> np.ndarray:
    """RGB per triangle (F, 3): ambient + two-sided Lambert term, light from above the viewer."""
    normal = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    normal /= np.maximum(np.linalg.norm(normal, axis=1, keepdims=True), 1e-12)
    light = _eye() + np.array([0.0, 0.0, 0.6])
    lambert = np.abs(normal @ (light / np.linalg.norm(light)))
    return np.clip(COLOR[None] * (0.25 + 0.75 * lambert[:, None]), 0, 1)


def _draw(ax, mesh: trimesh.Trimesh | None, max_faces: int) -> None:
    from mpl_toolkits.mplot3d.art3d import Poly3DCollection

    ax.set_axis_off()
    usable = (mesh is not None and len(mesh.faces) > 0
              and np.isfinite(np.asarray(mesh.vertices)[np.asarray(mesh.faces)]).all())
    if not usable:
        ax.text2D(0.5, 0.5, "(empty)", transform=ax.transAxes, ha="center", va="center", color="grey")
        return
    tri = _triangles(mesh, max_faces)
    points = np.asarray(mesh.vertices)[np.unique(mesh.faces)]
    lo, hi = points.min(axis=0), points.max(axis=0)
    center, half = (lo + hi) / 2, max(float((hi - lo).max()) / 2, 1e-9)
    colors = _shade(tri)  # edges in the face colour hide the anti-aliasing seams between triangles
    ax.add_collection3d(Poly3DCollection(tri, facecolors=colors, edgecolors=colors, linewidths=0.2))
    for set_lim, c in zip((ax.set_xlim, ax.set_ylim, ax.set_zlim), center):
        set_lim(c - half, c + half)
    ax.set_box_aspect((1, 1, 1))
    ax.view_init(elev=ELEV, azim=AZIM)


def _layout(n: int, labels: Sequence[str] | None, rows: Sequence[str] | int | None, cols: int | None
            ) -> tuple[list[tuple[int, int]], int, int, list[str] | None]:
    """Cell (row, col) of each mesh, the grid size and the row names (if any)."""
    if isinstance(rows, Sequence) and not isinstance(rows, str):
        names = list(rows)
        if labels is None:
            raise ValueError("row names need labels: each mesh goes to the row named by its label")
        missing = sorted({lab for lab in labels if lab not in names})
        if missing:
            raise ValueError(f"labels not among the row names: {', '.join(map(str, missing))}")
        filled = dict.fromkeys(names, 0)
        cells = []
        for lab in labels:
            cells.append((names.index(lab), filled[lab]))
            filled[lab] += 1
        return cells, len(names), max(cols or 0, max(filled.values(), default=0), 1), names
    if cols is None:
        cols = math.ceil(n / rows) if rows else math.ceil(math.sqrt(n))
    cols = max(int(cols), 1)
    n_rows = max(int(rows) if rows else math.ceil(n / cols), math.ceil(n / cols), 1)
    return [(i // cols, i % cols) for i in range(n)], n_rows, cols, None


def render_grid(meshes: Sequence[trimesh.Trimesh | None], path: str | Path, labels: Sequence[str] | None = None,
                rows: Sequence[str] | int | None = None, cols: int | None = None, title: str | None = None,
                size: float = 2.5, max_faces: int = 5000, dpi: int = 100) -> Path:
    """Draw ``meshes`` in a grid and write a PNG atomically to ``path``.

    ``labels`` go under each cell.  ``rows`` is a row count, or a list of row names: then each mesh goes
    to the row named by its label (e.g. one row per category) and the names head the rows.  Each cell is
    ``size`` inches; meshes with more than ``max_faces`` faces are decimated for drawing.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    meshes = list(meshes)
    if labels is not None and len(labels) != len(meshes):
        raise ValueError(f"{len(labels)} labels for {len(meshes)} meshes")
    cells, n_rows, n_cols, row_names = _layout(len(meshes), labels, rows, cols)
    fig = plt.figure(figsize=(size * n_cols, size * n_rows + (0.4 if title else 0)))
    try:
        for k, (mesh, (r, c)) in enumerate(zip(meshes, cells)):
            ax = fig.add_subplot(n_rows, n_cols, r * n_cols + c + 1, projection="3d")
            _draw(ax, mesh, max_faces)
            label = None if labels is None else labels[k]
            if row_names is None and label is None and mesh is not None:
                label = mesh.metadata.get("name")
            if label is not None and row_names is None:
                ax.text2D(0.5, 0.02, str(label), transform=ax.transAxes, ha="center", va="top", fontsize=9)
            elif row_names is not None and mesh is not None and mesh.metadata.get("name"):
                ax.text2D(0.5, 0.02, str(mesh.metadata["name"]), transform=ax.transAxes, ha="center",
                          va="top", fontsize=8)
        top, bottom = (1 - 0.4 / fig.get_figheight() if title else 1), 0.02
        fig.subplots_adjust(left=0.03 if row_names else 0, right=1, bottom=bottom, top=top, wspace=0, hspace=0.05)
        for r, name in enumerate(row_names or []):
            fig.text(0.005, top - (r + 0.5) * (top - bottom) / n_rows, str(name), rotation=90, ha="left",
                     va="center", fontsize=11, fontweight="bold")
        if title:
            fig.suptitle(title, y=1 - 0.05 / fig.get_figheight(), va="top")
        path = Path(path)
        atomic_write(path, lambda tmp: fig.savefig(tmp, format="png", dpi=dpi))
    finally:
        plt.close(fig)
    return path


def preview_folders(path: str | Path, folders: Sequence[str | Path], labels: Sequence[str] | None = None) -> Path:
    """One cell per folder: the first mesh of each (by file name), labelled by ``labels`` or the folder's
    name — e.g. one shape from each generator side by side.  An empty folder leaves its cell blank."""
    from sciGen.shapes.formats import mesh_files, read

    meshes = []
    for f in folders:
        files = mesh_files(f)
        meshes.append(next(iter(read(files[0])), None) if files else None)
    return render_grid(meshes, path, labels=list(labels) if labels else [Path(f).name for f in folders], cols=len(meshes))


if __name__ == "__main__":  # python -m sciGen.shapes.preview OUT.png FOLDER[=LABEL]... (used by `make demo`)
    import sys

    if len(sys.argv) < 3:
        sys.exit("usage: python -m sciGen.shapes.preview OUT.png FOLDER[=LABEL] [FOLDER[=LABEL] ...]")
    pairs = [a.split("=", 1) if "=" in a else (a, Path(a).name) for a in sys.argv[2:]]
    print(preview_folders(sys.argv[1], [f for f, _ in pairs], [lab for _, lab in pairs]))
