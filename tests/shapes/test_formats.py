"""Mesh formats: round trips per format, compressed files, bad files, folders, the shared real meshes."""
from __future__ import annotations

import csv
import lzma
import os
from pathlib import Path

import numpy as np
import pytest
import trimesh
from scipy.spatial import cKDTree

from sciGen.adapter import BadRecord, ReadError
from sciGen.shapes.formats import FORMATS, format_for, mesh_stem, read, read_folder, write, write_folder

ROOT = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("SCIGEN_SHARED", ROOT.parent / "shared"))
MESHES = SHARED / "data" / "meshes_open"


def sphere() -> trimesh.Trimesh:
    m = trimesh.creation.icosphere(subdivisions=2, radius=0.8)
    m.apply_translation([0.01234567, -0.02, 0.03])
    return m


def same_geometry(got: trimesh.Trimesh, ref: trimesh.Trimesh, atol: float = 1e-6) -> bool:
    """Same triangles with the same winding, whatever the vertex numbering: each vertex of ``got`` is
    matched to a vertex of ``ref`` within ``atol``, then faces compare as rotated, sorted index triples."""
    dist, idx = cKDTree(ref.vertices).query(got.vertices)
    if len(got.faces) != len(ref.faces) or dist.max() > atol:
        return False

    def canonical(faces: np.ndarray) -> np.ndarray:
        rolled = np.stack([np.roll(f, -int(np.argmin(f))) for f in faces])  # smallest index first
        return rolled[np.lexsort(rolled.T[::-1])]
    return bool((canonical(idx[got.faces]) == canonical(np.asarray(ref.faces))).all())


NAMES = ["a.stl", "a.obj", "a.ply", "a.off", "a.glb", "a.gltf", "a.obj.xz", "a.stl.gz", "a.ply.bz2", "a.off.xz"]


@pytest.mark.parametrize("name", NAMES)
def test_roundtrip_each_format(tmp_path: Path, name: str) -> None:
    m = sphere()
    assert write([m], tmp_path / name) == 1
    assert not list(tmp_path.glob(".tmp-*"))  # atomic write leaves nothing behind
    back = list(read(tmp_path / name))
    assert len(back) == 1
    r = back[0]
    assert r.vertices.dtype == np.float64 and r.metadata["name"] == name
    assert same_geometry(r, m)  # float32 formats (PLY, GLB) keep ~1e-7
    if not name.startswith("a.stl"):  # STL stores a triangle soup: vertex order is rebuilt on merging
        np.testing.assert_allclose(r.vertices, m.vertices, atol=1e-6)
        np.testing.assert_array_equal(r.faces, m.faces)
    assert r.is_watertight


def test_every_format_has_plain_and_compressed_patterns() -> None:
    assert {f.name for f in FORMATS} == {"stl", "obj", "ply", "off", "glb", "gltf"}
    for f in FORMATS:
        assert any(p.endswith(".xz") for p in f.patterns) and f.write is not None
    assert format_for("X.OBJ.XZ").name == "obj" and format_for("a.txt") is None
    assert mesh_stem("cat-low.obj.xz") == "cat-low" and mesh_stem("a.b.stl") == "a.b"


def test_compressed_read_of_an_external_file(tmp_path: Path) -> None:
    p = tmp_path / "box.obj.xz"
    with lzma.open(p, "wb") as fh:
        fh.write(trimesh.creation.box().export(file_type="obj").encode())
    (m,) = read(p)
    assert len(m.faces) == 12 and m.is_watertight and m.metadata["name"] == "box.obj.xz"


def test_gltf_with_buffers_beside_it(tmp_path: Path) -> None:
    trimesh.creation.box().export(tmp_path / "b.gltf")  # trimesh writes b.gltf + gltf_buffer_*.bin
    (m,) = read(tmp_path / "b.gltf")
    assert len(m.faces) == 12 and m.is_watertight


def test_scene_is_flattened_with_its_transforms(tmp_path: Path) -> None:
    scene = trimesh.Scene()
    scene.add_geometry(trimesh.creation.box(), transform=trimesh.transformations.translation_matrix([2, 0, 0]))
    scene.add_geometry(trimesh.creation.box())
    scene.export(tmp_path / "s.glb")
    (m,) = read(tmp_path / "s.glb")
    assert len(m.faces) == 24
    np.testing.assert_allclose(m.bounds, [[-0.5, -0.5, -0.5], [2.5, 0.5, 0.5]], atol=1e-6)


def test_one_mesh_per_file(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="folder"):
        write([sphere(), sphere()], tmp_path / "two.obj")
    assert write(sphere(), tmp_path / "one.obj") == 1  # a bare mesh is fine too
    assert not (tmp_path / "two.obj").exists()


