"""PARD sample quality on QM9: validity without valence correction, uniqueness, novelty, FCD and NSPDK
against the QM9 ``val`` split, plus the same distances for training molecules (the floor a perfect model
would reach with this many samples).

    python bench/pard_quality.py [--checkpoint qm9|PATH] [--n 10000] [--data QM9.csv.xz]

Writes bench/results/pard_quality.json and the valid samples to runs/pard-eval/samples.smi.

Two validities are reported.  ``valid`` is this project's: the graph sanitizes in RDKit with no
correction *and* is one connected molecule.  ``valid_sanitizes`` is the DiGress/PARD protocol (the
graph sanitizes; a disconnected one counts, scored by its largest fragment).  Uniqueness, novelty, FCD and NSPDK are over the ``valid`` molecules.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from rdkit import Chem
from rich.progress import Progress

ROOT = Path(__file__).resolve().parents[1]


def _draw(args: tuple) -> dict:
    """One shard: (checkpoint, n, seed, batch size, knobs) → valid SMILES, invalid reasons, evaluations."""
    from sciGen.api import load, sample_structures

    ckpt, n, seed, batch_size, knobs = args
    torch.set_num_threads(1)
    model, adapter = load("molecules", "pard", ckpt, device="cpu")
    graph_nfe = [0]
    sample = model.sample

    def counted(*args, **kw):  # model.graph_nfe restarts with every batch: add them up
        out = sample(*args, **kw)
        graph_nfe[0] += model.graph_nfe
        return out

    model.sample = counted
    with Progress(disable=seed != 0) as bar:  # one bar, for shard 0
        task = bar.add_task("sampling PARD (shard 0)", total=n)
        res = sample_structures(model, adapter, n, seed=seed, batch_size=batch_size,
                                on_batch=lambda m: bar.advance(task, m), **knobs)
    reasons: dict[str, int] = {}
    for e in res.invalid:
        key = "disconnected" if e.reason.startswith("disconnected") else e.reason.split(" for ")[0]
        reasons[key] = reasons.get(key, 0) + 1
    return {"valid": [Chem.MolToSmiles(m) for m in res.structures], "reasons": reasons,
            "disconnected": sum(e.structure is not None for e in res.invalid), "graph_nfe": graph_nfe[0]}


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--checkpoint", default="qm9")
    ap.add_argument("--n", type=int, default=10000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--batch-size", type=int, default=500)
    ap.add_argument("--temperature", type=float, default=None)
    ap.add_argument("--steps", type=int, default=None)
    ap.add_argument("--data", default=str(ROOT.parent / "shared/data/qm9/qm9_train_val.csv.xz"))
    ap.add_argument("--out", default=str(ROOT / "bench/results/pard_quality.json"))
    ap.add_argument("--smiles-out", default=str(ROOT / "runs/pard-eval/samples.smi"))
    ap.add_argument("--workers", type=int, default=2, help="sampling processes (shard i uses seed + i)")
    ap.add_argument("--no-floor", action="store_true", help="skip scoring training molecules against val")
    a = ap.parse_args(argv)

    from sciGen.api import load

    model, adapter = load("molecules", "pard", a.checkpoint, device="cpu")
    knobs = {k: v for k, v in (("temperature", a.temperature), ("steps", a.steps)) if v is not None}
    shards = [(a.checkpoint, a.n // a.workers + (i < a.n % a.workers), a.seed + i, a.batch_size, knobs)
              for i in range(a.workers)]
    t0 = time.perf_counter()
    if a.workers > 1:  # shard i draws with seed + i, one thread each
        with mp.get_context("fork").Pool(a.workers) as pool:
            parts = pool.map(_draw, shards)
    else:
        parts = [_draw(shards[0])]
    sample_s = time.perf_counter() - t0
    valid = [s for p in parts for s in p["valid"]]
    sanitizes = len(valid) + sum(p["disconnected"] for p in parts)
    reasons: dict[str, int] = {}
    for p in parts:
        for k, v in p["reasons"].items():
            reasons[k] = reasons.get(k, 0) + v
    nfe = sum(p["graph_nfe"] for p in parts) / a.n
    Path(a.smiles_out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.smiles_out).write_text("".join(s + "\n" for s in valid))

    df = pd.read_csv(a.data, usecols=["smiles", "split"])
    val = df.smiles[df.split == "val"].tolist()
    train = df.smiles[df.split == "train"].tolist()
    metrics = adapter.metrics(valid, val, train=train, graph_metrics=True, ks=(a.n,))
    out = {
        "checkpoint": str(a.checkpoint), "n": a.n, "seed": a.seed, "knobs": knobs or model.meta.get("sampling", {}),
        "valid": len(valid) / a.n, "valid_sanitizes": sanitizes / a.n,
        "invalid_reasons": dict(sorted(reasons.items(), key=lambda kv: -kv[1])),
        "unique": metrics.pop(f"unique@{a.n}"), "novelty": metrics.pop("novelty"), "FCD": metrics.pop("FCD"),
        "NSPDK": metrics.pop("NSPDK"), "other_moses": {k: v for k, v in metrics.items() if k != "valid"},
        "nfe_per_graph": round(nfe, 1), "sampling_s_cpu": round(sample_s, 1), "processes": a.workers,
    }
    if not a.no_floor:  # the same distances for n training molecules: what sampling the data itself gives
        rng = np.random.default_rng(0)
        pick = [train[i] for i in rng.choice(len(train), size=min(a.n, len(train)), replace=False)]
        floor = adapter.metrics(pick, val, graph_metrics=True, ks=(len(pick),))
        out["train_sample_vs_val"] = {"FCD": floor["FCD"], "NSPDK": floor["NSPDK"]}
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps(out, indent=2))
    return out


if __name__ == "__main__":
    main()
