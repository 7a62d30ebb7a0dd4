"""How precisely does UniGenX-3D place an atom?  A teacher-forced probe of the diffusion head on QM9 `val`.

Each molecule's true sequence (SMILES, ``<coords>``, its DFT coordinates) goes through the transformer once;
at every coordinate slot the diffusion head draws the atom's position given the *true* earlier atoms, under
several samplers.  Each drawn atom is scored against the true earlier atoms with EDM's bond-order rule
(:func:`sciGen.molecules.stability.bond_order`): a slot is *right* when every order it forms with an earlier
atom (0 = no bond) is the one the true geometry has.  No error compounds, so the numbers isolate the
head's precision from the rest of sampling — in seconds, where 10,000 de novo draws take an hour of CPU.
Under teacher forcing a molecule is *right* when all its slots are; de novo molecule stability follows it
(≈ slot accuracy to the power of the atom count).

    python bench/unigenx3d_precision.py --n-molecules 500     # → bench/results/unigenx3d_precision.json
    python bench/unigenx3d_precision.py --n-molecules 500 --split train --only default --out …_train.json

Samplers: the head's own ancestral DDPM (steps, value temperature), deterministic DDIM (η = 0), a
mode-seeking draw (K DDPM draws per slot, the one with the most neighbours within a 0.02 Å kernel), and with
``--guide`` autoguidance by a less-trained checkpoint of the same model.  The last three live here only: they
were measured against the DDPM default and lost (see BENCHMARKS.md).

    python bench/unigenx3d_precision.py --n-molecules 500 --only default --guide STAGE2.pt --guide-scales 1.3,2.0,2.0:1.0 \
        --out bench/results/unigenx3d_precision_autoguidance.json

``--free-running`` adds the same molecules with their true SMILES but every atom placed after the model's *own*
earlier atoms (``UniGenX.fill``, the conformer path, at the default sampler, with and without the bond constraint
the CLI uses): all pairs' EDM bond orders against the true geometry's, and EDM molecule stability.  Its gap to the
teacher-forced default is what compounding errors cost, apart from which SMILES are drawn.

    python bench/unigenx3d_precision.py --n-molecules 500 --only default --free-running --out …_free.json
"""
from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
import torch
from rich.progress import Progress

sys.path.insert(0, str(Path(__file__).resolve().parent))
from unigenx3d import QM9, reference_set  # noqa: E402

from sciGen.api import load  # noqa: E402
from sciGen.data import Sequence  # noqa: E402
from sciGen.io import atomic_write_text  # noqa: E402
from sciGen.molecules.conformer import COORDS, SCALE  # noqa: E402
from sciGen.molecules.stability import bond_order  # noqa: E402


def ddim(head, cond: torch.Tensor, steps: int, gen: torch.Generator,
         anchor: torch.Tensor | None = None) -> torch.Tensor:
    """Deterministic DDIM (η = 0) on the head's respaced schedule: cond (N, C) [, anchors (N, V)] → values (N, V)."""
    ts = torch.linspace(0, head.cfg.train_steps - 1, steps).round().long()
    acp = head.acp[ts].double()
    acp_prev = torch.cat([acp.new_ones(1), acp[:-1]])
    x = torch.randn(cond.shape[0], head.value_dim, generator=gen).double()
    for i in reversed(range(steps)):
        v = head.velocity(x.float(), ts[i].expand(len(x)), cond.float(), anchor).double()
        x0 = acp[i].sqrt() * x - (1 - acp[i]).sqrt() * v
        eps = (1 - acp[i]).sqrt() * x + acp[i].sqrt() * v
        x = acp_prev[i].sqrt() * x0 + (1 - acp_prev[i]).sqrt() * eps
    return x.float()


def mode_of(draw, cond: torch.Tensor, anchor: torch.Tensor | None, k: int, bandwidth: float) -> torch.Tensor:
    """Of ``k`` draws per row, the one with the highest Gaussian-kernel density among them: (N, V)."""
    xs = draw(cond.repeat(k, 1), None if anchor is None else anchor.repeat(k, 1))
    xs = xs.view(k, cond.shape[0], -1).transpose(0, 1)  # (N, k, V)
    dens = torch.exp(-0.5 * (torch.cdist(xs, xs) / bandwidth) ** 2).sum(-1)  # (N, k)
    return xs[torch.arange(len(xs)), dens.argmax(-1)]


