"""Peptides from MS/MS spectra (pyteomics): installed as ``sciGen.proteins``.  The adapter arrives with issue 3."""
