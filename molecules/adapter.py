"""The molecules adapter: RDKit molecules ↔ atom-level SMILES token Sequences (UniGenX), or ↔ molecular
graphs (PARD: node types and a dense edge-type matrix, :mod:`sciGen.molecules.graph`)."""
from __future__ import annotations

import multiprocessing as mp
from pathlib import Path
from typing import Any

from rdkit import Chem

from sciGen.adapter import Adapter, BadRecord, DecodeError, ReadError, TrainingRecord, Validity
from sciGen.data import SPECIALS, PackedGraphs, Sequence, Vocab, VocabError, holdout_mask
from sciGen.molecules.formats import FORMATS, parse, text_lines
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


class MoleculesAdapter(Adapter):
    """Structures are RDKit ``Mol`` s; Sequences are canonical SMILES tokens, or graphs for PARD."""

    domain = "molecules"
    formats = FORMATS

    def __init__(self, vocab: Vocab | None = None) -> None:
        super().__init__(vocab)
        self.graph_vocab = None
        if vocab is not None and any(t.startswith("node:") for t in vocab.tokens):
            from sciGen.molecules.graph import GraphVocab

            self.graph_vocab = GraphVocab.from_vocab(vocab)

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

    def training_records(self, path: str | Path, errors: list[BadRecord] | None = None,
                         workers: int = 1) -> list[TrainingRecord]:
        """Parse, canonicalize and tokenize every record, in ``workers`` processes for SMILES files."""
        path = Path(path)
        if not path.is_file():
            raise ReadError(f"{path}: file not found")
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
        mol, reason = parse(text)
        if mol is None:
            raise DecodeError(reason, text)
        return mol

    def to_text(self, structure: Chem.Mol) -> str:
        """Canonical SMILES."""
        return Chem.MolToSmiles(structure)

    def decode_text(self, seq: Sequence) -> str:
        """The raw generated string, valid or not."""
        if seq.edges is not None:
            return f"graph of {len(seq)} nodes"
        return _TOKENIZER.decode(self._vocab().decode(seq.tokens.tolist()))

    def validate(self, structure: Chem.Mol | str) -> Validity:
        """RDKit sanitization; reasons name each chemistry problem."""
        if isinstance(structure, str):
            mol, reason = parse(structure)
            return Validity(mol is not None, [reason] if reason else [])
        mol = Chem.Mol(structure)
        problems = [p.Message() for p in Chem.DetectChemistryProblems(mol)]
        return Validity(not problems, problems)

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

    def preview(self, structures: list[Chem.Mol], path: str | Path, n: int = 16) -> None:
        """A PNG grid of the first ``n`` molecules (RDKit drawing), written atomically."""
        from rdkit.Chem import Draw

        from sciGen.io import atomic_write

        mols = [Chem.RemoveHs(m) for m in structures[:n]]
        img = Draw.MolsToGridImage(mols, molsPerRow=4, subImgSize=(260, 220),
                                   legends=[Chem.MolToSmiles(m)[:40] for m in mols])
        atomic_write(path, lambda tmp: img.save(tmp, format="PNG"))
