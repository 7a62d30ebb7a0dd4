"""Training: config → data → Lightning Trainer (CPU/GPU, DDP) → sciGen checkpoint.

``scigen train CONFIG.yaml`` calls :func:`train`.  Lightning's own checkpoints (for ``--resume``)
go to ``OUTPUT/lightning/``; the sciGen checkpoint (config + vocabulary + weights) to
``OUTPUT/model.pt``, and a model card to ``OUTPUT/model.md``.
"""
from __future__ import annotations

import json
import os
import shlex
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from rich.console import Console
from rich.markup import escape

from sciGen import registry
from sciGen.adapter import BadRecord
from sciGen.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from sciGen.config import ConfigError, from_dict, load_yaml
from sciGen.data import PackedSequences, Vocab, VocabError, holdout_mask
from sciGen.io import atomic_write_text
from sciGen.nn.trainable import Trainable

if TYPE_CHECKING:  # Lightning is imported where training starts: load_model (sampling) does not need it
    import pytorch_lightning as pl


@dataclass
class DataConfig:
    train: str
    holdout_fraction: float = 0.01
    holdout_salt: str = "scigen"
    workers: int = 0  # 0 = all cores
    max_records: int = 0  # 0 = all
    options: dict[str, Any] = field(default_factory=dict)  # domain-specific data options (e.g. a simulator's)


@dataclass
class TrainerConfig:
    batch_size: int = 128
    max_steps: int = 1000
    max_time: str | None = None  # "DD:HH:MM:SS"
    precision: str = "32-true"
    accelerator: str = "auto"
    devices: int = 1
    num_nodes: int = 1
    strategy: str = "auto"
    val_every: int = 500
    val_batches: int = 20
    log_every: int = 50
    seed: int = 0
    num_workers: int = 0
    gradient_clip: float = 1.0
    half_export: bool = True


@dataclass
class TrainConfig:
    domain: str
    generator: str
    data: DataConfig
    model: dict[str, Any] = field(default_factory=dict)
    trainer: TrainerConfig = field(default_factory=TrainerConfig)
    init_from: str | None = None  # a sciGen checkpoint whose weights start the run (fine-tuning); fresh optimiser
    init_new: list[str] = field(default_factory=list)  # parameter-name prefixes init_from lacks: new parts, fresh


def init_weights(model: torch.nn.Module, path: str | Path, generator: str, vocab: Vocab | None = None,
                 new: Sequence[str] = ()) -> None:
    """Start ``model`` from the weights of the sciGen checkpoint at ``path`` (same generator, vocabulary and
    shapes).  Parameters whose names start with a prefix in ``new`` (a part the checkpoint's model did not
    have, e.g. ``head.refine``) keep their fresh initialisation and must be absent from the checkpoint.
    A mismatch is one clear error naming the checkpoint and what differs."""
    blob = load_checkpoint(path, generator=generator)
    if vocab is not None and list(blob["vocab"].get("tokens", [])) != list(vocab.tokens):
        theirs, ours = list(blob["vocab"].get("tokens", [])), list(vocab.tokens)
        diff = sorted(set(theirs) ^ set(ours)) or ["(same tokens, another order)"]
        raise ConfigError(f"{path}: init_from checkpoint has another vocabulary than this data "
                          f"({len(theirs)} vs {len(ours)} tokens; differing: {' '.join(diff[:8])})")
    own = model.state_dict()
    for k, v in blob["state_dict"].items():
        if k not in own or own[k].shape != v.shape:
            raise ConfigError(f"{path}: init_from checkpoint does not fit this model ({k}: "
                              f"{tuple(v.shape)} vs {tuple(own[k].shape) if k in own else 'absent'})")
        if any(k.startswith(p) for p in new):
            raise ConfigError(f"{path}: init_from checkpoint already has {k}, which init_new declares new")
    missing = sorted(k for k in set(own) - set(blob["state_dict"]) if not any(k.startswith(p) for p in new))
    if missing:
        raise ConfigError(f"{path}: init_from checkpoint lacks {missing[0]} (and {len(missing) - 1} more)")
    unused = [p for p in new if not any(k.startswith(p) for k in own)]
    if unused:
        raise ConfigError(f"init_new names no parameter of this model: {', '.join(unused)}")
    model.load_state_dict({k: v.to(own[k].dtype) for k, v in blob["state_dict"].items()}, strict=not new)


