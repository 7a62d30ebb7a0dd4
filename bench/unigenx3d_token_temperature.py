"""UniGenX-3D de novo at several token temperatures (the SMILES part; the value temperature stays the checkpoint's):
EDM stability / validity / uniqueness, and the fraction of decoded valid draws that are QM9 `train` molecules.

    python bench/unigenx3d_token_temperature.py --n 1000 --temperatures 1.0,0.8   # → bench/results/unigenx3d_token_temperature.json

The same seed at every temperature; one torch thread unless ``--threads``.  A draw is a `train` molecule when its
SMILES without stereo is that of a QM9 `train` row.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import pandas as pd
import torch
from rdkit import Chem, RDLogger
from rich.progress import Progress

sys.path.insert(0, str(Path(__file__).resolve().parent))
from unigenx3d import QM9, drawn  # noqa: E402

from sciGen.api import load, sample_structures  # noqa: E402
from sciGen.io import atomic_write_text  # noqa: E402
from sciGen.molecules.stability import metrics_3d  # noqa: E402


def flat_smiles(mol: Chem.Mol | None) -> str | None:
    """Canonical SMILES without stereo or hydrogens (None for None)."""
    return None if mol is None else Chem.MolToSmiles(Chem.RemoveHs(mol), isomericSmiles=False)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--checkpoint", default=None, help="default: the shipped unigenx-3d model")
    ap.add_argument("--data", default=str(QM9))
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--temperatures", default="1.0,0.8")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--out", default="bench/results/unigenx3d_token_temperature.json")
    a = ap.parse_args()
    if not Path(a.data).is_file():
        sys.exit(f"{a.data}: QM9 file not found (needs ../shared/data)")
    torch.set_num_threads(a.threads)
    RDLogger.DisableLog("rdApp.*")
    df = pd.read_csv(a.data, usecols=["smiles", "split"], dtype=str)
    train = {flat_smiles(Chem.MolFromSmiles(s)) for s in df[df.split == "train"].smiles}
    model, adapter = load("molecules", generator="unigenx-3d", checkpoint=a.checkpoint, device="cpu")
    knobs = adapter.sampling_knobs(model, {})
    result: dict = {"checkpoint": a.checkpoint or "shipped molecules-unigenx-3d.pt", "n": a.n, "seed": a.seed,
                    "torch_threads": a.threads, "sampling": dict(getattr(model, "meta", {}).get("sampling", {})),
                    "temperatures": {}}
    temps = [float(t) for t in a.temperatures.split(",")]
    with Progress() as bar:
        task = bar.add_task("draws", total=a.n * len(temps))
        for t in temps:
            t0 = time.perf_counter()
            res = sample_structures(model, adapter, a.n, seed=a.seed, batch_size=250, temperature=t,
                                    on_batch=lambda m: bar.advance(task, m), **knobs)
            m = metrics_3d(drawn(res))
            smi = [flat_smiles(x) for x in res.structures]
            m["train_molecule_of_decoded_valid"] = sum(s in train for s in smi) / max(len(smi), 1)
            m["seconds_per_sample"] = (time.perf_counter() - t0) / a.n
            result["temperatures"][str(t)] = m
            bar.console.print(f"token temperature {t}: " + ", ".join(f"{k} {v:.4f}" for k, v in m.items()))
            atomic_write_text(a.out, json.dumps(result, indent=2) + "\n")
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
