"""Tokenizing a whole shape cache with a VAT, in batches with a progress bar (G3PT's training data)."""
from __future__ import annotations

from typing import Any

import numpy as np
import torch


@torch.no_grad()
def tokenize_cache(vat: Any, cache: dict[str, Any], views: int = 1, console: Any = None, batch_size: int = 64,
                   n_points: int = 2048) -> np.ndarray:
    """Codes (views, S, T) int16: view v reads a different seeded subset of each shape's surface points."""
    from rich.progress import Progress

    surface = cache["surface"]
    S, N = surface.shape[:2]
    out = np.zeros((views, S, vat.n_tokens), dtype=np.int16)
    vat.eval()
    with Progress(console=console, transient=True) as bar:
        task = bar.add_task(f"tokenizing {S} shapes × {views} views", total=S * views)
        for v in range(views):
            pick = np.random.default_rng([v, 4242]).permutation(N)[:n_points]
            for a in range(0, S, batch_size):
                pts = torch.from_numpy(surface[a:a + batch_size][:, pick].astype(np.float32)).to(vat.device)
                idx, _ = vat.encode(pts)
                out[v, a:a + batch_size] = idx.cpu().numpy()
                bar.advance(task, len(pts))
    return out
