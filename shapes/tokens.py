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


def token_cache(tok: Any, tokenizer_path: str | Path, train: str, cfg: Any, views: int, latent: bool,
                console: Any = None, cut_points: int | None = None) -> dict[str, Any]:
    """A tokenizer's output on every cached shape, kept beside the shape cache so that retraining a generator
    reads one file: with ``latent``, a continuous tokenizer's (VecSetVAE) latents ``low`` (views, S, L_lo, V) and ``high``
    (views, S, L_hi, V) float16, or a code tokenizer's (VAT, TriplaneVQ) ``codes`` (views, S, T) int16; with
    ``cut_points`` also ``surface`` (S, P, 3) float16, the surface points Argus3D cuts its partial clouds
    from (P = ``cut_points``, a seeded subset; 0 = all); and the shape cache's ``keys``, ``categories`` and
    ``errors``.  Keyed by the shape-cache spec, the tokenizer file's SHA-256, ``views``, ``cfg.sample_points``
    and ``cut_points``; once written, neither meshes nor the shape cache are read again."""
    from sciGen.shapes.dataset import build_cache, cache_path

    shapes = cache_path(train, cfg)
    digest = hashlib.sha256(Path(tokenizer_path).read_bytes()).hexdigest()
    spec = f"{shapes.name}|{digest}|{views}|{cfg.sample_points}" + ("" if latent else f"|codes|{cut_points}")
    path = shapes.parent / f"{'latents' if latent else 'codes'}-{hashlib.md5(spec.encode()).hexdigest()[:12]}.npz"
    if path.is_file():
        with np.load(path, allow_pickle=False) as z:
            return {k: z[k] for k in z.files} | {"path": str(path)}
    cache = build_cache(train, cfg, console)
    if latent:
        out = {k: tokenize_cache(tok, cache, views, console, n_points=cfg.sample_points, level=k).astype(np.float16)
               for k in ("low", "high")}
    else:
        out = {"codes": tokenize_cache(tok, cache, views, console, n_points=cfg.sample_points)}
    if cut_points is not None:
        N = cache["surface"].shape[1]
        pick = np.sort(np.random.default_rng(4243).permutation(N)[:cut_points or N])
        out["surface"] = np.ascontiguousarray(cache["surface"][:, pick, :3])
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
    (B, T): the tokenizer's codes of each item's partial cloud, or K (none) where ``has_points`` is false.
    Collated in the main process on a machine with a GPU, the tokenizer runs there."""

    def __init__(self, tok: Any) -> None:
        self.tok = tok

    def __call__(self, items: list[dict[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
        from sciGen.shapes.dataset import collate_dicts
        if (torch.cuda.is_available() and self.tok.device.type == "cpu"
                and torch.utils.data.get_worker_info() is None):
            self.tok.to("cuda")  # in the main process the accelerator encodes the partial clouds (not in workers)
        batch = collate_dicts(items)
        codes = partial_codes(self.tok, batch["points"]).cpu()
        none = torch.full_like(codes, self.tok.codebook_size)
        batch["partial"] = torch.where(batch["has_points"][:, None], codes, none)
        return batch
