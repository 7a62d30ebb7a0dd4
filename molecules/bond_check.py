"""A hard constraint for sampling molecules in 3D: each atom lands where its SMILES says it is bonded.

UniGenX-3D writes a SMILES, then one coordinate slot per atom.  When the diffusion head proposes a position
for atom *k*, this check (``UniGenX.sample``'s / ``fill``'s ``value_check``) accepts it only if, against every
atom already placed, the perceived connectivity agrees with the SMILES graph — closer than
:data:`~sciGen.molecules.geometry.BOND_FACTOR` × the sum of covalent radii exactly for the bonded ones — and
nothing clashes; otherwise the sampler draws the position again.  It is the numeric counterpart of a
grammar mask, enforcing while generating the rule :func:`~sciGen.molecules.geometry.geometry_problems`
checks afterwards.  Bond *orders* (and so EDM's stability) are left to the model.
"""
from __future__ import annotations

import numpy as np
import torch
from rdkit import Chem

from sciGen.data import Vocab
from sciGen.molecules.conformer import COORDS, SCALE, ConformerError, ConformerSequence, anchor_atom
from sciGen.molecules.geometry import BOND_FACTOR, CLASH_FACTOR

_PT = Chem.GetPeriodicTable()


class BondCheck:
    """``value_check`` for :class:`~sciGen.generators.unigenx.UniGenX` on molecule-with-coordinates sequences;
    :meth:`anchor` is its ``value_anchor`` (the same SMILES graphs, cached once per SMILES)."""

    def __init__(self, vocab: Vocab, codec: ConformerSequence) -> None:
        self.vocab, self.codec = vocab, codec
        self.coords_id = vocab.index[COORDS]
        self._graphs: dict[tuple[int, ...], tuple[np.ndarray, np.ndarray] | None] = {}

    def anchor(self, token: torch.Tensor, tokens: torch.Tensor, values: torch.Tensor,
               value_mask: torch.Tensor) -> torch.Tensor:
        """The position among ``tokens`` (N, t) (<bos> first) of the slot of the atom the next atom is bonded to
        that was placed last (:func:`~sciGen.molecules.conformer.anchor_atom`); 0 (<bos>) when there is none or
        the SMILES does not parse: (N,) long."""
        out = torch.zeros(len(token), dtype=torch.long)
        tok = tokens.cpu().numpy()
        for i in range(len(token)):
            row = self._next_atom(tok[i])
            if row is not None:
                k, (_, adj), n = row
                j = anchor_atom(adj, n)
                out[i] = k + 1 + j if j >= 0 else 0
        return out

    def _next_atom(self, tok: np.ndarray) -> tuple[int, tuple[np.ndarray, np.ndarray], int] | None:
        """For one row of token ids (<bos> first): (position of <coords>, its SMILES graph, index of the atom about
        to be placed), or None before <coords>, for an unparsable SMILES, or past the SMILES's last atom."""
        where = np.nonzero(tok == self.coords_id)[0]
        if len(where) == 0:
            return None
        k = int(where[0])
        g = self.graph(tuple(int(x) for x in tok[1:k]))  # position 0 is <bos>
        n = len(tok) - k - 1  # atoms placed so far
        return None if g is None or n >= len(g[0]) else (k, g, n)

    def graph(self, smiles_ids: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray] | None:
        """(covalent radii (N,), adjacency (N, N) bool) in sequence order, or None for a SMILES that does not
        parse (decoding will say why)."""
        if smiles_ids not in self._graphs:
            try:
                mol, _ = self.codec.skeleton(self.vocab.decode(smiles_ids))
                r = np.array([_PT.GetRcovalent(a.GetAtomicNum()) for a in mol.GetAtoms()])
                self._graphs[smiles_ids] = (r, Chem.GetAdjacencyMatrix(mol).astype(bool))
            except (ConformerError, IndexError):
                self._graphs[smiles_ids] = None
        return self._graphs[smiles_ids]

    def __call__(self, token: torch.Tensor, tokens: torch.Tensor, values: torch.Tensor, value_mask: torch.Tensor,
                 candidate: torch.Tensor) -> torch.Tensor:
        ok = torch.ones(len(token), dtype=torch.bool)
        tok = tokens.cpu().numpy()
        vals, cand = values.double().cpu().numpy(), candidate.double().cpu().numpy()
        for i in range(len(token)):
            row = self._next_atom(tok[i])
            if row is None:
                continue
            k, (r, adj), n = row
            d = np.linalg.norm(vals[i, k + 1:] * SCALE - cand[i] * SCALE, axis=-1)
            reach = r[:n] + r[n]
            bonded = d < BOND_FACTOR * reach
            ok[i] = bool((bonded == adj[n, :n]).all() and (d > CLASH_FACTOR * reach).all())
        return ok
