#!/usr/bin/env bash
# Create (or reuse) .venv with torch and the template's development tools.
#
# torch comes first and pinned: an unpinned torch pulls a multi-GB CUDA build.
# Choose another build with TORCH_SPEC and TORCH_INDEX_URL, e.g.
#   TORCH_SPEC=torch TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu bash scripts/setup-venv.sh
set -euo pipefail
cd "$(dirname "$0")/.."

TORCH_SPEC=${TORCH_SPEC:-torch==2.13.0}
python=${PYTHON:-python3}

if [ ! -x .venv/bin/python ]; then
    "$python" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet "$TORCH_SPEC" ${TORCH_INDEX_URL:+--index-url "$TORCH_INDEX_URL"}
.venv/bin/python -m pip install --quiet -r requirements-dev.txt
