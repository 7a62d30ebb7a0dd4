#!/usr/bin/env bash
# Create the separate Casanovo venv used by bench/peptide_throughput.py as a throughput baseline.
#   bash bench/casanovo_setup.sh            # idempotent: does nothing if the venv already imports casanovo
# Recipe (see shared/notes/casanovo-offline.md): torch first, then casanovo with torch and pyarrow pinned
# (without the pyarrow pin pip picks a pyarrow that fails on import against numpy<2).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="${CASANOVO_VENV:-$HERE/.casanovo-venv}"
PY="$VENV/bin/python"
TORCH_VERSION=2.13.0
CASANOVO_VERSION=5.2.1
PYARROW_VERSION=17.0.0

if [ -x "$PY" ] && "$PY" - <<PYEOF 2>/dev/null
import importlib.metadata as m, torch, pyarrow, casanovo.denovo.model  # noqa: F401
assert m.version("casanovo") == "$CASANOVO_VERSION", m.version("casanovo")
assert torch.__version__.split("+")[0] == "$TORCH_VERSION", torch.__version__
assert pyarrow.__version__ == "$PYARROW_VERSION", pyarrow.__version__
PYEOF
then
    echo "casanovo venv OK: $VENV"
    exit 0
fi

python3 -m venv "$VENV"
"$PY" -m pip install --quiet --upgrade pip
"$PY" -m pip install "torch==$TORCH_VERSION"
CONSTRAINTS="$(mktemp)"
trap 'rm -f "$CONSTRAINTS"' EXIT
printf 'torch==%s\npyarrow==%s\n' "$TORCH_VERSION" "$PYARROW_VERSION" > "$CONSTRAINTS"
"$PY" -m pip install "casanovo==$CASANOVO_VERSION" "pyarrow==$PYARROW_VERSION" -c "$CONSTRAINTS"
"$PY" -c "import casanovo.denovo.model, torch, pyarrow; print('casanovo venv ready:', torch.__version__, pyarrow.__version__)"
