"""Baking the template and running commands in what it bakes."""

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from cookiecutter.main import cookiecutter

TEMPLATE = Path(__file__).resolve().parents[1]
# The running interpreter as a python_version answer: a project baked with it installs
# here (the default minimum, SPEC 0's, can be newer than the Python running the tests).
RUNNING_PYTHON = "{}.{}".format(*sys.version_info[:2])
BIN = Path(sys.executable).parent  # ruff, zizmor, check-jsonschema and cruft live beside python


def bake_into(output_dir: Path, **answers: str) -> Path:
    """Bake the template with ``answers`` (defaults for the rest); return the project folder."""
    project = cookiecutter(
        str(TEMPLATE), no_input=True, extra_context=answers, output_dir=str(output_dir)
    )
    return Path(project)


def run(
    *command: object, cwd: Path | None = None, check: bool = True
) -> subprocess.CompletedProcess:
    """Run a command, capturing its output, and fail with that output when it fails.

    The command gets this environment minus pytest's and its plugins' variables: an
    xdist worker's PYTEST_XDIST_WORKER would make a baked project's own pytest believe
    it is a worker too.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "COV_CORE_"))}
    result = subprocess.run(
        [str(c) for c in command], cwd=cwd, env=env, capture_output=True, text=True
    )
    if check and result.returncode != 0:
        pytest.fail(f"{command} exited {result.returncode}\n{result.stdout}\n{result.stderr}")
    return result


def read_pyproject(project: Path) -> dict:
    """The baked project's pyproject.toml, parsed (which also proves it is valid TOML)."""
    return tomllib.loads((project / "pyproject.toml").read_text())
