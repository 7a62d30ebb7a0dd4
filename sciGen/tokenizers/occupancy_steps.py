"""Lightning steps shared by the shape tokenizers (VAT, TriplaneVQ, VecSetVAE): each has
``losses(batch) -> {"loss", "iou", …}`` on dict batches (``surface`` (B, N, 6), ``queries`` (B, M, 3),
``occ`` (B, M)) and ``cfg.optim``."""
from __future__ import annotations

import torch

from sciGen.generators.optim import configure_adamw


class OccupancySteps:
    """Mixin for a ``LightningModule`` tokenizer trained on occupancy samples of shapes."""

    def training_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> torch.Tensor:
        out = self.losses(batch)
        B = batch["surface"].shape[0]
        self.log_dict({f"train/{k}": v for k, v in out.items()}, prog_bar=False, batch_size=B)
        self.log("loss", out["loss"], prog_bar=True, batch_size=B, logger=False)
        self.log("iou", out["iou"], prog_bar=True, batch_size=B, logger=False)
        return out["loss"]

    def validation_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> None:
        out = self.losses(batch)
        self.log_dict({f"val/{k}": v for k, v in out.items()}, prog_bar=False, batch_size=batch["surface"].shape[0],
                      sync_dist=True)

    def configure_optimizers(self):
        return configure_adamw(self, self.cfg.optim)


def occupancy_iou(logits: torch.Tensor, occ: torch.Tensor) -> torch.Tensor:
    """Mean IoU of the predicted inside sets (logits > 0) over the queries of each shape: (B, M) → ()."""
    pred, inside = logits > 0, occ > 0.5
    return ((pred & inside).sum(1).float() / (pred | inside).sum(1).clamp(min=1).float()).mean()


def perplexity(indices: torch.Tensor, codebook_size: int) -> torch.Tensor:
    """exp(entropy) of the code usage in ``indices``: how many codes are effectively used."""
    p = torch.bincount(indices.flatten(), minlength=codebook_size).float()
    p = p / p.sum()
    return torch.exp(-(p * (p + 1e-10).log()).sum())
