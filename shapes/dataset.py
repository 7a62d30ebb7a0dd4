"""Training data for the shape tokenizer and generators.

A shape source is either the procedural set (``data.train: procedural``) or a folder of meshes (each
sub-folder name is a category).  Every shape is normalised into [-0.9, 0.9]³ and sampled once into a
cache (``.npz``, written atomically, reused while the spec is unchanged):

- ``surface`` (S, N, 6) float16: points on the surface with their normals,
- ``queries`` (S, Q, 3) float16 and ``occ`` (S, Q) bool: uniform points in [-1, 1]³ (first third) and
  near-surface points (surface + Gaussian noise of σ = 0.01 and 0.04), with inside labels from
  open3d ray casting (robust voting for non-watertight meshes),
- ``keys`` (category/index or file path) and ``categories``.
"""
from __future__ import annotations

import hashlib
import json
import multiprocessing as mp
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from sciGen.io import atomic_write


@dataclass
class ShapeDataConfig:
    categories: list[str] = field(default_factory=list)  # procedural: which (default: all); folder: filter
    n_per_category: int = 400  # procedural instances per category
    seed: int = 0  # procedural seed
    n_surface: int = 4096
    n_queries: int = 6144
    cache_dir: str = "runs/cache"
    workers: int = 0  # 0 = all cores
    sample_points: int = 2048  # per training item: surface points the encoder reads
    sample_queries: int = 4096  # per training item: labelled queries (half uniform, half near the surface)


def _sample(args: tuple) -> dict[str, np.ndarray] | str:
    """One shape → cached arrays, or an error string.  Runs in a worker process."""
    key, source, cfg = args
    from sciGen.shapes.geometry import Scene, normalize, sample_surface

    try:
        if source[0] == "procedural":
            from sciGen.shapes.procedural import instance
            mesh = instance(source[1], source[2], source[3])
        else:
            from sciGen.shapes.adapter import ShapesAdapter
            mesh = next(iter(ShapesAdapter().read(Path(source[1]))))
        mesh = normalize(mesh)
        rng = np.random.default_rng(int.from_bytes(hashlib.md5(key.encode()).digest()[:4], "little"))
        pts, nrm = sample_surface(mesh, cfg.n_surface, rng)
        q = cfg.n_queries
        n_uni = q // 3
        n_near = q - n_uni
        sp, _ = sample_surface(mesh, n_near, rng)
        sigma = np.where(np.arange(n_near) % 2 == 0, 0.01, 0.04)[:, None]
        near = sp + rng.normal(size=sp.shape) * sigma
        uni = rng.uniform(-1, 1, size=(n_uni, 3))
        queries = np.clip(np.concatenate([uni, near]), -1, 1).astype(np.float32)
        occ = Scene(mesh).occupancy(queries, robust=not mesh.is_watertight)
    except Exception as e:  # noqa: BLE001 - a bad shape is skipped and reported, not fatal
        return f"{key}: {e}"
    return {"surface": np.concatenate([pts, nrm], 1).astype(np.float16), "queries": queries.astype(np.float16),
            "occ": occ}


def shape_sources(train: str, cfg: ShapeDataConfig) -> list[tuple[str, str, tuple]]:
    """(key, category, source) for every shape of ``train`` (``procedural`` or a folder of meshes)."""
    if train == "procedural":
        from sciGen.shapes.procedural import CATEGORIES
        cats = cfg.categories or list(CATEGORIES)
        unknown = [c for c in cats if c not in CATEGORIES]
        if unknown:
            raise ValueError(f"unknown procedural categories {unknown} (known: {', '.join(CATEGORIES)})")
        return [(f"{c}/{i}", c, ("procedural", c, i, cfg.seed)) for c in cats for i in range(cfg.n_per_category)]
    root = Path(train)
    if not root.is_dir():
        raise ValueError(f"{train}: not 'procedural' and not a folder of meshes")
    from sciGen.shapes.formats import FORMATS
    out = []
    for p in sorted(root.rglob("*")):
        if p.is_file() and any(f.matches(p) for f in FORMATS):
            cat = p.parent.name if p.parent != root else ""
            if not cfg.categories or cat in cfg.categories:
                out.append((str(p.relative_to(root)), cat, ("file", str(p))))
    if not out:
        raise ValueError(f"{train}: no mesh files found")
    return out


