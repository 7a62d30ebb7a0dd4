"""A fragment-ion intensity model fitted on annotated PSMs (ProteomeTools, Prosit layout).

Two additive models over the same features — ion series × fragment charge, precursor charge,
relative cleavage position (5 bins), the residue N-terminal and the residue C-terminal of the
cleaved bond (the proline / aspartate effects) — one logistic for *is the fragment observed*
and one linear for *log intensity when observed*, with a residual spread.  Fitted with
torch (L-BFGS) on the 1,000 ProteomeTools PSMs in ``shared/data/peptide_msms``.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from sciGen.io import atomic_write_text
from sciGen.proteins.residues import tokenize

ION_TYPES = ("y1", "y2", "y3", "b1", "b2", "b3")  # Prosit order within one cleavage position
BASE = "ACDEFGHIKLMNPQRSTVWY"
N_POS_BINS = 5


def _base(tok: str) -> int:
    return BASE.index(tok[0]) if tok[0] in BASE else 0


def features(ion: int, precursor_charge: int, pos: int, length: int, left: str, right: str) -> np.ndarray:
    """Indices of the active one-hot features of one fragment, into a vector of :func:`n_features`.

    ion: index into ION_TYPES; pos: cleavage after residue ``pos`` (1..length-1) counted from the N-terminus;
    left/right: residue tokens N- and C-terminal of the bond."""
    zc = min(max(precursor_charge, 2), 4) - 2
    pbin = min(int((pos / length) * N_POS_BINS), N_POS_BINS - 1)
    return np.array([ion, 6 + zc, 9 + ion * N_POS_BINS + pbin, 9 + 30 + _base(left), 9 + 30 + 20 + _base(right)])


def n_features() -> int:
    return 9 + 30 + 40


@dataclass
class IntensityModel:
    """Weights of the presence logit and of the log-intensity, per feature, plus intercepts."""

    presence: list[float]
    presence_bias: float
    log_intensity: list[float]
    log_intensity_bias: float
    residual_sd: float
    n_psms: int = 0

    def predict(self, feats: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """feats: (F, 5) feature indices → (p_observed (F,), mean log-intensity (F,))."""
        wp, wi = np.asarray(self.presence), np.asarray(self.log_intensity)
        logit = wp[feats].sum(1) + self.presence_bias
        return 1 / (1 + np.exp(-logit)), wi[feats].sum(1) + self.log_intensity_bias

    def save(self, path: str | Path) -> None:
        atomic_write_text(path, json.dumps(asdict(self)) + "\n")

    @classmethod
    def load(cls, path: str | Path) -> "IntensityModel":
        return cls(**json.loads(Path(path).read_text()))

    @classmethod
    def default(cls) -> "IntensityModel":
        """The model shipped with sciGen (fitted by :func:`fit` on the ProteomeTools sample)."""
        return cls.load(Path(__file__).parent / "data" / "intensity_model.json")


def _table(parquet: str | Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    import pandas as pd

    df = pd.read_parquet(parquet)
    rows, present, inten = [], [], []
    for seq, z, ints in zip(df.modified_sequence, df.precursor_charge, df.intensities_raw):
        toks = [t for t in tokenize(seq) if not t.endswith("-")]  # an N-terminal mod rides on residue 1
        n = len(toks)
        grid = np.asarray(ints, dtype=np.float64).reshape(29, 6)
        for i in range(1, min(n, 30)):  # fragment number i: b_i and y_i
            for k in range(6):
                v = grid[i - 1, k]
                if v < 0:
                    continue
                pos = i if k >= 3 else n - i  # cleavage position from the N-terminus
                rows.append(features(k, int(z), pos, n, toks[pos - 1], toks[pos]))
                present.append(v > 0)
                inten.append(v)
    return np.stack(rows), np.asarray(present), np.asarray(inten), len(df)


def fit(parquet: str | Path, l2: float = 1e-3) -> IntensityModel:
    """Fit both models on an annotated-PSM parquet (columns ``modified_sequence``,
    ``precursor_charge``, ``intensities_raw`` in the Prosit 29×6 layout, −1 = impossible)."""
    X, present, inten, n_psms = _table(parquet)
    F = n_features()
    onehot = torch.zeros(len(X), F, dtype=torch.float64)
    onehot.scatter_(1, torch.from_numpy(X), 1.0)
    y = torch.from_numpy(present.astype(np.float64))
    w = torch.zeros(F + 1, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([w], max_iter=200, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        logit = onehot @ w[:F] + w[F]
        loss = torch.nn.functional.binary_cross_entropy_with_logits(logit, y) + l2 * (w[:F] ** 2).sum()
        loss.backward()
        return loss

    opt.step(closure)
    obs = torch.from_numpy(present)
    A = torch.cat([onehot[obs], torch.ones(int(obs.sum()), 1, dtype=torch.float64)], 1)
    t = torch.log(torch.from_numpy(inten[present]))
    reg = l2 * torch.eye(F + 1, dtype=torch.float64) * len(t)
    reg[F, F] = 0
    beta = torch.linalg.solve(A.T @ A + reg, A.T @ t)
    resid = float((t - A @ beta).std())
    w = w.detach()
    return IntensityModel(w[:F].tolist(), float(w[F]), beta[:F].tolist(), float(beta[F]), resid, n_psms)
