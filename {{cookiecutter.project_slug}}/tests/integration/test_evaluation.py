"""What ``evaluate`` reports (``task.score``): per-class scores, the confusion matrix and
the calibration bins, checked against a hand count, over every example.

``KnownPredictor`` stands in for a model whose predictions are given, so the confusion
matrix it must produce is known before anything runs.
"""

from collections.abc import Sequence
from pathlib import Path

import pytest
import torch

from {{ cookiecutter.module_name }}.baselines import Baselines
from {{ cookiecutter.module_name }}.data.sources import Examples
from {{ cookiecutter.module_name }}.inference import Prediction, Predictor, predictor
from {{ cookiecutter.module_name }}.task import read_examples, score

LABELS = ("cat", "dog", "fox")
# (true, predicted) of eight examples; the confusion matrix, rows true, columns predicted:
PAIRS = [
    ("cat", "cat"),
    ("cat", "cat"),
    ("cat", "dog"),
    ("dog", "dog"),
    ("dog", "fox"),
    ("fox", "fox"),
    ("fox", "fox"),
    ("fox", "cat"),
]
KNOWN_MATRIX = [[2, 1, 0], [0, 1, 1], [1, 0, 2]]
CONFIDENCE = 0.75  # of every prediction (exact in float32): all in bin 11, (0.733, 0.8]


class KnownPredictor:
    """The part of ``Predictor`` that ``score`` uses, predicting what it is told to."""

    task = "tabular"
    label_names = LABELS

    def __init__(self, predicted: Sequence[str]) -> None:
        self.predicted = list(predicted)
        # Training labels 0, 0, 1: the majority baseline always says "cat".
        self.baselines = Baselines.fit(torch.tensor([0, 0, 1]), len(LABELS))

    def predict_batch(self, examples: Sequence[object]) -> list[Prediction]:
        rest = (1 - CONFIDENCE) / (len(LABELS) - 1)
        return [
            Prediction(
                label=label,
                confidence=CONFIDENCE,
                probabilities={name: CONFIDENCE if name == label else rest for name in LABELS},
            )
            for label in self.predicted[: len(examples)]
        ]

    def encode(self, examples: Sequence[object]) -> dict[str, torch.Tensor]:
        return {"features": torch.zeros(len(examples), 1)}


@pytest.fixture
def known() -> dict:
    """The record ``score`` makes for the eight known predictions."""
    truth = [true for true, _ in PAIRS]
    examples = Examples("tabular", [(float(i),) for i in range(8)], truth, ["x"] * 8, ("x",))
    return score(KnownPredictor([predicted for _, predicted in PAIRS]), examples)


class TestScore:
    def test_confusion_matrix_is_the_hand_count_in_label_order(self, known):
        """Rows are true labels, columns predicted, both in the checkpoint's label order.
        Catches a transposed matrix and labels listed in another order than the counts."""
        assert known["confusion_matrix"] == {"labels": list(LABELS), "counts": KNOWN_MATRIX}

    def test_per_class_scores_are_the_hand_computation(self, known):
        """dog: 1 of its 2 predictions right (precision 1/2), 1 of its 2 examples found
        (recall 1/2); cat: precision 2/3, recall 2/3; by label name. Catches scores
        attached to the wrong label, and recall computed as precision."""
        cat, dog, fox = (known["per_class"][name] for name in LABELS)
        assert (cat["precision"], cat["recall"]) == pytest.approx((2 / 3, 2 / 3))
        assert (dog["precision"], dog["recall"], dog["f1"]) == pytest.approx((1 / 2, 1 / 2, 1 / 2))
        assert (fox["precision"], fox["recall"]) == pytest.approx((2 / 3, 2 / 3))
        assert [known["per_class"][name]["support"] for name in LABELS] == [3, 2, 3]

    def test_calibration_bins_hold_every_example_with_its_confidence(self, known):
        """All eight 75 %-sure predictions, five right, are in bin 11 of 15: mean confidence
        0.75 and accuracy 5/8 there, and no number (None) in the empty bins."""
        calibration = known["calibration"]
        assert calibration["examples"][11] == 8
        assert sum(calibration["examples"]) == 8
        assert calibration["mean_confidence"][11] == pytest.approx(CONFIDENCE)
        assert calibration["accuracy"][11] == pytest.approx(5 / 8)
        assert calibration["accuracy"][:11] == [None] * 11

    def test_beats_baselines_needs_every_baseline_beaten(self, known):
        """Accuracy 5/8 against the majority class's 3/8: true, with the baseline named."""
        assert known["baselines"] == {"majority_class": pytest.approx(3 / 8)}
        assert known["beats_baselines"] is True

    def test_a_model_as_accurate_as_a_baseline_does_not_beat_it(self):
        """A model that answers "cat" like the majority baseline scores its 3/8 exactly: the
        tie is not beating it. Catches >= where > is meant, which reports a model that
        learned nothing beyond the majority class as better than it."""
        truth = [true for true, _ in PAIRS]
        examples = Examples("tabular", [(float(i),) for i in range(8)], truth, ["x"] * 8, ("x",))
        tied = score(KnownPredictor(["cat"] * 8), examples)
        assert tied["accuracy"] == tied["baselines"]["majority_class"]
        assert tied["beats_baselines"] is False


def assert_same_record(actual: object, expected: object) -> None:
    """Equal records: the same keys, lengths, labels and counts, each float within 1e-6."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict)
        assert actual.keys() == expected.keys()
        for key in expected:
            assert_same_record(actual[key], expected[key])
    elif isinstance(expected, list):
        assert isinstance(actual, list)
        assert len(actual) == len(expected)
        for item, expected_item in zip(actual, expected, strict=True):
            assert_same_record(item, expected_item)
    elif isinstance(expected, float):
        assert actual == pytest.approx(expected, rel=1e-6, abs=1e-9)
    else:
        assert actual == expected


class TestScoreOfARealModel:
    def test_every_example_counts_whatever_the_batch_size(
        self, tmp_path: Path, untrained_checkpoint, text_csv, monkeypatch
    ):
        """Predicting 36 rows in batches of 5 gives the record of one batch of 36 (counts
        exactly, scores within 1e-6: a batch padded to another length rounds differently),
        and the matrix counts all 36. Catches metrics of the last batch only, or batch means."""
        model = Predictor(untrained_checkpoint(tmp_path / "model.pt"))
        examples = read_examples(model, text_csv)
        whole = score(model, examples)
        monkeypatch.setattr(predictor, "MAX_BATCH_SIZE", 5)
        assert_same_record(score(model, examples), whole)
        assert sum(map(sum, whole["confusion_matrix"]["counts"])) == len(examples) == 36

    def test_the_matrix_is_the_count_of_the_model_s_own_predictions(
        self, tmp_path: Path, untrained_checkpoint, text_csv
    ):
        """Cell (true, predicted) is how many rows of that label predict() gives that
        label, one text at a time. Catches a matrix of anything but the model's answers."""
        model = Predictor(untrained_checkpoint(tmp_path / "model.pt"))
        examples = read_examples(model, text_csv)
        names = list(model.label_names)
        expected = [[0] * len(names) for _ in names]
        for text, label in zip(examples.inputs, examples.labels, strict=True):
            expected[names.index(label)][names.index(model.predict(text)["label"])] += 1
        assert score(model, examples)["confusion_matrix"]["counts"] == expected
