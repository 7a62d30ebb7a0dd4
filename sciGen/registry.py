"""Domain × generator × default checkpoint.  Entries are import paths, so the core never imports
a domain package until one is asked for."""
from __future__ import annotations

import importlib
from importlib import resources
from pathlib import Path
from typing import Any

DOMAINS: dict[str, str] = {
    "molecules": "sciGen.molecules.adapter:MoleculesAdapter",
    "proteins": "sciGen.proteins.adapter:ProteinsAdapter",
    "peptides": "sciGen.proteins.adapter:ProteinsAdapter",  # alias: `scigen evaluate peptides`
    "shapes": "sciGen.shapes.adapter:ShapesAdapter",
    "cad": "sciGen.cad.adapter:CADAdapter",
    "materials": "sciGen.materials.adapter:MaterialsAdapter",
}
GENERATORS: dict[str, str] = {
    "unigenx": "sciGen.generators.unigenx:UniGenX",
    "unigenx-3d": "sciGen.generators.unigenx:UniGenX",  # the same model on SMILES + coordinate sequences
    "bidir_peptide": "sciGen.generators.bidir_peptide:BidirPeptide",
    "g3pt": "sciGen.generators.g3pt:G3PT",
    "vat": "sciGen.tokenizers.vat:VAT",
    "triplane_vq": "sciGen.tokenizers.triplane_vq:TriplaneVQ",
    "vecset_vae": "sciGen.tokenizers.vecset_vae:VecSetVAE",
    "argus3d": "sciGen.generators.argus3d:Argus3D",
    "mar3d": "sciGen.generators.mar3d:MAR3D",
    "fsq_autoencoder": "sciGen.tokenizers.fsq_autoencoder:FSQAutoencoder",
    "autobrep": "sciGen.generators.autobrep:AutoBrep",
    "pard": "sciGen.generators.pard:PARD",
}
# domain → (generator, checkpoint file shipped in sciGen/checkpoints/)
DEFAULTS: dict[str, tuple[str, str]] = {
    "molecules": ("unigenx", "molecules-unigenx.pt"),
    "proteins": ("bidir_peptide", "proteins-bidir.pt"),
    "peptides": ("bidir_peptide", "proteins-bidir.pt"),
    "shapes": ("g3pt", "shapes-g3pt.pt"),
    "cad": ("autobrep", "cad-autobrep.pt"),
    "materials": ("unigenx", "materials-perov5.pt"),
}
# (domain, generator) → the checkpoint a generator other than the domain's default loads by default
GENERATOR_DEFAULTS: dict[tuple[str, str], str] = {("molecules", "pard"): "molecules-pard-qm9.pt",
                                                  ("molecules", "unigenx-3d"): "molecules-unigenx-3d.pt",
                                                  ("shapes", "argus3d"): "shapes-argus3d.pt",
                                                  ("shapes", "mar3d"): "shapes-mar3d.pt"}
# domain → {short name: shipped checkpoint}: ``--checkpoint perov5`` picks one of several shipped models
NAMED: dict[str, dict[str, str]] = {
    "materials": {"perov5": "materials-perov5.pt", "carbon24": "materials-carbon24.pt"},
    "molecules": {"qm9": "molecules-pard-qm9.pt", "moses": "molecules-unigenx.pt", "qm9-3d": "molecules-unigenx-3d.pt"},
}
# domain → the shipped tokenizer checkpoint (``scigen tokenize``)
TOKENIZERS: dict[str, str] = {"shapes": "shapes-vat.pt", "cad": "cad-autobrep.pt"}


class RegistryError(ValueError):
    """An unknown domain or generator, or a domain without a shipped checkpoint."""


def _load(path: str) -> Any:
    mod, name = path.split(":")
    return getattr(importlib.import_module(mod), name)


def adapter_class(domain: str) -> type:
    if domain not in DOMAINS:
        raise RegistryError(f"unknown domain {domain!r} (known: {', '.join(sorted(DOMAINS))})")
    return _load(DOMAINS[domain])


def generator_class(name: str) -> type:
    if name not in GENERATORS:
        raise RegistryError(f"unknown generator {name!r} (known: {', '.join(sorted(GENERATORS))})")
    return _load(GENERATORS[name])


def checkpoints_dir() -> Path:
    return Path(str(resources.files("sciGen") / "checkpoints"))


def named_checkpoint(domain: str, name: str | Path) -> Path | None:
    """The shipped checkpoint a short name (``perov5``) stands for in ``domain``, or None."""
    file = NAMED.get(domain, {}).get(str(name))
    return checkpoints_dir() / file if file else None


def default_checkpoint(domain: str, generator: str | None = None) -> Path:
    adapter_class(domain)
    if generator is not None and generator != DEFAULTS.get(domain, (None,))[0]:
        generator_class(generator)
        if (domain, generator) not in GENERATOR_DEFAULTS:
            raise RegistryError(f"no shipped {generator!r} checkpoint for {domain!r}; pass --checkpoint")
        return checkpoints_dir() / GENERATOR_DEFAULTS[domain, generator]
    if domain not in DEFAULTS:
        raise RegistryError(f"no shipped checkpoint for domain {domain!r}; pass --checkpoint")
    return checkpoints_dir() / DEFAULTS[domain][1]
