"""Tests for sciGen.molecules.metrics (MOSES metrics) on tiny hand-made SMILES sets."""

import itertools
import math

import numpy as np
import pytest
from rdkit import Chem, DataStructs
from rdkit.Chem import rdFingerprintGenerator

from sciGen.molecules.metrics import (
    canonical,
    fingerprints,
    internal_diversity,
    mol_passes_filters,
    moses_metrics,
    tanimoto_agg,
)

pytestmark = pytest.mark.filterwarnings("ignore:Can't compute unique@")

# 7 cores x 8 substituents = 56 distinct drug-like molecules, most with >= 2 rings.
_CORES = [
    "{}c1ccc(-c2ccccn2)cc1",
    "{}c1ccc2[nH]ccc2c1",
    "{}c1ccc(C(=O)NC2CCCC2)cc1",
    "{}c1ccc(OCc2ccccc2)cc1",
    "{}c1ccc(N2CCOCC2)cc1",
    "{}c1cccc(C(=O)N2CCCCC2)c1",
    "{}C1CCN(c2ncccn2)CC1",
]
_SUBS = ["C", "CC", "OC", "F", "Cl", "N", "CO", "C(C)C"]
DRUGLIKE = [canonical(c.format(s)) for c, s in itertools.product(_CORES, _SUBS)]


def test_druglike_set_is_valid_and_distinct():
    assert None not in DRUGLIKE
    assert len(set(DRUGLIKE)) == len(DRUGLIKE) == 56


def test_canonical():
    assert canonical("OCC") == canonical("CCO") == "CCO"
    assert canonical("C1CC") is None
    assert canonical("") is None
    assert canonical(None) is None


@pytest.fixture(scope="module")
def small_run():
    generated = ["CCO", "not a smiles", "OCC", None, "CCN", "", "C1CC", "c1ccccc1", "CCO"]
    train = ["OCC", "c1ccccc1"]  # non-canonical on purpose: "OCC" is ethanol
    reference = ["CCO", "CCN", "c1ccccc1", "CCCC"]
    with pytest.warns(UserWarning, match="unique@100"):
        return moses_metrics(generated, reference, train, ks=(2, 4, 100))


def test_keys(small_run):
    assert list(small_run) == ["valid", "unique@2", "unique@4", "unique@100", "novelty",
                               "FCD", "SNN", "Frag", "Scaf", "IntDiv", "IntDiv2", "Filters"]
    res = moses_metrics(DRUGLIKE[:10], DRUGLIKE[:10])
    assert list(res) == ["valid", "unique@1000", "unique@10000", "FCD", "SNN", "Frag",
                         "Scaf", "IntDiv", "IntDiv2", "Filters"]
    assert all(isinstance(v, float) for v in res.values())


def test_valid_counts_garbage_and_none_as_invalid(small_run):
    # valid: CCO, OCC, CCN, c1ccccc1, CCO -> 5 of 9
    assert small_run["valid"] == pytest.approx(5 / 9)


def test_unique_at_k_on_first_k_valid(small_run):
    # valid canonical order: CCO, CCO, CCN, c1ccccc1, CCO
    assert small_run["unique@2"] == pytest.approx(1 / 2)
    assert small_run["unique@4"] == pytest.approx(3 / 4)
    assert small_run["unique@100"] == pytest.approx(3 / 5)  # fewer than k: all valid ones


def test_novelty_against_train(small_run):
    # unique valid {CCO, CCN, benzene}; ethanol and benzene are in train
    assert small_run["novelty"] == pytest.approx(1 / 3)


def test_identical_sets_give_perfect_scores():
    res = moses_metrics(DRUGLIKE, list(reversed(DRUGLIKE)), DRUGLIKE)
    assert res["valid"] == 1.0
    assert res["unique@1000"] == 1.0
    assert res["novelty"] == 0.0
    assert abs(res["FCD"]) < 0.1
    assert res["SNN"] == pytest.approx(1.0)
    assert res["Frag"] == pytest.approx(1.0)
    assert res["Scaf"] == pytest.approx(1.0)
    assert 0.3 < res["IntDiv"] < 1.0
    assert 0.3 < res["IntDiv2"] < 1.0
    # negative control: two disjoint halves are clearly different
    res = moses_metrics(DRUGLIKE[:28], DRUGLIKE[28:], ks=(10,))
    assert res["FCD"] > 1.0
    assert res["SNN"] < 0.9 and res["Frag"] < 0.9 and res["Scaf"] < 0.9


