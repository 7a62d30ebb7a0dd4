"""PARD throughput: graphs sampled per second and training steps per second, each split into block
decomposition, network and diffusion time; denoiser evaluations (NFE) per generated graph.

    python bench/pard.py [--checkpoint qm9|PATH] [--data QM9.csv.xz] [--n 2000] [--steps 20] [--device auto]

Writes bench/results/pard.json (or ``--out``).  Sampling time splits into network (forward passes) and
diffusion bookkeeping (noise, reveal, layout); decomposition is 0 at sampling (blocks are generated,
not computed).  Training time splits into block decomposition (the structural partial order, in the
collate), the rest of the collate (layout), diffusion (corrupting every block) and network
(forward + backward + optimiser step).
"""
from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]


def _sync(dev: torch.device) -> None:
    if dev.type == "cuda":
        torch.cuda.synchronize()


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--checkpoint", default="qm9")
    ap.add_argument("--data", default=str(ROOT.parent / "shared/data/qm9/qm9_train_val.csv.xz"))
    ap.add_argument("--n", type=int, default=2000, help="graphs to sample")
    ap.add_argument("--batch-size", type=int, default=500, help="graphs per sampling and training batch")
    ap.add_argument("--steps", type=int, default=20, help="training steps to time (after 3 warm-up steps)")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--out", default=str(ROOT / "bench/results/pard.json"))
    a = ap.parse_args(argv)

    from sciGen.api import load, resolve_device
    from sciGen.adapter import DecodeError
    from sciGen.config import from_dict
    from sciGen.train import DataConfig

    dev = resolve_device(a.device)
    model, adapter = load("molecules", "pard", a.checkpoint, device=dev)
    res: dict = {"device": torch.cuda.get_device_name(dev) if dev.type == "cuda" else platform.processor() or "cpu",
                 "threads": torch.get_num_threads(), "checkpoint": str(a.checkpoint), "torch": torch.__version__}

    # ---- sampling
    gen = torch.Generator(device=dev).manual_seed(0)
    model.sample(min(a.batch_size, 64), generator=gen, batch_size=64)  # warm-up
    timings: dict[str, float] = {}
    _sync(dev)
    t0 = time.perf_counter()
    seqs = model.sample(a.n, generator=gen, batch_size=a.batch_size, timings=timings)
    _sync(dev)
    wall = time.perf_counter() - t0
    valid = 0
    for s in seqs:
        try:
            adapter.decode(s)
            valid += 1
        except DecodeError:
            pass
    n_blocks = sum(int(s.block.max()) + 1 for s in seqs)
    res["sampling"] = {
        "graphs": a.n, "batch_size": a.batch_size, "wall_s": round(wall, 3), "graphs_per_s": round(a.n / wall, 1),
        "network_s": round(timings["network_s"], 3), "diffusion_s": round(timings["diffusion_s"], 3),
        "decomposition_s": 0.0, "diffusion_steps_per_block": model.cfg.diffusion_steps,
        "mean_blocks_per_graph": round(n_blocks / a.n, 3), "mean_nodes_per_graph": round(sum(map(len, seqs)) / a.n, 3),
        # graphs leave the batch when they stop, so each is evaluated only as often as it needs
        "batched_network_evaluations": model.nfe,
        "nfe_per_graph": round(model.graph_nfe / a.n, 1),
        "denoising_nfe_per_graph": round((model.graph_nfe - model.graph_nfe_size) / a.n, 1),
        "block_size_nfe_per_graph": round(model.graph_nfe_size / a.n, 1),
        "valid_fraction_of_these": round(valid / a.n, 4),
    }

    # ---- training steps
    data = from_dict(DataConfig, {"train": a.data, "holdout_fraction": 0.0, "max_records": a.batch_size * (a.steps + 3),
                                  "workers": 1, "options": {"split": "train"}})  # a CSV with smiles + split
    ds = adapter.training_datasets(data, adapter.vocab, {"max_nodes": model.cfg.max_nodes}, 0, "pard")["train"]
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-5)
    tot = {"decomposition_s": 0.0, "layout_s": 0.0, "diffusion_s": 0.0, "network_s": 0.0}
    g = torch.Generator(device=dev).manual_seed(0)
    for step in range(a.steps + 3):
        items = [ds[i] for i in range(step * a.batch_size, (step + 1) * a.batch_size)]
        t0 = time.perf_counter()
        batch = model.collate(items)
        batch = batch.to(dev)
        _sync(dev)
        t1 = time.perf_counter()
        noised = model.corrupt(batch, g)
        _sync(dev)
        t2 = time.perf_counter()
        loss = model.losses(batch, noised=noised)["loss"]
        opt.zero_grad()
        loss.backward()
        opt.step()
        _sync(dev)
        t3 = time.perf_counter()
        if step >= 3:
            tot["decomposition_s"] += batch.decompose_s
            tot["layout_s"] += (t1 - t0) - batch.decompose_s
            tot["diffusion_s"] += t2 - t1
            tot["network_s"] += t3 - t2
    total = sum(tot.values())
    res["training"] = {"steps": a.steps, "batch_size": a.batch_size, "steps_per_s": round(a.steps / total, 3),
                       **{k: round(v, 3) for k, v in tot.items()},
                       "share": {k.removesuffix("_s"): round(v / total, 3) for k, v in tot.items()}}
    out = Path(a.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(res, indent=2) + "\n")
    print(json.dumps(res, indent=2))
    return res


if __name__ == "__main__":

    main()
