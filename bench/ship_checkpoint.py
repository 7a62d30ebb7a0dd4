"""Copy a trained sciGen checkpoint into the package, recording measured sampling defaults in its meta.

    python bench/ship_checkpoint.py runs/shapes-g3pt/model.pt sciGen/checkpoints/shapes-g3pt.pt \
        --sampling temperature=1.0 top_k=0 cfg_scale=2.0

The weights, config and vocabulary are unchanged; ``meta["sampling"]`` is what ``scigen generate`` uses
when a knob is not given (see the model card for how the values were measured).
"""
from __future__ import annotations

import argparse

import torch

from sciGen.checkpoint import load_checkpoint
from sciGen.io import atomic_write


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("src")
    ap.add_argument("dst")
    ap.add_argument("--sampling", nargs="*", default=[], help="knob=value pairs")
    ap.add_argument("--sampling-csp", nargs="*", default=[],
                    help="materials: knob=value pairs used instead for crystal structure prediction")
    ap.add_argument("--sampling-completion", nargs="*", default=[],
                    help="shapes: knob=value pairs used instead for point-cloud completion (e.g. candidates=16)")
    ap.add_argument("--sampling-conformers", nargs="*", default=[],
                    help="molecules 3D: knob=value pairs used instead for conformers of given SMILES")
    a = ap.parse_args()
    load_checkpoint(a.src)  # validates format and version
    blob = torch.load(a.src, map_location="cpu", weights_only=True)
    keys = ("sampling", "sampling_csp", "sampling_completion", "sampling_conformers")
    for key in keys:
        if pairs := getattr(a, key):
            blob["meta"][key] = {k: float(v) if "." in v else int(v) for k, v in (kv.split("=", 1) for kv in pairs)}
    atomic_write(a.dst, lambda tmp: torch.save(blob, tmp))
    print(f"{a.dst}: " + ", ".join(f"{k} {blob['meta'].get(k, {})}" for k in keys))


if __name__ == "__main__":
    main()
