"""What ``scigen train`` feeds the CAD models (``CADAdapter.training_datasets``).

- ``generator: fsq_autoencoder`` with ``data.options.kind: face | edge``: the normalised canonical grids
  of the cached parts (:mod:`sciGen.cad.dataset`); the hold-out is by part, hashed on its key.
- ``generator: autobrep`` with ``data.options.face_tokenizer`` / ``edge_tokenizer`` (autoencoder
  checkpoints): every cached part as its AutoBrep sequence; both autoencoders (and the token spec) are
  stored in the checkpoint's ``extras``.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from sciGen.adapter import ReadError
from sciGen.data import Vocab


def _split(cache: dict[str, Any], data: Any) -> tuple[np.ndarray, np.ndarray, list[str]]:
    from sciGen.data import holdout_mask
    keys = [str(k) for k in cache["keys"]]
    hold = holdout_mask(keys, data.holdout_fraction, data.holdout_salt)
    return np.flatnonzero(~hold), np.flatnonzero(hold), keys


def datasets(adapter: Any, data: Any, vocab: Vocab, model_cfg: dict, seed: int, generator: str,
             console: Any = None) -> dict[str, Any]:
    from sciGen.cad.dataset import CADDataConfig, GridDataset, build_cache, rows_of
    from sciGen.config import from_dict

    opts = dict(data.options)
    kind = opts.pop("kind", None)
    face_tok, edge_tok = opts.pop("face_tokenizer", None), opts.pop("edge_tokenizer", None)
    dcfg = from_dict(CADDataConfig, opts, "data.options")
    cache = build_cache(data.train, dcfg, console)
    tr, va, keys = _split(cache, data)
    info = {"n_parts": len(keys), "n_train": len(tr), "n_holdout": len(va), "n_skipped": len(cache["errors"]),
            "cache": cache["path"]}
    hold_keys = [keys[i] for i in va]
    if generator == "fsq_autoencoder":
        if kind not in ("face", "edge"):
            raise ReadError("data.options.kind must be 'face' or 'edge' for the CAD FSQ autoencoder")
        grids = cache[f"{kind}_grid"]
        rt, rv = rows_of(cache, tr, kind), rows_of(cache, va, kind)
        info |= {"kind": kind, "n_train_grids": len(rt), "n_val_grids": len(rv)}
        return {"train": GridDataset(grids[rt]), "val": GridDataset(grids[rv]), "collate": torch.stack,
                "info": info, "holdout_keys": hold_keys, "vocab": vocab, "fields": {}}
    if generator != "autobrep":
        raise ReadError(f"the cad domain trains fsq_autoencoder or autobrep, not {generator!r}")
    if not face_tok or not edge_tok:
        raise ReadError("data.options.face_tokenizer and edge_tokenizer (autoencoder checkpoints) are required")
    from sciGen.checkpoint import load_checkpoint
    blobs = {}
    for key, path in (("face_tokenizer", face_tok), ("edge_tokenizer", edge_tok)):
        blob = load_checkpoint(Path(path), generator="fsq_autoencoder", domain="cad")
        blobs[key] = {"generator": "fsq_autoencoder", "config": blob["config"], "state_dict": blob["state_dict"]}
    adapter.load_extras(blobs)
    seqs = part_sequences(adapter, cache, np.arange(len(keys)), console)
    extras = dict(blobs, token_spec=vars(adapter.spec).copy())
    limit = int(dict(model_cfg.get("transformer", {})).get("max_len", 128))
    fits = np.array([len(s) + 2 <= limit for s in seqs])  # <bos> … <eos> must fit the transformer
    if not fits.any():
        raise ReadError(f"{data.train}: no part's sequence fits model.transformer.max_len {limit}")
    tr, va = tr[fits[tr]], va[fits[va]]
    max_len = max(len(s) for s in seqs) + 2
    fields = {"vocab_size": len(vocab), "pad_id": vocab.pad_id, "bos_id": vocab.bos_id, "eos_id": vocab.eos_id,
              "n_roles": len(_roles()), "max_faces": adapter.spec.max_faces, "uncond_id": vocab.index["<uncond>"],
              "token_kinds": token_kinds(vocab)}
    info |= {"max_len": max_len, "mean_len": float(np.mean([len(s) for s in seqs])),
             "n_too_long": int((~fits).sum())}
    return {"train": [seqs[i] for i in tr], "val": [seqs[i] for i in va], "collate": None,  # the model's own
            "info": info, "holdout_keys": hold_keys, "vocab": vocab, "fields": fields, "extras": extras}


def _roles() -> tuple[str, ...]:
    from sciGen.cad.adapter import ROLES
    return ROLES


def token_kinds(vocab: Vocab) -> list[int]:
    """Per vocabulary id, the kind index used by the grammar mask: 0 special, 1 cond, 2..5 structure
    (<bol>, <eol>, <bof>, <eof>), 6 reference, 7 bbox bin, 8 face code, 9 edge code."""
    from sciGen.cad.tokens import COND, STRUCT
    out = []
    for t in vocab.tokens:
        if t in COND:
            out.append(1)
        elif t in STRUCT:
            out.append(2 + STRUCT.index(t))
        elif t[:1] in "rqfe" and t[1:].isdigit():
            out.append({"r": 6, "q": 7, "f": 8, "e": 9}[t[0]])
        else:
            out.append(0)
    return out


def part_sequences(adapter: Any, cache: dict[str, Any], parts: np.ndarray, console: Any = None) -> list:
    """AutoBrep Sequences of cached parts (codes from the adapter's autoencoders, batched)."""
    from rich.progress import Progress

    from sciGen.cad.tokens import complexity
    face_codes = adapter.codes(adapter.face_ae, cache["face_grid"])
    edge_codes = adapter.codes(adapter.edge_ae, cache["edge_grid"])
    fo, eo = cache["face_off"], cache["edge_off"]
    out = []
    with Progress(console=console, transient=True) as bar:
        task = bar.add_task(f"serialising {len(parts)} parts", total=len(parts))
        for p in parts:
            f0, f1, e0, e1 = fo[p], fo[p + 1], eo[p], eo[p + 1]
            toks = adapter.tokens_of(cache["face_box"][f0:f1], face_codes[f0:f1], cache["edge_box"][e0:e1],
                                     edge_codes[e0:e1], cache["edge_faces"][e0:e1].astype(np.int64),
                                     complexity(f1 - f0))
            out.append(adapter.sequence(toks))
            bar.advance(task)
    return out
