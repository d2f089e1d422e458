"""The generated project's toolchain, checked offline on fresh bakes: dependency groups and
uv configuration, one ruff version, pinned actions, the pre-commit hooks, and mypy."""

import importlib.metadata
import json
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml
from baking import BIN, read_pyproject, run
from packaging.version import Version

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
        """Test and lint tools are PEP 735 groups (dev includes test); the extras are
        features of the package, the report's matplotlib and the images' torchvision and
        Pillow: catches test tooling published in the wheel's metadata again."""
        pyproject = read_pyproject(default_project)
        assert pyproject["project"]["optional-dependencies"] == {
            "report": ["matplotlib>=3.8"],
            "images": ["torchvision>=0.20", "pillow>=10"],
        }
        groups = pyproject["dependency-groups"]
        assert {"include-group": "test"} in groups["dev"]
        assert any(r.startswith("pytest>=") for r in groups["test"])


def stand_in_torch_index(folder: Path, version: str, vision_version: str) -> str:
    """A PEP 503 index in ``folder`` holding pure-Python wheels named torch ``version`` and
    torchvision ``vision_version``: offline, in place of one of PyTorch's indexes. Returns
    its file:// URL."""
    for name, release in (("torch", version), ("torchvision", vision_version)):
        dist_info = f"{name}-{release}.dist-info"
        files = {
            f"{name}/__init__.py": f"__version__ = {release!r}\n",
            f"{dist_info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {release}\n",
            f"{dist_info}/WHEEL": "Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        }
        wheel = folder / name / f"{name}-{release}-py3-none-any.whl"
        wheel.parent.mkdir(parents=True)
        with zipfile.ZipFile(wheel, "w") as archive:
            for path, text in files.items():
                archive.writestr(path, text)
            archive.writestr(f"{dist_info}/RECORD", "".join(f"{path},,\n" for path in files))
        (folder / name / "index.html").write_text(f'<a href="{wheel.name}">{wheel.name}</a>')
    return folder.as_uri()


@pytest.fixture(scope="module")
def locked(tmp_path_factory, default_project):
    """A copy of the default project locked by uv, PyTorch's two indexes replaced by
    stand-ins (the other packages come from PyPI, as in CI); returns a function that lists
    the torch and torchvision requirements uv would install for the given `uv sync`
    options."""
    folder = tmp_path_factory.mktemp("torch-builds")
    project = shutil.copytree(default_project, folder / "ml-project")
    indexes = [
        f"--index=pytorch-cpu={stand_in_torch_index(folder / 'cpu', '2.14.1+cpu', '0.29.1+cpu')}",
        f"--index=pytorch-cu130="
        f"{stand_in_torch_index(folder / 'cu130', '2.14.1+cu130', '0.29.1+cu130')}",
    ]
    run(BIN / "uv", "lock", *indexes, cwd=project)

    def torch_for(*options: str) -> list[str]:
        exported = run(
            BIN / "uv", "export", "--locked", "--no-hashes", *indexes, *options, cwd=project
        )
        return [line for line in exported.stdout.splitlines() if line.startswith("torch")]

    return torch_for


class TestTorchBuilds:
    def test_uv_sync_installs_the_cpu_build(self, locked):
        """A plain `uv sync` (and `uv sync --locked` in CI) installs torch from PyTorch's CPU
        index, with torchvision from the same index, on every platform. Catches the default
        pulling PyPI's multi-GB CUDA wheel (torchvision from PyPI would pull it too)."""
        assert locked() == ["torch==2.14.1+cpu", "torchvision==0.29.1+cpu"]

    def test_the_cu130_group_installs_the_cuda_build_from_the_same_lock(self, locked):
        """`uv sync --no-group cpu --group cu130` installs the lock's CUDA build. Catches a
        GPU machine that has to install torch outside the lock. (The stand-in wheel installs
        anywhere, so the macOS fallback to PyPI's build is not exercised here.)"""
        expected = ["torch==2.14.1+cu130", "torchvision==0.29.1+cu130"]
        assert locked("--no-group", "cpu", "--group", "cu130") == expected

    def test_the_two_builds_cannot_be_installed_together(self, locked):
        """Asking for both groups is refused by uv (they are declared as conflicting)."""
        with pytest.raises(pytest.fail.Exception, match=r"incompatible with the\s+conflicts"):
            locked("--group", "cu130")


class TestCiInstall:
    @pytest.fixture
    def install(self, tmp_path, default_project):
        """Runs the project's .github/uv-sync.sh in a copy of the project with a stand-in
        `uv` that records its arguments; returns (uv's arguments, the job summary, stdout)."""
        project = shutil.copytree(default_project, tmp_path / "ml-project")
        stand_in = tmp_path / "bin" / "uv"
        stand_in.parent.mkdir()
        stand_in.write_text('#!/bin/sh\necho "$@" > "$UV_ARGUMENTS"\n')
        stand_in.chmod(0o755)
        summary = tmp_path / "summary.md"

        def install(*arguments: str, lock: bool) -> tuple[str, str, str]:
            if lock:
                (project / "uv.lock").write_text("version = 1\n")
            env = {
                "PATH": f"{stand_in.parent}:/usr/bin:/bin",
                "UV_ARGUMENTS": str(tmp_path / "arguments"),
                "GITHUB_STEP_SUMMARY": str(summary),
            }
            result = subprocess.run(
                ["bash", ".github/uv-sync.sh", *arguments],
                cwd=project, env=env, capture_output=True, text=True, check=True,
            )  # fmt: skip
            written = summary.read_text() if summary.exists() else ""
            return (tmp_path / "arguments").read_text().strip(), written, result.stdout

        return install

    def test_with_a_lock_it_installs_exactly_the_lock(self, install):
        """With uv.lock committed: `uv sync --locked` plus the job's options, and no
        warning. Catches CI resolving afresh although a lock pins every version."""
        arguments, summary, stdout = install("--no-group", "cpu", "--group", "cu130", lock=True)
        assert arguments == "sync --locked --no-group cpu --group cu130"
        assert (summary, stdout) == ("", "")

    def test_without_a_lock_it_installs_and_warns_on_the_summary(self, install):
        """A fresh project's first push (no uv.lock): a plain `uv sync`, a workflow warning
        and the same words on the run's summary page, telling the user to commit the lock.
        Catches a red first run ("Unable to find lockfile") or a silent unlocked one."""
        arguments, summary, stdout = install(lock=False)
        assert arguments == "sync"
        assert "uv lock" in summary
        assert stdout.startswith("::warning title=uv.lock missing::")

    def test_every_job_installs_through_it(self, default_project):
        """No workflow step runs uv sync or pip install itself: every job that installs calls
        .github/uv-sync.sh, the GPU job with the CUDA group. Catches a job (or a new one)
        that fails again without a lock, or installs torch outside it."""
        installs = {}
        for workflow in (default_project / ".github" / "workflows").glob("*.yml"):
            for name, job in yaml.safe_load(workflow.read_text())["jobs"].items():
                for step in job["steps"]:
                    command = step.get("run", "")
                    assert "pip install" not in command, (workflow.name, name)
                    if "uv sync" in command or "uv-sync.sh" in command:
                        installs[name] = command.strip()
        assert installs == {
            "lint": "bash .github/uv-sync.sh",
            "test": "bash .github/uv-sync.sh",
            "slow": "bash .github/uv-sync.sh",
            "gpu": "bash .github/uv-sync.sh --no-group cpu --group cu130",
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
