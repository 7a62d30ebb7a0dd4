"""3D meshes (trimesh / open3d): installed as ``sciGen.shapes``.  The adapter arrives with issue 4."""
