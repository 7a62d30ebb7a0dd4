"""Batch de novo sequencing: spectrum files in, one peptide per usable spectrum out, nothing lost.

:func:`sequence` streams the files in order, preprocesses each spectrum as the model was trained,
decodes fixed batches with beam search and yields :class:`Prediction` s in input order; every
spectrum it cannot use is reported (file, index, reason) and the run goes on.
:class:`SequencingRun` adds what a long command needs: rows appended to ``OUT.partial`` as batches
finish, ``--resume`` that skips what is already there (batches are cut at the same places, so the
result equals an uninterrupted run's), and an atomic final mzTab plus ``OUT.failed.tsv``.
"""
from __future__ import annotations

import csv
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

import torch

from sciGen.adapter import BadRecord, ReadError
from sciGen.io import atomic_write
from sciGen.proteins.dataset import PreprocessConfig, collate_spectra, spectrum_item
from sciGen.proteins.preprocess import SkipSpectrum
from sciGen.proteins.spectrum import Prediction, Spectrum


@dataclass
class SequencingOptions:
    batch_size: int = 64
    beam_size: int = 5
    tol_ppm: float = 50.0
    isotopes: tuple[int, ...] = (0, 1)
    fixed_length: int | None = None  # benchmarking only: decode exactly this many residues


def preprocess_config(model: Any) -> PreprocessConfig:
    """The preprocessing the checkpoint was trained with (its ``train_config``), capped at the model's charges."""
    opts = getattr(model, "meta", {}).get("train_config", {}).get("data", {}).get("options", {})
    d = dict(opts.get("preprocess", {}))
    d["max_charge"] = min(d.get("max_charge", model.cfg.max_charge), model.cfg.max_charge)
    return PreprocessConfig(**d)


def iter_spectra(paths: Iterable[str | Path], adapter: Any, failed: list[BadRecord]) -> Iterator[Spectrum]:
    """Spectra of every file in order; unreadable files and bad records go to ``failed``."""
    for p in paths:
        p = Path(p)
        errors: list[BadRecord] = []
        try:
            for s in adapter.read(p, errors):
                while errors:
                    failed.append(errors.pop(0))
                yield s
        except ReadError as e:
            failed.append(BadRecord(str(p), -1, "", str(e)))
        failed.extend(errors)


def predict_batch(model: Any, adapter: Any, spectra: list[Spectrum], opts: SequencingOptions) -> list[Prediction]:
    """Decode preprocessed spectra (one forward pass + beam search) → Predictions, same order."""
    batch = collate_spectra([spectrum_item(s) for s in spectra])
    dev = model.device
    res = model.decode_spectra(batch["peaks"].to(dev), batch["peak_mask"].to(dev), batch["precursor"].to(dev),
                               beam_size=opts.beam_size, tol_ppm=opts.tol_ppm, isotopes=opts.isotopes,
                               fixed_length=opts.fixed_length)
    vocab = adapter.vocab
    return [Prediction(s, "".join(vocab.decode(r["tokens"])), float(r["score"]), list(r["aa_scores"]),
                       bool(r["mass_ok"])) for s, r in zip(spectra, res)]


def batches(paths: Iterable[str | Path], model: Any, adapter: Any, batch_size: int, failed: list[BadRecord]
            ) -> Iterator[list[Spectrum]]:
    """Preprocessed spectra cut into batches of ``batch_size`` usable spectra, in input order.
    Skipped spectra (too few peaks, missing or too high charge …) go to ``failed`` with the reason."""
    prep = preprocess_config(model)
    buf: list[Spectrum] = []
    for s in iter_spectra(paths, adapter, failed):
        try:
            buf.append(prep(s))
        except SkipSpectrum as e:
            failed.append(BadRecord(s.file, s.index, s.scan or s.title, e.reason))
            continue
        if len(buf) == batch_size:
            yield buf
            buf = []
    if buf:
        yield buf


def sequence(paths: Iterable[str | Path], *, checkpoint: str | Path | None = None, device: str = "auto",
             failed: list[BadRecord] | None = None, model: Any = None, adapter: Any = None,
             **options: Any) -> Iterator[tuple[str, str, float, list[float]]]:
    """``sciGen.proteins.sequence(paths)``: yields (spectrum id ``file:index``, peptide, score, aa scores)
    in input order; spectra it cannot use are appended to ``failed`` (if given) and skipped."""
    if model is None:
        from sciGen.api import load
        model, adapter = load("proteins", checkpoint=checkpoint, device=device)
    opts = SequencingOptions(**options)
    failed = failed if failed is not None else []
    for chunk in batches(paths, model, adapter, opts.batch_size, failed):
        for p in predict_batch(model, adapter, chunk, opts):
            yield p.spectrum.key, p.peptide, p.score, p.aa_scores


