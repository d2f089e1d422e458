"""Shared fixtures and the suite's command-line options.

Fixtures here are small on purpose: unit tests build what they need in
milliseconds, and the one expensive object (a trained predictor) is built once
per session.
"""

import csv
import gc
import itertools
import json
import os
import tempfile
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import torch
from hypothesis import find, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir
from PIL import Image

from {{ cookiecutter.module_name }}.checkpoint import save_checkpoint
from {{ cookiecutter.module_name }}.data import build_tokenizer, bundled_table, inspect_image
from {{ cookiecutter.module_name }}.data.sources import Input, Target
from {{ cookiecutter.module_name }}.inference import Predictor
from {{ cookiecutter.module_name }}.models import MLPClassifier, TransformerClassifier
from {{ cookiecutter.module_name }}.task import (
    DEFAULT_DATA,
    DataSpec,
    PreparedData,
    Preprocessing,
    fit_baselines,
    load_data,
    train_classifier,
)
from {{ cookiecutter.module_name }}.training import TrainConfig, seed_everything, seeded

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

# The model contract (tests/unit/test_model_contract.py) runs on every model in MODEL_REGISTRY,
# each built from its entry here: registry name -> constructor arguments of a tiny instance
# (milliseconds per test). A new model needs this one entry and no test of its own.
CONTRACT_MODELS: dict[str, dict[str, Any]] = {
    "bag_of_ngrams": {
        "vocab_size": 64,
        "hidden_size": 32,
        "num_outputs": 3,
        "dropout": 0.1,
        "pad_id": 3,
        "vocabulary": [f"w{i}" for i in range(64)],  # the word of each id: one per id
        "num_buckets": 256,  # collisions do not matter here; a small table keeps it fast
        "num_subword_buckets": 256,
    },
    "cnn": {"in_channels": 3, "hidden_size": 8, "num_outputs": 3, "num_blocks": 2, "dropout": 0.1},
    "mlp": {"in_features": 10, "hidden_size": 32, "num_outputs": 3, "dropout": 0.1},
    "transformer": {
        "vocab_size": 64,
        "hidden_size": 32,
        "num_layers": 2,  # attention that reads attention output must mask padding too
        "num_outputs": 3,
        "num_heads": 2,
        "max_length": 16,
        "dropout": 0.1,
        "pad_id": 3,  # not 0: a padding id hard-coded to 0 fails the padding tests
    },
}

