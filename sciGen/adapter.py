"""What every domain adapter offers, and the small records they exchange with the core.

An adapter maps structures ↔ token Sequences and validates structures.  File formats plug in
as :class:`Format` records (name, glob patterns, read, write) rather than an if/elif chain.
"""
from __future__ import annotations

import fnmatch
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

import numpy as np
import torch

from sciGen.data import Sequence, Vocab


class DecodeError(ValueError):
    """A generated Sequence does not decode to a valid structure; ``text`` keeps what was generated and
    ``structure`` the decoded structure when it decoded but failed validation (for ``--keep-invalid``)."""

    def __init__(self, reason: str, text: str = "", structure: Any = None) -> None:
        super().__init__(reason)
        self.reason, self.text, self.structure = reason, text, structure


class ReadError(ValueError):
    """A file cannot be read at all (missing, unknown format, no usable column)."""


@dataclass
class BadRecord:
    """One skipped input record: where it was and why."""

    path: str
    index: int
    text: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}:{self.index}: {self.reason}: {self.text[:80]!r}"


@dataclass
class Validity:
    ok: bool
    reasons: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return self.ok


@dataclass
class Format:
    """A file format: ``read(path, errors) -> Iterator[structure]``, ``write(structures, path)``."""

    name: str
    patterns: tuple[str, ...]
    read: Callable[[Path, list[BadRecord] | None], Iterator[Any]]
    write: Callable[[Iterable[Any], Path], int] | None = None

    def matches(self, path: str | Path) -> bool:
        name = Path(path).name.lower()
        return any(fnmatch.fnmatch(name, p) for p in self.patterns)


@dataclass
class TrainingRecord:
    """What a generator trains on, before ids: a split key, token strings, optional values (T, V) and optional
    per-position references (T,) int (``Sequence.ref``, e.g. a number slot's anchor position, −1 for none)."""

    key: str
    tokens: list[str]
    values: np.ndarray | None = None
    ref: np.ndarray | None = None


class Adapter(ABC):
    """Base class: a domain lists its formats; ``read``/``write`` dispatch on the file name."""

    domain: str = ""
    formats: tuple[Format, ...] = ()
    numbers: tuple[str, ...] = ()  # number-slot tokens of this domain
    value_dim: int = 0

    def __init__(self, vocab: Vocab | None = None) -> None:
        self.vocab = vocab

    def format_for(self, path: str | Path, writing: bool = False) -> Format:
        for f in self.formats:
            if f.matches(path) and (not writing or f.write is not None):
                return f
        names = ", ".join(p for f in self.formats if not writing or f.write for p in f.patterns)
        raise ReadError(f"{path}: unsupported file type for {self.domain} (use {names})")

    def read(self, path: str | Path, errors: list[BadRecord] | None = None) -> Iterator[Any]:
        """Structures in ``path``.  Bad records go to ``errors`` (skipped) or, if it is None, raise."""
        path = Path(path)
        if not path.is_file():
            raise ReadError(f"{path}: file not found")
        return self.format_for(path).read(path, errors)

    def write(self, structures: Iterable[Any], path: str | Path) -> int:
        """Write structures atomically; returns how many were written."""
        return self.format_for(path, writing=True).write(structures, Path(path))

    def encode(self, structure: Any) -> Sequence:
        """Structure → Sequence of this adapter's vocabulary ids (values at number slots)."""
        rec = self.training_record(structure)
        tokens = torch.tensor(self._vocab().encode(rec.tokens), dtype=torch.long)
        if rec.values is None:
            return Sequence(tokens)
        v = torch.as_tensor(rec.values, dtype=torch.float32)
        return Sequence(tokens, torch.nan_to_num(v), ~torch.isnan(v).any(-1))

    @staticmethod
    def task_defaults(model: Any, knobs: dict[str, Any], key: str) -> dict[str, Any]:
        """``knobs`` with those left out (None) taken from the checkpoint's measured defaults for one task,
        ``meta[key]`` (e.g. ``sampling_csp``, ``sampling_completion``; set by bench/ship_checkpoint.py)."""
        task = getattr(model, "meta", {}).get(key, {})
        return {**knobs, **{k: v for k, v in task.items() if knobs.get(k) is None}}

    def _vocab(self) -> Vocab:
        if self.vocab is None:
            raise ValueError(f"the {self.domain} adapter has no vocabulary yet (load a checkpoint first)")
        return self.vocab

    @abstractmethod
    def training_record(self, structure: Any) -> TrainingRecord:
        """Structure → split key + token strings (+ values)."""

    @abstractmethod
    def decode(self, seq: Sequence) -> Any:
        """Sequence → structure; raises :class:`DecodeError` with the reason."""

    @abstractmethod
    def validate(self, structure: Any) -> Validity:
        """Is the structure chemically / geometrically sound, and if not, why."""

    @abstractmethod
    def metrics(self, generated: list[Any], reference: list[Any], **kw: Any) -> dict[str, float]:
        """The field's standard metrics of generated vs reference structures."""

    def training_records(self, path: str | Path, errors: list[BadRecord] | None = None,
                         workers: int = 1) -> list[TrainingRecord]:
        return [self.training_record(s) for s in self.read(path, errors)]

