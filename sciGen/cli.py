"""The ``scigen`` command: generate, evaluate, train, tokenize, info."""
from __future__ import annotations

import inspect
import json
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="sciGen: generate molecules, crystals, peptides, meshes and CAD parts.")
# soft_wrap: a message is one line however narrow the terminal (a log file or a pipe gets it whole)
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


def _say(text: str) -> None:
    """A message on stderr, as written: file names and SMILES may hold ``[...]``, which is not markup."""
    err.print(text, markup=False, highlight=False)


def _emit(text: str) -> None:
    """One line of data on stdout, verbatim: no markup (``[nH]`` is a token, not a style), no wrapping (a JSON
    report stays on one line whatever the terminal width)."""
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def _user_errors() -> tuple[type[BaseException], ...]:
    from sciGen.adapter import DecodeError, ReadError
    from sciGen.checkpoint import CheckpointError
    from sciGen.config import ConfigError
    from sciGen.data import VocabError
    from sciGen.registry import RegistryError
    return (ReadError, DecodeError, CheckpointError, ConfigError, VocabError, RegistryError, OSError)


def _fail(e: BaseException) -> None:
    err.print(f"[red]error:[/red] {escape(str(e))}", highlight=False, soft_wrap=True)
    raise typer.Exit(2)


def _guard(fn):
    """Turn the project's user-facing errors into one line on stderr and exit code 2."""
    import functools

    @functools.wraps(fn)
    def wrapper(*a, **k):
        try:
            return fn(*a, **k)
        except typer.Exit:
            raise
        except _user_errors() as e:
            _fail(e)
    return wrapper