NO_CUDA = "CUDA is not available (run with --require-gpu to make this a failure)"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--require-gpu",
        action="store_true",
        help="fail gpu tests instead of skipping them without CUDA, and fail if no gpu test ran",
    )
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="rewrite tests/regression/golden/baseline.json from this run (after an intended "
        "model change); without it the baseline is only read",
    )
    parser.addini(
        "cov_fail_under_per_file",
        "with --cov, fail the run when any measured file's coverage is below this percentage",
        default="0",
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
        if report.when == "call" and "gpu" in report.keywords and not report.skipped:
            self.gpu_tests_run += 1

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self.gpu_tests_run == 0 and session.exitstatus == pytest.ExitCode.OK:
            session.config.get_terminal_writer().line("--require-gpu: no gpu test ran", red=True)
            session.exitstatus = pytest.ExitCode.TESTS_FAILED


class CoverageFloor:
    """Fails a --cov run in which one file's coverage is below the per-file floor.

    coverage.py's fail_under checks only the total, so a new module without tests hides
    behind the well-tested rest. Its JSON report gives every file's percentage (lines and
    branches, as in the terminal report, unimported files at 0%); this reads it from the
    data that pytest-cov has combined and saved by the time the session finishes.
    """

    def __init__(self, floor: float) -> None:
        self.floor = floor
        self.below: dict[str, float] = {}  # path -> percentage, for the terminal summary

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        import coverage  # here, not at the top: only --cov runs pay for importing it

        cov = coverage.Coverage()  # the project's [tool.coverage] settings and data file
        cov.load()
        with tempfile.TemporaryDirectory() as folder:
            report = Path(folder) / "coverage.json"
            cov.json_report(outfile=str(report), ignore_errors=True)
            files = json.loads(report.read_text())["files"]
        self.below = {
            path: file["summary"]["percent_covered"]
            for path, file in sorted(files.items())
            if file["summary"]["percent_covered"] < self.floor
        }
        if self.below and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        if self.below:
            terminalreporter.write_sep("=", f"files below the {self.floor:g}% coverage floor")
            for path, percent in self.below.items():
                terminalreporter.line(f"{path}: {percent:.1f}%", red=True)


def pytest_configure(config: pytest.Config) -> None:
    # One torch thread per test process. The suite's tensors are tiny, so more threads
    # only wait on each other, and under pytest-xdist every worker would start one per
    # core: parallelism comes from `-n auto` instead, without oversubscribing the CPU.
    torch.set_num_threads(1)
    # An optimizer's first construction imports torch._dynamo (about a second). Pay it
    # here, once per process that runs tests, rather than in whichever test runs first;
    # the controlling process of `pytest -n auto` runs none.
    is_xdist_controller = getattr(config.option, "numprocesses", None) and not os.environ.get(
        "PYTEST_XDIST_WORKER"
    )
    if not is_xdist_controller:
        torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    if config.getoption("--require-gpu") and not os.environ.get("PYTEST_XDIST_WORKER"):
        config.pluginmanager.register(RequireGpu(), "require-gpu")
    floor = float(config.getini("cov_fail_under_per_file"))
    measuring = config.getoption("cov_source", None) and not config.getoption("no_cov", False)
    if floor > 0 and measuring and not os.environ.get("PYTEST_XDIST_WORKER"):
        config.pluginmanager.register(CoverageFloor(floor), "coverage-floor")


def pytest_collection_finish(session: pytest.Session) -> None:
    # What exists once the tests are collected (torch and its compiler stack, Hypothesis,
    # the test modules: a few hundred thousand objects) lives until the process exits, yet
    # every full garbage collection walks all of it again, as do the collections Hypothesis
    # and pytest force. Freezing it leaves the collector only what the tests create: about
    # a second less per run, and garbage made by tests is still collected as before.
    # Hypothesis makes and registers its own Random on its first run, warning when
    # gc.get_referrers finds nothing holding it: on Python 3.14 nothing frozen is found, and
    # filterwarnings = error failed the first Hypothesis test. One trivial search first
    # registers it while its holder is still visible.
    find(st.none(), lambda _: True)
    gc.freeze()


def reseed_torch(item: pytest.Item) -> None:
    """Seed torch from pytest-randomly's seed and the test's id, as pytest-randomly seeds
    random and NumPy, so `--randomly-seed=N` reproduces a test's torch draws too. Under
    `-p no:randomly` the seed is the test's id alone: a test's draws then never depend on
    which tests ran before it (a chain that a deselection or a Hypothesis example count
    would change), so a failure there reproduces when the test runs alone.

    Here rather than in a `pytest_randomly.random_seeder` entry point: that would need the
    package installed, ship in its wheel, and make every environment that has
    pytest-randomly import this package and torch.

    Not torch.manual_seed, which also queues a seed for every accelerator backend
    (CUDA, XPU, MTIA) and formats the whole call stack for each while that backend is not
    initialised: twice per test on pytest's deep stack, that was the suite's largest
    cost. The CPU generator and, where there is one, CUDA are all these tests use.
    """
    randomly = item.config.pluginmanager.has_plugin("randomly")
    if randomly and not item.config.getoption("randomly_reset_seed"):
        return  # --randomly-dont-reset-seed: one stream through the run, as asked
    base = item.config.getoption("randomly_seed") if randomly else 0
    seed = base + zlib.crc32(item.nodeid.encode())
    torch.default_generator.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)  # lazily, if CUDA is not initialised yet


def pytest_runtest_call(item: pytest.Item) -> None:
    reseed_torch(item)


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> None:
    # pytest-randomly (and reseed_torch) reseed every generator as each test's call phase
    # starts, which silently undoes the seed that the fixed_seed fixture set during setup.
    # Seed again, right before the test body runs.
    if "fixed_seed" in pyfuncitem.fixturenames:
        seed_everything(pyfuncitem.funcargs["fixed_seed"])


