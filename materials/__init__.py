"""Crystals (pymatgen): installed as ``sciGen.materials``.  The adapter arrives with issue 6."""
