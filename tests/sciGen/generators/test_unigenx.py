"""UniGenX on a toy task whose number slots depend on the preceding tokens."""
from __future__ import annotations

import pytest
import torch

from sciGen.data import Sequence, Vocab
from sciGen.generators.unigenx import UniGenX, filter_logits

K = 4  # classes A0..A3; each sequence is "A_k <num> B" with value k - 1.5 + small noise


def toy(vocab: Vocab, n: int, g: torch.Generator) -> list[Sequence]:
    out = []
    for k in torch.randint(0, K, (n,), generator=g).tolist():
        toks = torch.tensor(vocab.encode([f"A{k}", "<num>", "B"]))
        vals = torch.zeros(3, 1)
        vals[1, 0] = k - 1.5 + 0.05 * torch.randn(1, generator=g).item()
        out.append(Sequence(toks, vals, torch.tensor([False, True, False])))
    return out


@pytest.fixture(scope="module")
def trained() -> tuple[UniGenX, Vocab]:
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(0)
    vocab = Vocab([f"A{k}" for k in range(K)] + ["<num>", "B"], numbers=["<num>"], value_dim=1)
    model = UniGenX({"vocab_size": len(vocab), "value_dim": 1, "number_ids": vocab.number_ids,
                     "transformer": {"d_model": 64, "n_layers": 2, "n_heads": 4, "d_ff": 128, "max_len": 8},
                     "diffusion": {"width": 64, "depth": 2, "train_steps": 200, "sample_steps": 40,
                                   "batch_mul": 2}})
    opt = torch.optim.AdamW(model.parameters(), lr=2e-3)
    for _ in range(300):
        out = model.losses(model.collate(toy(vocab, 64, g)))
        opt.zero_grad()
        out["loss"].backward()
        opt.step()
    assert out["token_loss"].item() < 1.6  # log(4) ≈ 1.39 for the free first token
    return model, vocab


def test_sampled_numbers_follow_their_tokens(trained) -> None:
    model, vocab = trained
    seqs = model.sample(200, generator=torch.Generator().manual_seed(1))
    errs, spread = [], []
    good = [s for s in seqs if vocab.decode(s.tokens.tolist())[1:] == ["<num>", "B"]]
    assert len(good) >= 0.95 * len(seqs)  # a 300-step model still slips now and then
    for s in good:
        toks = vocab.decode(s.tokens.tolist())
        assert s.value_mask.tolist() == [False, True, False]
        k = int(toks[0][1])
        errs.append(abs(s.values[1, 0].item() - (k - 1.5)))
        spread.append(k - 1.5)
    mae = sum(errs) / len(errs)
    std = torch.tensor(spread).std().item()  # ≈ 1.1 for uniform k
    assert mae < 0.25 * std, (mae, std)
    assert len({vocab.decode([s.tokens[0].item()])[0] for s in good}) == K  # every class is generated


def test_prefix_conditioning(trained) -> None:
    model, vocab = trained
    cond = Sequence(torch.tensor(vocab.encode(["A3"])), torch.zeros(1, 1), torch.tensor([False]))
    seqs = model.sample(50, cond, generator=torch.Generator().manual_seed(2))
    vals = torch.tensor([s.values[1, 0].item() for s in seqs])
    assert all(s.tokens[0].item() == vocab.index["A3"] for s in seqs)
    assert abs(vals.mean().item() - 1.5) < 0.25


def test_cache_and_no_cache_sample_the_same(trained) -> None:
    model, _ = trained
    a = model.sample(16, generator=torch.Generator().manual_seed(3), use_cache=True)
    b = model.sample(16, generator=torch.Generator().manual_seed(3), use_cache=False)
    assert [s.tokens.tolist() for s in a] == [s.tokens.tolist() for s in b]
    assert torch.allclose(torch.stack([s.values for s in a]), torch.stack([s.values for s in b]), atol=1e-3)


def test_fixed_length_sampling_ignores_eos(trained) -> None:
    model, _ = trained
    seqs = model.sample(4, generator=torch.Generator().manual_seed(4), stop_at_eos=False, max_len=8)
    assert all(len(s) == 7 for s in seqs)


def test_filter_logits() -> None:
    logits = torch.tensor([[1.0, 3.0, 2.0, 0.0]])
    assert torch.isinf(filter_logits(logits, top_k=2)).tolist() == [[True, False, False, True]]
    p = filter_logits(logits, top_p=0.5)
    assert torch.isfinite(p).sum().item() == 1 and p[0, 1].item() == 3.0


