from __future__ import annotations

import base64
import gzip
import os
import zlib
from pathlib import Path

import numpy as np
import pytest

from sciGen.adapter import BadRecord, ReadError
from sciGen.proteins.formats import FORMATS, read_mgf, read_mzml, read_mzxml, write_mgf
from sciGen.proteins.residues import peptide_mass

ROOT = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("SCIGEN_SHARED", ROOT.parent / "shared"))
DATA = Path(__file__).parent / "data"




@pytest.mark.parametrize("name", ["a.mgf", "a.mgf.gz"])
def test_mgf_roundtrip(tmp_path: Path, name: str, make_spectra) -> None:
    src = make_spectra(4)
    assert write_mgf(src, tmp_path / name) == 4
    back = list(read_mgf(tmp_path / name, None))
    assert len(back) == 4 and not list(tmp_path.glob(".tmp-*"))
    for a, b in zip(src, back):
        np.testing.assert_array_equal(a.mz, b.mz)  # shortest-repr floats round-trip exactly
        np.testing.assert_array_equal(a.intensity, b.intensity)
        assert (a.precursor_mz, a.charge, a.scan, a.title, a.peptide, a.rt, a.index) == \
               (b.precursor_mz, b.charge, b.scan, b.title, b.peptide, b.rt, b.index)
        assert b.file == str(tmp_path / name)
    again = tmp_path / "again.mgf"
    write_mgf(back, again)
    assert [s.peptide for s in read_mgf(again, None)] == [s.peptide for s in src]


BAD_MGF = """\
CHARGE=3+
BEGIN IONS
TITLE=good0
PEPMASS=500.5 1234
CHARGE=2+
SEQ=PEPTIDEK
100.0 1.0
200.0\t2.0
END IONS

BEGIN IONS
TITLE=badpeak
PEPMASS=500.5
100.0 1.0
100.0 x
END IONS
BEGIN IONS
TITLE=nopeaks
PEPMASS=600.0
CHARGE=2+
END IONS
BEGIN IONS
TITLE=nocharge-uses-global
PEPMASS=700.0
300.0 5.0
END IONS
BEGIN IONS
TITLE=nopepmass
CHARGE=2+
300.0 5.0
END IONS
BEGIN IONS
TITLE=good5
PEPMASS=800.0
CHARGE=2
SCANS=F1:7
400.0 6.0 1+
END IONS
BEGIN IONS
TITLE=truncated
PEPMASS=900.0
"""


def test_mgf_bad_blocks_reported_indices_stable(tmp_path: Path) -> None:
    p = tmp_path / "bad.mgf"
    p.write_text(BAD_MGF)
    errors: list[BadRecord] = []
    got = list(read_mgf(p, errors))
    assert [(s.index, s.title) for s in got] == [(0, "good0"), (3, "nocharge-uses-global"), (5, "good5")]
    assert got[0].peptide == "PEPTIDEK" and got[0].precursor_mz == 500.5 and got[0].charge == 2
    assert got[1].charge == 3  # the global CHARGE before the first block is the default
    assert got[2].scan == "F1:7" and got[0].scan == "good0"
    assert [(e.index, e.reason.split()[0]) for e in errors] == \
        [(1, "bad"), (2, "no"), (4, "missing"), (6, "no")]
    assert "'100.0 x'" in errors[0].reason and errors[1].reason == "no peaks"
    assert errors[2].reason == "missing PEPMASS" and "END IONS" in errors[3].reason
    assert all(e.path == str(p) for e in errors)
    with pytest.raises(ReadError, match="bad.mgf:1: bad peak line"):
        list(read_mgf(p, None))  # errors=None: the first bad record raises


def test_mgf_without_charge_reads_as_zero(tmp_path: Path) -> None:
    p = tmp_path / "c.mgf"
    p.write_text("BEGIN IONS\nPEPMASS=500\n100 1\nEND IONS\n")
    (s,) = read_mgf(p, [])
    assert s.charge == 0 and s.peptide is None and s.rt is None and s.index == 0


@pytest.mark.parametrize("reader,suffix", [(read_mgf, ".mgf"), (read_mzml, ".mzML"), (read_mzxml, ".mzXML")])
def test_unreadable_files_raise_read_error(tmp_path: Path, reader, suffix: str) -> None:
    with pytest.raises(ReadError, match="missing"):
        list(reader(tmp_path / f"missing{suffix}", []))
    junk = tmp_path / f"junk{suffix}"
    junk.write_bytes(b"\x00\x01binary junk\xff\n" * 10)
    with pytest.raises(ReadError, match=f"junk{suffix}") as e:
        list(reader(junk, []))
    assert "\n" not in str(e.value)
    gz = tmp_path / f"notgz{suffix}.gz"
    gz.write_text("BEGIN IONS\n")
    with pytest.raises(ReadError, match="notgz"):
        list(reader(gz, []))


