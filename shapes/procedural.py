"""Procedural everyday objects: parametric primitives fused with manifold3d booleans.

Each category (mug, table, chair, stool, bottle, bowl, lamp, vase, plus ``csg`` random compositions)
draws a discrete variant and continuous parameters from a seeded generator, so
``instance(category, i, seed)`` is the same mesh whatever batch it comes in.  Every mesh is one
watertight, winding-consistent component, Z up, centred with its longest side 1.8, and no part is
thinner than about 0.06 (what a 32×32 triplane occupancy tokenizer can hold).  Solids are built in
the spirit of constructive solid geometry datasets such as CSGNet (Sharma et al., CVPR 2018).
"""
from __future__ import annotations

import numpy as np
import trimesh
from manifold3d import CrossSection, Manifold, OpType

from sciGen.shapes.primitives import (SEG, SEG_REV, ball, box, centre, cone_shell, disk, extrude_xz,
                                      finish, is_solid, largest, loop_handle, profile, rod, rounded_rect,
                                      shell, slab, smooth, tmin, torus, wall)

CATEGORIES: tuple[str, ...] = ("mug", "table", "chair", "stool", "bottle", "bowl", "lamp", "vase", "csg")
OBJECT_CATEGORIES: tuple[str, ...] = CATEGORIES[:-1]
ATTEMPTS = 25
_ADD = OpType.Add


def _pick(rng: np.random.Generator, options: tuple[str, ...]) -> str:
    """One of ``options``, uniformly."""
    return options[int(rng.integers(len(options)))]


def _mug(rng: np.random.Generator) -> Manifold:
    """Straight, tapered, flared, barrel or footed cup with a ring, rounded or bracket handle."""
    H, R = rng.uniform(0.7, 1.3), rng.uniform(0.3, 0.5)
    body = _pick(rng, ("straight", "tapered", "flared", "barrel", "footed"))
    if body == "tapered" or body == "flared":
        k = rng.uniform(0.75, 0.9) if body == "tapered" else rng.uniform(1.1, 1.3)
        knots = [(R, 0.0), (R * k, H)]
    elif body == "barrel":
        knots = smooth([(R, 0.0), (R * rng.uniform(1.08, 1.18), H / 2), (R, H)], 16)
    elif body == "footed":
        knots = [(0.85 * R, 0.0), (0.85 * R, 0.06 * H), (R, 0.14 * H), (R, H)]
    else:
        knots = [(R, 0.0), (R, H)]
    knots = np.asarray(knots)
    tm = tmin(max(H, 2 * knots[:, 0].max() + 0.6 * H))
    t, ht = tm * rng.uniform(1.0, 1.5), tm * rng.uniform(1.2, 2.2)
    z0, z1 = H * rng.uniform(0.1, 0.3), H - t - ht * rng.uniform(0.5, 2.0)
    x_in = np.interp([z0, z1], knots[:, 1], knots[:, 0]).min() - 0.9 * ht
    x_out = knots[:, 0].max() + max(rng.uniform(0.25, 0.5) * (z1 - z0), 1.1 * ht + 1.5 * tm)
    cavity = Manifold.revolve(profile(knots).offset(-0.7 * t), SEG_REV)
    return shell(knots, t) + (loop_handle(rng, x_in, x_out, z0, z1, ht, tm) - cavity)


