"""Shared fixtures and the suite's command-line options.

Fixtures here are small on purpose: unit tests build what they need in
milliseconds, and the one expensive object (a trained predictor) is built once
per session.
"""

import os

import pytest
import torch

NO_CUDA = "CUDA is not available (run with --require-gpu to make this a failure)"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--require-gpu",
        action="store_true",
        help="fail gpu tests instead of skipping them without CUDA, and fail if no gpu test ran",
    )


class RequireGpu:
    """Fails the run when --require-gpu is given but no gpu test actually ran.

    A nightly GPU job whose runner lost its GPU, or whose marker expression
    selects nothing, must go red instead of passing with zero GPU tests.
    Registered on the controlling process only, which sees every test report
    (also those of pytest-xdist workers).
    """

    def __init__(self) -> None:
        self.gpu_tests_run = 0

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "call" and "gpu" in report.keywords:
            self.gpu_tests_run += 1

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self.gpu_tests_run == 0 and session.exitstatus == pytest.ExitCode.OK:
            session.config.get_terminal_writer().line("--require-gpu: no gpu test ran", red=True)
            session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_configure(config: pytest.Config) -> None:
    # Under pytest-xdist every worker would start one torch thread per core:
    # share the cores between the workers instead of oversubscribing them.
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    if workers > 1:
        torch.set_num_threads(max(1, (os.cpu_count() or 1) // workers))
    if config.getoption("--require-gpu") and not os.environ.get("PYTEST_XDIST_WORKER"):
        config.pluginmanager.register(RequireGpu(), "require-gpu")


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("gpu") and not torch.cuda.is_available():
        if item.config.getoption("--require-gpu"):
            pytest.fail("--require-gpu was given but CUDA is not available")
        pytest.skip(NO_CUDA)


@pytest.fixture(scope="session")
def device() -> torch.device:
    """CUDA when available, else CPU; session-scoped because it never changes."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")
