"""Regression tier: the default model's results on a fixed golden set must not drift.

Everything this tier reads lives in one place, tests/regression/golden/:

- golden_set.jsonl (or golden_set.csv): labelled examples in the same columns as the
  training data, held out from it: hand-written sentences for the bundled example.
- baseline.json: what the default model (DEFAULT_DATA, default TrainConfig) scored on
  them, and what it predicted for each example.

A code change that silently degrades the model (preprocessing, architecture, training
loop, seeding) shows up here as lower metrics or flipped predictions. After an intended
change, review the differences the test reports, then rewrite the baseline and commit it:

    pytest tests/regression --update-golden

For your own data, replace the golden set with held-out rows of it (your test file is a
good start), then run the same command. Without --update-golden the baseline is only read.
"""

import dataclasses
import json
import shutil
from pathlib import Path

import pytest

from {{ cookiecutter.module_name }}.data import Examples, normalize_text
from {{ cookiecutter.module_name }}.inference import Predictor
from {{ cookiecutter.module_name }}.task import DEFAULT_DATA, load_data, read_examples, score
from {{ cookiecutter.module_name }}.training import TrainConfig

GOLDEN_DIR = Path(__file__).parent / "golden"
BASELINE = GOLDEN_DIR / "baseline.json"

# Tolerances: a metric may fall at most one percentage point below the baseline, and at
# most one golden example may change its predicted label. With 60 examples one example
# is 1.7 points, so any newly wrong prediction fails the accuracy check; the flip budget
# absorbs one borderline example moving between two wrong labels, or floating-point
# noise across CPUs and thread counts.
METRIC_TOLERANCE = 0.01
MAX_CHANGED_PREDICTIONS = 1


def golden_set_path() -> Path:
    """The golden set: golden_set.jsonl or golden_set.csv, whichever is there (one only)."""
    found = sorted(GOLDEN_DIR.glob("golden_set.*"))
    assert len(found) == 1, f"expected one golden_set.jsonl or .csv in {GOLDEN_DIR}, got {found}"
    return found[0]


def key(examples: Examples, index: int) -> str:
    """How the baseline names an example: its text, or its line for a feature row."""
    value = examples.inputs[index]
    return value if isinstance(value, str) else examples.origins[index].rsplit(":", 1)[-1]


def golden_result(predictor: Predictor, examples: Examples) -> dict:
    """Metrics and per-example predicted labels of `predictor` on `examples`."""
    metrics = score(predictor, examples)
    results = predictor.predict_batch(list(examples.inputs))
    return {
        "train_config": dataclasses.asdict(TrainConfig()),
        "data": load_data(DEFAULT_DATA).source["path"],
        "accuracy": round(metrics["accuracy"], 4),
        "macro_f1": round(metrics["macro_f1"], 4),
        "predictions": {
            key(examples, index): result["label"] for index, result in enumerate(results)
        },
    }


def load_or_update_baseline(path: Path, result: dict, update: bool) -> dict:
    """The stored baseline; when `update` is True, first replace it with `result`.

    This is the only place the baseline is written, and only on explicit request.
    """
    if update:
        path.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def golden_set(trained_predictor: Predictor) -> Examples:
    """The golden examples, read with the columns the default model was trained on."""
    return read_examples(trained_predictor, golden_set_path())


@pytest.fixture(scope="session")
def result(trained_predictor: Predictor, golden_set: Examples) -> dict:
    """The golden-set score of the session's model (trained once, shared with the
    integration tests)."""
    return golden_result(trained_predictor, golden_set)


@pytest.fixture(scope="session")
def baseline(result: dict, update_golden: bool, golden_report: list[str]) -> dict:
    if update_golden:
        golden_report.append(
            f"wrote {BASELINE}: accuracy {result['accuracy']}, macro F1 {result['macro_f1']}, "
            f"{len(result['predictions'])} predictions of {golden_set_path().name}"
        )
    return load_or_update_baseline(BASELINE, result, update_golden)