def _table(rng: np.random.Generator) -> Manifold:
    """Rect/rounded/round/oval top on legs (straight, splayed, stretchers, apron), pedestal or trestle."""
    kind = _pick(rng, ("dining", "coffee", "side"))
    W, H = {"dining": (rng.uniform(1.2, 2.0), rng.uniform(0.7, 0.8)),
            "coffee": (rng.uniform(0.9, 1.4), rng.uniform(0.35, 0.5)),
            "side": (rng.uniform(0.5, 0.8), rng.uniform(0.6, 1.05))}[kind]
    top = _pick(rng, ("rect", "rounded", "round", "oval"))
    D = W if top == "round" else W * rng.uniform(0.45, 0.9)
    support = _pick(rng, ("legs", "splayed", "stretchers", "pedestal", "trestle"))
    if support == "trestle" and top in ("round", "oval"):
        support = "pedestal"
    tm = tmin(max(W, D, H) * 1.05)
    tt, lw = tm * rng.uniform(1.1, 2.5), tm * rng.uniform(1.4, 3.0)
    outline = {"rect": CrossSection.square((W, D), center=True),
               "rounded": rounded_rect(W, D, rng.uniform(0.05, 0.3) * D, 24),
               "round": CrossSection.circle(W / 2, SEG_REV),
               "oval": CrossSection.circle(0.5, SEG_REV).scale((W, D))}[top]
    parts = [slab(outline, H - tt, H)]
    zt = H - tt / 2
    if support in ("pedestal", "trestle"):
        if support == "pedestal":
            pr = max(lw, rng.uniform(0.03, 0.08) * W)
            fr, fh = rng.uniform(0.25, 0.4) * min(W, D) + pr, tm * rng.uniform(1.3, 2.5)
            parts.append(rod((0, 0, fh / 2), (0, 0, zt), pr, pr * rng.uniform(0.6, 1.0), seg=SEG))
            if rng.random() < 0.5:
                parts.append(disk(fr, fr * rng.uniform(0.5, 1.0), fh))
            else:
                n = int(rng.integers(3, 5))
                a0 = rng.uniform(0, np.pi)
                for a in a0 + 2 * np.pi * np.arange(n) / n:
                    parts.append(rod((0, 0, fh), (fr * np.cos(a), fr * np.sin(a), fh / 2), fh / 2))
            return Manifold.batch_boolean(parts, _ADD)
        px, pt = W / 2 - rng.uniform(0.08, 0.2) * W, lw
        pd = D - 2 * rng.uniform(0.05, 0.15) * D
        for s in (-1, 1):
            parts += [box((pt, pd * 0.8, zt - 0.75 * tm), (s * px, 0, (zt + 0.75 * tm) / 2)),
                      box((pt * 1.5, pd, 1.5 * tm), (s * px, 0, 0.75 * tm))]
        parts.append(box((2 * px, pt, 1.5 * lw), (0, 0, H * rng.uniform(0.2, 0.5))))
        return Manifold.batch_boolean(parts, _ADD)
    if top in ("round", "oval"):
        f = rng.uniform(0.22, 0.32)
        tops = [(s * W * f, u * D * f, zt) for s in (-1, 1) for u in (-1, 1)]
    else:
        inset = lw / 2 + rng.uniform(0.0, 0.12) * D
        tops = [(s * (W / 2 - inset), u * (D / 2 - inset), zt) for s in (-1, 1) for u in (-1, 1)]
    spread = rng.uniform(1.08, 1.25) if support == "splayed" else 1.0
    feet = [(x * spread, y * spread, 0.0) for x, y, _ in tops]
    square = bool(rng.random() < 0.5)
    taper = rng.uniform(1.0, 1.5)
    parts += [rod(f, p, lw / 2, lw / 2 * taper, square=square) for f, p in zip(feet, tops)]
    ring = [tops[0], tops[1], tops[3], tops[2]]
    if support == "stretchers":
        zs, sr = H * rng.uniform(0.12, 0.35), max(tm * 0.6, lw * 0.35)
        pts = [(x, y, zs) for x, y, _ in ring]
        parts += [rod(a, b, sr, square=True) for a, b in zip(pts, pts[1:] + pts[:1])]
    elif support == "legs" and top in ("rect", "rounded") and rng.random() < 0.6:
        ah, at = rng.uniform(0.05, 0.12) * H, max(1.2 * tm, 0.6 * lw)
        for a, b in zip(ring, ring[1:] + ring[:1]):
            size = (abs(a[0] - b[0]) or at, abs(a[1] - b[1]) or at, ah)
            parts.append(box(size, ((a[0] + b[0]) / 2, (a[1] + b[1]) / 2, zt - ah / 2)))
    return Manifold.batch_boolean(parts, _ADD)


