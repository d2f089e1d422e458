"""Regression tier: the default model's results on a fixed golden set must not drift.

golden/golden_set.jsonl holds hand-written sentences (not generated like the training
data) with their true labels. golden/baseline.json records what the model trained with
the default TrainConfig scored on them, and what it predicted for each sentence. A code
change that silently degrades the model (preprocessing, architecture, training loop,
seeding) shows up here as lower metrics or flipped predictions.

After an intended change to the model, review the differences the test reports, then
rewrite the baseline and commit it:

    pytest tests/regression --update-golden

Without --update-golden the baseline is only ever read.
"""

import dataclasses
import json
import shutil
from pathlib import Path

import pytest
import torch

from {{ cookiecutter.module_name }}.data import LABEL_NAMES, load_example_splits, normalize_text
from {{ cookiecutter.module_name }}.inference import Predictor
from {{ cookiecutter.module_name }}.training import (
    TrainConfig,
    accuracy,
    macro_f1,
)

GOLDEN_DIR = Path(__file__).parent / "golden"
GOLDEN_SET = GOLDEN_DIR / "golden_set.jsonl"
BASELINE = GOLDEN_DIR / "baseline.json"

# Tolerances: a metric may fall at most one percentage point below the baseline, and at
# most one golden sentence may change its predicted label. With 60 sentences one
# sentence is 1.7 points, so any newly wrong prediction fails the accuracy check; the
# flip budget absorbs one borderline sentence moving between two wrong labels, or
# floating-point noise across CPUs and thread counts.
METRIC_TOLERANCE = 0.01
MAX_CHANGED_PREDICTIONS = 1


def read_golden_set() -> list[dict[str, str]]:
    """The golden examples, {"text", "label"} each, in file order."""
    lines = GOLDEN_SET.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def score(predictor: Predictor, examples: list[dict[str, str]]) -> dict:
    """Metrics and per-sentence predicted labels of `predictor` on `examples`."""
    results = predictor.predict_batch([example["text"] for example in examples])
    predicted = torch.tensor([LABEL_NAMES.index(result["label"]) for result in results])
    targets = torch.tensor([LABEL_NAMES.index(example["label"]) for example in examples])
    return {
        "train_config": dataclasses.asdict(TrainConfig()),
        "accuracy": round(accuracy(predicted, targets), 4),
        "macro_f1": round(macro_f1(predicted, targets, num_classes=len(LABEL_NAMES)), 4),
        "predictions": {
            example["text"]: result["label"]
            for example, result in zip(examples, results, strict=True)
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
def golden_result(trained_predictor: Predictor) -> dict:
    """The golden-set score of the session's model, trained with the default TrainConfig
    (the project's default seed): shared with the integration tests, trained once."""
    return score(trained_predictor, read_golden_set())


@pytest.fixture(scope="session")
def baseline(golden_result: dict, update_golden: bool) -> dict:
    return load_or_update_baseline(BASELINE, golden_result, update_golden)


class TestGoldenSet:
    def test_every_label_is_a_class_and_classes_are_balanced(self):
        """Each golden label names a class, and every class has the same number of examples.
        Catches: typos in labels, and a set that can score high by predicting one class."""
        labels = [example["label"] for example in read_golden_set()]
        assert set(labels) == set(LABEL_NAMES)
        assert len({labels.count(name) for name in LABEL_NAMES}) == 1

    def test_texts_are_distinct_and_not_blank(self):
        """No sentence is blank or repeated (after normalisation), so none counts twice."""
        texts = [normalize_text(example["text"]) for example in read_golden_set()]
        assert all(texts)
        assert len(set(texts)) == len(texts)

    def test_golden_set_is_disjoint_from_the_bundled_data(self):
        """No golden sentence appears in any split of the bundled dataset.
        Catches: a golden set that measures memorisation instead of generalisation."""
        bundled = {
            normalize_text(text) for split in load_example_splits().values() for text in split.texts
        }
        assert not [
            example["text"]
            for example in read_golden_set()
            if normalize_text(example["text"]) in bundled
        ]

    def test_baseline_covers_exactly_the_golden_set(self):
        """The baseline has one prediction per golden sentence, no more, no less.
        Catches: a golden set edited without regenerating the baseline."""
        baseline_texts = json.loads(BASELINE.read_text(encoding="utf-8"))["predictions"]
        assert list(baseline_texts) == [example["text"] for example in read_golden_set()]

    def test_baseline_was_recorded_with_the_default_config(self):
        """The baseline was produced by today's default TrainConfig.
        Catches: defaults changed without rerunning with --update-golden."""
        recorded = json.loads(BASELINE.read_text(encoding="utf-8"))["train_config"]
        assert recorded == dataclasses.asdict(TrainConfig())


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
    def test_accuracy_has_not_dropped(self, golden_result, baseline):
        """Golden-set accuracy is at most 1 percentage point below the baseline."""
        assert golden_result["accuracy"] >= baseline["accuracy"] - METRIC_TOLERANCE

    def test_macro_f1_has_not_dropped(self, golden_result, baseline):
        """Golden-set macro F1 is at most 1 point below the baseline.
        Catches: one class getting worse while accuracy hides it."""
        assert golden_result["macro_f1"] >= baseline["macro_f1"] - METRIC_TOLERANCE

    def test_per_sentence_predictions_are_stable(self, golden_result, baseline):
        """At most one golden sentence changes its predicted label.
        Catches: behaviour changes that leave the metrics flat (as many fixed as broken)."""
        changed = {
            text: f"{label} -> {golden_result['predictions'][text]}"
            for text, label in baseline["predictions"].items()
            if golden_result["predictions"].get(text) != label
        }
        assert len(changed) <= MAX_CHANGED_PREDICTIONS, (
            f"{len(changed)} golden predictions changed (intended? rerun with "
            f"--update-golden): {json.dumps(changed, indent=2)}"
        )
