"""The proteins adapter: MS/MS spectra ↔ peptides for de novo sequencing.

Structures are :class:`~sciGen.proteins.spectrum.Spectrum` (read from MGF / mzML / mzXML) on the
input side and peptides (ProForma strings, or :class:`~sciGen.proteins.spectrum.Prediction` with
their spectrum) on the output side; Sequences are residue tokens.  Training data is simulated from
a FASTA (:mod:`sciGen.proteins.simulator`); real labelled spectra are for validation.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from sciGen.adapter import Adapter, DecodeError, ReadError, TrainingRecord, Validity
from sciGen.config import from_dict
from sciGen.data import SPECIALS, Sequence, Vocab
from sciGen.proteins.formats import FORMATS
from sciGen.proteins.residues import (CO, H2O, N_TERM_MODS, NH3, PROTON, RESIDUE_MASS, RESIDUE_TOKENS, PeptideError,
                                      matches_precursor, peptide_mass, tokenize)
from sciGen.proteins.spectrum import Prediction, Spectrum


# fragment ions whose evidence the decoder weighs, as (c_prefix, c_total, offset, charge):
# m/z = (c_prefix · prefix residue mass + c_total · precursor mass + offset) / charge
ION_TYPES: list[list[float]] = [
    [1, 0, PROTON, 1], [1, 0, 2 * PROTON, 2], [1, 0, PROTON - CO, 1], [1, 0, PROTON - H2O, 1],  # b, b++, a, b-H2O
    [-1, 1, PROTON, 1], [-1, 1, 2 * PROTON, 2], [-1, 1, PROTON - H2O, 1], [-1, 1, PROTON - NH3, 1],  # y, y++, …
]


def _plain(peptide: str) -> str:
    return re.sub(r"\[[^\]]*\]-?", "", peptide).replace("I", "L")


class ProteinsAdapter(Adapter):
    domain = "proteins"
    formats = FORMATS
    conditional_only = "use `scigen sequence SPECTRA... -o results.mztab` (de novo sequencing)"

    def __init__(self, vocab: Vocab | None = None) -> None:
        super().__init__(vocab or self.default_vocab())

    @staticmethod
    def default_vocab() -> Vocab:
        return Vocab(list(SPECIALS) + list(RESIDUE_TOKENS))

    def model_fields(self, vocab: Vocab) -> dict[str, Any]:
        """What the peptide generator needs to know of the residues: masses and N-terminal-only tokens."""
        return {"token_masses": [RESIDUE_MASS.get(t, 0.0) for t in vocab.tokens],
                "first_only_ids": [vocab.index[t] for t in N_TERM_MODS if t in vocab.index],
                "water_mass": H2O, "ion_types": ION_TYPES, "vocab_size": len(vocab), "pad_id": vocab.pad_id, "bos_id": vocab.bos_id,
                "eos_id": vocab.eos_id}

    # ---- the Adapter verbs --------------------------------------------------------------------------
    def training_record(self, structure: Spectrum | str) -> TrainingRecord:
        pep = structure if isinstance(structure, str) else structure.peptide
        if not pep:
            raise ReadError(f"{getattr(structure, 'key', structure)}: spectrum has no SEQ= label")
        return TrainingRecord(getattr(structure, "key", pep), tokenize(pep))

    def decode(self, seq: Sequence) -> str:
        toks = self._vocab().decode(seq.tokens.tolist())
        if not toks:
            raise DecodeError("empty peptide")
        if any(t in SPECIALS for t in toks):
            raise DecodeError("special token inside the peptide", " ".join(toks))
        try:
            return "".join(tokenize("".join(toks)))
        except PeptideError as e:
            raise DecodeError(str(e), "".join(toks)) from None

    def validate(self, structure: Prediction | str, tol_ppm: float = 50.0) -> Validity:
        """A peptide is valid when it parses; a prediction also needs its mass to match the precursor."""
        pep = structure.peptide if isinstance(structure, Prediction) else structure
        try:
            mass = peptide_mass(pep)
        except PeptideError as e:
            return Validity(False, [str(e)])
        if isinstance(structure, Prediction):
            s = structure.spectrum
            if not matches_precursor(mass, s.precursor_mz, s.charge, tol_ppm):
                return Validity(False, [f"mass {mass:.4f} does not match precursor {s.precursor_mz:.4f} "
                                        f"(charge {s.charge}) within {tol_ppm} ppm"])
        return Validity(True)

    def metrics(self, generated: list[Any], reference: list[str], **kw: Any) -> dict[str, float]:
        """AA precision / recall and peptide recall of predictions against the true peptides (same order)."""
        from sciGen.proteins.metrics import peptide_metrics

        preds = [g.peptide if isinstance(g, Prediction) else g for g in generated]
        return peptide_metrics(list(zip(preds, reference)))

    # ---- training -----------------------------------------------------------------------------------
    def training_datasets(self, data: Any, vocab: Vocab, model_cfg: Any, seed: int, **_: Any) -> dict[str, Any]:
        """Simulated training stream and a fixed simulated validation set, from ``data.train`` (a FASTA).

        ``data.options``: ``simulator`` (SimulatorConfig keys), ``preprocess`` (PreprocessConfig keys),
        ``exclude_labels`` (labelled MGF files whose peptides — and any digest peptide containing one or
        contained in one — are kept out of training), ``val_size``."""
        from sciGen.proteins.dataset import PreprocessConfig, SimulatedSpectra, collate_spectra
        from sciGen.proteins.intensity import IntensityModel
        from sciGen.proteins.simulator import SimulatorConfig, digest, read_fasta

        opts = dict(data.options)
        sim = from_dict(SimulatorConfig, dict(opts.pop("simulator", {})), "data.options.simulator")
        prep = from_dict(PreprocessConfig, dict(opts.pop("preprocess", {})), "data.options.preprocess")
        exclude = [Path(p) for p in opts.pop("exclude_labels", [])]
        val_size = int(opts.pop("val_size", 1000))
        fit_on = opts.pop("intensity_model", "default")
        if opts:
            raise ReadError(f"data.options: unknown key(s) {', '.join(sorted(opts))}")
        if fit_on == "default":
            model = IntensityModel.default()
        else:
            from sciGen.proteins.intensity import fit
            model = fit(fit_on)
        peptides = digest(read_fasta(data.train), sim.missed_cleavages, sim.min_length, sim.max_length)
        banned = {_plain(s.peptide) for f in exclude for s in self.read(f, []) if s.peptide}
        kept = [p for p in peptides if not any(b in p.replace("I", "L") or p.replace("I", "L") in b for b in banned)]
        # the validation set uses peptides held out by hash, so it measures generalisation to unseen peptides
        from sciGen.data import holdout_mask
        hold = holdout_mask(kept, data.holdout_fraction, data.holdout_salt)
        train_peps = [p for p, h in zip(kept, hold) if not h]
        val_peps = [p for p, h in zip(kept, hold) if h] or train_peps[:1]
        max_len = model_cfg.get("max_len", 32)
        train_ds = SimulatedSpectra(train_peps, vocab, sim, prep, model, seed=seed, max_len=max_len)
        val_ds = SimulatedSpectra(val_peps, vocab, sim, prep, model, seed=seed + 1, size=val_size, max_len=max_len)
        info = {"n_digest_peptides": len(peptides), "n_excluded_overlapping_labels": len(peptides) - len(kept),
                "n_train_peptides": len(train_peps), "n_val_peptides": len(val_peps),
                "intensity_model_psms": model.n_psms}
        return {"train": train_ds, "val": val_ds, "collate": lambda items: collate_spectra(items, vocab.pad_id),
                "info": info, "holdout_keys": val_peps}

    # ---- scoring sequencing results -----------------------------------------------------------------
    def evaluate_results(self, results: str | Path, labels: str | Path, plot: str | Path | None = None
                         ) -> dict[str, Any]:
        """Score an mzTab (or sciGen CSV) against labelled spectra: every labelled spectrum counts, a
        spectrum with no PSM counts as unpredicted.  Rows map to labels by (file, index); when the
        results name other files than ``labels`` (e.g. an unlabelled copy), by index alone."""
        from sciGen.proteins.metrics import peptide_metrics, plot_precision_coverage, precision_coverage
        from sciGen.proteins.results import read_mztab

        labels = Path(labels)
        truth = {s.index: s.peptide for s in self.read(labels, []) if s.peptide}
        if not truth:
            raise ReadError(f"{labels}: no labelled spectra (SEQ= lines)")
        rows = read_mztab(Path(results))
        same = [r for r in rows if Path(str(r.get("file", ""))).name == labels.name]
        chosen = same or rows
        pred = {int(r["index"]): (r["sequence"], float(r["score"])) for r in chosen}
        keys = sorted(truth)
        pairs = [(pred.get(k, (None, 0.0))[0], truth[k]) for k in keys]
        m = peptide_metrics(pairs)
        cov, prec, auc = precision_coverage([pred.get(k, (None, float("-inf"))) for k in keys], [truth[k] for k in keys])
        m["precision_coverage_auc"] = float(auc)
        if plot is not None:
            plot_precision_coverage((cov, prec, auc), Path(plot))
        return m
