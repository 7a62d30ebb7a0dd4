"""Peptide de novo sequencing throughput: `scigen sequence` vs `casanovo sequence`, same MGF, same sizes, one run.

    bash bench/casanovo_setup.sh                      # once: the separate Casanovo venv (bench/.casanovo-venv)
    .venv/bin/python bench/peptide_throughput.py [--mgf SPECTRA.mgf] [--beam 5] [--length 10] [--layers 9]
        [--d-model 512] [--heads 8] [--ff 1024] [--repeats 1] [--threads N] [--diff]
        [--skip-casanovo | --skip-scigen] [--scigen-batch-size 64] [--scigen-workdir DIR]

Both sides are random-weight models at the same sizes (encoder layers = decoder layers = --layers, d_model,
heads, feed-forward width), the same beam width, and the same fixed decode length (--length residues per
spectrum, then stop), timed as command-line runs on the same MGF (wall clock including start-up).
Casanovo side: bench/casanovo_baseline.py, run with the Casanovo venv's python (see its docstring for how the
fixed length is forced).  sciGen side: ``sciGen_side`` below (random BidirPeptide with encoder = AR decoder =
NAR decoder = --layers layers, timed as ``scigen sequence --fixed-length L``; batch --scigen-batch-size, the
CLI default 64, while Casanovo uses --batch-size, its default 1024).
Writes bench/results/peptide_throughput.json (atomically); ``ratio_sciGen_over_casanovo`` = sciGen spectra/s
divided by Casanovo spectra/s, when both sides ran (``..._marginal``: the same, start-up excluded, --diff).
Prints a one-line JSON summary; exits 1 if a requested side failed (the JSON still records the error).
"""
from __future__ import annotations

import argparse
import datetime
import gzip
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from mgf_blocks import read_mgf_spectra, write_doubled_mgf  # bench/ is on sys.path (script dir)

HERE = Path(__file__).resolve().parent
DEFAULT_MGF = Path("/work/shared/data/peptide_msms/casanovo_sample_preprocessed_spectra.mgf.gz")
CASANOVO_PY = HERE / ".casanovo-venv" / "bin" / "python"


SCIGEN_EXE = HERE.parent / ".venv" / "bin" / "scigen"




def build_scigen_checkpoint(args: argparse.Namespace, path: Path) -> dict:
    """Random-weight BidirPeptide at the Casanovo sizes (NAR decoder as deep as the AR one), float32."""
    import dataclasses

    import torch

    from sciGen.checkpoint import save_checkpoint
    from sciGen.generators.bidir_peptide import BidirPeptide
    from sciGen.proteins.adapter import ProteinsAdapter

    torch.manual_seed(args.seed)
    vocab = ProteinsAdapter.default_vocab()
    cfg = dict(ProteinsAdapter().model_fields(vocab), d_model=args.d_model, n_heads=args.heads, d_ff=args.ff,
               encoder_layers=args.layers, ar_layers=args.layers, nar_layers=args.layers, dropout=0.0,
               max_len=max(32, args.length + 1))
    model = BidirPeptide(cfg).eval()
    # As the Casanovo side forbids its N-terminal modification tokens: a large negative output bias keeps the
    # random model from starting with one, so each of the L decoded tokens is a residue.  Every matmul still
    # runs at full size, so the cost per step is unchanged.
    with torch.no_grad():
        model.head.bias[model.cfg.first_only_ids] = -1e4
    save_checkpoint(path, generator="bidir_peptide", domain="proteins", config=dataclasses.asdict(model.cfg),
                    vocab=vocab.to_dict(), state_dict=model.state_dict(), meta={})
    count = lambda mod: sum(p.numel() for p in mod.parameters()) if mod is not None else 0  # noqa: E731
    return {"n_params": count(model), "n_params_encoder": count(model.encoder), "n_params_nar": count(model.nar),
            "n_params_ar": count(model.ar), "config": {k: v for k, v in dataclasses.asdict(model.cfg).items()
                                                        if k not in ("token_masses", "ion_types", "optim")}}


