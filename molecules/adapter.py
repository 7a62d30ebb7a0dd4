"""The molecules adapter: RDKit molecules ↔ atom-level SMILES token Sequences (UniGenX), or ↔ molecular
graphs (PARD: node types and a dense edge-type matrix, :mod:`sciGen.molecules.graph`)."""
from __future__ import annotations

import multiprocessing as mp
from pathlib import Path
from typing import Any

import numpy as np
import torch
from rdkit import Chem

from sciGen.adapter import Adapter, BadRecord, DecodeError, ReadError, TrainingRecord, Validity
from sciGen.data import SPECIALS, PackedGraphs, Sequence, Vocab, VocabError, holdout_mask
from sciGen.molecules.formats import FORMATS, parse, smiles_of, text_lines
from sciGen.molecules.tokenizer import SmilesTokenizer, TokenizeError

_TOKENIZER = SmilesTokenizer()


def _record_from_text(item: tuple[int, str]) -> tuple[int, str, list[str] | None, str]:
    """(index, text) → (index, canonical SMILES or text, tokens or None, reason).  Runs in workers."""
    i, text = item
    mol, reason = parse(text)
    if mol is None:
        return i, text, None, reason
    smi = Chem.MolToSmiles(mol)
    try:
        return i, smi, _TOKENIZER.encode(smi), ""
    except TokenizeError as e:
        return i, text, None, str(e)


def _graph_from_text(item: tuple[int, str, bool, bool]) -> tuple[int, str, tuple | None, str]:
    """(index, SMILES, explicit_h, kekulize) → (index, canonical SMILES, labelled graph or None, reason)."""
    from sciGen.molecules.graph import GraphError, labelled_graph

    i, text, explicit_h, kekulize = item
    mol, reason = parse(text)
    if mol is None:
        return i, text, None, reason
    try:
        return i, Chem.MolToSmiles(mol), labelled_graph(mol, explicit_h, kekulize), ""
    except GraphError as e:
        return i, text, None, str(e)


def _geometry_record(item: tuple[int, str, str, str, bool, int]) -> tuple[int, str, list | None, str]:
    """(index, SMILES, elements, xyz, hydrogens, augment) → (index, key, [(tokens, values, anchors), …] or None,
    reason): the canonical sequence, then ``augment`` − 1 from random SMILES (seeded by the index).  Workers."""
    from sciGen.molecules.conformer import ConformerError, ConformerSequence
    from sciGen.molecules.geometry import mol_from_xyz

    i, smi, elements, xyz, hydrogens, augment = item
    try:
        symbols = elements.split()
        coords = np.asarray(xyz.split(), dtype=np.float64).reshape(-1, 3)
        if len(coords) != len(symbols):
            raise ConformerError(f"{len(symbols)} elements but {len(coords)} positions")
        codec, mol = ConformerSequence(hydrogens), mol_from_xyz(smi, symbols, coords)
        tokens, values = codec.encode(mol)
        rng = np.random.default_rng(i)
        seqs = [(tokens, values)] + [codec.encode(mol, rng=rng) for _ in range(augment - 1)]
        return i, "".join(tokens[: tokens.index("<coords>")]), [(t, v, codec.anchors(t)) for t, v in seqs], ""
    except (ConformerError, ValueError) as e:
        return i, smi, None, str(e)