@app.command()
@_guard
def generate(
    domain: str = typer.Argument(..., help="molecules, materials, shapes, cad"),
    n: int = typer.Option(100, "-n", "--num", help="how many samples to draw"),
    output: Optional[Path] = typer.Option(None, "-o", "--output",
                                          help="output file (.smi, .csv, .sdf) or folder (shapes)"),
    checkpoint: Optional[Path] = typer.Option(None, "--checkpoint", help="a sciGen checkpoint (default: shipped)"),
    generator: Optional[str] = typer.Option(None, "--generator", help="which generator (default: the domain's)"),
    condition: Optional[str] = typer.Option(None, "--condition",
                                            help="shapes: a category, e.g. chair; materials: a formula (CSP), e.g. SrTiO3"),
    condition_file: Optional[Path] = typer.Option(None, "--condition-file",
                                                  help="materials: one formula per line; writes LLLLLL_K.cif"),
    relax: bool = typer.Option(False, "--relax", help="materials: relax with CHGNet and report energy per atom"),
    seed: int = typer.Option(0, "--seed"),
    batch_size: Optional[int] = typer.Option(None, "--batch-size"),
    temperature: Optional[float] = typer.Option(None, "--temperature",
                                                help="default: the checkpoint's recommended value"),
    top_k: Optional[int] = typer.Option(None, "--top-k"),
    top_p: Optional[float] = typer.Option(None, "--top-p"),
    cfg_scale: Optional[float] = typer.Option(None, "--cfg-scale", help="shapes: classifier-free guidance"),
    resolution: int = typer.Option(128, "--resolution", help="shapes: marching-cubes grid"),
    fmt: Optional[str] = typer.Option(None, "--format", help="shapes: obj (default), stl, ply, off, glb; cad: step (default), brep"),
    keep_invalid: bool = typer.Option(False, "--keep-invalid", help="also write invalid draws"),
    preview: Optional[Path] = typer.Option(None, "--preview", help="PNG picture of the first 16"),
    complete: Optional[Path] = typer.Option(None, "--complete", help="cad: a partial B-Rep (STEP) to autocomplete"),
    condition_points: Optional[Path] = typer.Option(
        None, "--condition-points", help="shapes (argus3d): a partial point cloud (.ply, .xyz, .npy, mesh) to complete, "
        "in the model's frame [-1, 1]³"),
    candidates: Optional[int] = typer.Option(
        None, "--candidates", help="shapes (argus3d) completion: draw K per output and keep the one closest to "
        "--condition-points (default: the checkpoint's)"),
    device: str = typer.Option("auto", "--device", help="auto, cpu, cuda, cuda:1 …"),
) -> None:
    """Draw N structures from a generator and write the valid ones."""
    from rich.progress import Progress

    from sciGen.api import load, sample_structures
    from sciGen.registry import adapter_class

    if getattr(adapter_class(domain), "conditional_only", ""):
        _fail(ValueError(f"{domain} structures are generated from inputs: {adapter_class(domain).conditional_only}"))
    model, adapter = load(domain, generator=generator, checkpoint=checkpoint, device=device)
    output = output or Path(getattr(adapter, "default_output", f"{domain}.smi"))
    write_kw = {"fmt": fmt} if fmt else {}
    if hasattr(adapter, "resolution"):
        adapter.resolution = resolution
    if not getattr(adapter, "folder_output", False):
        if fmt:
            _fail(ValueError(f"--format is not available for {domain} (the output's suffix decides)"))
        adapter.format_for(output, writing=True)
    knobs = dict(temperature=temperature, top_k=top_k, top_p=top_p, cfg_scale=cfg_scale)
    if candidates is not None:
        if candidates < 1:
            _fail(ValueError("--candidates must be at least 1"))
        if not hasattr(adapter, "fidelity"):
            _fail(ValueError(f"--candidates is not available for {domain}"))
        knobs["candidates"] = candidates  # the adapter checks it has a condition to score draws against
    if relax and not hasattr(adapter, "relax"):
        _fail(ValueError(f"--relax is not available for {domain}"))
    if condition_file is not None or (condition is not None and hasattr(adapter, "names")):
        if not hasattr(adapter, "names"):
            _fail(ValueError(f"--condition-file is not available for {domain}"))
        if condition is not None and condition_file is not None:
            _fail(ValueError("give --condition or --condition-file, not both"))
        if condition is not None:  # a single bad condition is an error, not a skipped line
            adapter.sampling_knobs(model, {**knobs, "condition": adapter.condition_id(condition)})
        lines = [condition] if condition is not None else _condition_lines(condition_file)
        _generate_per_condition(model, adapter, lines, n, output, seed, batch_size, knobs, keep_invalid, relax,
                                preview, str(condition_file or "--condition"))
        return
    if condition is not None:
        if not hasattr(adapter, "condition_id"):
            _fail(ValueError(f"--condition is not available for {domain}"))
        knobs["condition"] = adapter.condition_id(condition)
    extra = {"condition_points": condition_points} if condition_points is not None else {}
    if extra and "condition_points" not in inspect.signature(getattr(adapter, "sampling_knobs", _fail)).parameters:
        _fail(ValueError(f"--condition-points is not available for {domain}"))
    if hasattr(adapter, "sampling_knobs"):
        knobs = adapter.sampling_knobs(model, knobs, complete=complete, **extra)
    elif complete is not None:
        _fail(ValueError(f"--complete is not available for {domain}"))
    with Progress(console=err, transient=True) as bar:
        task = bar.add_task(f"sampling {domain}", total=n)
        res = sample_structures(model, adapter, n, seed=seed, on_batch=lambda m: bar.advance(task, m),
                                **({"batch_size": batch_size} if batch_size else {}), **knobs)
    if relax:
        res.structures = _relaxed(adapter, res.structures)
    items = list(res.structures)
    if keep_invalid:
        items += [e.text if e.structure is None else e.structure for e in res.invalid]
    written = adapter.write(items, output, **write_kw)
    _say(f"{n} drawn: {len(res.structures)} valid, {len(res.invalid)} invalid "
         f"({len(res.invalid) / max(n, 1):.1%}); wrote {written} to {output}"
         + (" (invalid included)" if keep_invalid else ""))
    if preview is not None and res.structures:
        adapter.preview(res.structures[:16], preview)
        _say(f"preview: {preview}")


