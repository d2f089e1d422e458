#!/usr/bin/env bash
# Command 2: run the template's own tests (bake every option, lint and validate
# the output, run the generated suite, prove it catches seeded bugs).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-venv.sh
exec .venv/bin/python -m pytest tests/ -n auto "$@"