def test_fill_keeps_tokens_and_draws_numbers_for_the_given_tokens(trained) -> None:
    model, vocab = trained
    templates = []
    for k in (0, 3, 1):
        toks = torch.tensor(vocab.encode([f"A{k}", "<num>", "B"]))
        templates.append(Sequence(toks, torch.zeros(3, 1), torch.tensor([False, True, False])))
    short = Sequence(torch.tensor(vocab.encode(["A2", "<num>"])), torch.zeros(2, 1), torch.tensor([False, True]))
    out = model.fill(templates * 20 + [short], generator=torch.Generator().manual_seed(0), batch_size=64)
    assert len(out) == 61 and len(out[-1]) == 2 and abs(out[-1].values[1, 0].item() - 0.5) < 0.3
    for t, s in zip(templates * 20, out):
        assert torch.equal(s.tokens, t.tokens) and s.value_mask.tolist() == [False, True, False]
        k = int(vocab.decode([int(t.tokens[0])])[0][1:])
        assert abs(s.values[1, 0].item() - (k - 1.5)) < 0.3 and s.values[0].abs().sum() == 0


def test_fill_conditions_each_number_on_everything_before_it(trained, monkeypatch) -> None:
    """With a head that returns its condition, fill's values must equal the training pass's hidden states over
    the filled sequence: rows of different lengths share one KV-cached pass without mixing."""
    model, vocab = trained
    monkeypatch.setattr(model.head, "sample", lambda cond, *a, **k: cond[:, :1] / 10)
    rows = [["A0", "<num>", "<num>", "B"], ["A1", "<num>"], ["A2", "B", "<num>", "<num>", "<num>"]]
    templates = [Sequence(torch.tensor(vocab.encode(r)), torch.zeros(len(r), 1),
                          torch.tensor([t == "<num>" for t in r])) for r in rows]
    for s in model.fill(templates):
        w = model._wrap(s, eos=False)
        h = model.body(model.embed(w.tokens[None], w.values[None], w.value_mask[None]))[0]
        expect = h[:-1, :1] / 10  # the hidden state before each position
        assert torch.allclose(s.values[s.value_mask], expect[s.value_mask], atol=1e-5)


def _anchored(vocab: Vocab, train_only: list[str] | None = None) -> UniGenX:
    torch.manual_seed(0)
    return UniGenX({"vocab_size": len(vocab), "value_dim": 1, "number_ids": vocab.number_ids,
                    "transformer": {"d_model": 32, "n_layers": 1, "n_heads": 2, "d_ff": 64, "max_len": 8},
                    "diffusion": {"width": 32, "depth": 1, "train_steps": 50, "sample_steps": 5,
                                  "anchored": True, "refine_width": 16},
                    "train_only": train_only or []})


def _pairs(vocab: Vocab) -> list[Sequence]:
    """``A_k <num> <num> B``: the second number is anchored to the first (ref = 1)."""
    out = []
    for k, u in ((0, 3.0), (2, -4.0)):
        vals = torch.tensor([[0.0], [u], [u + 0.1 * k], [0.0]])
        out.append(Sequence(torch.tensor(vocab.encode([f"A{k}", "<num>", "<num>", "B"])), vals,
                            torch.tensor([False, True, True, False]), ref=torch.tensor([-1, -1, 1, -1])))
    return out


def test_anchored_model_reads_each_slot_s_anchor_value(trained, monkeypatch) -> None:
    """Training gathers each slot's anchor value from ``ref`` (shifted past <bos>; none reads <bos>'s zero);
    sampling asks ``value_anchor`` for the position and hands the value there to the head."""
    vocab = trained[1]
    model = _anchored(vocab)
    seen = {}
    real = model.head.forward
    monkeypatch.setattr(model.head, "forward",
                        lambda t, c, m, anchor: seen.update(a=anchor, m=m) or real(t, c, m, anchor))
    out = model.losses(model.collate(_pairs(vocab)))
    assert torch.isfinite(out["value_loss"])
    a = seen["a"].view(2, -1)[:, :3]  # the slots after <bos>: A_k, first <num>, second <num>
    assert a.tolist() == [[0.0, 0.0, 3.0], [0.0, 0.0, -4.0]]
    with pytest.raises(ValueError, match="value_anchor"):
        model.sample(2, generator=torch.Generator().manual_seed(0))
    got = []

    def head_sample(cond, *a, anchor=None, **k):
        got.append(anchor.clone())
        return anchor + 1.0
    monkeypatch.setattr(model.head, "sample", head_sample)
    template = Sequence(torch.tensor(vocab.encode(["A1", "<num>", "<num>"])), torch.zeros(3, 1),
                        torch.tensor([False, True, True]))
    anchor_of = lambda token, tokens, values, mask: torch.full((len(token),), tokens.shape[1] - 1)  # noqa: E731
    s = model.fill([template], value_anchor=anchor_of)[0]
    assert s.values[1:, 0].tolist() == [1.0, 2.0]  # <bos>'s 0 + 1, then the previous slot's 1 + 1
    assert [g.item() for g in got] == [0.0, 1.0]


