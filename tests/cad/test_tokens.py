"""AutoBrep sequence: BFS layout, serialise → parse round trip, grammar errors, canonical grids."""
from __future__ import annotations

import numpy as np
import pytest

from sciGen.cad.procedural import instance
from sciGen.cad.record import PartError, check_part, part_record
from sciGen.cad.tokens import (Grammar, SequenceError, TokenSpec, bbox, bfs_order, canonical_edge_grid,
                               canonical_face_grid, complexity, layout, parse, serialize)


def _tokens(shape, spec: TokenSpec):
    r = part_record(shape)
    fq = np.array([spec.quantize(bbox(g)) for g in r.face_grids])
    eq = np.array([spec.quantize(bbox(g)) for g in r.edge_grids])
    lay = layout(fq, eq, r.edge_faces, r.adjacency())
    rng = np.random.default_rng(0)
    fc, ec = rng.integers(0, 1000, (r.n_faces, 4)), rng.integers(0, 1000, (len(eq), 2))
    return r, lay, fq, fc, eq, ec, serialize(lay, fq, fc, eq, ec, complexity(r.n_faces))


def test_serialise_parse_round_trip_and_bfs_properties() -> None:
    spec = TokenSpec()
    r, lay, fq, fc, eq, ec, toks = _tokens(instance("flange", 1), spec)
    p = parse(toks + ["<eos>"])
    np.testing.assert_array_equal(p.face_boxes_q, fq[lay.order])
    np.testing.assert_array_equal(p.face_codes, fc[lay.order])
    assert len(p.edge_faces) == len(eq) and (p.edge_faces[:, 0] < p.edge_faces[:, 1]).all()
    # every edge joins faces of the same or adjacent BFS levels; the root is the smallest box
    lv = np.array(p.levels)
    assert (np.abs(lv[p.edge_faces[:, 0]] - lv[p.edge_faces[:, 1]]) <= 1).all()
    assert lay.order[0] == int(np.lexsort(fq.T[::-1])[0])
    # the same faces in another order give the same sequence (the order is canonical)
    perm = np.random.default_rng(1).permutation(r.n_faces)
    inv = np.argsort(perm)
    adj = [{int(inv[g]) for g in r.adjacency()[perm[f]]} for f in range(r.n_faces)]
    lay2 = layout(fq[perm], eq, inv[r.edge_faces], adj)
    assert serialize(lay2, fq[perm], fc[perm], eq, ec, "<mid>")[1:] == toks[1:]


def test_grammar_rejects_bad_sequences() -> None:
    spec = TokenSpec()
    *_, toks = _tokens(instance("plate", 2), spec)
    with pytest.raises(SequenceError, match="ends inside"):
        parse(toks[:-3])
    first_ref = next(i for i, t in enumerate(toks) if t.startswith("r"))
    bad = toks[:first_ref] + [f"r{10**6}"] + toks[first_ref + 1:]
    with pytest.raises(SequenceError, match="reference outside"):
        parse(bad)
    with pytest.raises(SequenceError, match="expected one of"):
        parse(["<easy>", "<bof>"])
    g = Grammar(spec)
    for t in ["<easy>", "<bol>", "<bof>"] + ["q1"] * 6 + ["f3"] * 4:
        g.step(t)
    assert g.allowed()["kinds"] == {"struct:<eof>"}  # the root face has no earlier face to reference


def test_canonical_grids_and_bfs_of_disconnected_faces() -> None:
    g = np.random.default_rng(0).normal(size=(8, 8, 3))
    c = canonical_face_grid(g)
    for variant in (g[::-1], g[:, ::-1], g.transpose(1, 0, 2), g[::-1, ::-1].transpose(1, 0, 2)):
        np.testing.assert_array_equal(canonical_face_grid(variant), c)
    e = np.random.default_rng(1).normal(size=(5, 3))
    np.testing.assert_array_equal(canonical_edge_grid(e[::-1]), canonical_edge_grid(e))
    boxes = np.array([[3] * 6, [1] * 6, [2] * 6])
    assert bfs_order(boxes, [set(), {2}, {1}]) == [[1], [2], [0]]


def test_assemblies_and_open_shells_are_refused() -> None:
    from sciGen.cad.brep import compound, subshapes
    from build123d import Box, Pos
    two = compound([Box(1, 1, 1).wrapped, (Pos(3, 0, 0) * Box(1, 1, 1)).wrapped])
    with pytest.raises(PartError, match="an assembly of 2 solids"):
        check_part(two)
    with pytest.raises(PartError, match="no solid"):
        check_part(compound(subshapes(Box(1, 1, 1).wrapped, "face")[:5]))
    r = part_record(compound(subshapes(Box(1, 1, 1).wrapped, "face")[:5]), partial=True)
    assert r.n_faces == 5 and len(r.edge_faces) == 8  # the 4 free edges of the missing lid are left out