def run_scigen(args: argparse.Namespace, ckpt: Path, mgf: Path, out: Path, n_expected: int) -> dict:
    """One timed `scigen sequence` subprocess (wall clock incl. start-up), output checked: n_expected PSMs,
    each exactly args.length tokens."""
    import time

    from sciGen.proteins.residues import tokenize
    from sciGen.proteins.results import read_mztab

    cmd = [str(SCIGEN_EXE), "sequence", str(mgf), "-o", str(out), "--checkpoint", str(ckpt),
           "--beam-size", str(args.beam), "--batch-size", str(args.scigen_batch_size),
           "--fixed-length", str(args.length), "--device", "cpu"]
    env = dict(os.environ)
    if args.threads:  # as casanovo_baseline.run_casanovo: torch takes its intra-op thread count from these
        env.update(OMP_NUM_THREADS=str(args.threads), MKL_NUM_THREADS=str(args.threads))
    for stale in (out, out.with_name(out.name + ".partial")):
        stale.unlink(missing_ok=True)
    t = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-4000:] + proc.stderr[-4000:])
        raise RuntimeError(f"scigen sequence failed with exit code {proc.returncode}: {' '.join(cmd)}")
    rows = read_mztab(out)
    seqs = [r["sequence"] for r in rows]
    toks = [tokenize(s) for s in seqs]
    lens = [len(t) for t in toks]
    residues = [sum(not x.endswith("-") for x in t) for t in toks]  # N-terminal modifications are not residues
    bad = [(s, n, r) for s, n, r in zip(seqs, lens, residues) if n != args.length or r != args.length]
    if len(rows) != n_expected or bad:
        raise RuntimeError(f"fixed-length decoding failed: {len(rows)} PSMs for {n_expected} spectra, "
                           f"{len(bad)} peptides not of {args.length} tokens/residues (e.g. {bad[:5]}); "
                           f"scigen stderr tail: {proc.stderr[-1000:]!r}")
    return {"wall_s": wall, "psms": len(rows), "lens": lens, "residues": residues,
            "example": seqs[0] if seqs else None, "cmd": cmd}


def sciGen_side(args: argparse.Namespace) -> dict:
    """The sciGen half of the benchmark.

    Builds a random-weight BidirPeptide (``sciGen/generators/bidir_peptide.py``) at the same sizes as the
    Casanovo side: ``args.layers`` encoder layers, ``args.layers`` AR decoder layers *and* ``args.layers`` NAR
    decoder layers (the bidirectional model's extra decoder, kept at full depth: the more expensive, honest
    setting), ``args.d_model``, ``args.heads``, ``args.ff``, dropout 0; saves it (float32) in the work dir, then
    times ``scigen sequence MGF --fixed-length L --beam-size B --device cpu`` as a subprocess on
    ``args.mgf_plain`` (the same uncompressed MGF the Casanovo side reads), ``args.repeats`` times, with
    ``OMP_NUM_THREADS``/``MKL_NUM_THREADS`` = ``args.threads`` when set (as the Casanovo side).
    ``--fixed-length L`` makes the beam search emit exactly L tokens (stop token forbidden before step L,
    forced at step L; no early stop): the workload of the forced-length Casanovo model.  The N-terminal-only
    tokens get a -1e4 output bias (as Casanovo's forced model forbids them), so all L tokens are residues.
    Every run's mzTab is checked: one PSM per input spectrum, each of exactly L tokens and L residues
    (:func:`sciGen.proteins.residues.tokenize`); anything else raises.

    Returns {"spectra", "wall_s" (median subprocess wall clock incl. start-up), "spectra_per_s",
    "peptide_len_mean", ...}; with ``--diff`` also "spectra_per_s_marginal" = N / (wall(2N) - wall(N)).
    """
    import statistics

    import torch

    work = (args.scigen_workdir.resolve() if args.scigen_workdir else args.tmpdir / "scigen")
    work.mkdir(parents=True, exist_ok=True)
    mgf = args.mgf_plain
    n_mgf = len(read_mgf_spectra(mgf))
    ckpt = work / "scigen_random.pt"
    t = time.perf_counter()
    info = build_scigen_checkpoint(args, ckpt)
    build_s = time.perf_counter() - t
    print(f"[sciGen] random checkpoint {ckpt} ({info['n_params'] / 1e6:.1f} M params, built in {build_s:.1f} s)",
          file=sys.stderr)

    load_before = os.getloadavg()[0]
    runs = []
    for r in range(args.repeats):
        runs.append(run_scigen(args, ckpt, mgf, work / "out.mztab", n_mgf))
        print(f"[sciGen] run {r}: {runs[-1]['wall_s']:.1f} s wall, {runs[-1]['psms']} PSMs", file=sys.stderr)
    n = runs[-1]["psms"]
    lens, residues = runs[-1]["lens"], runs[-1]["residues"]
    wall = statistics.median(r["wall_s"] for r in runs)
    res = {
        "tool": "sciGen", "generator": "bidir_peptide", "torch": torch.__version__,
        "spectra": n, "wall_s": round(wall, 3), "spectra_per_s": round(n / wall, 3),
        "wall_s_runs": [round(r["wall_s"], 3) for r in runs],
        "peptide_len_mean": sum(lens) / len(lens), "peptide_len_min": min(lens), "peptide_len_max": max(lens),
        "residues_mean": sum(residues) / len(residues),
        "example_peptide": runs[-1]["example"],
        "beam": args.beam, "length": args.length, "layers": args.layers, "encoder_layers": args.layers,
        "ar_layers": args.layers, "nar_layers": args.layers, "d_model": args.d_model, "heads": args.heads,
        "dim_feedforward": args.ff, "n_params": info["n_params"], "n_params_encoder": info["n_params_encoder"],
        "n_params_nar": info["n_params_nar"], "n_params_ar": info["n_params_ar"],
        "batch_size": args.scigen_batch_size, "model_config": info["config"],
        "threads": args.threads or torch.get_num_threads(), "cpu_count": os.cpu_count(),
        "checkpoint_build_s": round(build_s, 3), "cmd": " ".join(runs[-1]["cmd"]),
        "loadavg_1min_before": round(load_before, 2), "loadavg_1min_after": round(os.getloadavg()[0], 2),
    }
    if args.diff:
        mgf2 = work / "spectra_2x.mgf"
        n2 = write_doubled_mgf(mgf, mgf2)
        runs2 = [run_scigen(args, ckpt, mgf2, work / "out2x.mztab", n2) for _ in range(args.repeats)]
        for r in runs2:
            print(f"[sciGen] 2x run: {r['wall_s']:.1f} s wall, {r['psms']} PSMs", file=sys.stderr)
        wall2 = statistics.median(r["wall_s"] for r in runs2)
        res.update(spectra_2x=n2, wall_s_2x=round(wall2, 3), wall_s_2x_runs=[round(r["wall_s"], 3) for r in runs2],
                   startup_s_est=round(2 * wall - wall2, 3),
                   spectra_per_s_marginal=round((n2 - n) / (wall2 - wall), 3) if wall2 > wall else None)
        res["loadavg_1min_after"] = round(os.getloadavg()[0], 2)
    if args.scigen_workdir:
        res["checkpoint"] = str(ckpt)
    return res


