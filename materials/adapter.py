"""The materials adapter: pymatgen Structures ↔ UniGenX crystal Sequences (composition tokens and
number slots for the lattice and fractional coordinates), validity, CSP and de novo metrics."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch
from pymatgen.core import Structure

from sciGen.adapter import Adapter, BadRecord, DecodeError, ReadError, TrainingRecord, Validity
from sciGen.data import SPECIALS, Sequence, Vocab
from sciGen.materials.crystal import CrystalError, atoms_of, composition_of
from sciGen.materials.formats import FORMATS, read_folder, write_folder
from sciGen.materials.sequence import NUMBERS, CrystalSequence
from sciGen.materials.validate import reasons


class MaterialsAdapter(Adapter):
    """Structures are pymatgen ``Structure`` s; Sequences follow :mod:`sciGen.materials.sequence`."""

    domain = "materials"
    formats = FORMATS
    numbers = NUMBERS
    value_dim = 3
    default_output = "crystals"  # a folder: one CIF per structure
    folder_output = True

    def __init__(self, vocab: Vocab | None = None, use_space_group: bool = True) -> None:
        super().__init__(vocab)
        self.codec = CrystalSequence(use_space_group)
        self.names: list[str] | None = None  # output file names for the next write (CSP: LLLLLL_K)

    # ---- sequences ----------------------------------------------------------------------------------
    def training_record(self, structure: Structure) -> TrainingRecord:
        try:
            tokens, values = self.codec.encode(structure)
        except CrystalError as e:
            raise ReadError(f"record {structure.properties.get('id', '?')}: {e}") from None
        return TrainingRecord(str(structure.properties.get("id", structure.composition.formula)), tokens, values)

    def training_records(self, path: str | Path, errors: list[BadRecord] | None = None,
                         workers: int = 1, augment: int = 1) -> list[TrainingRecord]:
        """Every structure's record; with ``augment`` k > 1 (config ``data.options.augment``) also up to k − 1
        equivalent sequences with another atom of the lightest element at the origin (same key, so the
        hold-out split keeps all copies of a crystal on one side)."""
        out = []
        for i, s in enumerate(self.read(path, errors)):
            try:
                rec = self.training_record(s)
                out.append(rec)
                lightest = min(s.species, key=lambda e: e.Z)
                n_light = sum(sp == lightest for sp in s.species)
                for k in range(1, min(augment, n_light)):
                    tokens, values = self.codec.encode(s, origin=k)
                    out.append(TrainingRecord(rec.key, tokens, values))
            except ReadError as e:
                if errors is None:
                    raise
                errors.append(BadRecord(str(path), i, str(s.properties.get("id", "")), str(e)))
        return out

    def token_text(self, structure: Structure) -> str:
        """The sequence with each number slot's value in physical units (``scigen tokenize materials``)."""
        from sciGen.materials.sequence import ANG_SCALE, LEN_SHIFT
        rec = self.training_record(structure)
        out = []
        for tok, v in zip(rec.tokens, rec.values):
            if tok == "<lengths>":
                tok += "(" + " ".join(f"{x:.3f}" for x in np.exp(v + LEN_SHIFT)) + " Å)"
            elif tok == "<angles>":
                tok += "(" + " ".join(f"{x:.1f}" for x in v * ANG_SCALE + 90) + "°)"
            elif tok == "<xyz>":
                tok += "(" + " ".join(f"{x:.3f}" for x in (v + 1) / 2) + ")"
            out.append(tok)
        return " ".join(out)

    def decode_text(self, seq: Sequence) -> str:
        return " ".join(self._vocab().decode(seq.tokens.tolist()))

    def decode(self, seq: Sequence) -> Structure:
        tokens = self._vocab().decode(seq.tokens.tolist())
        if any(t in SPECIALS for t in tokens):
            raise DecodeError("special token inside the sequence", " ".join(tokens))
        values = seq.values.numpy() if seq.values is not None else np.zeros((len(tokens), 3), np.float32)
        try:
            return self.codec.decode(tokens, values)
        except CrystalError as e:
            raise DecodeError(str(e), " ".join(tokens)) from None

    def validate(self, structure: Structure) -> Validity:
        r = reasons(structure)
        return Validity(not r, r)

    def to_text(self, structure: Structure) -> str:
        return structure.composition.formula

    # ---- conditioning (crystal structure prediction) --------------------------------------------------
    def condition_id(self, formula: str) -> Sequence:
        """A formula (the cell's contents, e.g. ``SrTiO3`` or ``C8``) → the CSP prefix Sequence.  Clear errors
        for malformed formulas and for elements this checkpoint was not trained on."""
        try:
            atoms = atoms_of(composition_of(formula))
        except CrystalError as e:
            raise ReadError(str(e)) from None
        vocab = self._vocab()
        unknown = sorted({a for a in atoms if a not in vocab.index})
        if unknown:
            known = sorted(t for t in vocab.tokens if t.isalpha() and t[0].isupper() and t not in SPECIALS)
            raise ReadError(f"{formula!r}: element(s) {', '.join(unknown)} not in this checkpoint's training data "
                            f"({len(known)} elements: {' '.join(known[:12])}{' …' if len(known) > 12 else ''})")
        toks = self.codec.prefix(atoms)
        return Sequence(torch.tensor(vocab.encode(toks)), torch.zeros(len(toks), 3),
                        torch.zeros(len(toks), dtype=torch.bool))

    min_distance_check = True  # reject atoms sampled within 0.5 Å of another (sciGen.materials.constraint)

    def sampling_knobs(self, model: Any, knobs: dict[str, Any], complete: Any = None) -> dict[str, Any]:
        """CLI / API knobs → ``UniGenX.sample`` arguments: the minimum-distance constraint, and for a CSP
        condition a length bound and the checkpoint's CSP sampling defaults."""
        from sciGen.materials.constraint import MinDistanceCheck
        knobs = {k: v for k, v in knobs.items() if k != "cfg_scale"}
        if self.min_distance_check and knobs.get("value_check") is None:
            knobs["value_check"] = MinDistanceCheck(self._vocab())
        if complete is not None:
            raise ValueError("--complete is not available for materials")
        cond = knobs.get("condition")
        if isinstance(cond, Sequence):  # room for <bos>, the prefix, space group, lattice, one slot per atom, <eos>
            n_atoms = len(cond) - 1
            need, limit = len(cond) + n_atoms + 5, model.cfg.transformer.max_len
            if need > limit:
                raise ReadError(f"{n_atoms} atoms in the cell: this checkpoint writes sequences of at most {limit} "
                                f"tokens ({(limit - 6) // 2} atoms)")
            knobs["max_len"] = need
            # the checkpoint's measured CSP defaults (e.g. a lower token temperature: the space group)
            knobs = self.task_defaults(model, knobs, "sampling_csp")
        return knobs

    # ---- files --------------------------------------------------------------------------------------
    def write(self, structures: Any, path: str | Path, **_: Any) -> int:
        """One CIF / CSV file, or a folder of ``NNNNNN.cif`` (or the names set in ``self.names``)."""
        path = Path(path)
        items = [s for s in structures if isinstance(s, Structure)]
        if any(f.matches(path) for f in FORMATS):
            return super().write(items, path)
        names = self.names or [f"{i:06d}" for i in range(len(items))]
        n = write_folder(zip(names, items), path)
        rows = [(nm, s) for nm, s in zip(names, items) if "energy_per_atom" in s.properties]
        if rows:  # relaxed structures: their CHGNet energies beside them (appended across condition lines)
            from sciGen.io import atomic_write_text
            csv = path / "energies.csv"
            old = csv.read_text() if csv.is_file() and self.names else "file,formula,energy_per_atom_eV\n"
            atomic_write_text(csv, old + "".join(f"{nm}.cif,{s.composition.reduced_formula},"
                                                 f"{s.properties['energy_per_atom']:.5f}\n" for nm, s in rows))
        return n

    def relax(self, structures: list[Structure], **kw: Any) -> list[Structure]:
        """CHGNet relaxation (:mod:`sciGen.materials.relax`); energies in ``properties["energy_per_atom"]``."""
        from sciGen.materials.relax import relax
        return relax(structures, **kw)

    def preview(self, structures: list[Structure], path: str | Path, n: int = 16) -> None:
        from sciGen.materials.preview import render
        render(structures[:n], path)

    # ---- metrics ------------------------------------------------------------------------------------
    def metrics(self, generated: list[Any], reference: list[Any], **kw: Any) -> dict[str, float]:
        from sciGen.materials.metrics import csp_metrics, denovo_metrics
        if kw.get("task", "denovo") == "csp":
            return csp_metrics(generated, reference, **{k: v for k, v in kw.items() if k != "task"})
        return denovo_metrics(generated, reference, **{k: v for k, v in kw.items() if k != "task"})

    def evaluate_folders(self, generated: str | Path, reference: str | Path | None, train: Any = None,
                         task: str = "denovo", **kw: Any) -> dict[str, Any]:
        """Score a folder of CIFs against a reference CSV/CIF: ``task="csp"`` matches ``LLLLLL_K.cif`` with
        reference row L; ``"denovo"`` compares the distributions."""
        from sciGen.materials.metrics import csp_from_folder, denovo_metrics
        if reference is None:
            raise ReadError("evaluate materials needs --reference (a CDVAE CSV or CIF file)")
        errors: list[BadRecord] = []
        ref = list(self.read(reference, errors))
        if not ref:
            raise ReadError(f"{reference}: no readable structures")
        if task == "csp":
            return csp_from_folder(generated, ref, **kw)
        if task != "denovo":
            raise ReadError(f"unknown task {task!r} (use csp or denovo)")
        bad: list[BadRecord] = []
        gen = [s for _, s in read_folder(generated, bad)]
        return denovo_metrics(gen, ref, n_unreadable=len(bad), **kw)