def pytest_runtest_setup(item: pytest.Item) -> None:
    reseed_torch(item)
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

    Unlike a global seed set in conftest, the generators' previous states and cuDNN's
    flags come back afterwards, so the test cannot change what runs after it.
    """
    seed = 42
    with seeded(seed):
        yield seed


@pytest.fixture
def tiny_model() -> MLPClassifier:
    """A 32 -> 16 -> 4 MLP: big enough to have every layer kind, small enough for milliseconds."""
    return MLPClassifier(in_features=32, hidden_size=16, num_outputs=4)


@pytest.fixture
def small_batch() -> dict[str, torch.Tensor]:
    """Eight feature vectors and labels from a private generator (no global seed touched)."""
    generator = torch.Generator().manual_seed(42)
    return {
        "features": torch.randn(8, 32, generator=generator),
        "label": torch.randint(0, 4, (8,), generator=generator),
    }


# Small labelled data that is NOT the bundled example, so tests of the machinery keep
# passing when you point DEFAULT_DATA at your own data. Label names are deliberately not
# in alphabetical order of appearance.
SUPPORT_TOPICS = {
    "refund": ("wants a refund for", "was charged twice for", "asks for the money back for"),
    "delivery": ("is still waiting for", "got a damaged box with", "cannot track the parcel of"),
    "account": ("cannot log in to see", "forgot the password protecting", "wants to delete"),
}
SUPPORT_SUBJECTS = ("the customer", "a shop owner", "my neighbour", "the client")
SUPPORT_OBJECTS = ("the order", "the blue jacket", "invoice 42")


ATOL = 1e-5  # float32 round-off when the same value is computed in another order or batch
MIN_CHANGE = 1e-4  # far above round-off, far below what a real change of input does


def rows_changed(before: torch.Tensor, after: torch.Tensor) -> torch.Tensor:
    """(B,) bool: which samples' logits moved by more than round-off (MIN_CHANGE)."""
    return (before - after).abs().amax(dim=-1) > MIN_CHANGE


def assert_close(actual: torch.Tensor, expected: torch.Tensor) -> None:
    """Equal shapes and every element within ATOL.

    Deliberately not torch.testing.assert_close: its first call imports
    torch.distributed (about a second), which would land on one unlucky test.
    """
    assert actual.shape == expected.shape
    deviation = (actual - expected).abs().max().item()
    assert deviation <= ATOL, f"values differ by up to {deviation:.1e}, more than atol={ATOL}"


def support_messages() -> list[dict[str, str]]:
    """36 labelled customer-support messages, 12 per class, interleaved by class."""
    per_class = [
        [
            {"text": f"{subject} {phrase} {thing}.", "label": label}
            for subject, phrase, thing in itertools.product(
                SUPPORT_SUBJECTS, phrases, SUPPORT_OBJECTS
            )
        ][::3]
        for label, phrases in SUPPORT_TOPICS.items()
    ]
    return [row for rows in zip(*per_class, strict=True) for row in rows]


def measurement_rows(count: int = 60) -> list[dict[str, float | str]]:
    """Tabular rows on very different scales whose label ("low", "high") follows a linear
    rule, from a private generator."""
    generator = torch.Generator().manual_seed(7)
    values = torch.randn(count, 3, generator=generator) * torch.tensor([10.0, 0.5, 100.0])
    values += torch.tensor([170.0, 2.0, 1000.0])
    score = (values[:, 0] - 170) / 10 + (values[:, 1] - 2) / 0.5
    return [
        {"height": h, "ratio": r, "weight": w, "label": "high" if s > 0 else "low"}
        for (h, r, w), s in zip(values.tolist(), score.tolist(), strict=True)
    ]


def price_rows(count: int = 60) -> list[dict[str, float]]:
    """Tabular rows whose "label" is a number far from 0 and 1 (a price around 1000), a
    linear function of two of the three features plus a little noise, from a private
    generator: a regressor that learns anything gets well below the label's std."""
    generator = torch.Generator().manual_seed(11)
    values = torch.randn(count, 3, generator=generator)
    noise = torch.randn(count, generator=generator)
    price = 1000 + 80 * values[:, 0] - 40 * values[:, 1] + 5 * noise
    return [
        {"rooms": a, "age": b, "distance": c, "label": y}
        for (a, b, c), y in zip(values.tolist(), price.tolist(), strict=True)
    ]


