#!/usr/bin/env bash
# Command 1: bake the default project, install it, train the example model,
# predict one sentence and run the project's own test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-venv.sh

.venv/bin/cookiecutter --no-input --overwrite-if-exists --output-dir .bake .
project=$PWD/.bake/ml-project
cd "$project"

python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet "${TORCH_SPEC:-torch==2.13.0}" ${TORCH_INDEX_URL:+--index-url "$TORCH_INDEX_URL"}
.venv/bin/python -m pip install --quiet -e ".[dev]"

.venv/bin/python -m ml_project train --out model.pt
.venv/bin/python -m ml_project predict --model model.pt "the striker scored a late goal"
.venv/bin/python -m pytest -n auto

echo
echo "Your project is in $project (activate it with: . $project/.venv/bin/activate)"