BAD = {
    "empty.stl": (b"", "empty file"),
    "garbage.stl": (b"this is not a mesh at all\n" * 20, "no vertices or triangles"),
    "points.obj": (b"v 0 0 0\nv 1 0 0\nv 0 1 0\n", "no triangles"),
    "garbage.ply": (b"hello\nworld\n", "not a readable PLY file"),
    "broken.obj.xz": (b"\xfd7zXZ\x00 truncated", "not a valid xz file"),
    "nan.stl": (b"\0" * 80 + (1).to_bytes(4, "little") + b"\x00\x00\xc0\x7f" * 12 + b"\0\0", "non-finite"),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_files_give_one_line_naming_the_file(tmp_path: Path, name: str) -> None:
    data, reason = BAD[name]
    p = tmp_path / name
    p.write_bytes(data)
    errors: list[BadRecord] = []
    assert list(read(p, errors)) == []
    assert len(errors) == 1 and errors[0].path == str(p) and reason in errors[0].reason
    with pytest.raises(ReadError) as info:
        list(read(p))
    msg = str(info.value)
    assert msg.startswith(f"{p}: ") and reason in msg and "\n" not in msg


def test_unsupported_and_missing(tmp_path: Path) -> None:
    with pytest.raises(ReadError, match="unsupported mesh file type"):
        list(read(tmp_path / "a.xyz"))
    with pytest.raises(ReadError, match="file not found"):
        list(read(tmp_path / "nope.obj"))
    with pytest.raises(ReadError, match="folder not found"):
        list(read_folder(tmp_path / "nope"))


def test_write_folder_and_read_folder(tmp_path: Path) -> None:
    meshes = [trimesh.creation.box(), sphere(), trimesh.creation.cylinder(0.3, 1.0)]
    paths = write_folder(meshes, tmp_path / "out", fmt="ply", start=7)
    assert [p.name for p in paths] == ["000007.ply", "000008.ply", "000009.ply"]
    (tmp_path / "out" / "000010.stl").write_bytes(b"")           # bad: listed, skipped
    (tmp_path / "out" / "notes.txt").write_text("not a mesh")    # ignored: not a mesh file
    errors: list[BadRecord] = []
    got = list(read_folder(tmp_path / "out", errors))
    assert [p.name for p, _ in got] == ["000007.ply", "000008.ply", "000009.ply"]
    assert all(same_geometry(m, ref) for (_, m), ref in zip(got, meshes))
    assert [Path(e.path).name for e in errors] == ["000010.stl"]
    with pytest.raises(ValueError, match="unknown mesh format"):
        write_folder(meshes, tmp_path / "x", fmt="vtk")


def _smallest_watertight(index: Path) -> dict[str, str]:
    with open(index, newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["trimesh_watertight"] == "True"]
    return min(rows, key=lambda r: int(r["n_faces"]))


@pytest.mark.parametrize("part", ["thingi10k_subset", "odedstein_meshes"])
def test_reads_the_shared_real_meshes(part: str) -> None:
    index = MESHES / part / "index.csv"
    if not index.is_file():
        pytest.skip(f"needs {index} (the shared data folder beside the checkout)")
    row = _smallest_watertight(index)
    (m,) = read(MESHES / part / row["file"])
    assert len(m.faces) == int(row["n_faces"])
    assert m.is_watertight  # coincident vertices merged on reading, as the index was computed


def test_read_points_from_text_numpy_ply_and_mesh(tmp_path):
    from sciGen.shapes.formats import read_points
    pts = np.random.default_rng(0).uniform(-0.5, 0.5, (40, 3))
    np.savetxt(tmp_path / "p.xyz", pts)
    np.save(tmp_path / "p.npy", pts)
    trimesh.PointCloud(pts).export(tmp_path / "p.ply")
    trimesh.creation.box().export(tmp_path / "box.stl")
    for name in ("p.xyz", "p.npy", "p.ply"):
        got = read_points(tmp_path / name)
        assert got.shape == (40, 3) and np.allclose(got, pts, atol=1e-5), name
    surf = read_points(tmp_path / "box.stl", n_sample=500)
    assert surf.shape == (500, 3) and np.isclose(np.abs(surf).max(), 0.5)


@pytest.mark.parametrize("content, message", [(None, "not found"), ("1 2 3\n", "at least 16"),
                                               ("a b c\n", "cannot read"), ("inf 0 0\n" * 20, "finite")])
def test_read_points_errors_name_the_file(tmp_path, content, message):
    from sciGen.shapes.formats import read_points
    path = tmp_path / "bad.xyz"
    if content is not None:
        path.write_text(content)
    with pytest.raises(ReadError, match=message) as e:
        read_points(path)
    assert "bad.xyz" in str(e.value)