def test_real_casanovo_sample() -> None:
    p = SHARED / "data" / "peptide_msms" / "casanovo_sample_preprocessed_spectra.mgf.gz"
    if not p.is_file():
        pytest.skip(f"needs {p} (the shared data folder beside the checkout)")
    errors: list[BadRecord] = []
    got = list(read_mgf(p, errors))
    assert len(got) == 128 and not errors
    assert all(s.peptide and s.charge > 0 and s.precursor_mz > 0 and s.mz.size for s in got)
    assert [s.index for s in got] == list(range(128))
    assert got[0].scan == "F1:2478" and got[0].peptide == "IAHYNKR" and got[0].rt == pytest.approx(824.574)
    # the bundled test file is its first 16 spectra
    small = list(read_mgf(DATA / "sample.mgf", None))
    assert [s.peptide for s in small] == [s.peptide for s in got[:16]]
    np.testing.assert_array_equal(small[-1].mz, got[15].mz)


def test_sample_mgf_peptides_match_precursors() -> None:
    from sciGen.proteins.residues import matches_precursor
    got = list(read_mgf(DATA / "sample.mgf", None))
    assert len(got) == 16
    assert all(matches_precursor(peptide_mass(s.peptide), s.precursor_mz, s.charge, 20, (0, 1, 2)) for s in got)


# ---------------------------------------------------------------- mzML / mzXML, written by hand

def _b64(a: list[float], dtype: str = "<f8", compress: bool = False) -> str:
    raw = np.asarray(a, dtype=dtype).tobytes()
    return base64.b64encode(zlib.compress(raw) if compress else raw).decode()


def _mzml_spectrum(i: int, level: int, mzs: list[float], its: list[float], pmz: float | None = None,
                   z: int | None = None, binary: str | None = None) -> str:
    prec = ""
    if pmz is not None:
        zc = f'<cvParam cvRef="MS" accession="MS:1000041" name="charge state" value="{z}"/>' if z else ""
        prec = ('<precursorList count="1"><precursor><selectedIonList count="1"><selectedIon>'
                f'<cvParam cvRef="MS" accession="MS:1000744" name="selected ion m/z" value="{pmz}"/>{zc}'
                '</selectedIon></selectedIonList></precursor></precursorList>')
    arrays = ""
    f64, f32 = ("MS:1000523", "64-bit float", "<f8"), ("MS:1000521", "32-bit float", "<f4")
    for name, acc, a, dt, comp in (("m/z array", "MS:1000514", mzs, f64, True),
                                   ("intensity array", "MS:1000515", its, f32, False)):
        text = binary if binary is not None else _b64(a, dt[2], comp)
        cname = ("MS:1000574", "zlib compression") if comp else ("MS:1000576", "no compression")
        arrays += (f'<binaryDataArray encodedLength="{len(text)}">'
                   f'<cvParam cvRef="MS" accession="{dt[0]}" name="{dt[1]}"/>'
                   f'<cvParam cvRef="MS" accession="{cname[0]}" name="{cname[1]}"/>'
                   f'<cvParam cvRef="MS" accession="{acc}" name="{name}"/><binary>{text}</binary></binaryDataArray>')
    return (f'<spectrum index="{i}" id="controllerType=0 controllerNumber=1 scan={i + 1}" '
            f'defaultArrayLength="{len(mzs)}">'
            f'<cvParam cvRef="MS" accession="MS:1000511" name="ms level" value="{level}"/>'
            '<scanList count="1"><scan><cvParam cvRef="MS" accession="MS:1000016" name="scan start time" '
            f'value="{0.5 * (i + 1)}" unitCvRef="UO" unitAccession="UO:0000031" unitName="minute"/></scan></scanList>'
            f'{prec}<binaryDataArrayList count="2">{arrays}</binaryDataArrayList></spectrum>')


def _mzml(specs: list[str]) -> str:
    return ('<?xml version="1.0" encoding="utf-8"?>\n<indexedmzML xmlns="http://psi.hupo.org/ms/mzml">'
            '<mzML xmlns="http://psi.hupo.org/ms/mzml" version="1.1.0"><run id="r1">'
            f'<spectrumList count="{len(specs)}">' + "\n".join(specs) + "</spectrumList></run></mzML></indexedmzML>")