def friedman_rows(count: int, seed: int) -> list[dict[str, float]]:
    """Friedman's first regression problem (1991), as scikit-learn's make_friedman1 has it:
    ten uniform features x0..x9, of which five matter, and the label
    10 sin(pi x0 x1) + 20 (x2 - 0.5)^2 + 10 x3 + 5 x4 + noise of std 1. Nonlinear, so a
    linear model cannot fit it and an MLP must; from a private generator, the same rows on
    every machine."""
    generator = torch.Generator().manual_seed(seed)
    x = torch.rand(count, 10, generator=generator, dtype=torch.float64)
    noise = torch.randn(count, generator=generator, dtype=torch.float64)
    label = (
        10 * torch.sin(torch.pi * x[:, 0] * x[:, 1])
        + 20 * (x[:, 2] - 0.5) ** 2
        + 10 * x[:, 3]
        + 5 * x[:, 4]
        + noise
    )
    return [
        {**{f"x{index}": round(value, 6) for index, value in enumerate(row)}, "label": round(y, 6)}
        for row, y in zip(x.tolist(), label.tolist(), strict=True)
    ]


def word_count_reviews() -> list[dict[str, str | float]]:
    """48 distinct short texts whose "label" is a known function of their words: 2 points
    per "great", minus 1 per "slow", plus 3 (the target of a text regressor)."""
    rows = []
    for great, slow, filler in itertools.product(
        range(4), range(3), ("parcel", "jacket", "app", "lamp")
    ):
        words = ["great"] * great + ["slow"] * slow + [filler, "arrived"]
        rows.append({"text": " ".join(words), "label": 3.0 + 2 * great - slow})
    return rows


# The image classes of the suite's tiny image data: which part of a 12 x 12 image is bright.
BRIGHT_PARTS = {"left": (slice(None), slice(0, 6)), "right": (slice(None), slice(6, 12))}
BRIGHT_PARTS["top"] = (slice(0, 6), slice(None))


