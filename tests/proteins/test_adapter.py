"""The proteins adapter: vocabulary, decode / validate, simulated training data, `scigen train` end to end."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch

from sciGen.adapter import DecodeError
from sciGen.config import from_dict
from sciGen.data import Sequence
from sciGen.proteins.adapter import ProteinsAdapter
from sciGen.proteins.residues import RESIDUE_MASS, mz, peptide_mass
from sciGen.proteins.spectrum import Prediction, Spectrum
from sciGen.train import DataConfig, load_model

PROTEINS = ">sp|P1|ONE\nMKWVTFISLLLLFSSAYSRGVFRRDTHKSEIAHRFKDLGEEHFKGLVLIAFSQYLQQCPFDEHVKLVNELTEFAKTCVADESHAGCEK\n" \
           ">sp|P2|TWO\nMDLSALRVEEVQNVINAMQKILECPICLELIKEPVSTKCDHIFCKFCMLKLLNQKKGPSQCPLCKNDITKRSLQESTRFSQLVEELLK\n"

TINY = """\
domain: proteins
generator: bidir_peptide
data:
  train: {fasta}
  holdout_fraction: 0.2
  options: {{exclude_labels: [{labels}], val_size: 8, simulator: {{max_length: 20}}}}
model: {{d_model: 32, n_heads: 2, d_ff: 64, encoder_layers: 1, nar_layers: 1, ar_layers: 1, nar_positions: 24,
        max_len: 24, anneal_steps: 4, stage2_step: 3, optim: {{warmup_steps: 1, decay_steps: 4}}}}
trainer: {{batch_size: 4, max_steps: 4, val_every: 2, val_batches: 1, log_every: 1, accelerator: cpu}}
"""


def test_vocab_and_model_fields() -> None:
    a = ProteinsAdapter()
    v = a.vocab
    f = a.model_fields(v)
    assert len(f["token_masses"]) == len(v) == f["vocab_size"]
    assert f["token_masses"][v.index["C[Carbamidomethyl]"]] == pytest.approx(RESIDUE_MASS["C[Carbamidomethyl]"])
    assert f["token_masses"][v.eos_id] == 0.0
    assert sorted(v.decode(f["first_only_ids"])) == ["[Acetyl]-", "[Ammonia-loss]-", "[Carbamyl]-"]


def test_encode_decode_round_trip_and_errors() -> None:
    a = ProteinsAdapter()
    pep = "[Acetyl]-M[Oxidation]PEPC[Carbamidomethyl]TN[Deamidated]K"
    seq = a.encode(pep)
    assert a.decode(seq) == pep
    with pytest.raises(DecodeError):
        a.decode(Sequence(torch.tensor([], dtype=torch.long)))
    with pytest.raises(DecodeError):
        a.decode(Sequence(torch.tensor([a.vocab.index["P"], a.vocab.eos_id, a.vocab.index["K"]])))


def test_validate_checks_precursor_mass() -> None:
    a = ProteinsAdapter()
    s = Spectrum(mz=None, intensity=None, precursor_mz=mz(peptide_mass("PEPTIDEK"), 2), charge=2)
    assert a.validate(Prediction(s, "PEPTIDEK", 0.9)).ok
    bad = a.validate(Prediction(s, "PEPTIDEKK", 0.9))
    assert not bad.ok and "does not match precursor" in bad.reasons[0]
    assert not a.validate("PEPXIDE").ok


def test_training_datasets_exclude_labelled_peptides(tmp_path: Path) -> None:
    fasta = tmp_path / "p.fasta"
    fasta.write_text(PROTEINS)
    labels = tmp_path / "labels.mgf"
    labels.write_text("BEGIN IONS\nPEPMASS=500\nCHARGE=2+\nSEQ=GVFRR\n100 1\nEND IONS\n")
    a = ProteinsAdapter()
    dc = from_dict(DataConfig, {"train": str(fasta), "holdout_fraction": 0.2,
                                "options": {"exclude_labels": [str(labels)], "val_size": 6}})
    ds = a.training_datasets(dc, a.vocab, {"max_len": 32}, seed=0)
    assert ds["info"]["n_excluded_overlapping_labels"] >= 1
    every = ds["train"].sampler.peptides + ds["holdout_keys"]
    assert not any("GVFRR" in p or p in "GVFRR" for p in every)
    assert set(ds["train"].sampler.peptides).isdisjoint(ds["holdout_keys"])
    val = list(ds["val"])
    again = list(ds["val"])  # a fixed, repeatable validation set
    assert len(val) == 6 and [v["tokens"] for v in val] == [v["tokens"] for v in again]
    assert all((v["peaks"] == w["peaks"]).all() for v, w in zip(val, again))
    b = ds["collate"](val)
    assert b["peaks"].shape[0] == 6 and b["peaks"].shape[2] == 2 and b["tokens"].shape[0] == 6
    with pytest.raises(Exception, match="unknown key"):
        a.training_datasets(from_dict(DataConfig, {"train": str(fasta), "options": {"bogus": 1}}), a.vocab, {}, 0)


def test_scigen_train_proteins_end_to_end(tmp_path: Path, run_scigen) -> None:
    fasta = tmp_path / "p.fasta"
    fasta.write_text(PROTEINS)
    labels = tmp_path / "labels.mgf"
    labels.write_text("BEGIN IONS\nPEPMASS=500\nCHARGE=2+\nSEQ=GVFRR\n100 1\nEND IONS\n")
    cfg = tmp_path / "tiny.yaml"
    cfg.write_text(TINY.format(fasta=fasta, labels=labels))
    r = run_scigen("train", cfg, "--output", tmp_path / "run")
    assert r.returncode == 0, r.stderr[-2000:]
    model, adapter = load_model(tmp_path / "run" / "model.pt")
    assert model.cfg.d_model == 32 and model.cfg.stage2_step == 3 and isinstance(adapter, ProteinsAdapter)
    assert (tmp_path / "run" / "holdout.txt").read_text().strip()
