"""Regression metrics (RMSE, MAE, R²) against a direct numpy computation of the formulas."""

import numpy as np
import pytest
import torch

from {{ cookiecutter.module_name }}.training import mae, r2_score, regression_scores, rmse

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
