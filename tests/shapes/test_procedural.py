"""Procedural objects: clean normalised solids, reproducible per (category, index, seed), thick enough."""
from __future__ import annotations

import numpy as np
import pytest
import trimesh
from manifold3d import Manifold, Mesh

from sciGen.shapes.primitives import thin_fraction
from sciGen.shapes.procedural import CATEGORIES, OBJECT_CATEGORIES, generate, instance, make

N = 3


@pytest.fixture(scope="module")
def meshes() -> dict[str, list[trimesh.Trimesh]]:
    return {c: generate(c, N, seed=11) for c in CATEGORIES}


def test_categories() -> None:
    assert len(CATEGORIES) == 9 and CATEGORIES[-1] == "csg"
    assert OBJECT_CATEGORIES == CATEGORIES[:-1]


@pytest.mark.parametrize("category", CATEGORIES)
def test_clean_normalised_solids(meshes, category: str) -> None:
    for m in meshes[category]:
        assert m.is_watertight and m.is_winding_consistent and m.volume > 0
        assert m.body_count == 1
        assert m.nondegenerate_faces().all()
        assert np.abs(m.vertices).max() <= 0.9 + 1e-6
        assert m.extents.max() == pytest.approx(1.8, abs=1e-6)
        assert np.allclose(m.bounds.mean(axis=0), 0.0, atol=1e-6)
        assert len(m.faces) < 20_000


@pytest.mark.parametrize("category", CATEGORIES)
def test_no_thin_parts(meshes, category: str) -> None:
    """Inward rays from random surface points: almost none leave the solid within 0.05."""
    for m in meshes[category]:
        solid = Manifold(Mesh(m.vertices.astype(np.float32), m.faces.astype(np.uint32)))
        assert thin_fraction(solid, 0.05, np.random.default_rng(5), 200) <= 0.05


@pytest.mark.parametrize("category", CATEGORIES)
def test_reproducible_and_varied(meshes, category: str) -> None:
    a = instance(category, 2, seed=11)
    assert np.array_equal(a.vertices, meshes[category][2].vertices)
    assert np.array_equal(a.faces, meshes[category][2].faces)
    assert np.array_equal(generate(category, 1, seed=11, start=1)[0].vertices, meshes[category][1].vertices)
    first, second = meshes[category][:2]
    assert first.vertices.shape != second.vertices.shape or not np.allclose(first.vertices, second.vertices)
    assert not np.array_equal(instance(category, 0, seed=12).vertices, meshes[category][0].vertices)


def test_make_takes_a_generator() -> None:
    a, b = (make("bowl", np.random.default_rng(3)) for _ in range(2))
    assert np.array_equal(a.vertices, b.vertices)


def test_unknown_category() -> None:
    for call in (lambda: instance("sofa", 0), lambda: generate("sofa", 2),
                 lambda: make("sofa", np.random.default_rng())):
        with pytest.raises(ValueError, match="sofa.*mug"):
            call()