MZML_SPECTRA = [
    _mzml_spectrum(0, 1, [100.0, 200.0], [1.0, 2.0]),
    _mzml_spectrum(1, 2, [110.0, 210.5, 300.25], [3.0, 4.0, 5.0], 500.25, 2),
    _mzml_spectrum(2, 2, [120.0], [7.0], None),  # no precursor: bad
    _mzml_spectrum(3, 2, [130.0, 140.0], [1.0, 2.0], 650.5, None, binary="!!not base64!!"),  # bad binary
    _mzml_spectrum(4, 2, [150.0, 160.0], [8.0, 9.0], 700.0),  # no charge
]


@pytest.mark.parametrize("name", ["a.mzML", "a.mzML.gz"])
def test_mzml_reader(tmp_path: Path, name: str) -> None:
    p = tmp_path / name
    text = _mzml(MZML_SPECTRA)
    if name.endswith(".gz"):
        p.write_bytes(gzip.compress(text.encode()))
    else:
        p.write_text(text)
    errors: list[BadRecord] = []
    got = list(read_mzml(p, errors))
    assert [s.index for s in got] == [1, 4]  # MS1 skipped, indices are positions in the file
    s = got[0]
    np.testing.assert_array_equal(s.mz, [110.0, 210.5, 300.25])
    np.testing.assert_array_equal(s.intensity, [3.0, 4.0, 5.0])
    assert (s.precursor_mz, s.charge, s.rt, s.file) == (500.25, 2, 60.0, str(p))
    assert s.scan == "controllerType=0 controllerNumber=1 scan=2" and got[1].charge == 0
    assert [(e.index, e.reason.split()[0]) for e in errors] == [(2, "missing"), (3, "undecodable")]


def test_mzml_truncated_raises(tmp_path: Path) -> None:
    p = tmp_path / "t.mzML"
    text = _mzml(MZML_SPECTRA)
    p.write_text(text[: len(text) * 2 // 3])
    with pytest.raises(ReadError, match="t.mzML: not a readable mzML"):
        list(read_mzml(p, []))


def _mzxml_scan(num: int, level: int, mzs: list[float], its: list[float], pmz: float | None = None,
                z: int | None = None, inner: str = "") -> str:
    pairs = np.empty(2 * len(mzs), dtype=">f8")
    pairs[0::2], pairs[1::2] = mzs, its
    prec = ""
    if pmz is not None:
        zc = f' precursorCharge="{z}"' if z else ""
        prec = f'<precursorMz precursorIntensity="10"{zc}>{pmz}</precursorMz>'
    return (f'<scan num="{num}" msLevel="{level}" peaksCount="{len(mzs)}" retentionTime="PT{num * 1.5}S">{prec}'
            '<peaks precision="64" byteOrder="network" pairOrder="m/z-int" compressionType="none" '
            f'compressedLen="0">{base64.b64encode(pairs.tobytes()).decode()}</peaks>{inner}</scan>')


def test_mzxml_reader(tmp_path: Path) -> None:
    ms2 = _mzxml_scan(2, 2, [110.0, 210.0, 300.0], [3.0, 4.0, 5.0], 500.25, 2)
    scans = [_mzxml_scan(1, 1, [100.0, 200.0], [1.0, 2.0], inner=ms2),
             _mzxml_scan(3, 2, [120.0], [7.0]),  # no precursor: bad
             _mzxml_scan(4, 2, [130.0, 140.0], [1.0, 2.0], 600.0)]
    p = tmp_path / "a.mzXML"
    p.write_text('<?xml version="1.0" encoding="ISO-8859-1"?>\n<mzXML xmlns="http://sashimi.sourceforge.net/'
                 'schema_revision/mzXML_3.2"><msRun scanCount="4">' + "".join(scans) + "</msRun></mzXML>")
    errors: list[BadRecord] = []
    got = list(read_mzxml(p, errors))
    assert [(s.index, s.scan, s.charge) for s in got] == [(1, "2", 2), (3, "4", 0)]
    np.testing.assert_array_equal(got[0].mz, [110.0, 210.0, 300.0])
    assert got[0].precursor_mz == 500.25 and got[0].rt == pytest.approx(3.0)
    assert [(e.index, e.reason) for e in errors] == [(2, "missing precursor m/z")]


def test_formats_registry() -> None:
    names = {f.name: f for f in FORMATS}
    assert names["mgf"].matches("X.MGF") and names["mgf"].matches("x.mgf.gz")
    assert names["mzml"].matches("run.mzML") and names["mzxml"].matches("run.mzXML")
    assert names["mgf"].write is write_mgf and names["mzml"].write is None
