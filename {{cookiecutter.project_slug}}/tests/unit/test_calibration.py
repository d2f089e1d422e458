"""Unit tests for expected calibration error, on hand-made predictions with known answers."""

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from {{ cookiecutter.module_name }}.training import (
    accuracy,
    calibration_bins,
    expected_calibration_error,
)

ATOL = 1e-6  # probabilities are float32: 0.7 is stored as 0.69999999


def predictions(confidence: float, count: int, correct: int) -> tuple[torch.Tensor, torch.Tensor]:
    """`count` three-class predictions of class 0 with top probability `confidence`, of
    which the first `correct` are right (target 0) and the others wrong (target 1)."""
    rest = (1 - confidence) / 2
    probabilities = torch.tensor([[confidence, rest, rest]]).repeat(count, 1)
    targets = torch.tensor([0] * correct + [1] * (count - correct))
    return probabilities, targets


def joined(*parts: tuple[torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    return torch.cat([p for p, _ in parts]), torch.cat([t for _, t in parts])


class TestExpectedCalibrationError:
    def test_calibrated_predictions_score_zero(self):
        """Ten 70 %-sure predictions of which seven are right: ECE 0. Catches confidence
        measured as anything but the top probability, and accuracy counted wrongly."""
        assert expected_calibration_error(*predictions(0.7, 10, 7)) == pytest.approx(0, abs=ATOL)

    def test_sure_and_always_wrong_scores_one(self):
        """Certain predictions that are all wrong: ECE 1, its largest value."""
        probabilities = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
        assert expected_calibration_error(probabilities, torch.tensor([1, 0])) == 1.0

    def test_bins_are_weighted_by_their_share_of_examples(self):
        """Four 90 %-sure predictions, two right (gap 0.4), and one 50 %-sure right one (gap
        0.5): ECE (4 * 0.4 + 1 * 0.5) / 5 = 0.42. Catches an unweighted mean over the bins
        (0.45) or over all 15 bins (0.06), which lets one odd example dominate."""
        ece = expected_calibration_error(*joined(predictions(0.9, 4, 2), predictions(0.5, 1, 1)))
        assert ece == pytest.approx(0.42, abs=ATOL)

    def test_over_and_underconfidence_do_not_cancel(self):
        """90 %-sure at 50 % accuracy and 40 %-sure at 80 % accuracy, five each: both miss
        by 0.4, so ECE is 0.4. Catches signed gaps, which would sum to 0 and call this
        model calibrated."""
        ece = expected_calibration_error(*joined(predictions(0.9, 10, 5), predictions(0.4, 10, 8)))
        assert ece == pytest.approx(0.4, abs=ATOL)

    @given(
        st.integers(min_value=1, max_value=40),
        st.integers(min_value=2, max_value=5),
        st.integers(min_value=0, max_value=2**16),
    )
    def test_bounded_by_one_and_by_the_single_bin_gap(self, count, num_classes, seed):
        """For any predictions, ECE lies in [0, 1], one bin gives exactly |accuracy - mean
        confidence|, and 15 bins never give less (the triangle inequality). Catches bins
        that drop examples, and gaps not divided by the number of examples."""
        generator = torch.Generator().manual_seed(seed)
        probabilities = torch.randn(count, num_classes, generator=generator).mul(3).softmax(-1)
        targets = torch.randint(0, num_classes, (count,), generator=generator)
        gap = abs(
            accuracy(probabilities.argmax(dim=1), targets)
            - probabilities.max(dim=1).values.double().mean().item()
        )
        one_bin = expected_calibration_error(probabilities, targets, num_bins=1)
        fifteen_bins = expected_calibration_error(probabilities, targets)
        assert one_bin == pytest.approx(gap, abs=ATOL)
        assert one_bin - ATOL <= fifteen_bins <= 1.0

    @pytest.mark.parametrize(
        ("probabilities", "targets", "num_bins", "message"),
        [
            pytest.param(torch.ones(3), torch.zeros(3), 15, r"\(N, C\)", id="1-d"),
            pytest.param(torch.ones(3, 2) / 2, torch.zeros(2), 15, r"\(N, C\)", id="lengths"),
            pytest.param(torch.ones(0, 2), torch.zeros(0), 15, "at least one", id="empty"),
            pytest.param(torch.tensor([[2.0, -1.0]]), torch.zeros(1), 15, "softmax", id="logits"),
            pytest.param(torch.ones(1, 2) / 2, torch.zeros(1), 0, "num_bins", id="bins"),
        ],
    )
    def test_rejects_bad_input(self, probabilities, targets, num_bins, message):
        """Logits, mismatched shapes, no examples or no bins fail with what was expected."""
        with pytest.raises(ValueError, match=message):
            expected_calibration_error(probabilities, targets.long(), num_bins=num_bins)


class TestCalibrationBins:
    def test_each_example_lands_in_the_bin_of_its_confidence(self):
        """Four 90 %-sure predictions (two right) fill bin 13 of 15, (0.867, 0.933], and one
        50 %-sure right one bin 7, (0.467, 0.533]; every other bin is empty. Catches bins
        of another width or an off-by-one bin index, which the reliability diagram shows."""
        counts, confidence_sums, correct_sums = calibration_bins(
            *joined(predictions(0.9, 4, 2), predictions(0.5, 1, 1))
        )
        expected_counts = [0.0] * 15
        expected_counts[13], expected_counts[7] = 4.0, 1.0
        assert counts.tolist() == expected_counts
        assert confidence_sums[13].item() == pytest.approx(3.6, abs=ATOL)
        assert (correct_sums[13].item(), correct_sums[7].item()) == (2.0, 1.0)

    def test_are_the_bins_of_the_ece(self):
        """ECE is the examples-weighted mean gap of these bins, so the diagram drawn from
        them shows the number reported. Catches the two binning differently."""
        probabilities, targets = joined(predictions(0.9, 10, 5), predictions(0.4, 10, 8))
        counts, confidence_sums, correct_sums = calibration_bins(probabilities, targets)
        gaps = (correct_sums - confidence_sums).abs().sum() / counts.sum()
        assert gaps.item() == pytest.approx(expected_calibration_error(probabilities, targets))
