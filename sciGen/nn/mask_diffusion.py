"""Absorbing-state ("mask") discrete diffusion with a linear schedule.

Austin et al. 2021 (D3PM, absorbing state); Sahoo et al. 2024 (MDLM).  At time t ∈ (0, 1] each element
is independently replaced by the mask id with probability t.  The denoiser predicts the clean
categorical of every masked element.  Sampling with T steps reveals each element at one step drawn
uniformly from 0..T-1 (the linear schedule's reveal time), drawing its value from the denoiser's
prediction at that step: exact ancestral sampling of the discretised reverse process.

Two verbs: :meth:`corrupt` (forward process) and :meth:`reveal` (one reverse step).
"""
from __future__ import annotations

import torch


class MaskDiffusion:
    """Elements of any shape; ``mask_id`` is the absorbing state."""

    def __init__(self, steps: int) -> None:
        if steps < 1:
            raise ValueError("a mask diffusion needs at least one step")
        self.steps = steps

    def corrupt(self, x: torch.Tensor, t: torch.Tensor, mask_id: int, u: torch.Tensor | None = None,
                generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """x (...) clean ids, t (...) times → (x_t with masked entries set to ``mask_id``, masked (...) bool).

        ``u`` (...) uniforms may be given (e.g. symmetric for an adjacency matrix)."""
        if u is None:
            u = torch.rand(x.shape, generator=generator, device=x.device)
        masked = u < t
        return torch.where(masked, torch.full_like(x, mask_id), x), masked

    def reveal_steps(self, shape: tuple[int, ...], generator: torch.Generator | None,
                     device: torch.device) -> torch.Tensor:
        """(...) int: the reverse step (0 = first) at which each element is revealed."""
        return torch.randint(0, self.steps, shape, generator=generator, device=device)

    @staticmethod
    def reveal(x: torch.Tensor, logits: torch.Tensor, now: torch.Tensor, temperature: float = 1.0,
               generator: torch.Generator | None = None) -> torch.Tensor:
        """x (...) current ids, logits (..., K) clean-value logits, now (...) bool → x with ``now`` drawn."""
        if not bool(now.any()):
            return x
        probs = torch.softmax(logits[now].float() / max(temperature, 1e-6), -1)
        draw = torch.multinomial(probs, 1, generator=generator).squeeze(-1)
        out = x.clone()
        out[now] = draw
        return out
