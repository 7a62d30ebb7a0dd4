from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from pymatgen.analysis.structure_matcher import StructureMatcher

from sciGen.adapter import BadRecord, ReadError
from sciGen.materials.adapter import MaterialsAdapter
from sciGen.materials.formats import cif_text, read_folder


def test_cif_and_csv_round_trip(tmp_path: Path, crystals) -> None:
    a = MaterialsAdapter()
    for name in ("all.cif", "all.csv", "all.csv.gz"):
        assert a.write(crystals, tmp_path / name) == 3
        back = list(a.read(tmp_path / name))
        assert len(back) == 3 and all(StructureMatcher().fit(x, y) for x, y in zip(back, crystals))
    assert [s.properties["id"] for s in a.read(tmp_path / "all.csv")] == ["x0", "x1", "x2"]
    a.names = ["000000_0", "000000_1", "000001_0"]
    assert a.write(crystals, tmp_path / "out") == 3
    assert [n for n, _ in read_folder(tmp_path / "out")] == a.names


def test_bad_records_are_skipped_and_named(tmp_path: Path, crystals) -> None:
    good = cif_text(crystals[0])
    overlapping = good.replace("0.50000000  0.50000000  0.50000000", "0.01000000  0.00000000  0.00000000", 1)
    assert overlapping != good
    rows = [("ok1", good), ("junk", "data_x\n_cell_length_a 3\nnot a cif at all"), ("clash", overlapping),
            ("unknown", good.replace("Sr", "Qq"))]
    text = "material_id,cif\n" + "".join(f'{k},"{v}"\n' for k, v in rows)
    p = tmp_path / "mixed.csv.gz"
    p.write_bytes(gzip.compress(text.encode()))
    errors: list[BadRecord] = []
    got = list(MaterialsAdapter().read(p, errors))
    assert [s.properties["id"] for s in got] == ["ok1"]
    assert {e.text for e in errors} == {"junk", "clash", "unknown"}
    assert any("overlapping" in e.reason for e in errors)
    with pytest.raises(ReadError, match="record junk"):
        list(MaterialsAdapter().read(p))


def test_unreadable_files(tmp_path: Path) -> None:
    a = MaterialsAdapter()
    (tmp_path / "x.csv").write_text("a,b\n1,2\n")
    with pytest.raises(ReadError, match="no 'cif' column"):
        list(a.read(tmp_path / "x.csv"))
    (tmp_path / "x.xyz").write_text("1\n")
    with pytest.raises(ReadError, match="unsupported"):
        list(a.read(tmp_path / "x.xyz"))
    (tmp_path / "bad.cif").write_text("hello")
    errors: list[BadRecord] = []
    assert list(a.read(tmp_path / "bad.cif", errors)) == [] and "cannot parse" in errors[0].reason
