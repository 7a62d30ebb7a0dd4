"""Grammar-constrained sampling for AutoBrep: the :class:`~sciGen.cad.tokens.Grammar` of each row turned
into a (B, V) mask of allowed next tokens (the generator's ``Constraint`` protocol).

Besides the grammar, a row that nears ``max_len`` may only close what it has open (no new face or
edge), so a sample always ends as a complete sequence instead of being cut off.
"""
from __future__ import annotations

import torch

from sciGen.cad.tokens import COND, Grammar, TokenSpec
from sciGen.data import EOS, Vocab

_CLOSING_MARGIN = 16  # tokens left when a row must stop opening faces / edges (a face block is 12 + 9 per edge)


class GrammarConstraint:
    def __init__(self, vocab: Vocab, spec: TokenSpec, max_faces: int = 64, max_len: int = 1024) -> None:
        self.vocab, self.spec, self.max_faces, self.max_len = vocab, spec, max_faces, max_len
        idx = vocab.index
        self.ids = {"cond": [idx[t] for t in COND], "q": [idx[f"q{k}"] for k in range(spec.bins)],
                    "f": [idx[f"f{k}"] for k in range(spec.face_codebook)],
                    "e": [idx[f"e{k}"] for k in range(spec.edge_codebook)], "eos": [idx[EOS]]}
        for s in ("<bol>", "<eol>", "<bof>", "<eof>"):
            self.ids[f"struct:{s}"] = [idx[s]]
        self.r0 = idx["r0"]
        self.rows: list[Grammar] = []
        self.lengths: list[int] = []

    def _grammar(self) -> Grammar:
        return Grammar(TokenSpec(self.spec.bins, self.max_faces, self.spec.face_codebook, self.spec.edge_codebook))

    def start(self, prefixes: list[list[int]]) -> None:
        self.rows, self.lengths = [], []
        for p in prefixes:
            g = self._grammar()
            for i, t in enumerate(self.vocab.decode(p)):
                g.step(t, i)
            self.rows.append(g)
            self.lengths.append(len(p) + 1)

    def allowed(self) -> torch.Tensor:
        mask = torch.zeros(len(self.rows), len(self.vocab), dtype=torch.bool)
        for i, (g, n) in enumerate(zip(self.rows, self.lengths)):
            a = g.allowed()
            kinds = set(a["kinds"])
            if n + _CLOSING_MARGIN >= self.max_len:  # close up: no new face or edge
                closing = kinds - {"r", "struct:<bof>", "struct:<bol>"}
                if closing:
                    kinds = closing
            for k in kinds:
                if k == "r":
                    lo, hi = a["ref"]
                    mask[i, self.r0 + lo:self.r0 + hi] = True
                else:
                    mask[i, self.ids[k]] = True
        return mask

    def step(self, tokens: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        from sciGen.cad.adapter import ROLE, role_of
        roles, faces = [], []
        for i, (g, t) in enumerate(zip(self.rows, self.vocab.decode(tokens.tolist()))):
            roles.append(ROLE[role_of(g, t)])
            g.step(t)
            self.lengths[i] += 1
            faces.append(min(g.n_faces, self.max_faces) if g.state not in ("cond", "after_cond", "bol", "eol", "end") else 0)
        return torch.tensor(roles), torch.tensor(faces)

    def finished(self) -> torch.Tensor:
        return torch.tensor([g.state == "end" for g in self.rows])

    def select(self, rows: torch.Tensor) -> None:
        keep = rows.tolist()
        self.rows = [self.rows[i] for i in keep]
        self.lengths = [self.lengths[i] for i in keep]
