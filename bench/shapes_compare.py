"""Acceptance numbers of issue "Shapes II": G3PT, Argus3D and MAR-3D compared in one run, MAR-3D's cascade
against its low-resolution stage alone, and Argus3D's point-cloud completion.

- ``generate``: for each generator N shapes per object category (its shipped checkpoint's recommended
  sampling, marching cubes at ``--resolution``) against N held-out procedural shapes of the category
  (seed 1; the training set is seed 0): the fraction of draws that are valid watertight meshes, MMD-CD /
  COV-CD / 1-NNA-CD (PointFlow, 2,048 points), and seconds per shape (sampling + decoding, one process).
- ``cascade``: MAR-3D's low-resolution stage decoded alone against the full cascade (the shapes of the
  ``generate`` part; same seeds) — watertight, 1-NNA-CD, and the mean F-score@0.02 of every decoded shape
  to its nearest reference (by Chamfer).
- ``completion``: Argus3D from half of a held-out shape's surface points (cut by a random plane): the
  F-score@0.02 of the completed shape to the full shape (100,000 points a side, dense enough that a
  perfect completion scores 1.0), from the points and from the points plus the category, with the
  checkpoint's completion settings (``candidates``: the closest of K draws to the given points), and from
  one draw.  Beside them: the given half's own surface (what copying the input scores) and the TriplaneVQ
  reconstruction of the full shape (the ceiling of any completion through its codes).

    python bench/shapes_compare.py [--part generate cascade completion | all] [--n 100] [--resolution 64]

Writes bench/results/shapes_compare.json (and docs/shapes-compare.png: one row per generator).
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch
from rich.progress import Progress

from sciGen.api import load, sample_structures
from sciGen.io import atomic_write_text
from sciGen.registry import checkpoints_dir
from sciGen.shapes.dataset import random_plane, resample
from sciGen.shapes.geometry import sample_surface
from sciGen.shapes.metrics import chamfer_matrix, distribution_metrics, fscore
from sciGen.shapes.procedural import OBJECT_CATEGORIES, instance

ROOT = Path(__file__).resolve().parents[1]
CHECKPOINTS = {"g3pt": "shapes-g3pt.pt", "argus3d": "shapes-argus3d.pt", "mar3d": "shapes-mar3d.pt"}
KEYS = ("watertight", "MMD-CD", "COV-CD", "1-NNA-CD", "s_per_shape")


def references(categories: list[str], n: int, rng: np.random.Generator, seed: int = 1) -> dict[str, list[np.ndarray]]:
    """n procedural shapes of ``seed`` per category, 2,048 surface points each (seed 1: the evaluation set)."""
    return {c: [sample_surface(instance(c, i, seed=seed), 2048, rng)[0] for i in range(n)] for c in categories}


def draw(name: str, model, adapter, c: str, n: int, seed: int, **knobs) -> tuple[list, float]:
    t = time.time()
    with Progress() as bar:
        task = bar.add_task(f"{name} {c}", total=n)
        gen = sample_structures(model, adapter, n, seed=seed, batch_size=50, condition=adapter.condition_id(c),
                                on_batch=lambda m: bar.advance(task, m), **knobs)
    return gen.structures, time.time() - t


def score(valid: list, n: int, ref: list[np.ndarray], seconds: float, rng: np.random.Generator) -> dict:
    m = {"n": n, "watertight": len(valid) / n, "s_per_shape": seconds / n}
    if valid:
        m.update(distribution_metrics([sample_surface(s, 2048, rng)[0] for s in valid], ref))
    return m


def mean_table(per_cat: dict) -> dict:
    return {k: float(np.mean([v[k] for v in per_cat.values() if k in v])) for k in KEYS if
            any(k in v for v in per_cat.values())}


def generate_part(a, res: dict, refs: dict, kept: dict) -> None:
    """Fills ``kept[name][category]`` with the valid shapes drawn (the cascade part reuses MAR-3D's)."""
    rng = np.random.default_rng(0)
    previews, labels = [], []
    out = res.setdefault("generate", {"resolution": a.resolution, "n_per_category": a.n})
    for name in a.generators:
        model, adapter = load("shapes", checkpoint=a.checkpoint_dir / CHECKPOINTS[name], device="cpu")
        adapter.resolution = a.resolution
        per_cat = {}
        for ci, c in enumerate(a.categories):
            valid, sec = draw(name, model, adapter, c, a.n, ci)
            kept.setdefault(name, {})[c] = (valid, sec)
            per_cat[c] = score(valid, a.n, refs[c], sec, rng)
            print(name, c, {k: round(v, 4) for k, v in per_cat[c].items()}, flush=True)
            if c in ("chair", "mug", "lamp", "table"):
                previews += valid[:3] + [None] * (3 - len(valid[:3]))
                labels += [name] * 3
        out[name] = {"per_category": per_cat, "mean": mean_table(per_cat),
                     "sampling": dict(getattr(model, "meta", {}).get("sampling", {}))}
        print(name, json.dumps(out[name]["mean"]), flush=True)
    if a.preview and previews:
        from sciGen.shapes.adapter import ShapesAdapter
        ShapesAdapter().preview(previews, a.preview, labels=labels, rows=list(a.generators))


def cascade_part(a, res: dict, refs: dict, kept: dict) -> None:
    """The low stage drawn alone (same seeds) against the cascade's shapes of the generate part (or drawn
    here when that part did not run)."""
    rng = np.random.default_rng(1)
    model, adapter = load("shapes", checkpoint=a.checkpoint_dir / CHECKPOINTS["mar3d"], device="cpu")
    adapter.resolution = a.resolution
    out = {}
    for stage in ("low", "high"):
        per_cat = {}
        for ci, c in enumerate(a.categories):
            if stage == "high" and c in kept.get("mar3d", {}):
                valid, sec = kept["mar3d"][c]
            else:
                valid, sec = draw(f"MAR-3D {stage}", model, adapter, c, a.n, ci, stage=stage)
            m = score(valid, a.n, refs[c], sec, rng)
            if valid:
                gen = [sample_surface(s, 2048, rng)[0] for s in valid]
                near = chamfer_matrix(gen, refs[c]).argmin(1)
                m["fscore_nearest"] = float(np.mean([fscore(g, refs[c][j]) for g, j in zip(gen, near)]))
            per_cat[c] = m
            print(stage, c, {k: round(v, 4) for k, v in m.items()}, flush=True)
        out[stage] = {"per_category": per_cat, "mean": mean_table(per_cat) | {
            "fscore_nearest": float(np.mean([v.get("fscore_nearest", 0.0) for v in per_cat.values()]))}}
    res["cascade"] = {"resolution": a.resolution, "n_per_category": a.n, **out}
    print(json.dumps({k: out[k]["mean"] for k in out}, indent=1))


N_DENSE = 100_000  # points a side for completion F-scores: two samplings of one mesh score 1.0 (10,000: 0.79)


def dense_fscore(mesh, ref: np.ndarray, rng: np.random.Generator) -> float:
    return fscore(sample_surface(mesh, N_DENSE, rng)[0], ref)


def completion_part(a, res: dict) -> None:
    model, adapter = load("shapes", checkpoint=a.checkpoint_dir / CHECKPOINTS["argus3d"], device="cpu")
    adapter.resolution = a.completion_resolution
    rows = []
    with Progress() as bar:
        task = bar.add_task("Argus3D completion", total=len(a.categories) * a.n_completion)
        for ci, c in enumerate(a.categories):
            for i in range(a.n_completion):
                rng = np.random.default_rng([ci, i, 11])
                full = instance(c, i, seed=1)
                pts = sample_surface(full, 4096, rng)[0]
                normal, offset = random_plane(pts, rng, 0.5)
                part = pts[pts @ normal >= offset]
                ref = sample_surface(full, N_DENSE, rng)[0]
                dense = sample_surface(full, N_DENSE, rng)[0]
                row = {"key": f"{c}/{i}", "partial": fscore(dense[dense @ normal >= offset], ref),
                       "tokenizer": dense_fscore(adapter.decode(adapter.encode(full)), ref, rng)}
                given = resample(part, model.cfg.n_points, rng)
                for mode, cond, one in (("one draw", None, True), ("points", None, False),
                                        ("points+category", c, False)):
                    knobs = adapter.sampling_knobs(model, {"condition": adapter.condition_id(cond),
                                                           "candidates": 1 if one else None}, condition_points=given)
                    got = sample_structures(model, adapter, 1, seed=i, **knobs)
                    row[mode] = dense_fscore(got.structures[0], ref, rng) if got.structures else 0.0
                rows.append(row)
                bar.advance(task)
    modes = ("partial", "tokenizer", "one draw", "points", "points+category")
    summary = {k: float(np.mean([r[k] for r in rows])) for k in modes}
    per_cat = {c: {k: float(np.mean([r[k] for r in rows if r["key"].startswith(c + "/")])) for k in modes}
               for c in a.categories}
    res["completion"] = {"resolution": a.completion_resolution, "n": len(rows), "points_a_side": N_DENSE,
                         "sampling": {**model.meta.get("sampling", {}), **model.meta.get("sampling_completion", {})},
                         "fscore": summary,
                         "per_category": per_cat, "rows": rows}
    print(json.dumps(summary, indent=1))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--part", nargs="+", choices=["generate", "cascade", "completion", "all"], default=["all"],
                    help="one or more parts (generate cascade: the cascade reuses the generated MAR-3D shapes)")
    ap.add_argument("--generators", nargs="+", default=list(CHECKPOINTS), choices=list(CHECKPOINTS))
    ap.add_argument("--categories", nargs="+", default=list(OBJECT_CATEGORIES))
    ap.add_argument("--checkpoint-dir", type=Path, default=checkpoints_dir())
    ap.add_argument("--n", type=int, default=100, help="shapes per category and generator")
    ap.add_argument("--n-completion", type=int, default=10, help="held-out shapes per category to complete")
    ap.add_argument("--resolution", type=int, default=64)
    ap.add_argument("--completion-resolution", type=int, default=96)
    ap.add_argument("--threads", type=int, default=torch.get_num_threads())
    ap.add_argument("--preview", default=str(ROOT / "docs" / "shapes-compare.png"))
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "shapes_compare.json"))
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    out = Path(a.out)
    res = json.loads(out.read_text()) if out.is_file() else {}
    refs = references(a.categories, a.n, np.random.default_rng(7)) if set(a.part) != {"completion"} else {}
    kept: dict = {}
    out.parent.mkdir(parents=True, exist_ok=True)
    for part, run in (("generate", lambda: generate_part(a, res, refs, kept)),
                      ("cascade", lambda: cascade_part(a, res, refs, kept)), ("completion", lambda: completion_part(a, res))):
        if part in a.part or "all" in a.part:
            run()
            atomic_write_text(out, json.dumps(res, indent=2) + "\n")  # after each part: a long run keeps what it has


if __name__ == "__main__":
    main()
