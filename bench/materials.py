"""Acceptance numbers of the shipped crystal checkpoints (issue "Materials"), reproducible in one command.

For each dataset (Perov-5, Carbon-24) the held-out part of the CDVAE ``val`` split — the 10 % chosen by
hash of ``material_id`` that training never saw (``sciGen.data.holdout_mask``, the same call as training) —
is the test set (the official test splits are withheld):

- ``csp``: for every held-out crystal, K candidates are sampled from its composition (the cell's contents
  as prefix); ``match_rate`` / ``rmse`` use the first candidate, ``match_rate@K`` / ``rmse@K`` the best
  (StructureMatcher stol 0.5, angle_tol 10, ltol 0.3; a pair counts only if both are valid, as DiffCSP);
- ``denovo``: N unconditional samples; structural / compositional validity, Wasserstein distances of
  density and number of elements, COV-R / COV-P against the held-out crystals (CDVAE cut-offs);
- seconds per sample, split into sampling and decoding + validation.

Sampling uses the adapter's knobs, including the 0.5 Å minimum-distance constraint
(``sciGen.materials.constraint``); ``--no-constraint --out bench/results/materials_unconstrained.json``
measures the model without it.

It also writes the held-out formulas and reference CSV to ``runs/materials-<name>/`` so that the CLI path
(``scigen generate materials --condition-file … ; scigen evaluate materials … --task csp``) reproduces it.

    python bench/materials.py [--datasets perov5 carbon24] [--parts csp denovo] [--k 20] [--n 1000]
                              [--out bench/results/materials.json]
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch
from rich.progress import Progress

from sciGen.api import sample_structures
from sciGen.data import holdout_mask
from sciGen.io import atomic_write_text
from sciGen.materials.metrics import csp_metrics, denovo_metrics
from sciGen.registry import named_checkpoint
from sciGen.train import load_model

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "crystals_cdvae"
SETS = {"perov5": DATA / "perov_5" / "val.csv.gz", "carbon24": DATA / "carbon_24" / "val.csv.gz"}


def held_out(adapter, path: Path, fraction: float = 0.1) -> list:
    structs = list(adapter.read(path, []))
    keys = [s.properties["id"] for s in structs]
    return [s for s, h in zip(structs, holdout_mask(keys, fraction, "scigen")) if h]


def run(name: str, k: int, n: int, seed: int, workers: int, parts: list[str], res: dict) -> dict:
    model, adapter = load_model(named_checkpoint("materials", name), domain="materials")
    torch.set_num_threads(workers)
    test = held_out(adapter, SETS[name])
    folder = ROOT / "runs" / f"materials-{name}"
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write_text(folder / "heldout_formulas.txt",
                      "".join(s.composition.formula.replace(" ", "") + "\n" for s in test))
    adapter.write(test, folder / "heldout.csv")
    res.update({"checkpoint": f"materials-{name}.pt", "n_test": len(test), "sampling": model.meta.get("sampling", {}),
                "sampling_csp": model.meta.get("sampling_csp", {})})
    if "csp" in parts:
        csp(model, adapter, test, name, k, seed, workers, res)
    if "denovo" in parts:
        denovo(model, adapter, test, name, n, seed, workers, res)
    return res


def csp(model, adapter, test: list, name: str, k: int, seed: int, workers: int, res: dict) -> None:
    cands, t_sample = [], 0.0
    with Progress(transient=True) as bar:
        task = bar.add_task(f"{name} CSP", total=len(test))
        for L, s in enumerate(test):
            cond = adapter.condition_id(s.composition.formula)
            knobs = adapter.sampling_knobs(model, {"condition": cond})
            t0 = time.time()
            r = sample_structures(model, adapter, k, seed=seed + L, batch_size=k, **knobs)
            t_sample += time.time() - t0
            cands.append([d if not hasattr(d, "reason") else None for d in r.draws])
            bar.advance(task)
    m = csp_metrics(cands, test, workers=workers)
    m["valid_candidates"] = sum(c is not None for row in cands for c in row) / max(1, k * len(test))
    m["seconds_per_candidate"] = t_sample / max(1, k * len(test))
    res["csp"] = m
    print(name, "csp", json.dumps(m))


def denovo(model, adapter, test: list, name: str, n: int, seed: int, workers: int, res: dict) -> None:
    t0 = time.time()
    gen = torch.Generator().manual_seed(seed)
    seqs = model.sample(n, generator=gen, batch_size=256, **adapter.sampling_knobs(model, {}))
    t_s = time.time() - t0
    t0 = time.time()
    structs = []
    for q in seqs:
        try:
            structs.append(adapter.decode(q))
        except Exception:  # noqa: BLE001 - an undecodable draw counts as invalid
            structs.append(None)
    t_d = time.time() - t0
    d = denovo_metrics(structs, test, n_drawn=n, workers=workers)
    d["seconds_sampling_per_sample"] = t_s / n
    d["seconds_decoding_per_sample"] = t_d / n
    res["denovo"] = d
    print(name, "denovo", json.dumps(d))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--datasets", nargs="+", default=list(SETS))
    ap.add_argument("--k", type=int, default=20)
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--parts", nargs="+", default=["csp", "denovo"])
    ap.add_argument("--no-constraint", action="store_true", help="sample without the 0.5 Å distance constraint")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "materials.json"))
    a = ap.parse_args()
    out = Path(a.out)
    res = json.loads(out.read_text()) if out.is_file() else {}
    from sciGen.materials.adapter import MaterialsAdapter
    MaterialsAdapter.min_distance_check = not a.no_constraint
    for name in a.datasets:
        res[name] = run(name, a.k, a.n, a.seed, a.workers, a.parts, res.get(name, {}))
        atomic_write_text(out, json.dumps(res, indent=1) + "\n")


if __name__ == "__main__":
    main()