_PARTIAL_COLS = ("file", "index", "scan", "title", "precursor_mz", "charge", "rt", "peptide", "score",
                 "aa_scores", "mass_ok")


def partial_row(p: Prediction) -> str:
    """One line (with newline) of the ``OUT.partial`` file, columns ``_PARTIAL_COLS``."""
    s = p.spectrum
    return "\t".join(str(x) for x in (
        s.file, s.index, s.scan, s.title.replace("\t", " "), repr(s.precursor_mz), s.charge,
        "" if s.rt is None else repr(s.rt), p.peptide, repr(p.score),
        ",".join(f"{a:.5f}" for a in p.aa_scores), int(p.mass_ok))) + "\n"


def done_keys(partial: Path) -> set[tuple[str, int]]:
    """(file, index) of the complete rows of a partial file (read only; none if it is missing)."""
    if not partial.is_file():
        return set()
    lines = partial.read_text(encoding="utf-8").split("\n")[1:-1]  # header; text after the last newline is torn
    return {(f[0], int(f[1])) for f in (line.split("\t", 2) for line in lines)}


@dataclass
class SequencingRun:
    """``scigen sequence``: partial rows as batches finish, resume, atomic mzTab and failed.tsv."""

    paths: list[Path]
    output: Path
    opts: SequencingOptions = field(default_factory=SequencingOptions)
    resume: bool = False

    @property
    def partial(self) -> Path:
        return self.output.with_name(self.output.name + ".partial")

    @property
    def failed_path(self) -> Path:
        stem = self.output.name[: -len(self.output.suffix)] if self.output.suffix else self.output.name
        return self.output.with_name(stem + ".failed.tsv")

    def _done(self) -> set[tuple[str, int]]:
        """(file, index) of the rows already in the partial file; a torn last line from a kill is cut off."""
        self.output.parent.mkdir(parents=True, exist_ok=True)
        if not (self.resume and self.partial.is_file()):
            self.partial.unlink(missing_ok=True)
            return set()
        text = self.partial.read_text(encoding="utf-8")
        self.partial.write_text(text[: text.rfind("\n") + 1], encoding="utf-8")
        return done_keys(self.partial)

    def run(self, model: Any, adapter: Any, on_batch: Callable[[int, int], None] | None = None) -> dict[str, int]:
        """Sequence everything; returns counts.  ``on_batch(n_done, n_skipped)`` after each batch."""
        done = self._done()
        failed: list[BadRecord] = []
        new = 0
        with open(self.partial, "a", encoding="utf-8") as fh:
            if fh.tell() == 0:
                fh.write("\t".join(_PARTIAL_COLS) + "\n")
            for chunk in batches(self.paths, model, adapter, self.opts.batch_size, failed):
                todo = [s for s in chunk if (s.file, s.index) not in done]
                if todo:
                    preds = predict_batch(model, adapter, chunk, self.opts)  # whole batch: same numerics
                    for p in preds:
                        s = p.spectrum
                        if (s.file, s.index) in done:
                            continue
                        fh.write(partial_row(p))
                    fh.flush()
                    os.fsync(fh.fileno())
                    new += len(todo)
                if on_batch:
                    on_batch(len(chunk), len(failed))
        return self._finish(failed, new)

    def _finish(self, failed: list[BadRecord], new: int) -> dict[str, int]:
        from sciGen.proteins.results import write_csv, write_mztab

        preds = []
        with open(self.partial, encoding="utf-8") as fh:
            for line in list(fh)[1:]:
                r = dict(zip(_PARTIAL_COLS, line.rstrip("\n").split("\t")))
                s = Spectrum(mz=None, intensity=None, precursor_mz=float(r["precursor_mz"]), charge=int(r["charge"]),
                             file=r["file"], index=int(r["index"]), scan=r["scan"], title=r["title"],
                             rt=float(r["rt"]) if r["rt"] else None)
                aa = [float(a) for a in r["aa_scores"].split(",") if a]
                preds.append(Prediction(s, r["peptide"], float(r["score"]), aa, r["mass_ok"] == "1"))
        runs = [str(p) for p in self.paths]
        found = [p for p in preds if p.peptide]
        if self.output.suffix.lower() == ".csv":
            n = write_csv(found, self.output)
        else:
            n = write_mztab(found, self.output, ms_runs=runs)

        def write_failed(tmp: str) -> None:
            with open(tmp, "w", newline="", encoding="utf-8") as fh:
                w = csv.writer(fh, delimiter="\t", lineterminator="\n")
                w.writerow(["file", "index", "spectrum", "reason"])
                for b in failed:
                    w.writerow([b.path, b.index, b.text[:80], b.reason])
        atomic_write(self.failed_path, write_failed)
        self.partial.unlink(missing_ok=True)
        return {"written": n, "sequenced_now": new, "resumed": len(preds) - new, "failed": len(failed),
                "empty": sum(not p.peptide for p in preds)}
