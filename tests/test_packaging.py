"""The distribution installs sciGen and sciGen.<domain>, never bare domain names."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

BARE = ("molecules", "materials", "shapes", "cad", "proteins")


def test_editable_install_exposes_only_namespaced_domains(tmp_path: Path) -> None:
    code = ("import importlib.util as u, sys; "
            f"bare=[n for n in {BARE!r} if u.find_spec(n) is not None]; "
            f"ns=[n for n in {BARE!r} if u.find_spec('sciGen.'+n) is None]; "
            "print(bare, ns); sys.exit(1 if bare or ns else 0)")
    r = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def test_regular_install_has_no_bare_packages(tmp_path: Path) -> None:
    pytest.importorskip("setuptools")
    site = tmp_path / "site"
    r = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                        "--no-index", "--target", str(site), str(ROOT)], capture_output=True, text=True,
                       cwd=tmp_path, env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    top = {p.name for p in site.iterdir()}
    assert "sciGen" in top
    assert not top & set(BARE), top
    for d in BARE:
        assert (site / "sciGen" / d / "__init__.py").is_file()
    assert (site / "sciGen" / "molecules" / "data" / "mcf.csv").is_file()
    assert (site / "sciGen" / "checkpoints" / "molecules-unigenx.pt").is_file()
