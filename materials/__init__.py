"""Crystals (pymatgen): installed as ``sciGen.materials`` — canonical form, the UniGenX crystal sequence,
CIF / CDVAE CSV formats, CDVAE validity and metrics, the sampling constraint, preview and CHGNet relaxation."""
