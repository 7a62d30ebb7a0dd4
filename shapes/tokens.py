"""Tokenizing a whole shape cache with a shape tokenizer, in batches with a progress bar (the training data
of G3PT, Argus3D and MAR-3D)."""
from __future__ import annotations

from typing import Any

import numpy as np
import torch


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
