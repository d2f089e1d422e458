"""The generated project's own suite: it passes, it is big and fast enough to
matter, its tiers select what the README says, and it is order independent."""

import json
import random
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from baking import BIN, TEMPLATE, read_pyproject, run


@pytest.fixture
def project(tmp_path, default_project) -> Path:
    """A private copy of the default project, so runs can write caches into it."""
    return shutil.copytree(default_project, tmp_path / default_project.name)


@pytest.fixture(scope="module")
def fast_run(tmp_path_factory, default_project, project_python):
    """The default run, as CI runs it: in parallel, with coverage, in a new pytest-randomly
    order every time (the seed, drawn from the template run's own, is in its output). With
    the seeded-bug baseline's file order without pytest-randomly (test_seeded_bugs.py),
    that is two orders per run: a test that depends on another, or on leaked global
    state, fails one of them."""
    project = shutil.copytree(default_project, tmp_path_factory.mktemp("fast") / "ml-project")
    seed = f"--randomly-seed={random.randrange(2**32)}"
    result = project_pytest(project_python, project, "-n", "2", "--cov", "-q", seed)
    result.stdout = f"{seed}\n{result.stdout}"
    return result


def project_pytest(python: Path, project: Path, *args: str) -> subprocess.CompletedProcess:
    """Run the baked project's own pytest in `project`; the caller checks the outcome."""
    return run(python, "-m", "pytest", *args, cwd=project, check=False)


def passed(result) -> int:
    match = re.search(r"(\d+) passed", result.stdout)
    return int(match.group(1)) if match else 0


class TestFastSuite:
    def test_passes(self, fast_run):
        """`pytest -n auto` with coverage passes on the default project."""
        seed = fast_run.stdout.splitlines()[0]  # to rerun the same order
        assert fast_run.returncode == 0, f"{seed}\n{fast_run.stdout[-3000:]}"

    def test_has_at_least_100_tests(self, fast_run):
        """The fast tier is a real suite, not a handful of smoke tests."""
        assert passed(fast_run) >= 100

    def test_skips_nothing(self, fast_run):
        """Nothing in the default run is skipped (gpu tests are deselected, not
        skipped): a skipped test must never be counted as passing."""
        assert "skipped" not in fast_run.stdout.splitlines()[-1]

    def test_coverage_meets_the_threshold(self, fast_run):
        """Coverage of the package is at least the answer's threshold (90)."""
        total = re.search(r"^TOTAL.*?(\d+(?:\.\d+)?)%$", fast_run.stdout, re.MULTILINE)
        assert total, fast_run.stdout[-2000:]
        assert float(total.group(1)) >= 90

    def test_passes_where_its_cache_cannot_be_written(self, project, run_generated_tests, tmp_path):
        """A cache folder that cannot be created (as in a read-only checkout) leaves the
        run green. Catches: `filterwarnings = error` turning pytest's PytestCacheWarning
        into an INTERNALERROR at the end of a passing run."""
        blocker = tmp_path / "a-file"
        blocker.write_text("")
        cache = f"cache_dir={blocker / 'cache'}"  # below a file: mkdir fails, even for root
        # -p cacheprovider: the run gets the cache that PYTEST_ARGS leaves out.
        code, output = run_generated_tests(
            project, "-p", "cacheprovider", "-o", cache, "tests/unit/test_losses.py"
        )
        assert code == 0, output[-3000:]


@pytest.fixture(scope="module")
def pytest_config(default_project) -> dict:
    """The baked project's [tool.pytest.ini_options]."""
    return read_pyproject(default_project)["tool"]["pytest"]["ini_options"]


# A plugin that makes gc.get_referrers see no holder of anything once the tests are
# collected, as Python 3.14 does for the Random Hypothesis registers (its holder frozen).
HIDE_FROZEN_REFERRERS = """
import gc
import pytest

@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session):
    gc.get_referrers = lambda *objects: []
"""


HYPOTHESIS_TEST = "test_bounded_by_one_and_by_the_single_bin_gap"


