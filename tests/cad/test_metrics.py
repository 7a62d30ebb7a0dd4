"""CAD metrics: graph identity up to isomorphism and pose, uniqueness / novelty, JSD, folder evaluation."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from build123d import Box, Cylinder, Pos, Rot

from sciGen.cad.formats import write_folder
from sciGen.cad.metrics import evaluate_folders, face_graph, jsd, point_cloud, unique_novel
from sciGen.cad.procedural import instance


def test_moved_and_scaled_copies_are_the_same_part_and_a_changed_part_is_not() -> None:
    part = (Box(4, 3, 2) - Cylinder(0.5, 2)).wrapped
    moved = (Pos(10, -3, 7) * (Box(4, 3, 2) - Cylinder(0.5, 2))).wrapped
    scaled = (Box(8, 6, 4) - Cylinder(1.0, 4)).wrapped
    other = (Box(4, 3, 2) - Pos(1, 0, 0) * Cylinder(0.5, 2)).wrapped
    turned = (Rot(0, 0, 90) * (Box(4, 3, 2) - Cylinder(0.5, 2))).wrapped  # a rotated copy is another pose
    g = [face_graph(s) for s in (part, moved, scaled, other, turned)]
    res = unique_novel(g, train=[g[3]])
    assert res["unique"] == pytest.approx(2 / 5)  # part, moved, scaled are one part; other and turned differ
    assert res["novel"] == pytest.approx(4 / 5)


def test_jsd_is_zero_for_one_set_and_grows_apart() -> None:
    rng = np.random.default_rng(0)
    a = [rng.uniform(0, 0.5, (500, 3)) for _ in range(3)]
    b = [rng.uniform(0.5, 1, (500, 3)) for _ in range(3)]
    assert jsd(a, a) == pytest.approx(0.0, abs=1e-12)
    assert jsd(a, b) == pytest.approx(np.log(2), abs=1e-9)  # disjoint supports: the maximum


def test_point_clouds_lie_in_the_unit_cube() -> None:
    pc = point_cloud(instance("shaft", 0), 2000)
    assert pc.shape == (2000, 3) and pc.min() >= -1e-6 and pc.max() <= 1 + 1e-6
    assert np.isclose((pc.max(0) - pc.min(0)).max(), 1.0, atol=0.02)


def test_evaluate_folders_counts_unreadable_files_as_invalid(tmp_path: Path) -> None:
    parts = [instance("plate", i) for i in range(3)]
    write_folder(parts, tmp_path / "gen")
    (tmp_path / "gen" / "9999.step").write_text("garbage")
    write_folder([instance("plate", i) for i in range(3, 6)], tmp_path / "ref")
    write_folder(parts[:1], tmp_path / "train")
    errors: list = []
    m = evaluate_folders(tmp_path / "gen", tmp_path / "ref", tmp_path / "train", errors=errors)
    assert m["n"] == 4 and m["valid"] == pytest.approx(0.75)
    assert m["unique"] == 1.0 and m["novel"] == pytest.approx(2 / 3)
    assert {"MMD-CD", "COV-CD", "1-NNA-CD", "JSD"} <= set(m)
    assert len(errors) == 1 and "9999.step" in errors[0].path
