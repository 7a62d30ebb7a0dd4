"""Tokenizing a whole shape cache with a shape tokenizer, in batches with a progress bar (the training data
of G3PT, Argus3D and MAR-3D)."""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import numpy as np
import torch

from sciGen.io import atomic_write


@torch.no_grad()
def tokenize_cache(vat: Any, cache: dict[str, Any], views: int = 1, console: Any = None, batch_size: int = 64,
                   n_points: int = 2048, level: str | None = None) -> np.ndarray:
    """Codes (views, S, T) int16 — or with ``level`` the latents (views, S, L, V) float32 of a continuous
    tokenizer at that level: view v reads a different seeded subset of each shape's surface points."""
    from rich.progress import Progress

    surface = cache["surface"]
    S, N = surface.shape[:2]
    out = None
    vat.eval()
    with Progress(console=console, transient=True) as bar:
        task = bar.add_task(f"tokenizing {S} shapes × {views} views", total=S * views)
        for v in range(views):
            pick = np.random.default_rng([v, 4242]).permutation(N)[:n_points]
            for a in range(0, S, batch_size):
                pts = torch.from_numpy(surface[a:a + batch_size][:, pick].astype(np.float32)).to(vat.device)
                idx = (vat.encode(pts, level) if level else vat.encode(pts))[0].cpu().numpy()
                if out is None:
                    out = np.zeros((views, S) + idx.shape[1:], dtype=np.float32 if level else np.int16)
                out[v, a:a + batch_size] = idx
                bar.advance(task, len(pts))
    return out


def latent_cache(vae: Any, tokenizer_path: str | Path, train: str, cfg: Any, views: int,
                 console: Any = None) -> dict[str, Any]:
    """A continuous tokenizer's latents of every cached shape, kept beside the shape cache: ``low``
    (views, S, L_lo, V) and ``high`` (views, S, L_hi, V) float16, with the shape cache's ``keys``,
    ``categories`` and ``errors``.  Keyed by the shape-cache spec, the tokenizer file's SHA-256, ``views``
    and ``cfg.sample_points``; once written, retraining reads only this file (MAR-3D's data)."""
    from sciGen.shapes.dataset import build_cache, cache_path

    shapes = cache_path(train, cfg)
    digest = hashlib.sha256(Path(tokenizer_path).read_bytes()).hexdigest()
    key = hashlib.md5(f"{shapes.name}|{digest}|{views}|{cfg.sample_points}".encode()).hexdigest()[:12]
    path = shapes.parent / f"latents-{key}.npz"
    if path.is_file():
        with np.load(path, allow_pickle=False) as z:
            return {k: z[k] for k in z.files} | {"path": str(path)}
    cache = build_cache(train, cfg, console)
    out = {k: tokenize_cache(vae, cache, views, console, n_points=cfg.sample_points, level=k).astype(np.float16)
           for k in ("low", "high")}
    out |= {k: cache[k] for k in ("keys", "categories", "errors")}
    atomic_write(path, lambda tmp: np.savez(tmp, **out))
    return out | {"path": str(path)}


@torch.no_grad()
def partial_codes(tok: Any, points: torch.Tensor) -> torch.Tensor:
    """A TriplaneVQ's code vector of partial clouds: points (B, N, 3) (normals zeroed, as a user's partial
    cloud may have none) → codes (B, T), Argus3D's aligned completion condition."""
    pts = points.to(tok.device, torch.float32)
    return tok.encode(torch.cat([pts, torch.zeros_like(pts)], -1))[0]


class PartialCodesCollate:
    """Collate Argus3D items (:class:`~sciGen.shapes.dataset.PartialCodesDataset`) and add ``partial``
    (B, T): the tokenizer's codes of each item's partial cloud, or K (none) where ``has_points`` is false."""

    def __init__(self, tok: Any) -> None:
        self.tok = tok

    def __call__(self, items: list[dict[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
        from sciGen.shapes.dataset import collate_dicts
        batch = collate_dicts(items)
        codes = partial_codes(self.tok, batch["points"]).cpu()
        none = torch.full_like(codes, self.tok.codebook_size)
        batch["partial"] = torch.where(batch["has_points"][:, None], codes, none)
        return batch
