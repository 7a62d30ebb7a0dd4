"""Choose a shapes checkpoint's sampling settings without touching the evaluation references: mean 1-NNA-CD
over chairs, mugs, lamps and tables, 32 draws each, against 32 procedural shapes of seed 2 (the training set
is seed 0, ``bench/shapes_compare.py`` evaluates against seed 1).  One line per setting (a JSON knob dict).

    python bench/shapes_sampling_probe.py runs/shapes-mar3d-ft/model.pt '{}' '{"temperature": 1.15}'
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from shapes_compare import draw, references  # noqa: E402

from sciGen.api import load  # noqa: E402
from sciGen.shapes.geometry import sample_surface  # noqa: E402
from sciGen.shapes.metrics import distribution_metrics  # noqa: E402

CATEGORIES, N = ("chair", "mug", "lamp", "table"), 32


def main() -> None:
    ckpt, settings = sys.argv[1], [json.loads(s) for s in sys.argv[2:]] or [{}]
    rng = np.random.default_rng(5)
    refs = references(list(CATEGORIES), N, rng, seed=2)
    model, adapter = load("shapes", checkpoint=ckpt, device="cpu")
    adapter.resolution = 64
    for knobs in settings:
        t, out = time.time(), {}
        for ci, c in enumerate(CATEGORIES):
            valid, _ = draw("probe", model, adapter, c, N, 100 + ci, **knobs)
            m = distribution_metrics([sample_surface(s, 2048, rng)[0] for s in valid], refs[c])
            out[c] = round(m["1-NNA-CD"], 3)
        print(json.dumps(knobs), out, "mean", round(float(np.mean(list(out.values()))), 3),
              f"{time.time() - t:.0f} s", flush=True)


if __name__ == "__main__":
    main()
