"""Fixtures that bake the template into temporary folders.

Baking is cheap (well under a second), so most tests bake what they need. The
expensive step, an environment in which the default project is installed, is
built once per session (once per xdist worker) and shared.
"""

import json
import os
import subprocess
import sys
import venv
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from baking import RUNNING_PYTHON, bake_into, run

Bake = Callable[..., Path]


@pytest.fixture(autouse=True, scope="session")
def _cookiecutter_home(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Keep cookiecutter's replay files out of the user's home directory."""
    home = tmp_path_factory.mktemp("cookiecutter-home")
    config = home / "config.yaml"
    config.write_text(f"replay_dir: {home / 'replay'}\ncookiecutters_dir: {home / 'templates'}\n")
    os.environ["COOKIECUTTER_CONFIG"] = str(config)


@pytest.fixture
def bake(tmp_path: Path) -> Bake:
    """Bake into this test's temporary folder."""
    return lambda **answers: bake_into(tmp_path, **answers)


@pytest.fixture(scope="session")
def default_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default answers, baked once per session, except python_version: the running
    interpreter's, so the project installs and runs here. Tests must not modify it."""
    return bake_into(tmp_path_factory.mktemp("default"), python_version=RUNNING_PYTHON)


@pytest.fixture(scope="session")
def project_python(tmp_path_factory: pytest.TempPathFactory, default_project: Path) -> Path:
    """A Python in which the default project is pip-installed, as a user would.

    The virtual environment reuses this environment's packages (torch, pytest
    and its plugins) through a .pth file instead of installing them again,
    then installs the project itself without dependencies: that builds the
    wheel, registers its entry points and keeps the suite fast.
    """
    env_dir = tmp_path_factory.mktemp("venv")
    venv.create(env_dir, with_pip=False)
    python = env_dir / "bin" / "python"
    site = subprocess.check_output(
        [python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], text=True
    ).strip()
    parent_site = next(p for p in sys.path if p.endswith("site-packages"))
    (Path(site) / "parent-env.pth").write_text(parent_site + "\n")
    run(
        sys.executable,
        "-m",
        "pip",
        "--python",
        python,
        "install",
        "--quiet",
        "--no-deps",
        "--no-build-isolation",
        default_project,
    )
    return python


# -p no:randomly: a fixed order, so a run is reproducible; no:cacheprovider: the copies are
# thrown away; --assert=plain: see pytest_forkserver.py; -rf: list every failed test.
PYTEST_ARGS = ("-p", "no:randomly", "-p", "no:cacheprovider", "--assert=plain", "-q", "-rf")
FORKSERVER = Path(__file__).with_name("pytest_forkserver.py")

RunGeneratedTests = Callable[..., tuple[int, str]]


@pytest.fixture(scope="session")
def run_generated_tests() -> Iterator[RunGeneratedTests]:
    """Run generated tests in a project: returns pytest's exit code and output.

    Runs go through one pytest_forkserver per worker, so torch is imported once, not once
    per run (the seeded-bug catalogue and the answer properties run dozens); the server
    has one torch thread and none of this run's pytest, xdist or
    coverage variables.
    """
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("PYTEST_", "COV_CORE_"))
    }
    env["OMP_NUM_THREADS"] = "1"
    server = subprocess.Popen(
        [sys.executable, FORKSERVER],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )

    def run(project: Path, *tests: str) -> tuple[int, str]:
        log = project.with_name("pytest.log")
        request = {"cwd": str(project), "args": [*PYTEST_ARGS, *tests], "log": str(log)}
        server.stdin.write(json.dumps(request) + "\n")
        server.stdin.flush()
        reply = server.stdout.readline()
        assert reply, f"{FORKSERVER.name} died (exit code {server.poll()})"
        return int(reply), log.read_text()

    yield run
    server.stdin.close()
    server.wait()


def recorded(terminalreporter: pytest.TerminalReporter, name: str) -> list:
    """The values that tests recorded with record_property(name, value), from every worker."""
    return [
        value
        for reports in terminalreporter.stats.values()
        for report in reports
        if getattr(report, "when", None) == "call"
        for key, value in getattr(report, "user_properties", ())
        if key == name
    ]


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Report what tests measured (record_property("figure", line)), then the seeded-bug
    catalogue (test_seeded_bugs.py): each bug, whether the generated
    suite caught it and by which tests, then "N/N caught". Reads the reports' user_properties,
    which the xdist controller receives from every worker."""
    figures = sorted(recorded(terminalreporter, "figure"))
    if figures:
        terminalreporter.section("figures")
        for line in figures:
            terminalreporter.line(line)
    results = sorted(recorded(terminalreporter, "seeded_bug"))
    if not results:
        return
    terminalreporter.section("seeded bugs")
    for category, bug, caught_by in results:
        verdict = "caught" if caught_by else "MISSED"
        terminalreporter.line(f"{verdict} {category}/{bug}: {', '.join(caught_by) or '-'}")
    caught = sum(bool(caught_by) for *_, caught_by in results)
    terminalreporter.line(f"{caught}/{len(results)} caught", bold=True)
