"""Mesh validation: each defect is named once, with a count; components count edge-connected pieces."""
from __future__ import annotations

import numpy as np
import pytest
import trimesh

from sciGen.shapes.validate import components, validate


def box(extent: float = 1.0) -> trimesh.Trimesh:
    return trimesh.creation.box((extent, extent, extent))


def raw(vertices, faces) -> trimesh.Trimesh:
    return trimesh.Trimesh(np.asarray(vertices, dtype=float), np.asarray(faces), process=False)


@pytest.mark.parametrize("mesh", [box(), trimesh.creation.icosphere(2, radius=0.9),
                                  trimesh.creation.cylinder(0.4, 1.2, sections=24)], ids=["box", "sphere", "cyl"])
def test_sound_solids_pass(mesh: trimesh.Trimesh) -> None:
    v = validate(mesh)
    assert v.ok and bool(v) and v.reasons == []
    assert components(mesh) == 1


def test_hole_is_not_watertight() -> None:
    b = box()
    v = validate(raw(b.vertices, b.faces[1:]))
    assert not v.ok and v.reasons == ["not watertight: 3 boundary edges"]


def test_all_faces_flipped_is_inverted() -> None:
    b = box()
    v = validate(raw(b.vertices, b.faces[:, ::-1]))
    assert not v.ok and len(v.reasons) == 1 and v.reasons[0].startswith("inverted: volume -1")


def test_some_faces_flipped_is_inconsistent_winding() -> None:
    b = box()
    faces = b.faces.copy()
    faces[:2] = faces[:2, ::-1]
    v = validate(raw(b.vertices, faces))
    assert not v.ok and len(v.reasons) == 1 and v.reasons[0].startswith("inconsistent winding: ")


def test_two_components_are_counted_and_still_valid() -> None:
    a, b = box(0.5), box(0.5).apply_translation([0.6, 0, 0])
    two = trimesh.util.concatenate([a, b])
    assert components(two) == 2
    assert validate(two).ok
    assert components(raw(np.zeros((0, 3)), np.zeros((0, 3), dtype=int))) == 0


def test_out_of_bounds_and_non_finite() -> None:
    v = validate(box(2.5))
    assert not v.ok and v.reasons == ["not bounded: |coordinate| up to 1.25 > 1"]
    assert validate(box(2.5), bound=1.3).ok
    b = box()
    vertices = b.vertices.copy()
    vertices[0] = np.nan
    v = validate(raw(vertices, b.faces))
    assert not v.ok and v.reasons == ["not bounded: 1 non-finite vertices"]


def test_degenerate_faces_are_counted() -> None:
    b = box()
    # a sliver: one corner split into two coincident vertices joined by a zero-area face pair
    vertices = np.r_[b.vertices, b.vertices[:1]]
    faces = np.r_[b.faces, [[0, 8, 1], [8, 0, 1]]]
    v = validate(raw(vertices, faces))
    assert any(r == "degenerate: 2 faces with (near) zero area" for r in v.reasons)


def test_non_manifold_edge() -> None:
    b = box()
    apex = len(b.vertices)
    i, j = b.faces[0][:2]
    v = validate(raw(np.r_[b.vertices, [[0.0, 0.0, 0.9]]], np.r_[b.faces, [[i, j, apex]]]))
    assert "non-manifold: 1 edges shared by more than 2 faces" in v.reasons
    assert any(r.startswith("not watertight: 2 boundary edges") for r in v.reasons)


def test_empty_mesh() -> None:
    v = validate(trimesh.Trimesh())
    assert not v.ok and v.reasons == ["empty: no triangles"]


def test_procedural_shapes_are_valid() -> None:
    procedural = pytest.importorskip("sciGen.shapes.procedural", reason="procedural shapes not written yet")
    for category in procedural.CATEGORIES:
        mesh = procedural.instance(category, 0, seed=0)
        v = validate(mesh)
        assert v.ok, f"{category}: {v.reasons}"