class TestFrozenCollector:
    def test_a_hypothesis_test_run_first_after_the_freeze_passes(self, project, project_python):
        """One Hypothesis test, run alone after the conftest has frozen the collector, with
        get_referrers blind to frozen holders (Python 3.14's view of Hypothesis's Random),
        passes under the project's filterwarnings = error. Catches gc.freeze() before
        Hypothesis has registered its Random: 2 failures in every 3.14 run."""
        (project / "hide_frozen_referrers.py").write_text(HIDE_FROZEN_REFERRERS)
        result = run(
            project_python,
            *("-m", "pytest", "-p", "hide_frozen_referrers", "-p", "no:randomly", "-q"),
            f"tests/unit/test_calibration.py::TestExpectedCalibrationError::{HYPOTHESIS_TEST}",
            cwd=project,
            check=False,
        )
        assert result.returncode == 0, result.stdout[-3000:]


class TestTiers:
    def test_markers_are_registered_and_strict(self, pytest_config):
        """slow, gpu and benchmark are registered and --strict-markers is on, so a
        typo in a marker name is an error instead of a silently unselected test."""
        assert {m.split(":")[0] for m in pytest_config["markers"]} == {"slow", "gpu", "benchmark"}
        assert "--strict-markers" in pytest_config["addopts"]

    def test_slow_tier_passes(self, project, project_python):
        """`pytest -m slow` (training runs, CLI end to end, distributed) passes on CPU."""
        result = project_pytest(project_python, project, "-m", "slow", "-q", "-p", "no:randomly")
        assert result.returncode == 0, result.stdout[-3000:]
        assert passed(result) > 0

    def test_durations_file_covers_the_slow_tests(self, project, run_generated_tests):
        """Every slow test has a recorded time in .test_durations, so pytest-split balances
        the nightly shards: catches a slow test added without `make update-durations`."""
        code, output = run_generated_tests(project, "-m", "slow", "--collect-only")
        assert code == 0, output[-3000:]
        slow_tests = {line for line in output.splitlines() if "::" in line}
        durations = json.loads((project / ".test_durations").read_text())
        assert slow_tests
        assert slow_tests <= set(durations)

    def test_gpu_tests_skip_with_a_reason_without_cuda(self, project, run_generated_tests):
        """Without CUDA, gpu tests are skipped and say why."""
        code, output = run_generated_tests(project, "-m", "gpu", "-rs")
        assert code == 0, output[-3000:]
        assert "CUDA is not available" in output

    def test_require_gpu_turns_the_skip_into_a_failure(self, project, run_generated_tests):
        """`--require-gpu` without CUDA fails: a nightly GPU job that lost its GPU goes red."""
        code, output = run_generated_tests(project, "-m", "gpu", "--require-gpu")
        assert code == 1
        assert "--require-gpu was given but CUDA is not available" in output

    def test_require_gpu_fails_when_no_gpu_test_ran(self, project, run_generated_tests):
        """`--require-gpu` with a selection that holds no gpu test fails even though
        every selected test passed."""
        code, output = run_generated_tests(project, "tests/unit/test_losses.py", "--require-gpu")
        assert code == 1
        assert "--require-gpu: no gpu test ran" in output

    def test_benchmarks_pass(self, project, project_python):
        """The benchmark tier runs (and asserts predict_batch is >= 10x faster than
        one predict per text)."""
        result = project_pytest(
            project_python,
            project,
            "-m",
            "benchmark",
            "-p",
            "no:randomly",
            "--benchmark-disable-gc",
        )
        assert result.returncode == 0, result.stdout[-3000:]
        assert passed(result) >= 3


class TestInstalledProject:
    def test_publishes_only_runtime_dependencies(self, project_python):
        """The installed package requires torch, numpy and rich (matplotlib only in its report
        extra, torchvision and Pillow in its images extra), nothing else, and registers no
        pytest-randomly seeder: catches test tools leaking into the published metadata (the
        old `dev` extra) and an entry point that makes every pytest-randomly run import it."""
        code = (
            "import json; from importlib.metadata import entry_points, requires; "
            "print(json.dumps([requires('ml-project'), "
            "[e.value for e in entry_points(group='pytest_randomly.random_seeder')]]))"
        )
        requirements, seeders = json.loads(run(project_python, "-c", code).stdout)
        required = [r.split(">")[0] for r in requirements if "extra ==" not in r]
        extras = [r.split(">")[0] for r in requirements if "extra ==" in r]
        assert sorted(required) == ["numpy", "rich", "torch"]
        # The optional extras: `report` for evaluate --report, `images` for image inputs.
        assert sorted(extras) == ["matplotlib", "pillow", "torchvision"]
        assert seeders == []

    def test_main_job_trains_and_predicts(self, project, project_python):
        """The README's main job works: train the example model, then predict as JSON."""
        run(project_python, "-m", "ml_project", "train", "--out", "model.pt", cwd=project)
        result = run(
            project_python,
            "-m",
            "ml_project",
            "predict",
            "--model",
            "model.pt",
            "the striker scored a late goal",
            cwd=project,
        )
        assert '"label": "sports"' in result.stdout


