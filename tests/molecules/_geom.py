"""Small molecules with MMFF geometries for the 3D tests (no data folder needed)."""
from __future__ import annotations

from rdkit import Chem
from rdkit.Chem import AllChem

QM9_LIKE = ["CC(=O)O", "OCC#N", "C[C@H](N)C(=O)O", "c1ccncc1", "CC1CC1O", "O=CNC=O", "CC(C)(C)O", "N#CC(F)C",
            "C1COC1", "CC#CC=O"]


def embedded(smiles: str, seed: int = 0) -> Chem.Mol:
    mol = Chem.AddHs(Chem.MolFromSmiles(smiles))
    params = AllChem.ETKDGv3()
    params.randomSeed = seed
    assert AllChem.EmbedMolecule(mol, params) == 0
    AllChem.MMFFOptimizeMolecule(mol, maxIters=2000)
    return mol
