"""Acceptance numbers of the shipped AutoBrep checkpoint (issue "CAD"), reproducible in one command.

- ``roundtrip``: every single-solid STEP part in ``../shared/data/cad_brep_samples`` is tokenized and
  rebuilt; the share that comes back strictly valid with surface Chamfer-L1 ≤ 0.01 (unit cube) and the
  reasons of the failures.  The same for held-out procedural parts (seed 1).  As a reference, the
  builder alone on the exact grids (no tokens) is measured in the same run.
- ``generate``: N unconditional parts; strict validity, unique, novel against the training parts, and
  MMD-CD / COV-CD / 1-NNA-CD / JSD against held-out procedural parts (seed 1); seconds per valid part
  split into sampling and decoding-to-solid (BrepGen reports ≈ 1.5 s per model on a GPU).
- ``complete``: from the first half of the face blocks of held-out procedural parts, the share of
  completions that are strictly valid solids containing the given faces.

    python bench/cad.py [--part roundtrip|generate|complete|all] [--n 500] [--out bench/results/cad.json]
"""
from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from pathlib import Path

import numpy as np
import torch
from rich.progress import Progress

from sciGen.cad.brep import count
from sciGen.cad.build import BuildError, build_solid
from sciGen.cad.metrics import score
from sciGen.cad.procedural import FAMILIES, instance
from sciGen.cad.record import PartError, part_record
from sciGen.cad.validate import validate
from sciGen.io import atomic_write_text
from sciGen.registry import checkpoints_dir
from sciGen.train import load_model

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT.parent / "shared" / "data" / "cad_brep_samples"


def real_parts() -> list[Path]:
    return sorted(p for sub in ("brepnet_step_examples", "brepnet_test_solids") for p in (SAMPLES / sub).glob("*.st*p"))


def _reason(r: str) -> str:
    return r.split(":")[0] if r.startswith(("face", "edge")) else r


def roundtrip(adapter, res: dict, n_proc: int) -> None:
    rows = []
    jobs = [(str(p.relative_to(SAMPLES)), lambda p=p: next(iter(adapter.read(p)))) for p in real_parts()]
    jobs += [(f"procedural/{f}/{i}", lambda f=f, i=i: instance(f, i, seed=1)) for f in FAMILIES for i in range(n_proc)]
    with Progress() as bar:
        task = bar.add_task("round trips", total=len(jobs))
        for key, make in jobs:
            shape = make()
            row = {"key": key, "real": not key.startswith("procedural")}
            try:
                rec = part_record(shape)
                row["faces"] = rec.n_faces
                try:
                    oracle = build_solid(rec.face_grids.astype(float), rec.edge_grids.astype(float), rec.edge_faces)
                    row["oracle_valid"] = validate(oracle).ok
                except BuildError:
                    row["oracle_valid"] = False
                t = time.time()
                r = adapter.reconstruction(shape)["report"]
                row.update(valid=r["valid"], chamfer=r["chamfer"], reasons=r["reasons"], tokens=r["tokens"],
                           seconds=time.time() - t)
            except PartError as e:
                row.update(skipped=str(e))
            rows.append(row)
            bar.advance(task)
    out = {}
    for name, sel in (("real", [r for r in rows if r["real"]]), ("procedural", [r for r in rows if not r["real"]])):
        done = [r for r in sel if "skipped" not in r]
        ok = [r for r in done if r["valid"] and r["chamfer"] is not None and r["chamfer"] <= 0.01]
        out[name] = {"n_files": len(sel), "n_single_solid": len(done),
                     "skipped": {r["key"]: r["skipped"] for r in sel if "skipped" in r},
                     "valid_and_chamfer_le_0.01": len(ok) / max(len(done), 1),
                     "valid": float(np.mean([r["valid"] for r in done])) if done else 0.0,
                     "oracle_valid": float(np.mean([r["oracle_valid"] for r in done])) if done else 0.0,
                     "median_chamfer_of_valid": float(np.median([r["chamfer"] for r in done if r["valid"]]))
                     if any(r["valid"] for r in done) else None,
                     "failure_reasons": dict(Counter(_reason(x) for r in done if not r["valid"] for x in r["reasons"]))}
    res["roundtrip"] = out | {"rows": rows}
    print(json.dumps(out, indent=1))


def reference_parts(n_per_family: int) -> list:
    return [instance(f, i, seed=1) for f in FAMILIES for i in range(n_per_family)]


