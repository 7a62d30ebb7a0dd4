# make demo — create .venv, install, generate molecules, crystals, shapes and CAD parts and sequence peptides with the shipped checkpoints into demo-out/
# make test — create .venv, install, run the test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test install bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml constraints.txt
	$(BIN)/python -m pip install -c constraints.txt -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/scigen info
	$(BIN)/scigen generate molecules -n 1000 -o demo-out/molecules.smi --preview demo-out/molecules.png
	$(BIN)/scigen generate molecules -n 16 -o demo-out/molecules.sdf --seed 1
	$(BIN)/scigen generate molecules --generator pard -n 200 -o demo-out/molecules-pard.smi --preview demo-out/molecules-pard.png
	$(BIN)/scigen generate molecules --generator unigenx-3d -n 50 -o demo-out/molecules-3d.sdf
	$(BIN)/scigen generate molecules --generator unigenx-3d --condition "CC(=O)O" -n 5 -o demo-out/acetic-acid-conformers.sdf
	$(BIN)/scigen generate shapes -n 6 -o demo-out/shapes --condition chair --preview demo-out/shapes.png
	$(BIN)/scigen generate shapes -n 6 -o demo-out/shapes-mug --condition mug --format stl --seed 1
	$(BIN)/scigen generate shapes --generator argus3d -n 2 -o demo-out/shapes-argus3d --condition chair
	$(BIN)/scigen generate shapes --generator mar3d -n 2 -o demo-out/shapes-mar3d --condition chair
	$(BIN)/python -m sciGen.shapes.preview demo-out/shapes-generators.png demo-out/shapes=G3PT demo-out/shapes-argus3d=Argus3D demo-out/shapes-mar3d=MAR-3D
	$(BIN)/scigen generate cad -n 24 -o demo-out/cad --keep-invalid --preview demo-out/cad.png
	$(BIN)/python -c "from sciGen.cad.procedural import instance; from sciGen.cad.brep import write_step; write_step(instance('block', 0, seed=1), 'demo-out/cad-block.step')"
	$(BIN)/scigen tokenize cad demo-out/cad-block.step --reconstruction demo-out/cad-block-roundtrip.step
	$(BIN)/scigen generate materials --condition SrTiO3 -n 5 -o demo-out/crystals-csp --preview demo-out/crystals-csp.png
	$(BIN)/scigen generate materials -n 100 -o demo-out/crystals --preview demo-out/crystals.png
	$(BIN)/scigen sequence tests/proteins/data/sample.mgf -o demo-out/peptides.mztab
	@echo "first PSMs (sequence, score, spectra_ref):"
	@grep '^PSM' demo-out/peptides.mztab | head -8 | cut -f2,9,15
	$(BIN)/scigen evaluate peptides demo-out/peptides.mztab --labels tests/proteins/data/sample.mgf
	@echo "demo-out/: molecules.smi (valid SMILES), molecules.png (first 16), molecules.sdf (3D), shapes/ (chairs, OBJ),"
	@echo "          shapes-mug/ (mugs, STL), shapes.png (preview), shapes-argus3d/ and shapes-mar3d/ (chairs of the other two"
	@echo "          shape generators), shapes-generators.png (one chair from each: G3PT, Argus3D, MAR-3D), cad/ (generated STEP parts, invalid ones kept: see cad-autobrep.md),"
	@echo "          cad-block.step and cad-block-roundtrip.step (a part and its AutoBrep token round trip),"
	@echo "          crystals-csp/ (SrTiO3 structure predictions, CIF) and crystals-csp.png, crystals/ (de novo Perov-5-like CIFs),"
	@echo "          peptides.mztab (de novo PSMs)"

test: install
	$(BIN)/python -m pytest -q

bench: install
	$(BIN)/python -m pip install -c constraints.txt -e '.[bench]'
	$(BIN)/python bench/molecules_sampling.py

clean:
	rm -rf demo-out runs .pytest_cache