def _condition_lines(path: Path) -> list[str]:
    from sciGen.adapter import ReadError
    if not path.is_file():
        raise ReadError(f"{path}: file not found")
    return [ln.strip() for ln in path.read_text().splitlines()]


def _relaxed(adapter, structures: list) -> list:
    from rich.progress import Progress
    with Progress(console=err, transient=True) as bar:
        task = bar.add_task("relaxing (CHGNet)", total=len(structures))
        out = adapter.relax(structures, on_done=lambda m: bar.advance(task, m))
    e = [s.properties["energy_per_atom"] for s in out if "energy_per_atom" in s.properties]
    failed = sum("relax_error" in s.properties for s in out)
    if e:
        _say(f"relaxed {len(e)}: energy per atom mean {sum(e) / len(e):.3f} eV/atom, "
             f"min {min(e):.3f}, max {max(e):.3f}" + (f"; {failed} could not be relaxed" if failed else ""))
    return out


def _generate_per_condition(model, adapter, lines: list[str], n: int, output: Optional[Path], seed: int,
                            batch_size: Optional[int], knobs: dict, keep_invalid: bool, relax: bool,
                            preview: Optional[Path], source: str) -> None:
    """Crystal structure prediction: ``n`` candidates per condition line, written as ``LLLLLL_K``; a bad line is
    reported with its number and skipped, the others go on."""
    from rich.progress import Progress

    from sciGen.adapter import DecodeError, ReadError
    from sciGen.api import sample_structures

    if hasattr(adapter, "template"):  # molecules in 3D: every line's conformers in one batched pass
        return _generate_conformers(model, adapter, lines, n, output, seed, batch_size, knobs, keep_invalid,
                                    preview, source)
    output = output or Path(adapter.default_output)
    if relax:  # energies.csv is appended line by line below: start it afresh
        (output / "energies.csv").unlink(missing_ok=True)
    bad, drawn, n_valid, written, shown = [], 0, 0, 0, []
    with Progress(console=err, transient=True) as bar:
        task = bar.add_task(f"predicting {len(lines)} structure(s)", total=len(lines) * n)
        for L, text in enumerate(lines):
            try:
                kn = adapter.sampling_knobs(model, {**knobs, "condition": adapter.condition_id(text)})
            except ReadError as e:
                bad.append(f"{source}: line {L + 1}: {e}")
                bar.advance(task, n)
                continue
            res = sample_structures(model, adapter, n, seed=seed + L, on_batch=lambda m: bar.advance(task, m),
                                    **({"batch_size": batch_size} if batch_size else {}), **kn)
            drawn += n
            n_valid += len(res.structures)
            # sample k keeps its index whether or not the draws before it were valid
            named = [(f"{L:06d}_{k}", d.structure if isinstance(d, DecodeError) else d) for k, d in enumerate(res.draws)
                     if not isinstance(d, DecodeError) or (keep_invalid and d.structure is not None)]
            if relax:
                relaxed = _relaxed(adapter, [s for _, s in named])
                named = [(nm, s) for (nm, _), s in zip(named, relaxed)]
            adapter.names = [nm for nm, _ in named]
            written += adapter.write([s for _, s in named], output)
            shown += [s for _, s in named][: max(0, 16 - len(shown))]
    adapter.names = None
    for b in bad:
        err.print(f"[yellow]skipped[/yellow] {escape(b)}", highlight=False, soft_wrap=True)
    _say(f"{len(lines) - len(bad)} condition(s), {drawn} drawn: {n_valid} valid, {drawn - n_valid} invalid "
         f"({(drawn - n_valid) / max(drawn, 1):.1%}); wrote {written} to {output}")
    if preview is not None and shown:
        adapter.preview(shown, preview)
        _say(f"preview: {preview}")
    if bad and not drawn:
        raise typer.Exit(2)


