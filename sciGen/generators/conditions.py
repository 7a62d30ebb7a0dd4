"""Condition tokens shared by the class-conditional generators (G3PT, Argus3D, MAR-3D): the vocabulary id →
condition index table, the per-sample condition ids of ``sample``, and classifier-free guidance on logits
(Ho & Salimans 2022).  Condition index 0 is the unconditional token."""
from __future__ import annotations

import torch


def condition_lut(vocab_size: int, cond_ids: list[int]) -> torch.Tensor:
    """(vocab_size,) long: the condition index of each vocabulary id, −1 for ids that are not conditions."""
    lut = torch.full((vocab_size,), -1, dtype=torch.long)
    lut[torch.tensor(cond_ids)] = torch.arange(len(cond_ids))
    return lut


def condition_ids(n: int, condition: int | list[int] | None, uncond_id: int, device: torch.device) -> torch.Tensor:
    """(n,) vocabulary ids: ``condition`` for all (an id), one each (a list), or the unconditional id (None)."""
    if condition is None:
        return torch.full((n,), uncond_id, device=device)
    if isinstance(condition, int):
        return torch.full((n,), condition, device=device)
    return torch.as_tensor(condition, device=device).long()


def guided(logits: torch.Tensor, scale: float) -> torch.Tensor:
    """Logits of a batch doubled as [conditional; unconditional] → l_u + scale · (l_c − l_u)."""
    lc, lu = logits.chunk(2)
    return lu + scale * (lc - lu)
