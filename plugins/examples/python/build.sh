#!/bin/sh
# Builds plugin.wasm from app.py with componentize-py (set COMPONENTIZE_PY to its path).
set -eu
cd "$(dirname "$0")"
WIT="${HEARTH_WIT:-../../../wit}"
"${COMPONENTIZE_PY:-componentize-py}" -d "$WIT" -w plain-command componentize app -o plugin.wasm
