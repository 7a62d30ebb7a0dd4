"""Metrics of generated B-Reps, as BrepGen (Xu et al. 2024) and its successors report them.

- validity: the strict check of :mod:`~sciGen.cad.validate`;
- unique / novel: two parts are the same when their face-adjacency graphs are isomorphic with every
  face labelled by its quantised point grid (the face's surface on a coarse UV grid, each coordinate of
  the normalised part rounded to 1/``levels`` of the cube).  Unique = share of generated parts with no
  duplicate among the generated; novel = share not found in the training set.  Graphs are bucketed by
  a Weisfeiler–Lehman hash and confirmed by ``networkx.is_isomorphic``;
- MMD-CD / COV-CD (PointFlow) between point clouds of the tessellated, normalised parts (2,000 points
  each in the unit cube), reusing :func:`sciGen.shapes.metrics.distribution_metrics`;
- JSD between the marginal point distributions of the two sets on a 28³ voxel grid (PointFlow).
"""
from __future__ import annotations

import hashlib
from pathlib import Path
from collections import defaultdict
from typing import Sequence

import networkx as nx
import numpy as np
import trimesh
from OCP.TopoDS import TopoDS_Shape

from sciGen.cad.brep import face_adjacency, normalize, subshapes, tessellate
from sciGen.cad.sampling import GridError, face_grid


def face_graph(shape: TopoDS_Shape, grid: int = 4, levels: int = 16) -> nx.Graph:
    """Face-adjacency graph of the normalised part; node attribute ``label`` = hash of the face's
    quantised ``grid × grid`` points (as a sorted set, so the UV direction of the face does not matter)."""
    shape = normalize(shape)
    n_faces, pairs = face_adjacency(shape)
    g = nx.Graph()
    for i, face in enumerate(subshapes(shape, "face")):
        try:
            pts, _ = face_grid(face, grid, mask=False)
            q = np.unique(np.round((pts.reshape(-1, 3) + 1) / 2 * levels).astype(np.int16), axis=0)
            label = hashlib.blake2b(q.tobytes(), digest_size=8).hexdigest()
        except GridError:
            label = "ungridded"
        g.add_node(i, label=label)
    g.add_edges_from((a, b) for a, b, _ in pairs)
    return g


def _key(g: nx.Graph) -> str:
    return nx.weisfeiler_lehman_graph_hash(g, node_attr="label", iterations=3)


class GraphSet:
    """A set of face graphs with isomorphism-exact membership (WL hash buckets, then VF2)."""

    def __init__(self, graphs: Sequence[nx.Graph] = ()) -> None:
        self.buckets: dict[str, list[nx.Graph]] = defaultdict(list)
        for g in graphs:
            self.add(g)

    def __contains__(self, g: nx.Graph) -> bool:
        match = nx.algorithms.isomorphism.categorical_node_match("label", None)
        return any(nx.is_isomorphic(g, h, node_match=match) for h in self.buckets.get(_key(g), ()))

    def add(self, g: nx.Graph) -> None:
        self.buckets[_key(g)].append(g)


def unique_novel(generated: Sequence[nx.Graph], train: Sequence[nx.Graph] | None = None) -> dict[str, float]:
    """unique: share of generated graphs that occur once among the generated (BrepGen's definition);
    novel: share of generated graphs not isomorphic to any training graph."""
    if not generated:
        return {"unique": 0.0, "novel": 0.0} if train is not None else {"unique": 0.0}
    match = nx.algorithms.isomorphism.categorical_node_match("label", None)
    buckets: dict[str, list[int]] = defaultdict(list)
    for i, g in enumerate(generated):
        buckets[_key(g)].append(i)
    dup = np.zeros(len(generated), dtype=bool)
    for idx in buckets.values():
        for a in range(len(idx)):
            for b in range(a + 1, len(idx)):
                if nx.is_isomorphic(generated[idx[a]], generated[idx[b]], node_match=match):
                    dup[idx[a]] = dup[idx[b]] = True
    out = {"unique": float(1 - dup.mean())}
    if train is not None:
        seen = GraphSet(train)
        out["novel"] = float(np.mean([g not in seen for g in generated]))
    return out


def point_cloud(shape: TopoDS_Shape, n: int = 2000, rng: np.random.Generator | None = None) -> np.ndarray:
    """``n`` area-uniform points (n, 3) on the tessellated part, normalised into the unit cube [0, 1]³
    (as BrepGen evaluates)."""
    rng = rng or np.random.default_rng(0)
    v, f = tessellate(normalize(shape, 0.5))
    if len(f) == 0:
        raise ValueError("the part does not tessellate")
    mesh = trimesh.Trimesh(v + 0.5, f, process=False)
    pts, _ = trimesh.sample.sample_surface(mesh, n, seed=int(rng.integers(2**31)))
    return np.asarray(pts, dtype=np.float32)


