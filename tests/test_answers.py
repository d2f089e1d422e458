"""Answers: bad ones are refused before anything is written; odd but valid ones
reach the files verbatim."""

import json
import sys
from pathlib import Path

import pytest
import yaml
from baking import RUNNING_PYTHON, TEMPLATE, bake_into, read_pyproject, run
from cookiecutter.exceptions import FailedHookException, UndefinedVariableInTemplate
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jinja2 import TemplateError

BAD_ANSWERS = [
    ({"module_name": "9lives"}, "module_name '9lives' is not an ASCII Python identifier"),
    ({"module_name": "ml-project"}, "module_name 'ml-project' is not an ASCII Python identifier"),
    ({"module_name": "modèle"}, "module_name 'modèle' is not an ASCII Python identifier"),
    ({"module_name": "a" * 300}, f"module_name '{'a' * 300}' is not an ASCII Python identifier"),
    ({"module_name": "lambda"}, "module_name 'lambda' is a Python keyword"),
    ({"module_name": "json"}, "module_name 'json' would shadow the module of that name"),
    ({"module_name": "torch"}, "module_name 'torch' would shadow the module of that name"),
    ({"module_name": "Torch"}, "module_name 'Torch' would shadow the module of that name"),
    ({"module_name": "tests"}, "module_name 'tests' would shadow the module of that name"),
    # A dependency of a dependency, pytest plugins, coverage, the generated tests' own modules.
    ({"module_name": "typing_extensions"}, "module_name 'typing_extensions' would shadow"),
    ({"module_name": "sympy"}, "module_name 'sympy' would shadow the module of that name"),
    ({"module_name": "xdist"}, "module_name 'xdist' would shadow the module of that name"),
    ({"module_name": "coverage"}, "module_name 'coverage' would shadow the module of that name"),
    ({"module_name": "conftest"}, "module_name 'conftest' would shadow the module of that name"),
    ({"module_name": "test_cli"}, "module_name 'test_cli' would shadow the module of that name"),
    # Python's own dunder modules: __main__ is the running script, so the suite cannot import.
    ({"module_name": "__main__"}, "module_name '__main__' is a dunder name"),
    ({"module_name": "__init__"}, "module_name '__init__' is a dunder name"),
    # Installed by torch's CUDA build (tests/test_answers.py checks the list is current).
    ({"module_name": "triton"}, "module_name 'triton' would shadow the module of that name"),
    ({"module_name": "nvidia"}, "module_name 'nvidia' would shadow the module of that name"),
    ({"module_name": "cuda"}, "module_name 'cuda' would shadow the module of that name"),
    (
        {"project_slug": "my project"},
        "project_slug 'my project' is not a valid folder/distribution name",
    ),
    ({"project_slug": "-ml-"}, "project_slug '-ml-' is not a valid folder/distribution name"),
    (
        {"project_slug": "a/b", "module_name": "ab"},
        "project_slug 'a/b' is not a valid folder/distribution name",
    ),
    ({"project_name": ""}, "project_name '' must be one line of text"),
    ({"project_name": "😀"}, "project_slug '' is not a valid folder/distribution name"),
    ({"author_email": "ada.example.com"}, "author_email 'ada.example.com' is not an email address"),
    ({"author_email": "ada@localhost"}, "author_email 'ada@localhost' is not an email address"),
    ({"author_email": "a@b.co\\"}, "author_email 'a@b.co\\\\' is not an email address"),
    ({"author_email": "<script>@x.com"}, "author_email '<script>@x.com' is not an email address"),
    ({"coverage_threshold": "101"}, "coverage_threshold '101' is not a whole number from 0 to 100"),
    ({"coverage_threshold": "-5"}, "coverage_threshold '-5' is not a whole number from 0 to 100"),
    ({"coverage_threshold": "0090"}, "coverage_threshold '0090' is not a whole number from 0"),
    ({"coverage_threshold": "00"}, "coverage_threshold '00' is not a whole number from 0 to 100"),
    ({"coverage_threshold": "٣"}, "coverage_threshold '٣' is not a whole number from 0 to 100"),
    ({"coverage_threshold": "²"}, "coverage_threshold '²' is not a whole number from 0 to 100"),
    (
        {"coverage_threshold": "ninety"},
        "coverage_threshold 'ninety' is not a whole number from 0 to 100",
    ),
    (
        {"gpu_runner_labels": "gpu, my label"},
        "gpu_runner_labels 'gpu, my label' is not a comma-separated list",
    ),
    ({"project_name": "Tab\there"}, "project_name 'Tab\\there' must be one line of text"),
    ({"project_name": "one\u2028two"}, "project_name 'one\\u2028two' must be one line of text"),
    # Jinja that survives cookiecutter's rendering would be rendered again by cruft update.
    (
        {"description": "{% raw %}{{ 7*7 }}{% endraw %}"},
        "description '{{ 7*7 }}' must be one line of text",
    ),
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
        """A bad answer exits non-zero with one line naming the value and leaves no file
        or folder: catches a check that lets a bad answer through (a broken project),
        one that fails late (a traceback, a half-made project, a parent folder left)."""
        result = bake_cli(tmp_path, answers)
        output = (result.stdout + result.stderr).splitlines()
        assert result.returncode != 0
        assert len(output) == 1, output
        assert output[0].startswith(f"ERROR: {message}")
        assert list(tmp_path.iterdir()) == []

    def test_choice_outside_its_list_is_refused_by_cookiecutter(self, tmp_path):
        """Cookiecutter itself refuses a choice outside its list before any check runs:
        nothing is written and its traceback ends in the line the README quotes. Catches
        a cookiecutter change that starts accepting (or rendering) such a value."""
        result = bake_cli(tmp_path, {"python_version": "3.9"})
        assert result.returncode != 0
        assert result.stderr.splitlines()[-1] == (
            "ValueError: 3.9 provided for choice variable python_version, "
            "but the choices are ['3.13', '3.11', '3.12', '3.14']."
        )
        assert list(tmp_path.iterdir()) == []


class TestModuleNames:
    def test_dependency_list_is_current(self):
        """dependency-modules.txt holds every import name of the generated project's
        dependencies, their dependencies and its tools: catches a dependency added to the
        generated pyproject (or pulled in by one) that a module name could still shadow."""
        script = TEMPLATE / "scripts" / "list-dependency-modules.py"
        result = run(sys.executable, script, "--check", check=False)
        assert result.returncode == 0, result.stdout + result.stderr


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

    @pytest.mark.parametrize("slug", ["ml.project", "ml..project", "ml_project-2"])
    def test_slug_is_one_key_of_the_console_scripts(self, tmp_path, slug):
        """Any valid distribution name is one TOML key under [project.scripts]: catches
        the slug written as a bare key, where "ml.project" nests a table and
        "ml..project" is invalid TOML."""
        assert bake_cli(tmp_path, {"project_slug": slug, "module_name": "mlp"}).returncode == 0
        scripts = read_pyproject(tmp_path / slug)["project"]["scripts"]
        assert scripts == {slug: "mlp.cli:main"}


class TestPrompts:
    def test_every_answer_has_a_question(self):
        """Each answer is asked as a human question, choices included."""
        config = json.loads((TEMPLATE / "cookiecutter.json").read_text())
        prompts = config["__prompts__"]
        for key in (k for k in config if not k.startswith("_")):
            prompt = prompts[key] if isinstance(prompts[key], str) else prompts[key]["__prompt__"]
            assert prompt.endswith("?"), key


# Pieces that break files, names and templates, mixed into generated answers.
AWKWARD = ["{{", "}}", "{%", "{#", "\\", '"', "'", "#", ":", "/", ".", "..", "-", "_", "@", "<",
           " ", "\t", "\n", "\u2028", "\ufdfa", "²", "٣", "é", "ß", "😀", "\u0301"]  # fmt: skip
awkward_text = st.lists(st.sampled_from(AWKWARD) | st.text(max_size=4), max_size=10).map("".join)
one_line = st.text(st.characters(exclude_categories=["Cc", "Cs"]), min_size=1, max_size=40)
TEXT = one_line | awkward_text
# Each answer is either left to its default or drawn from values near its rules' edges.
ANSWERS = st.fixed_dictionaries(
    {},
    optional={
        "project_name": TEXT,
        "project_slug": st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,110}", fullmatch=True)
        | awkward_text,
        "module_name": st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,110}", fullmatch=True)
        | awkward_text,
        "description": TEXT,
        "author_name": TEXT,
        "author_email": st.emails() | awkward_text,
        "gpu_runner_labels": st.lists(st.from_regex(r"[!-~ ]{0,8}", fullmatch=True)).map(", ".join),
        "coverage_threshold": st.integers(0, 110).map(str)
        | st.from_regex(r"[0-9²٣]{1,4}", fullmatch=True),
    },
)


