"""3D meshes: installed as ``sciGen.shapes``.

- :mod:`~sciGen.shapes.formats` — STL / OBJ / PLY / OFF / GLB (also .gz / .xz / .bz2) through trimesh
- :mod:`~sciGen.shapes.geometry` — normalisation, surface sampling, open3d inside / signed-distance
  queries, marching cubes with clean-up, coarse-to-fine grid evaluation
- :mod:`~sciGen.shapes.validate`, :mod:`~sciGen.shapes.metrics` (Chamfer, F-score, normal consistency,
  MMD / COV / 1-NNA), :mod:`~sciGen.shapes.preview`
- :mod:`~sciGen.shapes.procedural` — the procedural everyday-object set (manifold3d booleans)
- :mod:`~sciGen.shapes.adapter` — meshes ↔ VAT tokens; G3PT generates them
"""
