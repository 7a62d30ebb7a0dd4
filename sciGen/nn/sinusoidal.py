"""Sinusoidal encodings of real-valued scalars (m/z, masses), as in Casanovo's ``PeakEncoder``
(Yilmaz et al., ICML 2022; depthcharge): wavelengths log-spaced between ``min_wavelength`` and
``max_wavelength`` so that both 0.001-Th differences and whole-spectrum positions are resolved."""
from __future__ import annotations

import math

import torch
import torch.nn as nn


class SinusoidalScalar(nn.Module):
    """x (...,) → (..., d): [sin(2π x / λ_i), cos(2π x / λ_i)] for d/2 log-spaced λ_i."""

    def __init__(self, d: int, min_wavelength: float = 0.001, max_wavelength: float = 10000.0) -> None:
        super().__init__()
        if d % 2:
            raise ValueError("SinusoidalScalar needs an even width")
        k = torch.arange(d // 2, dtype=torch.float64)
        lam = min_wavelength * (max_wavelength / min_wavelength) ** (k / max(1, d // 2 - 1))
        self.register_buffer("freq", (2 * math.pi / lam).float(), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # float64 phase: m/z up to 2500 times 2π/0.001 loses precision in float32
        phase = x.double().unsqueeze(-1) * self.freq.double()
        return torch.cat([phase.sin(), phase.cos()], -1).to(self.freq.dtype)


class PeakEncoder(nn.Module):
    """Peaks (B, P, 2) [m/z, intensity] → (B, P, d): projected sinusoidal m/z plus projected intensity."""

    def __init__(self, d: int) -> None:
        super().__init__()
        self.mz = SinusoidalScalar(d)
        self.mz_proj = nn.Linear(d, d)
        self.intensity = nn.Linear(1, d)

    def forward(self, peaks: torch.Tensor) -> torch.Tensor:
        return self.mz_proj(self.mz(peaks[..., 0])) + self.intensity(peaks[..., 1:2])
