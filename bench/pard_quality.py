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
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from rdkit import Chem
from rich.progress import Progress

ROOT = Path(__file__).resolve().parents[1]


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
    ap.add_argument("--no-floor", action="store_true", help="skip scoring training molecules against val")
    a = ap.parse_args(argv)

    from sciGen.api import load, sample_structures

    model, adapter = load("molecules", "pard", a.checkpoint, device="cpu")
    knobs = {k: v for k, v in (("temperature", a.temperature), ("steps", a.steps)) if v is not None}
    t0 = time.perf_counter()
    with Progress() as bar:
        task = bar.add_task("sampling PARD", total=a.n)
        res = sample_structures(model, adapter, a.n, seed=a.seed, batch_size=a.batch_size,
                                on_batch=lambda m: bar.advance(task, m), **knobs)
    sample_s = time.perf_counter() - t0
    valid = [Chem.MolToSmiles(m) for m in res.structures]
    reasons: dict[str, int] = {}
    sanitizes = len(valid)
    for e in res.invalid:
        key = "disconnected" if e.reason.startswith("disconnected") else e.reason.split(" for ")[0]
        reasons[key] = reasons.get(key, 0) + 1
        sanitizes += e.structure is not None  # decoded and sanitized, but in several fragments
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
        "sampling_s_cpu": round(sample_s, 1), "torch_threads": torch.get_num_threads(),
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