def casanovo_side(args: argparse.Namespace) -> dict:
    if not CASANOVO_PY.exists():
        raise RuntimeError(f"{CASANOVO_PY} missing: run `bash bench/casanovo_setup.sh` first")
    cmd = [str(CASANOVO_PY), str(HERE / "casanovo_baseline.py"), "--mgf", str(args.mgf_plain),
           "--beam", str(args.beam), "--length", str(args.length), "--layers", str(args.layers),
           "--d-model", str(args.d_model), "--heads", str(args.heads), "--ff", str(args.ff),
           "--repeats", str(args.repeats), "--batch-size", str(args.batch_size)]
    if args.threads:
        cmd += ["--threads", str(args.threads)]
    if args.diff:
        cmd.append("--diff")
    if args.casanovo_workdir:
        cmd += ["--workdir", str(args.casanovo_workdir)]
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, text=True)  # its progress goes to our stderr
    if proc.returncode != 0:
        raise RuntimeError(f"casanovo baseline failed (exit {proc.returncode}): {' '.join(cmd)}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def machine_info() -> dict:
    info = {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "cpu_count": os.cpu_count(), "machine": platform.machine(), "processor": platform.processor(),
            "python": platform.python_version(), "loadavg_1min": round(os.getloadavg()[0], 2)}
    try:
        import torch

        info["torch"] = torch.__version__
        info["torch_threads_default"] = torch.get_num_threads()
    except ImportError:  # pragma: no cover
        info["torch"] = None
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu_model"] = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return info


def atomic_write_json(path: Path, obj: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(obj, indent=2) + "\n")
    os.replace(tmp, path)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mgf", type=Path, default=DEFAULT_MGF, help="spectra (.mgf or .mgf.gz)")
    ap.add_argument("--beam", type=int, default=5)
    ap.add_argument("--length", type=int, default=10, help="fixed number of residues decoded per spectrum")
    ap.add_argument("--layers", type=int, default=9, help="encoder layers = decoder layers")
    ap.add_argument("--d-model", type=int, default=512)
    ap.add_argument("--heads", type=int, default=8)
    ap.add_argument("--ff", type=int, default=1024, help="feed-forward width")
    ap.add_argument("--batch-size", type=int, default=1024, help="spectra per inference batch (Casanovo default)")
    ap.add_argument("--repeats", type=int, default=1, help="timed runs per side (median reported)")
    ap.add_argument("--threads", type=int, default=0,
                    help="OMP_NUM_THREADS for both sides (default: torch's default). 1 is far less noisy on a "
                         "shared 2-core machine")
    ap.add_argument("--diff", action="store_true", help="also time 2N spectra: start-up-free spectra/s")
    ap.add_argument("--skip-casanovo", action="store_true")
    ap.add_argument("--skip-scigen", action="store_true")
    ap.add_argument("--scigen-batch-size", type=int, default=64, help="`scigen sequence --batch-size` (its default)")
    ap.add_argument("--seed", type=int, default=0, help="torch seed for the random sciGen weights")
    ap.add_argument("--scigen-workdir", type=Path, default=None,
                    help="keep the sciGen checkpoint/mzTab here (default: temporary)")
    ap.add_argument("--casanovo-workdir", type=Path, default=None,
                    help="keep the Casanovo checkpoint/config/mzTab here (default: temporary)")
    ap.add_argument("--out", type=Path, default=HERE / "results" / "peptide_throughput.json")
    args = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="peptide-throughput-")
    try:
        mgf = args.mgf.resolve()
        if mgf.suffix == ".gz":
            plain = Path(tmp) / mgf.with_suffix("").name
            with gzip.open(mgf, "rb") as f, open(plain, "wb") as g:
                shutil.copyfileobj(f, g)
            mgf = plain
        args.mgf_plain = mgf
        args.tmpdir = Path(tmp)

        report: dict = {
            "what": "de novo peptide sequencing throughput (spectra/s), random weights, fixed decode length, CPU",
            "mgf": str(args.mgf),
            "settings": {k: getattr(args, k) for k in ("beam", "length", "layers", "d_model", "heads", "ff",
                                                       "batch_size", "scigen_batch_size", "repeats", "threads",
                                                       "diff", "seed")},
            "machine": machine_info(),
        }
        sides = {}
        if not args.skip_casanovo:
            try:
                sides["casanovo"] = casanovo_side(args)
            except Exception as e:  # noqa: BLE001 - record and still write the other side
                report["casanovo_error"] = f"{type(e).__name__}: {e}"
        if not args.skip_scigen:
            try:
                sides["sciGen"] = sciGen_side(args)
            except NotImplementedError as e:
                report["sciGen_error"] = f"NotImplementedError: {e}"
            except Exception as e:  # noqa: BLE001
                report["sciGen_error"] = f"{type(e).__name__}: {e}"
        report["results"] = sides
        keys = ("beam", "length", "layers", "d_model", "heads", "dim_feedforward", "threads", "n_params",
                "spectra", "wall_s", "spectra_per_s", "spectra_per_s_marginal", "peptide_len_mean")
        report["compare"] = {k: {side: sides[side].get(k) for side in sides} for k in keys}
        if "sciGen" in sides:
            report["compare"]["sciGen_layers"] = {k: sides["sciGen"][k]
                                                  for k in ("encoder_layers", "ar_layers", "nar_layers")}
        if "casanovo" in sides and "sciGen" in sides:
            c, s = sides["casanovo"], sides["sciGen"]
            report["ratio_sciGen_over_casanovo"] = round(s["spectra_per_s"] / c["spectra_per_s"], 3)
            if s.get("spectra_per_s_marginal") and c.get("spectra_per_s_marginal"):
                report["ratio_sciGen_over_casanovo_marginal"] = round(
                    s["spectra_per_s_marginal"] / c["spectra_per_s_marginal"], 3)
        report["machine"]["loadavg_1min_end"] = round(os.getloadavg()[0], 2)
        atomic_write_json(args.out, report)
        summary = {f"{k}_spectra_per_s": sides[k].get("spectra_per_s") for k in sides}
        summary.update({f"{k}_marginal": sides[k].get("spectra_per_s_marginal") for k in sides
                        if sides[k].get("spectra_per_s_marginal")})
        summary.update(ratio=report.get("ratio_sciGen_over_casanovo"),
                       ratio_marginal=report.get("ratio_sciGen_over_casanovo_marginal"),
                       beam=args.beam, length=args.length, layers=args.layers, threads=args.threads,
                       loadavg=report["machine"]["loadavg_1min_end"], out=str(args.out))
        print(json.dumps(summary))
        errors = [k for k in ("casanovo_error", "sciGen_error") if k in report]
        for k in errors:
            print(f"{k}: {report[k]}", file=sys.stderr)
        if not sides or errors:
            raise SystemExit(1)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
