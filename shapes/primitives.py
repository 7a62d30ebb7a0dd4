"""Parametric solids and checks behind :mod:`sciGen.shapes.procedural` (manifold3d → trimesh).

Everything here returns a watertight ``manifold3d.Manifold`` (Z up); :func:`finish` normalises one
(bounding-box centre at the origin, longest side ``SIDE``), checks it and converts it to trimesh.
Revolved profiles are 2D point lists ``(N, 2)`` of (radius, z), bottom to top.
"""
from __future__ import annotations

import numpy as np
import trimesh
from manifold3d import CrossSection, Error, FillRule, JoinType, Manifold, OpType

SIDE = 1.8        # longest bounding-box side after normalisation
MIN_T = 0.07      # target thinnest part after normalisation (the tokenizer needs >= ~0.06)
SEG = 32          # circular segments of small round parts (legs, rods, handles)
SEG_REV = 48      # circular segments of revolved bodies


def tmin(extent: float) -> float:
    """Thinnest allowed part in build units for an object whose longest side is about ``extent``."""
    return MIN_T * extent / SIDE


def box(size, center=(0.0, 0.0, 0.0)) -> Manifold:
    """Axis-aligned box of ``size`` (3,) centred at ``center``."""
    return Manifold.cube(tuple(map(float, size)), center=True).translate(tuple(map(float, center)))


def frame(p0, p1) -> np.ndarray:
    """(3, 4) affine map taking the segment z ∈ [0, |p1-p0|] on the Z axis onto p0 → p1."""
    p0, p1 = np.asarray(p0, float), np.asarray(p1, float)
    z = (p1 - p0) / np.linalg.norm(p1 - p0)
    a = np.array([1.0, 0.0, 0.0]) if abs(z[0]) < 0.9 else np.array([0.0, 1.0, 0.0])
    x = np.cross(a, z)
    x /= np.linalg.norm(x)
    return np.column_stack([x, np.cross(z, x), z, p0])


def rod(p0, p1, r: float, r1: float | None = None, seg: int = SEG, square: bool = False) -> Manifold:
    """Round (or square, side 2r) bar from p0 to p1; ``r1`` tapers it towards p1."""
    n = float(np.linalg.norm(np.subtract(p1, p0)))
    if square:
        s = 1.0 if r1 is None else r1 / r
        m = Manifold.extrude(CrossSection.square((2 * r, 2 * r), center=True), n, scale_top=(s, s))
    else:
        m = Manifold.cylinder(n, r, r if r1 is None else r1, seg)
    return m.transform(frame(p0, p1))


def ball(center, r: float, seg: int = SEG) -> Manifold:
    """Sphere of radius r at ``center``."""
    return Manifold.sphere(r, seg).translate(tuple(map(float, center)))


def torus(major: float, minor: float, seg: int = SEG_REV, seg_tube: int = 24) -> Manifold:
    """Torus around the Z axis, centred at the origin."""
    return Manifold.revolve(CrossSection.circle(minor, seg_tube).translate((major, 0.0)), seg)


def disk(r0: float, r1: float, h: float, seg: int = SEG_REV) -> Manifold:
    """Round foot on z=0: radius r0 below, r1 on top, with a vertical rim of height 0.75 h."""
    pts = [[0.0, 0.0], [r0, 0.0], [r0, 0.75 * h], [r1, h], [0.0, h]]
    return Manifold.revolve(CrossSection([np.array(pts)], FillRule.NonZero), seg)


def slab(outline: CrossSection, z0: float, z1: float) -> Manifold:
    """Extrude a 2D XY outline between heights z0 and z1."""
    return Manifold.extrude(outline, z1 - z0).translate((0.0, 0.0, z0))


def rounded_rect(w: float, d: float, r: float, seg: int = SEG) -> CrossSection:
    """Centred w × d rectangle whose corners are rounded with radius r (< min(w, d) / 2)."""
    core = CrossSection.square((w - 2 * r, d - 2 * r), center=True)
    return core.offset(r, JoinType.Round, circular_segments=seg) if r > 0 else core


def extrude_xz(cs: CrossSection, depth: float) -> Manifold:
    """Extrude a 2D (x, z) outline ``depth`` along Y, centred on y = 0."""
    return Manifold.extrude(cs, depth).rotate((90.0, 0.0, 0.0)).translate((0.0, depth / 2, 0.0))


