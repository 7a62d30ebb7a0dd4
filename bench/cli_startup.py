"""Start-up cost of the ``scigen`` command and the Python API, with and without Lightning imported.

    python bench/cli_startup.py --repeats 5   # → bench/results/cli_startup.json

The models are plain ``nn.Module`` subclasses (``sciGen.nn.trainable.Trainable``) and only training imports
Lightning.  The baseline, in the same run, is the same command in a process that imports
``pytorch_lightning`` first — what every ``scigen generate`` paid while the generators were
``LightningModule`` subclasses.  Each case is a fresh Python process (wall seconds, median of the repeats; the
cases alternate so that load on the machine hits both alike).
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.progress import Progress

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from sciGen.io import atomic_write_text  # noqa: E402

CASES = {
    "import sciGen.api + load the default molecules model":
        "from sciGen.api import load; load('molecules')",
    "scigen generate molecules -n 10":
        "import sys; from sciGen.cli import app; sys.argv = ['scigen', 'generate', 'molecules', '-n', '10', '-o', "
        "OUT + '/m.smi', '--seed', '0']; app()",
    "scigen generate molecules --generator unigenx-3d -n 10":
        "import sys; from sciGen.cli import app; sys.argv = ['scigen', 'generate', 'molecules', '--generator', "
        "'unigenx-3d', '-n', '10', '-o', OUT + '/m.sdf', '--seed', '0']; app()",
}


def timed(code: str, lightning: bool, out: str) -> float:
    prefix = "import pytorch_lightning\n" if lightning else ""
    t0 = time.perf_counter()
    r = subprocess.run([sys.executable, "-c", f"OUT = {out!r}\n{prefix}{code}"], capture_output=True, text=True)
    dt = time.perf_counter() - t0
    if r.returncode not in (0,):
        raise SystemExit(f"failed ({r.returncode}): {code}\n{r.stderr[-2000:]}")
    return dt


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--out", default="bench/results/cli_startup.json")
    args = ap.parse_args()
    res: dict = {"python": sys.version.split()[0], "repeats": args.repeats, "cases": {}}
    with tempfile.TemporaryDirectory() as tmp, Progress() as bar:
        task = bar.add_task("start-up", total=len(CASES) * args.repeats * 2)
        for name, code in CASES.items():
            times: dict[str, list[float]] = {"without_lightning": [], "with_lightning": []}
            for _ in range(args.repeats):
                for key, pl in (("without_lightning", False), ("with_lightning", True)):
                    times[key].append(timed(code, pl, tmp))
                    bar.advance(task)
            med = {k: statistics.median(v) for k, v in times.items()}
            res["cases"][name] = {"seconds": times, "median_s": med,
                                  "speed_up": med["with_lightning"] / med["without_lightning"]}
            bar.console.print(f"{name}: {med['without_lightning']:.2f} s against {med['with_lightning']:.2f} s "
                              f"with Lightning ({res['cases'][name]['speed_up']:.2f}×)")
    atomic_write_text(Path(args.out), json.dumps(res, indent=2))


if __name__ == "__main__":
    main()