def make_trainer(tc: TrainerConfig, output: Path, enable_progress_bar: bool = True) -> pl.Trainer:
    """Lightning Trainer for CPU or GPU, one device or DDP over ``devices × num_nodes``."""
    import pytorch_lightning as pl
    from pytorch_lightning.callbacks import ModelCheckpoint
    from pytorch_lightning.loggers import CSVLogger

    ckpt = ModelCheckpoint(dirpath=output / "lightning", save_last=True, save_top_k=0,
                           every_n_train_steps=tc.val_every)
    return pl.Trainer(
        accelerator=tc.accelerator, devices=tc.devices, num_nodes=tc.num_nodes, strategy=tc.strategy,
        precision=tc.precision, max_steps=tc.max_steps, max_time=tc.max_time, max_epochs=-1,
        val_check_interval=tc.val_every, check_val_every_n_epoch=None, limit_val_batches=tc.val_batches,
        log_every_n_steps=tc.log_every, gradient_clip_val=tc.gradient_clip or None,
        callbacks=[ckpt], logger=CSVLogger(output, name="logs"), default_root_dir=output,
        enable_progress_bar=enable_progress_bar, enable_model_summary=False, num_sanity_val_steps=0,
    )


def build_model(cfg: TrainConfig, vocab: Vocab, fields: dict[str, Any] | None = None) -> Trainable:
    """Generator from the config's ``model`` section plus what the data fixes (the vocabulary, or the
    ``fields`` an adapter computes from it)."""
    model = dict(cfg.model)
    model.update(fields if fields is not None else dict(
        vocab_size=len(vocab), value_dim=vocab.value_dim, number_ids=vocab.number_ids,
        pad_id=vocab.pad_id, bos_id=vocab.bos_id, eos_id=vocab.eos_id))
    return registry.generator_class(cfg.generator)(model)


def holdout_split(records: list, data: DataConfig) -> tuple[list, list]:
    """(training, held-out) records: the held-out ones chosen by hash of their key, so the split is
    the same whatever the file order and whichever tool recomputes it."""
    hold = holdout_mask([r.key for r in records], data.holdout_fraction, data.holdout_salt)
    return [r for r, h in zip(records, hold) if not h], [r for r, h in zip(records, hold) if h]


