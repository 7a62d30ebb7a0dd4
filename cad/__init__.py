"""CAD B-Reps (OCP / build123d): installed as ``sciGen.cad``.  The adapter arrives with issue 5."""
