"""Peptides from MS/MS spectra (pyteomics): installed as ``sciGen.proteins``.

>>> from sciGen.proteins import sequence
>>> for spectrum_id, peptide, score, aa_scores in sequence(["run1.mgf", "run2.mzML"]): ...
"""


def sequence(*args, **kwargs):
    """See :func:`sciGen.proteins.sequencer.sequence`."""
    from sciGen.proteins.sequencer import sequence as _sequence
    return _sequence(*args, **kwargs)


__all__ = ["sequence"]