def loop_handle(rng: np.random.Generator, x_in: float, x_out: float, z0: float, z1: float, ht: float,
                tm: float) -> Manifold:
    """Loop handle in the XZ plane spanning x_in..x_out and z0..z1 with bar thickness ht."""
    kind = ("ring", "rounded", "bracket")[int(rng.integers(3))]
    if kind == "ring":
        ax, az = (x_out - x_in) / 2 - ht / 2, (z1 - z0) / 2 - ht / 2
        r = min(ax, az)
        ring = torus(r, ht / 2, SEG, 16).rotate((90.0, 0.0, 0.0)).scale((ax / r, 1.0, az / r))
        return ring.translate(((x_in + x_out) / 2, 0.0, (z0 + z1) / 2))
    if kind == "rounded":
        w, h = x_out - x_in, z1 - z0
        rr = min(rng.uniform(ht, ht + 0.4 * min(w, h)), 0.49 * min(w, h))
        out = rounded_rect(w, h, rr, 24)
        loop = (out - out.offset(-ht, circular_segments=24)).translate(((x_in + x_out) / 2, (z0 + z1) / 2))
        return extrude_xz(loop, rng.uniform(1.2, 2.2) * tm)
    sq, xo = bool(rng.random() < 0.5), x_out - ht / 2
    pts = [(x_in, 0.0, z1 - ht / 2), (xo, 0.0, z1 - ht / 2), (xo, 0.0, z0 + ht / 2), (x_in, 0.0, z0 + ht / 2)]
    bars = [rod(a, b, ht / 2, square=sq) for a, b in zip(pts[:-1], pts[1:])]
    joints = [box((ht, ht, ht), p) if sq else ball(p, ht / 2, 16) for p in pts[1:3]]
    return Manifold.batch_boolean(bars + joints, OpType.Add)


def smooth(knots, n: int = 40) -> np.ndarray:
    """Catmull-Rom curve (n, 2) through 2D ``knots`` (K, 2), K >= 2."""
    k = np.asarray(knots, float)
    p = np.vstack([2 * k[0] - k[1], k, 2 * k[-1] - k[-2]])
    t = np.linspace(0.0, len(k) - 1, n)
    i = np.minimum(t.astype(int), len(k) - 2)
    u = (t - i)[:, None]
    p0, p1, p2, p3 = p[i], p[i + 1], p[i + 2], p[i + 3]
    return 0.5 * (2 * p1 + (p2 - p0) * u + (2 * p0 - 5 * p1 + 4 * p2 - p3) * u**2
                  + (3 * p1 - p0 - 3 * p2 + p3) * u**3)


def profile(points) -> CrossSection:
    """The region inside a (radius, z) profile mirrored about the axis (bottom edge closed)."""
    p = np.asarray(points, float)
    p = p[np.r_[True, np.any(np.abs(np.diff(p, axis=0)) > 1e-9, axis=1)]]
    poly = np.vstack([p, p[::-1] * [-1.0, 1.0]])
    return CrossSection([poly], FillRule.NonZero)


def wall(points, t: float, bead: float = 0.5) -> CrossSection:
    """2D wall (radius, z) of a vessel: thickness t inside the profile, closed bottom, open top.

    The rim is cut square to the wall at the last point and capped with a round bead of radius
    ``bead * t``, so flared rims end in no knife edge.
    """
    p = np.asarray(points, float)
    u = p[-1] - p[-2]
    u /= np.linalg.norm(u)
    slope = float(np.clip(u[0] / max(u[1], 1e-6), -0.3, 20.0))
    (ra, za), lo, big = p[-1], p[0, 1] - 1.0, 4 * np.abs(p[:, 0]).max() + 1.0
    e = p[-1] + 3 * t * u
    outer = profile(np.vstack([p, e, [e[0], za + ra * max(slope, 0.0) + 4 * t]]))
    inner = outer.offset(-t, JoinType.Round, circular_segments=24)
    keep = [[-big, lo], [big, lo], [big, za], [ra, za], [0.0, za + ra * slope], [-ra, za], [-big, za]]
    rim = p[-1] + 0.5 * t * np.array([-u[1], u[0]])
    beads = [CrossSection.circle(bead * t, 16).translate(tuple(rim * s)) for s in ([1, 1], [-1, 1])]
    cs = CrossSection.batch_boolean([(outer - inner) ^ CrossSection([np.array(keep)]), *beads], OpType.Add)
    return cs.simplify(1e-6 * big)


