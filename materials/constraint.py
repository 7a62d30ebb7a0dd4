"""A hard physical constraint for sampling crystals: no atom within 0.5 Å of another.

UniGenX samples one fractional-coordinate slot per atom from its diffusion head; this check (passed to
``UniGenX.sample`` as ``value_check``) rejects a candidate position whose distance to an atom already
placed — periodic images included, in the lattice sampled earlier in the same sequence — is at most
:data:`~sciGen.materials.validate.MIN_DISTANCE`, and the sampler draws it again.  It is the numeric
counterpart of a grammar mask: the structural-validity rule that CDVAE's metric checks afterwards is
enforced while generating.
"""
from __future__ import annotations

import itertools

import numpy as np
import torch

from sciGen.data import Vocab
from sciGen.materials.sequence import ANG_SCALE, ANGLES, LEN_SHIFT, LENGTHS, XYZ
from sciGen.materials.validate import MIN_DISTANCE

_IMAGES = np.array(list(itertools.product((-1, 0, 1), repeat=3)), float)  # (27, 3)


def lattice_matrix(lengths: np.ndarray, angles_deg: np.ndarray) -> np.ndarray | None:
    """(3, 3) row vectors of a cell with these parameters (a along x, b in the xy plane), or None for an
    impossible cell."""
    a, b, c = lengths
    al, be, ga = np.radians(angles_deg)
    cos_al, cos_be, cos_ga = np.cos(al), np.cos(be), np.cos(ga)
    sin_ga = np.sin(ga)
    if a <= 0 or b <= 0 or c <= 0 or abs(sin_ga) < 1e-6:
        return None
    cx = c * cos_be
    cy = c * (cos_al - cos_be * cos_ga) / sin_ga
    cz2 = c * c - cx * cx - cy * cy
    if cz2 <= 0:
        return None
    return np.array([[a, 0, 0], [b * cos_ga, b * sin_ga, 0], [cx, cy, np.sqrt(cz2)]])


class MinDistanceCheck:
    """``value_check`` for :class:`~sciGen.generators.unigenx.UniGenX`: ok unless an ``<xyz>`` candidate lands
    within ``min_distance`` Å of an earlier atom of its sequence."""

    def __init__(self, vocab: Vocab, min_distance: float = MIN_DISTANCE) -> None:
        self.len_id, self.ang_id, self.xyz_id = (vocab.index[t] for t in (LENGTHS, ANGLES, XYZ))
        self.min_distance = min_distance

    def __call__(self, token: torch.Tensor, tokens: torch.Tensor, values: torch.Tensor, value_mask: torch.Tensor,
                 candidate: torch.Tensor) -> torch.Tensor:
        ok = torch.ones(len(token), dtype=torch.bool)
        tok, vals, cand = tokens.cpu().numpy(), values.double().cpu().numpy(), candidate.double().cpu().numpy()
        for i in np.nonzero(token.cpu().numpy() == self.xyz_id)[0]:
            row = tok[i]
            prev = np.nonzero(row == self.xyz_id)[0]
            li, ai = np.nonzero(row == self.len_id)[0], np.nonzero(row == self.ang_id)[0]
            if len(prev) == 0 or len(li) == 0 or len(ai) == 0:
                continue
            m = lattice_matrix(np.exp(vals[i, li[0]] + LEN_SHIFT), vals[i, ai[0]] * ANG_SCALE + 90.0)
            if m is None:
                continue  # an impossible cell: decoding will say so
            d = (vals[i, prev] - cand[i]) / 2.0  # fractional differences (coordinates are 2·frac − 1)
            d -= np.round(d)
            cart = (d[:, None, :] + _IMAGES[None]) @ m  # (P, 27, 3)
            ok[i] = bool(np.linalg.norm(cart, axis=-1).min() > self.min_distance)
        return ok
