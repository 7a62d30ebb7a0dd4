"""Optional relaxation with CHGNet (Deng et al. 2023), whose pretrained weights ship in the pip package:
``scigen generate materials --relax`` relaxes each valid structure (FIRE, forces below ``fmax``) and
records its energy per atom in ``structure.properties["energy_per_atom"]`` (eV/atom)."""
from __future__ import annotations

import contextlib
import io
import warnings
from functools import lru_cache
from typing import Callable

from pymatgen.core import Structure


@lru_cache(maxsize=1)
def _relaxer(device: str):
    from chgnet.model import CHGNet, StructOptimizer
    with contextlib.redirect_stdout(io.StringIO()):
        model = CHGNet.load(verbose=False)
    return StructOptimizer(model=model, use_device=device)


def relax(structures: list[Structure], fmax: float = 0.1, steps: int = 200, device: str = "cpu",
          on_done: Callable[[int], None] | None = None) -> list[Structure]:
    """Relaxed copies of ``structures`` (a structure CHGNet cannot relax is returned unrelaxed, with
    ``properties["relax_error"]`` saying why)."""
    opt = _relaxer(device)
    out = []
    for s in structures:
        try:
            with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
                warnings.simplefilter("ignore")
                r = opt.relax(s, fmax=fmax, steps=steps, verbose=False)
            new = r["final_structure"]
            new.properties = dict(s.properties)
            new.properties["energy_per_atom"] = float(r["trajectory"].energies[-1]) / len(new)
            out.append(new)
        except Exception as e:  # noqa: BLE001 - a failure for one structure must not end the batch
            s.properties["relax_error"] = f"{type(e).__name__}: {e}"
            out.append(s)
        if on_done:
            on_done(1)
    return out
