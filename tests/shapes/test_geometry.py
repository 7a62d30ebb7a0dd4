"""Geometry: normalisation, surface sampling, inside tests (incl. robust ones), marching cubes + clean-up."""
from __future__ import annotations

import numpy as np
import pytest
import trimesh

from sciGen.shapes.geometry import (Scene, evaluate_grid, extract_mesh, grid_points, normalize, occupancy,
                                    sample_surface, signed_distance)


def test_normalize_fits_cube():
    m = normalize(trimesh.creation.box([4.0, 2.0, 1.0]).apply_translation([10, -3, 2]))
    assert np.allclose(m.bounds, [[-0.9, -0.45, -0.225], [0.9, 0.45, 0.225]])
    with pytest.raises(ValueError):
        normalize(trimesh.Trimesh())


def test_sample_surface_on_sphere_with_outward_normals():
    m = trimesh.creation.icosphere(4, radius=0.5)
    pts, nrm = sample_surface(m, 2000, np.random.default_rng(0))
    assert pts.shape == nrm.shape == (2000, 3)
    assert np.abs(np.linalg.norm(pts, axis=1) - 0.5).max() < 0.01
    assert (np.sum(pts * nrm, 1) > 0).all()
    again, _ = sample_surface(m, 2000, np.random.default_rng(0))
    assert np.array_equal(pts, again)


def test_occupancy_and_signed_distance_of_a_box():
    box = trimesh.creation.box([1.0, 1.0, 1.0])
    q = np.array([[0, 0, 0], [0.4, 0.4, 0.4], [0.6, 0, 0], [0.9, 0.9, 0.9]], np.float32)
    assert occupancy(box, q).tolist() == [True, True, False, False]
    sd = signed_distance(box, q)
    assert np.allclose(sd[:3], [-0.5, -0.1, 0.1], atol=1e-5)


def test_robust_occupancy_on_a_mesh_with_a_hole():
    s = trimesh.creation.icosphere(3, radius=0.5)
    holed = trimesh.Trimesh(s.vertices, s.faces[5:], process=False)  # a few faces missing
    assert not holed.is_watertight
    rng = np.random.default_rng(0)
    q = rng.uniform(-0.7, 0.7, (4000, 3)).astype(np.float32)
    truth = np.linalg.norm(q, axis=1) < 0.49
    far = np.abs(np.linalg.norm(q, axis=1) - 0.5) > 0.03
    robust = Scene(holed).occupancy(q, robust=True)
    assert (robust[far] == truth[far]).mean() > 0.99


def test_marching_cubes_round_trip_of_a_sphere():
    m = trimesh.creation.icosphere(4, radius=0.6)
    field = evaluate_grid(lambda p: 0.6 - np.linalg.norm(p, axis=1), 48)
    out = extract_mesh(field)
    assert out.is_watertight and out.is_winding_consistent and out.volume > 0
    assert abs(out.volume - m.volume) / m.volume < 0.03
    assert grid_points(4).shape == (64, 3)


def test_marching_cubes_keeps_the_largest_component_and_rejects_empty_fields():
    p = grid_points(40)
    field = np.maximum(0.5 - np.linalg.norm(p - [0.4, 0, 0], axis=1), 0.2 - np.linalg.norm(p + [0.6, 0, 0], axis=1))
    out = extract_mesh(field.reshape(40, 40, 40))
    assert len(out.split(only_watertight=False)) == 1 and out.bounds[0][0] > -0.2
    with pytest.raises(ValueError, match="no surface"):
        extract_mesh(-np.ones((8, 8, 8), np.float32))
