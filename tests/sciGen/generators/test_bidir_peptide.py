"""BidirPeptide on a synthetic, domain-free task: tokens are 'residues' with masses, a 'spectrum'
has peaks at the prefix and suffix masses of its sequence."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from sciGen.generators.bidir_peptide import BidirPeptide

MASSES = [0.0, 0.0, 0.0, 0.0, 57.02, 71.04, 87.03, 97.05, 113.08, 128.09, 156.10]  # 4 specials + 7 residues
WATER, PROTON = 18.0106, 1.00728
IONS = [[1, 0, PROTON, 1], [-1, 1, PROTON, 1]]  # b and y ions


def config(**kw) -> dict:
    c = dict(vocab_size=len(MASSES), token_masses=MASSES, water_mass=WATER, ion_types=IONS, d_model=32,
             n_heads=2, d_ff=64, dropout=0.0, encoder_layers=1, nar_layers=1, ar_layers=2, nar_positions=16,
             max_len=8, max_charge=3, anneal_start=0.5, anneal_end=0.1, anneal_steps=100, stage2_step=-1,
             optim={"lr": 3e-3, "warmup_steps": 10, "decay_steps": 400, "weight_decay": 0.0})
    c.update(kw)
    return c


def spectrum(seq: list[int]) -> tuple[np.ndarray, np.ndarray]:
    m = np.array([MASSES[t] for t in seq])
    total = m.sum() + WATER
    b = np.cumsum(m)[:-1] + PROTON
    y = total - np.cumsum(m)[:-1] + PROTON
    mz = np.sort(np.r_[b, y])
    return np.stack([mz, np.ones_like(mz)], 1).astype(np.float32), np.array([total, 2, (total + 2 * PROTON) / 2])


def batch(seqs: list[list[int]]) -> dict[str, torch.Tensor]:
    specs = [spectrum(s) for s in seqs]
    P, L = max(len(p) for p, _ in specs), max(len(s) for s in seqs)
    peaks = torch.zeros(len(seqs), P, 2)
    mask = torch.zeros(len(seqs), P, dtype=torch.bool)
    toks = torch.zeros(len(seqs), L, dtype=torch.long)
    for i, ((p, _), s) in enumerate(zip(specs, seqs)):
        peaks[i, : len(p)] = torch.from_numpy(p)
        mask[i, : len(p)] = True
        toks[i, : len(s)] = torch.tensor(s)
    prec = torch.from_numpy(np.stack([pr for _, pr in specs])).double()
    return {"peaks": peaks, "peak_mask": mask, "precursor": prec, "tokens": toks,
            "lengths": torch.tensor([len(s) for s in seqs])}


SEQS = [[4, 5, 6, 10], [7, 8, 9, 5, 10], [6, 6, 4, 9], [8, 5, 7, 4, 6, 10]]


def test_losses_and_importance_annealing():
    torch.manual_seed(0)
    m = BidirPeptide(config(stage2_step=150))
    res = m.losses(batch(SEQS), 0)
    assert set(res) >= {"ar", "ctc", "loss"} and torch.isfinite(res["loss"])
    assert m.ctc_weight(0) == pytest.approx(0.5) and m.ctc_weight(50) == pytest.approx(0.3)
    assert m.ctc_weight(100) == pytest.approx(0.1) and m.ctc_weight(120) == pytest.approx(0.1)
    assert m.ctc_weight(150) == 0.0  # stage 2: AR decoder alone


def test_cross_decoder_gradient_blocking_and_stage2_freeze():
    torch.manual_seed(0)
    m = BidirPeptide(config(stage2_step=10))
    m.losses(batch(SEQS), 0)["ar"].backward()
    assert all(p.grad is None or not p.grad.any() for p in m.nar.parameters())  # stop-grad(NAR features)
    assert any(p.grad is not None and p.grad.any() for p in m.encoder.parameters())
    m.zero_grad(set_to_none=True)
    m.losses(batch(SEQS), 10)["loss"].backward()  # stage 2: encoder and NAR decoder frozen
    assert all(p.grad is None for p in list(m.encoder.parameters()) + list(m.nar.parameters()))
    assert any(p.grad is not None for p in m.ar.parameters())


def test_ar_only_ablation_has_no_nar_decoder():
    m = BidirPeptide(config(bidirectional=False))
    assert m.nar is None
    res = m.losses(batch(SEQS), 0)
    assert "ctc" not in res and torch.equal(res["loss"], res["ar"])


def test_beam_scores_equal_full_forward_probabilities():
    """The KV-cached beam search's residue probabilities equal a full teacher-forced forward pass."""
    torch.manual_seed(1)
    m = BidirPeptide(config()).eval()
    b = batch(SEQS)
    res = m.decode_spectra(b["peaks"], b["peak_mask"], b["precursor"], beam_size=3, fixed_length=5)
    for i, r in enumerate(res):
        assert len(r["tokens"]) == 5 and not r["mass_ok"] and r["score"] < 0
        one = {k: v[i:i + 1] for k, v in b.items()}
        one["tokens"], one["lengths"] = torch.tensor([r["tokens"]]), torch.tensor([5])
        mem, mem_mask, _ = m.memory(one["peaks"], one["peak_mask"], one["precursor"])
        inp = torch.cat([torch.tensor([[m.cfg.bos_id]]), one["tokens"]], 1)
        rm = one["precursor"][:, 0] - m.cfg.water_mass
        h = m.ar(m.ar_inputs(inp, rm), mem, mem_mask)
        lg = m.logits(h, one["peaks"], one["peak_mask"], m.token_masses[inp].cumsum(1), one["precursor"][:, 0])
        p = lg.log_softmax(-1)[0, torch.arange(5), one["tokens"][0]].exp()
        assert np.allclose(p.detach().numpy(), r["aa_scores"], atol=1e-4)


def test_learns_and_mass_filter_accepts_only_matching_peptides():
    torch.manual_seed(0)
    m = BidirPeptide(config())
    opt = torch.optim.Adam(m.parameters(), lr=3e-3)
    b = batch(SEQS)
    for step in range(250):
        loss = m.losses(b, step)["loss"]
        opt.zero_grad()
        loss.backward()
        opt.step()
    m.eval()
    res = m.decode_spectra(b["peaks"], b["peak_mask"], b["precursor"], beam_size=4, tol_ppm=20)
    assert [r["tokens"] for r in res] == SEQS
    for r, pr in zip(res, b["precursor"]):
        assert r["mass_ok"] and 0 < r["score"] <= 1
        assert abs(sum(MASSES[t] for t in r["tokens"]) + WATER - float(pr[0])) < 1e-3
    # a precursor no peptide can match: the answer is flagged and scored below zero
    bad = dict(b)
    bad["precursor"] = b["precursor"].clone()
    bad["precursor"][:, 0] += 0.5
    for r in m.decode_spectra(bad["peaks"], bad["peak_mask"], bad["precursor"], beam_size=4, tol_ppm=20):
        assert not r["mass_ok"] and r["score"] < 0
