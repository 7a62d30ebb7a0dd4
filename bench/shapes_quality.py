"""Acceptance numbers of the shipped shape models (issue "Shapes I"), reproducible in one command.

VAT reconstruction: F-score@0.02 and Chamfer-L1 (100k surface points each side, [-1, 1] cube frame) of
held-out procedural shapes (seed 1 — the training set is seed 0) and of the watertight real meshes in
``../shared/data/meshes_open`` (never trained on).  G3PT: N shapes per category, the fraction valid
(watertight, manifold, consistent winding, no degenerate faces, bounded) and MMD-CD / COV-CD / 1-NNA-CD
(PointFlow, 2048 points) against N held-out procedural shapes (seed 1) of the same category; a preview
PNG with one row per category.

    python bench/shapes_quality.py [--part vat|g3pt|all] [--n 100] [--recon 10] [--resolution 128] [--no-real]

``--vat`` takes any shape tokenizer (VAT, TriplaneVQ, VecSetVAE — its high-resolution latents) or a generator
checkpoint with one embedded.

Writes bench/results/shapes_quality.json (and docs/shapes-g3pt.png).
"""
from __future__ import annotations

import argparse
import csv
import json
import time
from pathlib import Path

import numpy as np
import torch
from rich.progress import Progress

from sciGen.api import load, sample_structures
from sciGen.io import atomic_write_text
from sciGen.registry import TOKENIZERS, checkpoints_dir
from sciGen.shapes.geometry import normalize, sample_surface
from sciGen.shapes.metrics import distribution_metrics
from sciGen.shapes.procedural import CATEGORIES, OBJECT_CATEGORIES, instance
from sciGen.train import load_model

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data" / "meshes_open"


def real_watertight() -> list[Path]:
    out = []
    for sub, col in (("thingi10k_subset", "file"), ("odedstein_meshes", "file")):
        idx = SHARED / sub / "index.csv"
        if idx.is_file():
            for row in csv.DictReader(idx.open()):
                if row.get("trimesh_watertight", "").strip().lower() == "true":
                    out.append(SHARED / sub / Path(row[col]).name)
    return sorted(p for p in out if p.is_file())


def vat_part(a, res: dict) -> None:
    _, adapter = load_model(a.vat, "shapes", device="cpu")
    adapter.resolution = a.resolution
    jobs = [(f"{c}/{i}", lambda c=c, i=i: instance(c, i, seed=1)) for c in CATEGORIES for i in range(a.recon)]
    real = [] if a.no_real else real_watertight()
    jobs += [(str(p.relative_to(SHARED)), lambda p=p: next(iter(adapter.read(p)))) for p in real]
    rows = []
    with Progress() as bar:
        task = bar.add_task("VAT reconstructions", total=len(jobs))
        for key, make in jobs:
            r = adapter.reconstruction(make())
            rows.append({"key": key, "fscore": r["fscore"], "chamfer": r["chamfer"], "real": key.endswith(
                (".stl", ".obj", ".xz")), "error": r.get("error", "")})
            bar.advance(task)
    proc = [r for r in rows if not r["real"]]
    real_rows = [r for r in rows if r["real"]]
    per_cat = {c: float(np.mean([r["fscore"] for r in proc if r["key"].startswith(c + "/")])) for c in CATEGORIES}
    res["vat"] = {"tokens": adapter.tokenizer.n_tokens, "bytes": adapter.tokenizer.bytes_per_shape,
                  "resolution": a.resolution,
                  "procedural_heldout": {"n": len(proc), "fscore": float(np.mean([r["fscore"] for r in proc])),
                                         "chamfer": float(np.nanmean([r["chamfer"] for r in proc])),
                                         "fscore_objects_only": float(np.mean([r["fscore"] for r in proc
                                                                               if r["key"].split("/")[0] != "csg"])),
                                         "fscore_per_category": per_cat},
                  "real_watertight": {"n": len(real_rows),
                                      "fscore": float(np.mean([r["fscore"] for r in real_rows])) if real_rows else None,
                                      "chamfer": float(np.nanmean([r["chamfer"] for r in real_rows])) if real_rows else None,
                                      "fscore_median": float(np.median([r["fscore"] for r in real_rows])) if real_rows else None},
                  "rows": rows}
    print(json.dumps({k: v for k, v in res["vat"].items() if k != "rows"}, indent=1))


def g3pt_part(a, res: dict) -> None:
    model, adapter = load("shapes", checkpoint=a.g3pt, device="cpu")
    adapter.resolution = a.resolution
    out, previews, labels = {}, [], []
    rng = np.random.default_rng(0)
    for ci, c in enumerate(OBJECT_CATEGORIES):
        t = time.time()
        with Progress() as bar:
            task = bar.add_task(f"G3PT {c}", total=a.n)
            gen = sample_structures(model, adapter, a.n, seed=ci, batch_size=50, condition=adapter.condition_id(c),
                                    on_batch=lambda m: bar.advance(task, m))
        valid = gen.structures
        ref = [instance(c, i, seed=1) for i in range(a.n)]
        m = {"n": a.n, "valid": len(valid) / a.n, "seconds": round(time.time() - t, 1)}
        if valid:
            m.update(distribution_metrics([sample_surface(s, 2048, rng)[0] for s in valid],
                                          [sample_surface(s, 2048, rng)[0] for s in ref]))
        out[c] = m
        previews += valid[:6] + [None] * (6 - len(valid[:6]))
        labels += [c] * 6
        print(c, m, flush=True)
    keys = ("valid", "MMD-CD", "COV-CD", "1-NNA-CD")
    res["g3pt"] = {"resolution": a.resolution, "n_per_category": a.n, "per_category": out,
                   "mean": {k: float(np.mean([v[k] for v in out.values() if k in v])) for k in keys},
                   "sampling": dict(getattr(model, "meta", {}).get("sampling", {}))}
    if a.preview:
        adapter.preview(previews, a.preview, labels=labels, rows=list(OBJECT_CATEGORIES))
    print(json.dumps(res["g3pt"]["mean"], indent=1))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--part", choices=["vat", "g3pt", "all"], default="all")
    ap.add_argument("--vat", default=str(checkpoints_dir() / TOKENIZERS["shapes"]))
    ap.add_argument("--g3pt", default=None, help="default: the shipped shapes generator")
    ap.add_argument("--n", type=int, default=100, help="G3PT shapes per category")
    ap.add_argument("--recon", type=int, default=10, help="held-out procedural shapes per category for VAT")
    ap.add_argument("--no-real", action="store_true", help="VAT part: held-out procedural shapes only")
    ap.add_argument("--resolution", type=int, default=128)
    ap.add_argument("--threads", type=int, default=torch.get_num_threads())
    ap.add_argument("--preview", default=str(ROOT / "docs" / "shapes-g3pt.png"))
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "shapes_quality.json"))
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    out = Path(a.out)
    res = json.loads(out.read_text()) if out.is_file() else {}
    if a.part in ("vat", "all"):
        vat_part(a, res)
    if a.part in ("g3pt", "all"):
        g3pt_part(a, res)
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out, json.dumps(res, indent=2) + "\n")


if __name__ == "__main__":
    main()
