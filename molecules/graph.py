"""The graph view of a molecule: atoms are nodes, bonds are edges (RDKit ↔ torch-geometric).

Node types are element symbols with their formal charge (``C``, ``N+``, ``O-``); edge types are bond
orders, kekulized (``-`` ``=`` ``#``) or aromatic (``:``) when ``kekulize`` is off (that mode cannot say which aromatic N carries an H, as in ``[nH]``:
kekulized graphs, the default, can).  Hydrogens are implicit
unless ``explicit_h``.  Stereochemistry is not part of the graph.  A graph decodes back to a molecule with RDKit's valence checks and *no* valence
correction: a node whose bonds exceed its valence makes the whole graph invalid, with the reason.

The vocabulary is a :class:`GraphVocab`, stored with a checkpoint as a :class:`sciGen.data.Vocab`
(node tokens, then edge tokens) so a checkpoint for another vocabulary is refused, not mis-read.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable

import numpy as np
import torch
from rdkit import Chem, RDLogger

from sciGen.adapter import DecodeError
from sciGen.data import SPECIALS, Vocab, VocabError

BONDS: dict[str, Chem.BondType] = {"-": Chem.BondType.SINGLE, "=": Chem.BondType.DOUBLE,
                                   "#": Chem.BondType.TRIPLE, ":": Chem.BondType.AROMATIC}
_BOND_TOKEN = {v: k for k, v in BONDS.items()}
_ATOM = re.compile(r"^([A-Z][a-z]?)(\++|-+|[+-]\d+)?$")


class GraphError(ValueError):
    """A molecule the graph vocabulary cannot express (unknown atom type, bond type, too many atoms)."""


def atom_token(atom: Chem.Atom) -> str:
    """``C``, ``N+``, ``O-``, ``N+2``: element symbol and formal charge."""
    q = atom.GetFormalCharge()
    return atom.GetSymbol() + ("" if q == 0 else "+" if q == 1 else "-" if q == -1 else f"{q:+d}")


def parse_atom_token(token: str) -> tuple[str, int]:
    """``N+`` → (``N``, 1); raises :class:`VocabError` for a token that is no atom."""
    m = _ATOM.match(token)
    try:
        known = bool(m) and Chem.GetPeriodicTable().GetAtomicNumber(m.group(1)) > 0
    except RuntimeError:  # RDKit's answer to an unknown symbol
        known = False
    if not known:
        raise VocabError(f"{token!r} is not an atom type (element symbol + optional charge)")
    q = m.group(2) or ""
    charge = 0 if not q else len(q) * (1 if q[0] == "+" else -1) if set(q) <= {"+", "-"} else int(q)
    return m.group(1), charge


@dataclass
class GraphVocab:
    """Node types (``C``, ``N+`` …) and edge types (``-`` ``=`` ``#`` [``:``]); edge id 0 is "no bond".

    Node ids run 0..len(nodes)-1 and edge ids 1..len(edges) (0 = none).  ``explicit_h`` and
    ``kekulize`` record how molecules were read, and are checked when a checkpoint is used on data.
    """

    nodes: list[str]
    edges: list[str] = field(default_factory=lambda: ["-", "=", "#"])
    explicit_h: bool = False
    kekulize: bool = True

    def __post_init__(self) -> None:
        for t in self.nodes:
            parse_atom_token(t)
        bad = [e for e in self.edges if e not in BONDS]
        if bad:
            raise VocabError(f"unknown bond type(s) {bad} in a graph vocabulary (known: {' '.join(BONDS)})")
        self.node_index = {t: i for i, t in enumerate(self.nodes)}
        self.edge_index = {t: i + 1 for i, t in enumerate(self.edges)}

    @property
    def n_node_types(self) -> int:
        return len(self.nodes)

    @property
    def n_edge_types(self) -> int:
        """Including "no bond" (id 0)."""
        return len(self.edges) + 1

    def to_vocab(self) -> Vocab:
        """As a checkpoint's :class:`Vocab`: ``node:`` and ``edge:`` tokens plus how H and bonds were read."""
        flags = [f"explicit_h:{int(self.explicit_h)}", f"kekulize:{int(self.kekulize)}"]
        return Vocab(list(SPECIALS) + [f"node:{t}" for t in self.nodes] + [f"edge:{t}" for t in self.edges] + flags)

    @classmethod
    def from_vocab(cls, vocab: Vocab) -> "GraphVocab":
        """Inverse of :meth:`to_vocab`; a vocabulary that is no graph vocabulary is a :class:`VocabError`."""
        toks = [t for t in vocab.tokens if t not in SPECIALS]
        nodes = [t[5:] for t in toks if t.startswith("node:")]
        edges = [t[5:] for t in toks if t.startswith("edge:")]
        flags = dict(t.split(":", 1) for t in toks if t.startswith(("explicit_h:", "kekulize:")))
        other = [t for t in toks if not t.startswith(("node:", "edge:", "explicit_h:", "kekulize:"))]
        if not nodes or other:
            raise VocabError("the checkpoint's vocabulary is not a molecular-graph vocabulary "
                             f"(tokens like {(other or toks)[:3]})")
        return cls(nodes, edges, flags.get("explicit_h", "0") == "1", flags.get("kekulize", "1") == "1")

    @classmethod
    def build(cls, mols: list[Chem.Mol], explicit_h: bool = False, kekulize: bool = True) -> "GraphVocab":
        """Every atom type seen in ``mols`` (sorted), bond types of the chosen bond model."""
        return cls.from_atoms((labelled_graph(m, explicit_h, kekulize)[0] for m in mols), explicit_h, kekulize)

    @classmethod
    def from_atoms(cls, atom_lists: Iterable[list[str]], explicit_h: bool = False, kekulize: bool = True,
                   nodes: list[str] | None = None) -> "GraphVocab":
        """Every atom token in ``atom_lists`` (sorted), or the fixed ``nodes``; bonds of the bond model."""
        seen = list(nodes) if nodes else sorted({t for atoms in atom_lists for t in atoms})
        return cls(seen, ["-", "=", "#"] if kekulize else ["-", "=", "#", ":"], explicit_h, kekulize)


def _prepared(mol: Chem.Mol, explicit_h: bool, kekulize: bool) -> Chem.Mol:
    mol = Chem.AddHs(mol) if explicit_h else Chem.RemoveHs(mol)
    if kekulize:
        mol = Chem.Mol(mol)
        Chem.Kekulize(mol, clearAromaticFlags=True)
    return mol


def labelled_graph(mol: Chem.Mol, explicit_h: bool = False, kekulize: bool = True
                   ) -> tuple[list[str], list[tuple[int, int, str]]]:
    """Molecule → (atom tokens (N,), bonds as (i, j, bond token)), before any vocabulary: what
    :meth:`GraphVocab.build` and :func:`graph_ids` read, so a molecule is parsed once."""
    try:
        mol = _prepared(mol, explicit_h, kekulize)
    except Exception as e:  # noqa: BLE001 - RDKit's kekulization errors have several types
        raise GraphError(f"cannot kekulize ({e.__class__.__name__})") from None
    bonds = [(b.GetBeginAtomIdx(), b.GetEndAtomIdx(), _BOND_TOKEN.get(b.GetBondType(), str(b.GetBondType())))
             for b in mol.GetBonds()]
    return [atom_token(a) for a in mol.GetAtoms()], bonds


def graph_ids(atoms: list[str], bonds: list[tuple[int, int, str]], vocab: GraphVocab, max_nodes: int = 0
              ) -> tuple[np.ndarray, np.ndarray]:
    """A :func:`labelled_graph` → (node type ids (N,) int64, dense edge type ids (N, N) int64, symmetric,
    0 = no bond).  Raises :class:`GraphError` when an atom or bond type is outside ``vocab`` or
    N > ``max_nodes`` (> 0)."""
    n = len(atoms)
    if max_nodes and n > max_nodes:
        raise GraphError(f"{n} atoms, more than the model's {max_nodes}")
    unknown = next((t for t in atoms if t not in vocab.node_index), None)
    if unknown is not None:
        raise GraphError(f"atom type {unknown} is not in the graph vocabulary ({' '.join(vocab.nodes)})")
    x = np.array([vocab.node_index[t] for t in atoms], dtype=np.int64)
    adj = np.zeros((n, n), dtype=np.int64)
    for i, j, t in bonds:
        if t not in vocab.edge_index:
            raise GraphError(f"bond type {t} is not in the graph vocabulary")
        adj[i, j] = adj[j, i] = vocab.edge_index[t]
    return x, adj


def mol_to_graph(mol: Chem.Mol, vocab: GraphVocab, max_nodes: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Molecule → (node type ids (N,), edge type ids (N, N)); see :func:`graph_ids`."""
    return graph_ids(*labelled_graph(mol, vocab.explicit_h, vocab.kekulize), vocab, max_nodes)


def graph_to_mol(x: np.ndarray | torch.Tensor, adj: np.ndarray | torch.Tensor, vocab: GraphVocab,
                 connected: bool = True) -> Chem.Mol:
    """(node ids (N,), edge ids (N, N)) → sanitized molecule, with no valence correction.

    Raises :class:`DecodeError` naming the problem (valence, kekulization, disconnected when
    ``connected``); the SMILES-like text of what was drawn is kept on the error.
    """
    x = np.asarray(x, dtype=np.int64)
    adj = np.asarray(adj, dtype=np.int64)
    if len(x) == 0:
        raise DecodeError("empty graph")
    if adj.shape != (len(x), len(x)) or not (adj == adj.T).all():
        raise DecodeError("edge matrix is not a symmetric N×N matrix")
    if x.min() < 0 or x.max() >= vocab.n_node_types or adj.min() < 0 or adj.max() >= vocab.n_edge_types:
        raise DecodeError("node or edge id outside the graph vocabulary")
    rw = Chem.RWMol()
    for t in x:
        sym, q = parse_atom_token(vocab.nodes[t])
        a = Chem.Atom(sym)
        a.SetFormalCharge(q)
        if vocab.explicit_h:
            a.SetNoImplicit(True)
        rw.AddAtom(a)
    ii, jj = np.nonzero(np.triu(adj, 1))
    for i, j in zip(ii.tolist(), jj.tolist()):
        bt = BONDS[vocab.edges[adj[i, j] - 1]]
        rw.AddBond(i, j, bt)
        if bt == Chem.BondType.AROMATIC:  # aromatic mode (kekulize off): both ends are aromatic atoms
            rw.GetAtomWithIdx(i).SetIsAromatic(True)
            rw.GetAtomWithIdx(j).SetIsAromatic(True)
    mol = rw.GetMol()
    RDLogger.DisableLog("rdApp.*")
    text = Chem.MolToSmiles(mol, kekuleSmiles=True, canonical=False) if mol.GetNumAtoms() else ""
    problems = Chem.DetectChemistryProblems(mol)
    if problems:
        raise DecodeError("; ".join(p.Message() for p in problems), text)
    try:
        Chem.SanitizeMol(mol)
    except Exception as e:  # noqa: BLE001 - RDKit raises several types
        raise DecodeError(str(e).splitlines()[0] if str(e) else e.__class__.__name__, text) from None
    if connected:
        frags = len(Chem.GetMolFrags(mol))
        if frags > 1:
            raise DecodeError(f"disconnected graph ({frags} fragments)", Chem.MolToSmiles(mol), mol)
    return Chem.RemoveHs(mol) if vocab.explicit_h else mol


def to_data(mol: Chem.Mol, vocab: GraphVocab):
    """Molecule → torch-geometric ``Data(x=(N,) node ids, edge_index=(2, E), edge_attr=(E,) edge ids)``."""
    from torch_geometric.data import Data
    from torch_geometric.utils import dense_to_sparse

    x, adj = mol_to_graph(mol, vocab)
    edge_index, edge_attr = dense_to_sparse(torch.from_numpy(adj))
    return Data(x=torch.from_numpy(x), edge_index=edge_index, edge_attr=edge_attr, num_nodes=len(x))


def from_data(data, vocab: GraphVocab) -> Chem.Mol:
    """torch-geometric ``Data`` (as :func:`to_data` makes) → molecule (see :func:`graph_to_mol`)."""
    from torch_geometric.utils import to_dense_adj

    n = int(data.num_nodes)
    adj = to_dense_adj(data.edge_index, edge_attr=data.edge_attr, max_num_nodes=n)[0] if data.edge_index.numel() \
        else torch.zeros(n, n, dtype=torch.long)
    return graph_to_mol(data.x.numpy(), adj.long().numpy(), vocab)
