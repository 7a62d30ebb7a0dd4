"""Shapes benchmark: VAT tokenizer encode / decode throughput and mesh extraction time per resolution,
with the time split by stage; dense grid evaluation against the coarse-to-fine (sparse) one, same run.

Stages of encoding: surface sampling (numpy) → VAT encode (batched).  Stages of decoding one shape:
tokens → triplanes (VAT decode) → occupancy field on the R³ grid (dense, or sparse: coarse grid +
exact values near the surface) → marching cubes (scikit-image) → clean-up (trimesh).  The sparse and
dense meshes are compared by F-score@0.02 so the speed-up is not bought with accuracy.

    python bench/shapes.py [--checkpoint PATH] [--n 16] [--resolutions 64 128 192] [--threads 2]

Writes bench/results/shapes.json.
"""
from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from pathlib import Path

import numpy as np
import torch

from sciGen.io import atomic_write_text
from sciGen.registry import TOKENIZERS, checkpoints_dir
from sciGen.shapes.geometry import clean_mesh, evaluate_grid, evaluate_grid_sparse, marching_cubes, sample_surface
from sciGen.shapes.metrics import paired_metrics
from sciGen.shapes.procedural import OBJECT_CATEGORIES, instance
from sciGen.train import load_model


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--checkpoint", default=str(checkpoints_dir() / TOKENIZERS["shapes"]))
    ap.add_argument("--n", type=int, default=16, help="shapes (2 per category, held-out seed)")
    ap.add_argument("--resolutions", type=int, nargs="+", default=[64, 128, 192])
    ap.add_argument("--threads", type=int, default=torch.get_num_threads())
    ap.add_argument("--out", default=str(Path(__file__).parent / "results" / "shapes.json"))
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    vat, adapter = load_model(a.checkpoint, "shapes", device="cpu")
    meshes = [instance(OBJECT_CATEGORIES[i % len(OBJECT_CATEGORIES)], 1000 + i // len(OBJECT_CATEGORIES), seed=7)
              for i in range(a.n)]

    t = time.perf_counter()
    pts = torch.stack([adapter.surface_points(m, seed=i) for i, m in enumerate(meshes)])
    t_sample = time.perf_counter() - t
    vat.encode(pts[:2])  # warm-up
    t = time.perf_counter()
    idx, _ = vat.encode(pts)
    t_encode = time.perf_counter() - t
    encode = {"shapes": a.n, "sample_s": t_sample, "encode_s": t_encode,
              "shapes_per_s": a.n / (t_sample + t_encode), "encode_only_shapes_per_s": a.n / t_encode}

    decode = {}
    for R in a.resolutions:
        rows = {k: [] for k in ("planes", "field_dense", "field_sparse", "marching_cubes", "cleanup",
                                "sparse_fraction", "fscore_sparse_vs_dense")}
        for i in range(a.n):
            with torch.no_grad():
                t = time.perf_counter()
                planes = vat.decode(idx[i:i + 1])
                rows["planes"].append(time.perf_counter() - t)

                def fn(p: np.ndarray) -> np.ndarray:
                    return vat.occupancy(planes, torch.from_numpy(p)[None])[0].numpy()
                t = time.perf_counter()
                dense = evaluate_grid(fn, R)
                rows["field_dense"].append(time.perf_counter() - t)
                t = time.perf_counter()
                sparse, frac = evaluate_grid_sparse(fn, R)
                rows["field_sparse"].append(time.perf_counter() - t)
            rows["sparse_fraction"].append(frac)
            try:
                t = time.perf_counter()
                v, f = marching_cubes(sparse)
                rows["marching_cubes"].append(time.perf_counter() - t)
                t = time.perf_counter()
                mesh = clean_mesh(v, f)
                rows["cleanup"].append(time.perf_counter() - t)
                ref = clean_mesh(*marching_cubes(dense))
                rows["fscore_sparse_vs_dense"].append(paired_metrics(mesh, ref, n=50_000)["fscore"])
            except ValueError:  # no surface
                continue
        med = {k: statistics.median(v) for k, v in rows.items() if v}
        sparse_total = med["planes"] + med["field_sparse"] + med["marching_cubes"] + med["cleanup"]
        dense_total = med["planes"] + med["field_dense"] + med["marching_cubes"] + med["cleanup"]
        decode[str(R)] = {"median_s": med, "total_sparse_s": sparse_total, "total_dense_s": dense_total,
                          "shapes_per_s_sparse": 1 / sparse_total, "shapes_per_s_dense": 1 / dense_total,
                          "sparse_speedup_field": med["field_dense"] / med["field_sparse"],
                          "sparse_speedup_total": dense_total / sparse_total,
                          "min_fscore_sparse_vs_dense": float(min(rows["fscore_sparse_vs_dense"]))}
        print(f"R={R}: dense {dense_total:.2f} s/shape, sparse {sparse_total:.2f} s/shape "
              f"({dense_total / sparse_total:.2f}x), field {med['field_dense']:.2f} → {med['field_sparse']:.2f} s, "
              f"mc {med['marching_cubes']:.3f} s, clean-up {med['cleanup']:.3f} s", flush=True)
    res = {"machine": platform.processor() or platform.machine(), "threads": a.threads, "torch": torch.__version__,
           "checkpoint": Path(a.checkpoint).name, "tokens": vat.n_tokens, "bytes_per_shape": vat.bytes_per_shape,
           "encode": encode, "decode": decode}
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(a.out, json.dumps(res, indent=2) + "\n")
    print(json.dumps(encode, indent=1))


if __name__ == "__main__":
    main()
