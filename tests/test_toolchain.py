"""The generated project's toolchain, checked offline on fresh bakes: dependency groups and
uv configuration, one ruff version, pinned actions, the pre-commit hooks, and mypy."""

import importlib.metadata
import json
import re
import shutil
import sys
from pathlib import Path

import pytest
import yaml
from packaging.version import Version
from baking import BIN, read_pyproject, run

# pre-commit-hooks' fixers (hook id: the executable its PyPI package installs).
FIXERS = {
    "end-of-file-fixer": "end-of-file-fixer",
    "trailing-whitespace": "trailing-whitespace-fixer",
}
# The PyPI distribution whose version each hook repository's tags follow, installed beside
# the template's tests (requirements-dev.txt). actionlint has none that installs offline:
# Dependabot's pre-commit updates move it.
HOOK_DISTRIBUTIONS = {
    "https://github.com/pre-commit/pre-commit-hooks": "pre-commit-hooks",
    "https://github.com/astral-sh/ruff-pre-commit": "ruff",
    "https://github.com/zizmorcore/zizmor-pre-commit": "zizmor",
}
# A pinned action: owner/name[/path]@<40 hex digits> # vMAJOR.MINOR.PATCH
PINNED_ACTION = re.compile(
    r"uses: ([\w.-]+/[\w.-]+)(?:/[\w.-]+)*@([0-9a-f]{40}) # (v\d+\.\d+\.\d+)$"
)


def all_workflows(project: Path) -> list[Path]:
    """The baked project's workflows and the template repository's own."""
    template_ci = Path(__file__).resolve().parents[1] / ".github" / "workflows" / "ci.yml"
    return [*sorted((project / ".github" / "workflows").glob("*.yml")), template_ci]


def pre_commit_hooks(project: Path) -> dict[str, dict]:
    """Every hook in .pre-commit-config.yaml by id, with its repo's URL and rev added."""
    config = yaml.safe_load((project / ".pre-commit-config.yaml").read_text())
    return {
        hook["id"]: {**hook, "repo": repo["repo"], "rev": repo.get("rev")}
        for repo in config["repos"]
        for hook in repo["hooks"]
    }


class TestDependencies:
    def test_tools_are_dependency_groups_not_extras(self, default_project):
        """Test and lint tools are PEP 735 groups (dev includes test); the one extra is the
        report's matplotlib, a feature of the package: catches test tooling published in
        the wheel's metadata again."""
        pyproject = read_pyproject(default_project)
        assert pyproject["project"]["optional-dependencies"] == {"report": ["matplotlib>=3.8"]}
        groups = pyproject["dependency-groups"]
        assert {"include-group": "test"} in groups["dev"]
        assert any(r.startswith("pytest>=") for r in groups["test"])

    def test_uv_takes_torch_from_the_cpu_index_only(self, default_project):
        """uv resolves torch from an explicit index at PyTorch's CPU URL: catches a default
        uv sync pulling the multi-GB CUDA build, and other packages leaking to that index."""
        uv = read_pyproject(default_project)["tool"]["uv"]
        (source,) = uv["sources"]["torch"]
        (index,) = [i for i in uv["index"] if i["name"] == source["index"]]
        assert index == {
            "name": "pytorch-cpu",
            "url": "https://download.pytorch.org/whl/cpu",
            "explicit": True,
        }


class TestPins:
    def test_pre_commit_ruff_is_the_pinned_ruff(self, default_project):
        """The ruff hook's rev is "v" + the dev group's exact ruff pin, and no workflow
        names a ruff version of its own: catches the three copies drifting apart."""
        dev = read_pyproject(default_project)["dependency-groups"]["dev"]
        (pin,) = [r for r in dev if isinstance(r, str) and r.startswith("ruff==")]
        assert pre_commit_hooks(default_project)["ruff-check"]["rev"] == "v" + pin[len("ruff==") :]
        for workflow in all_workflows(default_project):
            assert "ruff==" not in workflow.read_text(), workflow.name

    def test_pre_commit_hooks_are_not_behind_the_tools(self, default_project):
        """Each hook's rev is at least the version of its tool that the template's tests
        install: catches a fresh project whose first `pre-commit run` checks with an older
        zizmor or pre-commit-hooks than the one the template was tested with."""
        behind = {}
        for hook in pre_commit_hooks(default_project).values():
            if distribution := HOOK_DISTRIBUTIONS.get(hook["repo"]):
                installed = Version(importlib.metadata.version(distribution))
                if Version(hook["rev"].removeprefix("v")) < installed:
                    behind[hook["repo"]] = f"{hook['rev']} < v{installed}"
        assert behind == {}, "bump these revs in .pre-commit-config.yaml"

    def test_pre_commit_config_is_valid(self, default_project):
        """pre-commit's own schema accepts the configuration (revs, hook keys, local hook)."""
        run(BIN / "pre-commit", "validate-config", ".pre-commit-config.yaml", cwd=default_project)

    def test_actions_are_pinned_alike_everywhere(self, default_project):
        """Every `uses:` is a full commit SHA with its version in a comment, and an action has
        one SHA and version across the template's and the project's workflows: catches a
        movable tag and a bump applied to one file only."""
        pins: dict[str, set[tuple[str, str]]] = {}
        for workflow in all_workflows(default_project):
            for line in workflow.read_text().splitlines():
                if "uses:" in line:
                    match = PINNED_ACTION.search(line.strip().removeprefix("- "))
                    assert match, f"{workflow.name}: not pinned by SHA: {line.strip()}"
                    pins.setdefault(match.group(1), set()).add(match.group(2, 3))
        assert {action: len(shas) for action, shas in pins.items()} == dict.fromkeys(pins, 1)


