"""Typed configs: dataclasses built from YAML/dicts with unknown, missing and mistyped keys rejected."""
from __future__ import annotations

import dataclasses
import types
import typing
from pathlib import Path
from typing import Any, TypeVar

import yaml

T = TypeVar("T")


class ConfigError(ValueError):
    """A config file or dict does not match its dataclass."""


def _check(value: Any, tp: Any, where: str) -> Any:
    origin = typing.get_origin(tp)
    if dataclasses.is_dataclass(tp):
        if isinstance(value, tp):
            return value
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: expected a mapping, got {type(value).__name__}")
        return from_dict(tp, value, where)
    if origin in (typing.Union, types.UnionType):
        errors = []
        for arm in typing.get_args(tp):
            if arm is type(None) and value is None:
                return None
            if arm is type(None):
                continue
            try:
                return _check(value, arm, where)
            except ConfigError as e:
                errors.append(str(e))
        raise ConfigError(errors[0] if errors else f"{where}: bad value {value!r}")
    if origin in (list, tuple):
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{where}: expected a list, got {type(value).__name__}")
        (arm, *_) = typing.get_args(tp) or (Any,)
        return origin(_check(v, arm, f"{where}[{i}]") for i, v in enumerate(value))
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: expected a mapping, got {type(value).__name__}")
        return dict(value)
    if tp is Any:
        return value
    if tp is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if tp in (int, float, str, bool):
        if not isinstance(value, tp) or (tp is int and isinstance(value, bool)):
            raise ConfigError(f"{where}: expected {tp.__name__}, got {value!r}")
        return value
    return value


def from_dict(cls: type[T], d: dict, where: str = "config") -> T:
    """Build dataclass ``cls`` from ``d``; unknown keys, missing required keys and wrong types raise."""
    hints = typing.get_type_hints(cls)
    names = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(d) - set(names))
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(unknown)} (allowed: {', '.join(names)})")
    kwargs = {}
    for name, f in names.items():
        if name in d:
            kwargs[name] = _check(d[name], hints[name], f"{where}.{name}")
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise ConfigError(f"{where}: missing required key {name!r}")
    return cls(**kwargs)


def to_dict(obj: Any) -> dict:
    return dataclasses.asdict(obj)


def merge(base: dict, overlay: dict) -> dict:
    """``base`` with ``overlay`` laid over it: mappings merge key by key, anything else (lists too) is replaced."""
    out = dict(base)
    for k, v in overlay.items():
        out[k] = merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def load_yaml(path: str | Path, _chain: tuple[Path, ...] = ()) -> dict:
    """A YAML mapping; a top-level ``base: other.yaml`` (a path relative to this file) makes the file an overlay
    on that one (:func:`merge`), so a later stage names only what it changes.  The result has no ``base`` key."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: config file not found")
    try:
        d = yaml.safe_load(path.read_text())
    except yaml.YAMLError as e:
        raise ConfigError(f"{path}: not valid YAML ({e.__class__.__name__})") from None
    if not isinstance(d, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    if "base" not in d:
        return d
    base = d.pop("base")
    if not isinstance(base, str):
        raise ConfigError(f"{path}: base: expected a file name, got {base!r}")
    base_path = path.parent / base
    if base_path.resolve() in {p.resolve() for p in (*_chain, path)}:
        raise ConfigError(f"{path}: base {base} leads back to itself")
    try:
        return merge(load_yaml(base_path, (*_chain, path)), d)
    except ConfigError as e:
        raise ConfigError(f"{path}: base {e}") from None
