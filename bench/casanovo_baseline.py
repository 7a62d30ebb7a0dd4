"""Casanovo half of the peptide-sequencing throughput benchmark (run with the Casanovo venv's python).

    bash bench/casanovo_setup.sh
    bench/.casanovo-venv/bin/python bench/casanovo_baseline.py --mgf spectra.mgf [--beam 5] [--length 10]
        [--layers 9] [--d-model 512] [--heads 8] [--ff 1024] [--repeats 1] [--workdir DIR]

No weights can be downloaded, so this builds a random-weight checkpoint through Casanovo's own model class
(``casanovo.denovo.model.Spec2Pep``) at the given sizes, saves it as a Lightning checkpoint whose saved
hyper-parameters include the tokenizer that Casanovo builds from the config's residues, writes a config
(the packaged config.yaml with every key, plus accelerator cpu, devices 1, n_beams, sizes ...), then times
``casanovo sequence -m CKPT -c CONFIG -d OUTDIR -o ROOT SPECTRA.mgf`` as a subprocess.

Fixed decode length.  Random weights are a meaningless workload: most spectra pick padding or stop after a
step or two.  Casanovo's beam search (``Spec2Pep.beam_search_decode``) only keeps a beam once it emits the
stop token ``$`` (after at least ``min_peptide_len`` residues); a beam still running after ``max_peptide_len``
steps is silently dropped, so "max_peptide_len = L with a residue bias" yields *no* PSMs.  The stop decision
must therefore depend on the position, which an output-layer bias alone cannot do.  ``force_fixed_length``
makes the decoder's last hidden state a function of the position only, then solves the output layer
(weight and bias) so that every beam emits residue ``--residue`` (or, for the other beams, another residue)
at positions 0..L-1 and ``$`` at position L:

* decoder layers: the out-projections of self-/cross-attention and the second feed-forward linear are zeroed
  (every matmul still runs at full size, so the cost per step is unchanged; post-norm layers then reduce to
  layer norms of their input);
* every residue embedding is set to the same small constant vector (non-zero, so it is not taken for
  padding), so only the sinusoidal positional encoding distinguishes positions >= 1; the charge embedding is
  set to a large constant so that the precursor position 0 is (to ~1e-4) the same for every spectrum;
* the final linear layer is the least-squares solution mapping the L+1 hidden states to target logits:
  position < L: residue +10, other plain residues 0, ``$``/N-terminal mods/padding -1000; position L: ``$``
  +1000, all else -1000.  With beam S, the S beams differ in their first residue and all stop at step L.

Every produced peptide is checked to have exactly L residues (``peptide_len_min/max`` in the output).

Timing: ``wall_s`` is the subprocess wall clock (Python start-up, imports, checkpoint load, MGF indexing,
inference, mzTab writing).  ``--diff`` additionally runs an MGF with every spectrum twice (2N, scans
renamed) and reports ``spectra_per_s_marginal`` = N / (wall(2N) - wall(N)), i.e. start-up excluded.
Casanovo's own log also gives ``log_predict_s``: the time from its "Sequencing peptides from:" line (after
imports and config parsing, before checkpoint load, MGF indexing and inference) to the end of the run.
Prints one JSON line.
"""
from __future__ import annotations

import argparse
import copy
import datetime
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import torch
import yaml

import casanovo
from casanovo import config as cconfig
from casanovo.denovo.model import Spec2Pep
from casanovo.denovo.model_runner import ModelRunner
from mgf_blocks import read_mgf_spectra, write_doubled_mgf  # bench/ is on sys.path (script dir)

POS_LOGIT = 10.0  # chosen residue at positions < L
BIG = 1000.0  # stop at position L / forbidden tokens


def build_config(a, out: Path) -> dict:
    packaged = Path(cconfig.__file__).with_name("config.yaml")
    cfg = yaml.safe_load(packaged.read_text())
    cfg.update(
        accelerator="cpu",
        devices=1,
        n_beams=a.beam,
        top_match=1,
        max_peptide_len=a.max_peptide_len if a.max_peptide_len else a.length + 1,
        min_peptide_len=min(cfg["min_peptide_len"], a.length),
        predict_batch_size=a.batch_size,
        dim_model=a.d_model,
        n_head=a.heads,
        dim_feedforward=a.ff,
        n_layers=a.layers,
        dropout=0.0,
        tb_summarywriter=False,
        log_metrics=False,
    )
    assert cfg["max_peptide_len"] >= a.length + 1, "max_peptide_len must be >= length + 1 (the stop step)"
    out.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return cfg


