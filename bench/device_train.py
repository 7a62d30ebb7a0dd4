"""Fill a lent GPU's time with training: probe each config's speed, size the runs to a budget, train them side by
side, and leave the checkpoints in pieces small enough for the device's transfer back.

On the device machine (``run`` tool; the package is installed into /tmp/site without touching its Python):

    python3 -m pip install -q --no-index --no-deps --no-build-isolation --target /tmp/site . \\
      && PYTHONPATH=/tmp/site python3 -P bench/device_train.py configs/A.yaml configs/B.yaml --budget 420 --out $OUT

1. **Probe**: each config trains ``--probe`` steps (side by side, as they will run) and reports its steps / s
   after its first 20 steps (start-up and data loading excluded).
2. **Size**: ``max_steps`` = the slower rate × ``--budget`` seconds, rounded down to 50, for every config, with
   ``model.optim.decay_steps`` set to match (the cosine ends where the run does).  The sized config is an overlay
   (``base:`` the given file) written beside the outputs, so the run is reproducible from the repository.
3. **Train** side by side: ``scigen train SIZED --output /tmp/device-run/NAME``.
4. **Return**: each ``model.pt`` split into ``--part-mb`` MB pieces (``cat NAME.pt.part* > NAME.pt`` joins them),
   its ``metrics.csv``, the sized configs and ``device_train.json`` (rates, steps, seconds) under ``--out``.

Configs whose ``trainer.max_time`` is shorter than the budget stop there (Lightning's own limit), so the time
limit set in the config stays the guard.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

RATE = re.compile(r"^RATE ([0-9.]+)$", re.M)


def probe_one(config: str, output: str, steps: int) -> None:
    """Train ``config`` for ``steps`` steps into ``output`` and print ``RATE r`` (steps / s after step 20)."""
    import pytorch_lightning as pl

    import sciGen.train as T

    class Rate(pl.Callback):
        t0: float | None = None

        def on_train_batch_end(self, trainer, *_) -> None:
            s = trainer.global_step
            if s == min(20, steps // 2):
                self.t0, self.s0 = time.perf_counter(), s
            if s == trainer.max_steps and self.t0 is not None:
                print(f"RATE {(s - self.s0) / (time.perf_counter() - self.t0):.4f}", flush=True)

    make = T.make_trainer

    def with_rate(tc, out, enable_progress_bar=True):
        tr = make(tc, out, enable_progress_bar)
        tr.callbacks.append(Rate())
        return tr

    T.make_trainer = with_rate
    T.train(config, output=output, overrides={"max_steps": steps})


def run_all(cmds: list[list[str]], logs: list[Path]) -> list[int]:
    """Start every command at once (stdout + stderr to its log), wait for all; their exit codes."""
    files = [log.open("w") for log in logs]
    try:
        procs = [subprocess.Popen(cmd, stdout=f, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"})
                 for cmd, f in zip(cmds, files)]
        return [p.wait() for p in procs]
    finally:
        for f in files:
            f.close()


def sized_overlay(config: Path, steps: int) -> str:
    return (f"# {config.name} sized by bench/device_train.py: max_steps = the probe's rate × the budget\n"
            f"base: {config.resolve()}\nmodel:\n  optim:\n    decay_steps: {steps}\ntrainer:\n  max_steps: {steps}\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("configs", nargs="*")
    ap.add_argument("--budget", type=float, default=420.0, help="seconds of training for each config (side by side)")
    ap.add_argument("--probe", type=int, default=80, help="steps of the speed probe")
    ap.add_argument("--out", default=os.environ.get("OUT", "runs/device"))
    ap.add_argument("--work", default="/tmp/device-run", help="run folders (not returned)")
    ap.add_argument("--part-mb", type=int, default=12)
    ap.add_argument("--probe-one", nargs=3, metavar=("CONFIG", "OUTPUT", "STEPS"), help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.probe_one:
        return probe_one(a.probe_one[0], a.probe_one[1], int(a.probe_one[2]))
    if not a.configs:
        ap.error("name at least one config")
    out, work = Path(a.out), Path(a.work)
    out.mkdir(parents=True, exist_ok=True)
    work.mkdir(parents=True, exist_ok=True)
    configs = [Path(c) for c in a.configs]
    names = [c.stem for c in configs]
    for c in configs:
        if not c.is_file():
            sys.exit(f"{c}: config file not found")
    report: dict = {"budget_s": a.budget, "probe_steps": a.probe, "runs": {}}
    t0 = time.perf_counter()
    logs = [work / f"probe-{n}.log" for n in names]
    codes = run_all([[sys.executable, "-P", __file__, "--probe-one", str(c), str(work / f"probe-{n}"), str(a.probe)]
                     for c, n in zip(configs, names)], logs)
    rates = []
    for n, log, code in zip(names, logs, codes):
        m = RATE.findall(log.read_text(errors="replace"))
        if code or not m:
            tail = "\n".join(log.read_text(errors="replace").splitlines()[-20:])
            sys.exit(f"{n}: the speed probe failed (exit {code}); its log ends:\n{tail}")
        rates.append(float(m[-1]))
    steps = max(50, int(min(rates) * a.budget) // 50 * 50)
    report["probe_s"] = round(time.perf_counter() - t0, 1)
    print(f"probe {report['probe_s']} s; rates {dict(zip(names, rates))} steps/s -> {steps} steps each", flush=True)

    sized = []
    for c, n in zip(configs, names):
        p = out / f"{n}.sized.yaml"
        p.write_text(sized_overlay(c, steps))
        sized.append(p)
    t1 = time.perf_counter()
    logs = [work / f"train-{n}.log" for n in names]
    codes = run_all([[sys.executable, "-P", "-m", "sciGen.cli", "train", str(p), "--output", str(work / n)]
                     for p, n in zip(sized, names)], logs)
    report["train_s"] = round(time.perf_counter() - t1, 1)
    for n, rate, code, log in zip(names, rates, codes, logs):
        run = work / n
        entry = {"probe_steps_per_s": rate, "max_steps": steps, "exit": code, "parts": []}
        metrics = sorted(run.glob("logs/*/metrics.csv"))
        if metrics:
            (out / f"{n}.metrics.csv").write_bytes(metrics[-1].read_bytes())
        model = run / "model.pt"
        if model.is_file():
            data, size = model.read_bytes(), a.part_mb << 20
            for i in range(0, len(data), size):
                part = out / f"{n}.pt.part{i // size:02d}"
                part.write_bytes(data[i:i + size])
                entry["parts"].append(part.name)
            entry["model_bytes"] = len(data)
        else:
            entry["log_tail"] = log.read_text(errors="replace").splitlines()[-20:]
        report["runs"][n] = entry
        print(f"{n}: exit {code}, {len(entry['parts'])} part(s)", flush=True)
    (out / "device_train.json").write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
