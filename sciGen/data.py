"""Sequences, batches and vocabularies: the contract between adapters and generators.

An adapter turns one structure into a :class:`Sequence`; a generator trains on padded
:class:`Batch` es and samples new Sequences, which the adapter decodes.  Positions whose
token is a *number slot* also carry a continuous vector in ``values`` (``value_mask`` True).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, fields
from typing import Iterable, Sequence as Seq

import numpy as np
import torch

PAD, BOS, EOS, UNK = "<pad>", "<bos>", "<eos>", "<unk>"
SPECIALS = (PAD, BOS, EOS, UNK)


class VocabError(ValueError):
    """A vocabulary does not match the data or the checkpoint."""


@dataclass
class Vocab:
    """Token strings ↔ ids.  Ids 0..3 are ``<pad> <bos> <eos> <unk>``.

    ``numbers`` names the tokens that are number slots: at those positions a Sequence
    carries a continuous value of width ``value_dim``.
    """

    tokens: list[str]
    numbers: list[str] = field(default_factory=list)
    value_dim: int = 0

    def __post_init__(self) -> None:
        if tuple(self.tokens[: len(SPECIALS)]) != SPECIALS:
            self.tokens = list(SPECIALS) + [t for t in self.tokens if t not in SPECIALS]
        if len(set(self.tokens)) != len(self.tokens):
            raise VocabError("vocabulary has duplicate tokens")
        self.index = {t: i for i, t in enumerate(self.tokens)}
        missing = [t for t in self.numbers if t not in self.index]
        if missing:
            raise VocabError(f"number tokens {missing} are not in the vocabulary")
        if self.numbers and self.value_dim < 1:
            raise VocabError("a vocabulary with number tokens needs value_dim >= 1")

    @classmethod
    def build(cls, token_lists: Iterable[Seq[str]], numbers: Seq[str] = (), value_dim: int = 0,
              min_count: int = 1) -> "Vocab":
        """Vocabulary of every token seen at least ``min_count`` times, sorted for determinism."""
        counts: dict[str, int] = {}
        for toks in token_lists:
            for t in toks:
                counts[t] = counts.get(t, 0) + 1
        kept = sorted(t for t, c in counts.items() if c >= min_count and t not in SPECIALS)
        return cls(list(SPECIALS) + kept, list(numbers), value_dim)

    def __len__(self) -> int:
        return len(self.tokens)

    @property
    def pad_id(self) -> int:
        return 0

    @property
    def bos_id(self) -> int:
        return 1

    @property
    def eos_id(self) -> int:
        return 2

    @property
    def unk_id(self) -> int:
        return 3

    @property
    def number_ids(self) -> list[int]:
        return [self.index[t] for t in self.numbers]

    def encode(self, tokens: Seq[str], strict: bool = True) -> list[int]:
        """Token strings → ids.  Unknown tokens raise (``strict``) or map to ``<unk>``."""
        out = []
        for t in tokens:
            i = self.index.get(t)
            if i is None:
                if strict:
                    raise VocabError(f"unknown token {t!r}")
                i = self.unk_id
            out.append(i)
        return out

    def decode(self, ids: Iterable[int]) -> list[str]:
        return [self.tokens[int(i)] for i in ids]

    def to_dict(self) -> dict:
        return {"tokens": list(self.tokens), "numbers": list(self.numbers), "value_dim": self.value_dim}

    @classmethod
    def from_dict(cls, d: dict) -> "Vocab":
        return cls(list(d["tokens"]), list(d.get("numbers", [])), int(d.get("value_dim", 0)))


@dataclass
class Sequence:
    """One structure as a sequence of ``T`` positions.

    tokens: (T,) int64; values: (T, V) float32 or None; value_mask: (T,) bool or None.
    Optional per-position ints a generator may read: level, block, ref — each (T,) int64.
    A graph Sequence (PARD) also has ``edges`` (T, T) int64: the edge type id of each node pair (0 = none);
    its ``tokens`` are then the node type ids of the adapter's graph vocabulary.
    """

    tokens: torch.Tensor
    values: torch.Tensor | None = None
    value_mask: torch.Tensor | None = None
    level: torch.Tensor | None = None
    block: torch.Tensor | None = None
    ref: torch.Tensor | None = None
    edges: torch.Tensor | None = None

    def __len__(self) -> int:
        return int(self.tokens.shape[0])

    def __post_init__(self) -> None:
        T = len(self)
        for f in ("values", "value_mask", "level", "block", "ref"):
            v = getattr(self, f)
            if v is not None and v.shape[0] != T:
                raise ValueError(f"Sequence.{f} has length {v.shape[0]}, tokens have {T}")
        if self.edges is not None and tuple(self.edges.shape) != (T, T):
            raise ValueError(f"Sequence.edges has shape {tuple(self.edges.shape)}, expected ({T}, {T})")


_OPTIONAL_INT = ("level", "block", "ref")


@dataclass
class Batch:
    """Padded batch.  tokens (B, T); pad_mask (B, T) True at real positions;
    values (B, T, V) and value_mask (B, T) when any Sequence has values;
    level / block / ref (B, T) when present (padded with 0)."""

    tokens: torch.Tensor
    pad_mask: torch.Tensor
    values: torch.Tensor | None = None
    value_mask: torch.Tensor | None = None
    level: torch.Tensor | None = None
    block: torch.Tensor | None = None
    ref: torch.Tensor | None = None

    def to(self, device: torch.device | str) -> "Batch":
        return Batch(**{f.name: (None if getattr(self, f.name) is None else getattr(self, f.name).to(device))
                        for f in fields(self)})

    def __len__(self) -> int:
        return int(self.tokens.shape[0])


def collate(seqs: list[Sequence], pad_id: int = 0, value_dim: int | None = None) -> Batch:
    """Pad a list of Sequences into a :class:`Batch` (right padding)."""
    B, T = len(seqs), max(len(s) for s in seqs)
    tokens = torch.full((B, T), pad_id, dtype=torch.long)
    pad_mask = torch.zeros(B, T, dtype=torch.bool)
    has_values = value_dim is not None and value_dim > 0 or any(s.values is not None for s in seqs)
    V = value_dim or next((s.values.shape[-1] for s in seqs if s.values is not None), 0)
    values = torch.zeros(B, T, V) if has_values else None
    value_mask = torch.zeros(B, T, dtype=torch.bool) if has_values else None
    extra = {k: torch.zeros(B, T, dtype=torch.long) for k in _OPTIONAL_INT
             if any(getattr(s, k) is not None for s in seqs)}
    for i, s in enumerate(seqs):
        n = len(s)
        tokens[i, :n] = s.tokens
        pad_mask[i, :n] = True
        if s.values is not None:
            values[i, :n] = s.values
            value_mask[i, :n] = s.value_mask if s.value_mask is not None else True
        for k, t in extra.items():
            if getattr(s, k) is not None:
                t[i, :n] = getattr(s, k)
    return Batch(tokens, pad_mask, values, value_mask, **extra)


def _offsets(lengths: list[int]) -> np.ndarray:
    """Start of each record in a flat array, plus the end: (len(lengths) + 1,) int64."""
    out = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=out[1:])
    return out


class PackedSequences(torch.utils.data.Dataset):
    """Many Sequences stored flat (one token array + offsets) — compact for millions of records.

    Built from token-id lists, optional per-position values and optional per-position references
    (``Sequence.ref``); ``__getitem__`` returns a Sequence.
    """

    def __init__(self, token_lists: Iterable[Seq[int]], value_lists: Iterable[np.ndarray | None] | None = None,
                 value_dim: int = 0, ref_lists: Iterable[np.ndarray | None] | None = None) -> None:
        toks = [np.asarray(t, dtype=np.int32) for t in token_lists]
        self.offsets = _offsets([len(t) for t in toks])
        self.tokens = np.concatenate(toks) if toks else np.zeros(0, np.int32)
        self.value_dim = value_dim
        self.values = None
        if value_lists is not None and value_dim > 0:
            vals = np.full((len(self.tokens), value_dim), np.nan, dtype=np.float32)
            for i, v in enumerate(value_lists):
                if v is not None:
                    vals[self.offsets[i]:self.offsets[i + 1]] = v
            self.values = vals
        self.ref = None
        if ref_lists is not None:
            refs = list(ref_lists)
            if any(r is not None for r in refs):
                self.ref = np.full(len(self.tokens), -1, dtype=np.int32)
                for i, r in enumerate(refs):
                    if r is not None:
                        self.ref[self.offsets[i]:self.offsets[i + 1]] = r

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)

    def __getitem__(self, i: int) -> Sequence:
        a, b = self.offsets[i], self.offsets[i + 1]
        tokens = torch.from_numpy(self.tokens[a:b].astype(np.int64))
        ref = None if self.ref is None else torch.from_numpy(self.ref[a:b].astype(np.int64))
        if self.values is None:
            return Sequence(tokens, ref=ref)
        v = torch.from_numpy(self.values[a:b])
        mask = ~torch.isnan(v).any(-1)
        return Sequence(tokens, torch.nan_to_num(v), mask, ref=ref)


def holdout_mask(keys: Iterable[str], fraction: float, salt: str = "scigen") -> np.ndarray:
    """Deterministic split independent of file order: True for keys whose salted md5 falls
    in the first ``fraction`` of hash space.  Used to carve validation sets from training files."""
    cut = int(fraction * 2**32)
    return np.array([int.from_bytes(hashlib.md5((salt + k).encode()).digest()[:4], "big") < cut for k in keys],
                    dtype=bool)


class PackedGraphs(torch.utils.data.Dataset):
    """Many small graphs stored flat: node ids (one array + offsets) and each graph's dense N×N edge ids
    (one array + offsets).  ``__getitem__`` returns a graph :class:`Sequence` (tokens + edges)."""

    def __init__(self, graphs: Iterable[tuple[np.ndarray, np.ndarray]]) -> None:
        nodes, edges = [], []
        for x, adj in graphs:
            nodes.append(np.asarray(x, dtype=np.int8))
            edges.append(np.asarray(adj, dtype=np.int8).reshape(-1))
        self.offsets = _offsets([len(x) for x in nodes])
        self.edge_offsets = _offsets([len(x) ** 2 for x in nodes])
        self.nodes = np.concatenate(nodes) if nodes else np.zeros(0, np.int8)
        self.edges = np.concatenate(edges) if edges else np.zeros(0, np.int8)

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)

    def __getitem__(self, i: int) -> Sequence:
        a, b = self.offsets[i], self.offsets[i + 1]
        n = b - a
        x = torch.from_numpy(self.nodes[a:b].astype(np.int64))
        e = torch.from_numpy(self.edges[self.edge_offsets[i]:self.edge_offsets[i + 1]].astype(np.int64))
        return Sequence(x, edges=e.view(n, n))