def save_image(path: Path, pixels: torch.Tensor, **options: Any) -> Path:
    """Write uint8 ``pixels`` (H, W) or (H, W, C) with Pillow (format from the suffix)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels.to(torch.uint8).numpy()).save(path, **options)
    return path


def bright_part_image(label: str, seed: int, channels: int = 1) -> torch.Tensor:
    """A 12 x 12 image of noise in 0..99 whose ``label`` part is 150 levels brighter."""
    generator = torch.Generator().manual_seed(seed)
    pixels = torch.randint(0, 100, (12, 12, channels), generator=generator)
    pixels[BRIGHT_PARTS[label]] += 150
    return pixels.squeeze(-1) if channels == 1 else pixels


def write_image_folder(root: Path, per_class: int = 10, channels: int = 1) -> Path:
    """Class folders of tiny PNGs, ``per_class`` of each BRIGHT_PARTS class (distinct bytes)."""
    for number, label in enumerate(sorted(BRIGHT_PARTS)):
        for index in range(per_class):
            pixels = bright_part_image(label, seed=1000 * number + index, channels=channels)
            save_image(root / label / f"{index}.png", pixels)
    return root


def write_table(path: Path, rows: Sequence[dict]) -> Path:
    """Write ``rows`` (dicts with the same keys) as CSV or JSON Lines, by ``path``'s suffix."""
    if path.suffix == ".jsonl":
        path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    else:
        with path.open("w", newline="", encoding="utf-8") as file:
            # "\n", not the csv module's "\r\n": a golden file's bytes stay the same
            # whichever engine renders it (copier's Jinja writes every newline as "\n").
            writer = csv.DictWriter(file, fieldnames=list(rows[0]), lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
    return path


@dataclass(frozen=True)
class LoadedSource:
    """What a data source made of the rows it was fed, next to those rows: the data
    contract (tests/unit/test_data_contract.py) checks the one against the other."""

    data: PreparedData
    rows: list[tuple[Input, str]]  # every (input, label) the source was fed, in order


LoadSource = Callable[[Path, int], LoadedSource]  # (an empty folder, the split seed)


def example_of(record: dict) -> tuple[Input, str]:
    """A record's (input, label): its "text", or else its other values in column order."""
    label = str(record["label"])
    if "text" in record:
        return record["text"], label
    return tuple(value for name, value in record.items() if name != "label"), label


def table_source(
    name: str,
    records: Callable[[], list[dict]],
    write: Callable[[Path, Sequence[dict]], Path] = write_table,
    target: Target = "classification",
) -> LoadSource:
    """The data source that reads ``records()`` written by ``write`` as ``folder/name``:
    `load_data` picks the reader by the file's suffix, as `train --data` does."""

    def load(folder: Path, split_seed: int) -> LoadedSource:
        rows = records()
        spec = DataSpec(path=write(folder / name, rows), split_seed=split_seed, target=target)
        data = load_data(spec)
        return LoadedSource(data, [example_of(row) for row in rows])

    return load


def image_folder_source(folder: Path, split_seed: int) -> LoadedSource:
    """Class folders of 37 tiny PNGs, one of them a byte-identical copy of another of its
    class under another name (which must land in one split with it)."""
    root = write_image_folder(folder / "images", per_class=12)
    (root / "left" / "copy.png").write_bytes((root / "left" / "0.png").read_bytes())
    rows = [(inspect_image(path), path.parent.name) for path in sorted(root.glob("*/*.png"))]
    return LoadedSource(load_data(DataSpec(path=root, split_seed=split_seed)), rows)


def image_table_source(folder: Path, split_seed: int) -> LoadedSource:
    """A CSV naming 36 tiny PNGs by paths relative to it, in a sub-folder."""
    write_image_folder(folder / "files", per_class=12)
    records = [
        {"file": path.relative_to(folder).as_posix(), "label": path.parent.name}
        for path in sorted(folder.glob("files/*/*.png"))
    ]
    table = write_table(folder / "images.csv", records)
    rows = [(inspect_image(folder / record["file"]), record["label"]) for record in records]
    spec = DataSpec(path=table, image_column="file", split_seed=split_seed)
    return LoadedSource(load_data(spec), rows)


def bundled_source(folder: Path, split_seed: int) -> LoadedSource:
    """The bundled example sentences; they need no file."""
    rows = [example_of(row.values) for row in bundled_table().rows]
    return LoadedSource(load_data(DataSpec(split_seed=split_seed)), rows)


# Every data source the project reads, each on a small file it writes itself: the data
# contract runs all its tests on each. A loader of your own joins with one entry here
# (README, "Adding a data source").
CONTRACT_DATA_SOURCES: dict[str, LoadSource] = {
    "bundled": bundled_source,
    "csv-text": table_source("support.csv", support_messages),
    "jsonl-text": table_source("support.jsonl", support_messages),
    "csv-tabular": table_source("measurements.csv", measurement_rows),
    "jsonl-tabular": table_source("measurements.jsonl", measurement_rows),
    "folder-images": image_folder_source,
    "csv-images": image_table_source,
}


# The sources of numbers (a regression target), each with numeric labels: the data
# contract's TestNumericLabels runs on each.
CONTRACT_REGRESSION_SOURCES: dict[str, LoadSource] = {
    "csv-tabular-numbers": table_source("prices.csv", price_rows, target="regression"),
    "jsonl-text-numbers": table_source("reviews.jsonl", word_count_reviews, target="regression"),
}


@pytest.fixture(params=sorted(CONTRACT_DATA_SOURCES))
def source_name(request: pytest.FixtureRequest) -> str:
    """Each CONTRACT_DATA_SOURCES entry in turn: a test taking it runs on every source."""
    return request.param


@pytest.fixture(scope="session")
def load_source(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str, int], LoadedSource]:
    """load_source(name, split_seed): that entry's LoadedSource (of CONTRACT_DATA_SOURCES or
    CONTRACT_REGRESSION_SOURCES), from files in a new folder."""
    sources = CONTRACT_DATA_SOURCES | CONTRACT_REGRESSION_SOURCES
    return lambda name, split_seed: sources[name](tmp_path_factory.mktemp(name), split_seed)


@pytest.fixture
def support_rows() -> list[dict[str, str]]:
    """support_messages(), a fresh list each test: free to edit."""
    return support_messages()


@pytest.fixture
def measurements() -> list[dict[str, float | str]]:
    """measurement_rows(), a fresh list each test: free to edit."""
    return measurement_rows()


@pytest.fixture(name="write_table")
def write_table_fixture() -> Callable[[Path, Sequence[dict]], Path]:
    """write_table(path, rows): write rows as CSV or JSON Lines, by the path's suffix."""
    return write_table


@pytest.fixture
def price_csv(tmp_path: Path) -> Path:
    """A CSV of price_rows(): three numeric feature columns and a numeric "label"."""
    return write_table(tmp_path / "prices.csv", price_rows())


@pytest.fixture
def price_data(price_csv: Path) -> DataSpec:
    """The price rows as a regression target."""
    return DataSpec(path=price_csv, target="regression")


