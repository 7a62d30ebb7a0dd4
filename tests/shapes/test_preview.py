"""Preview grids: a PNG is written atomically, rows by name, big meshes decimated for drawing."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import trimesh

from sciGen.shapes.preview import cluster_decimate, render_grid

PNG = b"\x89PNG\r\n\x1a\n"


def test_grid_png(tmp_path: Path) -> None:
    meshes = [trimesh.creation.box(), trimesh.creation.icosphere(4), trimesh.creation.cylinder(0.3, 1.0), None]
    out = render_grid(meshes, tmp_path / "sub" / "grid.png", labels=["box", "sphere", "cyl", "missing"],
                      title="shapes", size=1.5)
    data = out.read_bytes()
    assert data.startswith(PNG) and len(data) > 2000
    assert not list(out.parent.glob(".tmp-*"))


def test_rows_by_name(tmp_path: Path) -> None:
    meshes = [trimesh.creation.box(), trimesh.creation.icosphere(1), trimesh.creation.box()]
    out = render_grid(meshes, tmp_path / "rows.png", labels=["a", "b", "a"], rows=["a", "b"], size=1.0)
    assert out.read_bytes().startswith(PNG)
    with pytest.raises(ValueError, match="not among the row names"):
        render_grid(meshes, tmp_path / "x.png", labels=["a", "c", "a"], rows=["a", "b"])
    with pytest.raises(ValueError, match="labels for"):
        render_grid(meshes, tmp_path / "x.png", labels=["a"])
    assert not (tmp_path / "x.png").exists()


def test_cluster_decimate_caps_faces() -> None:
    big = trimesh.creation.icosphere(5)  # 20480 faces
    v, f = cluster_decimate(np.asarray(big.vertices), np.asarray(big.faces), 3000)
    assert 500 < len(f) <= 3000 and f.max() < len(v)
    assert np.abs(np.linalg.norm(v[np.unique(f)], axis=1) - 1).max() < 0.1  # still a unit sphere


def test_preview_folders_one_cell_each(tmp_path: Path) -> None:
    from sciGen.shapes.preview import preview_folders
    for name, mesh in (("a", trimesh.creation.box()), ("b", trimesh.creation.icosphere(2))):
        (tmp_path / name).mkdir()
        mesh.export(tmp_path / name / "000000.obj")
    (tmp_path / "empty").mkdir()
    out = preview_folders(tmp_path / "p.png", [tmp_path / "a", tmp_path / "b", tmp_path / "empty"], ["A", "B", "none"])
    assert out.read_bytes().startswith(PNG)
