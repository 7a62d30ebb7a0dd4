"""Training pieces shared by the shape tokenizers (VAT, TriplaneVQ, VecSetVAE): their Lightning steps (each
has ``losses(batch) -> {"loss", "iou", …}`` on dict batches ``surface`` (B, N, 6), ``queries`` (B, M, 3),
``occ`` (B, M)) and the IoU and codebook-perplexity metrics."""
from __future__ import annotations

import torch

from sciGen.generators.loss_steps import LossSteps


class OccupancySteps(LossSteps):
    """:class:`LossSteps` showing the occupancy IoU beside the loss."""

    prog_bar = ("loss", "iou")


def occupancy_iou(logits: torch.Tensor, occ: torch.Tensor) -> torch.Tensor:
    """Mean IoU of the predicted inside sets (logits > 0) over the queries of each shape: (B, M) → ()."""
    pred, inside = logits > 0, occ > 0.5
    return ((pred & inside).sum(1).float() / (pred | inside).sum(1).clamp(min=1).float()).mean()


def perplexity(indices: torch.Tensor, codebook_size: int) -> torch.Tensor:
    """exp(entropy) of the code usage in ``indices``: how many codes are effectively used."""
    p = torch.bincount(indices.flatten(), minlength=codebook_size).float()
    p = p / p.sum()
    return torch.exp(-(p * (p + 1e-10).log()).sum())
