"""``scigen sequence`` / ``scigen evaluate peptides`` end to end, through a subprocess."""
from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest

from sciGen.proteins.results import read_mztab
from sciGen.proteins.sequencer import SequencingOptions, SequencingRun


FAST = ("--beam-size", "1", "--device", "cpu")
N_SAMPLE = 16  # spectra in tests/proteins/data/sample.mgf


@pytest.fixture(scope="module")
def tiny_model(tiny_checkpoint: Path):
    from sciGen.api import load
    return load("proteins", checkpoint=tiny_checkpoint, device="cpu")


def psm_lines(path: Path) -> list[str]:
    return [ln for ln in path.read_text().splitlines() if ln.startswith("PSM\t")]


def read_failed(path: Path) -> list[dict]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def test_sequence_skips_and_lists_bad_input(tmp_path, bad_mgf, bad_reasons, tiny_checkpoint, run_scigen):
    broken = tmp_path / "broken.mgf.gz"
    broken.write_bytes(b"\x1f\x8b\x08\x00 not really gzip")
    missing = tmp_path / "missing.mgf"
    out = tmp_path / "results.mztab"
    r = run_scigen("sequence", bad_mgf, broken, missing, "-o", out, "--checkpoint", tiny_checkpoint,
                   "--batch-size", "8", *FAST)
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr
    rows = read_mztab(out)
    assert [(r_["ms_run"], r_["index"]) for r_ in rows] == [(1, i) for i in range(N_SAMPLE)]
    failed = read_failed(tmp_path / "results.failed.tsv")
    assert list(failed[0]) == ["file", "index", "spectrum", "reason"]
    by_index = {int(f["index"]): f for f in failed if f["file"] == str(bad_mgf)}
    assert sorted(by_index) == [16, 17, 18]
    for idx, reason in bad_reasons.items():
        assert reason in by_index[idx]["reason"], by_index[idx]
    for f in (broken, missing):
        (rec,) = [x for x in failed if x["file"] == str(f)]
        assert rec["index"] == "-1" and rec["reason"]
    assert "missing.mgf" in r.stderr and "skipped" in r.stderr


def test_sequence_resume_from_the_cli(tmp_path, sample_mgf, tiny_checkpoint, tiny_model, run_scigen):
    opts = SequencingOptions(batch_size=4, beam_size=1)
    full = tmp_path / "full.mztab"
    SequencingRun([sample_mgf], full, opts).run(*tiny_model)
    out = tmp_path / "out.mztab"
    run = SequencingRun([sample_mgf], out, opts)

    def stop(done: int, skipped: int) -> None:
        raise KeyboardInterrupt
    with pytest.raises(KeyboardInterrupt):
        run.run(*tiny_model, on_batch=stop)
    with open(run.partial, "a") as fh:  # a torn line, as a kill mid-write leaves
        fh.write(f"{sample_mgf}\t4\tF1:")
    r = run_scigen("sequence", sample_mgf, "-o", out, "--checkpoint", tiny_checkpoint, "--batch-size", "4",
                   "--resume", *FAST)
    assert r.returncode == 0, r.stderr
    assert "(4 from the earlier run)" in " ".join(r.stderr.split())
    assert psm_lines(out) == psm_lines(full)
    assert not run.partial.exists()


def test_evaluate_peptides_writes_json_and_plot(tmp_path, sample_mgf, tiny_model, run_scigen):
    res = tmp_path / "results.mztab"
    SequencingRun([sample_mgf], res, SequencingOptions(batch_size=8, beam_size=1)).run(*tiny_model)
    m, png = tmp_path / "m.json", tmp_path / "c.png"
    r = run_scigen("evaluate", "peptides", res, "--labels", sample_mgf, "--json", m, "--plot", png)
    assert r.returncode == 0, r.stderr
    metrics = json.loads(m.read_text())
    assert {"aa_precision", "aa_recall", "peptide_recall", "n_spectra"} <= set(metrics)
    assert metrics["n_spectra"] == N_SAMPLE
    assert all(0.0 <= metrics[k] <= 1.0 for k in ("aa_precision", "aa_recall", "peptide_recall"))
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("case", ["no_labels", "no_results"])
def test_evaluate_peptides_user_errors(tmp_path, sample_mgf, run_scigen, case):
    if case == "no_labels":
        res = tmp_path / "results.mztab"
        res.write_text("MTD\tmzTab-version\t1.0.0\n")
        r = run_scigen("evaluate", "peptides", res)
    else:
        r = run_scigen("evaluate", "peptides", tmp_path / "nope.mztab", "--labels", sample_mgf)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), r.stderr
    assert ("--labels" if case == "no_labels" else "nope.mztab") in lines[0]


def rounded(lines: list[str]) -> list[str]:
    return [re.sub(r"-?\d+\.\d{7,}", lambda m: f"{float(m.group()):.6f}", line) for line in lines]


def test_sequence_on_two_processes_equals_one(tmp_path, bad_mgf, sample_mgf, tiny_checkpoint, tiny_model,
                                              run_scigen):
    """``--devices 2`` (Lightning DDP predict on CPU, gloo) resuming an interrupted run gives the rows of an
    uninterrupted single-process run.  32 good spectra in batches of 4, the first one done before the
    interruption → 7 batches left, so the sampler pads rank 1 with a repeat that must be dropped."""
    import torch

    opts = SequencingOptions(batch_size=4, beam_size=1)
    one = tmp_path / "one.mztab"
    SequencingRun([bad_mgf, sample_mgf], one, opts).run(*tiny_model)
    two = tmp_path / "two.mztab"
    run = SequencingRun([bad_mgf, sample_mgf], two, opts)

    def stop(done: int, skipped: int) -> None:
        raise KeyboardInterrupt
    with pytest.raises(KeyboardInterrupt):
        run.run(*tiny_model, on_batch=stop)
    with open(run.partial, "a") as fh:  # a torn line
        fh.write(f"{bad_mgf}\t4\t")
    r = run_scigen("sequence", bad_mgf, sample_mgf, "-o", two, "--checkpoint", tiny_checkpoint, "--batch-size", "4",
                   "--devices", "2", "--resume", *FAST, timeout=120, process=True)
    assert r.returncode == 0, r.stderr
    # same peptides and rows; scores to 6 decimals (float sums differ in the last digits with the thread
    # count: each DDP rank runs one thread, this process two)
    assert rounded(psm_lines(two)) == rounded(psm_lines(one)) and len(psm_lines(one)) == 2 * N_SAMPLE
    assert read_failed(tmp_path / "two.failed.tsv") == read_failed(tmp_path / "one.failed.tsv")
    assert not run.partial.exists()
    err = " ".join(r.stderr.split())
    assert err.count("PSMs written") == 1 and "(4 from the earlier run)" in err  # reported once, by rank 0
