"""sciGen checkpoints: format version + generator + domain + config + vocabulary + weights.

Saved with ``torch.save`` as plain dicts and tensors, loaded with ``torch.load(weights_only=True)``.
Weights may be stored in half precision to keep shipped files small; they load back as float32.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from sciGen.io import atomic_write

FORMAT_VERSION = 1


class CheckpointError(ValueError):
    """A checkpoint is missing, unreadable or does not match what loads it."""


def save_checkpoint(path: str | Path, *, generator: str, domain: str, config: dict, vocab: dict,
                    state_dict: dict[str, torch.Tensor], meta: dict[str, Any] | None = None,
                    half: bool = False, extras: dict[str, Any] | None = None) -> None:
    """``extras``: more plain dicts/tensors to keep with the model (e.g. the tokenizer a generator's
    tokens come from), stored in half precision too when ``half``."""
    sd = {k: (v.half() if half and v.is_floating_point() else v).detach().cpu().contiguous()
          for k, v in state_dict.items()}
    blob = {"format_version": FORMAT_VERSION, "generator": generator, "domain": domain, "config": config,
            "vocab": vocab, "state_dict": sd, "meta": meta or {}}
    if extras:
        blob["extras"] = _halve(extras) if half else extras
    atomic_write(path, lambda tmp: torch.save(blob, tmp))


def _halve(obj: Any) -> Any:
    if isinstance(obj, torch.Tensor):
        return obj.half() if obj.is_floating_point() else obj
    if isinstance(obj, dict):
        return {k: _halve(v) for k, v in obj.items()}
    return obj


def load_checkpoint(path: str | Path, *, generator: str | None = None, domain: str | None = None) -> dict:
    """Read a checkpoint; mismatched format version, generator or domain is a clear error."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: checkpoint not found")
    try:
        blob = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # noqa: BLE001 - any unpickling failure is reported the same way
        raise CheckpointError(f"{path}: not a readable sciGen checkpoint ({e.__class__.__name__})") from None
    if not isinstance(blob, dict) or "format_version" not in blob:
        raise CheckpointError(f"{path}: not a sciGen checkpoint (no format_version)")
    if blob["format_version"] != FORMAT_VERSION:
        raise CheckpointError(f"{path}: checkpoint format {blob['format_version']}, this sciGen reads {FORMAT_VERSION}")
    for key, want in (("generator", generator), ("domain", domain)):
        if want is not None and blob.get(key) != want:
            raise CheckpointError(f"{path}: checkpoint is for {key} {blob.get(key)!r}, not {want!r}")
    blob["state_dict"] = {k: v.float() if v.is_floating_point() else v for k, v in blob["state_dict"].items()}
    return blob
