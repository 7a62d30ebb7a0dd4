from __future__ import annotations

import numpy as np
import pytest
import torch

from sciGen.adapter import DecodeError, ReadError
from sciGen.data import Sequence, Vocab
from sciGen.materials.adapter import MaterialsAdapter
from sciGen.materials.sequence import NUMBERS


def _adapter(crystals) -> MaterialsAdapter:
    a = MaterialsAdapter()
    recs = [a.training_record(s) for s in crystals]
    a.vocab = Vocab.build((r.tokens for r in recs), NUMBERS, 3)
    return a


def test_encode_decode_validate(crystals) -> None:
    a = _adapter(crystals)
    for s in crystals:
        seq = a.encode(s)
        assert seq.values.shape == (len(seq), 3) and int(seq.value_mask.sum()) == len(s) + 2
        back = a.decode(seq)
        assert back.composition == s.composition and a.validate(back).ok
    assert a.training_record(crystals[0]).key == "x0"


def test_decode_errors_keep_the_text(crystals) -> None:
    a = _adapter(crystals)
    seq = a.encode(crystals[0])
    cut = Sequence(seq.tokens[:-1], seq.values[:-1], seq.value_mask[:-1])
    with pytest.raises(DecodeError, match="5 atoms but 4") as e:
        a.decode(cut)
    assert e.value.text.startswith("O O O Ti Sr |")


def test_condition_prefix_and_bad_formulas(crystals) -> None:
    a = _adapter(crystals)
    cond = a.condition_id("SrTiO3")
    assert a.vocab.decode(cond.tokens.tolist()) == ["O", "O", "O", "Ti", "Sr", "|"]
    assert cond.value_mask is not None and not cond.value_mask.any()
    with pytest.raises(ReadError, match="Fe.*not in this checkpoint"):
        a.condition_id("FeO")
    with pytest.raises(ReadError, match="malformed"):
        a.condition_id("Sr(TiO3")
    with pytest.raises(ReadError, match="unknown element|malformed"):
        a.condition_id("Xy2")


def test_csp_knobs_bound_the_length(crystals) -> None:
    a = _adapter(crystals)

    class M:
        meta = {"sampling_csp": {"temperature": 0.3}}

        class cfg:
            class transformer:
                max_len = 64
    k = a.sampling_knobs(M, {"condition": a.condition_id("SrTiO3"), "cfg_scale": None, "temperature": None})
    assert k["max_len"] == 6 + 5 + 5 and "cfg_scale" not in k and k["temperature"] == 0.3
    k = a.sampling_knobs(M, {"condition": a.condition_id("SrTiO3"), "temperature": 0.9})
    assert k["temperature"] == 0.9  # the user's value wins
    assert "temperature" not in a.sampling_knobs(M, {})  # de novo: the general defaults


def test_training_records_from_cdvae_csv(perov_csv) -> None:
    a = MaterialsAdapter()
    errors: list = []
    import itertools
    recs = [a.training_record(s) for s in itertools.islice(a.read(perov_csv, errors), 50)]
    assert len(recs) == 50 and not errors
    assert all(len(r.tokens) == 5 + 2 + 2 + 5 for r in recs)  # 5 atoms, |, sg, lengths, angles, 5 xyz
    v = np.concatenate([r.values[~np.isnan(r.values).any(1)] for r in recs])
    assert np.abs(v).max() <= 1.0 + 1e-6  # every number slot is O(1)
    assert torch.tensor(v).isfinite().all()


def test_token_text_shows_physical_units(crystals) -> None:
    text = MaterialsAdapter().token_text(crystals[0])
    assert text.startswith("O O O Ti Sr | sg:221 <lengths>(3.905 3.905 3.905 Å) <angles>(90.0 90.0 90.0°)")
    assert text.count("<xyz>(") == 5


def test_relax_records_energy_and_writes_it(tmp_path, crystals) -> None:
    a = MaterialsAdapter()
    s = crystals[0]
    s.apply_strain(0.03)
    out = a.relax([s], steps=20)
    assert -12 < out[0].properties["energy_per_atom"] < -4  # CHGNet on SrTiO3: about -8 eV/atom
    assert "relax_error" not in out[0].properties
    a.write(out, tmp_path / "r")
    assert (tmp_path / "r" / "energies.csv").read_text().splitlines()[1].startswith("000000.cif,SrTiO3,")


def test_min_distance_check_rejects_clashes(crystals) -> None:
    from sciGen.materials.constraint import MinDistanceCheck, lattice_matrix
    from pymatgen.core import Lattice
    m, ref = lattice_matrix(np.array([3.0, 4.0, 5.0]), np.array([80.0, 95.0, 110.0])), \
        Lattice.from_parameters(3, 4, 5, 80, 95, 110).matrix
    assert np.allclose(m @ m.T, ref @ ref.T)  # the same metric (distances), another orientation
    a = _adapter(crystals)
    seq = a.encode(crystals[0])
    toks = torch.cat([torch.tensor([a.vocab.bos_id]), seq.tokens])[None]
    vals = torch.cat([torch.zeros(1, 3), seq.values])[None]
    mask = torch.cat([torch.zeros(1, dtype=torch.bool), seq.value_mask])[None]
    t = toks.shape[1] - 1  # check the last atom against the four before it
    check = MinDistanceCheck(a.vocab)
    xyz = toks[:, t]
    assert check(xyz, toks[:, :t], vals[:, :t], mask[:, :t], vals[:, t]).item()  # the real position: fine
    clash = vals[:, t - 1] + torch.tensor([[0.05, 0.0, 0.0]])  # 0.1 Å from the previous atom
    assert not check(xyz, toks[:, :t], vals[:, :t], mask[:, :t], clash).item()
    wrapped = vals[:, toks[0].tolist().index(a.vocab.index["<xyz>"])].clone()  # the origin atom …
    wrapped[0, 0] = 0.999  # … seen across the periodic boundary (frac 0.9995 ≈ 0)
    assert not check(xyz, toks[:, :t], vals[:, :t], mask[:, :t], wrapped).item()


def test_augmented_records_are_the_same_crystal(tmp_path, crystals) -> None:
    from pymatgen.analysis.structure_matcher import StructureMatcher
    a = MaterialsAdapter()
    a.write(crystals, tmp_path / "c.csv")
    recs = a.training_records(tmp_path / "c.csv", augment=3)
    by_key: dict = {}
    for r in recs:
        by_key.setdefault(r.key, []).append(r)
    assert [len(by_key[k]) for k in ("x0", "x1", "x2")] == [3, 1, 2]  # 3 O, 1 Na, 2 C to put at the origin
    first, second = by_key["x0"][:2]
    assert first.tokens == second.tokens and not np.allclose(first.values[7:], second.values[7:])
    back = [a.codec.decode(r.tokens, r.values) for r in by_key["x0"]]
    assert all(StructureMatcher().fit(b, crystals[0]) for b in back)


def test_a_cell_too_long_for_the_checkpoint_is_refused(crystals) -> None:
    a = _adapter(crystals)

    class M:
        meta: dict = {}

        class cfg:
            class transformer:
                max_len = 24
    assert a.sampling_knobs(M, {"condition": a.condition_id("Sr2Ti2O5")})["max_len"] == 24  # 9 atoms: 2·9 + 6
    with pytest.raises(ReadError, match="15 atoms.*at most 24 tokens \\(9 atoms\\)"):
        a.sampling_knobs(M, {"condition": a.condition_id("Sr3Ti3O9")})