class TestGoldenSet:
    def test_every_class_of_the_model_is_in_the_golden_set(self, golden_set, trained_predictor):
        """Each class the model predicts has a golden example, and every golden label is
        one of the model's classes. Catches: a golden set for other data than the model's."""
        assert set(golden_set.labels) == set(trained_predictor.label_names)

    def test_examples_are_distinct(self, golden_set):
        """No example is repeated (texts after normalisation), so none counts twice."""
        keys = [
            normalize_text(value) if isinstance(value, str) else repr(value)
            for value in golden_set.inputs
        ]
        assert len(set(keys)) == len(keys)

    def test_golden_set_is_disjoint_from_the_training_data(self, golden_set):
        """No golden example is in the default data's training split.
        Catches: a golden set that measures memorisation instead of generalisation."""
        train = load_data(DEFAULT_DATA).splits["train"]
        seen = {normalize_text(v) if isinstance(v, str) else repr(v) for v in train.inputs}
        for value, origin in zip(golden_set.inputs, golden_set.origins, strict=True):
            assert (normalize_text(value) if isinstance(value, str) else repr(value)) not in seen, (
                origin
            )

    def test_baseline_covers_exactly_the_golden_set(self, golden_set, baseline):
        """The baseline has one prediction per golden example, no more, no less.
        Catches: a golden set edited without regenerating the baseline."""
        assert list(baseline["predictions"]) == [key(golden_set, i) for i in range(len(golden_set))]

    def test_baseline_was_recorded_with_the_default_config_and_data(self, baseline):
        """The baseline was produced by today's default TrainConfig on DEFAULT_DATA.
        Catches: defaults or data changed without rerunning with --update-golden."""
        assert baseline["train_config"] == dataclasses.asdict(TrainConfig())
        assert baseline["data"] == load_data(DEFAULT_DATA).source["path"]


class TestBaselineFile:
    @pytest.fixture
    def baseline_copy(self, tmp_path: Path) -> Path:
        path = tmp_path / "baseline.json"
        shutil.copy2(BASELINE, path)
        return path

    def test_baseline_is_never_written_without_the_flag(self, baseline_copy):
        """Without --update-golden the file keeps its bytes and modification time, even for
        a result that differs. Catches: a test that 'heals' itself by overwriting the baseline."""
        before = (baseline_copy.read_bytes(), baseline_copy.stat().st_mtime_ns)
        worse = {**json.loads(before[0]), "accuracy": 0.0, "predictions": {}}
        load_or_update_baseline(baseline_copy, worse, update=False)
        assert (baseline_copy.read_bytes(), baseline_copy.stat().st_mtime_ns) == before

    def test_update_flag_rewrites_the_baseline(self, baseline_copy):
        """With --update-golden the stored baseline becomes this run's result."""
        new = {**json.loads(baseline_copy.read_text()), "accuracy": 0.5}
        assert load_or_update_baseline(baseline_copy, new, update=True) == new
        assert json.loads(baseline_copy.read_text()) == new


class TestGoldenMetrics:
    def test_accuracy_has_not_dropped(self, result, baseline):
        """Golden-set accuracy is at most 1 percentage point below the baseline."""
        assert result["accuracy"] >= baseline["accuracy"] - METRIC_TOLERANCE

    def test_macro_f1_has_not_dropped(self, result, baseline):
        """Golden-set macro F1 is at most 1 point below the baseline.
        Catches: one class getting worse while accuracy hides it."""
        assert result["macro_f1"] >= baseline["macro_f1"] - METRIC_TOLERANCE

    def test_per_example_predictions_are_stable(self, result, baseline):
        """At most one golden example changes its predicted label.
        Catches: behaviour changes that leave the metrics flat (as many fixed as broken)."""
        changed = {
            example: f"{label} -> {result['predictions'].get(example)}"
            for example, label in baseline["predictions"].items()
            if result["predictions"].get(example) != label
        }
        assert len(changed) <= MAX_CHANGED_PREDICTIONS, (
            f"{len(changed)} golden predictions changed (intended? rerun with "
            f"--update-golden): {json.dumps(changed, indent=2)}"
        )