def _chair(rng: np.random.Generator) -> Manifold:
    """Seat on 4 legs; panel, round, tilted, vertical/horizontal-slat or splat back; arms, stretchers."""
    W, D = rng.uniform(0.8, 1.1), rng.uniform(0.75, 1.05)
    hs, hb = rng.uniform(0.8, 1.0), rng.uniform(0.6, 1.0)
    tm = tmin(max(W, D, hs + hb))
    ts, lw = tm * rng.uniform(1.2, 2.5), tm * rng.uniform(1.4, 2.6)
    sq = bool(rng.random() < 0.6)
    corner = rng.uniform(0.03, 0.12) * W if rng.random() < 0.5 else 0.0
    parts = [slab(rounded_rect(W, D, corner, 24), hs - ts, hs)]
    x = W / 2 - lw / 2 - max(corner * 0.3, rng.uniform(0.005, 0.04))
    yb, yf = D / 2 - lw / 2 - rng.uniform(0.005, 0.03), -(D / 2 - lw / 2 - rng.uniform(0.005, 0.04))
    back = _pick(rng, ("panel", "round", "slats_v", "slats_h", "splat", "tilted"))
    top = hs + hb
    post_top = hs - 0.4 * ts if back in ("tilted", "round") else top + rng.uniform(0.01, 0.08)
    for s in (-1, 1):
        parts.append(rod((s * x, yf, 0), (s * x, yf, hs - 0.4 * ts), lw / 2, square=sq))
        parts.append(rod((s * x, yb, 0), (s * x, yb, post_top), lw / 2, square=sq))
    bt = tm * rng.uniform(1.2, 2.0)
    inner = 2 * x - lw
    if back in ("panel", "tilted", "round"):
        z0 = hs - 0.7 * ts if back != "panel" else hs + rng.uniform(0.0, 0.5) * hb
        h, pw = top - z0, 2 * x + rng.uniform(0.2, 0.8) * lw
        cs = CrossSection.square((pw, h - (0.2 * h if back == "round" else 0))).translate((-pw / 2, z0))
        if back == "round":
            cap = CrossSection.circle(0.5, SEG_REV).scale((pw, 0.4 * h)).translate((0, top - 0.2 * h))
            cs = CrossSection.batch_hull([cs, cap])
        panel = extrude_xz(cs, bt).translate((0, yb, 0))
        if back == "tilted":
            panel = panel.translate((0, -yb, -hs)).rotate((-rng.uniform(5, 15), 0, 0)).translate((0, yb, hs))
        parts.append(panel)
    else:
        rh = tm * rng.uniform(1.4, 2.5)
        parts.append(box((inner + lw, bt, rh), (0, yb, top - rh / 2)))
        if back == "slats_v":
            n = min(int(rng.integers(2, 6)), max(1, int((inner - 1.2 * tm) / (2.4 * tm))))
            sw = max(1.2 * tm, min(rng.uniform(0.05, 0.12), (inner - (n + 1) * 1.2 * tm) / n))
            z_lo, z_hi = hs - ts / 2, top - rh / 2
            for cx in np.linspace(-inner / 2, inner / 2, n + 2)[1:-1]:
                parts.append(box((sw, bt * 0.8, z_hi - z_lo), (cx, yb, (z_lo + z_hi) / 2)))
        elif back == "slats_h":
            n = int(rng.integers(1, 4))
            for cz in np.linspace(hs + 0.25 * hb, top - rh, n + 1)[:-1]:
                parts.append(box((inner + lw, bt, rh), (0, yb, cz)))
        else:
            z_lo, z_hi = hs - ts / 2, top - rh / 2
            size = (inner * rng.uniform(0.25, 0.5), bt * 0.8, z_hi - z_lo)
            parts.append(box(size, (0, yb, (z_lo + z_hi) / 2)))
    if rng.random() < 0.3:
        za = hs + min(rng.uniform(0.2, 0.3), 0.6 * hb)
        for s in (-1, 1):
            parts += [rod((s * x, yf, hs - 0.7 * ts), (s * x, yf, za), lw / 2, square=sq),
                      rod((s * x, yf - lw / 2, za), (s * x, yb, za), lw * 0.6, square=True)]
    if rng.random() < 0.35:
        zs = hs * rng.uniform(0.15, 0.3)
        for a, b in (((-x, yf), (-x, yb)), ((x, yf), (x, yb)), ((-x, yf), (x, yf))):
            parts.append(rod((*a, zs), (*b, zs), max(0.6 * tm, lw * 0.35), square=sq))
    return Manifold.batch_boolean(parts, _ADD)


