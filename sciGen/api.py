"""The Python API: load a shipped or trained model and generate validated structures."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import torch

from sciGen import registry
from sciGen.adapter import Adapter, DecodeError


@dataclass
class Generated:
    """Valid structures, plus every invalid draw with its reason and raw text."""

    structures: list[Any] = field(default_factory=list)
    invalid: list[DecodeError] = field(default_factory=list)
    draws: list[Any] = field(default_factory=list)  # every draw in order: a valid structure or its DecodeError

    @property
    def n_drawn(self) -> int:
        return len(self.structures) + len(self.invalid)


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    if str(device) == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def load(domain: str, generator: str | None = None, checkpoint: str | Path | None = None,
         device: str | torch.device = "auto") -> tuple[Any, Adapter]:
    """(generator model, adapter) — from ``checkpoint`` or the domain's shipped default."""
    from sciGen.train import load_model

    registry.adapter_class(domain)
    if checkpoint is None:
        checkpoint = registry.default_checkpoint(domain, generator)
    elif not Path(checkpoint).exists() and registry.named_checkpoint(domain, checkpoint) is not None:
        checkpoint = registry.named_checkpoint(domain, checkpoint)
    model, adapter = load_model(checkpoint, domain=domain, device=resolve_device(device))
    if generator is not None and type(model) is not registry.generator_class(generator):
        raise registry.RegistryError(f"{checkpoint} holds a {type(model).__name__}, not {generator!r}")
    return model, adapter


def sample_structures(model: Any, adapter: Adapter, n: int, *, seed: int | None = 0, batch_size: int = 256,
                      on_batch: Callable[[int], None] | None = None, **knobs: Any) -> Generated:
    """Draw ``n`` Sequences, decode and validate each; invalid draws are kept with their reason.

    Knobs left out (or None) take the checkpoint's recommended sampling settings
    (``meta["sampling"]``, measured and recorded in its model card), else the generator's defaults.
    The knob ``candidates`` K > 1 keeps, for each of the n results, the valid draw of K that fits the
    condition best by the adapter's ``fidelity(structure, knobs)`` (lower is closer; e.g. shape completion:
    the completion nearest the given points); a result whose K draws are all invalid is the first invalid one.
    """
    gen, knobs = _setup(model, seed, knobs)
    k = int(knobs.pop("candidates", 1) or 1)
    out = Generated()
    if k > 1:
        if not hasattr(adapter, "fidelity"):
            raise ValueError(f"candidates: the {type(adapter).__name__} cannot score draws against a condition")
        for _ in range(n):
            group = Generated()
            for seq in model.sample(k, generator=gen, batch_size=k, **knobs):
                _judge(adapter, seq, group)
            pick = min(group.structures, key=lambda s: adapter.fidelity(s, knobs)) if group.structures \
                else group.invalid[0]
            (out.structures if group.structures else out.invalid).append(pick)
            out.draws.append(pick)
            if on_batch:
                on_batch(1)
        return out
    for start in range(0, n, batch_size):
        m = min(batch_size, n - start)
        for seq in model.sample(m, generator=gen, batch_size=m, **knobs):
            _judge(adapter, seq, out)
            if on_batch:
                on_batch(1)
    return out


def _setup(model: Any, seed: int | None, knobs: dict[str, Any]) -> tuple[torch.Generator, dict[str, Any]]:
    """The seeded generator on the model's device, and the knobs over the checkpoint's recommended ones."""
    defaults = dict(getattr(model, "meta", {}).get("sampling", {}))
    gen = torch.Generator(device=model.device)
    if seed is not None:
        gen.manual_seed(seed)
    else:
        gen.seed()
    return gen, {**defaults, **{k: v for k, v in knobs.items() if v is not None}}


def _judge(adapter: Adapter, seq: Any, out: Generated) -> None:
    """Decode and validate one draw into ``out``."""
    try:
        s = adapter.decode(seq)
        v = adapter.validate(s)
        if not v.ok:
            raise DecodeError("; ".join(v.reasons), getattr(adapter, "decode_text", str)(seq), s)
        out.structures.append(s)
        out.draws.append(s)
    except DecodeError as e:
        out.invalid.append(e)
        out.draws.append(e)


_FILL_KNOBS = ("diffusion_steps", "value_temperature", "value_check", "value_retries", "value_anchor")


def fill_structures(model: Any, adapter: Adapter, templates: list[Any], *, seed: int | None = 0,
                    batch_size: int = 256, on_batch: Callable[[int], None] | None = None, **knobs: Any) -> Generated:
    """Draw the numbers of fixed token templates (``UniGenX.fill``: e.g. conformers of many SMILES in one
    batched pass), decode and validate each; ``draws`` keeps the templates' order."""
    gen, knobs = _setup(model, seed, knobs)
    knobs = {k: v for k, v in knobs.items() if k in _FILL_KNOBS}
    out = Generated()
    for start in range(0, len(templates), batch_size):
        chunk = templates[start:start + batch_size]
        for seq in model.fill(chunk, generator=gen, batch_size=len(chunk), **knobs):
            _judge(adapter, seq, out)
        if on_batch:
            on_batch(len(chunk))
    return out


def generate(domain: str, n: int = 100, *, checkpoint: str | Path | None = None, seed: int | None = 0,
             device: str = "auto", as_smiles: bool = False, **knobs: Any) -> list[Any]:
    """``n`` draws from the domain's default (or given) model; returns the valid structures.

    ``sciGen.generate("molecules", n=100)`` → RDKit molecules; ``as_smiles=True`` → their text form
    (the adapter's ``to_text``: SMILES for molecules).
    Sampling knobs: ``temperature``, ``top_k``, ``top_p``, ``batch_size``, ``max_len``; shapes also
    ``condition="chair"`` and ``cfg_scale``; materials ``condition="SrTiO3"`` (crystal structure prediction) (``sciGen.generate("shapes", n=8, condition="chair")`` →
    watertight trimesh meshes).
    """
    model, adapter = load(domain, checkpoint=checkpoint, device=device)
    if isinstance(knobs.get("condition"), str):  # a name (e.g. a shape category) → the model's token id
        knobs["condition"] = adapter.condition_id(knobs["condition"])
    if hasattr(adapter, "sampling_knobs"):  # the domain's own sampling arguments, as the CLI does
        knobs = adapter.sampling_knobs(model, knobs)
    res = sample_structures(model, adapter, n, seed=seed, **knobs)
    return [adapter.to_text(m) for m in res.structures] if as_smiles else res.structures
