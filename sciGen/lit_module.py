"""The LightningModule that trains a :class:`~sciGen.nn.trainable.Trainable` (any generator or tokenizer).

Only ``scigen train`` imports Lightning: the models are plain ``nn.Module`` subclasses, so sampling does not
pay for it.  This wrapper hands Lightning the model's own ``training_step`` / ``validation_step`` /
``configure_optimizers`` and lends it ``log`` / ``global_step``.  Its state dict is the model's under
``model.`` (Lightning's resume checkpoints); sciGen checkpoints store the model's own state dict.
"""
from __future__ import annotations

import weakref
from typing import Any

import pytorch_lightning as pl
import torch

from sciGen.nn.trainable import Trainable


class LitModule(pl.LightningModule):
    """Trains ``model`` (a :class:`Trainable`) with its own steps and optimiser."""

    def __init__(self, model: Trainable) -> None:
        super().__init__()
        self.model = model
        model._lit = weakref.ref(self)

    def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
        return self.model.training_step(batch, batch_idx)

    def validation_step(self, batch: Any, batch_idx: int) -> Any:
        return self.model.validation_step(batch, batch_idx)

    def configure_optimizers(self) -> Any:
        return self.model.configure_optimizers()

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        """Resume checkpoints written before the models left LightningModule hold unprefixed keys."""
        sd = checkpoint.get("state_dict", {})
        if sd and not any(k.startswith("model.") for k in sd):
            checkpoint["state_dict"] = {f"model.{k}": v for k, v in sd.items()}
