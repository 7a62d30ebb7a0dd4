"""Molecule file formats: ``.smi`` (one SMILES per line, optional name), MOSES-style ``.csv(.gz)``
with a SMILES column, ``.sdf`` (RDKit) and ``.xyz`` (concatenated blocks, bonds perceived on reading).  Each is a :class:`sciGen.adapter.Format` record."""
from __future__ import annotations

import gzip
import io
from pathlib import Path
from typing import Iterable, Iterator

from rdkit import Chem, RDLogger
from rdkit.Chem import AllChem

from sciGen.adapter import BadRecord, Format, ReadError
from sciGen.io import atomic_write


def _open_text(path: Path) -> io.TextIOBase:
    return gzip.open(path, "rt") if path.name.lower().endswith(".gz") else open(path, "rt")


def smi_lines(path: Path) -> Iterator[tuple[int, str]]:
    """(line number, SMILES text) of each non-blank line of a .smi file (first field)."""
    with _open_text(path) as fh:
        for i, line in enumerate(fh, start=1):
            fields = line.split()
            if fields:
                yield i, fields[0]


def csv_lines(path: Path) -> Iterator[tuple[int, str]]:
    """(row number, SMILES text) from the SMILES column (case-insensitive) of a CSV file."""
    import pandas as pd

    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
    except Exception as e:  # noqa: BLE001 - reported as one line
        raise ReadError(f"{path}: not a readable CSV ({e.__class__.__name__}: {e})") from None
    cols = [c for c in df.columns if c.strip().lower() == "smiles"]
    if not cols:
        raise ReadError(f"{path}: no SMILES column (columns: {', '.join(map(str, df.columns))})")
    for i, s in enumerate(df[cols[0]].tolist(), start=2):
        yield i, s.strip()


def text_lines(path: Path) -> Iterator[tuple[int, str]]:
    """Raw SMILES strings of a .smi or .csv file, invalid ones included (for scoring)."""
    name = path.name.lower()
    if not path.is_file():
        raise ReadError(f"{path}: file not found")
    if ".csv" in name:
        return csv_lines(path)
    if ".smi" in name or name.endswith(".txt"):
        return smi_lines(path)
    raise ReadError(f"{path}: unsupported file type for SMILES strings (use .smi, .txt or .csv[.gz])")


def parse(text: str) -> tuple[Chem.Mol | None, str]:
    """SMILES → sanitized Mol, or (None, reason)."""
    if not text:
        return None, "empty SMILES"
    RDLogger.DisableLog("rdApp.*")
    mol = Chem.MolFromSmiles(text, sanitize=False)
    if mol is None:
        return None, "unparsable SMILES"
    problems = Chem.DetectChemistryProblems(mol)
    if problems:
        return None, "; ".join(p.Message() for p in problems)
    try:
        Chem.SanitizeMol(mol)
    except Exception as e:  # noqa: BLE001 - RDKit raises several types
        return None, str(e).splitlines()[0] if str(e) else e.__class__.__name__
    if mol.GetNumAtoms() == 0:
        return None, "no atoms"
    return mol, ""


def _read_lines(lines) -> callable:
    def read(path: Path, errors: list[BadRecord] | None) -> Iterator[Chem.Mol]:
        for i, text in lines(path):
            mol, reason = parse(text)
            if mol is None:
                bad = BadRecord(str(path), i, text, reason)
                if errors is None:
                    raise ReadError(str(bad))
                errors.append(bad)
                continue
            yield mol
    return read


def smiles_of(mol: Chem.Mol | str) -> str:
    """Canonical SMILES with hydrogens implicit (3D molecules carry them explicit); strings as given."""
    return mol if isinstance(mol, str) else Chem.MolToSmiles(Chem.RemoveHs(mol, sanitize=False))


def write_smi(mols: Iterable[Chem.Mol | str], path: Path) -> int:
    """One SMILES per line; strings are written as given (``--keep-invalid``)."""
    lines = [smiles_of(m) for m in mols]

    def write(tmp: str) -> None:
        opener = gzip.open if path.name.lower().endswith(".gz") else open
        with opener(tmp, "wt") as fh:
            fh.write("".join(s + "\n" for s in lines))
    atomic_write(path, write)
    return len(lines)


def write_csv(mols: Iterable[Chem.Mol | str], path: Path) -> int:
    import pandas as pd

    smiles = [smiles_of(m) for m in mols]
    atomic_write(path, lambda tmp: pd.DataFrame({"SMILES": smiles}).to_csv(
        tmp, index=False, compression="gzip" if path.name.lower().endswith(".gz") else None))
    return len(smiles)


def embed_3d(mol: Chem.Mol, seed: int = 0) -> Chem.Mol:
    """Hydrogens + ETKDGv3 coordinates + MMFF relaxation; 2D coordinates if embedding fails."""
    mh = Chem.AddHs(mol)
    params = AllChem.ETKDGv3()
    params.randomSeed = seed
    try:
        embedded = AllChem.EmbedMolecule(mh, params) == 0
    except RuntimeError:  # RDKit invariant violations on odd stereo (e.g. a chiral tag on a 2-connected atom)
        embedded = False
    if embedded:
        if AllChem.MMFFHasAllMoleculeParams(mh):
            AllChem.MMFFOptimizeMolecule(mh, maxIters=500)
        return mh
    AllChem.Compute2DCoords(mol)
    return mol


def read_sdf(path: Path, errors: list[BadRecord] | None) -> Iterator[Chem.Mol]:
    RDLogger.DisableLog("rdApp.*")
    for i, mol in enumerate(Chem.ForwardSDMolSupplier(str(path), removeHs=False), start=1):
        if mol is None:
            bad = BadRecord(str(path), i, f"record {i}", "unreadable or unsanitizable molecule")
            if errors is None:
                raise ReadError(str(bad))
            errors.append(bad)
            continue
        yield mol


def write_sdf(mols: Iterable[Chem.Mol | str], path: Path) -> int:
    """SDF with 3D coordinates (ETKDG); strings that do not parse are skipped."""
    out = []
    for k, m in enumerate(mols):
        if isinstance(m, str):
            m, _ = parse(m)
            if m is None:
                continue
        out.append(m if m.GetNumConformers() else embed_3d(m, seed=k))

    def write(tmp: str) -> None:
        w = Chem.SDWriter(tmp)
        for m in out:
            w.write(m)
        w.close()
    atomic_write(path, write)
    return len(out)


def read_xyz(path: Path, errors: list[BadRecord] | None) -> Iterator[Chem.Mol]:
    from sciGen.molecules.geometry import read_xyz as read

    return read(path, errors)


def write_xyz(mols: Iterable[Chem.Mol | str], path: Path) -> int:
    from sciGen.molecules.geometry import write_xyz as write

    return write(mols, path)


FORMATS = (
    Format("smiles", ("*.smi", "*.smi.gz", "*.txt"), _read_lines(smi_lines), write_smi),
    Format("csv", ("*.csv", "*.csv.gz"), _read_lines(csv_lines), write_csv),
    Format("sdf", ("*.sdf",), read_sdf, write_sdf),
    Format("xyz", ("*.xyz",), read_xyz, write_xyz),
)
