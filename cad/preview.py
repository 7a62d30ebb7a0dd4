"""PNG previews of B-Rep parts: each part is tessellated (``BRepMesh``) and drawn with the shapes
renderer (:func:`sciGen.shapes.preview.render_grid`)."""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import trimesh
from OCP.TopoDS import TopoDS_Shape

from sciGen.cad.brep import normalize, tessellate


def to_mesh(shape: TopoDS_Shape, deflection: float = 0.004) -> trimesh.Trimesh | None:
    """The normalised part as a triangle mesh (None when it does not tessellate)."""
    try:
        v, f = tessellate(normalize(shape), deflection)
    except Exception:  # noqa: BLE001 - an unmeshable shape is drawn as an empty cell
        return None
    return trimesh.Trimesh(v, f) if len(f) else None


def render(shapes: Sequence[TopoDS_Shape | None], path: str | Path, labels: Sequence[str] | None = None,
           rows: Sequence[str] | int | None = None, title: str | None = None) -> Path:
    from sciGen.shapes.preview import render_grid
    return render_grid([to_mesh(s) if s is not None else None for s in shapes], path, labels=labels, rows=rows,
                       title=title)
