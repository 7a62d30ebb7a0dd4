"""The molecules adapter: RDKit molecules ↔ atom-level SMILES token Sequences."""
from __future__ import annotations

import multiprocessing as mp
from pathlib import Path
from typing import Any

from rdkit import Chem

from sciGen.adapter import Adapter, BadRecord, DecodeError, ReadError, TrainingRecord, Validity
from sciGen.data import SPECIALS, Sequence
from sciGen.molecules.formats import FORMATS, parse, text_lines
from sciGen.molecules.tokenizer import SmilesTokenizer, TokenizeError

_TOKENIZER = SmilesTokenizer()


def _record_from_text(item: tuple[int, str]) -> tuple[int, str, list[str] | None, str]:
    """(index, text) → (index, canonical SMILES or text, tokens or None, reason).  Runs in workers."""
    i, text = item
    mol, reason = parse(text)
    if mol is None:
        return i, text, None, reason
    smi = Chem.MolToSmiles(mol)
    try:
        return i, smi, _TOKENIZER.encode(smi), ""
    except TokenizeError as e:
        return i, text, None, str(e)


class MoleculesAdapter(Adapter):
    """Structures are RDKit ``Mol`` s; Sequences are canonical SMILES tokens."""

    domain = "molecules"
    formats = FORMATS

    def training_record(self, structure: Chem.Mol) -> TrainingRecord:
        smi = Chem.MolToSmiles(structure)
        return TrainingRecord(smi, _TOKENIZER.encode(smi))

    def training_records(self, path: str | Path, errors: list[BadRecord] | None = None,
                         workers: int = 1) -> list[TrainingRecord]:
        """Parse, canonicalize and tokenize every record, in ``workers`` processes for SMILES files."""
        path = Path(path)
        if not path.is_file():
            raise ReadError(f"{path}: file not found")
        if self.format_for(path).name == "sdf":
            return super().training_records(path, errors)
        items = list(text_lines(path))
        if workers > 1 and len(items) > 20000:
            with mp.get_context("fork").Pool(workers) as pool:
                results = pool.map(_record_from_text, items, chunksize=4096)
        else:
            results = map(_record_from_text, items)
        out = []
        for i, smi, tokens, reason in results:
            if tokens is None:
                bad = BadRecord(str(path), i, smi, reason)
                if errors is None:
                    raise ReadError(str(bad))
                errors.append(bad)
            else:
                out.append(TrainingRecord(smi, tokens))
        return out

    def read_texts(self, path: str | Path) -> list[str]:
        """Every SMILES string in a .smi/.csv file as written, garbage included (for scoring)."""
        return [t for _, t in text_lines(Path(path))]

    def decode(self, seq: Sequence) -> Chem.Mol:
        tokens = self._vocab().decode(seq.tokens.tolist())
        text = _TOKENIZER.decode(tokens)
        if any(t in SPECIALS for t in tokens):
            raise DecodeError("special token inside SMILES", text)
        mol, reason = parse(text)
        if mol is None:
            raise DecodeError(reason, text)
        return mol

    def to_text(self, structure: Chem.Mol) -> str:
        """Canonical SMILES."""
        return Chem.MolToSmiles(structure)

    def decode_text(self, seq: Sequence) -> str:
        """The raw generated string, valid or not."""
        return _TOKENIZER.decode(self._vocab().decode(seq.tokens.tolist()))

    def validate(self, structure: Chem.Mol | str) -> Validity:
        """RDKit sanitization; reasons name each chemistry problem."""
        if isinstance(structure, str):
            mol, reason = parse(structure)
            return Validity(mol is not None, [reason] if reason else [])
        mol = Chem.Mol(structure)
        problems = [p.Message() for p in Chem.DetectChemistryProblems(mol)]
        return Validity(not problems, problems)

    def metrics(self, generated: list[Any], reference: list[Any], **kw: Any) -> dict[str, float]:
        """MOSES metrics (strings or Mols; invalid strings count against ``valid``)."""
        from sciGen.molecules.metrics import moses_metrics

        as_text = [g if isinstance(g, str) or g is None else Chem.MolToSmiles(g) for g in generated]
        ref = [r if isinstance(r, str) else Chem.MolToSmiles(r) for r in reference]
        train = kw.pop("train", None)
        if train is not None:
            train = [t if isinstance(t, str) else Chem.MolToSmiles(t) for t in train]
        return moses_metrics(as_text, ref, train, **kw)

    def preview(self, structures: list[Chem.Mol], path: str | Path, n: int = 16) -> None:
        """A PNG grid of the first ``n`` molecules (RDKit drawing), written atomically."""
        from rdkit.Chem import Draw

        from sciGen.io import atomic_write

        mols = [Chem.RemoveHs(m) for m in structures[:n]]
        img = Draw.MolsToGridImage(mols, molsPerRow=4, subImgSize=(260, 220),
                                   legends=[Chem.MolToSmiles(m)[:40] for m in mols])
        atomic_write(path, lambda tmp: img.save(tmp, format="PNG"))
