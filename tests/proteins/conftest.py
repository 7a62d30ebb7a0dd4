"""Fixtures for the proteins tests: a tiny random-weight peptide checkpoint and MGFs with bad records."""
from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parent / "data"
SAMPLE_MGF = DATA / "sample.mgf"
N_SAMPLE = 16  # spectra in sample.mgf, all usable

# three bad records appended after the 16 good ones: a corrupt peak line, no peaks, no CHARGE
BAD_BLOCKS = """\
BEGIN IONS
TITLE=corrupt
PEPMASS=500.25
CHARGE=2+
100.1 5.0
abc def
END IONS
BEGIN IONS
TITLE=nopeaks
PEPMASS=600.3
CHARGE=2+
END IONS
BEGIN IONS
TITLE=nocharge
PEPMASS=451.25348
{peaks}END IONS
"""
BAD_REASONS = {"corrupt": "bad peak line", "nopeaks": "no peaks", "nocharge": "missing charge"}


@pytest.fixture
def bad_reasons() -> dict[int, str]:
    """Index in ``bad_mgf`` → words its failed.tsv reason must contain."""
    return {16 + i: r for i, r in enumerate(BAD_REASONS.values())}


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny BidirPeptide with random weights, saved as a sciGen checkpoint (decodes junk, fast)."""
    import torch

    from sciGen.checkpoint import save_checkpoint
    from sciGen.generators.bidir_peptide import BidirPeptide
    from sciGen.proteins.adapter import ProteinsAdapter

    torch.manual_seed(0)
    vocab = ProteinsAdapter.default_vocab()
    cfg = dict(d_model=32, n_heads=2, d_ff=64, encoder_layers=1, nar_layers=1, ar_layers=1, nar_positions=40,
               max_len=32, **ProteinsAdapter().model_fields(vocab))
    model = BidirPeptide(cfg)
    path = tmp_path_factory.mktemp("ckpt") / "tiny_peptide.pt"
    save_checkpoint(path, generator="bidir_peptide", domain="proteins", config=dataclasses.asdict(model.cfg),
                    vocab=vocab.to_dict(), state_dict=model.state_dict(), meta={})
    return path


@pytest.fixture
def sample_mgf(tmp_path: Path) -> Path:
    """A copy of the 16 labelled real spectra."""
    p = tmp_path / "sample.mgf"
    shutil.copy(SAMPLE_MGF, p)
    return p


@pytest.fixture
def bad_mgf(tmp_path: Path) -> Path:
    """The 16 good spectra (indices 0–15) then three bad ones (16 corrupt, 17 no peaks, 18 no CHARGE)."""
    text = SAMPLE_MGF.read_text()
    first = text[text.index("BEGIN IONS"): text.index("END IONS")]
    peaks = "".join(ln + "\n" for ln in first.splitlines() if ln[:1].isdigit())
    p = tmp_path / "mixed.mgf"
    p.write_text(text.rstrip("\n") + "\n" + BAD_BLOCKS.format(peaks=peaks))
    return p


@pytest.fixture
def make_spectra():
    """``make_spectra(n, path)``: n small synthetic spectra (charges 2, 3, 0 in turn; the second unlabelled)."""
    import numpy as np

    from sciGen.proteins.spectrum import Spectrum

    def spectra(n: int = 3, path: str = "") -> list[Spectrum]:
        rng = np.random.default_rng(0)
        out = []
        for i in range(n):
            m = np.sort(rng.uniform(100, 1500, 10 + i))
            out.append(Spectrum(m, rng.uniform(0, 1e4, m.size), 400.0 + i * 0.123456789, (2, 3, 0)[i % 3],
                                file=path, index=i, scan=f"F1:{100 + i}", title=f"t{i}",
                                peptide="PEPC[Carbamidomethyl]IDEK" if i != 1 else None, rt=12.5 + i))
        return out
    return spectra
