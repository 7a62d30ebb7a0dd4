"""CAD formats: folder read / write, bad files skipped and listed, previews."""
from __future__ import annotations

from pathlib import Path

import pytest
from build123d import Box

from sciGen.adapter import ReadError
from sciGen.cad.formats import FORMATS, read_folder, write_folder
from sciGen.cad.preview import render


def test_folder_round_trip_and_bad_files(tmp_path: Path) -> None:
    paths = write_folder([Box(1, 1, 1).wrapped, Box(1, 2, 3).wrapped], tmp_path, fmt="step")
    assert [p.name for p in paths] == ["0000.step", "0001.step"]
    write_folder([Box(3, 1, 1).wrapped], tmp_path, fmt="brep", start=2)
    (tmp_path / "bad.stp").write_text("nope")
    errors: list = []
    got = read_folder(tmp_path, errors)
    assert [n for n, _ in got] == ["0000.step", "0001.step", "0002.brep"]
    assert len(errors) == 1 and errors[0].reason == "not a readable STEP file"
    with pytest.raises(ReadError, match="bad.stp: not a readable STEP file"):
        list(FORMATS[0].read(tmp_path / "bad.stp", None))
    with pytest.raises(ValueError, match="unknown CAD format"):
        write_folder([Box(1, 1, 1).wrapped], tmp_path, fmt="iges")


def test_preview_png(tmp_path: Path) -> None:
    out = render([Box(1, 2, 3).wrapped, None], tmp_path / "p.png", labels=["box", "missing"])
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
