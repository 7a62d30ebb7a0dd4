"""Choose a shapes checkpoint's sampling settings without touching the evaluation references: mean 1-NNA-CD
over chairs, mugs, lamps and tables (``--categories``), ``--n`` draws each, against ``--n`` procedural shapes
of seed 2 (the training set is seed 0, ``bench/shapes_compare.py`` evaluates against seed 1).  One line per
setting (a JSON knob dict).  1-NNA grows with the sample size (nearest neighbours get closer, the classifier
sharper): ``--n 100`` matches the evaluation's scale, the default 32 is quicker and reads lower.

    python bench/shapes_sampling_probe.py runs/shapes-mar3d-ft/model.pt '{}' '{"temperature": 1.15}' [--n 100]
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from shapes_compare import draw, references, score  # noqa: E402

from sciGen.api import load  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("checkpoint")
    ap.add_argument("settings", nargs="*", type=json.loads, help="JSON knob dicts, one line each (none: '{}')")
    ap.add_argument("--n", type=int, default=32, help="draws and references per category")
    ap.add_argument("--categories", nargs="+", default=["chair", "mug", "lamp", "table"])
    a = ap.parse_args()
    rng = np.random.default_rng(5)
    refs = references(a.categories, a.n, rng, seed=2)
    model, adapter = load("shapes", checkpoint=a.checkpoint, device="cpu")
    adapter.resolution = 64
    for knobs in a.settings or [{}]:
        t, out = time.time(), {}
        for ci, c in enumerate(a.categories):
            valid, _ = draw("probe", model, adapter, c, a.n, 100 + ci, **knobs)
            out[c] = round(score(valid, a.n, refs[c], 0.0, rng)["1-NNA-CD"], 3)
        print(json.dumps(knobs), out, "mean", round(float(np.mean(list(out.values()))), 3),
              f"{time.time() - t:.0f} s", flush=True)


if __name__ == "__main__":
    main()