def _stool(rng: np.random.Generator) -> Manifold:
    """Round, cushion or square seat on 3-4 (splayed) legs with optional foot ring, or a pedestal."""
    h, rs = rng.uniform(0.45, 1.3), rng.uniform(0.2, 0.38)
    square, style = bool(rng.random() < 0.3), _pick(rng, ("legs", "legs", "pedestal"))
    n = 4 if square else int(rng.integers(3, 5))
    rl = rs * rng.uniform(0.6, 0.85)
    spread = rng.uniform(1.0, 1.5)
    tm = tmin(max(h, 2 * max(rs, rl * spread)))
    ts, lr = tm * rng.uniform(1.3, 3.0), tm * rng.uniform(0.7, 1.3)
    if square:
        seat = slab(rounded_rect(2 * rs, 2 * rs, rng.uniform(0.05, 0.4) * rs, 24), h - ts, h)
    elif rng.random() < 0.5:
        seat = Manifold.cylinder(ts, rs, rs, SEG_REV).translate((0, 0, h - ts))
    else:
        cr = min(0.45 * ts, 0.3 * rs)
        seat = Manifold.revolve(rounded_rect(2 * rs, ts, cr, 24), SEG_REV).translate((0, 0, h - ts / 2))
    parts, zt = [seat], h - ts / 2
    if style == "pedestal":
        cr, br = max(lr * 1.5, rs * 0.15), rs * rng.uniform(0.7, 1.1)
        parts += [rod((0, 0, tm * 0.6), (0, 0, zt), cr),
                  disk(br, br * rng.uniform(0.6, 1.0), tm * rng.uniform(1.3, 2.0))]
        if rng.random() < 0.6:
            zr, rr = h * rng.uniform(0.25, 0.45), rs * rng.uniform(0.6, 0.9)
            parts.append(torus(rr, lr, SEG_REV, 16).translate((0, 0, zr)))
            parts += [rod((0, 0, zr), (rr * np.cos(a), rr * np.sin(a), zr), lr * 0.8)
                      for a in 2 * np.pi * np.arange(3) / 3]
        return Manifold.batch_boolean(parts, _ADD)
    ang = np.pi / 4 + 2 * np.pi * np.arange(n) / n
    tops = [(rl * np.cos(a), rl * np.sin(a), zt) for a in ang]
    feet = [(spread * x, spread * y, 0.0) for x, y, _ in tops]
    sq = square and rng.random() < 0.7
    taper = rng.uniform(1.0, 1.3)
    parts += [rod(f, p, lr, lr * taper, square=sq) for f, p in zip(feet, tops)]
    if rng.random() < 0.5:
        zr = zt * rng.uniform(0.25, 0.45)
        ring = [tuple(np.add(f, np.subtract(t, f) * zr / zt)) for f, t in zip(feet, tops)]
        if square:
            parts += [rod(a, b, lr * 0.8, square=sq) for a, b in zip(ring, ring[1:] + ring[:1])]
        else:
            parts.append(torus(float(np.hypot(*ring[0][:2])), lr * 0.8, SEG_REV, 16).translate((0, 0, zr)))
    return Manifold.batch_boolean(parts, _ADD)


