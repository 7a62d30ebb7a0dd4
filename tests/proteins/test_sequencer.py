"""Batch sequencing in-process: input order across files, resume after an interruption, the Python API."""
from __future__ import annotations

from pathlib import Path

import pytest

from sciGen.proteins.results import read_mztab
from sciGen.proteins.sequencer import SequencingOptions, SequencingRun

OPTS = SequencingOptions(batch_size=4, beam_size=1)


@pytest.fixture(scope="module")
def tiny_model(tiny_checkpoint: Path):
    from sciGen.api import load
    return load("proteins", checkpoint=tiny_checkpoint, device="cpu")


def psm_lines(path: Path) -> list[str]:
    return [ln for ln in path.read_text().splitlines() if ln.startswith("PSM\t")]


class Interrupt:
    """``on_batch`` callback that raises KeyboardInterrupt after ``n`` batches, like Ctrl-C."""

    def __init__(self, n: int = 1) -> None:
        self.n = n

    def __call__(self, done: int, skipped: int) -> None:
        self.n -= 1
        if self.n == 0:
            raise KeyboardInterrupt


def test_order_and_spectra_ref_across_two_files(tmp_path, bad_mgf, sample_mgf, tiny_model):
    from sciGen.proteins.adapter import ProteinsAdapter

    # a second file holding spectra 8..15 of the sample, so index N there is spectrum N+8 of the first
    text = sample_mgf.read_text()
    blocks = text.split("BEGIN IONS")[1:]
    second = tmp_path / "second.mgf"
    second.write_text("".join("BEGIN IONS" + b for b in blocks[8:]))
    out = tmp_path / "res.mztab"
    counts = SequencingRun([bad_mgf, second], out, SequencingOptions(batch_size=5, beam_size=1)).run(*tiny_model)
    rows = read_mztab(out)
    assert counts["failed"] == 3
    assert [(r["ms_run"], r["index"]) for r in rows] == [(1, i) for i in range(16)] + [(2, i) for i in range(8)]
    spectra = {(str(f.resolve()), s.index): s for f in (bad_mgf, second) for s in ProteinsAdapter().read(f, [])}
    for r in rows:
        s = spectra[(str(Path(r["file"]).resolve()), r["index"])]
        assert r["exp_mass_to_charge"] == pytest.approx(s.precursor_mz, abs=1e-9)
        assert r["charge"] == s.charge
    assert [r["exp_mass_to_charge"] for r in rows[16:]] == [r["exp_mass_to_charge"] for r in rows[8:16]]


def test_resume_after_interrupt_equals_uninterrupted_run(tmp_path, sample_mgf, tiny_model):
    full = tmp_path / "full.mztab"
    SequencingRun([sample_mgf], full, OPTS).run(*tiny_model)
    want = psm_lines(full)
    assert len(want) == 16

    out = tmp_path / "out.mztab"
    run = SequencingRun([sample_mgf], out, OPTS)
    with pytest.raises(KeyboardInterrupt):
        run.run(*tiny_model, on_batch=Interrupt(1))
    assert not out.exists()
    assert len(run.partial.read_text().splitlines()) == 1 + 4  # header + the first batch
    counts = SequencingRun([sample_mgf], out, OPTS, resume=True).run(*tiny_model)
    assert (counts["resumed"], counts["sequenced_now"]) == (4, 12)
    assert psm_lines(out) == want
    assert not run.partial.exists()


def test_resume_drops_a_torn_last_line(tmp_path, sample_mgf, tiny_model):
    full = tmp_path / "full.mztab"
    SequencingRun([sample_mgf], full, OPTS).run(*tiny_model)
    out = tmp_path / "out.mztab"
    run = SequencingRun([sample_mgf], out, OPTS)
    with pytest.raises(KeyboardInterrupt):
        run.run(*tiny_model, on_batch=Interrupt(2))
    lines = run.partial.read_text().splitlines(keepends=True)
    assert len(lines) == 1 + 8
    # the kill came while the 8th row was being written: only half of it reached the disk
    run.partial.write_text("".join(lines[:-1]) + lines[-1][: len(lines[-1]) // 2])
    counts = SequencingRun([sample_mgf], out, OPTS, resume=True).run(*tiny_model)
    assert (counts["resumed"], counts["sequenced_now"]) == (7, 9)
    assert psm_lines(out) == psm_lines(full)
    assert not run.partial.exists()


def test_resume_without_partial_file_is_a_fresh_run(tmp_path, sample_mgf, tiny_model):
    out = tmp_path / "out.mztab"
    counts = SequencingRun([sample_mgf], out, OPTS, resume=True).run(*tiny_model)
    assert (counts["resumed"], counts["sequenced_now"], counts["written"]) == (0, 16, 16)


def test_python_api_yields_id_peptide_score_aa_scores(sample_mgf, tiny_checkpoint):
    import sciGen.proteins
    from sciGen.proteins.residues import tokenize

    res = list(sciGen.proteins.sequence([sample_mgf], checkpoint=tiny_checkpoint, device="cpu", beam_size=1,
                                        batch_size=8))
    assert [r[0] for r in res] == [f"{sample_mgf}:{i}" for i in range(16)]
    for sid, peptide, score, aa_scores in res:
        assert isinstance(peptide, str) and isinstance(score, float)
        assert -1.0 <= score <= 1.0
        assert len(aa_scores) == len(tokenize(peptide)), (sid, peptide)
        assert all(0.0 <= a <= 1.0 for a in aa_scores)
