"""Unit tests for the confusion matrix and the per-class scores, on predictions small
enough to count by hand."""

import pytest
import torch

from {{ cookiecutter.module_name }}.training import confusion_matrix, macro_f1, per_class_scores

# Seven examples of three classes. By hand, (true, predicted) pairs:
# (0,0) (0,1) (1,1) (2,2) (1,2) (2,2) (2,0)
PREDS = torch.tensor([0, 1, 1, 2, 2, 2, 0])
TARGETS = torch.tensor([0, 0, 1, 2, 1, 2, 2])
# Rows are true classes, columns predicted ones.
EXPECTED = [
    [1, 1, 0],  # class 0: one right, one taken for class 1
    [0, 1, 1],  # class 1: one right, one taken for class 2
    [1, 0, 2],  # class 2: two right, one taken for class 0
]
# precision = TP / column sum, recall = TP / row sum, F1 = 2PR / (P + R)
PRECISION = [1 / 2, 1 / 2, 2 / 3]
RECALL = [1 / 2, 1 / 2, 2 / 3]


class TestConfusionMatrix:
    def test_rows_are_true_labels_and_columns_predictions(self):
        """The hand-counted matrix above, cell for cell. Catches a transposed matrix
        (rows = predictions), which swaps every reading of "what is it confused with"."""
        assert confusion_matrix(PREDS, TARGETS, num_classes=3).tolist() == EXPECTED

    def test_counts_every_example_once(self):
        """500 random predictions: the cells sum to 500 and match a loop over the pairs.
        Catches examples dropped or counted twice."""
        generator = torch.Generator().manual_seed(0)
        preds = torch.randint(0, 4, (500,), generator=generator)
        targets = torch.randint(0, 4, (500,), generator=generator)
        expected = torch.zeros(4, 4, dtype=torch.long)
        for true, predicted in zip(targets.tolist(), preds.tolist(), strict=True):
            expected[true, predicted] += 1
        assert torch.equal(confusion_matrix(preds, targets, num_classes=4), expected)

    def test_a_class_absent_from_both_gets_an_empty_row_and_column(self):
        """num_classes fixes the shape, so a class of the label order that never occurs
        still has its row and column (of zeros)."""
        matrix = confusion_matrix(torch.tensor([0, 1]), torch.tensor([0, 1]), num_classes=3)
        assert matrix.tolist() == [[1, 0, 0], [0, 1, 0], [0, 0, 0]]

    def test_rejects_class_indices_out_of_range(self):
        """A class index >= num_classes is an error, not a silently larger matrix."""
        with pytest.raises(ValueError, match=r"\[0, 2\)"):
            confusion_matrix(torch.tensor([0, 2]), torch.tensor([0, 1]), num_classes=2)


class TestPerClassScores:
    @pytest.fixture
    def scores(self) -> dict[str, torch.Tensor]:
        return per_class_scores(confusion_matrix(PREDS, TARGETS, num_classes=3))

    def test_precision_recall_and_f1_match_the_hand_computation(self, scores):
        """Precision, recall and F1 of each class as computed by hand above."""
        f1 = [2 * p * r / (p + r) for p, r in zip(PRECISION, RECALL, strict=True)]
        assert scores["precision"].tolist() == pytest.approx(PRECISION)
        assert scores["recall"].tolist() == pytest.approx(RECALL)
        assert scores["f1"].tolist() == pytest.approx(f1)
        assert scores["support"].tolist() == [2, 2, 3]

    def test_precision_is_per_prediction_and_recall_per_example(self):
        """Class 0 predicted for all four examples, one of which is class 0: precision 1/4,
        recall 1. Catches recall computed as precision (or the reverse)."""
        scores = per_class_scores(
            confusion_matrix(torch.tensor([0, 0, 0, 0]), torch.tensor([0, 1, 1, 1]), 2)
        )
        assert scores["precision"][0].item() == pytest.approx(1 / 4)
        assert scores["recall"][0].item() == 1.0

    def test_a_class_never_predicted_scores_zero_not_nan(self):
        """Class 1 is never predicted: its precision (0 / 0) is 0, as in scikit-learn's
        zero_division=0, and every score stays finite for the JSON."""
        scores = per_class_scores(confusion_matrix(torch.tensor([0, 0]), torch.tensor([0, 1]), 2))
        assert scores["precision"].tolist() == [0.5, 0.0]
        assert all(torch.isfinite(scores[name]).all() for name in ("precision", "recall", "f1"))

    def test_their_f1_averages_to_macro_f1(self, scores):
        """With every class present, the mean per-class F1 is macro_f1: the two agree."""
        expected = macro_f1(PREDS, TARGETS, num_classes=3)
        assert scores["f1"].mean().item() == pytest.approx(expected)