class MoleculesAdapter(Adapter):
    """Structures are RDKit ``Mol`` s; Sequences are canonical SMILES tokens, graphs for PARD, or SMILES tokens
    followed by one coordinate slot per atom for UniGenX in 3D (:mod:`sciGen.molecules.conformer`)."""

    domain = "molecules"
    formats = FORMATS

    def __init__(self, vocab: Vocab | None = None) -> None:
        super().__init__(vocab)
        self.graph_vocab = None
        self.conformer = None  # the 3D codec, when the vocabulary has coordinate slots
        self.names: list[str] | None = None  # SDF record names for the next write (conformers: LLLLLL_K)
        if vocab is not None and any(t.startswith("node:") for t in vocab.tokens):
            from sciGen.molecules.graph import GraphVocab

            self.graph_vocab = GraphVocab.from_vocab(vocab)
        if vocab is not None and "<coords>" in vocab.index:
            self._use_3d("<xyz:H>" in vocab.index)

    def _use_3d(self, hydrogens: bool) -> None:
        from sciGen.molecules.conformer import NUMBERS, ConformerSequence

        self.conformer = ConformerSequence(hydrogens)
        known = self.vocab.index if self.vocab is not None else NUMBERS
        self.numbers, self.value_dim = tuple(t for t in NUMBERS if t in known), 3

    # ------------------------------------------------------------------ graphs (PARD)
    def streams(self, input_kind: str) -> bool:
        """Graph generators train on data this adapter prepares (:meth:`training_datasets`)."""
        return input_kind == "graph"

    def training_datasets(self, data: Any, vocab: Vocab | None, model_cfg: dict, seed: int, generator: str = "",
                          **_: Any) -> dict[str, Any]:
        """Graphs of every readable molecule in ``data.train`` (``options.split`` keeps one split of a CSV
        with a ``split`` column; ``explicit_h``, ``kekulize``).  Molecules the vocabulary cannot express
        (or larger than ``model.max_nodes``) are skipped and counted; a held-out part by SMILES hash."""
        from sciGen.molecules.graph import GraphError, GraphVocab, graph_ids

        opts = dict(data.options)
        split, explicit_h, kekulize = opts.pop("split", None), opts.pop("explicit_h", False), opts.pop("kekulize", True)
        node_types = opts.pop("node_types", None)
        if opts:
            raise ReadError(f"unknown molecules data option(s): {', '.join(opts)} "
                            "(known: split, explicit_h, kekulize, node_types)")
        items = self._split_lines(Path(data.train), split)
        if data.max_records:
            items = items[: data.max_records]
        work = [(i, t, explicit_h, kekulize) for i, t in items]
        workers = data.workers or mp.cpu_count()
        if workers > 1 and len(work) > 20000:
            with mp.get_context("fork").Pool(workers) as pool:
                parsed = pool.map(_graph_from_text, work, chunksize=2048)
        else:
            parsed = list(map(_graph_from_text, work))
        if vocab is not None and any(t.startswith("node:") for t in vocab.tokens):
            gv = GraphVocab.from_vocab(vocab)
        else:  # node_types fixes the vocabulary: molecules with other atom types are skipped and counted
            gv = GraphVocab.from_atoms((g[0] for _, _, g, _ in parsed if g is not None), explicit_h, kekulize,
                                       node_types)
        max_nodes = int(model_cfg.get("max_nodes", 0))
        bad, good = [], []
        for i, t, g, reason in parsed:
            try:
                if g is None:
                    raise GraphError(reason)
                good.append((t, graph_ids(*g, gv, max_nodes)))
            except GraphError as e:
                bad.append((i, t, str(e)))
        if not good:
            raise ReadError(f"{data.train}: no molecule fits the graph vocabulary")
        hold = holdout_mask([t for t, _ in good], data.holdout_fraction, data.holdout_salt)
        train = PackedGraphs(g for (t, g), h in zip(good, hold) if not h)
        val = PackedGraphs(g for (t, g), h in zip(good, hold) if h)
        reasons: dict[str, int] = {}
        for _, _, r in bad:
            key = r.split(" (")[0]
            reasons[key] = reasons.get(key, 0) + 1
        info = {"n_train": len(train), "n_holdout": len(val), "skipped": len(bad),
                "skipped_reasons": reasons, "node_types": " ".join(gv.nodes),
                "max_nodes_seen": int(train.lengths().max())}
        fields = {"n_node_types": gv.n_node_types, "n_edge_types": gv.n_edge_types}
        if not max_nodes:
            fields["max_nodes"] = info["max_nodes_seen"]
        return {"train": train, "val": val, "vocab": gv.to_vocab(), "fields": {**model_cfg, **fields},
                "info": info, "holdout_keys": [t for (t, _), h in zip(good, hold) if h]}

    @staticmethod
    def _split_lines(path: Path, split: str | None) -> list[tuple[int, str]]:
        if split is None:
            return list(text_lines(path))
        import pandas as pd

        if ".csv" not in path.name.lower():
            raise ReadError(f"{path}: a split needs a CSV file with a 'split' column")
        df = pd.read_csv(path, usecols=lambda c: c.lower() in ("smiles", "split"), dtype=str, keep_default_na=False)
        cols = {c.lower(): c for c in df.columns}
        if "smiles" not in cols or "split" not in cols:
            raise ReadError(f"{path}: needs 'smiles' and 'split' columns for split {split!r}")
        rows = df.index[df[cols["split"]] == split]
        if not len(rows):
            raise ReadError(f"{path}: no rows of split {split!r}")
        return [(int(i) + 2, df[cols["smiles"]][i].strip()) for i in rows]

    def load_extras(self, extras: dict, device: Any = "cpu", model: Any = None) -> None:
        """A graph model must come with the graph vocabulary it was trained on, of the same sizes."""
        if getattr(model, "input_kind", "") != "graph":
            return
        if self.graph_vocab is None:
            raise VocabError("a graph generator's checkpoint without a molecular-graph vocabulary")
        cfg = model.cfg
        if (cfg.n_node_types, cfg.n_edge_types) != (self.graph_vocab.n_node_types, self.graph_vocab.n_edge_types):
            raise VocabError(f"the model has {cfg.n_node_types} node / {cfg.n_edge_types} edge types but its "
                             f"vocabulary {self.graph_vocab.n_node_types} / {self.graph_vocab.n_edge_types}")

    def training_record(self, structure: Chem.Mol) -> TrainingRecord:
        smi = Chem.MolToSmiles(structure)
        return TrainingRecord(smi, _TOKENIZER.encode(smi))

    def training_records(self, path: str | Path, errors: list[BadRecord] | None = None, workers: int = 1,
                         coords: bool = False, hydrogens: bool = True, split: str | None = None,
                         augment: int = 1) -> list[TrainingRecord]:
        """Parse, canonicalize and tokenize every record, in ``workers`` processes for SMILES files.  With
        ``coords`` (config ``data.options``) records are molecules with coordinates — an SDF, or a CSV (.csv, .gz, .xz) with
        ``smiles``, ``elements`` and ``xyz_ang`` columns such as QM9's (``split`` keeps one split) — and the
        sequences carry one coordinate slot per atom (hydrogens included unless ``hydrogens: false``).
        ``augment: K`` writes each CSV molecule K times: its canonical SMILES, then K − 1 random SMILES (other atom
        orders, so other frames); all K share the canonical key, so they fall on one side of the hold-out."""
        path = Path(path)
        if not path.is_file():
            raise ReadError(f"{path}: file not found")
        if augment < 1 or (augment > 1 and not coords):
            raise ReadError(f"{path}: data option augment: {augment} — a count ≥ 1, above 1 only with coords: true")
        if coords:
            return self._geometry_records(path, errors, workers, hydrogens, split, augment)
        if split is not None:
            raise ReadError("data option 'split' is only available with 'coords: true'")
        if self.format_for(path).name == "sdf":
            return super().training_records(path, errors)
        items = list(text_lines(path))
        if workers > 1 and len(items) > 20000:
            with mp.get_context("fork").Pool(workers) as pool:
                results = pool.map(_record_from_text, items, chunksize=4096)
        else:
            results = map(_record_from_text, items)
        out = []
        for i, smi, tokens, reason in results:
            if tokens is None:
                bad = BadRecord(str(path), i, smi, reason)
                if errors is None:
                    raise ReadError(str(bad))
                errors.append(bad)
            else:
                out.append(TrainingRecord(smi, tokens))
        return out

    def _geometry_records(self, path: Path, errors: list[BadRecord] | None, workers: int, hydrogens: bool,
                          split: str | None, augment: int = 1) -> list[TrainingRecord]:
        from sciGen.molecules.conformer import ConformerError

        self._use_3d(hydrogens)
        out, bad = [], []
        if path.name.lower().endswith(".sdf"):
            if augment > 1:
                raise ReadError(f"{path}: data option augment is for CSV files (an SDF is read as written)")
            for i, mol in enumerate(self.read(path, errors), start=1):
                try:
                    tokens, values = self.conformer.encode(mol)
                    out.append(TrainingRecord("".join(tokens[: tokens.index("<coords>")]), tokens, values,
                                              self.conformer.anchors(tokens)))
                except ConformerError as e:
                    bad.append(BadRecord(str(path), i, Chem.MolToSmiles(mol), str(e)))
        else:
            import pandas as pd

            want = {"smiles", "elements", "xyz_ang"} | ({"split"} if split else set())
            try:
                df = pd.read_csv(path, usecols=lambda c: c.lower() in want, dtype=str, keep_default_na=False)
            except Exception as e:  # noqa: BLE001 - reported as one line
                raise ReadError(f"{path}: not a readable CSV ({e.__class__.__name__}: {e})") from None
            cols = {c.lower(): c for c in df.columns}
            if set(cols) != want:
                raise ReadError(f"{path}: coordinates need columns {', '.join(sorted(want))} "
                                f"(missing: {', '.join(sorted(want - set(cols)))})")
            if split:
                df = df[df[cols["split"]] == split]
                if not len(df):
                    raise ReadError(f"{path}: no rows of split {split!r}")
            work = [(int(i) + 2, r[0], r[1], r[2], hydrogens, augment) for i, r in
                    zip(df.index, df[[cols["smiles"], cols["elements"], cols["xyz_ang"]]].itertuples(index=False))]
            if workers > 1 and len(work) > 5000:
                with mp.get_context("fork").Pool(workers) as pool:
                    results = pool.map(_geometry_record, work, chunksize=1024)
            else:
                results = list(map(_geometry_record, work))
            for i, key, rec, reason in results:
                if rec is None:
                    bad.append(BadRecord(str(path), i, key, reason))
                else:
                    out += [TrainingRecord(key, tokens, np.asarray(values), ref) for tokens, values, ref in rec]
        if bad and errors is None:
            raise ReadError(str(bad[0]))
        seen = {t for r in out for t in r.tokens if t.startswith("<xyz:")}
        self.numbers = tuple(t for t in self.numbers if t in seen)  # the vocabulary holds the elements seen
        if errors is not None:
            errors += bad
        return out

    def read_texts(self, path: str | Path) -> list[str]:
        """Every SMILES string in a .smi/.csv file as written, garbage included (for scoring)."""
        return [t for _, t in text_lines(Path(path))]

    def decode(self, seq: Sequence) -> Chem.Mol:
        if seq.edges is not None:
            from sciGen.molecules.graph import graph_to_mol

            if self.graph_vocab is None:
                raise DecodeError("a graph Sequence needs a graph vocabulary (load a PARD checkpoint)")
            return graph_to_mol(seq.tokens.numpy(), seq.edges.numpy(), self.graph_vocab)
        tokens = self._vocab().decode(seq.tokens.tolist())
        text = _TOKENIZER.decode(tokens)
        if any(t in SPECIALS for t in tokens):
            raise DecodeError("special token inside SMILES", text)
        if self.conformer is not None:
            from sciGen.molecules.conformer import ConformerError

            try:
                return self.conformer.decode(tokens, seq.values.numpy())
            except ConformerError as e:
                raise DecodeError(str(e), self.decode_text(seq)) from None
        mol, reason = parse(text)
        if mol is None:
            raise DecodeError(reason, text)
        return mol

    def to_text(self, structure: Chem.Mol) -> str:
        """Canonical SMILES (hydrogens implicit)."""
        return smiles_of(structure)

    def decode_text(self, seq: Sequence) -> str:
        """The raw generated string, valid or not."""
        if seq.edges is not None:
            return f"graph of {len(seq)} nodes"
        tokens = self._vocab().decode(seq.tokens.tolist())
        if "<coords>" in tokens:
            k = tokens.index("<coords>")
            return _TOKENIZER.decode(tokens[:k]) + f" <coords> ×{len(tokens) - k - 1}"
        return _TOKENIZER.decode(tokens)

    def validate(self, structure: Chem.Mol | str) -> Validity:
        """RDKit sanitization; reasons name each chemistry problem."""
        if isinstance(structure, str):
            mol, reason = parse(structure)
            return Validity(mol is not None, [reason] if reason else [])
        mol = Chem.Mol(structure)
        problems = [p.Message() for p in Chem.DetectChemistryProblems(mol)]
        if self.conformer is not None and not problems:  # 3D: the coordinates must fit the bonds
            from sciGen.molecules.geometry import geometry_problems

            problems = geometry_problems(mol)
        return Validity(not problems, problems)

    # ------------------------------------------------------------------ 3D conditioning (conformers)
    def condition_id(self, smiles: str) -> Sequence:
        """A SMILES → the conformer prefix ``SMILES <coords>`` (a 3D checkpoint only).  Clear errors for an
        unparsable SMILES and for tokens or elements this checkpoint was not trained on."""
        from sciGen.molecules.conformer import ConformerError, slot

        if self.conformer is None:
            raise ReadError("--condition needs a 3D checkpoint (--generator unigenx-3d): this one writes SMILES only")
        try:
            toks = self.conformer.prefix(smiles)
            _, slots = self.conformer.skeleton(toks[:-1])
        except (ConformerError, TokenizeError) as e:
            raise ReadError(f"{smiles!r}: {e}") from None
        vocab = self._vocab()
        elements = sorted({s[5:-1] for s in slots if s not in vocab.index})
        if elements:
            known = sorted(t[5:-1] for t in vocab.tokens if t.startswith("<xyz:"))
            raise ReadError(f"{smiles!r}: element(s) {', '.join(elements)} not in this checkpoint's training data "
                            f"(known: {' '.join(known)})")
        unknown = [t for t in toks if t not in vocab.index]
        if unknown:
            raise ReadError(f"{smiles!r}: SMILES token(s) {' '.join(dict.fromkeys(unknown))} not in this checkpoint's "
                            "training data")
        return Sequence(torch.tensor(vocab.encode(toks)), torch.zeros(len(toks), 3),
                        torch.zeros(len(toks), dtype=torch.bool))

    def template(self, condition: Sequence) -> Sequence:
        """The conformer prefix followed by one coordinate slot per atom: every token fixed, values to draw."""
        vocab = self._vocab()
        toks = vocab.decode(condition.tokens.tolist())
        _, slots = self.conformer.skeleton(toks[:-1])
        ids = condition.tokens.tolist() + vocab.encode(slots)
        mask = torch.zeros(len(ids), dtype=torch.bool)
        mask[len(condition):] = True
        return Sequence(torch.tensor(ids), torch.zeros(len(ids), 3), mask)

    bond_check = True  # 3D: redraw an atom placed against its SMILES bonds (sciGen.molecules.bond_check)

    def sampling_knobs(self, model: Any, knobs: dict[str, Any], complete: Any = None) -> dict[str, Any]:
        """CLI / API knobs → ``sample`` arguments: a 3D condition becomes a template whose tokens are all fixed
        (only coordinates are drawn), and 3D sampling gets the bond constraint (and, for an anchored model,
        each slot's anchor: :meth:`BondCheck.anchor`); ``--cfg-scale`` and ``--complete`` do not apply."""
        if complete is not None:
            raise ReadError("--complete is not available for molecules")
        if knobs.get("cfg_scale") is not None:
            raise ReadError("--cfg-scale is not available for molecules")
        knobs = {k: v for k, v in knobs.items() if k != "cfg_scale"}
        if self.conformer is not None:
            from sciGen.molecules.bond_check import BondCheck

            check = BondCheck(self._vocab(), self.conformer)
            if self.bond_check and knobs.get("value_check") is None:
                knobs["value_check"] = check
            if getattr(model, "anchored", False) and knobs.get("value_anchor") is None:
                knobs["value_anchor"] = check.anchor
        cond = knobs.pop("condition", None)
        if isinstance(cond, Sequence):
            knobs["template"] = self.template(cond)
            knobs = self.conformer_defaults(model, knobs)
        elif cond is not None:
            knobs["condition"] = cond
        return knobs

    def conformer_defaults(self, model: Any, knobs: dict[str, Any]) -> dict[str, Any]:
        """``knobs`` with those left out taken from the checkpoint's measured conformer settings,
        ``meta["sampling_conformers"]`` (e.g. a higher value temperature than de novo sampling's)."""
        return self.task_defaults(model, knobs, "sampling_conformers")

    def metrics(self, generated: list[Any], reference: list[Any], **kw: Any) -> dict[str, float]:
        """MOSES metrics (strings or Mols; invalid strings count against ``valid``)."""
        from sciGen.molecules.metrics import moses_metrics

        as_text = [g if isinstance(g, str) or g is None else Chem.MolToSmiles(g) for g in generated]
        ref = [r if isinstance(r, str) else Chem.MolToSmiles(r) for r in reference]
        train = kw.pop("train", None)
        graph_metrics = kw.pop("graph_metrics", False)
        if train is not None:
            train = [t if isinstance(t, str) else Chem.MolToSmiles(t) for t in train]
        out = moses_metrics(as_text, ref, train, **kw)
        if graph_metrics:  # NSPDK MMD² between the valid generated and the reference molecules
            from sciGen.molecules.nspdk import nspdk_mmd

            gen_mols = [m for m in (parse(t)[0] if t else None for t in as_text) if m is not None]
            out["NSPDK"] = nspdk_mmd(gen_mols, (m for m in (parse(t)[0] for t in ref) if m is not None))
        return out

    def write(self, structures: Any, path: str | Path, **_: Any) -> int:
        """Atomic write by suffix; SDF/XYZ records are named from ``self.names`` when set (conformers: LLLLLL_K).
        A 3D model's undecoded draws (text only) are left out of SDF/XYZ: they have no coordinates."""
        items = list(structures)
        if self.conformer is not None and Path(path).suffix.lower() in (".sdf", ".xyz"):
            items = [m for m in items if not isinstance(m, str)]  # an undecoded 3D draw has no coordinates to write
        if self.names is not None:
            named = []
            for m, nm in zip(items, self.names):
                if isinstance(m, Chem.Mol):
                    m = Chem.Mol(m)
                    m.SetProp("_Name", nm)
                named.append(m)
            items = named
        return super().write(items, path)

    # ------------------------------------------------------------------ 3D metrics
    def evaluate_files(self, generated: str | Path, reference: str | Path | None, task: str,
                       baseline: str | None = None, threshold: float = 0.5,
                       on_done: Any = None) -> dict[str, Any]:
        """``task="3d"``: EDM's atom / molecule stability, validity, uniqueness of the molecules (with coordinates)
        in ``generated``.  ``task="conformers"``: COV / MAT (recall, precision) and median best RMSD of the
        conformers in ``generated`` against ``reference`` (one geometry per molecule); records named
        ``LLLLLL_K`` belong to reference molecule L, others are matched by canonical SMILES.  ``baseline="etkdg"``
        adds RDKit ETKDG, without and with MMFF, with as many conformers per molecule, on the same molecules."""
        from sciGen.molecules.conformer_metrics import conformer_metrics, etkdg_metrics
        from sciGen.molecules.stability import metrics_3d

        errors: list[BadRecord] = []
        gen = list(self.read(generated, errors))
        if task == "3d":
            if baseline is not None:
                raise ReadError("--baseline is only available with --task conformers")
            out = metrics_3d((m if m.GetNumConformers() else None for m in gen), n_failed=len(errors))
            out["n_unreadable"] = len(errors)
            return out
        if task != "conformers":
            raise ReadError(f"unknown task {task!r} (use conformers or 3d)")
        if reference is None:
            raise ReadError("--task conformers needs --reference (the reference geometries, e.g. an SDF)")
        ref_errors: list[BadRecord] = []
        ref = list(self.read(reference, ref_errors))
        if not ref:
            raise ReadError(f"{reference}: no readable molecules")
        groups: list[list[Chem.Mol]] = [[] for _ in ref]
        by_smiles = {Chem.MolToSmiles(Chem.RemoveHs(r, sanitize=False), isomericSmiles=False): i
                     for i, r in enumerate(ref)}
        unmatched = 0
        for m in gen:
            name = m.GetProp("_Name") if m.HasProp("_Name") else ""
            head = name.split("_")[0]
            if "_" in name and head.isdigit() and int(head) < len(ref):
                groups[int(head)].append(m)
                continue
            i = by_smiles.get(Chem.MolToSmiles(Chem.RemoveHs(m, sanitize=False), isomericSmiles=False))
            if i is None:
                unmatched += 1
            else:
                groups[i].append(m)
        out: dict[str, Any] = conformer_metrics(groups, ref, threshold, on_done=on_done)
        out.update(n_generated=len(gen), n_unreadable=len(errors), n_unmatched=unmatched)
        if baseline is not None:
            if baseline != "etkdg":
                raise ReadError(f"unknown baseline {baseline!r} (use etkdg)")
            k = max(1, round(np.mean([len(g) for g in groups if g]))) if any(groups) else 5
            for name, m in etkdg_metrics(ref, k, threshold, on_done=on_done).items():
                out.update({f"{name}_{key}": v for key, v in m.items() if key not in ("n_molecules", "threshold")})
        return out

    def preview(self, structures: list[Chem.Mol], path: str | Path, n: int = 16) -> None:
        """A PNG grid of the first ``n`` molecules (RDKit drawing), written atomically."""
        from rdkit.Chem import Draw

        from sciGen.io import atomic_write

        mols = [Chem.RemoveHs(m) for m in structures[:n]]
        img = Draw.MolsToGridImage(mols, molsPerRow=4, subImgSize=(260, 220),
                                   legends=[Chem.MolToSmiles(m)[:40] for m in mols])
        atomic_write(path, lambda tmp: img.save(tmp, format="PNG"))
