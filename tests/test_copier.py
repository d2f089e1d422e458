"""Copier, the second engine: the same questions as cookiecutter, the same refusals, the
same files byte for byte, and `copier update` to a newer template commit. Offline: copier
copies from a local git repository holding this checkout's template files."""

import json
import os
import shutil
from fnmatch import fnmatch
from pathlib import Path

import pytest
import yaml
from baking import BIN, TEMPLATE, bake_into, run
from cookiecutter.exceptions import FailedHookException

from answer_checks import JINJA_DELIMITER
from next_steps import next_steps

GIT = ("git", "-c", "user.name=ml-test-template", "-c", "user.email=ci@example.com")
ANSWERS_FILE = ".copier-answers.yml"  # copier's own record; cookiecutter writes none
# Between them every choice of every question, and answers that quoting and slugify must
# handle alike in both engines.
ANSWER_SETS = {
    "defaults": {},
    "no license, no GPU": {
        "python_version": "3.11",
        "open_source_license": "Proprietary",
        "include_gpu_workflow": "no",
    },
    "awkward text": {
        "project_name": 'Tom\'s "ML": #1 \\ Ünïcode',
        "description": "Classifies text: {braces}, #hashes and 'quotes'.",
        "author_name": "Zoë O'Brien",
        "author_email": "zoe@example.org",
        "python_version": "3.14",
        "open_source_license": "Apache-2.0",
        "coverage_threshold": "75",
    },
    "own names": {
        "project_slug": "my.project_x",
        "module_name": "project_x",
        "python_version": "3.12",
        "open_source_license": "BSD-3-Clause",
        "gpu_runner_labels": "self-hosted, a100-80gb",
    },
}
BAD_ANSWERS = {
    "keyword": {"module_name": "class"},
    # Copier does not validate a default it derives; the final check does.
    "derived empty slug": {"project_name": "??"},
    "two bad answers, the last one last": {"author_email": "you@", "coverage_threshold": "0100"},
}


@pytest.fixture(autouse=True, scope="module")
def _copier_settings(tmp_path_factory: pytest.TempPathFactory):
    """Keep the user's copier settings (default answers, trusted templates) out of the tests."""
    settings = tmp_path_factory.mktemp("copier") / "settings.yml"
    settings.write_text("defaults: {}\ntrust: []\n")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("COPIER_SETTINGS_PATH", str(settings))
        yield


def template_repository(path: Path) -> Path:
    """A git repository at ``path`` with this checkout's template files as they are now
    (uncommitted changes included, ignored files left out), committed once."""
    listed = run("git", "ls-files", "-z", "--cached", "--others", "--exclude-standard",
                 cwd=TEMPLATE).stdout.split("\0")  # fmt: skip
    for name in filter(None, listed):
        source = TEMPLATE / name
        if source.is_file():  # not a tracked file deleted in the working tree
            (path / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, path / name)
    run(*GIT, "init", "--quiet", cwd=path)
    commit(path, "the template as it is now")
    return path