def cache_path(train: str, cfg: ShapeDataConfig) -> Path:
    """Where :func:`build_cache` keeps the samples of this spec (a hash of everything that shapes them)."""
    spec = json.dumps({"train": os.path.abspath(train) if train != "procedural" else train,
                       **asdict(cfg), "cache_dir": None, "workers": None, "sample_points": None,
                       "sample_queries": None, "v": 1}, sort_keys=True)
    return Path(cfg.cache_dir) / f"shapes-{hashlib.md5(spec.encode()).hexdigest()[:12]}.npz"


def build_cache(train: str, cfg: ShapeDataConfig, console: Any = None) -> dict[str, Any]:
    """Sample every shape (in parallel, with a progress bar) or load the cache for this spec."""
    from rich.progress import Progress

    path = cache_path(train, cfg)
    if path.is_file():
        with np.load(path, allow_pickle=False) as z:
            return {k: z[k] for k in z.files} | {"path": str(path)}
    sources = shape_sources(train, cfg)
    parts: dict[str, list] = {"surface": [], "queries": [], "occ": [], "keys": [], "categories": []}
    errors = []
    workers = cfg.workers or os.cpu_count() or 1
    with Progress(console=console, transient=True) as bar, mp.get_context("spawn").Pool(workers) as pool:
        task = bar.add_task(f"sampling {len(sources)} shapes", total=len(sources))
        jobs = [(key, src, cfg) for key, _, src in sources]
        for (key, cat, _), res in zip(sources, pool.imap(_sample, jobs, chunksize=8)):
            bar.advance(task)
            if isinstance(res, str):
                errors.append(res)
                continue
            for k in ("surface", "queries", "occ"):
                parts[k].append(res[k])
            parts["keys"].append(key)
            parts["categories"].append(cat)
    if not parts["keys"]:
        raise ValueError(f"{train}: no usable shapes ({errors[0] if errors else 'empty'})")
    arrays = {k: np.stack(v) for k, v in parts.items() if k not in ("keys", "categories")}
    arrays["keys"] = np.array(parts["keys"])
    arrays["categories"] = np.array(parts["categories"])
    arrays["errors"] = np.array(errors, dtype=str)
    atomic_write(path, lambda tmp: np.savez(tmp, **arrays))
    return arrays | {"path": str(path)}


class OccupancyDataset(torch.utils.data.Dataset):
    """Cached shapes → training items: ``surface`` (N, 6) random subset, ``queries`` (M, 3) and ``occ`` (M,)
    with half the queries uniform and half near the surface (resampled every epoch)."""

    def __init__(self, cache: dict[str, Any], index: np.ndarray, n_points: int = 2048, n_queries: int = 2048,
                 fixed: bool = False) -> None:
        self.surface, self.queries, self.occ = cache["surface"], cache["queries"], cache["occ"]
        self.index, self.n_points, self.n_queries, self.fixed = np.asarray(index), n_points, n_queries, fixed

    def __len__(self) -> int:
        return len(self.index)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        j = int(self.index[i])
        g = torch.Generator().manual_seed(j) if self.fixed else None
        S, Q = self.surface.shape[1], self.queries.shape[1]
        n_uni = Q // 3
        sp = torch.randperm(S, generator=g)[: self.n_points]
        half = self.n_queries // 2
        qi = torch.cat([torch.randperm(n_uni, generator=g)[:half],
                        n_uni + torch.randperm(Q - n_uni, generator=g)[: self.n_queries - half]])
        return {"surface": torch.from_numpy(self.surface[j][sp.numpy()].astype(np.float32)),
                "queries": torch.from_numpy(self.queries[j][qi.numpy()].astype(np.float32)),
                "occ": torch.from_numpy(self.occ[j][qi.numpy()].astype(np.float32))}


