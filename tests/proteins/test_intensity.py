from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sciGen.proteins.intensity import ION_TYPES, IntensityModel, features, fit, n_features
from sciGen.proteins.residues import tokenize


def test_features_in_range() -> None:
    for ion in range(len(ION_TYPES)):
        for pos in range(1, 8):
            f = features(ion, 3, pos, 8, "P", "C[Carbamidomethyl]")
            assert f.shape == (5,) and 0 <= f.min() and f.max() < n_features()
            assert f[0] == ion and len(set(f.tolist())) == 5


def test_default_model_predicts_probabilities() -> None:
    model = IntensityModel.default()
    assert len(model.presence) == len(model.log_intensity) == n_features() and model.residual_sd > 0
    toks = tokenize("PEPTLDEK")
    feats = np.stack([features(k, 2, i, len(toks), toks[i - 1], toks[i]) for k in range(6)
                      for i in range(1, len(toks))])
    p, mu = model.predict(feats)
    assert p.shape == mu.shape == (len(feats),)
    assert ((p > 0) & (p < 1)).all() and np.isfinite(mu).all()


def _parquet(path: Path, n_psms: int = 40, seed: int = 0) -> Path:
    """Synthetic PSMs in the Prosit layout: y ions present 90 % of the time, b ions 20 %."""
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(seed)
    letters = list("ACDEFGHLMNPQSTVWY")
    seqs, charges, ints = [], [], []
    for _ in range(n_psms):
        n = int(rng.integers(7, 15))
        seq = [str(a) for a in rng.choice(letters, n - 1)] + ["K"]
        seq = ["C[Carbamidomethyl]" if a == "C" else a for a in seq]
        grid = -np.ones((29, 6))
        for i in range(1, n):  # fragment numbers 1..n-1 are possible, the rest stay -1
            for k in range(6):
                if k % 3 + 1 > 2:
                    continue  # charge-3 fragments left impossible
                present = rng.random() < (0.9 if k < 3 else 0.2)
                grid[i - 1, k] = rng.uniform(0.05, 1.0) * (2.0 if k < 3 else 1.0) if present else 0.0
        seqs.append("".join(seq))
        charges.append(int(rng.integers(2, 4)))
        ints.append(grid.reshape(-1))
    pd.DataFrame({"modified_sequence": seqs, "precursor_charge": charges, "intensities_raw": ints}).to_parquet(path)
    return path


def test_fit_recovers_y_over_b(tmp_path: Path) -> None:
    model = fit(_parquet(tmp_path / "psms.parquet"))
    assert model.n_psms == 40 and len(model.presence) == n_features()
    # ion-type weights: every y series above every b series, for presence and intensity
    assert min(model.presence[0:2]) > max(model.presence[3:5])
    assert min(model.log_intensity[0:2]) > max(model.log_intensity[3:5])
    toks = tokenize("PEPTLDEK")
    y = np.stack([features(0, 2, i, len(toks), toks[i - 1], toks[i]) for i in range(1, len(toks))])
    b = y.copy()
    b[:, 0] = 3
    b[:, 2] += 3 * 5  # the position-bin block of b1 (N_POS_BINS = 5 per ion type)
    py, _ = model.predict(y)
    pb, _ = model.predict(b)
    assert py.mean() == pytest.approx(0.9, abs=0.1) and pb.mean() == pytest.approx(0.2, abs=0.1)
    assert (py > pb).all()


def test_save_load_roundtrip(tmp_path: Path) -> None:
    model = fit(_parquet(tmp_path / "psms.parquet", n_psms=10, seed=1))
    model.save(tmp_path / "m.json")
    back = IntensityModel.load(tmp_path / "m.json")
    assert back == model
    feats = np.stack([features(k, 2, 3, 8, "P", "E") for k in range(6)])
    np.testing.assert_array_equal(back.predict(feats)[0], model.predict(feats)[0])
    assert not list(tmp_path.glob(".tmp-*"))
