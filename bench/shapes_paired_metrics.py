"""Paired shape metrics: one pass of nearest-neighbour queries for all three, against three separate passes.

``paired_metrics`` (chamfer-L1, F-score@0.02, normal consistency; ONet protocol, 100,000 surface points a side)
runs under ``scigen tokenize shapes`` and ``scigen evaluate shapes`` for every mesh pair.  It used to call
:func:`chamfer`, :func:`fscore` and :func:`normal_consistency` in turn, and each built its own k-d trees and
queried both directions: six queries where two give every number.  This script times both on the same
samples in the same run (the baseline is the three public functions, which still compute exactly that) and
checks that the numbers are identical.

    python bench/shapes_paired_metrics.py           # → bench/results/shapes_paired_metrics.json
"""
from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import numpy as np
import torch
import trimesh

from sciGen.io import atomic_write_text
from sciGen.shapes.metrics import chamfer, fscore, normal_consistency, paired_metrics, sample_with_normals
from sciGen.shapes.procedural import instance


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=100_000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--out", type=Path, default=Path("bench/results/shapes_paired_metrics.json"))
    args = ap.parse_args()
    pairs = [(instance("mug", 0, seed=1), instance("mug", 1, seed=1)),
             (instance("chair", 0, seed=1), instance("chair", 1, seed=1)),
             (trimesh.creation.box((1.0, 0.6, 0.8)), trimesh.creation.icosphere(2, radius=0.5))]
    rows = []
    for k, (a, b) in enumerate(pairs):
        t_one, t_three = [], []
        for r in range(args.repeats):
            t0 = time.perf_counter()
            got = paired_metrics(a, b, n=args.points, seed=r)
            t_one.append(time.perf_counter() - t0)
            rng = np.random.default_rng(r)  # the same samples paired_metrics draws
            pa, na = sample_with_normals(a, args.points, rng)
            pb, nb = sample_with_normals(b, args.points, rng)
            t0 = time.perf_counter()
            base = {"chamfer": chamfer(pa, pb), "fscore": fscore(pa, pb),
                    "normal_consistency": normal_consistency(pa, na, pb, nb)}
            t_three.append(time.perf_counter() - t0)
            assert all(abs(got[m] - base[m]) <= 1e-12 * max(1.0, abs(base[m])) for m in base), (got, base)
        rows.append({"pair": k, "one_pass_s": float(np.median(t_one)), "three_pass_s": float(np.median(t_three)),
                     "speedup": float(np.median(t_three) / np.median(t_one)), "metrics": got})
        print(f"pair {k}: one pass {rows[-1]['one_pass_s']:.2f} s (sampling included), three passes "
              f"{rows[-1]['three_pass_s']:.2f} s (sampling excluded): {rows[-1]['speedup']:.2f}×")
    report = {"points": args.points, "repeats": args.repeats, "pairs": rows,
              "speedup_median": float(np.median([r["speedup"] for r in rows])),
              "machine": {"cpu": platform.processor() or platform.machine(), "threads": torch.get_num_threads()},
              "date": time.strftime("%Y-%m-%d")}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(args.out, json.dumps(report, indent=2) + "\n")
    print(f"median speedup {report['speedup_median']:.2f}× → {args.out}")


if __name__ == "__main__":
    main()
