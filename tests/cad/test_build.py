"""The B-Rep builder: exact grids of a part come back as a strictly valid solid of the same shape."""
from __future__ import annotations

import numpy as np
import pytest

from sciGen.cad.build import BuildError, build_solid, detect_vertices
from sciGen.cad.metrics import surface_chamfer
from sciGen.cad.procedural import FAMILIES, instance
from sciGen.cad.record import part_record
from sciGen.cad.validate import validate


@pytest.mark.parametrize("family", FAMILIES)
def test_exact_grids_rebuild_a_valid_solid(family: str) -> None:
    part = instance(family, 3, seed=9)
    r = part_record(part)
    solid = build_solid(r.face_grids.astype(float), r.edge_grids.astype(float), r.edge_faces)
    assert validate(solid).ok, validate(solid).reasons
    from sciGen.cad.brep import normalize
    assert surface_chamfer(solid, normalize(part), n=5000) < 2e-3


def test_vertices_merge_end_points_and_bad_topology_is_a_clear_error() -> None:
    from sciGen.cad.brep import count
    from sciGen.cad.record import split_closed
    part = instance("block", 0)
    r = part_record(part)
    pos, ends = detect_vertices(r.edge_grids.astype(float), r.edge_faces, r.n_faces)
    assert ends.shape == (len(r.edge_grids), 2) and (ends[:, 0] != ends[:, 1]).all()
    assert len(pos) == count(split_closed(part), "vertex")  # exactly the part's vertices
    with pytest.raises(BuildError, match="face 0 has 1 edge"):
        build_solid(r.face_grids[:2].astype(float), r.edge_grids[:1].astype(float), np.array([[0, 1]]))
