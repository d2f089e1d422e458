"""What the engines print after baking (next_steps.py): the commands to run next, and one
line when the Python running the engine is older than the project's minimum."""

import sys
from types import SimpleNamespace

import pytest
from baking import BIN, TEMPLATE, run

from next_steps import next_steps

DEFAULT_ANSWERS = {"module_name": "ml_project", "python_version": "3.13"}
OLDER = "older than the project's minimum"


class TestNextSteps:
    def test_cookiecutter_prints_them_after_baking(self, tmp_path):
        """The cookiecutter command line ends by printing next_steps' text for the folder it
        made. Catches a hook that prints another (stale) text than copier does."""
        baked = run(BIN / "cookiecutter", "--no-input", "-o", tmp_path, TEMPLATE)
        assert next_steps(DEFAULT_ANSWERS, "ml-project") in baked.stdout

    def test_they_name_the_commands_with_the_projects_module(self):
        """train and predict are shown with the answer's import name. Catches commands
        that name the default module whatever the answers were."""
        text = next_steps({"module_name": "reviews", "python_version": "3.11"}, "reviews")
        assert "uv run python -m reviews train --out model.pt" in text
        assert "cd reviews" in text

    @pytest.mark.parametrize(
        ("running", "older"), [((3, 9), True), ((3, 11), True), ((3, 13), False), ((3, 14), False)]
    )
    def test_an_older_python_gets_one_line_on_how_to_proceed(self, monkeypatch, running, older):
        """Run from Python 3.9 or 3.11, a 3.13 project's next steps end with one line naming
        both versions and saying that uv fetches the interpreter; from 3.13 or 3.14 there is
        no such line (compared as numbers: 3.9 is older than 3.13). Catches the user finding
        out only when pip fails with "requires a different Python"."""
        version = SimpleNamespace(major=running[0], minor=running[1])
        monkeypatch.setattr(sys, "version_info", version)
        lines = next_steps(DEFAULT_ANSWERS, "ml-project").splitlines()
        warned = [line for line in lines if OLDER in line]
        if older:
            assert len(warned) == 1
            assert f"This Python is {running[0]}.{running[1]}, older" in warned[0]
            assert "minimum 3.13: uv sync fetches a 3.13 interpreter" in warned[0]
        else:
            assert warned == []