def _bottle(rng: np.random.Generator) -> Manifold:
    """Wine, water, jar or flask profile with round/cone/smooth shoulder, optional lip; hollow or solid."""
    kind = _pick(rng, ("wine", "water", "jar", "flask"))
    Rb = rng.uniform(0.3, 0.45)
    lo, hi = {"wine": ((1.0, 0.15, 0.35, 0.25), (1.3, 0.35, 0.55, 0.35)),
              "water": ((0.8, 0.2, 0.1, 0.3), (1.2, 0.4, 0.2, 0.45)),
              "jar": ((0.5, 0.05, 0.08, 0.65), (0.9, 0.15, 0.15, 0.9)),
              "flask": ((0.3, 0.4, 0.4, 0.2), (0.5, 0.6, 0.7, 0.3))}[kind]
    hb, hs, hn, fn = rng.uniform(lo, hi)  # body, shoulder and neck heights; neck radius / body radius
    Rn = Rb * fn
    H = hb + hs + hn
    tm = tmin(max(H, 2 * Rb))
    Rn = max(Rn, 1.5 * tm)
    shoulder = _pick(rng, ("round", "cone", "smooth"))
    s = np.linspace(0, 1, 14)[1:]
    prof = {"round": np.sqrt(1 - s**2), "cone": 1 - s, "smooth": 0.5 + 0.5 * np.cos(np.pi * s)}[shoulder]
    if kind == "flask":
        zb = np.linspace(0, 1, 14)
        body = np.column_stack([Rn + (Rb - Rn) * np.sin(np.pi * (0.15 + 0.849 * zb)) ** 0.7, zb * (hb + hs)])
        body[0, 0] = max(body[0, 0], 0.5 * Rb)
    else:
        body = np.vstack([[0.9 * Rb, 0.0], [Rb, 0.04 * H], [Rb, hb],
                          np.column_stack([Rn + (Rb - Rn) * prof, hb + hs * s])])
    lip = tm * rng.uniform(0.5, 1.2)
    neck = [[Rn, H - 0.08 * H], [Rn + lip, H - 0.08 * H], [Rn + lip, H]] if rng.random() < 0.6 else [[Rn, H]]
    pts = np.vstack([body, neck])
    t = tm * rng.uniform(1.0, 1.5)
    if rng.random() < 0.6 and Rn - t >= 1.5 * tm:
        return shell(pts, t)
    return Manifold.revolve(profile(pts), SEG_REV)


def _bowl(rng: np.random.Generator) -> Manifold:
    """Round, conical, deep or dish shell with optional flange rim and foot ring."""
    Rr = rng.uniform(0.6, 1.0)
    kind = _pick(rng, ("round", "conical", "deep", "dish"))
    d = Rr * {"round": rng.uniform(0.4, 0.6), "conical": rng.uniform(0.3, 0.6),
              "deep": rng.uniform(0.6, 0.9), "dish": rng.uniform(0.15, 0.25)}[kind]
    Rb = Rr * rng.uniform(0.3, 0.55)
    q = {"round": 0.5, "conical": 1.0, "deep": rng.uniform(0.4, 0.7), "dish": rng.uniform(0.3, 0.6)}[kind]
    z = np.linspace(0, 1, 16)
    pts = np.column_stack([Rb + (Rr - Rb) * z**q, d * z])
    tm = tmin(2 * Rr * 1.1)
    t = tm * rng.uniform(1.0, 1.6)
    parts = [wall(pts, t, rng.uniform(0.5, 0.8))]
    if rng.random() < 0.3:
        fl = Rr * rng.uniform(0.06, 0.15)
        parts.append(CrossSection.square((fl + t, t)).translate((Rr - 1.3 * t, d - 1.2 * t)))
    if rng.random() < 0.75:
        fo, fh = Rb * rng.uniform(0.7, 1.0), tm * rng.uniform(1.0, 2.0)
        fw = min(fo - tm, tm * rng.uniform(1.0, 1.8))
        parts.append(CrossSection.square((fw, fh + t / 2)).translate((fo - fw, -fh)))
    return Manifold.revolve(CrossSection.batch_boolean(parts, _ADD).simplify(1e-6), SEG_REV)


