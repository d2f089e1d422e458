#!/usr/bin/env bash
# Create (or reuse) .venv with torch and the template's development tools.
#
# torch comes first and pinned: an unpinned torch pulls a multi-GB CUDA build. torchvision
# (the generated project's images extra, which its image tests need) comes in the same
# command from the same index, pinned to the release built for that torch: a torchvision
# of another build fails to import ("operator torchvision::nms does not exist").
# Choose another build with TORCH_SPEC, TORCHVISION_SPEC and TORCH_INDEX_URL, e.g.
#   TORCH_SPEC=torch TORCHVISION_SPEC=torchvision \
#     TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu bash scripts/setup-venv.sh
# TORCHVISION_SPEC= (empty) leaves torchvision out: the image tests are then skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

TORCH_SPEC=${TORCH_SPEC:-torch==2.13.0}
TORCHVISION_SPEC=${TORCHVISION_SPEC-torchvision==0.28.0}  # the release for torch 2.13
python=${PYTHON:-python3}

if [ ! -x .venv/bin/python ]; then
    "$python" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet "$TORCH_SPEC" ${TORCHVISION_SPEC:+"$TORCHVISION_SPEC"} \
    ${TORCH_INDEX_URL:+--index-url "$TORCH_INDEX_URL"}
.venv/bin/python -m pip install --quiet -r requirements-dev.txt
# A torchvision built for another torch build (PyPI's CUDA one beside a +cpu torch) installs
# but cannot import: take it out again, saying so, rather than fail every image test.
if [ -n "$TORCHVISION_SPEC" ] && ! .venv/bin/python -c "import torchvision.io" 2>/dev/null; then
    echo "setup-venv: $TORCHVISION_SPEC does not work with $(.venv/bin/python -c \
'import torch; print("torch", torch.__version__)'); uninstalled, so the image tests are" \
        "skipped. Install a matching pair from one index (TORCH_INDEX_URL)." >&2
    .venv/bin/python -m pip uninstall --quiet --yes torchvision
fi