def generate(model, adapter, res: dict, n: int, n_ref: int, train_graphs: int) -> None:
    from sciGen.adapter import DecodeError
    knobs = adapter.sampling_knobs(model, dict(getattr(model, "meta", {}).get("sampling", {})))
    gen = torch.Generator().manual_seed(0)
    t = time.time()
    seqs = model.sample(n, generator=gen, batch_size=min(n, 128), **knobs)
    t_sample = time.time() - t
    ok, reasons, t_decode = [], Counter(), 0.0
    with Progress() as bar:
        task = bar.add_task("decoding", total=n)
        for s in seqs:
            t = time.time()
            try:
                ok.append(adapter.decode(s))
            except DecodeError as e:
                reasons[_reason(e.reason.split(";")[0])] += 1
            t_decode += time.time() - t
            bar.advance(task)
    refs = reference_parts(n_ref)
    train = [instance(f, i, seed=0) for f in FAMILIES for i in range(train_graphs)]  # training parts (seed 0)
    m = score(ok, refs, train, 2000, seed=0)
    res["generate"] = {"n": n, "valid": len(ok) / n, **m, "invalid_reasons": dict(reasons.most_common(12)),
                       "faces_per_valid_part": float(np.mean([count(s, "face") for s in ok])) if ok else None,
                       "seconds_sampling_per_part": t_sample / n, "seconds_decoding_per_part": t_decode / n,
                       "seconds_per_valid_part": (t_sample + t_decode) / max(len(ok), 1),
                       "n_reference": len(refs), "n_train_compared": len(train), "sampling": knobs.get("top_p")}
    print(json.dumps(res["generate"], indent=1))
    if ok:
        adapter.preview(ok[:24], ROOT / "docs" / "cad-autobrep.png")


def complete(model, adapter, res: dict, n_per_family: int) -> None:
    from sciGen.adapter import DecodeError
    from sciGen.cad.tokens import parse
    rows = []
    gen = torch.Generator().manual_seed(0)
    with Progress() as bar:
        task = bar.add_task("autocompletion", total=n_per_family * len(FAMILIES))
        for f in FAMILIES:
            for i in range(n_per_family):
                toks = adapter.token_strings(instance(f, 100 + i, seed=1))
                ends = [k for k, t in enumerate(toks) if t == "<eof>"]
                half = ends[len(ends) // 2 - 1] + 1  # after the first half of the face blocks
                prefix = toks[:half]
                given = parse(prefix + ["<eol>"])
                knobs = adapter.sampling_knobs(model, {})
                knobs["condition"] = adapter.sequence(prefix)
                seq = model.sample(1, generator=gen, **knobs)[0]
                row = {"key": f"{f}/{100 + i}", "given_faces": len(given.face_codes)}
                try:
                    solid = adapter.decode(seq)
                    row["valid"] = True
                    row["contains_given"] = contains_faces(adapter, solid, prefix)
                except DecodeError as e:
                    row.update(valid=False, contains_given=False, reason=e.reason)
                rows.append(row)
                bar.advance(task)
    ok = [r for r in rows if r["valid"] and r["contains_given"]]
    res["complete"] = {"n": len(rows), "valid": float(np.mean([r["valid"] for r in rows])),
                       "valid_and_contains_given": len(ok) / len(rows), "rows": rows}
    print(json.dumps({k: v for k, v in res["complete"].items() if k != "rows"}, indent=1))


def contains_faces(adapter, solid, prefix: list[str], tol: float = 0.02) -> bool:
    """Every face of the prefix has a face of ``solid`` with the same box (within ``tol`` of the cube)."""
    from sciGen.cad.brep import bounding_box, subshapes
    from sciGen.cad.tokens import parse
    boxes = adapter.spec.dequantize(parse(prefix + ["<eol>"]).face_boxes_q)
    have = np.array([np.concatenate(bounding_box(f)) for f in subshapes(solid, "face")])
    return all(np.abs(have - b).max(1).min() <= tol for b in boxes)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--part", default="all", choices=["roundtrip", "generate", "complete", "all"])
    ap.add_argument("--checkpoint", default=str(checkpoints_dir() / "cad-autobrep.pt"))
    ap.add_argument("--n", type=int, default=500)
    ap.add_argument("--n-ref", type=int, default=30, help="held-out reference parts per family")
    ap.add_argument("--n-train", type=int, default=60, help="training parts per family compared for novelty")
    ap.add_argument("--n-complete", type=int, default=10, help="autocompletions per family")
    ap.add_argument("--n-proc", type=int, default=5, help="procedural round trips per family")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "cad.json"))
    a = ap.parse_args()
    torch.set_grad_enabled(False)
    model, adapter = load_model(a.checkpoint, "cad", device="cpu")
    out = Path(a.out)
    res = json.loads(out.read_text()) if out.is_file() else {}
    res["checkpoint"] = str(Path(a.checkpoint).name)
    if a.part in ("roundtrip", "all"):
        roundtrip(adapter, res, a.n_proc)
    if a.part in ("generate", "all"):
        generate(model, adapter, res, a.n, a.n_ref, a.n_train)
    if a.part in ("complete", "all"):
        complete(model, adapter, res, a.n_complete)
    atomic_write_text(out, json.dumps(res, indent=1, default=str) + "\n")


if __name__ == "__main__":
    main()
