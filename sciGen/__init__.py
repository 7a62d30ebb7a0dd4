"""sciGen: generate scientific and 3D structures with shared generative models.

>>> import sciGen
>>> mols = sciGen.generate("molecules", n=100)          # RDKit molecules from the shipped UniGenX
>>> model, adapter = sciGen.load("molecules", "unigenx")
"""
__version__ = "0.1.0"


def generate(*args, **kwargs):
    from sciGen.api import generate as _generate
    return _generate(*args, **kwargs)


def load(*args, **kwargs):
    from sciGen.api import load as _load
    return _load(*args, **kwargs)


generate.__doc__ = "See :func:`sciGen.api.generate`."
load.__doc__ = "See :func:`sciGen.api.load`."
__all__ = ["generate", "load", "__version__"]
