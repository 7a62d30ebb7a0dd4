"""Crystal validity as CDVAE (Xie et al. 2022) defines it, used by every later CSP / de novo paper.

- **structural**: the shortest interatomic distance (periodic images included) exceeds 0.5 Å and the
  cell volume exceeds 0.1 Å³;
- **compositional** (SMACT, Davies et al. 2019): some assignment of common oxidation states makes the
  reduced composition charge neutral and passes the Pauling electronegativity test; single-element
  cells and all-metal alloys count as valid.
"""
from __future__ import annotations

import itertools
from functools import lru_cache
from math import gcd

import numpy as np
from pymatgen.core import Composition, Structure

MIN_DISTANCE = 0.5  # Å
MIN_VOLUME = 0.1  # Å^3


def min_distance(s: Structure) -> float:
    """Shortest distance between two atoms of the periodic crystal (an atom and its own images included)."""
    if len(s) == 1:
        return float(min(np.linalg.norm(v) for v in _short_vectors(s)))
    d = s.distance_matrix + np.diag(np.full(len(s), np.inf))  # nearest images between distinct atoms
    lat_min = min(np.linalg.norm(v) for v in _short_vectors(s))  # an atom and its own images
    return float(min(d.min(), lat_min))


def _short_vectors(s: Structure) -> list[np.ndarray]:
    """Lattice vectors n1 a + n2 b + n3 c with n ∈ {-1, 0, 1}³ \\ 0 (the shortest is among them for a
    reduced cell)."""
    m = s.lattice.matrix
    return [np.array(n) @ m for n in itertools.product((-1, 0, 1), repeat=3) if any(n)]


def structure_reasons(s: Structure) -> list[str]:
    out = []
    if not np.isfinite(s.lattice.volume) or s.lattice.volume <= MIN_VOLUME:
        out.append(f"cell volume {s.lattice.volume:.3g} Å³ ≤ {MIN_VOLUME}")
        return out
    d = min_distance(s)
    if d <= MIN_DISTANCE:
        out.append(f"atoms overlap (shortest distance {d:.2f} Å ≤ {MIN_DISTANCE})")
    return out


@lru_cache(maxsize=65536)
def _smact_valid(symbols: tuple[str, ...], counts: tuple[int, ...]) -> bool:
    import smact
    from smact.screening import pauling_test

    if len(set(symbols)) == 1:
        return True
    if all(e in smact.metals for e in symbols):
        return True
    space = smact.element_dictionary(symbols)
    elems = [space[e] for e in symbols]
    enegs = [e.pauling_eneg for e in elems]
    threshold = max(counts)
    for ox in itertools.product(*(e.oxidation_states for e in elems)):
        if not smact.neutral_ratios(ox, stoichs=[(c,) for c in counts], threshold=threshold):  # SMACT 4: the ratios
            continue
        try:
            if pauling_test(ox, enegs):
                return True
        except TypeError:  # no electronegativity data: accepted, as in CDVAE
            return True
    return False


def composition_reasons(comp: Composition) -> list[str]:
    el = comp.element_composition
    symbols = tuple(str(e) for e in sorted(el.elements, key=lambda e: e.Z))
    counts = [int(round(el[e])) for e in symbols]
    g = 0
    for c in counts:
        g = gcd(g, c)
    counts = tuple(c // max(g, 1) for c in counts)
    try:
        ok = _smact_valid(symbols, counts)
    except Exception as e:  # noqa: BLE001 - smact has no data for the element
        return [f"SMACT cannot check {comp.reduced_formula} ({e})"]
    return [] if ok else [f"{comp.reduced_formula}: no charge-neutral, electronegativity-ordered oxidation states (SMACT)"]


def reasons(s: Structure) -> list[str]:
    """Every reason ``s`` is invalid (empty when it is valid)."""
    return structure_reasons(s) + composition_reasons(s.composition)