def test_all_invalid_generated_gives_nan_not_crash():
    with pytest.warns(UserWarning):
        res = moses_metrics(["xx", None, "C1CC"], DRUGLIKE[:5], ks=(1,))
    assert res["valid"] == 0.0
    for key in ("unique@1", "FCD", "SNN", "Frag", "Scaf", "IntDiv", "IntDiv2", "Filters"):
        assert math.isnan(res[key]), key


def test_internal_diversity_identical_molecules_is_zero():
    fps = fingerprints([Chem.MolFromSmiles("CC(=O)Nc1ccccc1")] * 6)
    assert internal_diversity(fps, p=1) == pytest.approx(0.0, abs=1e-7)
    assert internal_diversity(fps, p=2) == pytest.approx(0.0, abs=1e-7)


def test_fingerprints_match_rdkit_morgan():
    mols = [Chem.MolFromSmiles(s) for s in DRUGLIKE[:5]]
    fps = fingerprints(mols)
    assert fps.shape == (5, 1024) and fps.dtype == np.uint8
    gen = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=1024)
    for row, mol in zip(fps, mols):
        assert set(np.flatnonzero(row)) == set(gen.GetFingerprint(mol).GetOnBits())


def test_tanimoto_matches_rdkit_datastructs():
    gen = rdFingerprintGenerator.GetMorganGenerator(radius=2, fpSize=1024)
    mols = [Chem.MolFromSmiles(s) for s in DRUGLIKE[::7]]  # 8 molecules
    bv = [gen.GetFingerprint(m) for m in mols]
    fps = fingerprints(mols)
    # single pair
    expected = DataStructs.TanimotoSimilarity(bv[0], bv[1])
    assert 0 < expected < 1
    assert tanimoto_agg(fps[[0]], fps[[1]])[0] == pytest.approx(expected, rel=1e-6)
    # full matrix through max / mean / p=2 aggregation, with chunking exercised
    ref, gen_idx = [0, 1, 2, 3, 4], [5, 6, 7, 0]
    mat = np.array([DataStructs.BulkTanimotoSimilarity(bv[g], [bv[r] for r in ref])
                    for g in gen_idx])
    np.testing.assert_allclose(tanimoto_agg(fps[ref], fps[gen_idx], "max", chunk=2),
                               mat.max(1), rtol=1e-6)
    np.testing.assert_allclose(tanimoto_agg(fps[ref], fps[gen_idx], "mean", chunk=3),
                               mat.mean(1), rtol=1e-6)
    np.testing.assert_allclose(tanimoto_agg(fps[ref], fps[gen_idx], "mean", p=2, chunk=3),
                               np.sqrt((mat ** 2).mean(1)), rtol=1e-6)


@pytest.mark.parametrize("smiles", [
    "c1ccccc1", "CCO", "CCCO", "OCc1ccccc1", "CC(=O)Nc1ccccc1", "Cc1ccc(cc1)S(N)(=O)=O",
])
def test_clean_molecules_pass_filters(smiles):
    assert mol_passes_filters(smiles)
    assert mol_passes_filters(Chem.MolFromSmiles(smiles))


@pytest.mark.parametrize("smiles", [
    "S=C1SC(=Cc2ccccc2)C(=O)N1",  # benzylidene rhodanine: PAINS ene_rhod
    "c1ccc(N=Nc2ccccc2)cc1",      # azobenzene: PAINS azo_A / MCF N=N
    "CC=O",                       # aldehyde: MCF7
    "C1CO1",                      # epoxide: MCF5
])
def test_pains_and_mcf_hits_fail_filters(smiles):
    assert not mol_passes_filters(smiles)


@pytest.mark.parametrize("smiles", [
    "C[N+](C)(C)C", "CC(=O)[O-]",   # charged
    "C[Si](C)(C)C", "CCP(C)C",      # atoms outside C N S O F Cl Br H
    "C1CCCCCCC1",                   # ring of size >= 8
])
def test_charged_exotic_or_macrocyclic_fail_filters(smiles):
    assert not mol_passes_filters(smiles)


def test_invalid_smiles_fails_filters():
    assert not mol_passes_filters("C1CC")
    assert not mol_passes_filters(None)


def test_filters_fraction_in_moses_metrics():
    generated = ["c1ccccc1", "CCO", "C[N+](C)(C)C", "CC=O", "CCO"]
    res = moses_metrics(generated, DRUGLIKE[:5], ks=(5,))
    assert res["Filters"] == pytest.approx(3 / 5)  # duplicates counted, as in MOSES