class TestReseeding:
    PROBE = "import torch\n\n\ndef test_draw():\n    print('DRAW', torch.rand(1).item())\n"
    AFTER_ANOTHER = "def test_another_draws_first():\n    torch.rand(1000)\n\n\n"

    # Each run is a fresh fork of the seeded-bug server (tests/pytest_forkserver.py): a
    # process that imported torch and drew nothing, as a new interpreter starts, with only
    # the project's src/ on the path (pyproject's pythonpath), never the package installed.
    @staticmethod
    def draw(run_generated_tests, project: Path, *args: str) -> str:
        code, output = run_generated_tests(project, "-s", *args)
        assert code == 0, output[-3000:]
        return re.search(r"DRAW (\S+)", output).group(1)

    def test_torch_follows_the_randomly_seed_without_installing_the_package(
        self, project, run_generated_tests
    ):
        """With the package not installed (only src/ on the path), a test's torch draw
        repeats under the same --randomly-seed and changes under another: catches torch
        left unseeded (every seed draws the same) or seeded from anything but the run's seed."""
        (project / "tests" / "test_probe.py").write_text(self.PROBE)
        probe = ("tests/test_probe.py", "-p", "randomly")
        first, again, other = (
            self.draw(run_generated_tests, project, *probe, f"--randomly-seed={seed}")
            for seed in (1, 1, 2)
        )
        assert first == again
        assert first != other

    def test_without_randomly_a_draw_does_not_depend_on_the_tests_before_it(
        self, project, run_generated_tests
    ):
        """Under -p no:randomly, a test's torch draw is the same run alone and after a test
        that draws 1,000 numbers: catches torch left to one stream through the run, where
        a deselection or a Hypothesis example count changes every later test's data."""
        probe = project / "tests" / "test_probe.py"
        probe.write_text(self.PROBE.replace("\n\n\ndef", f"\n\n\n{self.AFTER_ANOTHER}def"))
        alone, after_another = (
            self.draw(run_generated_tests, project, tests)
            for tests in ("tests/test_probe.py::test_draw", "tests/test_probe.py")
        )
        assert alone == after_another


class TestCruft:
    def test_created_project_reports_up_to_date(self, tmp_path):
        """`cruft create` from a local checkout works and `cruft check` then passes:
        this is how generated projects pick up template updates."""
        run(BIN / "cruft", "create", "--no-input", "--output-dir", tmp_path, TEMPLATE)
        project = tmp_path / "ml-project"
        assert (project / ".cruft.json").is_file()
        run(BIN / "cruft", "check", cwd=project)

    def test_project_from_an_older_commit_updates_to_the_current_one(self, tmp_path):
        """A project created from the template's previous commit reports out of date, and
        `cruft update` brings it to the current commit: the path by which projects
        receive the template's fixes."""
        run(BIN / "cruft", "create", "--no-input", "--output-dir", tmp_path,
            "--checkout", "HEAD~1", TEMPLATE)  # fmt: skip
        project = tmp_path / "ml-project"
        assert run(BIN / "cruft", "check", cwd=project, check=False).returncode != 0
        git = ("git", "-c", "user.name=ml-test-template", "-c", "user.email=ci@example.com")
        run(*git, "init", "--quiet", cwd=project)
        run(*git, "add", "--all", cwd=project)
        run(*git, "commit", "--quiet", "--message", "created from HEAD~1", cwd=project)
        run(BIN / "cruft", "update", "--skip-apply-ask", "--allow-untracked-files", cwd=project)
        run(BIN / "cruft", "check", cwd=project)
        head = run("git", "rev-parse", "HEAD", cwd=TEMPLATE).stdout.strip()
        assert json.loads((project / ".cruft.json").read_text())["commit"] == head