def test_train_only_freezes_everything_else(trained) -> None:
    vocab = trained[1]
    model = _anchored(vocab, ["head.refine"])
    grads = {n for n, p in model.named_parameters() if p.requires_grad}
    assert grads and all(n.startswith("head.refine.") for n in grads)
    model.losses(model.collate(_pairs(vocab)))["loss"].backward()
    assert all(p.grad is None for n, p in model.named_parameters() if n not in grads)
    with pytest.raises(ValueError, match="train_only"):
        _anchored(vocab, ["head.nothing"])


def test_anchor_chained_noise_moves_targets_with_their_anchors() -> None:
    from sciGen.generators.unigenx import anchor_chained_noise

    g = torch.Generator().manual_seed(0)
    values = torch.randn(2, 6, 3, generator=g)
    mask = torch.tensor([[False, True, True, True, True, False]] * 2)
    ref = torch.tensor([[0, 0, 1, 2, 1, 0], [0, 0, 0, 2, 3, 0]])  # row 1: slot 2 has no anchor
    inp, tgt = anchor_chained_noise(values, mask, ref, 0.1, torch.Generator().manual_seed(1))
    assert inp.shape == tgt.shape == values.shape
    assert torch.equal(inp[~mask], values[~mask]) and torch.equal(tgt[~mask], values[~mask])
    for b in range(2):
        for k in range(1, 5):
            a = int(ref[b, k])
            # a target keeps its true offset to its anchor as perturbed (none: to the true origin)
            assert torch.allclose(tgt[b, k] - inp[b, a], values[b, k] - values[b, a], atol=1e-6)
    assert (inp[mask] - values[mask]).abs().max() > 0.01  # the context is perturbed
    assert torch.allclose(tgt[0, 1], values[0, 1]) and torch.allclose(tgt[1, 2], values[1, 2])  # no anchor
    same, _ = anchor_chained_noise(values, mask, ref, 0.0)
    assert torch.equal(same, values)


def test_context_noise_perturbs_training_only() -> None:
    torch.manual_seed(0)
    vocab = Vocab(["A", "<num>"], numbers=["<num>"], value_dim=1)
    model = UniGenX({"vocab_size": len(vocab), "value_dim": 1, "number_ids": vocab.number_ids, "context_noise": 0.5,
                     "transformer": {"d_model": 32, "n_layers": 1, "n_heads": 2, "d_ff": 64, "max_len": 8},
                     "diffusion": {"width": 32, "depth": 1, "train_steps": 50, "sample_steps": 5}})
    seq = Sequence(torch.tensor(vocab.encode(["A", "<num>", "<num>"])), torch.tensor([[0.0], [1.0], [2.0]]),
                   torch.tensor([False, True, True]), ref=torch.tensor([-1, -1, 1]))
    b = model.collate([seq] * 4)
    assert b.ref is not None and b.ref[0].tolist() == [0, 0, 0, 2, 0]  # shifted for <bos>; none → <bos>
    model.eval()
    torch.manual_seed(1)
    a = model.losses(b)["token_loss"]
    torch.manual_seed(2)
    assert torch.equal(a, model.losses(b)["token_loss"])  # no noise in eval: the token loss is deterministic
    model.train()
    torch.manual_seed(1)
    assert not torch.equal(a, model.losses(b)["token_loss"])  # the transformer read perturbed numbers
    with pytest.raises(ValueError, match="anchors"):
        model.losses(model.collate([Sequence(seq.tokens, seq.values, seq.value_mask)]))
