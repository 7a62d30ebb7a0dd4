"""UniGenX-3D on QM9 `val`: conformers (COV / MAT / median RMSD beside RDKit ETKDG and ETKDG+MMFF, measured in the
same run on the same molecules) and 3D de novo (EDM atom / molecule stability, validity, uniqueness).

    python bench/unigenx3d.py --n-molecules 1000 --k 5 --n-denovo 10000    # → bench/results/unigenx3d.json

``--n-denovo 0`` re-measures the conformers only and keeps the file's earlier de novo part (marked as such).
Conformers use the checkpoint's ``meta["sampling_conformers"]`` over its ``meta["sampling"]``, as the CLI does.

The 1,000 molecules are a seeded draw from the QM9 `val` split (never trained on); their DFT geometries are
written to ``--workdir``/reference.sdf, so ``scigen evaluate`` can re-score the same files.  Every decoded
conformer is scored, also those whose bonds perceived from distances disagree with the SMILES (the CLI drops
those unless --keep-invalid); an undecodable draw counts as missing.
"""
from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from rich.progress import Progress

from sciGen.adapter import DecodeError
from sciGen.api import fill_structures, load, sample_structures
from sciGen.io import atomic_write_text
from sciGen.molecules.conformer import COORDS, ConformerError, ConformerSequence
from sciGen.molecules.conformer_metrics import conformer_metrics, etkdg_metrics
from sciGen.molecules.geometry import mol_from_xyz
from sciGen.molecules.stability import metrics_3d

QM9 = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "qm9" / "qm9_train_val.csv.xz"


def reference_set(path: Path, n: int, seed: int, split: str = "val") -> list:
    df = pd.read_csv(path, usecols=["smiles", "elements", "xyz_ang", "split"], dtype=str)
    df = df[df.split == split].sample(frac=1.0, random_state=seed)
    out = []
    for smi, el, xyz, _ in df.itertuples(index=False):
        try:
            out.append(mol_from_xyz(smi, el.split(), np.asarray(xyz.split(), float).reshape(-1, 3)))
        except ConformerError:
            continue
        if len(out) == n:
            break
    return out


def drawn(res) -> list:
    """Every decoded draw (valid or not) in order; None where nothing decoded."""
    return [d.structure if isinstance(d, DecodeError) else d for d in res.draws]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--checkpoint", default=None, help="default: the shipped unigenx-3d model")
    ap.add_argument("--data", default=str(QM9))
    ap.add_argument("--n-molecules", type=int, default=1000)
    ap.add_argument("--k", type=int, default=5)
    ap.add_argument("--n-denovo", type=int, default=10000)
    ap.add_argument("--batch-size", type=int, default=250)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--diffusion-steps", type=int, default=None, help="default: the checkpoint's (its head's)")
    ap.add_argument("--workdir", default="runs/unigenx3d_bench")
    ap.add_argument("--out", default="bench/results/unigenx3d.json")
    a = ap.parse_args()
    torch.manual_seed(a.seed)
    work = Path(a.workdir)
    work.mkdir(parents=True, exist_ok=True)
    model, adapter = load("molecules", generator="unigenx-3d", checkpoint=a.checkpoint, device="cpu")
    meta = getattr(model, "meta", {})
    result: dict = {"checkpoint": a.checkpoint or "shipped molecules-unigenx-3d.pt", "machine": platform.processor()
                    or platform.machine(), "torch_threads": torch.get_num_threads(),
                    **{k: dict(meta.get(k, {})) for k in ("sampling", "sampling_conformers")},
                    "diffusion_steps": a.diffusion_steps or "the checkpoint's"}

    refs = reference_set(Path(a.data), a.n_molecules, a.seed)
    adapter.names = [f"{i:06d}" for i in range(len(refs))]
    adapter.write(refs, work / "reference.sdf")
    adapter.names = None
    codec = ConformerSequence(adapter.conformer.hydrogens)
    templates, names = [], []
    kn = adapter.sampling_knobs(model, {} if a.diffusion_steps is None else {"diffusion_steps": a.diffusion_steps})
    for i, r in enumerate(refs):  # the condition SMILES carries the reference's stereo (as ETKDG gets it)
        tokens, _ = codec.encode(r)
        templates += [adapter.template(adapter.condition_id("".join(tokens[: tokens.index(COORDS)])))] * a.k
        names += [f"{i:06d}_{k}" for k in range(a.k)]
    with Progress() as bar:
        t = bar.add_task("conformers", total=len(templates))
        t0 = time.perf_counter()
        res = fill_structures(model, adapter, templates, seed=a.seed, batch_size=a.batch_size,
                              on_batch=lambda m: bar.advance(t, m), **adapter.conformer_defaults(model, kn))
        conf_s = time.perf_counter() - t0
        confs = drawn(res)
        groups = [[c for c in confs[i * a.k:(i + 1) * a.k] if c is not None] for i in range(len(refs))]
        adapter.names = [nm for nm, c in zip(names, confs) if c is not None]
        adapter.write([c for c in confs if c is not None], work / "conformers.sdf")
        adapter.names = None
        t = bar.add_task("RMSD", total=len(refs))
        ours = conformer_metrics(groups, refs, on_done=lambda m: bar.advance(t, m))
        t = bar.add_task("ETKDG (+MMFF)", total=len(refs))
        t0 = time.perf_counter()
        base = etkdg_metrics(refs, a.k, seed=a.seed, on_done=lambda m: bar.advance(t, m))
        etkdg_s = time.perf_counter() - t0
    result["conformers"] = {"n_molecules": len(refs), "k": a.k, "unigenx3d": ours, **base,
                            "valid_fraction": len(res.structures) / len(templates),
                            "seconds_per_conformer": {"unigenx3d": conf_s / len(templates),
                                                      "etkdg_and_etkdg_mmff": etkdg_s / len(templates)}}
    print(json.dumps(result["conformers"], indent=1))

    if a.n_denovo:
        with Progress() as bar:
            t = bar.add_task("3D de novo", total=a.n_denovo)
            t0 = time.perf_counter()
            res = sample_structures(model, adapter, a.n_denovo, seed=a.seed, batch_size=a.batch_size,
                                    on_batch=lambda m: bar.advance(t, m), **kn)
            dn_s = time.perf_counter() - t0
        mols = drawn(res)
        adapter.write([m for m in res.structures], work / "denovo_valid.sdf")
        reasons: dict[str, int] = {}
        for e in res.invalid:
            key = e.reason.split(":")[0].split(" (")[0][:60]
            reasons[key] = reasons.get(key, 0) + 1
        result["denovo"] = {**metrics_3d(mols), "n_undecodable": sum(m is None for m in mols),
                            "sciGen_valid (SMILES sanitizes, bonds from distances agree)": len(res.structures) / a.n_denovo,
                            "invalid_reasons": dict(sorted(reasons.items(), key=lambda kv: -kv[1])[:8]),
                            "seconds_per_sample": dn_s / a.n_denovo}
        print(json.dumps(result["denovo"], indent=1))
    elif Path(a.out).is_file():  # --n-denovo 0: keep the last run's de novo part, marked as such
        prev = json.loads(Path(a.out).read_text())
        if "denovo" in prev:
            result["denovo"] = {**prev["denovo"], "from_an_earlier_run_with_sampling": prev.get("sampling")}
    atomic_write_text(a.out, json.dumps(result, indent=2) + "\n")
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