def samplers(head, default: dict) -> dict:
    t = float(default.get("value_temperature", 1.0))
    n = int(default.get("diffusion_steps") or head.cfg.sample_steps)
    bw = 0.02 / SCALE
    return {  # each: (cond (N, C), anchors (N, V) or None, generator) → values (N, V)
        f"DDPM {n} steps, T {t} (the checkpoint's default)": lambda c, a, g: head.sample(c, n, t, g, anchor=a),
        f"DDPM {n} steps, T 1.0": lambda c, a, g: head.sample(c, n, 1.0, g, anchor=a),
        f"DDPM 50 steps, T {t}": lambda c, a, g: head.sample(c, 50, t, g, anchor=a),
        f"DDPM 25 steps, T {t}": lambda c, a, g: head.sample(c, 25, t, g, anchor=a),
        f"DDPM 250 steps, T {t}": lambda c, a, g: head.sample(c, 250, t, g, anchor=a),
        f"DDPM 1000 steps, T {t}": lambda c, a, g: head.sample(c, 1000, t, g, anchor=a),
        f"DDIM {n} steps": lambda c, a, g: ddim(head, c, n, g, a),
        f"DDIM 250 steps": lambda c, a, g: ddim(head, c, 250, g, a),
        f"mode of 8 DDPM draws ({n} steps, T 1.0)":
            lambda c, a, g: mode_of(lambda x, y: head.sample(x, n, 1.0, g, anchor=y), c, a, 8, bw),
        f"mode of 8 DDPM draws ({n} steps, T {t})":
            lambda c, a, g: mode_of(lambda x, y: head.sample(x, n, t, g, anchor=y), c, a, 8, bw),
    }


