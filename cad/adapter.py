"""The CAD adapter: B-Rep solids ↔ AutoBrep token sequences, strict validation, metrics and previews.

Structures are OpenCASCADE shapes (``TopoDS_Shape``) holding one solid.  ``encode`` normalises a part
into [-1, 1]³, splits closed faces, grids every face and edge, turns each grid into FSQ codes with the
face / edge autoencoders and writes the AutoBrep sequence (:mod:`sciGen.cad.tokens`); per position the
Sequence also carries ``level`` = the token's role (bbox coordinate k, code k, reference, …) and ``ref`` =
1 + the BFS index of the face block it belongs to.  ``decode`` parses the sequence, decodes the grids,
assembles a solid (:mod:`sciGen.cad.build`) and validates it strictly.

The autoencoders are embedded in the AutoBrep checkpoint (``extras``), so sequences and geometry can
never be mismatched.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch
from OCP.TopoDS import TopoDS_Shape

from sciGen.adapter import Adapter, DecodeError, ReadError, TrainingRecord, Validity
from sciGen.data import EOS, SPECIALS, Sequence, Vocab
from sciGen.cad.formats import FORMATS, write_folder
from sciGen.cad.tokens import (N_BBOX, Grammar, SequenceError, TokenSpec, canonical_edge_grid,
                               canonical_face_grid, complexity, layout, parse, serialize)

# role ids (Sequence.level): what each position of the sequence is
ROLES = ("cond", "<bol>", "<eol>", "<bof>", "<eof>", "ref") + tuple(f"face_box{k}" for k in range(N_BBOX)) \
    + tuple(f"face_code{k}" for k in range(4)) + tuple(f"edge_box{k}" for k in range(N_BBOX)) \
    + tuple(f"edge_code{k}" for k in range(2)) + ("eos",)
ROLE = {r: i for i, r in enumerate(ROLES)}


def roles_and_faces(tokens: list[str]) -> tuple[list[int], list[int]]:
    """Role id and 1 + face block index (0 outside faces) of each token of a grammatical sequence."""
    g = Grammar.unbounded()
    roles, faces = [], []
    for t in tokens:
        roles.append(ROLE[role_of(g, t)])
        g.step(t)
        faces.append(g.n_faces if g.state not in ("cond", "after_cond", "bol", "eol") else 0)
    return roles, faces


def role_of(g: Grammar, token: str) -> str:
    """The role ``token`` plays when read in grammar state ``g`` (before stepping)."""
    kind, _ = g.kind(token)
    if kind == "cond":
        return "cond"
    if kind.startswith("struct:"):
        return kind[7:]
    if kind == "eos":
        return "eos"
    if kind == "r":
        return "ref"
    if g.state == "face_box":
        return f"face_box{len(g.face_boxes[-1])}"
    if g.state == "face_code":
        return f"face_code{len(g.face_codes[-1])}"
    if g.state == "edge_box":
        return f"edge_box{len(g.edge_boxes[-1])}"
    if g.state == "edge_code":
        return f"edge_code{len(g.edge_codes[-1])}"
    return "eos"


class CADAdapter(Adapter):
    domain = "cad"
    formats = FORMATS
    default_output = "cad"  # a folder: one STEP file per part
    folder_output = True

    def __init__(self, vocab: Vocab | None = None, spec: TokenSpec | None = None) -> None:
        self.spec = spec or TokenSpec()
        super().__init__(vocab or self.default_vocab(self.spec))
        self.face_ae: Any = None
        self.edge_ae: Any = None
        self.output_transform: Any = None  # gp_Trsf applied to decoded parts (autocompletion: back to the input frame)

    @staticmethod
    def default_vocab(spec: TokenSpec | None = None) -> Vocab:
        return Vocab(list(SPECIALS) + (spec or TokenSpec()).tokens())

    # ---- tokenizers ---------------------------------------------------------------------------------
    def load_extras(self, extras: dict, device: str | torch.device = "cpu", model: Any = None) -> None:
        """Attach the face / edge FSQ autoencoders embedded in an AutoBrep checkpoint."""
        from sciGen.tokenizers.fsq_autoencoder import FSQAutoencoder
        for key, attr in (("face_tokenizer", "face_ae"), ("edge_tokenizer", "edge_ae")):
            blob = extras.get(key)
            if blob is None:
                continue
            ae = FSQAutoencoder(blob["config"])
            ae.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in blob["state_dict"].items()})
            setattr(self, attr, ae.to(device).eval())
        if "token_spec" in extras:
            self.spec = TokenSpec(**extras["token_spec"])

    def _aes(self) -> tuple[Any, Any]:
        if self.face_ae is None or self.edge_ae is None:
            raise ValueError("the CAD adapter has no face / edge tokenizers (load an AutoBrep checkpoint)")
        return self.face_ae, self.edge_ae

    # ---- encode -------------------------------------------------------------------------------------
    def token_strings(self, shape: TopoDS_Shape, cond: str | None = None) -> list[str]:
        """Part → AutoBrep token strings (a PartError names what the tokenizer cannot read)."""
        from sciGen.cad.dataset import normalized
        from sciGen.cad.record import part_record
        face_ae, edge_ae = self._aes()
        rec = part_record(shape, face_ae.cfg.grid, edge_ae.cfg.grid, max_faces=self.spec.max_faces)
        fg, fb = zip(*(normalized(canonical_face_grid(g)) for g in rec.face_grids))
        eg, eb = zip(*(normalized(canonical_edge_grid(g)) for g in rec.edge_grids))
        return self.serialize_part(np.asarray(fg), np.asarray(fb), np.asarray(eg), np.asarray(eb), rec.edge_faces,
                                   cond or complexity(rec.n_faces))

    def serialize_part(self, face_grids: np.ndarray, face_boxes: np.ndarray, edge_grids: np.ndarray,
                       edge_boxes: np.ndarray, edge_faces: np.ndarray, cond: str) -> list[str]:
        """Normalised grids + world boxes + topology → token strings (codes from the autoencoders)."""
        face_ae, edge_ae = self._aes()
        return self.tokens_of(face_boxes, self.codes(face_ae, face_grids), edge_boxes, self.codes(edge_ae, edge_grids),
                              edge_faces, cond)

    def tokens_of(self, face_boxes: np.ndarray, face_codes: np.ndarray, edge_boxes: np.ndarray,
                  edge_codes: np.ndarray, edge_faces: np.ndarray, cond: str) -> list[str]:
        """World boxes + codes + topology → token strings (boxes quantised, faces in BFS order)."""
        fq, eq = self.spec.quantize(face_boxes), self.spec.quantize(edge_boxes)
        return serialize(layout(fq, eq, edge_faces), fq, face_codes, eq, edge_codes, cond)

    @staticmethod
    def codes(ae: Any, grids: np.ndarray, batch: int = 512) -> np.ndarray:
        dev = next(ae.parameters()).device
        out = [ae.encode(torch.as_tensor(np.asarray(grids[i:i + batch], np.float32), device=dev))[0].cpu()
               for i in range(0, len(grids), batch)]
        return torch.cat(out).numpy() if out else np.zeros((0, ae.codes_per_item), np.int64)

    def sequence(self, tokens: list[str]) -> Sequence:
        roles, faces = roles_and_faces(tokens)
        ids = torch.tensor(self._vocab().encode(tokens), dtype=torch.long)
        return Sequence(ids, level=torch.tensor(roles), ref=torch.tensor(faces).clamp(max=self.spec.max_faces))

    def encode(self, structure: TopoDS_Shape, condition: str | None = None) -> Sequence:
        return self.sequence(self.token_strings(structure, condition))

    def training_record(self, structure: TopoDS_Shape) -> TrainingRecord:
        return TrainingRecord("", self.token_strings(structure))

    # ---- decode -------------------------------------------------------------------------------------
    def geometry(self, tokens: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Token strings → (face grids (F, n, n, 3), edge grids (E, m, 3) in the part frame, edge faces (E, 2))."""
        face_ae, edge_ae = self._aes()
        p = parse(tokens)
        if len(p.face_codes) < 2 or len(p.edge_codes) < 1:
            raise SequenceError(f"{len(p.face_codes)} faces and {len(p.edge_codes)} edges cannot bound a solid")
        dev = next(face_ae.parameters()).device
        with torch.no_grad():
            fg = face_ae.decode(torch.as_tensor(p.face_codes, device=dev)).cpu().numpy().astype(np.float64)
            eg = edge_ae.decode(torch.as_tensor(p.edge_codes, device=dev)).cpu().numpy().astype(np.float64)
        return self._to_world(fg, p.face_boxes_q), self._to_world(eg, p.edge_boxes_q), p.edge_faces

    def _to_world(self, grids: np.ndarray, boxes_q: np.ndarray) -> np.ndarray:
        """Normalised grids → the part frame by their decoded boxes, then clipped into the box: a face or
        edge whose box is flat in one axis (an axis-aligned plane or line) comes out exactly flat."""
        box = self.spec.dequantize(boxes_q)
        lo, hi = box[:, :3], box[:, 3:]
        half = np.maximum((hi - lo).max(1) / 2, 1e-6)
        shape = (len(grids),) + (1,) * (grids.ndim - 2) + (3,)
        world = grids * half.reshape(shape[:-1] + (1,)) + ((lo + hi) / 2).reshape(shape)
        return np.clip(world, lo.reshape(shape), hi.reshape(shape))

    def decode_tokens(self, tokens: list[str]) -> TopoDS_Shape:
        """Token strings → a strictly valid solid, or DecodeError (with the invalid shape when one was built)."""
        from sciGen.cad.build import build_valid
        try:
            fg, eg, ef = self.geometry(tokens)
        except SequenceError as e:
            raise DecodeError(str(e), " ".join(tokens)) from None
        shape, reasons, _ = build_valid(fg, eg, ef)
        if reasons:
            raise DecodeError("; ".join(reasons), " ".join(tokens), structure=shape)
        if self.output_transform is not None:
            from sciGen.cad.brep import transformed
            shape = transformed(shape, self.output_transform)
        return shape

    def decode(self, seq: Sequence) -> TopoDS_Shape:
        toks = [t for t in self._vocab().decode(seq.tokens.tolist()) if t not in ("<pad>", "<bos>")]
        if toks and toks[-1] == EOS:
            toks = toks[:-1]
        return self.decode_tokens(toks)

    def decode_text(self, seq: Sequence) -> str:
        return " ".join(self._vocab().decode(seq.tokens.tolist()))

    # ---- quality ------------------------------------------------------------------------------------
    def validate(self, structure: TopoDS_Shape) -> Validity:
        from sciGen.cad.validate import validate
        return validate(structure)

    def metrics(self, generated: list[TopoDS_Shape], reference: list[TopoDS_Shape], train: list | None = None,
                n_points: int = 2000, **kw: Any) -> dict[str, float]:
        from sciGen.cad.metrics import score
        from sciGen.cad.validate import validate
        ok = [s for s in generated if validate(s).ok]
        return {"valid": len(ok) / max(len(generated), 1)} | score(ok, reference, train or None, n_points)

    def reconstruction(self, shape: TopoDS_Shape) -> dict[str, Any]:
        """Tokenize a part and rebuild it: sequence length, strict validity (and why not), surface Chamfer-L1
        in the unit cube, the rebuilt shape."""
        from sciGen.cad.brep import normalize
        from sciGen.cad.metrics import surface_chamfer
        toks = self.token_strings(shape)
        report: dict[str, Any] = {"tokens": len(toks), "faces": toks.count("<bof>"),
                                  "edges": sum(t.startswith("r") for t in toks)}
        from sciGen.cad.build import build_valid
        fg, eg, ef = self.geometry(toks)
        rebuilt, reasons, used = build_valid(fg, eg, ef)
        report["sew_tolerance"] = used.sew if used else None
        ref = normalize(shape)
        report["valid"] = not reasons
        report["chamfer"] = surface_chamfer(rebuilt, ref) if rebuilt is not None and not reasons else None
        report["reasons"] = reasons
        summary = (f"{report['tokens']} tokens ({report['faces']} faces, {report['edges']} edges); round trip "
                   + (f"valid, surface Chamfer-L1 {report['chamfer']:.4f}" if report["valid"]
                      else f"invalid: {'; '.join(reasons)}"))
        return {"report": report, "summary": summary, "structure": rebuilt}

    def evaluate_folders(self, generated: str | Path, reference: str | Path | None = None,
                         train: str | Path | None = None, **kw: Any) -> dict[str, float]:
        from sciGen.cad.metrics import evaluate_folders
        return evaluate_folders(generated, reference, train, **kw)

    def preview(self, structures: list[TopoDS_Shape], path: str | Path, labels: list[str] | None = None,
                rows: list[str] | None = None) -> None:
        from sciGen.cad.preview import render
        render(structures, path, labels=labels, rows=rows)

    def write(self, structures: Any, path: str | Path, fmt: str = "step") -> int:
        """One STEP / BREP file, or a folder of ``NNNN.step`` files when ``path`` has no CAD suffix."""
        path = Path(path)
        if any(f.matches(path) for f in FORMATS):
            return super().write(structures, path)
        path.mkdir(parents=True, exist_ok=True)
        return len(write_folder([s for s in structures if isinstance(s, TopoDS_Shape)], path, fmt=fmt))

    def condition_id(self, name: str | None) -> int:
        """``easy`` / ``mid`` / ``hard`` (face-count complexity, as AutoBrep) or None for unconditional."""
        tok = f"<{name}>" if name else "<uncond>"
        if tok not in ("<uncond>", "<easy>", "<mid>", "<hard>"):
            raise ReadError(f"unknown CAD condition {name!r} (use easy, mid or hard)")
        return self._vocab().index[tok]

    # ---- sampling -----------------------------------------------------------------------------------
    sample_max_faces = 64  # faces per generated part (the procedural training parts have at most 64)

    def constraint(self, model: Any) -> Any:
        """The grammar mask for ``model.sample`` (:class:`~sciGen.cad.constraint.GrammarConstraint`)."""
        from sciGen.cad.constraint import GrammarConstraint
        return GrammarConstraint(self._vocab(), self.spec, self.sample_max_faces, model.cfg.transformer.max_len)

    def partial_tokens(self, shape: TopoDS_Shape, cond: str = "<uncond>") -> list[str]:
        """An open shell (some faces of a part) → the AutoBrep prefix of those faces, ending after the last
        face block, so sampling continues with more faces.  Edges with one face are left to the completion."""
        from sciGen.cad.dataset import normalized
        from sciGen.cad.record import PartError, part_record
        face_ae, edge_ae = self._aes()
        rec = part_record(shape, face_ae.cfg.grid, edge_ae.cfg.grid, max_faces=self.spec.max_faces, partial=True)
        fg, fb = zip(*(normalized(canonical_face_grid(g)) for g in rec.face_grids))
        if len(rec.edge_grids):
            eg, eb = (np.asarray(a) for a in zip(*(normalized(canonical_edge_grid(g)) for g in rec.edge_grids)))
        else:
            eg, eb = np.zeros((0, edge_ae.cfg.grid, 3)), np.zeros((0, 6))
        toks = self.serialize_part(np.asarray(fg), np.asarray(fb), eg, eb, rec.edge_faces, cond)
        if toks.count("<bol>") > 1 and any(len(nb) == 0 for nb in rec.adjacency()):
            raise PartError("the given faces are not connected by shared edges")
        return toks[:-1]  # drop the final <eol>: the last level stays open

    def sampling_knobs(self, model: Any, knobs: dict[str, Any], complete: str | Path | None = None) -> dict[str, Any]:
        """Turn CLI / API knobs into ``AutoBrep.sample`` arguments: the grammar constraint, and the prefix —
        a complexity condition (``easy`` / ``mid`` / ``hard``) or a partial B-Rep to autocomplete."""
        knobs = dict(knobs)
        cond = knobs.pop("condition", None)
        cond_tok = self._vocab().tokens[cond] if isinstance(cond, int) else "<uncond>"
        knobs.pop("cfg_scale", None)
        knobs.pop("top_k", None)
        if complete is not None:
            from sciGen.cad.brep import normalization
            shape = next(iter(self.read(complete)))
            knobs["condition"] = self.sequence(self.partial_tokens(shape, cond_tok))
            self.output_transform = normalization(shape).Inverted()  # completions come back in the input's frame
        else:
            knobs["condition"] = self.sequence([cond_tok])
        knobs["constraint"] = self.constraint(model)
        return knobs

    # ---- training -----------------------------------------------------------------------------------
    def training_datasets(self, data: Any, vocab: Vocab, model_cfg: dict, seed: int, generator: str = "",
                          console: Any = None) -> dict[str, Any]:
        from sciGen.cad.training import datasets
        return datasets(self, data, vocab, model_cfg, seed, generator, console)

