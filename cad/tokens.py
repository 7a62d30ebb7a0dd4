"""The AutoBrep sequence (Xu et al. 2025): one token sequence for the topology and geometry of a B-Rep.

Faces are visited breadth-first over the face-adjacency graph.  The root is the face with the
lexicographically smallest quantised bounding box (xmin, ymin, zmin, xmax, ymax, zmax); each BFS level
is every unvisited neighbour of the previous level, ordered by the same key.  The sequence::

    <cond> <bol> FACE … <eol> <bol> FACE … <eol> … <eos>
    FACE = <bof> q×6 (bbox) f×4 (surface codes)  EDGE*  <eof>
    EDGE = r<k> (the earlier face it shares) q×6 (bbox) e×2 (curve codes)

An edge appears once, in the block of the later of its two faces; a face's edges are ordered by the
BFS index of the earlier face, then by quantised bbox.  ``<cond>`` is a complexity token (``<easy>`` for
< 25 faces as AutoBrep, ``<mid>`` below 50, ``<hard>``) or ``<uncond>``.  Reference tokens name faces by
BFS index (``r0`` … ``r{max_faces-1}``), so a reference can only name a face that already exists —
:class:`Grammar` enforces that and every other rule of the sequence at sampling time.

Grids are put in a canonical orientation before encoding (AutoBrep's "uv-invariant" form): a face grid
is flipped / transposed so its lexicographically smallest corner comes first and the [0, -1] corner
precedes the [-1, 0] one; an edge grid runs from its smaller end point to its larger one.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

COND = ("<uncond>", "<easy>", "<mid>", "<hard>")
STRUCT = ("<bol>", "<eol>", "<bof>", "<eof>")
N_BBOX, N_FACE_CODES, N_EDGE_CODES = 6, 4, 2


@dataclass
class TokenSpec:
    """Sizes that fix the vocabulary: bbox bins, face references, surface and curve codebooks."""

    bins: int = 512
    max_faces: int = 64
    face_codebook: int = 1000
    edge_codebook: int = 1000

    def tokens(self) -> list[str]:
        return (list(COND) + list(STRUCT) + [f"r{k}" for k in range(self.max_faces)]
                + [f"q{k}" for k in range(self.bins)] + [f"f{k}" for k in range(self.face_codebook)]
                + [f"e{k}" for k in range(self.edge_codebook)])

    def quantize(self, x: np.ndarray) -> np.ndarray:
        """coordinates in [-1, 1] → bins 0 … bins-1 (AutoBrep: round((x + 1)·(bins-1)/2))."""
        return np.clip(np.round((np.asarray(x) + 1) * (self.bins - 1) / 2), 0, self.bins - 1).astype(np.int64)

    def dequantize(self, q: np.ndarray) -> np.ndarray:
        return np.asarray(q, np.float64) * 2 / (self.bins - 1) - 1


def complexity(n_faces: int) -> str:
    return "<easy>" if n_faces < 25 else "<mid>" if n_faces < 50 else "<hard>"


def bbox(points: np.ndarray) -> np.ndarray:
    """(…, 3) points → (6,) xmin, ymin, zmin, xmax, ymax, zmax."""
    p = points.reshape(-1, 3)
    return np.concatenate([p.min(0), p.max(0)])


def canonical_face_grid(g: np.ndarray) -> np.ndarray:
    """(n, n, 3) → the same grid flipped / transposed to its canonical orientation."""
    best = None
    for t in (g, g.transpose(1, 0, 2)):
        for a in (t, t[::-1], t[:, ::-1], t[::-1, ::-1]):
            key = (tuple(a[0, 0]), tuple(a[0, -1]), tuple(a[-1, 0]))
            if best is None or key < best[0]:
                best = (key, a)
    return np.ascontiguousarray(best[1])


def canonical_edge_grid(g: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(g[::-1]) if tuple(g[-1]) < tuple(g[0]) else g


def bfs_order(face_boxes_q: np.ndarray, adjacency: list[set[int]]) -> list[list[int]]:
    """Levels of face indices: the root is the smallest quantised box; each level the unvisited
    neighbours of the previous one, sorted by quantised box (ties by index).  A disconnected remainder
    starts a new level at its smallest face."""
    n = len(face_boxes_q)
    rank = {f: r for r, f in enumerate(np.lexsort(face_boxes_q.T[::-1]))}
    seen: set[int] = set()
    levels: list[list[int]] = []
    while len(seen) < n:
        frontier = [min((f for f in range(n) if f not in seen), key=rank.__getitem__)]
        while frontier:
            levels.append(frontier)
            seen.update(frontier)
            nxt = {g for f in frontier for g in adjacency[f] if g not in seen}
            frontier = sorted(nxt, key=rank.__getitem__)
    return levels


@dataclass
class Layout:
    """The sequence plan of one part before codes: BFS levels and, per face (in BFS order), its edges as
    (earlier face BFS index, edge index in the record)."""

    levels: list[list[int]]
    order: list[int]  # record face index of each BFS position
    face_edges: list[list[tuple[int, int]]] = field(default_factory=list)


def adjacency(n_faces: int, edge_faces: np.ndarray) -> list[set[int]]:
    """Neighbouring faces of each face (through at least one edge (a, b))."""
    nb: list[set[int]] = [set() for _ in range(n_faces)]
    for a, b in edge_faces:
        nb[int(a)].add(int(b))
        nb[int(b)].add(int(a))
    return nb


def layout(face_boxes_q: np.ndarray, edge_boxes_q: np.ndarray, edge_faces: np.ndarray,
           neighbours: list[set[int]] | None = None) -> Layout:
    """The BFS plan of a part; ``neighbours`` defaults to the adjacency of ``edge_faces``."""
    if neighbours is None:
        neighbours = adjacency(len(face_boxes_q), edge_faces)
    levels = bfs_order(face_boxes_q, neighbours)
    order = [f for lv in levels for f in lv]
    pos = {f: i for i, f in enumerate(order)}
    per_face: list[list[tuple[int, int]]] = [[] for _ in order]
    for e, (a, b) in enumerate(edge_faces):
        early, late = sorted((pos[int(a)], pos[int(b)]))
        per_face[late].append((early, e))
    for lst in per_face:
        lst.sort(key=lambda t: (t[0], *edge_boxes_q[t[1]].tolist(), t[1]))
    return Layout(levels, order, per_face)


def serialize(lay: Layout, face_boxes_q: np.ndarray, face_codes: np.ndarray, edge_boxes_q: np.ndarray,
              edge_codes: np.ndarray, cond: str) -> list[str]:
    """Token strings of a part.  face_codes (F, 4) and edge_codes (E, 2) are indexed like the record."""
    out = [cond]
    k = 0
    for lv in lay.levels:
        out.append("<bol>")
        for _ in lv:
            f = lay.order[k]
            out += ["<bof>"] + [f"q{v}" for v in face_boxes_q[f]] + [f"f{c}" for c in face_codes[f]]
            for early, e in lay.face_edges[k]:
                out += [f"r{early}"] + [f"q{v}" for v in edge_boxes_q[e]] + [f"e{c}" for c in edge_codes[e]]
            out.append("<eof>")
            k += 1
        out.append("<eol>")
    return out


@dataclass
class ParsedPart:
    """What a sequence says, faces in BFS order: boxes are bins, edges name (earlier face, face)."""

    face_boxes_q: np.ndarray  # (F, 6)
    face_codes: np.ndarray  # (F, 4)
    edge_faces: np.ndarray  # (E, 2) BFS indices (earlier, later)
    edge_boxes_q: np.ndarray  # (E, 6)
    edge_codes: np.ndarray  # (E, 2)
    levels: list[int]  # level index of each face
    cond: str = "<uncond>"


class SequenceError(ValueError):
    """A token sequence that breaks the AutoBrep grammar (position and reason)."""


def parse(tokens: list[str]) -> ParsedPart:
    """Token strings (optionally ending in ``<eos>``) → :class:`ParsedPart`; a SequenceError names the
    first position that breaks the grammar."""
    g = Grammar.unbounded()
    for i, t in enumerate(tokens):
        if t == "<eos>" and i == len(tokens) - 1:
            break
        g.step(t, i)
    if not g.can_end():
        raise SequenceError(f"sequence ends inside a {g.state!r} (after {len(tokens)} tokens)")
    return g.result()


class Grammar:
    """The AutoBrep grammar as a state machine: ``allowed()`` lists the token kinds (and reference range)
    that may come next, ``step(token)`` advances.  Used to parse and to mask logits while sampling."""

    def __init__(self, spec: TokenSpec) -> None:
        self.spec = spec
        self.state = "cond"
        self.n_faces = 0
        self.level = -1
        self.level_start: list[int] = []  # first face index of each level
        self.count = 0  # tokens read in the current field
        self.faces_in_level = 0
        self.edges_in_face = 0
        self.last_ref = -1
        self.cond = "<uncond>"
        self.face_boxes: list[list[int]] = []
        self.face_codes: list[list[int]] = []
        self.edges: list[tuple[int, int]] = []
        self.edge_boxes: list[list[int]] = []
        self.edge_codes: list[list[int]] = []
        self.face_level: list[int] = []

    @classmethod
    def unbounded(cls) -> "Grammar":
        """A grammar with no limit on bins, faces or codes: to parse what any token spec wrote."""
        return cls(TokenSpec(bins=10**9, max_faces=10**9, face_codebook=10**9, edge_codebook=10**9))

    # ---- what may come next -------------------------------------------------------------------------
    def ref_range(self) -> tuple[int, int]:
        """[lo, hi) of face indices an edge of the current face may name: faces of the previous level and
        earlier faces of this level, not before the last reference (edges are sorted by it)."""
        cur = self.n_faces - 1
        lo = self.level_start[self.level - 1] if self.level >= 1 else self.level_start[self.level]
        return max(lo, self.last_ref), cur

    def allowed(self) -> dict[str, object]:
        """{'kinds': set of token kinds ('cond', 'struct:<bol>', 'r', 'q', 'f', 'e', 'eos'), 'ref': (lo, hi)}."""
        s = self.state
        if s == "cond":
            return {"kinds": {"cond"}}
        if s == "after_cond":
            return {"kinds": {"struct:<bol>"}}
        if s == "bol":
            return {"kinds": {"struct:<bof>"}}
        if s in ("face_box", "edge_box"):
            return {"kinds": {"q"}}
        if s == "face_code":
            return {"kinds": {"f"}}
        if s == "edge_code":
            return {"kinds": {"e"}}
        if s == "after_face":
            lo, hi = self.ref_range()
            kinds = set()
            if hi > lo:
                kinds.add("r")
            # a face after the first level must meet the previous level: its first reference does
            if self.level == 0 or self.edges_in_face > 0:
                kinds.add("struct:<eof>")
            if self.level >= 1 and self.edges_in_face == 0:
                lo, hi = self.level_start[self.level - 1], self.level_start[self.level]
            return {"kinds": kinds, "ref": (lo, hi)}
        if s == "eof":
            kinds = {"struct:<eol>"}
            if self.n_faces < self.spec.max_faces and self.level >= 0:
                kinds.add("struct:<bof>")
            return {"kinds": kinds}
        if s == "eol":
            kinds = {"eos"}
            if self.n_faces < self.spec.max_faces:
                kinds.add("struct:<bol>")
            return {"kinds": kinds}
        return {"kinds": set()}

    def can_end(self) -> bool:
        return self.state == "eol"

    # ---- advance ------------------------------------------------------------------------------------
    @staticmethod
    def kind(token: str) -> tuple[str, int]:
        if token in COND:
            return "cond", 0
        if token in STRUCT:
            return f"struct:{token}", 0
        if token == "<eos>":
            return "eos", 0
        if token[:1] in ("r", "q", "f", "e") and token[1:].isdigit():
            return token[0], int(token[1:])
        return "?", 0

    def step(self, token: str, position: int = -1) -> None:
        kind, value = self.kind(token)
        allowed = self.allowed()
        where = f"token {position} ({token!r})" if position >= 0 else repr(token)
        if kind not in allowed["kinds"]:
            raise SequenceError(f"{where}: expected one of {sorted(allowed['kinds'])} in state {self.state!r}")
        if kind == "r":
            lo, hi = allowed["ref"]
            if not lo <= value < hi:
                raise SequenceError(f"{where}: reference outside the faces it may name [{lo}, {hi})")
        s = self.state
        if kind == "cond":
            self.cond, self.state = token, "after_cond"
        elif kind == "struct:<bol>":
            self.level += 1
            self.level_start.append(self.n_faces)
            self.state = "bol"
        elif kind == "struct:<bof>":
            self.n_faces += 1
            self.face_level.append(self.level)
            self.face_boxes.append([])
            self.face_codes.append([])
            self.edges_in_face, self.last_ref = 0, -1
            self.state, self.count = "face_box", 0
        elif s == "face_box":
            self.face_boxes[-1].append(value)
            if len(self.face_boxes[-1]) == N_BBOX:
                self.state = "face_code"
        elif s == "face_code":
            self.face_codes[-1].append(value)
            if len(self.face_codes[-1]) == N_FACE_CODES:
                self.state = "after_face"
        elif kind == "r":
            self.edges.append((value, self.n_faces - 1))
            self.edge_boxes.append([])
            self.edge_codes.append([])
            self.edges_in_face += 1
            self.last_ref = value
            self.state = "edge_box"
        elif s == "edge_box":
            self.edge_boxes[-1].append(value)
            if len(self.edge_boxes[-1]) == N_BBOX:
                self.state = "edge_code"
        elif s == "edge_code":
            self.edge_codes[-1].append(value)
            if len(self.edge_codes[-1]) == N_EDGE_CODES:
                self.state = "after_face"
        elif kind == "struct:<eof>":
            self.state = "eof"
        elif kind == "struct:<eol>":
            self.state = "eol"
        elif kind == "eos":
            self.state = "end"

    def result(self) -> ParsedPart:
        return ParsedPart(np.asarray(self.face_boxes, np.int64).reshape(-1, N_BBOX),
                          np.asarray(self.face_codes, np.int64).reshape(-1, N_FACE_CODES),
                          np.asarray(self.edges, np.int64).reshape(-1, 2),
                          np.asarray(self.edge_boxes, np.int64).reshape(-1, N_BBOX),
                          np.asarray(self.edge_codes, np.int64).reshape(-1, N_EDGE_CODES),
                          list(self.face_level), self.cond)
