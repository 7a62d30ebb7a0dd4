"""A PNG grid of unit cells drawn with matplotlib (Agg): the cell's twelve edges, the atoms of the cell
and their images on the cell's faces, coloured with VESTA's element colours (pymatgen's table) and sized
by covalent radius; each panel is labelled with the formula and space group."""
from __future__ import annotations

import itertools
import math
from functools import lru_cache
from pathlib import Path

import numpy as np
from pymatgen.core import Structure

from sciGen.io import atomic_write


@lru_cache(maxsize=1)
def _colors() -> dict[str, list[int]]:
    from monty.serialization import loadfn
    import pymatgen.vis
    return loadfn(str(Path(pymatgen.vis.__file__).parent / "ElementColorSchemes.yaml"))["VESTA"]


def _cell_edges(m: np.ndarray) -> list[np.ndarray]:
    corners = {c: np.array(c) @ m for c in itertools.product((0, 1), repeat=3)}
    return [np.stack([corners[a], corners[b]]) for a in corners for b in corners
            if a < b and sum(x != y for x, y in zip(a, b)) == 1]


def _atoms_with_images(s: Structure, tol: float = 1e-3) -> tuple[np.ndarray, list[str]]:
    """Cartesian positions of the atoms plus their periodic images lying on the cell's faces."""
    pts, els = [], []
    for site in s:
        f = np.mod(site.frac_coords, 1.0)
        shifts = [(0, 1) if x < tol else (0,) for x in f]
        for sh in itertools.product(*shifts):
            pts.append((f + np.array(sh)) @ s.lattice.matrix)
            els.append(site.specie.symbol)
    return np.array(pts), els


def render(structures: list[Structure], path: str | Path, labels: list[str] | None = None) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from pymatgen.core import Element
    from pymatgen.symmetry.analyzer import SpacegroupAnalyzer

    n = max(len(structures), 1)
    cols = min(4, n)
    rows = math.ceil(n / cols)
    fig = plt.figure(figsize=(3.2 * cols, 3.2 * rows))
    colors = _colors()
    for i, s in enumerate(structures):
        ax = fig.add_subplot(rows, cols, i + 1, projection="3d")
        for e in _cell_edges(s.lattice.matrix):
            ax.plot(*e.T, color="0.3", lw=0.8)
        pts, els = _atoms_with_images(s)
        rgb = [np.array(colors.get(e, [128, 128, 128])) / 255 for e in els]
        size = [60 * (Element(e).atomic_radius or 1.0) ** 2 for e in els]
        ax.scatter(*pts.T, c=rgb, s=size, edgecolors="k", linewidths=0.3, depthshade=True)
        lo, hi = pts.min(0), pts.max(0)
        corners = np.array([np.array(c) @ s.lattice.matrix for c in itertools.product((0, 1), repeat=3)])
        lo, hi = np.minimum(lo, corners.min(0)), np.maximum(hi, corners.max(0))
        c, r = (lo + hi) / 2, (hi - lo).max() / 2
        ax.set_xlim(c[0] - r, c[0] + r)
        ax.set_ylim(c[1] - r, c[1] + r)
        ax.set_zlim(c[2] - r, c[2] + r)
        ax.set_axis_off()
        if labels is not None:
            title = labels[i]
        else:
            try:
                sg = SpacegroupAnalyzer(s, symprec=0.1).get_space_group_symbol()
            except Exception:  # noqa: BLE001
                sg = "?"
            title = f"{s.composition.reduced_formula}  {sg}"
        ax.set_title(title, fontsize=9)
    fig.tight_layout()
    atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=90, format="png"))
    plt.close(fig)