def _lamp(rng: np.random.Generator) -> Manifold:
    """Table, floor, uplight or bent-arm desk lamp: base, stem, open shade held by a hub and spokes."""
    kind = _pick(rng, ("table", "floor", "desk", "uplight"))
    H = {"table": rng.uniform(0.9, 1.4), "floor": rng.uniform(1.6, 2.2), "desk": rng.uniform(0.9, 1.3),
         "uplight": rng.uniform(1.4, 2.0)}[kind]
    hs = rng.uniform(0.2, 0.32) * (H if kind != "floor" else 1.4)
    rwide, rnarrow = hs * rng.uniform(0.8, 1.4), hs * rng.uniform(0.35, 0.9)
    br = rng.uniform(0.15, 0.3) * max(H * 0.6, 1.0)
    tm = tmin(max(H, 2 * rwide, br + 0.6 + 1.5 * rwide if kind == "desk" else 0.0) * 1.05)
    t, sr = tm * rng.uniform(1.0, 1.4), tm * rng.uniform(0.7, 1.2)
    rnarrow = max(rnarrow, t + 2 * tm)
    r0, r1 = (rnarrow, rwide) if kind == "uplight" else (rwide, rnarrow)
    hub_z = 0.0 if kind == "uplight" else hs
    r_hub = r0 if kind == "uplight" else r1
    head = [cone_shell(r0, r1, hs, t), ball((0, 0, hub_z), 1.4 * sr, 16)]
    rs = r_hub - t / 2
    head += [rod((0, 0, hub_z), (rs * np.cos(a), rs * np.sin(a), hub_z), sr * 0.7, seg=16)
             for a in 2 * np.pi * np.arange(3) / 3 + rng.uniform(0, np.pi)]
    if kind != "uplight" and rng.random() < 0.5:
        head.append(ball((0, 0, hub_z - 0.18 * hs), 0.16 * hs + sr, 24))
    head = Manifold.batch_boolean(head, _ADD)
    bh = tm * rng.uniform(1.3, 2.5)
    base = disk(br, br * rng.uniform(0.6, 1.0), bh) if rng.random() < 0.6 \
        else box((2 * br, 2 * br * rng.uniform(0.6, 1.0), bh), (0, 0, bh / 2))
    pr = sr * rng.uniform(1.0, 1.6)
    if kind == "desk":
        j = np.array([rng.uniform(-0.15, 0.05), 0, H * rng.uniform(0.4, 0.6)])
        e = np.array([rng.uniform(0.3, 0.6), 0, H - hs * 0.8])
        tilt = rng.uniform(20, 60)
        head = head.translate((0, 0, -hub_z)).rotate((0, -tilt, 0)).translate(tuple(e))
        arm = [rod((0, 0, bh / 2), j, pr), rod(j, e, pr), ball(j, pr * 1.6, 16)]
        return Manifold.batch_boolean([base, head] + arm, _ADD)
    top = H - hs + hub_z
    return Manifold.batch_boolean([base, rod((0, 0, bh / 2), (0, 0, top), pr),
                                   head.translate((0, 0, H - hs))], _ADD)


def _vase(rng: np.random.Generator) -> Manifold:
    """Open vessel through smooth random radii: spline, amphora, cylinder, trumpet or faceted."""
    kind = _pick(rng, ("spline", "amphora", "cylinder", "trumpet", "faceted"))
    H = rng.uniform(1.0, 1.8)
    tm = tmin(H * 1.05)
    t = tm * rng.uniform(1.0, 1.5)
    rmin = t + 2 * tm
    if kind == "amphora":
        r = [0.2, *rng.uniform((0.35, 0.3, 0.12, 0.18), (0.5, 0.42, 0.18, 0.26))]
    elif kind == "cylinder":
        r = list(rng.uniform(0.22, 0.32) * rng.uniform(0.9, 1.1, 3))
    elif kind == "trumpet":
        r = [rng.uniform(0.15, 0.22), rng.uniform(0.1, 0.14), rng.uniform(0.14, 0.2), rng.uniform(0.3, 0.45)]
    else:
        r = list(rng.uniform(0.1, 0.45, int(rng.integers(4, 8))))
        r[0] = max(r[0], 0.18)
    r = np.maximum(np.asarray(r) * H, rmin)
    pts = smooth(np.column_stack([r, np.linspace(0, H, len(r))]), 32)
    pts[:, 0] = np.maximum(pts[:, 0], rmin)
    pts = np.vstack([[pts[0, 0], -2 * t], pts])
    if kind != "faceted":
        return shell(pts, t)
    return shell(pts, t * 1.2, seg=int(rng.integers(6, 10)))