def casanovo_tokenizer(config_path: Path):
    """The exact tokenizer `casanovo sequence` builds from this config (Casanovo's own code)."""
    ns = SimpleNamespace(config=cconfig.Config(str(config_path)))
    ModelRunner.initialize_tokenizer(ns)
    return ns.tokenizer


@torch.no_grad()
def force_fixed_length(model: Spec2Pep, length: int, residue: str, seed: int = 0) -> dict:
    """Make every spectrum decode exactly `length` residues, then `$` (see module docstring)."""
    tok = model.tokenizer
    dec = model.decoder
    d = dec.d_model
    for layer in dec.transformer_decoder.layers:
        for lin in (layer.self_attn.out_proj, layer.multihead_attn.out_proj, layer.linear2):
            lin.weight.zero_()
            lin.bias.zero_()
    g = torch.Generator().manual_seed(seed)
    const = torch.full((d,), 0.05)  # layer norm removes a constant vector exactly; non-zero = not padding
    pad = dec.token_encoder.padding_idx
    w = dec.token_encoder.weight
    w[:] = const
    if pad is not None:
        w[pad] = 0.0
    dec.charge_encoder.weight[:] = 1e4 * torch.sign(torch.randn(d, generator=g))

    # Hidden states at positions 0..L (position 0 = precursor token, position p = after p residues).
    vocab = model.vocab_size
    res_id = tok.index[residue]
    tokens = torch.full((1, length), res_id, dtype=torch.long)
    mz = torch.linspace(100.0, 1500.0, 50)[None]
    inten = torch.rand(1, 50, generator=g)
    memory, mem_mask = model.encoder(mz, inten)
    precursors = torch.tensor([[1200.0, 2.0, 601.0]])
    h = dec.embed(tokens, precursors=precursors, memory=memory, memory_key_padding_mask=mem_mask)[0].double()
    assert h.shape == (length + 1, d), h.shape

    nterm = {tok.index[t] for t in model.n_term}
    forbidden = {0, model.stop_token} | nterm | {tok.index[t] for t, m in tok.residues.items() if m < 0}
    target = torch.zeros(length + 1, vocab, dtype=torch.float64)
    for i in forbidden:
        target[:length, i] = -BIG
    target[:length, res_id] = POS_LOGIT
    target[length, :] = -BIG
    target[length, model.stop_token] = BIG
    # Solve [h 1] @ [W^T; b] = target (L+1 equations per token, d+1 unknowns: exact, min-norm).
    ha = torch.cat([h, torch.ones(length + 1, 1, dtype=torch.float64)], dim=1)
    sol = torch.linalg.pinv(ha) @ target
    dec.final.weight[:] = sol[:d].T.float()
    dec.final.bias[:] = sol[d].float()

    # Check: logits for this and for other precursors / residues (positions >= 1 must not depend on them).
    worst = 0.0
    for mass, charge, other in ((1200.0, 2, residue), (400.0, 1, "G"), (3900.0, 4, "W")):
        prec = torch.tensor([[mass, float(charge), mass / charge]])
        t = torch.full((1, length), tok.index[other], dtype=torch.long)
        logits = dec(t, precursors=prec, memory=memory, memory_key_padding_mask=mem_mask)[0].double()
        worst = max(worst, (logits - target).abs().max().item())
        top = logits.argmax(-1).tolist()
        assert top[:length] == [res_id] * length and top[length] == model.stop_token, top
    assert worst < 1.0, f"fixed-length logits off by {worst}"
    return {"max_abs_logit_error": worst}


