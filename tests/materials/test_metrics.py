from __future__ import annotations

import numpy as np
from pymatgen.core import Composition, Lattice, Structure

from sciGen.materials.fingerprints import composition_fp, scaled_composition_fps, structure_fp
from sciGen.materials.metrics import cov_cutoffs, csp_metrics, denovo_metrics

from .conftest import diamond, nacl, srtio3


def test_csp_match_rate_and_top_k() -> None:
    ref = [srtio3(), nacl()]
    strained = srtio3()
    strained.apply_strain(0.02)
    wrong = Structure(Lattice.cubic(5.64), ["Na", "Cl"], [[0, 0, 0], [0.25, 0.25, 0.25]])
    m = csp_metrics([[strained, None], [wrong, nacl()]], ref, workers=1)
    assert m["match_rate"] == 0.5 and m["match_rate@2"] == 1.0 and m["match_rate_first_valid"] == 0.5
    assert csp_metrics([[None, strained], [wrong, nacl()]], ref, workers=1)["match_rate_first_valid"] == 0.5
    assert 0 <= m["rmse"] < 0.05 and m["rmse@2"] <= m["rmse"] + 1e-9
    assert m["k"] == 2 and m["reference_valid"] == 1.0


def test_composition_fingerprint() -> None:
    fp = composition_fp(Composition("C8"))
    assert fp.shape == (132,)
    assert fp[0] == fp[1] == fp[3] == fp[5] == 6 and fp[2] == fp[4] == 0  # Number: min max range mean dev mode
    sc = scaled_composition_fps([Composition("SrTiO3"), Composition("NaCl")])
    assert sc.shape == (2, 132) and np.isfinite(sc).all()


def test_denovo_metrics_cover_identical_sets() -> None:
    ref = [srtio3(), nacl(), diamond()]
    assert structure_fp(ref[0]).shape == (61,)
    m = denovo_metrics([srtio3(), nacl(), diamond(), None], ref, workers=1)
    assert m["n"] == 4 and m["valid"] == 0.75 and m["struct_valid"] == 0.75
    assert m["cov_r"] == 1.0 and m["cov_p"] == 0.75
    assert m["density_wdist"] < 1e-9 and m["nelem_wdist"] < 1e-9
    assert cov_cutoffs([diamond()])[0] == "carbon_24" and cov_cutoffs([srtio3()])[0] == "perov_5"
