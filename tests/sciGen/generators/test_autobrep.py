"""AutoBrep generator: next-token training, grammar-masked sampling, prefixes (autocompletion)."""
from __future__ import annotations

import torch

from sciGen.data import Sequence
from sciGen.generators.autobrep import AutoBrep

V, PAD, BOS, EOS = 12, 0, 1, 2


class EvenThenOdd:
    """Toy grammar: tokens alternate even (4, 6, 8, 10) and odd (5, 7, 9, 11); <eos> after 6 tokens."""

    def start(self, prefixes: list[list[int]]) -> None:
        self.n = [len(p) for p in prefixes]

    def allowed(self) -> torch.Tensor:
        m = torch.zeros(len(self.n), V, dtype=torch.bool)
        for i, n in enumerate(self.n):
            if n >= 6:
                m[i, EOS] = True
            else:
                m[i, list(range(4 + n % 2, V, 2))] = True
        return m

    def step(self, tokens: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        roles = torch.tensor([n % 2 for n in self.n])
        self.n = [n + 1 if t != EOS else 99 for n, t in zip(self.n, tokens.tolist())]
        return roles, torch.zeros(len(self.n), dtype=torch.long)

    def finished(self) -> torch.Tensor:
        return torch.tensor([n == 99 for n in self.n])

    def select(self, rows: torch.Tensor) -> None:
        self.n = [self.n[i] for i in rows.tolist()]


def model() -> AutoBrep:
    torch.manual_seed(0)
    return AutoBrep({"vocab_size": V, "pad_id": PAD, "bos_id": BOS, "eos_id": EOS, "n_roles": 4, "max_faces": 4,
                     "uncond_id": 3, "cond_drop": 0.0,
                     "transformer": {"d_model": 32, "n_layers": 2, "n_heads": 2, "d_ff": 64, "max_len": 16},
                     "optim": {"lr": 3e-3, "warmup_steps": 1, "decay_steps": 100}})


def test_learns_a_sequence_and_samples_it_under_the_grammar() -> None:
    m = model()
    seq = Sequence(torch.tensor([4, 5, 8, 9, 10, 11]), level=torch.tensor([0, 1, 0, 1, 0, 1]),
                   ref=torch.zeros(6, dtype=torch.long))
    batch = m.collate([seq] * 4)
    opt = torch.optim.AdamW(m.parameters(), lr=3e-3)
    first = m.losses(batch)["loss"].item()
    for _ in range(150):
        opt.zero_grad()
        m.losses(batch)["loss"].backward()
        opt.step()
    assert m.losses(batch)["loss"].item() < 0.1 * first
    out = m.sample(5, None, generator=torch.Generator().manual_seed(0), constraint=EvenThenOdd(), top_p=0.9)
    assert [s.tokens.tolist() for s in out] == [[4, 5, 8, 9, 10, 11]] * 5
    assert out[0].level.tolist() == [0, 1, 0, 1, 0, 1]


def test_untrained_samples_obey_the_grammar_and_continue_prefixes() -> None:
    m = model()
    gen = torch.Generator().manual_seed(1)
    out = m.sample(16, None, generator=gen, constraint=EvenThenOdd(), top_p=1.0)
    for s in out:
        t = s.tokens.tolist()
        assert len(t) == 6 and all(x % 2 == 0 for x in t[::2]) and all(x % 2 == 1 for x in t[1::2])
    prefixes = [Sequence(torch.tensor([6, 7])), Sequence(torch.tensor([8])), Sequence(torch.tensor([6, 7]))]
    out = m.sample(3, prefixes, generator=gen, constraint=EvenThenOdd(), top_p=1.0)
    assert [s.tokens[:len(p)].tolist() for s, p in zip(out, prefixes)] == [[6, 7], [8], [6, 7]]
    assert all(len(s) == 6 for s in out)
