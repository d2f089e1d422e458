"""Answers: bad ones are refused before anything is written; odd but valid ones
reach the files verbatim."""

import json
import sys
from pathlib import Path

import pytest
from baking import TEMPLATE, read_pyproject, run

BAD_ANSWERS = [
    ({"module_name": "9lives"}, "module_name '9lives' is not an ASCII Python identifier"),
    ({"module_name": "ml-project"}, "module_name 'ml-project' is not an ASCII Python identifier"),
    ({"module_name": "modèle"}, "module_name 'modèle' is not an ASCII Python identifier"),
    ({"module_name": "lambda"}, "module_name 'lambda' is a Python keyword"),
    ({"module_name": "json"}, "module_name 'json' would shadow the module of that name"),
    ({"module_name": "torch"}, "module_name 'torch' would shadow the module of that name"),
    ({"module_name": "tests"}, "module_name 'tests' would shadow the module of that name"),
    (
        {"project_slug": "my project"},
        "project_slug 'my project' is not a valid folder/distribution name",
    ),
    ({"project_slug": "-ml-"}, "project_slug '-ml-' is not a valid folder/distribution name"),
    ({"author_email": "ada.example.com"}, "author_email 'ada.example.com' is not an email address"),
    ({"author_email": "ada@localhost"}, "author_email 'ada@localhost' is not an email address"),
    ({"coverage_threshold": "101"}, "coverage_threshold '101' is not a whole number from 0 to 100"),
    ({"coverage_threshold": "-5"}, "coverage_threshold '-5' is not a whole number from 0 to 100"),
    (
        {"coverage_threshold": "ninety"},
        "coverage_threshold 'ninety' is not a whole number from 0 to 100",
    ),
    (
        {"gpu_runner_labels": "gpu, my label"},
        "gpu_runner_labels 'gpu, my label' is not a comma-separated list",
    ),
    ({"project_name": "Tab\there"}, "project_name 'Tab\\there' must be one non-empty line"),
]


def bake_cli(output_dir: Path, answers: dict[str, str]):
    """Bake through the command line, as a user does, and capture what it prints."""
    pairs = [f"{key}={value}" for key, value in answers.items()]
    return run(
        sys.executable,
        "-m",
        "cookiecutter",
        "--no-input",
        "--output-dir",
        output_dir,
        TEMPLATE,
        *pairs,
        check=False,
    )


class TestBadAnswers:
    @pytest.mark.parametrize(("answers", "message"), BAD_ANSWERS)
    def test_rejected_with_one_clear_line_and_nothing_written(self, tmp_path, answers, message):
        """A bad answer exits non-zero with a line naming the value and leaves no
        folder: catches a hook that lets bad names through or leaves half a project."""
        result = bake_cli(tmp_path, answers)
        assert result.returncode != 0
        assert f"ERROR: {message}" in result.stderr
        assert list(tmp_path.iterdir()) == []


class TestAnswersAsData:
    NAME = 'Tom\'s "ML": #1 \\ test'
    AUTHOR = 'O\'Brien "Bob" #2: \\x'
    DESCRIPTION = 'Says "hi": it\'s #1 \\ ok, naïve 😀'

    @pytest.fixture
    def project(self, tmp_path):
        answers = {
            "project_name": self.NAME,
            "author_name": self.AUTHOR,
            "description": self.DESCRIPTION,
        }
        result = bake_cli(tmp_path, answers)
        assert result.returncode == 0, result.stderr
        return tmp_path / "tom-s-ml-1-test"

    def test_reach_pyproject_verbatim(self, project):
        """Quotes, apostrophes, backslashes, '#' and ':' reach pyproject.toml as
        written and keep it valid TOML: catches answers pasted into TOML unescaped."""
        pyproject = read_pyproject(project)["project"]
        assert pyproject["description"] == self.DESCRIPTION
        assert pyproject["authors"][0]["name"] == self.AUTHOR

    def test_reach_readme_verbatim(self, project):
        assert self.NAME in (project / "README.md").read_text()

    def test_derive_a_valid_slug_and_module(self, project):
        assert (project / "src" / "tom_s_ml_1_test" / "__init__.py").is_file()


class TestPrompts:
    def test_every_answer_has_a_question(self):
        """Each answer is asked as a human question, choices included."""
        config = json.loads((TEMPLATE / "cookiecutter.json").read_text())
        prompts = config["__prompts__"]
        for key in (k for k in config if not k.startswith("_")):
            prompt = prompts[key] if isinstance(prompts[key], str) else prompts[key]["__prompt__"]
            assert prompt.endswith("?"), key
