"""Procedural mechanical parts: sketch-and-extrude solids built with build123d, in the spirit of the
DeepCAD / Fusion 360 Gallery sketch-and-extrude designs (Wu et al. 2021; Willis et al. 2021).

Families (``FAMILIES``): ``plate`` (rectangular or rounded plates with hole patterns and pockets),
``l_bracket`` and ``u_bracket`` (extruded profiles with mounting holes), ``flange`` (a disc with a hub,
bolt circle and bore), ``shaft`` (stepped shafts with chamfers), ``boss`` (a block with bosses and
pockets), ``block`` (a block with slots and fillets).  Dimensions are in millimetres and sensible
(walls thicker than holes are wide, holes away from edges); fillets and chamfers are added where
they fit.  ``instance(family, i, seed)`` is the same part whatever batch it comes in; a part that
fails the strict validity check is redrawn from the same random stream.
"""
from __future__ import annotations

import numpy as np
from build123d import (Align, Axis, Box, BuildLine, BuildPart, BuildSketch, Circle, Cylinder, GridLocations,
                       Hole, Locations, Mode, Polyline, PolarLocations, Rectangle, RectangleRounded,
                       SlotCenterToCenter, chamfer, extrude, fillet, make_face)
from OCP.TopoDS import TopoDS_Shape

FAMILIES: tuple[str, ...] = ("plate", "l_bracket", "u_bracket", "flange", "shaft", "boss", "block")
ATTEMPTS = 25
MAX_FACES = 64  # parts with more faces are redrawn: the AutoBrep sequence stays short


def _r(rng: np.random.Generator, lo: float, hi: float, step: float = 0.5) -> float:
    """A dimension in [lo, hi] on a ``step`` grid, as designers round them."""
    return float(np.round(rng.uniform(lo, hi) / step) * step)


def _try(op, edges, **kw) -> None:
    """``fillet`` / ``chamfer`` the edges if OCC can; a feature that does not fit is simply left out."""
    try:
        op(edges, **kw)
    except Exception:  # noqa: BLE001
        pass


def _plate(rng: np.random.Generator) -> BuildPart:
    L, W, T = _r(rng, 40, 120), _r(rng, 30, 80), _r(rng, 3, 12)
    with BuildPart() as p:
        if rng.random() < 0.5:
            with BuildSketch():
                RectangleRounded(L, W, _r(rng, 2, min(L, W) / 4))
            extrude(amount=T)
        else:
            Box(L, W, T, align=(Align.CENTER, Align.CENTER, Align.MIN))
        d = _r(rng, 3, min(L, W) / 6)
        nx, ny = int(rng.integers(1, 4)), int(rng.integers(1, 3))
        with Locations((0, 0, T)):
            with GridLocations((L - 3 * d) / max(nx - 1, 1), (W - 3 * d) / max(ny - 1, 1), nx, ny):
                Hole(d / 2)
        if rng.random() < 0.5:  # a central pocket
            with BuildSketch(p.faces().sort_by(Axis.Z)[-1]):
                RectangleRounded(L * rng.uniform(0.2, 0.35), W * rng.uniform(0.2, 0.35), 1.0)
            extrude(amount=-T * rng.uniform(0.3, 0.6), mode=Mode.SUBTRACT)
        if rng.random() < 0.4:  # chamfer the top outline
            _try(chamfer, p.faces().sort_by(Axis.Z)[-1].outer_wire().edges(), length=min(1.0, T / 4))
    return p


def _profile_bracket(rng: np.random.Generator, u: bool) -> BuildPart:
    A, B, T, D = _r(rng, 25, 70), _r(rng, 20, 60), _r(rng, 3, 10), _r(rng, 20, 60)
    if u:
        pts = [(0, 0), (A, 0), (A, B), (A - T, B), (A - T, T), (T, T), (T, B), (0, B)]
    else:
        pts = [(0, 0), (A, 0), (A, T), (T, T), (T, B), (0, B)]
    with BuildPart() as p:
        with BuildSketch():
            with BuildLine():
                Polyline(*pts, close=True)
            make_face()
        extrude(amount=D)
        _try(fillet, p.edges().filter_by(Axis.Z).filter_by_position(Axis.X, T - 1e-3, T + 1e-3)
                    .filter_by_position(Axis.Y, T - 1e-3, T + 1e-3), radius=min(T, 4) * rng.uniform(0.3, 0.9))
        d = _r(rng, 3, min(D, A) / 5)
        base = p.faces().sort_by(Axis.Y)[0]  # the y = 0 face: holes through the base
        with BuildSketch(base):
            with GridLocations(max(A - 3 * d, 1) / 2, max(D - 3 * d, 1) / 2, 2, int(rng.integers(1, 3))):
                Circle(d / 2)
        extrude(amount=-T, mode=Mode.SUBTRACT)
    return p


def _l_bracket(rng: np.random.Generator) -> BuildPart:
    return _profile_bracket(rng, u=False)


def _u_bracket(rng: np.random.Generator) -> BuildPart:
    return _profile_bracket(rng, u=True)