def _generate_conformers(model, adapter, lines: list[str], n: int, output: Optional[Path], seed: int,
                         batch_size: Optional[int], knobs: dict, keep_invalid: bool, preview: Optional[Path],
                         source: str) -> None:
    """Conformers: ``n`` per SMILES line, written in order as records ``LLLLLL_K`` (molecule L, conformer K); a
    bad line is reported with its number and skipped, the others go on."""
    from rich.progress import Progress

    from sciGen.adapter import DecodeError, ReadError
    from sciGen.api import fill_structures

    if getattr(adapter, "conformer", None) is None:
        _fail(ReadError("--condition-file needs a 3D checkpoint (--generator unigenx-3d)"))
    output = output or Path("conformers.sdf")
    bad, templates, names = [], [], []
    kn = adapter.sampling_knobs(model, dict(knobs))  # once: the bond constraint caches each SMILES's graph
    kn = adapter.conformer_defaults(model, kn)  # the checkpoint's conformer settings, where the user gave none
    for L, text in enumerate(lines):
        try:
            templates += [adapter.template(adapter.condition_id(text))] * n
        except ReadError as e:
            bad.append(f"{source}: line {L + 1}: {e}")
            continue
        names += [f"{L:06d}_{k}" for k in range(n)]
    for b in bad:
        err.print(f"[yellow]skipped[/yellow] {escape(b)}", highlight=False, soft_wrap=True)
    if not templates:
        _say(f"no usable condition in {source}")
        raise typer.Exit(2)
    with Progress(console=err, transient=True) as bar:
        task = bar.add_task(f"conformers of {len(templates) // n} molecule(s)", total=len(templates))
        res = fill_structures(model, adapter, templates, seed=seed, on_batch=lambda m: bar.advance(task, m),
                              **({"batch_size": batch_size} if batch_size else {}), **kn)
    named = [(nm, d.structure if isinstance(d, DecodeError) else d) for nm, d in zip(names, res.draws)
             if not isinstance(d, DecodeError) or (keep_invalid and d.structure is not None)]
    adapter.names = [nm for nm, _ in named]
    written = adapter.write([s for _, s in named], output)
    adapter.names = None
    drawn = len(templates)
    _say(f"{len(lines) - len(bad)} molecule(s), {drawn} conformers drawn: {len(res.structures)} valid, "
         f"{len(res.invalid)} invalid ({len(res.invalid) / max(drawn, 1):.1%}); wrote {written} to {output}")
    if preview is not None and res.structures:
        adapter.preview(res.structures[:16], preview)
        _say(f"preview: {preview}")


