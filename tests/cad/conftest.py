"""CAD fixtures: the real STEP samples of the shared data folder (skipped without it)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("SCIGEN_SHARED", ROOT.parent / "shared"))
SOLIDS = SHARED / "data" / "cad_brep_samples" / "brepnet_test_solids"


@pytest.fixture
def real_solids() -> Path:
    if not SOLIDS.is_dir():
        pytest.skip(f"needs {SOLIDS} (the shared data folder beside the checkout)")
    return SOLIDS
