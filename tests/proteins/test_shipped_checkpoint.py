"""Quality floor of the shipped peptide sequencing checkpoint on real spectra it never trained on
(the full numbers, and the AR-only ablation, are in its model card and bench/results/peptide_accuracy.json)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from sciGen.api import load
from sciGen.proteins.metrics import peptide_metrics
from sciGen.proteins.sequencer import sequence
from sciGen.registry import default_checkpoint

ROOT = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("SCIGEN_SHARED", ROOT.parent / "shared"))
SAMPLE = ROOT / "tests" / "proteins" / "data" / "sample.mgf"
REAL = SHARED / "data" / "peptide_msms" / "casanovo_sample_preprocessed_spectra.mgf.gz"


@pytest.fixture(scope="module")
def shipped():
    return load("proteins", device="cpu")


def _score(path: Path, model, adapter) -> dict:
    labels = {s.key: s.peptide for s in adapter.read(path, [])}
    preds = {k: pep for k, pep, _, _ in sequence([path], model=model, adapter=adapter, beam_size=5)}
    return peptide_metrics([(preds.get(k), t) for k, t in labels.items()])


def test_card_sits_beside_checkpoint() -> None:
    p = default_checkpoint("proteins")
    assert p.is_file() and p.stat().st_size < 12e6
    card = p.with_suffix(".md").read_text()
    for word in ("scigen train", "steps", "wall", "aa_precision", "peptide_recall", "ablation"):
        assert word in card


def test_shipped_model_sequences_the_bundled_sample(shipped) -> None:
    """16 real spectra shipped with the tests: every one gets a peptide; floors well under the measured values."""
    model, adapter = shipped
    m = _score(SAMPLE, model, adapter)
    assert m["n_spectra"] == 16 and m["n_predicted"] == 16
    assert m["aa_precision"] >= 0.30


def test_shipped_model_quality_floor_on_128_real_spectra(shipped) -> None:
    if not REAL.is_file():
        pytest.skip(f"needs {REAL} (the shared data folder beside the checkout)")
    model, adapter = shipped
    m = _score(REAL, model, adapter)
    assert m["n_spectra"] == 128
    assert m["aa_precision"] >= 0.30 and m["peptide_recall"] >= 0.10  # the floors
