"""A Lightning resume checkpoint of ``scigen train`` (``OUTPUT/lightning/last.ckpt``: the model under ``model.``) →
a sciGen checkpoint, taking generator, domain, config, vocabulary and meta from another sciGen checkpoint of the
same model (e.g. the run's init_from or a finished sibling run).  For measuring a run stopped before it saved.

    python bench/lightning_to_checkpoint.py runs/ctxnoise-control/lightning/last.ckpt runs/ctxnoise.pt \
        runs/ctxnoise-control-1000.pt
"""
from __future__ import annotations

import argparse

import torch

from sciGen.checkpoint import load_checkpoint, save_checkpoint


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("lightning_ckpt")
    ap.add_argument("template", help="a sciGen checkpoint of the same model: config, vocabulary, sampling meta")
    ap.add_argument("dst")
    a = ap.parse_args()
    ck = torch.load(a.lightning_ckpt, map_location="cpu", weights_only=True)
    sd = {k[len("model."):]: v for k, v in ck["state_dict"].items() if k.startswith("model.")}
    if not sd:
        raise SystemExit(f"{a.lightning_ckpt}: no weights under 'model.' (not a sciGen LitModule checkpoint)")
    t = load_checkpoint(a.template)
    meta = {**t.get("meta", {}), "steps": int(ck["global_step"]), "converted_from": a.lightning_ckpt}
    save_checkpoint(a.dst, generator=t["generator"], domain=t["domain"], config=t["config"], vocab=t["vocab"],
                    state_dict=sd, meta=meta, half=True)
    print(f"{a.dst}: step {ck['global_step']}, {len(sd)} tensors")


if __name__ == "__main__":
    main()
