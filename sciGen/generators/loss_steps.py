"""Lightning steps for a generator whose ``losses(batch) -> {"loss": …, …}`` says everything: train/val
logging of every entry and AdamW with the warm-up/cosine schedule of ``cfg.optim``."""
from __future__ import annotations

import torch

from sciGen.data import Batch
from sciGen.generators.optim import configure_adamw


class LossSteps:
    """Mixin for a ``LightningModule`` with ``losses`` and ``cfg.optim`` (G3PT, AutoBrep)."""

    def training_step(self, batch: Batch, batch_idx: int) -> torch.Tensor:
        out = self.losses(batch)
        self.log_dict({f"train/{k}": v for k, v in out.items()}, batch_size=len(batch))
        self.log("loss", out["loss"], prog_bar=True, batch_size=len(batch), logger=False)
        return out["loss"]

    def validation_step(self, batch: Batch, batch_idx: int) -> None:
        out = self.losses(batch)
        self.log_dict({f"val/{k}": v for k, v in out.items()}, batch_size=len(batch), sync_dist=True)

    def configure_optimizers(self) -> dict:
        return configure_adamw(self, self.cfg.optim)