def build_checkpoint(a, cfg_path: Path, ckpt_path: Path) -> dict:
    torch.manual_seed(a.seed)
    cfg = cconfig.Config(str(cfg_path))
    tokenizer = casanovo_tokenizer(cfg_path)
    model = Spec2Pep(
        dim_model=cfg.dim_model, n_head=cfg.n_head, dim_feedforward=cfg.dim_feedforward, n_layers=cfg.n_layers,
        dropout=cfg.dropout, max_peptide_len=cfg.max_peptide_len, max_charge=cfg.max_charge,
        min_peptide_len=cfg.min_peptide_len, n_beams=cfg.n_beams, top_match=cfg.top_match, n_log=cfg.n_log,
        train_label_smoothing=cfg.train_label_smoothing, warmup_iters=cfg.warmup_iters,
        cosine_schedule_period_iters=cfg.cosine_schedule_period_iters, calculate_precision=cfg.calculate_precision,
        tokenizer=tokenizer, lr=cfg.learning_rate, weight_decay=cfg.weight_decay,
    ).eval()
    check = force_fixed_length(model, a.length, a.residue, a.seed)
    import lightning

    hparams = dict(model.hparams)
    torch.save({"state_dict": model.state_dict(), "hyper_parameters": hparams, "epoch": 0, "global_step": 0,
                "pytorch-lightning_version": lightning.__version__}, ckpt_path)
    n_params = sum(p.numel() for p in model.parameters())
    return {"n_params": n_params, **check}




def mztab_psms(path: Path) -> list[str]:
    header, seqs = None, []
    for line in path.read_text().splitlines():
        if line.startswith("PSH"):
            header = line.split("\t")
        elif line.startswith("PSM"):
            seqs.append(line.split("\t")[header.index("sequence")])
    return seqs


def residue_count(seq: str) -> int:
    seq = re.sub(r"\[[^\]]*\]-?", "", seq)  # modifications, N-terminal ones included
    return sum(c.isalpha() for c in seq)


LOG_TIME = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),?(\d*)")


def log_predict_seconds(log_path: Path) -> float | None:
    """Seconds from the 'Sequencing peptides from:' line (before model load) to the last log line."""
    if not log_path.exists():
        return None
    start = end = None
    for line in log_path.read_text(errors="replace").splitlines():
        m = LOG_TIME.match(line)
        if not m:
            continue
        t = datetime.datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S").timestamp()
        t += float("0." + m.group(2)) if m.group(2) else 0.0
        if start is None and "Sequencing" in line and "peptides from" in line:
            start = t
        end = t
    return None if start is None else end - start


