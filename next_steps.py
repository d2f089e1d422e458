"""What to do after baking: printed by cookiecutter's post-generation hook and by copier
(``_message_after_copy``), from this one text, so both engines say the same."""

import sys
from collections.abc import Mapping

NEXT_STEPS = """\
Your project is ready in {folder}/. Next steps:

    cd {folder}
    uv sync                  # .venv with CPU-only torch and the dev tools; writes uv.lock
    uv run pytest -n auto    # the fast suite, in seconds
    uv run python -m {module} train --out model.pt
    uv run python -m {module} predict --model model.pt "the striker scored twice"

Commit uv.lock: CI then installs exactly it (`uv sync --locked`). Without uv (pip >= 25.1):

    python{minimum} -m venv .venv && . .venv/bin/activate
    pip install --upgrade "pip>=25.1"
    pip install torch --index-url https://download.pytorch.org/whl/cpu   # skip for CUDA
    pip install -e . --group dev"""
OLDER_PYTHON = (
    "\n\nThis Python is {running}, older than the project's minimum {minimum}: uv sync "
    "fetches a {minimum} interpreter itself; for pip, install Python {minimum} first."
)


def next_steps(answers: Mapping[str, object], folder: str) -> str:
    """The commands that install, test, train and predict in the new project in ``folder``,
    and, when the Python running the engine is older than the project's minimum, one line
    saying so and how to get on (uv fetches a fitting interpreter by itself)."""
    minimum = str(answers["python_version"])
    running = (sys.version_info.major, sys.version_info.minor)
    text = NEXT_STEPS.format(folder=folder, module=answers["module_name"], minimum=minimum)
    if running < tuple(int(part) for part in minimum.split(".")):
        text += OLDER_PYTHON.format(running="{}.{}".format(*running), minimum=minimum)
    return text