def _csg_prim(rng: np.random.Generator, tm: float) -> Manifold:
    """One randomly sized and rotated primitive centred at the origin."""
    kind = _pick(rng, ("box", "cylinder", "sphere", "cone", "torus"))
    a, b, c = rng.uniform(0.25, 0.9, 3)
    if kind == "box":
        m = Manifold.cube((a, b, c), center=True)
    elif kind == "cylinder":
        m = Manifold.cylinder(c, a / 2, a / 2, SEG, center=True)
    elif kind == "sphere":
        m = Manifold.sphere(a / 2, SEG_REV)
    elif kind == "cone":
        m = Manifold.cylinder(c, a / 2, max(2 * tm, a / 2 * rng.uniform(0, 0.6)), SEG, center=True)
    else:
        m = torus(a / 2, max(1.5 * tm, a / 2 * rng.uniform(0.2, 0.5)), SEG_REV, 24)
    rot = tuple(float(x) for x in rng.uniform(0, 360, 3)) if rng.random() < 0.7 else (0.0, 0.0, 0.0)
    return m.rotate(rot)


def _csg(rng: np.random.Generator) -> Manifold:
    """2-6 random boxes, cylinders, spheres, cones and tori: unions, differences, intersections."""
    tm = tmin(1.6)
    m = _csg_prim(rng, tm)
    for _ in range(int(rng.integers(1, 6))):
        lo, hi = np.asarray(m.bounding_box()).reshape(2, 3)
        p = _csg_prim(rng, tm).translate(tuple(lo + (hi - lo) * rng.uniform(0.2, 0.8, 3)))
        op = rng.random()
        if op < 0.4:
            q = m - p if op < 0.3 else m ^ p.translate(tuple(0.5 * ((lo + hi) / 2 - centre(p))))
            if q.volume() > 0.3 * m.volume() and is_solid(largest(q)):
                m = q
                continue
        m = m + p
    return largest(m)


_BUILDERS = {"mug": _mug, "table": _table, "chair": _chair, "stool": _stool, "bottle": _bottle,
             "bowl": _bowl, "lamp": _lamp, "vase": _vase, "csg": _csg}


def _check(category: str) -> int:
    """Index of ``category`` in CATEGORIES; ValueError naming the known ones otherwise."""
    if category not in CATEGORIES:
        raise ValueError(f"unknown shape category {category!r}; known: {', '.join(CATEGORIES)}")
    return CATEGORIES.index(category)


def make(category: str, rng: np.random.Generator) -> trimesh.Trimesh:
    """One normalised watertight mesh of ``category``; redraws from ``rng`` until the checks pass."""
    _check(category)
    for _ in range(ATTEMPTS):
        mesh = finish(_BUILDERS[category](rng))
        if mesh is not None:
            return mesh
    raise RuntimeError(f"could not build a valid {category!r} in {ATTEMPTS} attempts")


def instance(category: str, index: int, seed: int = 0) -> trimesh.Trimesh:
    """Instance ``index`` of ``category``: the same mesh whatever batch it is generated in."""
    return make(category, np.random.default_rng([seed, _check(category), index]))


def generate(category: str, n: int, seed: int = 0, start: int = 0) -> list[trimesh.Trimesh]:
    """Instances start .. start+n-1 of ``category``."""
    _check(category)
    return [instance(category, i, seed) for i in range(start, start + n)]