def commit(repository: Path, message: str) -> str:
    """Commit everything in ``repository``; return the commit as copier records it."""
    run(*GIT, "add", "--all", cwd=repository)
    run(*GIT, "commit", "--quiet", "--message", message, cwd=repository)
    return run("git", "describe", "--tags", "--always", cwd=repository).stdout.strip()


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The template as a local git repository, as copier users get it from GitHub."""
    return template_repository(tmp_path_factory.mktemp("template"))


def copier(*args: object, cwd: Path | None = None, check: bool = True):
    """Run copier as a user would, non-interactively: no question asked that has a default
    or an answer, the template's Jinja extensions trusted, from the template's HEAD."""
    return run(BIN / "copier", *args, "--defaults", "--trust", "--quiet", "--vcs-ref", "HEAD",
               cwd=cwd, check=check)  # fmt: skip


def copy(template: Path, destination: Path, answers: dict[str, str], check: bool = True):
    """`copier copy` with ``answers`` (given as a data file, so that any text survives)."""
    data = destination.with_name(destination.name + "-answers.yml")
    data.write_text(yaml.safe_dump(answers, allow_unicode=True), encoding="utf-8")
    return copier("copy", "--data-file", data, template, destination, check=check)


def contents(project: Path) -> dict[str, tuple[bytes, bool]]:
    """Every file of ``project`` by relative path: its bytes and whether it is executable."""
    return {
        path.relative_to(project).as_posix(): (path.read_bytes(), os.access(path, os.X_OK))
        for path in sorted(project.rglob("*"))
        if path.is_file()
    }


class TestQuestions:
    def test_copier_asks_what_cookiecutter_asks(self):
        """copier.yml has cookiecutter.json's questions in its order, each with the same
        prompt, default and choices (labels included), all strings: catches a question,
        default or choice changed in one file only. The hidden answer check is not a
        question (TestRefusals checks it)."""
        config = json.loads((TEMPLATE / "cookiecutter.json").read_text(encoding="utf-8"))
        prompts = config["__prompts__"]
        expected = {}
        for name, value in config.items():
            if name.startswith("_"):
                continue
            if isinstance(value, list):
                choices = {prompts[name][choice]: choice for choice in value}
                expected[name] = {"type": "str", "help": prompts[name]["__prompt__"],
                                  "choices": choices, "default": value[0]}  # fmt: skip
            else:
                expected[name] = {"type": "str", "help": prompts[name], "default": value}
        copier_config = yaml.safe_load((TEMPLATE / "copier.yml").read_text(encoding="utf-8"))
        asked = {
            name: question
            for name, question in copier_config.items()
            if not name.startswith("_") and question.get("when") is not False
        }
        assert list(asked.items()) == list(expected.items())


class TestSameProject:
    @pytest.mark.parametrize("answers", ANSWER_SETS.values(), ids=ANSWER_SETS.keys())
    def test_copier_makes_cookiecutters_files_byte_for_byte(self, tmp_path, template, answers):
        """`copier copy` and cookiecutter, given the same answers, make the same files with
        the same bytes and executable bits; copier adds only its answers file. Catches a
        file one engine renders differently (a filter, a derived default, the year, a file
        an answer turns off, whitespace) or only one of them makes."""
        baked = contents(bake_into(tmp_path / "cookiecutter", **answers))
        copy(template, tmp_path / "copier", answers)
        copied = contents(tmp_path / "copier")
        assert copied.pop(ANSWERS_FILE)
        assert copied.keys() == baked.keys()
        assert [path for path in baked if copied[path] != baked[path]] == []

    def test_files_cookiecutter_does_not_render_come_out_unchanged_from_copier(self):
        """The files of `_copy_without_render` (package sources, golden data) hold no
        Jinja delimiter and no carriage return. Cookiecutter copies them verbatim but
        copier renders every file, which would turn `{{`, `{%` or `{#` into something else
        and CRLF into LF: catches such a file before it makes the engines disagree. The
        patterns are matched as cookiecutter matches them, relative to the project folder:
        catches patterns that match nothing, so that cookiecutter renders the files too."""
        config = json.loads((TEMPLATE / "cookiecutter.json").read_text(encoding="utf-8"))
        project = TEMPLATE / "{{cookiecutter.project_slug}}"
        verbatim = [
            path
            for path in sorted(project.rglob("*"))
            if path.is_file() and "__pycache__" not in path.parts
            and any(fnmatch(path.relative_to(project).as_posix(), pattern)
                    for pattern in config["_copy_without_render"])
        ]  # fmt: skip
        assert len(verbatim) > 10  # the package's sources at least
        for path in verbatim:
            text = path.read_text(encoding="utf-8")
            assert not JINJA_DELIMITER.search(text), path.relative_to(project)
            assert "\r" not in text, path.relative_to(project)


class TestRefusals:
    @pytest.mark.parametrize("answers", BAD_ANSWERS.values(), ids=BAD_ANSWERS.keys())
    def test_copier_refuses_with_cookiecutters_line_and_writes_nothing(
        self, tmp_path, template, answers
    ):
        """Bad answers make copier exit 1 with exactly the one line cookiecutter prints,
        before the project folder exists: catches answers that copier lets through (its
        own validators never see a derived default) or refuses late or differently."""
        with pytest.raises(FailedHookException) as refusal:
            bake_into(tmp_path, **answers)
        result = copy(template, tmp_path / "project", answers, check=False)
        assert result.returncode == 1
        assert result.stderr.splitlines() == [str(refusal.value)]
        assert not (tmp_path / "project").exists()

    @pytest.mark.parametrize("given", ["-d", "--data-file"])
    def test_copier_refuses_a_choice_outside_its_list_in_one_line(self, tmp_path, template, given):
        """A python_version outside the choices, given on the command line or in a data
        file, makes copier exit 1 with one line naming the value and the choices, and
        nothing is written: catches copier's own ValueError traceback (it raises one for
        a given choice it cannot parse) and a choice question turned free text."""
        if given == "-d":
            result = copier("copy", "-d", "python_version=3.9", template, tmp_path / "project",
                            check=False)  # fmt: skip
        else:
            result = copy(template, tmp_path / "project", {"python_version": "3.9"}, check=False)
        assert result.returncode == 1
        assert result.stderr.splitlines() == [
            "ERROR: python_version '3.9' is not one of its choices: 3.13, 3.11, 3.12, 3.14."
        ]
        assert not (tmp_path / "project").exists()

    def test_a_number_that_names_a_choice_is_that_choice(self, tmp_path, template):
        """A data file's unquoted `python_version: 3.11` (a YAML float) is the choice
        "3.11", as copier casts it: catches the early choice check comparing the float."""
        data = tmp_path / "answers.yml"
        data.write_text("python_version: 3.11\n")
        copier("copy", "--data-file", data, template, tmp_path / "project")
        assert 'requires-python = ">=3.11"' in (tmp_path / "project" / "pyproject.toml").read_text()


class TestMessage:
    def test_copier_prints_the_next_steps_cookiecutter_prints(self, tmp_path, template):
        """After copying, copier prints next_steps' text (_message_after_copy), the same
        text cookiecutter's hook prints. Catches copier users left without next steps."""
        destination = tmp_path / "ml-project"
        copied = run(BIN / "copier", "copy", "--defaults", "--trust", "--vcs-ref", "HEAD",
                     template, destination)  # fmt: skip
        answers = {"module_name": "ml_project", "python_version": "3.13"}
        assert next_steps(answers, str(destination)) in copied.stdout + copied.stderr


class TestUpdate:
    def test_update_brings_the_next_template_commit_and_keeps_the_answers(self, tmp_path):
        """A project copied from one template commit takes a change of the next one with
        `copier update`, rendered with its recorded answers, and records the new commit:
        catches an answers file copier cannot update from (missing, or not rendered)."""
        template = template_repository(tmp_path / "template")
        project = tmp_path / "project"
        copy(template, project, {"project_name": "Updated Project", "include_gpu_workflow": "no"})
        run(*GIT, "init", "--quiet", cwd=project)
        commit(project, "copied from the template")
        readme = template / "{{cookiecutter.project_slug}}" / "README.md"
        readme.write_text(readme.read_text() + "\nMaintained by {{ cookiecutter.author_name }}.\n")
        newer = commit(template, "a small change")

        copier("update", cwd=project)

        assert (project / "README.md").read_text().endswith("\nMaintained by Your Name.\n")
        answers = yaml.safe_load((project / ANSWERS_FILE).read_text())
        assert answers["_commit"] == newer
        assert answers["project_name"] == "Updated Project"
        assert not (project / ".github" / "workflows" / "nightly.yml").exists()
