"""The shapes adapter: triangle meshes ↔ VAT token sequences, validation, metrics and previews.

Structures are :class:`trimesh.Trimesh` in the normalised frame [-1, 1]³ (shapes are scaled into
[-0.9, 0.9]³).  A Sequence is ``[condition, code tokens …]`` with ``level`` = 0 for the condition and
scale index + 1 for each code (VAT's coarse-to-fine order).  Encoding and decoding need a VAT tokenizer:
loaded from a VAT checkpoint, or embedded in a generator's checkpoint (G3PT keeps its VAT with it, so
the two can never be mismatched).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch
import trimesh

from sciGen.adapter import Adapter, DecodeError, ReadError, TrainingRecord, Validity
from sciGen.data import SPECIALS, Sequence, Vocab
from sciGen.shapes.formats import FORMATS, write_folder
from sciGen.shapes.geometry import evaluate_grid, evaluate_grid_sparse, extract_mesh, normalize, sample_surface

UNCOND = "<uncond>"
LATENT = "<lat>"  # a continuous latent token's slot (VecSetVAE / MAR-3D)
TOKENIZERS = ("vat", "triplane_vq", "vecset_vae")  # what ``scigen train`` fits on occupancy samples


def code_vocab(categories: list[str], codebook_size: int) -> Vocab:
    """Specials, the unconditional token, one ``<category>`` token each, then ``c0 … c{K-1}``."""
    return Vocab(list(SPECIALS) + [UNCOND] + [f"<{c}>" for c in categories] + [f"c{k}" for k in range(codebook_size)])


def latent_vocab(categories: list[str], latent_dim: int) -> Vocab:
    """Specials, the unconditional token, one ``<category>`` token each, then the number slot ``<lat>``
    whose value is one latent token (width ``latent_dim``)."""
    return Vocab(list(SPECIALS) + [UNCOND] + [f"<{c}>" for c in categories] + [LATENT], [LATENT], latent_dim)


def condition_tokens(vocab: Vocab, categories: list[str], shape_categories: Any) -> tuple[np.ndarray, list[int]]:
    """(each shape's condition id (S,) — its category token, or the unconditional one —, the generator's
    ``cond_ids``: the unconditional id, then one per category)."""
    cond = np.array([vocab.index[f"<{c}>"] if str(c) else vocab.index[UNCOND] for c in shape_categories])
    return cond, [vocab.index[UNCOND]] + [vocab.index[f"<{c}>"] for c in categories]


class ShapesAdapter(Adapter):
    domain = "shapes"
    formats = FORMATS
    default_output = "shapes"  # a folder: one mesh file per shape
    folder_output = True

    def __init__(self, vocab: Vocab | None = None) -> None:
        super().__init__(vocab or self.default_vocab())
        self.tokenizer: Any = None  # a VAT
        self.resolution = 128  # marching-cubes grid for decode
        self.n_points = 2048  # surface points the tokenizer reads

    # ---- vocabulary ---------------------------------------------------------------------------------
    @staticmethod
    def default_vocab() -> Vocab:
        return code_vocab([], 256)

    @property
    def categories(self) -> list[str]:
        return [t[1:-1] for t in self._vocab().tokens if t.startswith("<") and t not in SPECIALS + (UNCOND, LATENT)]

    def condition_id(self, name: str | None) -> int:
        """Vocabulary id of a category name (None or '' → unconditional); unknown names are a clear error."""
        if not name:
            return self._vocab().index[UNCOND]
        tok = f"<{name}>"
        if tok not in self._vocab().index:
            raise ReadError(f"unknown shape category {name!r} (this model knows: {', '.join(self.categories) or 'none'})")
        return self._vocab().index[tok]

    def code_offset(self) -> int:
        return self._vocab().index["c0"]

    # ---- tokenizer ----------------------------------------------------------------------------------
    def load_extras(self, extras: dict, device: str | torch.device = "cpu", model: Any = None) -> None:
        """Attach the tokenizer embedded in a generator checkpoint (VAT, TriplaneVQ or VecSetVAE), or the
        loaded ``model`` when it is a tokenizer itself."""
        from sciGen.registry import generator_class
        tok = extras.get("tokenizer")
        if tok is None:
            if any(isinstance(model, generator_class(k)) for k in TOKENIZERS):
                self.tokenizer = model
            return
        net = generator_class(tok.get("generator", "vat"))(tok["config"])
        net.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in tok["state_dict"].items()})
        self.tokenizer = net.to(device).eval()

    @property
    def continuous(self) -> bool:
        """Whether the tokenizer's latents are continuous (VecSetVAE) rather than codes."""
        return hasattr(self._tok(), "latent_dim")

    def _tok(self) -> Any:
        if self.tokenizer is None:
            raise ValueError("the shapes adapter has no VAT tokenizer (load a VAT or G3PT checkpoint)")
        return self.tokenizer

    def surface_points(self, mesh: trimesh.Trimesh, seed: int = 0) -> torch.Tensor:
        """(n_points, 6) points + normals of the normalised mesh, as the tokenizer reads them."""
        pts, nrm = sample_surface(mesh, self.n_points, np.random.default_rng(seed))
        return torch.from_numpy(np.concatenate([pts, nrm], 1))

    def encode(self, structure: trimesh.Trimesh, category: str | None = None) -> Sequence:
        """Mesh (normalised here) → Sequence [condition, T codes] (VAT: with scale levels), or for a
        continuous tokenizer [condition, <lat> × L] with the latents as values."""
        tok = self._tok()
        pts = self.surface_points(normalize(structure)).to(tok.device)
        cond = torch.tensor([self.condition_id(category)])
        if self.continuous:
            z = tok.encode(pts[None])[0][0].cpu()
            values = torch.cat([torch.zeros(1, z.shape[1]), z])
            mask = torch.ones(len(values), dtype=torch.bool)
            mask[0] = False
            lat = torch.full((len(z),), self._vocab().index[LATENT])
            return Sequence(torch.cat([cond, lat]), values=values, value_mask=mask)
        idx, _ = tok.encode(pts[None])
        level = torch.cat([torch.zeros(1, dtype=torch.long), tok.levels() + 1]) if hasattr(tok, "levels") else None
        return Sequence(torch.cat([cond, idx[0].cpu() + self.code_offset()]), level=level)

    def training_record(self, structure: trimesh.Trimesh) -> TrainingRecord:
        seq = self.encode(structure)
        return TrainingRecord(str(structure.metadata.get("name", "")), self._vocab().decode(seq.tokens.tolist()))

    def occupancy_field(self, codes: torch.Tensor, resolution: int | None = None, sparse: bool = True) -> np.ndarray:
        """codes (T,) — or latents (L, V) of a continuous tokenizer — → occupancy logits on the decode grid
        (R, R, R); ``sparse`` evaluates the MLP exactly only near the surface (coarse-to-fine,
        :func:`~sciGen.shapes.geometry.evaluate_grid_sparse`)."""
        tok = self._tok()
        with torch.no_grad():
            planes = tok.decode(codes[None].to(tok.device))

            def fn(p: np.ndarray) -> np.ndarray:
                return tok.occupancy(planes, torch.from_numpy(p).to(tok.device)[None])[0].cpu().numpy()
            R = resolution or self.resolution
            return evaluate_grid_sparse(fn, R)[0] if sparse else evaluate_grid(fn, R)

    def decode(self, seq: Sequence) -> trimesh.Trimesh:
        """Sequence [condition,] T codes (or latent tokens with values) → mesh by marching cubes at
        ``self.resolution``."""
        if self.continuous:
            if seq.values is None or seq.value_mask is None or not seq.value_mask.any():
                raise DecodeError("expected latent tokens with values")
            latents = seq.values[seq.value_mask].float()
            try:
                self._tok().level_of(len(latents))
            except ValueError as e:
                raise DecodeError(str(e)) from None
            if not torch.isfinite(latents).all():
                raise DecodeError("latent values are not finite")
            field = self.occupancy_field(latents)
        else:
            T, K = self._tok().n_tokens, self._tok().codebook_size
            codes = seq.tokens[-T:] - self.code_offset()  # a leading condition token is not a code
            if len(seq) not in (T, T + 1) or (codes < 0).any() or (codes >= K).any():
                raise DecodeError(f"expected {T} code tokens in [0, {K})")
            field = self.occupancy_field(codes)
        try:
            return extract_mesh(field, level=0.0)
        except ValueError as e:
            raise DecodeError(str(e)) from None

    def sampling_knobs(self, model: Any, knobs: dict[str, Any], complete: Any = None,
                       condition_points: str | Path | np.ndarray | None = None) -> dict[str, Any]:
        """CLI / API knobs → ``sample`` arguments: a partial point cloud (a file or an (N, 3) array, in the
        model's frame) becomes Argus3D's ``points`` prefix (and, for a ``partial_codes`` model, its code
        vector under the embedded TriplaneVQ: ``partial``); only Argus3D reads one."""
        if complete is not None:
            raise ReadError("--complete is not available for shapes (Argus3D completes a point cloud: "
                            "--condition-points)")
        knobs = dict(knobs)
        if condition_points is not None:
            from sciGen.generators.argus3d import Argus3D
            if not isinstance(model, Argus3D):
                raise ReadError(f"--condition-points needs the argus3d generator (this is {type(model).__name__})")
            from sciGen.shapes.dataset import resample
            from sciGen.shapes.formats import read_points
            pts = condition_points if isinstance(condition_points, np.ndarray) else read_points(condition_points)
            if np.abs(pts).max() > 1.05:
                raise ReadError(f"{condition_points if not isinstance(condition_points, np.ndarray) else 'points'}: "
                                "coordinates reach beyond [-1, 1]³ (give the partial cloud in the model's frame)")
            pts = resample(np.asarray(pts, np.float32)[:, :3], model.cfg.n_points, np.random.default_rng(0))
            knobs["points"] = torch.from_numpy(pts)
            if model.cfg.partial_codes:
                from sciGen.shapes.tokens import partial_codes
                knobs["partial"] = partial_codes(self._tok(), knobs["points"][None])[0]
            knobs = self.task_defaults(model, knobs, "sampling_completion")  # temperature, candidates
        elif knobs.get("candidates") not in (None, 1):
            raise ReadError("--candidates picks completions by their distance to --condition-points: give those")
        return knobs

    def fidelity(self, mesh: trimesh.Trimesh, knobs: dict[str, Any]) -> float:
        """How far a completion strays from the given partial cloud ``knobs["points"]`` (N, 3): the mean
        distance from each given point to the mesh surface (4,096 samples); lower is closer.  The
        ``candidates`` knob keeps the closest of K draws."""
        from scipy.spatial import cKDTree
        surface = sample_surface(mesh, 4096, np.random.default_rng(0))[0]
        return float(cKDTree(surface).query(np.asarray(knobs["points"], dtype=np.float64))[0].mean())

    def decode_text(self, seq: Sequence) -> str:
        return " ".join(self._vocab().decode(seq.tokens.tolist()))

    # ---- checks, metrics, pictures ------------------------------------------------------------------
    def input_warnings(self, mesh: trimesh.Trimesh) -> list[str]:
        """What is wrong with a user's mesh that tokenizing works around: holes and other defects (the
        metrics then use a robust, ray-voting inside test) and several components (tokenized as one shape)."""
        from sciGen.shapes.validate import components
        out = []
        v = self.validate(normalize(mesh))
        if not v.ok:
            out.append("; ".join(v.reasons) + " — tokenized anyway; scored with a robust inside test")
        n = components(mesh)
        if n > 1:
            out.append(f"{n} separate components — tokenized together as one shape")
        return out

    def validate(self, structure: trimesh.Trimesh) -> Validity:
        from sciGen.shapes.validate import validate
        return validate(structure)

    def metrics(self, generated: list[trimesh.Trimesh], reference: list[trimesh.Trimesh], n_points: int = 2048,
                seed: int = 0, **kw: Any) -> dict[str, float]:
        """Watertight fraction and MMD-CD / COV-CD / 1-NNA-CD (PointFlow protocol) against ``reference``."""
        from sciGen.shapes.metrics import distribution_metrics
        rng = np.random.default_rng(seed)
        out = {"watertight": float(np.mean([self.validate(m).ok for m in generated])) if generated else 0.0}
        if generated and reference:
            gen = [sample_surface(m, n_points, rng)[0] for m in generated]
            ref = [sample_surface(m, n_points, rng)[0] for m in reference]
            out.update(distribution_metrics(gen, ref))
        return out

    def reconstruction(self, mesh: trimesh.Trimesh, n_points: int = 100_000) -> dict[str, Any]:
        """Tokenize one mesh and score its reconstruction: tokens, bytes, fscore@0.02, chamfer (and the mesh),
        plus ``report`` (the JSON keys of ``scigen tokenize --json``), ``summary`` (one line) and
        ``structure`` (the reconstructed mesh).  Non-watertight input is tokenized anyway; its inside test
        for the metrics is robust (ray voting)."""
        r = self._reconstruction(mesh, n_points)
        r["report"] = {k: (None if isinstance(r[k], float) and r[k] != r[k] else r[k])
                       for k in ("tokens", "bytes", "fscore", "chamfer", "iou")}
        r["summary"] = (f"{r['tokens']} tokens, {r['bytes']} bytes, F-score@0.02 {r['fscore']:.3f}, Chamfer-L1 "
                        f"{r['chamfer']:.4f}, volume IoU {r['iou']:.3f}"
                        + (f" (reconstruction failed: {r['error']})" if "error" in r else ""))
        r["structure"] = r["mesh"]
        return r

    def _reconstruction(self, mesh: trimesh.Trimesh, n_points: int) -> dict[str, Any]:
        from sciGen.shapes.metrics import paired_metrics
        ref = normalize(mesh)
        seq = self.encode(ref)
        try:
            rec = self.decode(seq)
        except DecodeError as e:
            return {"tokens": self._tok().n_tokens, "bytes": self._tok().bytes_per_shape, "fscore": 0.0,
                    "chamfer": float("nan"), "iou": 0.0, "error": e.reason, "mesh": None, "sequence": seq}
        m = paired_metrics(rec, ref, n=n_points)
        return {"tokens": self._tok().n_tokens, "bytes": self._tok().bytes_per_shape, "fscore": m["fscore"],
                "chamfer": m["chamfer"], "iou": self.volume_iou(rec, ref), "normal_consistency": m["normal_consistency"],
                "mesh": rec, "sequence": seq}

    @staticmethod
    def volume_iou(mesh: trimesh.Trimesh, reference: trimesh.Trimesh, n: int = 100_000, seed: int = 0) -> float:
        """Volumetric IoU on ``n`` uniform points of [-1, 1]³; the reference's inside test votes over several
        rays when it is not watertight (robust to holes)."""
        from sciGen.shapes.geometry import Scene
        pts = np.random.default_rng(seed).uniform(-1, 1, (n, 3)).astype(np.float32)
        a = Scene(mesh).occupancy(pts, robust=not mesh.is_watertight)
        b = Scene(reference).occupancy(pts, robust=not reference.is_watertight)
        return float((a & b).sum() / max((a | b).sum(), 1))

    def evaluate_folders(self, generated: str | Path, reference: str | Path | None = None, **kw: Any
                         ) -> dict[str, float]:
        """``scigen evaluate shapes``: watertight fraction, PointFlow metrics against ``reference`` and,
        for files paired by name, reconstruction chamfer / fscore.  See :func:`sciGen.shapes.metrics.evaluate_folders`."""
        from sciGen.shapes.metrics import evaluate_folders
        return evaluate_folders(generated, reference, **kw)

    def preview(self, structures: list[trimesh.Trimesh], path: str | Path, labels: list[str] | None = None,
                rows: list[str] | None = None) -> None:
        from sciGen.shapes.preview import render_grid
        render_grid(structures, path, labels=labels, rows=rows)

    def write(self, structures: Any, path: str | Path, fmt: str = "obj") -> int:
        """One mesh file, or a folder of ``NNNNNN.<fmt>`` files when ``path`` has no mesh suffix."""
        path = Path(path)
        if any(f.matches(path) for f in FORMATS):
            return super().write(structures, path)
        path.mkdir(parents=True, exist_ok=True)  # the folder exists even when no draw was valid
        return len(write_folder([s for s in structures if isinstance(s, trimesh.Trimesh)], path, fmt=fmt))

    # ---- training -----------------------------------------------------------------------------------
    def training_datasets(self, data: Any, vocab: Vocab, model_cfg: dict, seed: int, generator: str = "",
                          console: Any = None) -> dict[str, Any]:
        """The tokenizers (VAT, TriplaneVQ, VecSetVAE): occupancy samples of the shapes.  The generators: the
        shapes tokenized by the tokenizer checkpoint named in ``data.options.tokenizer`` — G3PT by a VAT
        (``default``: the shipped one), Argus3D by a TriplaneVQ (codes, plus partial clouds cut on the fly),
        MAR-3D by a VecSetVAE (latents at both levels); the tokenizer is embedded in the checkpoint."""
        from sciGen.config import from_dict
        from sciGen.data import holdout_mask
        from sciGen.shapes.dataset import OccupancyDataset, ShapeDataConfig, build_cache, collate_dicts

        opts = dict(data.options)
        tokenizer = opts.pop("tokenizer", None)
        views = int(opts.pop("views", 1))
        cut_points = int(opts.pop("cut_points", 0))  # Argus3D: surface points kept to cut partial clouds (0: all)
        dcfg = from_dict(ShapeDataConfig, opts, "data.options")

        def split(cache: dict) -> tuple[list[str], np.ndarray, np.ndarray, dict, list[str]]:
            keys = [str(k) for k in cache["keys"]]
            hold = holdout_mask(keys, data.holdout_fraction, data.holdout_salt)
            tr, va = np.flatnonzero(~hold), np.flatnonzero(hold)
            info = {"n_shapes": len(keys), "n_train": len(tr), "n_holdout": len(va),
                    "n_skipped": len(cache["errors"]), "cache": cache["path"]}
            return keys, tr, va, info, sorted({str(c) for c in cache["categories"] if str(c)})

        if generator in TOKENIZERS:
            cache = build_cache(data.train, dcfg, console)
            keys, tr, va, info, cats = split(cache)
            n = {"n_points": dcfg.sample_points, "n_queries": dcfg.sample_queries}
            vocab = latent_vocab(cats, int(model_cfg.get("latent_dim", 8))) if generator == "vecset_vae" else \
                code_vocab(cats, int(model_cfg.get("codebook_size", 256 if generator == "vat" else 512)))
            return {"train": OccupancyDataset(cache, tr, **n), "val": OccupancyDataset(cache, va, fixed=True, **n),
                    "collate": collate_dicts, "info": info, "holdout_keys": [keys[i] for i in va],
                    "vocab": vocab, "fields": {}}
        tok_kind = {"g3pt": "vat", "argus3d": "triplane_vq", "mar3d": "vecset_vae"}.get(generator)
        if tok_kind is None:
            raise ReadError(f"the shapes domain trains {', '.join(TOKENIZERS)}, g3pt, argus3d or mar3d, "
                            f"not {generator!r}")
        from sciGen.checkpoint import load_checkpoint
        from sciGen.registry import checkpoints_dir
        from sciGen.shapes.tokens import token_cache
        if tokenizer in (None, "default"):
            if generator != "g3pt":
                raise ReadError(f"{generator} needs data.options.tokenizer: a {tok_kind} checkpoint")
            path = checkpoints_dir() / "shapes-vat.pt"
        else:
            path = Path(tokenizer)
        blob = load_checkpoint(path, generator=tok_kind, domain="shapes")
        self.load_extras({"tokenizer": blob})
        vat = self.tokenizer
        extras = {"tokenizer": {"generator": tok_kind, "config": blob["config"], "state_dict": blob["state_dict"]}}
        # the tokenizer's output (and Argus3D's surfaces to cut) is cached: a retraining reads one file
        cache = token_cache(vat, path, data.train, dcfg, views, self.continuous, console,
                            cut_points=cut_points if generator == "argus3d" else None)
        keys, tr, va, info, cats = split(cache)
        info |= {"views": views, "tokenizer": str(path)}
        if generator == "mar3d":
            return self._latent_datasets(cache, cats, tr, va, keys, views, info, extras)
        vocab = code_vocab(cats, vat.codebook_size)
        self.vocab = vocab
        codes = cache["codes"]  # (views, S, T)
        cond, cond_ids = condition_tokens(vocab, cats, cache["categories"])
        fields = {"vocab_size": len(vocab), "code_offset": vocab.index["c0"], "codebook_size": vat.codebook_size,
                  "cond_ids": cond_ids,
                  "pad_id": vocab.pad_id, "bos_id": vocab.bos_id, "eos_id": vocab.eos_id}
        if generator == "argus3d":
            from sciGen.shapes.dataset import PartialCodesDataset
            kw = {"code_offset": vocab.index["c0"], "n_points": int(model_cfg.get("n_points", 1024)),
                  "points_prob": float(model_cfg.get("points_prob", 0.5))}
            from sciGen.shapes.tokens import PartialCodesCollate
            return {"train": PartialCodesDataset(codes, cond, cache["surface"], tr, views, **kw),
                    "val": PartialCodesDataset(codes, cond, cache["surface"], va, 1, fixed=True, **kw),
                    "collate": PartialCodesCollate(vat) if model_cfg.get("partial_codes") else collate_dicts,
                    "info": info, "holdout_keys": [keys[i] for i in va], "vocab": vocab,
                    "fields": fields | {"n_codes": vat.n_tokens}, "extras": extras}
        level = torch.cat([torch.zeros(1, dtype=torch.long), vat.levels() + 1])
        fields["scales"] = list(vat.cfg.scales)

        def seqs(idx: np.ndarray, vs: range) -> list[Sequence]:
            off = vocab.index["c0"]
            return [Sequence(torch.cat([torch.tensor([int(cond[i])]), torch.from_numpy(codes[v, i]).long() + off]),
                             level=level) for v in vs for i in idx]

        from sciGen.data import collate
        return {"train": seqs(tr, range(views)), "val": seqs(va, range(1)), "collate": lambda s: collate(s, vocab.pad_id),
                "info": info, "holdout_keys": [keys[i] for i in va], "vocab": vocab, "fields": fields, "extras": extras}

    def _latent_datasets(self, cache: dict, cats: list[str], tr: np.ndarray, va: np.ndarray, keys: list[str],
                         views: int, info: dict, extras: dict) -> dict[str, Any]:
        """MAR-3D: every shape encoded by the VecSetVAE at both levels (``cache["low"]``, ``cache["high"]``,
        from :func:`~sciGen.shapes.tokens.token_cache`); the latents' standard deviation per level (training
        shapes) becomes the model's normalising scale."""
        from sciGen.shapes.dataset import LatentDataset, collate_dicts
        vae = self.tokenizer
        vocab = latent_vocab(cats, vae.latent_dim)
        self.vocab = vocab
        low, high = cache["low"], cache["high"]
        cond, cond_ids = condition_tokens(vocab, cats, cache["categories"])
        fields = {"vocab_size": len(vocab), "latent_id": vocab.index[LATENT], "latent_dim": vae.latent_dim,
                  "cond_ids": cond_ids,
                  "n_low": low.shape[2], "n_high": high.shape[2],
                  "scale_low": float(low[:, tr].astype(np.float32).std()),
                  "scale_high": float(high[:, tr].astype(np.float32).std()),
                  "pad_id": vocab.pad_id, "bos_id": vocab.bos_id, "eos_id": vocab.eos_id}
        return {"train": LatentDataset(low, high, cond, tr, views), "val": LatentDataset(low, high, cond, va, 1),
                "collate": collate_dicts, "info": info, "holdout_keys": [keys[i] for i in va], "vocab": vocab,
                "fields": fields, "extras": extras}