def shell(points, t: float, seg: int = SEG_REV, bead: float = 0.5) -> Manifold:
    """Revolved hollow vessel (see :func:`wall`)."""
    return Manifold.revolve(wall(points, t, bead), seg)


def cone_shell(r0: float, r1: float, h: float, t: float, seg: int = SEG_REV) -> Manifold:
    """Truncated-cone wall open at both ends (radius r0 at z=0, r1 at z=h, thickness t inward)."""
    a, b = np.array([r0, 0.0]), np.array([r1, h])
    n = np.array([-(b - a)[1], (b - a)[0]]) / np.linalg.norm(b - a) * t
    band = CrossSection([np.array([a, b, b + n, a + n])], FillRule.NonZero)
    ends = [CrossSection.circle(0.5 * t, 16).translate(tuple(q + n / 2)) for q in (a, b)]
    return Manifold.revolve(CrossSection.batch_boolean([band, *ends], OpType.Add), seg)


def largest(m: Manifold) -> Manifold:
    """The component of ``m`` with the largest volume."""
    parts = m.decompose()
    return max(parts, key=lambda q: q.volume()) if len(parts) > 1 else m


def normalise(m: Manifold, side: float = SIDE) -> Manifold:
    """Centre the bounding box at the origin and scale its longest side to ``side``."""
    b = np.asarray(m.bounding_box()).reshape(2, 3)
    s = side / float((b[1] - b[0]).max())
    return m.translate(tuple(-(b[0] + b[1]) / 2)).scale((s, s, s))


def thin_fraction(m: Manifold, t: float, rng: np.random.Generator, n: int = 400) -> float:
    """Area fraction of the surface thinner than t: rays cast inward along the normal at n samples."""
    mesh = m.to_mesh()
    v, f = np.asarray(mesh.vert_properties)[:, :3], np.asarray(mesh.tri_verts)
    tri = v[f]
    cr = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    area = np.linalg.norm(cr, axis=1)
    pick = rng.choice(len(f), n, p=area / area.sum())
    w = rng.dirichlet(np.ones(3), n)
    pts = np.einsum("nk,nkd->nd", w, tri[pick])
    nrm = cr[pick] / np.maximum(area[pick], 1e-30)[:, None]
    a, b = pts - 1e-6 * nrm, pts - t * nrm
    thin = sum(bool(m.ray_cast(tuple(a[i]), tuple(b[i]))) for i in range(n))
    return thin / n


def centre(m: Manifold) -> np.ndarray:
    """Bounding-box centre (3,)."""
    return np.asarray(m.bounding_box()).reshape(2, 3).mean(0)


def is_solid(m: Manifold) -> bool:
    """No more than 2% of the surface thinner than the limit, at m's eventual normalised scale."""
    lo, hi = np.asarray(m.bounding_box()).reshape(2, 3)
    t = 0.75 * tmin(float((hi - lo).max()))
    return thin_fraction(m, t, np.random.default_rng(0), 200) <= 0.02


def to_trimesh(m: Manifold) -> trimesh.Trimesh:
    """Manifold → trimesh (processed: duplicate vertices merged)."""
    mesh = m.to_mesh64()
    return trimesh.Trimesh(np.asarray(mesh.vert_properties)[:, :3].astype(np.float64),
                           np.asarray(mesh.tri_verts).astype(np.int64), process=True)


def problems(mesh: trimesh.Trimesh) -> list[str]:
    """Why ``mesh`` is not a clean solid (empty when it is)."""
    out = []
    if not mesh.is_watertight:
        out.append("not watertight")
    if not mesh.is_winding_consistent:
        out.append("winding inconsistent")
    if not mesh.volume > 0:
        out.append("non-positive volume")
    if not mesh.nondegenerate_faces().all():
        out.append("degenerate faces")
    if mesh.body_count != 1:
        out.append(f"{mesh.body_count} components")
    return out


def finish(m: Manifold, max_thin: float = 0.03) -> trimesh.Trimesh | None:
    """Normalise and check a built solid; None when it is broken, split or too thin in places."""
    if m.status() != Error.NoError or m.is_empty() or len(m.decompose()) != 1:
        return None
    m = normalise(m).simplify(1e-5)
    if thin_fraction(m, 0.75 * MIN_T, np.random.default_rng(0)) > max_thin:
        return None
    mesh = to_trimesh(m)
    return None if problems(mesh) else mesh