@pytest.fixture
def review_data(tmp_path: Path) -> DataSpec:
    """word_count_reviews() as a text regression target."""
    return DataSpec(
        path=write_table(tmp_path / "reviews.csv", word_count_reviews()), target="regression"
    )


@pytest.fixture
def text_csv(tmp_path: Path) -> Path:
    """A CSV of support_messages() with "text" and "label" columns."""
    return write_table(tmp_path / "support.csv", support_messages())


@pytest.fixture
def tabular_csv(tmp_path: Path) -> Path:
    """A CSV of measurement_rows(): three numeric feature columns and a "label" column."""
    return write_table(tmp_path / "measurements.csv", measurement_rows())


@dataclass(frozen=True)
class TrainedImages:
    """A CNN trained briefly on tiny class folders (RGB), with where its data is."""

    checkpoint: Path
    folder: Path


@pytest.fixture(scope="session")
def trained_images(tmp_path_factory: pytest.TempPathFactory) -> TrainedImages:
    """Two epochs of the default CNN on 3 x 10 RGB images of 12 x 12: enough for serving
    and parity tests (its accuracy is not their concern), in well under a second."""
    folder = tmp_path_factory.mktemp("trained-images")
    images = write_image_folder(folder / "images", per_class=10, channels=3)
    checkpoint = folder / "model.pt"
    spec = DataSpec(path=images, validation_fraction=0.2, test_fraction=0.2)
    train_classifier(TrainConfig(epochs=2, hidden_size=8), spec, checkpoint, log=None)
    return TrainedImages(checkpoint, images)


@pytest.fixture(scope="session")
def untrained_checkpoint() -> Callable[..., Path]:
    """Factory: save a random-weights transformer at ``path``, as if trained on the support
    messages (written next to it, and recorded as its data, with baselines fitted on its
    training split, so `evaluate` can score it).

    Serving code is tested on it in milliseconds: its predictions are meaningless but
    deterministic, which is all that parity, ordering and round-trip properties need.
    """

    def save(path: Path, hidden_size: int = 16, num_layers: int = 1, max_length: int = 16) -> Path:
        data = load_data(DataSpec(path=write_table(path.with_suffix(".csv"), support_messages())))
        tokenizer = build_tokenizer([str(text) for text in data.splits["train"].inputs])
        model = TransformerClassifier(
            vocab_size=tokenizer.vocab_size,
            hidden_size=hidden_size,
            num_layers=num_layers,
            num_outputs=len(data.label_names),
            max_length=max_length,
        )
        preprocessing = Preprocessing(tokenizer=tokenizer, max_length=max_length)
        train, labels = data.splits["train"], data.labels("train")
        save_checkpoint(
            path,
            model=model,
            tokenizer=tokenizer,
            label_names=data.label_names,
            max_length=max_length,
            baselines=fit_baselines(preprocessing, train, labels, len(data.label_names)),
            data_source=data.source,
        )
        return path

    return save


@pytest.fixture(scope="session")
def trained_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default model trained once per session on DEFAULT_DATA with the default
    TrainConfig, exactly as `train` does without options, and saved as `train` saves it.

    Saved once, at the end: `train` also saves after every epoch, with the state to resume
    from, which no test of this model reads (8 fsynced writes, about 0.06 s of this setup).
    Some 0.3 s on the bundled data, shared by every integration and regression test that
    needs a model that has learned something; never train per test.
    """
    path = tmp_path_factory.mktemp("trained") / "model.pt"
    train_classifier(TrainConfig(), DEFAULT_DATA, log=None).save(path)
    return path


@pytest.fixture(scope="session")
def trained_predictor(trained_checkpoint: Path) -> Predictor:
    """A Predictor over the session's trained checkpoint; it holds no state tests can change."""
    return Predictor(trained_checkpoint)


@pytest.fixture(scope="session")
def update_golden(request: pytest.FixtureRequest) -> bool:
    """True only when --update-golden was given: the one way the baseline is rewritten."""
    return request.config.getoption("--update-golden")


GOLDEN_REPORT = pytest.StashKey[list[str]]()


@pytest.fixture(scope="session")
def golden_report(request: pytest.FixtureRequest) -> list[str]:
    """Lines saying what --update-golden wrote; printed at the end of the run."""
    return request.config.stash.setdefault(GOLDEN_REPORT, [])


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for line in terminalreporter.config.stash.get(GOLDEN_REPORT, []):
        terminalreporter.write_line(f"--update-golden: {line}", yellow=True)
