"""How close a shape generator could get on 1-NNA-CD through its tokenizer: for each category, N procedural
shapes of seed 2 (neither trained on nor the evaluation set) scored against the evaluation references of
``bench/shapes_compare.py`` (seed 1) — as they are (the floor any model could reach: two samples of the same
distribution) and after the checkpoint's embedded tokenizer encodes and decodes them (marching cubes at 64³):
the ceiling of a generator that emitted perfect codes.

    python bench/shapes_tokenizer_ceiling.py sciGen/checkpoints/shapes-argus3d.pt 100 chair mug lamp table
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from shapes_compare import references, score  # noqa: E402

from sciGen.api import load  # noqa: E402
from sciGen.shapes.procedural import instance  # noqa: E402


def main() -> None:
    torch.set_num_threads(2)
    ckpt, n = sys.argv[1], int(sys.argv[2])
    cats = sys.argv[3:] or ["chair", "mug", "lamp", "table"]
    rng = np.random.default_rng(7)
    refs = references(cats, n, rng)
    model, adapter = load("shapes", checkpoint=ckpt, device="cpu")
    adapter.resolution = 64
    for c in cats:
        shapes = [instance(c, i, seed=2) for i in range(n)]
        raw = score(shapes, n, refs[c], 0.0, rng)["1-NNA-CD"]
        rec = [adapter.decode(adapter.encode(s, c)) for s in shapes]
        r = score(rec, n, refs[c], 0.0, rng)["1-NNA-CD"]
        print(c, "seed-2 shapes", round(raw, 3), "their reconstructions", round(r, 3), flush=True)


if __name__ == "__main__":
    main()