def jsd(gen: Sequence[np.ndarray], ref: Sequence[np.ndarray], resolution: int = 28) -> float:
    """Jensen–Shannon divergence (natural log) between the voxel occupancy distributions of all points of
    ``gen`` and of ``ref`` (clouds in [0, 1]³), PointFlow's JSD."""
    def hist(clouds: Sequence[np.ndarray]) -> np.ndarray:
        pts = np.concatenate([np.asarray(c) for c in clouds])
        idx = np.clip((pts * resolution).astype(int), 0, resolution - 1)
        h = np.zeros((resolution,) * 3)
        np.add.at(h, tuple(idx.T), 1)
        return h.ravel() / h.sum()
    p, q = hist(gen), hist(ref)
    m = (p + q) / 2

    def kl(a: np.ndarray, b: np.ndarray) -> float:
        nz = a > 0
        return float((a[nz] * np.log(a[nz] / b[nz])).sum())
    return 0.5 * kl(p, m) + 0.5 * kl(q, m)


def distribution(gen: Sequence[np.ndarray], ref: Sequence[np.ndarray]) -> dict[str, float]:
    """MMD-CD, COV-CD, 1-NNA-CD and JSD of generated vs reference clouds (unit cube)."""
    from sciGen.shapes.metrics import distribution_metrics
    out = distribution_metrics(list(gen), list(ref))
    out["JSD"] = jsd(gen, ref)
    return out


def score(valid: Sequence[TopoDS_Shape], reference: Sequence[TopoDS_Shape] | None = None,
          train: Sequence[TopoDS_Shape] | None = None, n_points: int = 2000, seed: int = 0) -> dict[str, float]:
    """``unique`` (and ``novel`` against ``train``) of the valid parts, and their MMD-CD / COV-CD / 1-NNA-CD /
    JSD against ``reference`` (clouds of ``n_points``: the valid parts' first, then the reference's)."""
    out = unique_novel([face_graph(s) for s in valid], [face_graph(s) for s in train] if train is not None else None)
    if reference and valid:
        rng = np.random.default_rng(seed)
        gen = [point_cloud(s, n_points, rng) for s in valid]
        out.update(distribution(gen, [point_cloud(s, n_points, rng) for s in reference]))
    return out


def evaluate_folders(generated: str | Path, reference: str | Path | None = None, train: str | Path | None = None,
                     n_points: int = 2000, seed: int = 0, errors: list | None = None) -> dict[str, float]:
    """``scigen evaluate cad``: ``valid`` (strict) and ``unique`` over the readable files of ``generated``;
    ``novel`` against the parts in ``train``; MMD-CD / COV-CD / 1-NNA-CD / JSD of the valid parts against
    the parts in ``reference``.  Unreadable files count as invalid and are listed in ``errors``."""
    from sciGen.cad.formats import cad_files, read_folder
    from sciGen.cad.validate import validate

    errors = [] if errors is None else errors
    n_files = len(cad_files(generated))
    if n_files == 0:
        raise ValueError(f"{generated}: no STEP / BREP files")
    ok = [s for _, s in read_folder(generated, errors) if validate(s).ok]
    tr = [s for _, s in read_folder(train, errors)] if train else None
    ref = None
    if reference is not None:
        ref = [s for _, s in read_folder(reference, errors)]
        if not ref:
            raise ValueError(f"{reference}: no readable reference parts")
    return {"n": float(n_files), "valid": len(ok) / n_files} | score(ok, ref, tr, n_points, seed)


def surface_chamfer(a: TopoDS_Shape, b: TopoDS_Shape, n: int = 20_000, seed: int = 0,
                    frame: TopoDS_Shape | None = None) -> float:
    """Chamfer-L1 between the surfaces of two parts in the unit cube of ``frame`` (default ``b``, the
    reference): ½ (mean distance of ``n`` points sampled on ``a`` to the surface of ``b`` + the reverse).
    Distances to the tessellated surface (open3d ray-casting scene), so unlike point-to-point Chamfer it
    has no sampling floor: identical parts give ≈ 0."""
    from sciGen.cad.brep import normalization, transformed
    from sciGen.shapes.geometry import Scene
    trsf = normalization(frame if frame is not None else b, 0.5)  # the unit cube of the frame
    rng = np.random.default_rng(seed)
    meshes = []
    for s in (a, b):
        v, f = tessellate(transformed(s, trsf), 0.001)
        if len(f) == 0:
            return float("inf")
        meshes.append(trimesh.Trimesh(v, f, process=False))
    d = []
    for src, dst in ((meshes[0], meshes[1]), (meshes[1], meshes[0])):
        pts, _ = trimesh.sample.sample_surface(src, n, seed=int(rng.integers(2**31)))
        d.append(float(Scene(dst).distance(np.asarray(pts, np.float32)).mean()))
    return 0.5 * (d[0] + d[1])
