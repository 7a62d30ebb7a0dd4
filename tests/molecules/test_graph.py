"""The graph view of molecules: vocabulary, molecule ↔ graph round trips, valence checks, PyG Data."""
from __future__ import annotations

import numpy as np
import pytest
from rdkit import Chem

from sciGen.adapter import DecodeError
from sciGen.data import Vocab, VocabError
from sciGen.molecules.graph import (GraphError, GraphVocab, from_data, graph_to_mol, mol_to_graph,
                                    parse_atom_token, to_data)
from sciGen.nn.partial_order import peel_blocks

CHARGED = ["C[N+](C)(C)C", "[O-]C(=O)CC", "C[NH3+]", "N#C[O-]"]


def _vocab(smiles: list[str], **kw) -> GraphVocab:
    return GraphVocab.build([Chem.MolFromSmiles(s) for s in smiles], **kw)


def test_atom_tokens_parse_with_charges() -> None:
    assert parse_atom_token("N+") == ("N", 1) and parse_atom_token("O-") == ("O", -1)
    assert parse_atom_token("Fe+3") == ("Fe", 3) and parse_atom_token("Cl") == ("Cl", 0)
    with pytest.raises(VocabError):
        parse_atom_token("Xx")


@pytest.mark.parametrize("kekulize", [True, False])
def test_molecule_graph_round_trip(smiles: list[str], kekulize: bool) -> None:
    all_smiles = [s for s in smiles + CHARGED if kekulize or "[nH]" not in s]  # aromatic N-H needs Kekulé form
    gv = _vocab(all_smiles, kekulize=kekulize)
    assert {"N+", "O-"} <= set(gv.nodes)
    for s in all_smiles:
        mol = Chem.MolFromSmiles(s)
        x, adj = mol_to_graph(mol, gv)
        assert x.shape == (mol.GetNumAtoms(),) and adj.shape == (len(x), len(x)) and (adj == adj.T).all()
        assert Chem.MolToSmiles(graph_to_mol(x, adj, gv)) == Chem.MolToSmiles(mol, isomericSmiles=False)
    assert (":" in gv.edges) == (not kekulize)


def test_explicit_hydrogens_round_trip() -> None:
    gv = _vocab(["CCO", "C=C"], explicit_h=True)
    assert "H" in gv.nodes
    x, adj = mol_to_graph(Chem.MolFromSmiles("CCO"), gv)
    assert len(x) == 9
    assert Chem.MolToSmiles(graph_to_mol(x, adj, gv)) == "CCO"


def test_vocabulary_survives_a_checkpoint_and_refuses_others() -> None:
    gv = _vocab(["CCO", "C[N+](C)(C)C"])
    back = GraphVocab.from_vocab(Vocab.from_dict(gv.to_vocab().to_dict()))
    assert back.nodes == gv.nodes and back.edges == gv.edges and back.kekulize and not back.explicit_h
    with pytest.raises(VocabError, match="not a molecular-graph vocabulary"):
        GraphVocab.from_vocab(Vocab.build([["C", "C", "O"]]))


def test_molecules_outside_the_vocabulary_are_graph_errors() -> None:
    gv = GraphVocab(["C", "O"])
    with pytest.raises(GraphError, match="atom type N"):
        mol_to_graph(Chem.MolFromSmiles("CCN"), gv)
    with pytest.raises(GraphError, match="more than the model's 2"):
        mol_to_graph(Chem.MolFromSmiles("CCO"), gv, max_nodes=2)


def test_decode_checks_valence_and_connectivity_without_correcting() -> None:
    gv = GraphVocab(["C", "O"])
    x = np.zeros(6, dtype=np.int64)
    adj = np.zeros((6, 6), dtype=np.int64)
    adj[0, 1:6] = adj[1:6, 0] = 1  # a carbon with five bonds
    with pytest.raises(DecodeError, match="valence"):
        graph_to_mol(x, adj, gv)
    two = np.zeros((3, 3), dtype=np.int64)
    two[0, 1] = two[1, 0] = 2
    with pytest.raises(DecodeError, match="disconnected graph \\(2 fragments\\)") as e:
        graph_to_mol(np.array([0, 1, 0]), two, gv)
    assert e.value.structure is not None  # kept for --keep-invalid
    assert Chem.MolToSmiles(graph_to_mol(np.array([0, 1, 0]), two, gv, connected=False)) == "C.C=O"
    with pytest.raises(DecodeError, match="symmetric"):
        graph_to_mol(np.array([0, 0]), np.array([[0, 1], [0, 0]]), gv)


def test_torch_geometric_data_round_trip(smiles: list[str]) -> None:
    gv = _vocab(smiles)
    for s in smiles:
        d = to_data(Chem.MolFromSmiles(s), gv)
        assert d.num_nodes == Chem.MolFromSmiles(s).GetNumAtoms() and d.edge_index.shape[0] == 2
        assert Chem.MolToSmiles(from_data(d, gv)) == Chem.MolToSmiles(Chem.MolFromSmiles(s), isomericSmiles=False)


def test_blocks_of_a_renumbered_molecule_are_the_renumbered_blocks(smiles: list[str]) -> None:
    gv = _vocab(smiles)
    rng = np.random.default_rng(0)
    for s in smiles:
        mol = Chem.MolFromSmiles(s)
        order = rng.permutation(mol.GetNumAtoms()).tolist()
        _, adj = mol_to_graph(mol, gv)
        _, adj2 = mol_to_graph(Chem.RenumberAtoms(mol, order), gv)
        assert (peel_blocks(adj2) == peel_blocks(adj)[order]).all()