def train(config_path: str | Path, *, data: str | None = None, output: str | Path | None = None,
          overrides: dict[str, Any] | None = None, resume: bool = False, init_from: str | Path | None = None,
          console: Console | None = None) -> Path:
    """Train a generator as the YAML config says; returns the path of the saved sciGen checkpoint."""
    console = console or Console(stderr=True)
    t0 = time.time()
    raw = load_yaml(config_path)
    cfg = from_dict(TrainConfig, raw, str(config_path))
    if data:
        cfg.data.train = data
    if init_from:
        cfg.init_from = str(init_from)
    for k, v in (overrides or {}).items():
        if v is not None:
            setattr(cfg.trainer, k, v)
    output = Path(output or Path("runs") / Path(config_path).stem)
    output.mkdir(parents=True, exist_ok=True)
    tc = cfg.trainer
    from pytorch_lightning import seed_everything

    seed_everything(tc.seed, workers=True, verbose=False)

    adapter = registry.adapter_class(cfg.domain)()
    kind = getattr(registry.generator_class(cfg.generator), "input_kind", "sequence")
    if hasattr(adapter, "training_datasets") and getattr(adapter, "streams", lambda _: True)(kind):
        return _train_streamed(cfg, raw, adapter, output, resume, console, t0)
    errors: list[BadRecord] = []
    with console.status(f"reading {cfg.data.train}"):
        records = adapter.training_records(cfg.data.train, errors, workers=cfg.data.workers or os.cpu_count() or 1,
                                           **cfg.data.options)  # domain-specific options (e.g. augmentation)
    if cfg.data.max_records:
        records = records[: cfg.data.max_records]
    rank0 = int(os.environ.get("LOCAL_RANK", "0")) == 0
    if errors and rank0:
        console.print(f"[yellow]skipped {len(errors)} bad record(s) in {escape(str(cfg.data.train))}[/yellow]")
        for e in errors[:5]:
            console.print(f"  {e}", markup=False, highlight=False)
    if not records:
        raise ConfigError(f"{cfg.data.train}: no usable records")
    train_recs, hold_recs = holdout_split(records, cfg.data)
    if cfg.init_from:  # fine-tuning keeps the checkpoint's vocabulary; records it cannot write are skipped
        vocab = Vocab.from_dict(load_checkpoint(cfg.init_from, generator=cfg.generator)["vocab"])
        n = len(train_recs)
        train_recs = [r for r in train_recs if all(t in vocab.index for t in r.tokens)]
        if len(train_recs) < n and rank0:
            console.print(f"[yellow]skipped {n - len(train_recs)} training record(s) with tokens outside the "
                          f"init_from checkpoint's vocabulary[/yellow]")
    else:
        vocab = Vocab.build((r.tokens for r in train_recs), adapter.numbers, adapter.value_dim)
    model = build_model(cfg, vocab)
    max_len = model.cfg.transformer.max_len  # <bos> + tokens + <eos> must fit
    too_long = sum(len(r.tokens) + 2 > max_len for r in train_recs)
    train_recs = [r for r in train_recs if len(r.tokens) + 2 <= max_len]
    if not train_recs:
        raise ConfigError(f"{cfg.data.train}: no record fits model.transformer.max_len {max_len}")
    hold_enc = [r for r in hold_recs if len(r.tokens) + 2 <= max_len and all(t in vocab.index for t in r.tokens)]
    if rank0:
        console.print(f"{len(train_recs)} training and {len(hold_recs)} held-out records; vocabulary {len(vocab)}"
                      + (f"; {too_long} longer than max_len dropped" if too_long else ""))
        atomic_write_text(output / "holdout.txt", "".join(r.key + "\n" for r in hold_recs))

    def pack(recs: list) -> PackedSequences:
        return PackedSequences((vocab.encode(r.tokens) for r in recs), (r.values for r in recs), vocab.value_dim,
                               (r.ref for r in recs))

    train_ds = pack(train_recs)
    del records, train_recs
    loader = torch.utils.data.DataLoader(train_ds, batch_size=tc.batch_size, shuffle=True, drop_last=True,
                                         collate_fn=model.collate, num_workers=tc.num_workers,
                                         persistent_workers=tc.num_workers > 0)
    val_loader = None
    if hold_enc:
        val_ds = pack(hold_enc[: tc.batch_size * max(1, tc.val_batches)])
        val_loader = torch.utils.data.DataLoader(val_ds, batch_size=tc.batch_size, collate_fn=model.collate)
    return _fit_and_save(cfg, raw, model, vocab, loader, val_loader, output, resume, console, t0,
                         {"n_train": len(train_ds), "n_holdout": len(hold_recs), "skipped": len(errors)})


