"""MGF text blocks for the throughput benchmark: read them, write every spectrum twice.
Pure Python, imported by both the Casanovo venv's script and the sciGen driver."""
from __future__ import annotations

import re
from pathlib import Path


def read_mgf_spectra(path: Path) -> list[str]:
    """The BEGIN IONS … END IONS blocks of an MGF."""
    blocks, cur = [], None
    for line in path.read_text().splitlines(keepends=True):
        if line.startswith("BEGIN IONS"):
            cur = [line]
        elif cur is not None:
            cur.append(line)
            if line.startswith("END IONS"):
                blocks.append("".join(cur))
                cur = None
    return blocks


def write_doubled_mgf(src: Path, dst: Path) -> int:
    """Every spectrum twice (the copies' TITLE/SCANS get ``_dup``); returns the number written."""
    blocks = read_mgf_spectra(src)
    out = []
    for copy_i in range(2):
        for b in blocks:
            if copy_i:
                b = re.sub(r"^(TITLE|SCANS)=(.*)$", lambda m: f"{m.group(1)}={m.group(2)}_dup", b, flags=re.M)
            out.append(b)
    dst.write_text("\n".join(out))
    return len(out)
