"""Shared fixtures and the suite's command-line options.

Fixtures here are small on purpose: unit tests build what they need in
milliseconds, and the one expensive object (a trained predictor) is built once
per session.
"""

import os
import random
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import settings
from hypothesis.configuration import set_hypothesis_home_dir

from {{ cookiecutter.module_name }}.models import MLPClassifier

# Property tests for the whole suite: few examples, so the fast tier stays fast; no deadline,
# as a first torch call can be slow; derandomized, so every run, seed and xdist worker tries
# the same examples (pytest-randomly does not seed Hypothesis) and a failure reproduces; and no
# example database. `pytest --hypothesis-profile=default` searches with Hypothesis's defaults.
settings.register_profile("suite", max_examples=25, deadline=None, derandomize=True, database=None)
settings.load_profile("suite")
# Hypothesis also caches Unicode tables and source constants, by default in ./.hypothesis (even
# during collection). Keep them in the system temp directory, as NumPy and SciPy do, unless
# HYPOTHESIS_STORAGE_DIRECTORY names a place.
if "HYPOTHESIS_STORAGE_DIRECTORY" not in os.environ:
    set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "hypothesis")

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


def torch_global_state() -> tuple:
    """The process-wide torch settings a test could change and forget to restore."""
    return (
        torch.is_grad_enabled(),
        torch.get_default_dtype(),
        torch.are_deterministic_algorithms_enabled(),
        torch.backends.cudnn.deterministic,
        torch.backends.cudnn.benchmark,
    )


@pytest.fixture(autouse=True)
def _no_leaked_torch_state() -> Iterator[None]:
    """Fail the test that leaves grad mode, default dtype or determinism flags
    changed: such leaks make other tests pass or fail depending on order."""
    before = torch_global_state()
    yield
    assert torch_global_state() == before, "test leaked global torch state"


@pytest.fixture(scope="session")
def device() -> torch.device:
    """CUDA when available, else CPU; session-scoped because it never changes."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


@pytest.fixture
def fixed_seed() -> Iterator[int]:
    """Seed Python, NumPy, torch and CUDA for one test, then restore what it changed.

    Unlike a global seed in conftest, the generators' previous states and cuDNN's
    flags come back afterwards, so the test cannot change what runs after it.
    """
    seed = 42
    python_state, numpy_state = random.getstate(), np.random.get_state()
    torch_state = torch.random.get_rng_state()
    cuda_states = torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None
    flags = torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds every CUDA device
    torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = True, False
    yield seed
    random.setstate(python_state)
    np.random.set_state(numpy_state)
    torch.random.set_rng_state(torch_state)
    if cuda_states is not None:
        torch.cuda.set_rng_state_all(cuda_states)
    torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = flags


@pytest.fixture
def tiny_model() -> MLPClassifier:
    """A 32 -> 16 -> 4 MLP: big enough to have every layer kind, small enough for milliseconds."""
    return MLPClassifier(in_features=32, hidden_size=16, num_classes=4)


@pytest.fixture
def small_batch() -> dict[str, torch.Tensor]:
    """Eight feature vectors and labels from a private generator (no global seed touched)."""
    generator = torch.Generator().manual_seed(42)
    return {
        "features": torch.randn(8, 32, generator=generator),
        "label": torch.randint(0, 4, (8,), generator=generator),
    }
