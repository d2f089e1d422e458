#!/usr/bin/env bash
# Command 1: bake the default project, install it, train the example model,
# predict one sentence and run the project's own test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-venv.sh

# The default minimum Python (SPEC 0's) may be newer than this machine's: require this one.
python_version=$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')
.venv/bin/cookiecutter --no-input --overwrite-if-exists --output-dir .bake . python_version="$python_version"
project=$PWD/.bake/ml-project
cd "$project"

# The pip route (the project's README also shows uv's): pip >= 25.1 installs dependency groups.
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade "pip>=25.1"
# torch and the torchvision built for it in one command, as scripts/setup-venv.sh installs them.
.venv/bin/python -m pip install --quiet "${TORCH_SPEC:-torch==2.14.1}" \
    "${TORCHVISION_SPEC:-torchvision==0.29.1}" ${TORCH_INDEX_URL:+--index-url "$TORCH_INDEX_URL"}
.venv/bin/python -m pip install --quiet -e . --group dev

.venv/bin/python -m ml_project train --out model.pt
.venv/bin/python -m ml_project predict --model model.pt "the striker scored a late goal"
.venv/bin/python -m pytest -n auto

echo
echo "Your project is in $project (activate it with: . $project/.venv/bin/activate)"
