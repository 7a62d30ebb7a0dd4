from __future__ import annotations

from pathlib import Path

import pytest
from rdkit import Chem

from sciGen.adapter import BadRecord, ReadError
from sciGen.molecules import MoleculesAdapter


@pytest.mark.parametrize("name", ["a.smi", "a.smi.gz", "a.csv", "a.csv.gz"])
def test_smiles_files_roundtrip(tmp_path: Path, smiles: list[str], name: str) -> None:
    a = MoleculesAdapter()
    mols = [Chem.MolFromSmiles(s) for s in smiles]
    assert a.write(mols, tmp_path / name) == len(mols)
    back = list(a.read(tmp_path / name))
    assert [Chem.MolToSmiles(m) for m in back] == [Chem.MolToSmiles(m) for m in mols]
    assert not list(tmp_path.glob(".tmp-*"))  # atomic write leaves nothing behind
    assert (tmp_path / name).stat().st_mode & 0o044  # readable by others, as a plain write would be


def test_sdf_has_3d_coordinates(tmp_path: Path, smiles: list[str]) -> None:
    a = MoleculesAdapter()
    a.write([Chem.MolFromSmiles(s) for s in smiles[:4]], tmp_path / "m.sdf")
    back = list(a.read(tmp_path / "m.sdf"))
    assert len(back) == 4
    assert all(m.GetConformer().Is3D() for m in back)
    # 3D coordinates assign stereo centres the SMILES left open: compare without stereo
    assert [Chem.MolToSmiles(Chem.RemoveHs(m), isomericSmiles=False) for m in back] == \
        [Chem.MolToSmiles(Chem.MolFromSmiles(s), isomericSmiles=False) for s in smiles[:4]]


def test_bad_records_are_listed_or_raised(tmp_path: Path) -> None:
    p = tmp_path / "x.smi"
    p.write_text("CCO\nC1CC(\n\nc1ccccc1\nnot_a_smiles\n")
    errors: list[BadRecord] = []
    mols = list(MoleculesAdapter().read(p, errors))
    assert len(mols) == 2
    assert [(e.index, e.text) for e in errors] == [(2, "C1CC("), (5, "not_a_smiles")]
    assert str(errors[0]).startswith(f"{p}:2:")
    with pytest.raises(ReadError, match="x.smi:2"):
        list(MoleculesAdapter().read(p))


def test_csv_needs_a_smiles_column(tmp_path: Path) -> None:
    p = tmp_path / "x.csv"
    p.write_text("name,value\na,1\n")
    with pytest.raises(ReadError, match="no SMILES column"):
        list(MoleculesAdapter().read(p))


def test_missing_and_unknown_files(tmp_path: Path) -> None:
    with pytest.raises(ReadError, match="file not found"):
        list(MoleculesAdapter().read(tmp_path / "nope.smi"))
    (tmp_path / "a.pdb").write_text("")
    with pytest.raises(ReadError, match="unsupported file type"):
        list(MoleculesAdapter().read(tmp_path / "a.pdb"))
    (tmp_path / "a.xyz").write_text("")  # XYZ is a format now: an empty file holds no molecule
    assert list(MoleculesAdapter().read(tmp_path / "a.xyz")) == []


def test_reads_the_real_moses_file(moses_train: Path) -> None:
    from itertools import islice

    from sciGen.molecules.formats import text_lines
    rows = list(islice(text_lines(moses_train), 2000))
    assert rows[0][0] == 2  # row numbers count the header line, as an editor shows them
    assert all(Chem.MolFromSmiles(s) is not None for _, s in rows)
