"""Atom-level SMILES tokenizer.

The regular expression of Schwaller et al. 2019 ("Molecular Transformer", ACS Cent. Sci.):
bracket atoms stay whole (``[nH]``, ``[C@@H]``, ``[NH3+]``), two-letter halogens are one token,
ring-bond numbers ``%nn`` are one token.
"""
from __future__ import annotations

import re

SMILES_REGEX = re.compile(
    r"(\[[^\]]+]|Br?|Cl?|N|O|S|P|F|I|b|c|n|o|s|p|\(|\)|\.|=|#|-|\+|\\|\/|:|~|@|\?|>|\*|\$|%[0-9]{2}|[0-9])"
)


class TokenizeError(ValueError):
    """A string holds characters that are not SMILES tokens."""


class SmilesTokenizer:
    """Two verbs: ``encode(smiles) -> list[str]`` and ``decode(tokens) -> str``."""

    pattern = SMILES_REGEX

    def encode(self, smiles: str) -> list[str]:
        tokens = self.pattern.findall(smiles)
        if "".join(tokens) != smiles:
            pos = 0
            for t in tokens:
                if not smiles.startswith(t, pos):
                    break
                pos += len(t)
            raise TokenizeError(f"not a SMILES token at position {pos}: {smiles[pos:pos + 10]!r}")
        return tokens

    def decode(self, tokens: list[str]) -> str:
        return "".join(tokens)
