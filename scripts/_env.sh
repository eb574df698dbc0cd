# Sourced by scripts/test and scripts/up: make .venv with kuradb installed, then activate it.
# Works on a fresh Debian machine with Python >= 3.11 (installs python3-venv with apt-get if
# the interpreter lacks venv/ensurepip). Set PYTHON to choose the interpreter.
PY=${PYTHON:-python3}
if ! "$PY" -c 'import sys; assert sys.version_info >= (3, 11)' 2>/dev/null; then
    echo "KuraDB needs Python >= 3.11 (found: $("$PY" --version 2>&1))" >&2
    exit 2
fi
if ! "$PY" -c 'import ensurepip, venv' 2>/dev/null; then
    # Debian splits venv/ensurepip out of the interpreter package.
    if command -v apt-get >/dev/null 2>&1; then
        apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null
    fi
fi
if [ ! -x .venv/bin/python ]; then
    "$PY" -m venv .venv
fi
. .venv/bin/activate
_stamp=.venv/.kuradb-installed
if [ ! -f "$_stamp" ] || [ pyproject.toml -nt "$_stamp" ]; then
    python -m pip install -q --upgrade pip
    python -m pip install -q -e '.[dev]'
    touch "$_stamp"
fi