@app.command()
@_guard
def evaluate(
    domain: str = typer.Argument(..., help="molecules, peptides"),
    generated: Path = typer.Argument(..., help="generated structures (.smi/.csv) or sequencing results (.mztab)"),
    reference: Optional[Path] = typer.Option(None, "--reference", help="reference set, e.g. a held-out split"),
    train: Optional[Path] = typer.Option(None, "--train", help="training set, for novelty"),
    labels: Optional[Path] = typer.Option(None, "--labels", help="peptides: labelled spectra (MGF with SEQ=)"),
    plot: Optional[Path] = typer.Option(None, "--plot", help="peptides: precision–coverage curve PNG"),
    task: Optional[str] = typer.Option(None, "--task", help="materials: csp or denovo (default); molecules: "
                                       "conformers or 3d (files with coordinates)"),
    baseline: Optional[str] = typer.Option(None, "--baseline", help="molecules --task conformers: etkdg"),
    graph_metrics: bool = typer.Option(False, "--graph-metrics",
                                       help="molecules: also the NSPDK graph-kernel MMD to the reference"),
    json_out: Optional[Path] = typer.Option(None, "--json", help="write the metrics as JSON"),
    device: str = typer.Option("auto", "--device"),
) -> None:
    """Score generated structures against a reference set with the field's standard metrics."""
    from sciGen.api import resolve_device
    from sciGen.io import atomic_write_text
    from sciGen.registry import adapter_class

    adapter = adapter_class(domain)()
    if task is not None and domain not in ("materials", "molecules"):
        _fail(ValueError(f"--task is not available for {domain}"))
    if baseline is not None and task != "conformers":
        _fail(ValueError("--baseline needs --task conformers"))
    if graph_metrics and domain != "molecules":
        _fail(ValueError(f"--graph-metrics is not available for {domain}"))
    if task is not None and hasattr(adapter, "evaluate_files"):
        from rich.progress import Progress

        with Progress(console=err, transient=True) as bar:
            job = bar.add_task(f"scoring {generated} ({task})", total=None)
            metrics = adapter.evaluate_files(generated, reference, task, baseline=baseline,
                                             on_done=lambda m: bar.advance(job, m))
        title = f"{generated} ({task})" + (f" vs {reference}" if reference else "")
    elif hasattr(adapter, "evaluate_folders"):
        if reference is None and not generated.is_dir():
            _fail(ValueError(f"evaluate {domain} needs a folder of meshes (and --reference for distribution metrics)"))
        with err.status(f"scoring {generated}" + (f" against {reference}" if reference else "")):
            metrics = adapter.evaluate_folders(generated, reference, **({"train": train} if train else {}),
                                               **({"task": task} if task else {}))
        title = f"{generated} vs {reference}" if reference else str(generated)
    elif hasattr(adapter, "evaluate_results"):
        if labels is None:
            _fail(ValueError(f"evaluate {domain} needs --labels (labelled spectra, e.g. an MGF with SEQ= lines)"))
        metrics = adapter.evaluate_results(generated, labels, plot=plot)
        title = f"{generated} vs {labels}"
    else:
        if not hasattr(adapter, "read_texts"):
            _fail(ValueError(f"evaluate is not available for {domain} yet"))
        if reference is None:
            _fail(ValueError(f"evaluate {domain} needs --reference"))
        gen = adapter.read_texts(generated)
        ref = adapter.read_texts(reference)
        tr = adapter.read_texts(train) if train else None
        with err.status(f"scoring {len(gen)} {domain} against {len(ref)} references"):
            metrics = adapter.metrics(gen, ref, train=tr, device=str(resolve_device(device)),
                                      **({"graph_metrics": True} if graph_metrics else {}))
        title = f"{generated} vs {reference}"
        n_invalid = round((1 - metrics.get("valid", 1)) * len(gen))
        _say(f"{len(gen)} records read, {n_invalid} invalid")
    table = Table(title=escape(title))
    table.add_column("metric")
    table.add_column("value", justify="right")
    for k, v in metrics.items():
        table.add_row(k, f"{v:.4f}" if isinstance(v, float) else str(v))
    out.print(table)
    if plot is not None and hasattr(adapter, "evaluate_results"):
        _say(f"precision–coverage curve: {plot}")
    if json_out:
        atomic_write_text(json_out, json.dumps(metrics, indent=2) + "\n")


