"""``scigen sequence --devices N``: de novo sequencing across N processes with Lightning DDP predict.

Every rank reads the spectrum files and cuts the same fixed batches as
:func:`~sciGen.proteins.sequencer.batches` (so each spectrum is decoded with the same batch-mates, and the
result equals a single-process run); a :class:`~torch.utils.data.DistributedSampler` (``shuffle=False``)
gives each rank a disjoint share of the batches, padded with repeats to an equal count.  After every
predict step the ranks' rows are gathered to rank 0, which drops repeats and rows already done, and appends
the rest to ``OUT.partial`` — so ``--resume`` works as for one process.  At the end rank 0 puts the partial
rows in input order (file, index) and finishes through :meth:`SequencingRun._finish` (atomic mzTab and
``OUT.failed.tsv``).  Only rank 0 writes files; other ranks return an empty dict.

Lightning's DDP launcher re-runs the command line in one subprocess per extra rank, so the caller's code
before :func:`run_distributed` runs on every rank.  Memory: each rank holds the preprocessed spectra of
the batches still to do (≈3 kB per spectrum).
"""
from __future__ import annotations

import logging
import os
import warnings
from pathlib import Path
from typing import Any

import pytorch_lightning as pl
import torch
from torch.utils.data import DataLoader, Dataset, DistributedSampler

from sciGen.adapter import BadRecord
from sciGen.proteins.sequencer import _PARTIAL_COLS, SequencingOptions, SequencingRun, batches, done_keys, \
    partial_row, predict_batch
from sciGen.proteins.spectrum import Spectrum


class _Batches(Dataset):
    """The fixed batches still to decode; item i is batch i (a list of preprocessed spectra)."""

    def __init__(self, chunks: list[list[Spectrum]]) -> None:
        self.chunks = chunks

    def __len__(self) -> int:
        return len(self.chunks)

    def __getitem__(self, i: int) -> list[Spectrum]:
        return self.chunks[i]


def _as_is(item: list[Spectrum]) -> list[Spectrum]:
    return item


class _Predictor(pl.LightningModule):
    """Wraps the generator for ``Trainer.predict``: a batch of spectra → partial-file rows keyed by spectrum."""

    def __init__(self, model: Any, adapter: Any, opts: SequencingOptions) -> None:
        super().__init__()
        self.model, self.adapter, self.opts = model, adapter, opts

    def transfer_batch_to_device(self, batch: Any, device: torch.device, dataloader_idx: int) -> Any:
        return batch  # spectra stay numpy; predict_batch moves the collated tensors

    def predict_step(self, batch: list[Spectrum], batch_idx: int) -> list[tuple[tuple[str, int], str]]:
        return [((p.spectrum.file, p.spectrum.index), partial_row(p))
                for p in predict_batch(self.model, self.adapter, batch, self.opts)]


class _Collect(pl.Callback):
    """After each predict step: gather every rank's rows to rank 0, which appends the new ones."""

    def __init__(self, partial: Path, console: Any) -> None:
        self.partial, self.console, self.new = partial, console, 0
        self.done: set[tuple[str, int]] = set()  # keys already in the partial file
        self.fh = None

    def on_predict_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if trainer.is_global_zero:
            self.fh = open(self.partial, "a", encoding="utf-8")
            if self.fh.tell() == 0:
                self.fh.write("\t".join(_PARTIAL_COLS) + "\n")

    def on_predict_batch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule, outputs: Any, batch: Any,
                             batch_idx: int, dataloader_idx: int = 0) -> None:
        gathered = [outputs]
        if torch.distributed.is_available() and torch.distributed.is_initialized():
            gathered = [None] * trainer.world_size
            torch.distributed.all_gather_object(gathered, outputs)
        if self.fh is None:
            return
        for rows in gathered:
            for key, line in rows:
                if key not in self.done:  # padded repeats and rows of an earlier run
                    self.done.add(key)
                    self.fh.write(line)
                    self.new += 1
        self.fh.flush()
        os.fsync(self.fh.fileno())

    def on_predict_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if self.fh is not None:
            self.fh.close()
            self.fh = None


def _sort_partial(run: SequencingRun) -> None:
    """Rewrite ``run.partial`` with its rows in input order: file (as listed), then index."""
    order = {str(Path(p)): k for k, p in enumerate(run.paths)}
    header, *rows = run.partial.read_text(encoding="utf-8").splitlines(keepends=True)

    def key(line: str) -> tuple[int, int]:
        f = line.split("\t", 2)
        return order.get(f[0], len(order)), int(f[1])
    tmp = run.partial.with_name(run.partial.name + ".tmp")
    tmp.write_text(header + "".join(sorted(rows, key=key)), encoding="utf-8")
    os.replace(tmp, run.partial)


def run_distributed(run: SequencingRun, checkpoint: str | Path | None, devices: int, console: Any, *,
                    accelerator: str = "auto", num_nodes: int = 1, model: Any = None, adapter: Any = None
                    ) -> dict[str, int]:
    """Sequence ``run`` on ``devices`` processes (× ``num_nodes``) with ``Trainer.predict`` (strategy ddp).

    ``model``/``adapter`` default to ``checkpoint`` (or the shipped one) loaded on the CPU; Lightning
    moves the model to each rank's device.  Returns the counts of :meth:`SequencingRun.run` on rank 0
    and ``{}`` on the other ranks (which write nothing)."""
    for name in ("pytorch_lightning", "lightning.pytorch", "lightning_fabric", "lightning.fabric"):
        logging.getLogger(name).setLevel(logging.WARNING)
    warnings.filterwarnings("ignore", message=".*LeafSpec")  # Lightning internals, on torch 2.9+
    collect = _Collect(run.partial, console)
    trainer = pl.Trainer(accelerator=accelerator, devices=devices, num_nodes=num_nodes, strategy="ddp",
                         callbacks=[collect], logger=False, enable_progress_bar=False,
                         enable_model_summary=False, enable_checkpointing=False, use_distributed_sampler=False)
    rank0 = trainer.global_rank == 0
    if model is None:
        from sciGen.api import load
        model, adapter = load("proteins", checkpoint=checkpoint, device="cpu")
    # rank 0 cleans the partial file (drops a torn line, or removes it without --resume) before the
    # other ranks are launched (inside trainer.predict); they only read it
    done = collect.done = run._done() if rank0 else done_keys(run.partial) if run.resume else set()
    failed: list[BadRecord] = []
    todo = [c for c in batches(run.paths, model, adapter, run.opts.batch_size, failed)
            if any((s.file, s.index) not in done for s in c)]  # a partly done batch is redone whole
    sampler = DistributedSampler(_Batches(todo), num_replicas=trainer.world_size, rank=trainer.global_rank,
                                 shuffle=False, drop_last=False)
    loader = DataLoader(_Batches(todo), batch_size=None, sampler=sampler, collate_fn=_as_is)
    if rank0:
        console.print(f"sequencing {sum(map(len, todo))} spectra in {len(todo)} batches on "
                      f"{trainer.world_size} processes", highlight=False)
    if todo:
        trainer.predict(_Predictor(model, adapter, run.opts), dataloaders=loader, return_predictions=False)
    if not rank0:
        return {}
    if not run.partial.is_file():  # nothing to do and no earlier rows
        run.partial.write_text("\t".join(_PARTIAL_COLS) + "\n", encoding="utf-8")
    _sort_partial(run)
    return run._finish(failed, collect.new)
