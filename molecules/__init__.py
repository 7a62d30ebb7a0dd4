"""Molecules: SMILES / SDF / MOSES-CSV I/O, an atom-level SMILES tokenizer, RDKit validation
and the MOSES metrics.  Installed as ``sciGen.molecules``."""
from sciGen.molecules.adapter import MoleculesAdapter
from sciGen.molecules.tokenizer import SmilesTokenizer

__all__ = ["MoleculesAdapter", "SmilesTokenizer"]
