"""Strict validity of a generated B-Rep, as the strongest published checks do (BrepGen, DTGBrepGen,
AutoBrep): exactly one solid and nothing else, ``BRepCheck_Analyzer`` valid, a closed shell (no free
edges, ``ShapeAnalysis_FreeBounds``), every wire ordered (walkable edge to edge and closed, :func:`wire_ordered`) and a
positive enclosed volume.  Each failure is a reason string; ``Validity.ok`` only when there is none.
"""
from __future__ import annotations

from OCP.BRepCheck import BRepCheck_Analyzer
from OCP.GProp import GProp_GProps
from OCP.BRepGProp import BRepGProp
from OCP.ShapeAnalysis import ShapeAnalysis_FreeBounds
from OCP.TopAbs import TopAbs_WIRE
from OCP.TopExp import TopExp, TopExp_Explorer
from OCP.BRepTools import BRepTools_WireExplorer
from OCP.TopoDS import TopoDS, TopoDS_Face, TopoDS_Iterator, TopoDS_Shape, TopoDS_Wire

from sciGen.adapter import Validity
from sciGen.cad.brep import count, subshapes


def solid_volume(shape: TopoDS_Shape) -> float:
    props = GProp_GProps()
    BRepGProp.VolumeProperties_s(shape, props)
    return float(props.Mass())


def free_edge_count(shape: TopoDS_Shape, tolerance: float = 1e-6) -> int:
    """Edges bounding only one face (open shell), by ``ShapeAnalysis_FreeBounds``."""
    fb = ShapeAnalysis_FreeBounds(shape, tolerance, False, False)
    return count(fb.GetClosedWires(), "edge") + count(fb.GetOpenWires(), "edge")


def wire_ordered(wire: TopoDS_Wire, face: TopoDS_Face) -> bool:
    """The wire can be walked edge to edge (``BRepTools_WireExplorer``, which follows shared vertices on
    ``face``) through all its edges and back to the start.  Boolean operations store a wire's edges in
    any order, which no CAD tool minds, and ``ShapeAnalysis_Wire.CheckOrder`` flags even
    ``BRepPrimAPI_MakeBox`` faces in this OCCT; so the check is on the walk, not the storage."""
    n = 0
    it = TopoDS_Iterator(wire)
    while it.More():
        n += 1
        it.Next()
    walk = BRepTools_WireExplorer(wire, face)
    edges, first = [], None
    while walk.More():
        edges.append(walk.Current())
        if first is None:
            first = TopExp.FirstVertex_s(walk.Current(), True)
        last = TopExp.LastVertex_s(walk.Current(), True)
        walk.Next()
    return n > 0 and len(edges) == n and first is not None and first.IsSame(last)


def unordered_wires(shape: TopoDS_Shape) -> int:
    """Wires, over all faces, whose edges are not in connection order (:func:`wire_ordered`)."""
    bad = 0
    for face in subshapes(shape, "face"):
        exp = TopExp_Explorer(face, TopAbs_WIRE)
        while exp.More():
            bad += not wire_ordered(TopoDS.Wire(exp.Current()), face)
            exp.Next()
    return bad


def validate(shape: TopoDS_Shape | None) -> Validity:
    if shape is None or shape.IsNull():
        return Validity(False, ["no shape"])
    reasons = []
    n_solids = count(shape, "solid")
    if n_solids != 1:
        reasons.append(f"{n_solids} solids (need exactly one)")
    else:
        solid = subshapes(shape, "solid")[0]
        extra = count(shape, "face") - count(solid, "face")
        if extra:
            reasons.append(f"{extra} faces outside the solid")
    if not BRepCheck_Analyzer(shape).IsValid():
        reasons.append("BRepCheck_Analyzer: invalid")
    free = free_edge_count(shape)
    if free:
        reasons.append(f"{free} free edges (open shell)")
    unordered = unordered_wires(shape)
    if unordered:
        reasons.append(f"{unordered} unordered wires")
    if n_solids == 1 and not solid_volume(shape) > 0:
        reasons.append("non-positive volume (inside-out solid)")
    return Validity(not reasons, reasons)