def _flange(rng: np.random.Generator) -> BuildPart:
    R, T = _r(rng, 25, 60), _r(rng, 4, 12)
    hub_r, hub_h = R * rng.uniform(0.35, 0.55), _r(rng, 5, 25)
    bore = hub_r * rng.uniform(0.4, 0.75)
    with BuildPart() as p:
        Cylinder(R, T, align=(Align.CENTER, Align.CENTER, Align.MIN))
        with Locations((0, 0, T)):
            Cylinder(hub_r, hub_h, align=(Align.CENTER, Align.CENTER, Align.MIN))
        with Locations((0, 0, T + hub_h)):
            Hole(bore)
        n, d = int(rng.integers(3, 9)), _r(rng, 2.5, (R - hub_r) / 3)
        with Locations((0, 0, T)):
            with PolarLocations((R + hub_r) / 2, n):
                Hole(d / 2, T)
        if rng.random() < 0.6:
            _try(chamfer, p.edges().filter_by(lambda e: abs(e.center().Z - (T + hub_h)) < 1e-6)
                 .sort_by(lambda e: e.radius)[-1:], length=min(1.5, hub_h / 4))
    return p


def _shaft(rng: np.random.Generator) -> BuildPart:
    n = int(rng.integers(2, 5))
    radii = np.sort(rng.uniform(4, 20, n))[::-1]
    if rng.random() < 0.5:
        radii = np.concatenate([radii[1:][::-1], radii[:1]]) if n > 2 else radii
    with BuildPart() as p:
        z = 0.0
        for r in radii:
            h = _r(rng, 5, 40)
            with Locations((0, 0, z)):
                Cylinder(float(np.round(r)), h, align=(Align.CENTER, Align.CENTER, Align.MIN))
            z += h
        if rng.random() < 0.7:
            ends = p.edges().filter_by(lambda e: e.center().Z < 1e-6 or e.center().Z > z - 1e-6)
            _try(chamfer, ends, length=min(1.0, float(radii.min()) / 4))
        if rng.random() < 0.4:  # a keyway slot on the top step
            top = p.faces().sort_by(Axis.Z)[-1]
            with BuildSketch(top):
                SlotCenterToCenter(float(radii[-1]), float(radii[-1]) * 0.4)
            extrude(amount=-_r(rng, 2, 4), mode=Mode.SUBTRACT)
    return p


def _boss(rng: np.random.Generator) -> BuildPart:
    L, W, H = _r(rng, 40, 100), _r(rng, 30, 80), _r(rng, 8, 30)
    with BuildPart() as p:
        Box(L, W, H, align=(Align.CENTER, Align.CENTER, Align.MIN))
        n = int(rng.integers(1, 4))
        r = _r(rng, 3, min(L, W) / (2.5 * n + 1))
        with Locations((0, 0, H)):
            with GridLocations(L / (n + 1), 0, n, 1):
                Cylinder(r, _r(rng, 3, 15), align=(Align.CENTER, Align.CENTER, Align.MIN))
                if rng.random() < 0.6:
                    Hole(r / 2)
        if rng.random() < 0.6:  # a side pocket
            with BuildSketch(p.faces().sort_by(Axis.Y)[0]):
                Rectangle(L * rng.uniform(0.2, 0.5), H * rng.uniform(0.2, 0.5))
            extrude(amount=-W * rng.uniform(0.1, 0.3), mode=Mode.SUBTRACT)
        _try(fillet, p.edges().filter_by(Axis.Z).group_by(Axis.X)[0], radius=min(L, W) * rng.uniform(0.03, 0.1))
    return p


def _block(rng: np.random.Generator) -> BuildPart:
    L, W, H = _r(rng, 30, 90), _r(rng, 20, 70), _r(rng, 10, 40)
    with BuildPart() as p:
        Box(L, W, H, align=(Align.CENTER, Align.CENTER, Align.MIN))
        top = p.faces().sort_by(Axis.Z)[-1]
        with BuildSketch(top):
            w = min(L, W) * rng.uniform(0.15, 0.3)
            SlotCenterToCenter(L * rng.uniform(0.2, 0.5), w)
        extrude(amount=-H * rng.uniform(0.2, 0.6), mode=Mode.SUBTRACT)
        if rng.random() < 0.7:
            _try(fillet, p.edges().filter_by(Axis.Z).group_by(Axis.X)[-1], radius=min(L, W) * rng.uniform(0.05, 0.15))
        if rng.random() < 0.5:
            with Locations((L / 2, 0, H / 2)):
                Hole(min(W, H) * rng.uniform(0.1, 0.2), L * rng.uniform(0.2, 0.5))
    return p


_BUILDERS = {"plate": _plate, "l_bracket": _l_bracket, "u_bracket": _u_bracket, "flange": _flange,
             "shaft": _shaft, "boss": _boss, "block": _block}


def _check(family: str) -> int:
    if family not in FAMILIES:
        raise ValueError(f"unknown CAD family {family!r}; known: {', '.join(FAMILIES)}")
    return FAMILIES.index(family)


def make(family: str, rng: np.random.Generator) -> TopoDS_Shape:
    """One strictly valid solid of ``family`` (≤ MAX_FACES faces); redraws from ``rng`` until it is."""
    from sciGen.cad.brep import count
    from sciGen.cad.validate import validate
    _check(family)
    for _ in range(ATTEMPTS):
        try:
            shape = _BUILDERS[family](rng).part.wrapped
        except Exception:  # noqa: BLE001 - a random combination OCC cannot build: draw again
            continue
        if count(shape, "face") <= MAX_FACES and validate(shape).ok:
            return shape
    raise RuntimeError(f"could not build a valid {family!r} part in {ATTEMPTS} attempts")


def instance(family: str, index: int, seed: int = 0) -> TopoDS_Shape:
    """Part ``index`` of ``family``: the same solid whatever batch it is generated in."""
    return make(family, np.random.default_rng([seed, 1000 + _check(family), index]))


def generate(family: str, n: int, seed: int = 0, start: int = 0) -> list[TopoDS_Shape]:
    _check(family)
    return [instance(family, i, seed) for i in range(start, start + n)]
