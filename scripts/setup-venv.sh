#!/usr/bin/env bash
# Create (or reuse) .venv with torch, torchvision and the template's development tools.
#
# torch and torchvision (the generated project's images extra, which its image tests and
# the template's image proofs need) come first, pinned, in ONE pip command, so pip resolves
# them as a pair: a torchvision built for another torch build installs but does not import
# ("operator torchvision::nms does not exist"), as PyPI's 0.28.0, built for the CUDA torch,
# beside torch 2.13.0+cpu. torch 2.14.1 and torchvision 0.29.1 are built for each other
# (PyPI's CUDA build, which runs on a machine without a GPU; the .venv is about 5.5 GB).
# Choose another pair with TORCH_SPEC, TORCHVISION_SPEC and TORCH_INDEX_URL, e.g. the
# CPU wheels, as the template's GitHub workflow does:
#   TORCH_SPEC=torch TORCHVISION_SPEC=torchvision \
#     TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu bash scripts/setup-venv.sh
set -euo pipefail
cd "$(dirname "$0")/.."

TORCH_SPEC=${TORCH_SPEC:-torch==2.14.1}
TORCHVISION_SPEC=${TORCHVISION_SPEC:-torchvision==0.29.1}  # the release built for torch 2.14.1
python=${PYTHON:-python3}

if [ ! -x .venv/bin/python ]; then
    "$python" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet "$TORCH_SPEC" "$TORCHVISION_SPEC" \
    ${TORCH_INDEX_URL:+--index-url "$TORCH_INDEX_URL"}
.venv/bin/python -m pip install --quiet -r requirements-dev.txt