def bake_or_refusal(output_dir: Path, answers: dict[str, str]) -> Path | str:
    """The baked project, or the one line that refused the answers. Python is the running
    one, so that a baked project installs here."""
    try:
        return bake_into(output_dir, **{"python_version": RUNNING_PYTHON, **answers})
    except FailedHookException as refusal:
        return str(refusal)


class TestAnswerProperties:
    def test_every_answer_is_refused_cleanly_or_bakes_a_working_project(
        self, tmp_path_factory, run_generated_tests
    ):
        """Every generated set of answers is either refused with one line and nothing
        written, or bakes a project whose TOML and YAML parse, that installs and whose
        tests collect. Catches a rule that lets through a value that breaks the project
        (a dotted TOML key, a Unicode digit, an email the build rejects, a shadowing
        module) and one that fails late or noisily. Answers that are not valid Jinja
        (a lone "{{") stop cookiecutter itself before anything is written (README)."""
        outcomes = {"baked": 0, "refused": 0, "not Jinja": 0}

        @settings(max_examples=36, deadline=None, suppress_health_check=[HealthCheck.too_slow])
        @given(answers=ANSWERS)
        def refused_cleanly_or_working(answers):
            output_dir = tmp_path_factory.mktemp("answers")
            try:
                outcome = bake_or_refusal(output_dir, answers)
            except (TemplateError, UndefinedVariableInTemplate):
                outcomes["not Jinja"] += 1
                assert list(output_dir.iterdir()) == []
                return
            if isinstance(outcome, str):
                outcomes["refused"] += 1
                assert outcome.startswith("ERROR: ")
                assert "\n" not in outcome
                assert list(output_dir.iterdir()) == []
                return
            outcomes["baked"] += 1
            read_pyproject(outcome)
            for path in outcome.rglob("*.y*ml"):
                yaml.safe_load(path.read_text(encoding="utf-8"))
            target = output_dir / "installed"
            run(sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                "--no-build-isolation", "--target", target, outcome)  # fmt: skip
            code, log = run_generated_tests(outcome, "--collect-only")
            assert code == 0, log[-3000:]

        refused_cleanly_or_working()
        print(f"answer sets: {outcomes}")
        assert outcomes["baked"], "no generated answers were accepted: the strategy tests nothing"
        assert outcomes["refused"], "no generated answers were refused"
