"""Speed benchmarks (pytest-benchmark) for preprocessing and prediction.

Deselected by default. Run them serially and in a fixed order, as the nightly job does:

    pytest -m benchmark -p no:randomly --benchmark-autosave      # save a baseline
    pytest -m benchmark -p no:randomly --benchmark-compare --benchmark-compare-fail=mean:25%

An absolute time means something only next to a baseline saved on the same machine, so
timings are checked by --benchmark-compare, never asserted here. What is asserted holds on
any machine: batching must pay off. That is a ratio of two benchmarks of the same run, so a
slower machine slows both sides alike. A busy one does not: time on an otherwise idle machine.
"""

import pytest
import torch
from pytest_benchmark.stats import Stats

from {{ cookiecutter.module_name }}.data import (
    Tokenizer,
    build_tokenizer,
    make_example_texts,
    normalize_features,
)
from {{ cookiecutter.module_name }}.inference import Predictor
from {{ cookiecutter.module_name }}.task import (
    DEFAULT_DATA,
    DEFAULT_HIDDEN_SIZES,
    fit_preprocessing,
    load_data,
)
from {{ cookiecutter.module_name }}.training import TrainConfig

pytestmark = pytest.mark.benchmark

NUM_TEXTS = 256
MIN_BATCH_SPEEDUP = 10.0
# The sizes of the model the CLI trains by default (a TrainConfig with no arguments).
SHIPPED = TrainConfig()


@pytest.fixture(scope="module")
def shipped_length() -> int:
    """The sequence length the default pipeline derives from the default data."""
    return fit_preprocessing(load_data(DEFAULT_DATA), SHIPPED, log=None).max_length


@pytest.fixture(scope="module")
def texts() -> list[str]:
    """256 distinct sentences of the bundled data: realistic lengths and vocabulary."""
    texts, _ = make_example_texts()
    return texts[:NUM_TEXTS]


@pytest.fixture(scope="module")
def tokenizer(texts: list[str]) -> Tokenizer:
    return build_tokenizer(texts)


@pytest.fixture(scope="module")
def predictor(
    tmp_path_factory: pytest.TempPathFactory, untrained_checkpoint, shipped_length: int
) -> Predictor:
    """A predictor for a shipped-size model with random weights, saved and loaded once.

    Speed depends on the model's sizes, not on what its weights learned: no training needed.
    Timed on the one torch thread conftest gives every test process, which is also the lower
    bound of the speedup (more threads help the batched path, not a one-text forward pass).
    """
    path = tmp_path_factory.mktemp("benchmark") / "model.pt"
    return Predictor(
        untrained_checkpoint(
            path,
            hidden_size=DEFAULT_HIDDEN_SIZES["transformer"],
            num_layers=SHIPPED.num_layers,
            max_length=shipped_length,
        )
    )


@pytest.fixture(scope="module")
def prediction_stats() -> dict[str, Stats]:
    """Timing statistics of each way to predict the texts, filled in by the benchmarks.

    A test may use the benchmark fixture only once, so the two ways are two benchmarks
    that meet here; whichever finishes second compares them.
    """
    return {}


class TestPreprocessingSpeed:
    def test_normalize_features(self, benchmark):
        """Standardising a (1024, 128) batch stays within 25 % of the saved baseline
        (--benchmark-compare-fail). Catches: a Python loop over rows or columns."""
        features = torch.randn(1024, 128, generator=torch.Generator().manual_seed(0))
        normalized = benchmark(normalize_features, features)
        assert normalized.shape == features.shape

    def test_encode_batch(self, benchmark, tokenizer, texts, shipped_length):
        """Encoding 256 texts stays within 25 % of the saved baseline (--benchmark-compare-fail).
        Catches: a vocabulary lookup that scans a list, one small tensor built per text."""
        encoded = benchmark(tokenizer.encode_batch, texts, shipped_length)
        assert encoded["input_ids"].shape == (NUM_TEXTS, shipped_length)


class TestPredictionSpeed:
    # At least 10 rounds of each way, so both minimums come from a fair number of tries.
    @pytest.mark.benchmark(group=f"predict {NUM_TEXTS} texts", min_rounds=10)
    @pytest.mark.parametrize("way", ["predict_batch", "predict"])
    def test_batch_is_10x_faster_than_one_call_per_text(
        self, way, benchmark, predictor, texts, prediction_stats
    ):
        """predict_batch on 256 texts is at least 10x faster than 256 predict calls.
        Catches: predict_batch calling predict per text, a batch size of 1, or per-text
        work added to the batched path.

        Compares the two benchmarks' fastest rounds: other processes only ever add time,
        so a minimum is the steadiest estimate of a code path's own cost (as in timeit).
        """
        if way == "predict":
            results = benchmark(lambda: [predictor.predict(text) for text in texts])
        else:
            results = benchmark(predictor.predict_batch, texts)
        assert len(results) == NUM_TEXTS
        if benchmark.disabled:  # --benchmark-disable, or xdist: the code ran once, untimed
            return

        prediction_stats[way] = benchmark.stats.stats
        if len(prediction_stats) < 2:
            return  # the other way has not run yet; it will compare
        one_by_one, batched = prediction_stats["predict"], prediction_stats["predict_batch"]
        speedup = one_by_one.min / batched.min
        for name, stats in prediction_stats.items():
            for statistic in ("min", "median", "mean"):
                benchmark.extra_info[f"{name}_{statistic}_s"] = getattr(stats, statistic)
        benchmark.extra_info["batch_speedup"] = speedup
        benchmark.extra_info["batch_speedup_of_medians"] = one_by_one.median / batched.median
        assert speedup >= MIN_BATCH_SPEEDUP, (
            f"predict_batch on {NUM_TEXTS} texts is only {speedup:.1f}x faster than "
            f"{NUM_TEXTS} predict calls (fastest rounds {batched.min * 1e3:.2f} ms vs "
            f"{one_by_one.min * 1e3:.2f} ms); expected at least {MIN_BATCH_SPEEDUP:.0f}x"
        )
