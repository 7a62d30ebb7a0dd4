"""Materials fixtures: small textbook crystals, and the CDVAE CSVs of the shared folder (skipped without it)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from pymatgen.core import Lattice, Structure

ROOT = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("SCIGEN_SHARED", ROOT.parent / "shared"))
CDVAE = SHARED / "data" / "crystals_cdvae"


def srtio3() -> Structure:
    """Cubic perovskite SrTiO3 (Pm-3m, a = 3.905 Å)."""
    return Structure(Lattice.cubic(3.905), ["Sr", "Ti", "O", "O", "O"],
                     [[0, 0, 0], [0.5, 0.5, 0.5], [0.5, 0.5, 0], [0.5, 0, 0.5], [0, 0.5, 0.5]])


def nacl() -> Structure:
    """Rock salt NaCl, primitive fcc cell."""
    return Structure(Lattice.from_parameters(3.99, 3.99, 3.99, 60, 60, 60), ["Na", "Cl"],
                     [[0, 0, 0], [0.5, 0.5, 0.5]])


def diamond() -> Structure:
    return Structure(Lattice.from_parameters(2.52, 2.52, 2.52, 60, 60, 60), ["C", "C"],
                     [[0, 0, 0], [0.25, 0.25, 0.25]])


@pytest.fixture
def crystals() -> list[Structure]:
    out = [srtio3(), nacl(), diamond()]
    for i, s in enumerate(out):
        s.properties["id"] = f"x{i}"
    return out


@pytest.fixture
def perov_csv() -> Path:
    p = CDVAE / "perov_5" / "val.csv.gz"
    if not p.is_file():
        pytest.skip(f"needs {p} (the shared data folder beside the checkout)")
    return p
