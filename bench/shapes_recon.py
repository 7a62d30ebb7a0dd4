"""Reconstruction F-score of a shape tokenizer on held-out procedural shapes (seed 1; trained on seed 0).

    python bench/shapes_recon.py TOKENIZER.pt N OUT.json

N shapes per category (all 9), marching cubes at 128³, F-score@0.02 with 100k surface points a side, as
``bench/shapes_quality.py --part vat`` measures the VAT (without its real-mesh part).  TOKENIZER is a
VAT / TriplaneVQ / VecSetVAE checkpoint or a generator's (its embedded tokenizer); VecSetVAE decodes its
high-resolution latents.
"""
from __future__ import annotations

import json
import sys

import numpy as np
import torch

from sciGen.shapes.procedural import CATEGORIES, instance
from sciGen.train import load_model


def main() -> None:
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    torch.set_num_threads(1)
    _, ad = load_model(sys.argv[1], "shapes")
    ad.resolution = 128
    n = int(sys.argv[2])
    res = {c: float(np.mean([ad.reconstruction(instance(c, i, seed=1), n_points=100_000)["fscore"] for i in range(n)]))
           for c in CATEGORIES}
    out = {"n_per_category": n, "per_category": res, "mean": float(np.mean(list(res.values()))),
           "objects": float(np.mean([v for k, v in res.items() if k != "csg"])),
           "tokens": ad._tok().n_tokens, "bytes": ad._tok().bytes_per_shape}
    with open(sys.argv[3], "w") as f:
        json.dump(out, f, indent=1)
    print(out)


if __name__ == "__main__":
    main()
