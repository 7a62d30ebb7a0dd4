"""The base of every generator and learned tokenizer: a plain ``nn.Module`` that Lightning trains through
:class:`sciGen.lit_module.LitModule`.

Sampling needs none of Lightning, and importing it costs more than importing torch (it pulls in
``torch._dynamo``, scipy and matplotlib: ~4 s of the ~8 s a ``scigen generate`` took on the 2-core machine;
``python bench/cli_startup.py``).  So the models are ``nn.Module`` subclasses with the few LightningModule
members their training code uses — :meth:`log`, :meth:`log_dict`, :attr:`global_step` — forwarded to the
``LitModule`` that trains them, and a :attr:`device` for sampling.  Their ``training_step`` /
``validation_step`` / ``configure_optimizers`` keep Lightning's signatures; ``LitModule`` calls them.
"""
from __future__ import annotations

import weakref
from typing import Any

import torch
from torch import nn


class Trainable(nn.Module):
    """``nn.Module`` + the LightningModule members the models' training steps call (forwarded while a
    :class:`~sciGen.lit_module.LitModule` trains them; no-ops otherwise) + :attr:`device`."""

    _lit: weakref.ReferenceType | None = None  # the LitModule training this model, if any

    @property
    def device(self) -> torch.device:
        """Where the parameters (else the buffers) are; CPU for a module with neither."""
        for t in self.parameters():
            return t.device
        for t in self.buffers():
            return t.device
        return torch.device("cpu")

    @property
    def trainer_module(self) -> Any | None:
        """The LitModule training this model now, or None."""
        return None if self._lit is None else self._lit()

    @property
    def global_step(self) -> int:
        """Optimizer steps taken by the Lightning Trainer (0 outside training)."""
        lit = self.trainer_module
        return 0 if lit is None else int(lit.global_step)

    def log(self, name: str, value: Any, **kw: Any) -> None:
        """``LightningModule.log`` of the training LitModule (nothing outside training)."""
        lit = self.trainer_module
        if lit is not None:
            lit.log(name, value, **kw)

    def log_dict(self, values: dict[str, Any], **kw: Any) -> None:
        """``LightningModule.log_dict`` of the training LitModule (nothing outside training)."""
        lit = self.trainer_module
        if lit is not None:
            lit.log_dict(values, **kw)