class TestPreCommitHooks:
    @pytest.fixture
    def project(self, tmp_path, default_project):
        """A copy of the default project in a git repository, as pre-commit sees one."""
        project = shutil.copytree(default_project, tmp_path / "ml-project")
        run("git", "init", "--quiet", cwd=project)
        run("git", "add", "--all", cwd=project)
        return project

    def fix(self, project: Path) -> str:
        """Run the pre-commit-hooks fixers as `pre-commit run --all-files` would (tracked text
        files, the config's exclude), then return the names of the files they changed."""
        hooks = pre_commit_hooks(project)
        files = run("git", "ls-files", cwd=project).stdout.split()
        for hook_id, executable in FIXERS.items():
            exclude = re.compile(hooks[hook_id].get("exclude", "^$"))
            run(BIN / executable, *(f for f in files if not exclude.search(f)), cwd=project,
                check=False)  # fmt: skip
        return run("git", "diff", "--name-only", cwd=project).stdout

    def test_fixers_change_nothing_on_a_fresh_bake(self, project):
        """Whitespace and end-of-file fixers leave a fresh project as it is: catches a
        generated file that fails pre-commit on the first commit."""
        assert self.fix(project) == ""

    def test_fixers_change_nothing_after_update_durations(self, project):
        """After pytest-split rewrites .test_durations (no final newline, as `make
        update-durations` leaves it), the fixers still change nothing."""
        durations = project / ".test_durations"
        durations.write_text(durations.read_text().rstrip("\n"))
        run("git", "add", "--all", cwd=project)
        assert self.fix(project) == ""

    def test_yaml_and_toml_checks_pass(self, project):
        """check-yaml and check-toml accept every YAML and TOML file of the project."""
        files = run("git", "ls-files", cwd=project).stdout.split()
        run(BIN / "check-yaml", *(f for f in files if f.endswith((".yml", ".yaml"))), cwd=project)
        run(BIN / "check-toml", *(f for f in files if f.endswith(".toml")), cwd=project)


class TestWorkflowLinters:
    def test_actionlint_knows_the_gpu_runner_labels(self, bake):
        """.github/actionlint.yaml declares exactly the answer's runner labels, so actionlint
        accepts the nightly's runs-on: catches a custom label reported as unknown."""
        project = bake(gpu_runner_labels="self-hosted, linux, a100-80gb")
        config = yaml.safe_load((project / ".github" / "actionlint.yaml").read_text())
        nightly = yaml.safe_load((project / ".github" / "workflows" / "nightly.yml").read_text())
        assert config["self-hosted-runner"]["labels"] == ["self-hosted", "linux", "a100-80gb"]
        assert nightly["jobs"]["gpu"]["runs-on"] == config["self-hosted-runner"]["labels"]

    def test_pre_commit_runs_zizmor_as_ci_does(self, default_project):
        """The zizmor hook runs offline at medium severity, the check the template's tests
        apply to every bake (test_bake.py)."""
        args = pre_commit_hooks(default_project)["zizmor"]["args"]
        assert {"--offline", "--min-severity", "medium"} <= set(args)
        assert "actionlint" in pre_commit_hooks(default_project)


class TestTypeChecking:
    def test_mypy_strict_passes_on_the_package(self, default_project, tmp_path):
        """`mypy` with the project's configuration (strict, src/) finds no error: catches a
        type error in the package."""
        result = run(BIN / "mypy", "--cache-dir", tmp_path, cwd=default_project, check=False)
        assert result.returncode == 0, result.stdout
        assert "strict = true" in (default_project / "pyproject.toml").read_text()

    @pytest.mark.parametrize("checker", ["pyright", "basedpyright"])
    def test_editor_checkers_find_no_error(self, default_project, checker):
        """pyright (VS Code's Pylance) and basedpyright, with the project's [tool.pyright]
        scope (src/, as mypy), report no error: catches code mypy accepts that an editor
        marks red (an attribute inferred as str where a Literal is expected, a name that is
        possibly unbound, an instance variable never assigned in __init__)."""
        result = run(BIN / checker, "--pythonpath", sys.executable, "--outputjson",
                     cwd=default_project, check=False)  # fmt: skip
        report = json.loads(result.stdout)  # basedpyright exits 1 on warnings too
        errors = [
            f"{d['file']}:{d['range']['start']['line'] + 1}: {d['message']}"
            for d in report["generalDiagnostics"]
            if d["severity"] == "error"
        ]
        assert errors == []
        assert report["summary"]["filesAnalyzed"] > 20  # src/ was found and checked

    def test_runs_in_ci_and_pre_commit(self, default_project):
        """The lint job and the pre-commit mypy hook both run mypy with that configuration."""
        tests_yml = (default_project / ".github" / "workflows" / "tests.yml").read_text()
        assert "run: uv run --no-sync mypy\n" in tests_yml
        hook = pre_commit_hooks(default_project)["mypy"]
        assert (hook["entry"], hook["pass_filenames"]) == ("mypy", False)
