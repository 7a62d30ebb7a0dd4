"""Sampling time of the shipped models that draw numbers with the diffusion head, against the head before
its condition projection was cached.

    python bench/diffusion_head_sampling.py --repeats 5   # → bench/results/diffusion_head_sampling.json

``DiffusionHead.sample`` projects each row's condition (``c_emb``, and the refiner's) once for all denoising
steps, embeds every step's timestep in one call before denoising, and folds the DDPM coefficients into Python floats.
The baseline, in the same run and process, is the head as of commit ``BASELINE`` (read with ``git show``),
which did all three at every step for every row, loaded with the same weights and swapped into the same
model.  Each case draws the same structures from the same seed with both heads (the draws are checked to
agree), alternating, on the threads torch is given; the median of the repeats is reported.  Cases: de novo
molecules and crystals (`UniGenX.sample`), 250 conformers (`UniGenX.fill`), MAR-3D chairs (guided).
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

import torch
from rich.progress import Progress

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from sciGen.io import atomic_write_text  # noqa: E402

BASELINE = "5a05a00"  # the last commit before the cached projection


def baseline_module() -> Any:
    """``sciGen/nn/diffusion_head.py`` as of :data:`BASELINE`, imported under another name."""
    src = subprocess.run(["git", "-C", str(ROOT), "show", f"{BASELINE}:sciGen/nn/diffusion_head.py"],
                         capture_output=True, text=True, check=True).stdout
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d) / "diffusion_head_baseline.py"
        tmp.write_text(src)
        spec = importlib.util.spec_from_file_location("diffusion_head_baseline", tmp)
        mod = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = mod  # dataclasses look their module up
        spec.loader.exec_module(mod)  # type: ignore[union-attr]
    return mod


def old_head(head: torch.nn.Module, mod: Any) -> torch.nn.Module:
    """The same head (config and weights) as the baseline class."""
    old = mod.DiffusionHead(head.value_dim, head.net.c_emb.in_features, mod.DiffusionHeadConfig(**vars(head.cfg)))
    old.load_state_dict(head.state_dict())
    return old.to(next(head.parameters()).device).eval()


def cases(sizes: list[int], n_shape: int) -> dict[str, Callable[[], tuple[torch.nn.Module, str, Callable]]]:
    """name → a loader returning (model, name of its head attribute, draw() → the drawn number slots)."""
    from sciGen.api import _FILL_KNOBS, load

    def sampler(domain: str, generator: str | None, n: int, attr: str, **knobs: Any) -> Callable[[], tuple]:
        def make() -> tuple:
            model, adapter = load(domain, generator=generator, device="cpu")
            kn = dict(knobs)
            if "condition" in kn:
                kn["condition"] = adapter.condition_id(kn["condition"])
            kn = adapter.sampling_knobs(model, {**model.meta.get("sampling", {}), **kn})

            def draw() -> list:  # what the CLI draws (its knobs and constraints), before decoding
                seqs = model.sample(n, generator=torch.Generator().manual_seed(0), batch_size=n, **kn)
                return [s.values for s in seqs]
            return model, attr, draw
        return make

    def conformers(n_mol: int, k: int) -> Callable[[], tuple]:
        def make() -> tuple:  # the conformer path (``UniGenX.fill``) on QM9-like SMILES, as the CLI fills them
            model, adapter = load("molecules", generator="unigenx-3d", device="cpu")
            kn = adapter.conformer_defaults(model, adapter.sampling_knobs(model, {}))
            kn = {key: v for key, v in kn.items() if key in _FILL_KNOBS}
            smiles = ["CC(=O)O", "c1ccccc1O", "CC(C)CO", "OC1CC1C#N", "CN1C=NC=C1", "O=CC1(C)CC1", "CC#CC(N)=O",
                      "NC(=O)C1=CC=CN1", "CC1(O)CCOC1", "N#CC1=COC=N1"] * ((n_mol + 9) // 10)
            templates = [adapter.template(adapter.condition_id(sm)) for sm in smiles[:n_mol] for _ in range(k)]

            def draw() -> list:
                seqs = model.fill(templates, generator=torch.Generator().manual_seed(0), batch_size=len(templates),
                                  **kn)
                return [s.values for s in seqs]
            return model, "head", draw
        return make

    out = {}
    out["unigenx-3d: 250 conformers of 50 SMILES (fill)"] = conformers(50, 5)
    for n in sizes:  # one batch of n
        out[f"unigenx-3d: {n} de novo molecules"] = sampler("molecules", "unigenx-3d", n, "head")
        out[f"unigenx (perov-5): {n} de novo crystals"] = sampler("materials", None, n, "head")
    out[f"mar3d: {n_shape} chairs"] = sampler("shapes", "mar3d", n_shape, "diffusion", condition="chair")
    return out


def same(a: list, b: list) -> bool:
    if len(a) != len(b):
        return False
    for x, y in zip(a, b):
        if isinstance(x, torch.Tensor):
            if x.shape != y.shape or not torch.allclose(x.float(), y.float(), atol=1e-4, rtol=0):
                return False
        elif x != y:
            return False
    return True


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--sizes", default="10,50", help="molecules and crystals drawn in one batch, per case")
    ap.add_argument("--n-shapes", type=int, default=1)
    ap.add_argument("--only", default="", help="run only the cases whose name contains this")
    ap.add_argument("--out", default="bench/results/diffusion_head_sampling.json")
    args = ap.parse_args()
    mod = baseline_module()
    res: dict[str, Any] = {"torch": torch.__version__, "threads": torch.get_num_threads(), "baseline_commit": BASELINE,
                           "repeats": args.repeats, "cases": {}}
    todo = {k: f for k, f in cases([int(x) for x in args.sizes.split(",")], args.n_shapes).items() if args.only in k}
    with Progress() as bar:
        task = bar.add_task("sampling", total=len(todo) * args.repeats * 2)
        for name, make in todo.items():
            model, attr, draw = make()
            new, old = getattr(model, attr), old_head(getattr(model, attr), mod)
            times: dict[str, list[float]] = {"cached": [], "baseline": []}
            outs: dict[str, list] = {}
            for _ in range(args.repeats):
                for key, head in (("cached", new), ("baseline", old)):
                    setattr(model, attr, head)
                    t0 = time.perf_counter()
                    outs[key] = draw()
                    times[key].append(time.perf_counter() - t0)
                    bar.advance(task)
            setattr(model, attr, new)
            med = {k: statistics.median(v) for k, v in times.items()}
            res["cases"][name] = {"seconds": times, "median_cached": med["cached"], "median_baseline": med["baseline"],
                                  "speedup": med["baseline"] / med["cached"],
                                  "same_draws": same(outs["cached"], outs["baseline"])}
            print(f"{name}: {med['cached']:.2f} s vs {med['baseline']:.2f} s "
                  f"({med['baseline'] / med['cached']:.2f}×), same draws: {res['cases'][name]['same_draws']}")
    atomic_write_text(Path(args.out), json.dumps(res, indent=2) + "\n")


if __name__ == "__main__":
    main()
