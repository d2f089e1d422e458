"""Regression metrics (RMSE, MAE, R², the report's bins and residual histogram) against a
direct numpy computation of the formulas."""

import numpy as np
import pytest
import torch

from {{ cookiecutter.module_name }}.training import (
    binned_targets,
    mae,
    r2_score,
    regression_scores,
    residual_histogram,
    rmse,
)

PREDICTED = [2.5, 0.0, 2.0, 8.0, -1.0]
ACTUAL = [3.0, -0.5, 2.0, 7.0, 1.0]


def tensors(predicted=PREDICTED, actual=ACTUAL) -> tuple[torch.Tensor, torch.Tensor]:
    return torch.tensor(predicted), torch.tensor(actual)


class TestRmse:
    def test_equals_numpy(self):
        """sqrt(mean((y_hat - y)^2)), as numpy computes it in float64 (within 1e-6).
        Catches a missing square root (the MSE) and a sum instead of a mean."""
        errors = np.subtract(PREDICTED, ACTUAL)
        assert rmse(*tensors()) == pytest.approx(np.sqrt(np.mean(errors**2)), abs=1e-6)

    def test_perfect_predictions_score_zero(self):
        assert rmse(*tensors(ACTUAL, ACTUAL)) == 0.0

    def test_is_in_the_targets_units(self):
        """Scaling predictions and targets by 1000 scales the RMSE by 1000 (relative 1e-6).
        Catches an RMSE computed on standardised values and reported as the label's."""
        predicted, actual = tensors()
        assert rmse(1000 * predicted, 1000 * actual) == pytest.approx(
            1000 * rmse(predicted, actual)
        )


class TestMae:
    def test_equals_numpy(self):
        """mean(|y_hat - y|) as numpy computes it (within 1e-6)."""
        expected = np.mean(np.abs(np.subtract(PREDICTED, ACTUAL)))
        assert mae(*tensors()) == pytest.approx(expected, abs=1e-6)


class TestR2Score:
    def test_equals_numpy(self):
        """1 - SS_res / SS_tot with SS_tot about the targets' mean (within 1e-6). Catches the
        wrong denominator: squares about the predictions' mean, or a count instead of a sum."""
        predicted, actual = np.array(PREDICTED), np.array(ACTUAL)
        expected = 1 - ((actual - predicted) ** 2).sum() / ((actual - actual.mean()) ** 2).sum()
        assert r2_score(*tensors()) == pytest.approx(expected, abs=1e-6)

    def test_predicting_the_mean_scores_zero(self):
        """Always the targets' mean gives R² 0 (within 1e-9): the mean baseline's score."""
        mean = float(np.mean(ACTUAL))
        assert r2_score(*tensors([mean] * len(ACTUAL))) == pytest.approx(0.0, abs=1e-9)

    def test_worse_than_the_mean_is_negative(self):
        """Predictions on the wrong side score below 0, not clipped to 0."""
        assert r2_score(*tensors([-value for value in ACTUAL])) < 0

    @pytest.mark.parametrize(("predicted", "expected"), [([4.0, 4.0], 1.0), ([4.0, 5.0], 0.0)])
    def test_constant_targets_give_a_finite_score(self, predicted, expected):
        """Constant targets have no spread: 1 when every prediction is right, else 0 (as
        scikit-learn's r2_score), never the NaN or infinity of 0 / 0."""
        assert r2_score(*tensors(predicted, [4.0, 4.0])) == expected


class TestRegressionScores:
    def test_names_the_three_metrics(self):
        """rmse, mae and r2, each the function's value."""
        predicted, actual = tensors()
        assert regression_scores(predicted, actual) == {
            "rmse": rmse(predicted, actual),
            "mae": mae(predicted, actual),
            "r2": r2_score(predicted, actual),
        }

    @pytest.mark.parametrize(
        ("predicted", "actual"),
        [
            (torch.zeros(5, 1), torch.zeros(5)),  # a head's column against the targets
            (torch.zeros(4), torch.zeros(5)),
            (torch.zeros(0), torch.zeros(0)),
        ],
    )
    def test_refuses_other_shapes_and_empty_inputs(self, predicted, actual):
        """Predictions and targets must be 1-D, of one length, not empty. Catches (N, 1)
        against (N,) broadcasting to an N x N table of errors."""
        with pytest.raises(ValueError, match="predictions and targets"):
            regression_scores(predicted, actual)


class TestBinnedTargets:
    def test_each_bin_holds_the_predictions_of_its_share_of_the_range(self):
        """Predictions 0..10 in 5 bins of width 2: counts and sums as numpy's digitize
        gives them, the maximum in the last bin. Catches bins of the targets' range (the
        diagram would then not show the bias of a prediction range) and a lost maximum."""
        predicted = np.array([0.0, 1.0, 3.5, 4.0, 9.0, 10.0])
        actual = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
        counts, prediction_sums, target_sums = binned_targets(
            torch.tensor(predicted), torch.tensor(actual), num_bins=5
        )
        index = np.minimum(np.digitize(predicted, np.linspace(0, 10, 6)) - 1, 4)
        assert counts.tolist() == np.bincount(index, minlength=5).tolist() == [2, 1, 1, 0, 2]
        assert prediction_sums.tolist() == np.bincount(index, predicted, minlength=5).tolist()
        assert target_sums.tolist() == np.bincount(index, actual, minlength=5).tolist()

    def test_equal_predictions_share_the_first_bin(self):
        """A constant model puts every example in bin 0, never a NaN index from 0 / 0."""
        counts, _, target_sums = binned_targets(torch.full((3,), 2.0), torch.tensor(ACTUAL[:3]))
        assert counts.tolist()[0] == 3
        assert target_sums[0].item() == pytest.approx(sum(ACTUAL[:3]))


class TestResidualHistogram:
    def test_counts_target_minus_prediction_as_numpy(self):
        """The counts and edges of numpy's histogram of (target - prediction), within 1e-9.
        Catches prediction - target, which mirrors the histogram: a model that
        under-predicts would look like one that over-predicts."""
        predicted, actual = tensors()
        counts, edges = residual_histogram(predicted, actual, num_bins=4)
        residuals = np.subtract(ACTUAL, PREDICTED, dtype=np.float32).astype(np.float64)
        expected_counts, expected_edges = np.histogram(residuals, bins=4)
        assert counts.tolist() == expected_counts.tolist()
        assert edges.tolist() == pytest.approx(expected_edges.tolist(), abs=1e-9)