@app.command()
@_guard
def sequence(
    spectra: list[Path] = typer.Argument(..., help="spectrum files: .mgf(.gz), .mzML(.gz), .mzXML(.gz)"),
    output: Path = typer.Option(..., "-o", "--output", help="results .mztab (or .csv)"),
    batch_size: int = typer.Option(64, "--batch-size"),
    beam_size: int = typer.Option(5, "--beam-size"),
    checkpoint: Optional[Path] = typer.Option(None, "--checkpoint", help="a sciGen checkpoint (default: shipped)"),
    devices: int = typer.Option(1, "--devices", help="processes / GPUs (Lightning DDP predict)"),
    tol_ppm: float = typer.Option(50.0, "--precursor-tol", help="precursor mass tolerance, ppm"),
    resume: bool = typer.Option(False, "--resume", help="continue an interrupted run without redoing spectra"),
    device: str = typer.Option("auto", "--device", help="auto, cpu, cuda …"),
    fixed_length: Optional[int] = typer.Option(None, "--fixed-length", hidden=True,
                                               help="benchmarking: decode exactly this many residues"),
) -> None:
    """De novo peptide sequencing of MS/MS spectra into mzTab (one PSM per usable spectrum)."""
    import os
    import time

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from sciGen.adapter import ReadError
    from sciGen.api import load
    from sciGen.proteins.sequencer import SequencingOptions, SequencingRun

    missing = [p for p in spectra if not p.is_file()]
    for p in missing if os.environ.get("LOCAL_RANK", "0") == "0" else ():  # DDP ranks > 0 re-run this
        err.print(f"[yellow]warning:[/yellow] {escape(str(p))}: file not found (listed in the failed file)",
                  highlight=False)
    if len(missing) == len(spectra):
        raise ReadError(f"{spectra[0]}: file not found" if len(spectra) == 1 else "none of the spectrum files exist")
    # with --devices > 1 Lightning places the model on each rank's device
    model, adapter = load("proteins", checkpoint=checkpoint, device="cpu" if devices > 1 else device)
    opts = SequencingOptions(batch_size=batch_size, beam_size=beam_size, tol_ppm=tol_ppm, fixed_length=fixed_length)
    run = SequencingRun(list(spectra), output, opts, resume=resume)
    if devices > 1:
        from sciGen.proteins.distributed import run_distributed
        accelerator = "auto" if device == "auto" else "cpu" if device == "cpu" else "gpu"
        counts = run_distributed(run, checkpoint, devices, console=err, accelerator=accelerator, model=model,
                                 adapter=adapter)
        if not counts:  # another rank than 0: rank 0 writes and reports
            return
    else:
        t0 = time.time()
        cols = (TextColumn("sequencing"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[rate]}"),
                TextColumn("{task.fields[skipped]} skipped"), TimeElapsedColumn())
        with Progress(*cols, console=err, transient=True) as bar:
            task = bar.add_task("seq", total=None, rate="", skipped=0)
            state = {"n": 0}

            def on_batch(n: int, skipped: int) -> None:
                state["n"] += n
                rate = state["n"] / max(time.time() - t0, 1e-9)
                bar.update(task, advance=n, rate=f"{rate:.1f} spectra/s", skipped=skipped)
            counts = run.run(model, adapter, on_batch)
    _say(f"{counts['written']} PSMs written to {output} ({counts['resumed']} from the earlier run); "
         f"{counts['failed']} spectra skipped, listed in {run.failed_path}")


@app.command("train")
@_guard
def train_cmd(
    config: Path = typer.Argument(..., help="configs/<domain>-<generator>.yaml"),
    data: Optional[str] = typer.Option(None, "--data", help="training file (overrides the config)"),
    max_steps: Optional[int] = typer.Option(None, "--max-steps"),
    max_time: Optional[str] = typer.Option(None, "--max-time", help="DD:HH:MM:SS wall-clock limit"),
    batch_size: Optional[int] = typer.Option(None, "--batch-size"),
    devices: Optional[int] = typer.Option(None, "--devices"),
    num_nodes: Optional[int] = typer.Option(None, "--num-nodes"),
    strategy: Optional[str] = typer.Option(None, "--strategy", help="auto, ddp, fsdp …"),
    accelerator: Optional[str] = typer.Option(None, "--accelerator", help="auto, cpu, gpu"),
    precision: Optional[str] = typer.Option(None, "--precision", help="32-true, bf16-mixed …"),
    output: Optional[Path] = typer.Option(None, "--output", help="run folder (default runs/<config name>)"),
    resume: bool = typer.Option(False, "--resume", help="continue from OUTPUT/lightning/last.ckpt"),
    init_from: Optional[Path] = typer.Option(None, "--init-from",
                                             help="start from this sciGen checkpoint's weights (fine-tuning)"),
) -> None:
    """Train a generator on a domain's data as the config says."""
    from sciGen.train import train

    train(config, data=data, output=output, resume=resume, init_from=init_from, console=err,
          overrides=dict(max_steps=max_steps, max_time=max_time, batch_size=batch_size, devices=devices,
                         num_nodes=num_nodes, strategy=strategy, accelerator=accelerator, precision=precision))


