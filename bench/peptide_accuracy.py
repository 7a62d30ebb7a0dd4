"""De novo sequencing accuracy on the 128 real labelled spectra (Casanovo sample, never trained on).

Runs the real CLI — ``scigen sequence`` then ``scigen evaluate peptides`` — for each checkpoint and
writes ``bench/results/peptide_accuracy.json`` plus a precision–coverage plot of all of them.

    python bench/peptide_accuracy.py                       # shipped checkpoint + the AR-only ablation
    python bench/peptide_accuracy.py --checkpoint a=runs/x/model.pt --checkpoint b=runs/y/model.pt
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("SCIGEN_SHARED", ROOT.parent / "shared"))
MGF = SHARED / "data" / "peptide_msms" / "casanovo_sample_preprocessed_spectra.mgf.gz"


def scigen() -> list[str]:
    exe = shutil.which("scigen", path=str(Path(sys.executable).parent))
    return [exe] if exe else [sys.executable, "-m", "sciGen.cli"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mgf", type=Path, default=MGF)
    ap.add_argument("--checkpoint", action="append", default=[], help="NAME=PATH (repeatable)")
    ap.add_argument("--beam", type=int, default=5)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "peptide_accuracy.json")
    args = ap.parse_args()
    ckpts = dict(c.split("=", 1) for c in args.checkpoint) or {
        "bidirectional (shipped)": str(ROOT / "sciGen" / "checkpoints" / "proteins-bidir.pt"),
        "AR-only ablation": str(ROOT / "sciGen" / "checkpoints" / "proteins-ar-only.pt")}
    if not args.mgf.is_file():
        sys.exit(f"{args.mgf}: not found (the shared data folder must sit beside the checkout)")
    from sciGen.proteins.metrics import plot_precision_coverage, precision_coverage
    from sciGen.proteins.results import read_mztab

    res: dict = {"mgf": str(args.mgf), "beam": args.beam, "date": time.strftime("%Y-%m-%d %H:%M:%S"), "models": {}}
    curves = {}
    with tempfile.TemporaryDirectory() as tmp:
        labels = Path(tmp) / "labels.mgf"
        import gzip
        labels.write_bytes(gzip.decompress(args.mgf.read_bytes()) if args.mgf.name.endswith(".gz")
                           else args.mgf.read_bytes())
        for name, ck in ckpts.items():
            out = Path(tmp) / f"{len(res['models'])}.mztab"
            t0 = time.time()
            subprocess.run(scigen() + ["sequence", str(labels), "-o", str(out), "--checkpoint", ck,
                                       "--beam-size", str(args.beam)], check=True)
            wall = time.time() - t0
            mj = Path(tmp) / "m.json"
            subprocess.run(scigen() + ["evaluate", "peptides", str(out), "--labels", str(labels), "--json", str(mj)],
                           check=True, stdout=subprocess.DEVNULL)
            m = json.loads(mj.read_text())
            m["wall_s"] = round(wall, 1)
            res["models"][name] = {"checkpoint": ck, **m}
            from sciGen.proteins.formats import read_mgf
            truth = {s.index: s.peptide for s in read_mgf(labels)}
            rows = {int(r["index"]): (r["sequence"], float(r["score"])) for r in read_mztab(out)}
            keys = sorted(truth)
            curves[name] = precision_coverage([rows.get(k, (None, float("-inf"))) for k in keys],
                                              [truth[k] for k in keys])
            print(f"{name}: " + ", ".join(f"{k} {v:.4f}" if isinstance(v, float) else f"{k} {v}"
                                        for k, v in m.items()), flush=True)
    plot_precision_coverage(curves, args.out.with_suffix(".png"))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(res, indent=2) + "\n")
    os.replace(tmp, args.out)
    print(f"wrote {args.out} and {args.out.with_suffix('.png')}")


if __name__ == "__main__":
    main()
