"""Lightning steps (called by :class:`~sciGen.lit_module.LitModule`) for a generator whose
``losses(batch) -> {"loss": …, …}`` says everything: train/val logging of every entry and AdamW with the
warm-up/cosine schedule of ``cfg.optim``."""
from __future__ import annotations

from typing import Any

import torch

from sciGen.generators.optim import configure_adamw


def batch_size_of(batch: Any) -> int:
    """Rows in a :class:`~sciGen.data.Batch` or in a dict batch of tensors (the first tensor's leading dim)."""
    if isinstance(batch, dict):
        return int(next(iter(batch.values())).shape[0])
    return len(batch)


class LossSteps:
    """Mixin for a :class:`~sciGen.nn.trainable.Trainable` with ``losses`` and ``cfg.optim`` (G3PT, AutoBrep,
    Argus3D, MAR-3D and the shape tokenizers).  ``prog_bar`` names the entries shown on the progress bar."""

    prog_bar: tuple[str, ...] = ("loss",)

    def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
        out = self.losses(batch)
        B = batch_size_of(batch)
        self.log_dict({f"train/{k}": v for k, v in out.items()}, batch_size=B)
        for k in self.prog_bar:
            self.log(k, out[k], prog_bar=True, batch_size=B, logger=False)
        return out["loss"]

    def validation_step(self, batch: Any, batch_idx: int) -> None:
        out = self.losses(batch)
        self.log_dict({f"val/{k}": v for k, v in out.items()}, batch_size=batch_size_of(batch), sync_dist=True)

    def configure_optimizers(self) -> dict:
        return configure_adamw(self, self.cfg.optim)