@app.command()
@_guard
def tokenize(domain: str = typer.Argument(...), path: Path = typer.Argument(...),
             limit: int = typer.Option(20, "--limit", help="records to show (0 = all)"),
             checkpoint: Optional[Path] = typer.Option(None, "--checkpoint", help="shapes: a VAT, TriplaneVQ or VecSetVAE checkpoint, or a generator's (its tokenizer); cad: AutoBrep"),
             json_out: bool = typer.Option(False, "--json", help="shapes, cad: print JSON"),
             reconstruction: Optional[Path] = typer.Option(None, "--reconstruction", help="shapes, cad: write it here"),
             device: str = typer.Option("auto", "--device")) -> None:
    """Print the token sequence of each record in a file (shapes: token count, bytes and how well the
    tokens reconstruct the mesh)."""
    from sciGen.adapter import BadRecord, ReadError
    from sciGen.registry import TOKENIZERS, adapter_class, checkpoints_dir

    if domain in TOKENIZERS:
        from sciGen.api import resolve_device
        from sciGen.train import load_model
        _, adapter = load_model(checkpoint or checkpoints_dir() / TOKENIZERS[domain], domain=domain,
                                device=resolve_device(device))
    else:
        adapter = adapter_class(domain)()
    errors: list[BadRecord] = []
    done = 0
    for i, s in enumerate(adapter.read(path, errors)):
        if limit and i >= limit:
            break
        done += 1
        if not hasattr(adapter, "reconstruction"):
            text = adapter.token_text(s) if hasattr(adapter, "token_text") else " ".join(adapter.training_record(s).tokens)
            _emit(text)
            continue
        for warning in adapter.input_warnings(s) if hasattr(adapter, "input_warnings") else ():
            err.print(f"[yellow]warning:[/yellow] {escape(f'{path}: {warning}')}", highlight=False)
        with err.status(f"tokenizing {escape(str(path))}"):
            try:
                r = adapter.reconstruction(s)
            except ReadError as e:
                raise ReadError(f"{path}: {e}") from None
        if reconstruction is not None and r.get("structure") is not None:
            adapter.write([r["structure"]], reconstruction)
        if json_out:
            _emit(json.dumps(r["report"]))
        else:
            _emit(f"{path}: {r['summary']}")
    for e in errors:
        err.print(f"skipped {escape(str(e))}", highlight=False, soft_wrap=True)
    if errors and done == 0:
        raise typer.Exit(2)


@app.command()
def info() -> None:
    """List domains, generators and shipped checkpoints."""
    from sciGen import __version__, registry

    out.print(f"sciGen {__version__}")
    t = Table(title="domains and shipped checkpoints")
    for c in ("domain", "default generator", "checkpoint", "size"):
        t.add_column(c)
    for d in sorted(registry.DOMAINS):
        gen, ck = registry.DEFAULTS.get(d, ("-", None))
        p = registry.checkpoints_dir() / ck if ck else None
        t.add_row(d, gen, str(p) if p else "-",
                  f"{p.stat().st_size / 1e6:.1f} MB" if p and p.is_file() else "missing" if p else "-")
    for (d, gen), ck in sorted(registry.GENERATOR_DEFAULTS.items()):
        p = registry.checkpoints_dir() / ck
        t.add_row(d, f"{gen} (--generator {gen})", str(p), f"{p.stat().st_size / 1e6:.1f} MB" if p.is_file() else "missing")
    for d, ck in sorted(registry.TOKENIZERS.items()):
        p = registry.checkpoints_dir() / ck
        t.add_row(d, "tokenizer", str(p), f"{p.stat().st_size / 1e6:.1f} MB" if p.is_file() else "missing")
    out.print(t)
    out.print("generators: " + ", ".join(sorted(registry.GENERATORS)))


def main() -> None:  # pragma: no cover - console entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