def _fit_and_save(cfg: TrainConfig, raw: dict, model: Trainable, vocab: Vocab, loader, val_loader,
                  output: Path, resume: bool, console: Console, t0: float, data_meta: dict[str, Any],
                  extras: dict[str, Any] | None = None) -> Path:
    from sciGen.lit_module import LitModule

    tc = cfg.trainer
    trainer = make_trainer(tc, output)
    last = output / "lightning" / "last.ckpt"
    if cfg.init_from and not (resume and last.is_file()):  # a resumed run restores its own weights
        init_weights(model, cfg.init_from, cfg.generator, vocab, cfg.init_new)
        data_meta = {**data_meta, "init_from": str(cfg.init_from)}
    trainer.fit(LitModule(model), loader, val_loader, ckpt_path=str(last) if resume and last.is_file() else None)

    path = output / "model.pt"
    if trainer.is_global_zero:
        wall = time.time() - t0
        metrics = {k: float(v) for k, v in trainer.callback_metrics.items()}
        meta = {"data": str(cfg.data.train), **data_meta, "steps": int(trainer.global_step),
                "wall_time_s": round(wall, 1), "command": " ".join(shlex.quote(a) for a in sys.argv),
                "train_config": raw, "final_metrics": metrics, "torch": str(torch.__version__),
                "devices": tc.devices, "accelerator": str(trainer.accelerator.__class__.__name__)}
        save_checkpoint(path, generator=cfg.generator, domain=cfg.domain, config=asdict(model.cfg),
                        vocab=vocab.to_dict(), state_dict=model.state_dict(), meta=meta, half=tc.half_export,
                        extras=extras)
        atomic_write_text(output / "train_meta.json", json.dumps(meta, indent=2, default=str))
        console.print(f"saved {path} ({path.stat().st_size / 1e6:.1f} MB) after {trainer.global_step} steps, "
                      f"{wall:.0f} s", markup=False)
    return path


def _train_streamed(cfg: TrainConfig, raw: dict, adapter: Any, output: Path, resume: bool, console: Console,
                    t0: float) -> Path:
    """Training on data the adapter prepares itself (simulated on the fly, sampled from meshes, or
    tokenized by a learned tokenizer) rather than a record list.  The adapter may return the vocabulary
    and model fields it derived from the data, and ``extras`` to store in the checkpoint."""
    tc = cfg.trainer
    vocab = adapter.default_vocab() if hasattr(adapter, "default_vocab") else None
    console.print(f"preparing {cfg.domain} training data from {cfg.data.train}", markup=False)
    ds = adapter.training_datasets(cfg.data, vocab, cfg.model, tc.seed, generator=cfg.generator)
    vocab = ds.get("vocab", vocab)
    fields = ds.get("fields")
    model = build_model(cfg, vocab, adapter.model_fields(vocab) if fields is None else fields)
    rank0 = int(os.environ.get("LOCAL_RANK", "0")) == 0
    if rank0:
        console.print(", ".join(f"{k} {v}" for k, v in ds["info"].items()))
        atomic_write_text(output / "holdout.txt", "".join(k + "\n" for k in ds["holdout_keys"]))
    shuffle = not isinstance(ds["train"], torch.utils.data.IterableDataset)
    collate_fn = ds.get("collate") or model.collate  # the adapter's, or the generator's own (<bos>/<eos> wrapping)
    loader = torch.utils.data.DataLoader(ds["train"], batch_size=tc.batch_size, collate_fn=collate_fn,
                                         shuffle=shuffle, drop_last=shuffle, num_workers=tc.num_workers,
                                         persistent_workers=tc.num_workers > 0)
    val_loader = torch.utils.data.DataLoader(ds["val"], batch_size=tc.batch_size, collate_fn=collate_fn)
    return _fit_and_save(cfg, raw, model, vocab, loader, val_loader, output, resume, console, t0, ds["info"],
                         ds.get("extras"))


def load_model(path: str | Path, domain: str | None = None, device: str | torch.device = "cpu"):
    """(generator, adapter) from a sciGen checkpoint, ready to sample."""
    blob = load_checkpoint(path, domain=domain)
    cls = registry.generator_class(blob["generator"])
    model = cls(blob["config"])
    model.load_state_dict(blob["state_dict"])
    model.to(device).eval()
    try:
        adapter = registry.adapter_class(blob["domain"])(Vocab.from_dict(blob["vocab"]))
        if hasattr(adapter, "load_extras"):
            adapter.load_extras(blob.get("extras", {}), device, model)
    except VocabError as e:
        raise CheckpointError(f"{path}: {e}") from None
    model.meta = blob.get("meta", {})
    return model, adapter