class Autoguided(torch.nn.Module):
    """Two heads' denoisers as one, for ``DiffusionHead.sample``: autoguidance (Karras et al. 2024, "Guiding a
    Diffusion Model with a Bad Version of Itself"), v̂ = v̂_bad + w · (v̂_good − v̂_bad), where the bad model is a
    less-trained checkpoint of the same architecture.  The condition is [h_good, h_bad] (N, 2D); projections and
    time embeddings are the two networks' side by side (N, 2W), so the head's sampler adds them as it does one."""

    def __init__(self, good: torch.nn.Module, bad: torch.nn.Module, scale: float) -> None:
        super().__init__()
        self.good, self.bad, self.scale = good, bad, scale
        self.d, self.w = good.c_emb.in_features, good.width

    def c_emb(self, cond: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.good.c_emb(cond[:, :self.d]), self.bad.c_emb(cond[:, self.d:])], -1)

    def embed_time(self, t: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.good.embed_time(t), self.bad.embed_time(t)], -1)

    def denoise(self, x: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        vg, vb = self.good.denoise(x, c[:, :self.w]), self.bad.denoise(x, c[:, self.w:])
        return vb + self.scale * (vg - vb)


def autoguided(head, guide, scale: float, steps: int, temperature: float):
    """A sampler (cond = [h_good, h_bad] (N, 2D), anchors, generator) → values (N, V): ``head`` guided by ``guide``."""
    def draw(c: torch.Tensor, a: torch.Tensor | None, g: torch.Generator) -> torch.Tensor:
        net = head.net
        head.net = Autoguided(net, guide.net, scale)
        try:
            return head.sample(c, steps, temperature, g, anchor=a)
        finally:
            head.net = net
    return draw


@torch.no_grad()
def hidden(model, b) -> torch.Tensor:
    """The transformer's states over a teacher-forced batch (B, T-1, D): the state before slot t predicts it."""
    return model.body(model.embed(b.tokens[:, :-1], b.values[:, :-1], b.value_mask[:, :-1]))


def score(pred: np.ndarray, owner: list[tuple[int, int]], symbols: list[list[str]], truth: list[np.ndarray]) -> dict:
    """pred (S, 3) Å for every slot (molecule, atom) in ``owner`` order → accuracies and a per-bond breakdown."""
    n_bonds = n_bonds_ok = 0
    slots = defaultdict(lambda: [0, 0])  # "H" / "heavy" → [right, all]
    mol_ok = np.ones(len(truth), dtype=bool)
    by_bond: dict[str, list] = defaultdict(list)  # "C=C parent" → [(signed error pm, right)]
    for (i, k), p in zip(owner, pred):
        if k == 0:
            continue
        el, t = symbols[i][k], truth[i]
        ok = True
        first = True
        for j in range(k):
            dt, ds = np.linalg.norm(t[k] - t[j]), np.linalg.norm(p - t[j])
            ot, os_ = bond_order(el, symbols[i][j], dt), bond_order(el, symbols[i][j], ds)
            if ot == 0 and os_ == 0:
                continue
            n_bonds += 1
            n_bonds_ok += ot == os_
            ok &= ot == os_
            if ot:
                role = "to its first bonded atom" if first else "ring closure"
                first = False
                by_bond[f"{symbols[i][j]}{'-=#'[ot - 1]}{el}, {role}"].append((100 * (ds - dt), ot == os_))
            else:
                by_bond["no bond, read as one"].append((100 * (ds - dt), False))
        s = slots["H" if el == "H" else "heavy"]
        s[0] += ok
        s[1] += 1
        mol_ok[i] &= ok
    errs = np.array([e for k, v in by_bond.items() if k != "no bond, read as one" for e, _ in v])
    n_slots = sum(s[1] for s in slots.values())
    return {
        "slot_right": sum(s[0] for s in slots.values()) / n_slots,
        "slot_right_H": slots["H"][0] / max(slots["H"][1], 1),
        "slot_right_heavy": slots["heavy"][0] / max(slots["heavy"][1], 1),
        "bond_order_right": n_bonds_ok / max(n_bonds, 1),
        "molecule_right": float(mol_ok.mean()),
        "bond_length_mae_pm": float(np.abs(errs).mean()),
        "bond_length_p90_pm": float(np.quantile(np.abs(errs), 0.9)),
        "_by_bond": {k: {"n": len(v), "wrong": int(sum(not r for _, r in v)),
                         "mean_error_pm": round(float(np.mean([e for e, _ in v])), 2),
                         "sd_pm": round(float(np.std([e for e, _ in v])), 2)}
                     for k, v in sorted(by_bond.items(), key=lambda kv: -len(kv[1]))},
    }


def score_free(coords: list[np.ndarray], symbols: list[list[str]], truth: list[np.ndarray]) -> dict:
    """Free-running geometries (one (n, 3) Å array per molecule, atoms in ``symbols`` order) against the true ones:
    every pair's EDM bond order compared (0 = none), as :func:`score` does slot by slot."""
    slot_ok = slot_n = heavy_ok = heavy_n = 0
    mol_ok = []
    errs = []
    for p, t, sym in zip(coords, truth, symbols):
        ok_m = True
        for k in range(1, len(sym)):
            ok = True
            for j in range(k):
                dt, dp = np.linalg.norm(t[k] - t[j]), np.linalg.norm(p[k] - p[j])
                ot, op = bond_order(sym[k], sym[j], dt), bond_order(sym[k], sym[j], dp)
                ok &= ot == op
                if ot:
                    errs.append(100 * (dp - dt))
            slot_ok += ok
            slot_n += 1
            if sym[k] != "H":
                heavy_ok += ok
                heavy_n += 1
            ok_m &= ok
        mol_ok.append(ok_m)
    errs = np.abs(np.array(errs))
    return {"slot_right": slot_ok / slot_n, "slot_right_heavy": heavy_ok / max(heavy_n, 1),
            "molecule_right": float(np.mean(mol_ok)), "bond_length_mae_pm": float(errs.mean()),
            "bond_length_p90_pm": float(np.quantile(errs, 0.9))}


def free_running(model, adapter, seqs: list[Sequence], symbols: list[list[str]], truth: list[np.ndarray],
                 default: dict, bond_check: bool) -> dict:
    """Each molecule's true tokens, every coordinate drawn by ``model.fill`` after the drawn earlier atoms."""
    from sciGen.molecules.stability import metrics_3d

    knobs = adapter.sampling_knobs(model, {})
    check = knobs.get("value_check") if bond_check else None
    t0 = time.perf_counter()
    filled = model.fill([Sequence(s.tokens, s.values, s.value_mask) for s in seqs],
                        generator=torch.Generator().manual_seed(0), value_check=check,
                        diffusion_steps=default.get("diffusion_steps"),
                        value_temperature=float(default.get("value_temperature", 1.0)))
    sec = time.perf_counter() - t0
    coords = [f.values[f.value_mask].double().numpy() * SCALE for f in filled]
    r = score_free(coords, symbols, truth)
    mols = []
    for f in filled:
        try:
            mols.append(adapter.decode(f))
        except Exception:  # noqa: BLE001 - an undecodable draw counts against stability
            mols.append(None)
    r.update({f"edm_{k}": v for k, v in metrics_3d(mols).items() if k in ("atom_stable", "mol_stable", "valid")})
    r["seconds"] = round(sec, 1)
    return r


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--checkpoint", default=None, help="default: the shipped unigenx-3d model")
    ap.add_argument("--data", default=str(QM9))
    ap.add_argument("--n-molecules", type=int, default=500)
    ap.add_argument("--seed", type=int, default=7, help="draw of molecules (the de novo / conformer bench uses 0)")
    ap.add_argument("--split", default="val", help="`train` measures how much better the model places atoms of "
                    "molecules it was trained on (99 %% of `train`; 1 %% is its hold-out)")
    ap.add_argument("--only", default="", help="run only the samplers whose name contains this")
    ap.add_argument("--free-running", nargs="?", const="on,off", default="", help="also place each molecule's "
                    "atoms after the model's own earlier atoms (what compounding costs), with the bond constraint "
                    "on, off or both (default: on,off)")
    ap.add_argument("--guide", default=None, help="autoguidance: a less-trained checkpoint of the same model (e.g. "
                    "stage 2: `git show b880991:sciGen/checkpoints/molecules-unigenx-3d.pt`); adds one sampler per "
                    "--guide-scales entry")
    ap.add_argument("--guide-scales", default="1.3,2.0", help="w[:T] entries: guidance scale, value temperature")
    ap.add_argument("--out", default="bench/results/unigenx3d_precision.json")
    a = ap.parse_args()
    if not Path(a.data).is_file():
        sys.exit(f"{a.data}: QM9 file not found (needs ../shared/data)")
    model, adapter = load("molecules", generator="unigenx-3d", checkpoint=a.checkpoint, device="cpu")
    model.eval()
    vocab, codec = adapter._vocab(), adapter.conformer
    refs = reference_set(Path(a.data), a.n_molecules, a.seed, a.split)
    seqs, symbols, truth, owner = [], [], [], []
    for i, m in enumerate(refs):
        toks, vals = codec.encode(m)
        mask = ~np.isnan(vals[:, 0])
        seqs.append(Sequence(torch.tensor(vocab.encode(toks)), torch.tensor(np.nan_to_num(vals)), torch.tensor(mask),
                             ref=torch.from_numpy(codec.anchors(toks))))
        symbols.append([t[5:-1] for t in toks[toks.index(COORDS) + 1:]])
        truth.append(np.nan_to_num(vals)[mask].astype(np.float64) * SCALE)
        owner += [(i, k) for k in range(len(symbols[-1]))]
    b = model.collate(seqs)
    slots = b.value_mask[:, 1:] & b.pad_mask[:, 1:]
    cond = hidden(model, b)[slots]  # (S, D), molecule by molecule, slot by slot
    default = dict(getattr(model, "meta", {}).get("sampling", {}))
    both, guided = None, {}
    if a.guide:  # the guide reads the same sequences: its hidden states beside the model's
        guide, _ = load("molecules", generator="unigenx-3d", checkpoint=a.guide, device="cpu")
        guide.eval()
        both = torch.cat([cond, hidden(guide, b)[slots]], -1)
        steps = int(default.get("diffusion_steps") or model.head.cfg.sample_steps)
        for spec in a.guide_scales.split(","):
            w, _, temp = spec.partition(":")
            temp = float(temp or default.get("value_temperature", 1.0))
            guided[f"autoguided by {Path(a.guide).name}, w {float(w)}, T {temp}"] = \
                autoguided(model.head, guide.head, float(w), steps, temp)
    anchor = None  # an anchored head reads each slot's anchor: the true position of the atom it names
    if model.anchored:
        anchor = b.values.gather(1, b.ref[:, 1:, None].expand(-1, -1, b.values.shape[-1]))[slots]
    result = {"checkpoint": a.checkpoint or "shipped molecules-unigenx-3d.pt", "guide": a.guide, "n_molecules": len(refs),
              "n_slots": len(cond), "split": a.split, "seed": a.seed,
              "machine": platform.processor() or platform.machine(), "torch_threads": torch.get_num_threads(),
              "samplers": {}}
    with Progress() as bar:
        todo = {k: f for k, f in {**samplers(model.head, default), **guided}.items() if a.only in k or k in guided}
        task = bar.add_task("samplers", total=len(todo))
        for name, draw in todo.items():
            gen = torch.Generator().manual_seed(0)
            t0 = time.perf_counter()
            inp = both if name in guided else cond
            with torch.no_grad():
                pred = torch.cat([draw(inp[s:s + 4096], None if anchor is None else anchor[s:s + 4096], gen)
                                  for s in range(0, len(cond), 4096)])
            sec = time.perf_counter() - t0
            r = score(pred.double().numpy() * SCALE, owner, symbols, truth)
            r["seconds"] = round(sec, 1)
            by_bond = r.pop("_by_bond")
            if "default" in name:
                result["by_bond_default_sampler"] = by_bond
            result["samplers"][name] = r
            bar.console.print(f"{name}: " + ", ".join(f"{k} {v:.4f}" for k, v in r.items()))
            bar.advance(task)
    if a.free_running:
        for on in (arm.strip() == "on" for arm in a.free_running.split(",")):
            name = f"free-running, the default sampler, bond constraint {'on' if on else 'off'}"
            r = free_running(model, adapter, seqs, symbols, truth, default, on)
            result["samplers"][name] = r
            print(f"{name}: " + ", ".join(f"{k} {v:.4f}" for k, v in r.items()))
    atomic_write_text(a.out, json.dumps(result, indent=2) + "\n")
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
