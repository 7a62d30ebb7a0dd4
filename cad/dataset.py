"""Training data for the CAD tokenizers and AutoBrep.

A source is the procedural part set (``data.train: procedural``) or a folder of STEP / BREP files (the
user's own parts).  Every part becomes a :class:`~sciGen.cad.record.PartRecord` once (closed faces split,
normalised into [-1, 1]³) and is cached (``.npz``, written atomically, reused while the spec is unchanged):

- ``face_grid`` (ΣF, n, n, 3) float16: canonical face grids, each centred on its box and scaled by its
  largest half side (what the face autoencoder reads); ``face_box`` (ΣF, 6) float32 world boxes;
- ``edge_grid`` (ΣE, m, 3) float16 and ``edge_box`` (ΣE, 6), the same for edges;
- ``edge_faces`` (ΣE, 2): the two faces of each edge, indices within its part;
- ``face_off`` / ``edge_off`` (P + 1,): where each part's rows start; ``keys`` (P,) and ``errors``.

Parts that fail (an assembly, a face that cannot be gridded, too many faces) are skipped and listed.
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
class CADDataConfig:
    families: list[str] = field(default_factory=list)  # procedural: which (default: all)
    n_per_family: int = 300
    seed: int = 0
    grid: int = 32  # face grids are grid × grid, edge grids grid points
    max_faces: int = 64
    cache_dir: str = "runs/cache"
    workers: int = 0  # 0 = all cores


def normalized(grid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(…, 3) grid → (grid centred on its box and scaled by its largest half side, world box (6,))."""
    p = grid.reshape(-1, 3)
    lo, hi = p.min(0), p.max(0)
    half = max(float((hi - lo).max()) / 2, 1e-9)
    return (grid - (lo + hi) / 2) / half, np.concatenate([lo, hi])


def _one(args: tuple) -> dict[str, np.ndarray] | str:
    """One part → cached arrays, or an error string.  Runs in a worker process."""
    key, source, cfg = args
    from sciGen.cad.record import PartError, part_record
    from sciGen.cad.tokens import canonical_edge_grid, canonical_face_grid
    try:
        if source[0] == "procedural":
            from sciGen.cad.procedural import instance
            shape = instance(source[1], source[2], source[3])
        else:
            from sciGen.cad.formats import FORMATS
            path = Path(source[1])
            shape = next(iter(next(f for f in FORMATS if f.matches(path)).read(path, None)))
        rec = part_record(shape, cfg.grid, cfg.grid, max_faces=cfg.max_faces)
    except (PartError, ValueError, RuntimeError) as e:
        return f"{key}: {e}"
    fg, fb = zip(*(normalized(canonical_face_grid(g)) for g in rec.face_grids))
    eg, eb = zip(*(normalized(canonical_edge_grid(g)) for g in rec.edge_grids)) if len(rec.edge_grids) else ((), ())
    m = cfg.grid
    return {"face_grid": np.asarray(fg, np.float16), "face_box": np.asarray(fb, np.float32),
            "edge_grid": np.asarray(eg, np.float16).reshape(-1, m, 3), "edge_box": np.asarray(eb, np.float32).reshape(-1, 6),
            "edge_faces": rec.edge_faces.astype(np.int16)}


def part_sources(train: str, cfg: CADDataConfig) -> list[tuple[str, tuple]]:
    if train == "procedural":
        from sciGen.cad.procedural import FAMILIES
        fams = cfg.families or list(FAMILIES)
        return [(f"{f}/{i}", ("procedural", f, i, cfg.seed)) for f in fams for i in range(cfg.n_per_family)]
    from sciGen.cad.formats import cad_files
    return [(str(p), ("file", str(p))) for p in cad_files(train)]


def build_cache(train: str, cfg: CADDataConfig, console: Any = None) -> dict[str, Any]:
    """Record every part (in parallel, with a progress bar) or load the cache for this spec."""
    from rich.progress import Progress

    sources = part_sources(train, cfg)
    spec = json.dumps({"train": os.path.abspath(train) if train != "procedural" else train,
                       **asdict(cfg), "cache_dir": None, "workers": None, "v": 1}, sort_keys=True)
    path = Path(cfg.cache_dir) / f"cad-{hashlib.md5(spec.encode()).hexdigest()[:12]}.npz"
    if path.is_file():
        with np.load(path, allow_pickle=False) as z:
            return {k: z[k] for k in z.files} | {"path": str(path)}
    parts: dict[str, list] = {k: [] for k in ("face_grid", "face_box", "edge_grid", "edge_box", "edge_faces")}
    keys, errors = [], []
    workers = cfg.workers or os.cpu_count() or 1
    with Progress(console=console, transient=True) as bar, mp.get_context("spawn").Pool(workers) as pool:
        task = bar.add_task(f"recording {len(sources)} parts", total=len(sources))
        for (key, _), res in zip(sources, pool.imap(_one, [(k, s, cfg) for k, s in sources], chunksize=4)):
            bar.advance(task)
            if isinstance(res, str):
                errors.append(res)
                continue
            for k in parts:
                parts[k].append(res[k])
            keys.append(key)
    if not keys:
        raise ValueError(f"{train}: no usable parts ({errors[0] if errors else 'empty'})")
    arrays = {k: np.concatenate(v) for k, v in parts.items()}
    arrays["face_off"] = np.cumsum([0] + [len(g) for g in parts["face_grid"]])
    arrays["edge_off"] = np.cumsum([0] + [len(g) for g in parts["edge_grid"]])
    arrays["keys"] = np.array(keys)
    arrays["errors"] = np.array(errors, dtype=str)
    atomic_write(path, lambda tmp: np.savez(tmp, **arrays))
    return arrays | {"path": str(path)}


def rows_of(cache: dict[str, Any], parts: np.ndarray, kind: str) -> np.ndarray:
    """Row indices of the faces (kind 'face') or edges ('edge') of the given part indices."""
    off = cache[f"{kind}_off"]
    return np.concatenate([np.arange(off[p], off[p + 1]) for p in parts]) if len(parts) else np.zeros(0, np.int64)


class GridDataset(torch.utils.data.Dataset):
    """Normalised face or edge grids (float32) for the FSQ autoencoders; training items are randomly
    re-oriented among the grid symmetries that keep them canonical-equivalent (flips / transposes)
    only through the canonical form, so no augmentation is applied here."""

    def __init__(self, grids: np.ndarray) -> None:
        self.grids = grids

    def __len__(self) -> int:
        return len(self.grids)

    def __getitem__(self, i: int) -> torch.Tensor:
        return torch.from_numpy(self.grids[i].astype(np.float32))