def run_casanovo(ckpt: Path, cfg: Path, mgf: Path, outdir: Path, root: str, threads: int = 0) -> dict:
    exe = Path(sys.executable).with_name("casanovo")
    cmd = [str(exe), "sequence", "-m", str(ckpt), "-c", str(cfg), "-d", str(outdir), "-o", root, "-f",
           "-v", "info", str(mgf)]
    env = dict(os.environ)
    if threads:
        env.update(OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    t = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-4000:] + proc.stderr[-4000:])
        raise SystemExit(f"casanovo failed with exit code {proc.returncode}: {' '.join(cmd)}")
    seqs = mztab_psms(outdir / f"{root}.mztab")
    lens = [residue_count(s) for s in seqs]
    return {"wall_s": wall, "psms": len(seqs), "lens": lens, "log_predict_s": log_predict_seconds(outdir / f"{root}.log"),
            "example": seqs[0] if seqs else None, "cmd": cmd}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mgf", required=True, type=Path, help="spectra (.mgf; .mgf.gz is gunzipped to the workdir)")
    ap.add_argument("--beam", type=int, default=5)
    ap.add_argument("--length", type=int, default=10, help="residues decoded per spectrum (then the stop token)")
    ap.add_argument("--layers", type=int, default=9, help="encoder layers = decoder layers")
    ap.add_argument("--d-model", type=int, default=512)
    ap.add_argument("--heads", type=int, default=8)
    ap.add_argument("--ff", type=int, default=1024, help="dim_feedforward")
    ap.add_argument("--batch-size", type=int, default=1024, help="predict_batch_size (packaged default 1024)")
    ap.add_argument("--max-peptide-len", type=int, default=0,
                    help="Casanovo max_peptide_len (default length+1, the least that lets the stop token be read; "
                         "the packaged value is 100)")
    ap.add_argument("--residue", default="A", help="the residue every beam repeats")
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--diff", action="store_true", help="also time a 2N-spectra MGF; report marginal spectra/s")
    ap.add_argument("--threads", type=int, default=0,
                    help="OMP_NUM_THREADS for casanovo (default: torch's default, one per core). On a shared 2-core "
                         "machine 2 threads can be several times slower and very noisy; 1 thread is stable")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workdir", type=Path, default=None,
                    help="keep checkpoint, config, outputs here (default: a temporary dir, removed afterwards)")
    a = ap.parse_args()

    tmp = None
    if a.workdir is None:
        tmp = tempfile.mkdtemp(prefix="casanovo-baseline-")
        work = Path(tmp)
    else:
        work = a.workdir.resolve()
        work.mkdir(parents=True, exist_ok=True)
    try:
        mgf = a.mgf.resolve()
        if mgf.suffix == ".gz":
            import gzip

            plain = work / mgf.with_suffix("").name
            with gzip.open(mgf, "rb") as f, open(plain, "wb") as g:
                shutil.copyfileobj(f, g)
            mgf = plain
        n_mgf = len(read_mgf_spectra(mgf))
        cfg_path, ckpt_path = work / "casanovo_config.yaml", work / "casanovo_random.ckpt"
        cfg = build_config(a, cfg_path)
        t = time.perf_counter()
        info = build_checkpoint(a, cfg_path, ckpt_path)
        build_s = time.perf_counter() - t
        print(f"[casanovo] random checkpoint {ckpt_path} ({info['n_params'] / 1e6:.1f} M params, "
              f"built in {build_s:.1f} s); config {cfg_path}", file=sys.stderr)

        load_before = os.getloadavg()[0]
        runs = []
        for r in range(a.repeats):
            runs.append(run_casanovo(ckpt_path, cfg_path, mgf, work, "out", a.threads))
            print(f"[casanovo] run {r}: {runs[-1]['wall_s']:.1f} s wall, {runs[-1]['psms']} PSMs, "
                  f"log_predict {runs[-1]['log_predict_s']}", file=sys.stderr)
        lens = runs[-1]["lens"]
        n = runs[-1]["psms"]
        bad = [x for x in lens if x != a.length]
        if bad or n != n_mgf:
            raise SystemExit(f"fixed-length decoding failed: {n} PSMs for {n_mgf} spectra, "
                             f"{len(bad)} peptides not of length {a.length} (e.g. {bad[:5]})")
        wall = statistics.median(r["wall_s"] for r in runs)
        res = {
            "tool": "casanovo", "casanovo_version": casanovo.__version__, "torch": torch.__version__,
            "spectra": n, "wall_s": round(wall, 3), "spectra_per_s": round(n / wall, 3),
            "wall_s_runs": [round(r["wall_s"], 3) for r in runs],
            "peptide_len_mean": float(np.mean(lens)), "peptide_len_min": min(lens), "peptide_len_max": max(lens),
            "example_peptide": runs[-1]["example"],
            "beam": a.beam, "length": a.length, "layers": a.layers, "d_model": a.d_model, "heads": a.heads,
            "dim_feedforward": a.ff, "n_params": info["n_params"], "max_peptide_len": cfg["max_peptide_len"],
            "predict_batch_size": a.batch_size, "max_abs_logit_error": info["max_abs_logit_error"],
            "threads": a.threads or torch.get_num_threads(), "cpu_count": os.cpu_count(),
            "loadavg_1min_before": round(load_before, 2), "loadavg_1min_after": round(os.getloadavg()[0], 2),
        }
        lp = [r["log_predict_s"] for r in runs if r["log_predict_s"]]
        if lp:
            res["log_predict_s"] = round(statistics.median(lp), 3)
            res["spectra_per_s_log_predict"] = round(n / res["log_predict_s"], 3)
        if a.diff:
            mgf2 = work / "spectra_2x.mgf"
            n2 = write_doubled_mgf(mgf, mgf2)
            runs2 = [run_casanovo(ckpt_path, cfg_path, mgf2, work, "out2x", a.threads) for _ in range(a.repeats)]
            if runs2[-1]["psms"] != n2 or any(x != a.length for x in runs2[-1]["lens"]):
                raise SystemExit("fixed-length decoding failed on the doubled MGF")
            wall2 = statistics.median(r["wall_s"] for r in runs2)
            res.update(spectra_2x=n2, wall_s_2x=round(wall2, 3),
                       wall_s_2x_runs=[round(r["wall_s"], 3) for r in runs2],
                       startup_s_est=round(2 * wall - wall2, 3),
                       spectra_per_s_marginal=round((n2 - n) / (wall2 - wall), 3) if wall2 > wall else None)
        if a.workdir is not None:
            res.update(checkpoint=str(ckpt_path), config=str(cfg_path))
        print(json.dumps(res))
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