def collate_dicts(items: list[dict[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
    return {k: torch.stack([it[k] for it in items]) for k in items[0]}


def random_plane(points: np.ndarray, rng: np.random.Generator, keep: float = 0.5) -> tuple[np.ndarray, float]:
    """A uniformly random unit normal n (3,) and the offset at the ``keep`` quantile of x·n over ``points``
    (N, D): the side x·n ≥ offset holds a fraction ``keep`` of them."""
    n = rng.normal(size=3)
    n /= np.linalg.norm(n)
    return n, float(np.quantile(points[:, :3] @ n, 1 - keep))


def plane_cut(points: np.ndarray, rng: np.random.Generator, keep: float = 0.5) -> np.ndarray:
    """The points (N, D) on one side of a random plane (:func:`random_plane`): a fraction ``keep`` of them
    (Argus3D's partial clouds)."""
    n, offset = random_plane(points, rng, keep)
    return points[points[:, :3] @ n >= offset]


def resample(points: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """Exactly ``n`` rows of ``points``: a random subset, or every row plus random repeats."""
    if len(points) >= n:
        return points[rng.permutation(len(points))[:n]]
    return points[np.concatenate([np.arange(len(points)), rng.integers(0, len(points), n - len(points))])]


class PartialCodesDataset(torch.utils.data.Dataset):
    """Argus3D's training items: ``tokens`` (1 + T,) = [condition id, code ids], ``points`` (n_points, 3)
    a partial cloud cut from the shape's own surface by a random plane (keeping 30–70 %; exactly half
    with ``fixed``), and ``has_points`` — true for a fraction ``points_prob`` of the items."""

    def __init__(self, codes: np.ndarray, cond: np.ndarray, surface: np.ndarray, index: np.ndarray, views: int,
                 code_offset: int, n_points: int = 1024, points_prob: float = 0.5, fixed: bool = False) -> None:
        self.codes, self.cond, self.surface = codes, cond, surface
        self.items = [(v, int(i)) for v in range(views) for i in index]
        self.offset, self.n_points, self.points_prob, self.fixed = code_offset, n_points, points_prob, fixed

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, k: int) -> dict[str, torch.Tensor]:
        v, i = self.items[k]
        rng = np.random.default_rng([k, 7] if self.fixed else int(torch.randint(2 ** 31, ())))  # seeded by the run
        pts = self.surface[i][:, :3].astype(np.float32)
        part = resample(plane_cut(pts, rng, 0.5 if self.fixed else rng.uniform(0.3, 0.7)), self.n_points, rng)
        has = (k % 2 == 0) if self.fixed else bool(rng.random() < self.points_prob)
        tokens = np.concatenate([[self.cond[i]], self.codes[v, i].astype(np.int64) + self.offset])
        return {"tokens": torch.from_numpy(tokens), "points": torch.from_numpy(part),
                "has_points": torch.tensor(has)}


class LatentDataset(torch.utils.data.Dataset):
    """MAR-3D's training items: ``cond`` () condition id, ``low`` (L_lo, V) and ``high`` (L_hi, V) latents."""

    def __init__(self, low: np.ndarray, high: np.ndarray, cond: np.ndarray, index: np.ndarray, views: int) -> None:
        self.low, self.high, self.cond = low, high, cond
        self.items = [(v, int(i)) for v in range(views) for i in index]

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, k: int) -> dict[str, torch.Tensor]:
        v, i = self.items[k]
        return {"cond": torch.tensor(int(self.cond[i])), "low": torch.from_numpy(self.low[v, i].astype(np.float32)),
                "high": torch.from_numpy(self.high[v, i].astype(np.float32))}
