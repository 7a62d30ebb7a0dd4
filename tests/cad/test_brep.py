"""B-Rep I/O, topology and normalisation on build123d solids (and the real samples when present)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from build123d import Box, Cylinder, Pos

from sciGen.cad.brep import (BRepReadError, bounding_box, count, edge_faces, face_adjacency, normalize, read_brep,
                             read_step, step_bytes, tessellate, write_brep, write_step)


def test_step_and_brep_round_trip_keep_the_topology(tmp_path: Path) -> None:
    part = (Box(20, 10, 5) - Pos(0, 0, 0) * Cylinder(2, 5)).wrapped
    for path, write, read in ((tmp_path / "p.step", write_step, read_step), (tmp_path / "p.brep", write_brep, read_brep)):
        write(part, path)
        back = read(path)
        assert [count(back, k) for k in ("solid", "face", "edge")] == [count(part, k) for k in ("solid", "face", "edge")]
        lo, hi = bounding_box(back)
        np.testing.assert_allclose(hi - lo, [20, 10, 5], atol=1e-6)
    assert not list(tmp_path.glob(".tmp-*"))  # atomic writes leave no temporaries
    assert step_bytes(part).startswith(b"ISO-10303-21")


def test_bad_files_are_one_line_errors(tmp_path: Path) -> None:
    bad = tmp_path / "notes.step"
    bad.write_text("this is not STEP\n")
    with pytest.raises(BRepReadError, match="notes.step: not a readable STEP file"):
        read_step(bad)
    empty = tmp_path / "empty.brep"
    empty.write_bytes(b"")
    with pytest.raises(BRepReadError, match="empty.brep: not a readable BREP file"):
        read_brep(empty)


def test_normalize_fits_the_unit_cube_and_adjacency_is_the_box_graph() -> None:
    box = normalize(Box(4, 2, 1).wrapped)
    lo, hi = bounding_box(box)
    np.testing.assert_allclose(lo, [-1, -0.5, -0.25], atol=1e-9)
    np.testing.assert_allclose(hi, [1, 0.5, 0.25], atol=1e-9)
    n, pairs = face_adjacency(box)
    assert n == 6 and len(pairs) == 12  # a box: every face touches the four faces it is not opposite
    deg = np.bincount(np.array([p[:2] for p in pairs]).ravel(), minlength=6)
    assert (deg == 4).all()
    faces, edges, owners = edge_faces(box)
    assert len(faces) == 6 and len(edges) == 12 and all(len(set(o)) == 2 for o in owners)


def test_tessellation_is_a_closed_outward_mesh() -> None:
    import trimesh
    v, f = tessellate(normalize((Box(2, 2, 2) - Cylinder(0.5, 2)).wrapped), 0.002)
    mesh = trimesh.Trimesh(v, f)
    assert mesh.is_watertight and mesh.volume > 0
    assert mesh.volume == pytest.approx(2 * 2 * 2 - np.pi * 0.5**2 * 2, rel=0.01)


def test_real_samples_read(real_solids: Path) -> None:
    shape = read_step(real_solids / "block_hole.step")
    assert count(shape, "solid") == 1 and count(shape, "face") == 8
