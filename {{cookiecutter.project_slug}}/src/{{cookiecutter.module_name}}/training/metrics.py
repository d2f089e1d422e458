"""Metrics over every example of a split: classification metrics on predicted and true
class indices, regression metrics (RMSE, MAE, R²) on predicted and true numbers."""

import torch
from torch import Tensor


def _check_pair(preds: Tensor, targets: Tensor) -> None:
    if preds.ndim != 1 or preds.shape != targets.shape:
        raise ValueError(
            "preds and targets must be 1-D class indices of the same length, "
            f"got shapes {tuple(preds.shape)} and {tuple(targets.shape)}"
        )
    if preds.numel() == 0:
        raise ValueError("preds and targets are empty: a metric needs at least one example")


def _check_classes(preds: Tensor, targets: Tensor, num_classes: int) -> None:
    _check_pair(preds, targets)
    if preds.min() < 0 or targets.min() < 0 or max(preds.max(), targets.max()) >= num_classes:
        raise ValueError(f"class indices must lie in [0, {num_classes})")


def accuracy(preds: Tensor, targets: Tensor) -> float:
    """Fraction of examples whose predicted class equals the true class."""
    _check_pair(preds, targets)
    return (preds == targets).float().mean().item()


def macro_f1(preds: Tensor, targets: Tensor, num_classes: int) -> float:
    """Unweighted mean of the per-class F1 scores, so rare classes count as much as common ones.

    Averages over the classes that occur in ``targets`` or ``preds`` (as scikit-learn's
    ``f1_score(average="macro")`` does): a class absent from both says nothing about the
    model and would otherwise count as a score of 0.
    """
    _check_classes(preds, targets, num_classes)
    true_positives = torch.bincount(targets[preds == targets], minlength=num_classes)
    predicted = torch.bincount(preds, minlength=num_classes)
    actual = torch.bincount(targets, minlength=num_classes)
    present = (predicted + actual) > 0
    # F1 = 2TP / (2TP + FP + FN) = 2TP / (predicted + actual)
    f1 = 2 * true_positives[present] / (predicted + actual)[present]
    return f1.float().mean().item()


def confusion_matrix(preds: Tensor, targets: Tensor, num_classes: int) -> Tensor:
    """(C, C) int64 counts: row i, column j holds the examples of true class i predicted j."""
    _check_classes(preds, targets, num_classes)
    flat = torch.bincount(targets * num_classes + preds, minlength=num_classes * num_classes)
    return flat.reshape(num_classes, num_classes)


def per_class_scores(confusion: Tensor) -> dict[str, Tensor]:
    """Precision, recall and F1 (C,) float64 and support (C,) of a confusion matrix.

    Precision is the share of a class's predictions that are right (a column), recall the
    share of its examples found (a row). A ratio over zero examples is 0, as scikit-learn's
    ``zero_division=0`` has it: a class never predicted has no precision to credit.
    """
    true_positives = confusion.diagonal().double()
    predicted, actual = confusion.sum(dim=0).double(), confusion.sum(dim=1).double()

    def ratio(numerator: Tensor, denominator: Tensor) -> Tensor:
        return torch.where(denominator > 0, numerator / denominator.clamp(min=1), 0.0)

    return {
        "precision": ratio(true_positives, predicted),
        "recall": ratio(true_positives, actual),
        "f1": ratio(2 * true_positives, predicted + actual),  # 2TP / (2TP + FP + FN)
        "support": confusion.sum(dim=1),
    }


def calibration_bins(
    probabilities: Tensor, targets: Tensor, num_bins: int = 15
) -> tuple[Tensor, Tensor, Tensor]:
    """The bins of ``expected_calibration_error``: per bin (num_bins,) float64, the number
    of examples, the sum of their confidences and the number of them that are right.

    Each example's confidence (its top probability) falls into one of ``num_bins`` equal
    bins of (0, 1]. A reliability diagram plots correct / count against confidence / count.
    """
    if probabilities.ndim != 2 or probabilities.shape[0] != targets.shape[0] or targets.ndim != 1:
        raise ValueError(
            "probabilities must be (N, C) and targets (N,), "
            f"got shapes {tuple(probabilities.shape)} and {tuple(targets.shape)}"
        )
    if targets.numel() == 0:
        raise ValueError("probabilities and targets are empty: ECE needs at least one example")
    if not ((probabilities >= 0) & (probabilities <= 1)).all():
        raise ValueError("probabilities must lie in [0, 1] (apply softmax to logits first)")
    if isinstance(num_bins, bool) or not isinstance(num_bins, int) or num_bins < 1:
        raise ValueError(f"num_bins must be a positive int, got {num_bins!r}")
    confidences, predictions = probabilities.double().max(dim=1)  # (N,) each
    correct = (predictions == targets).double()  # (N,)
    # Bin b holds confidences in (b / M, (b + 1) / M]; a confidence of exactly 0 joins bin 0.
    bins = (confidences * num_bins).ceil().long().clamp(min=1, max=num_bins) - 1  # (N,)
    counts = torch.bincount(bins, minlength=num_bins).double()
    confidence_sums = torch.zeros(num_bins, dtype=torch.float64).index_add_(0, bins, confidences)
    correct_sums = torch.zeros(num_bins, dtype=torch.float64).index_add_(0, bins, correct)
    return counts, confidence_sums, correct_sums


def expected_calibration_error(probabilities: Tensor, targets: Tensor, num_bins: int = 15) -> float:
    """How far confidence is from accuracy, on average over examples (Guo et al., 2017).

    Over the bins of ``calibration_bins``, ECE is the mean of |accuracy - mean confidence|
    in a bin, weighted by the share of examples it holds. 0 for a model whose 80 %-sure
    answers are right 80 % of the time; a model that is always sure and always wrong scores 1.
    """
    _, confidence_sums, correct_sums = calibration_bins(probabilities, targets, num_bins)
    # sum_b (n_b / N) * |acc_b - conf_b| == sum_b |correct_b - confidence_b| / N
    return ((correct_sums - confidence_sums).abs().sum() / targets.numel()).item()


def _check_values(predictions: Tensor, targets: Tensor) -> tuple[Tensor, Tensor]:
    """Both as float64 (N,), after checking they are 1-D, equal in length and not empty."""
    if predictions.ndim != 1 or predictions.shape != targets.shape:
        raise ValueError(
            "predictions and targets must be 1-D numbers of the same length, "
            f"got shapes {tuple(predictions.shape)} and {tuple(targets.shape)}"
        )
    if predictions.numel() == 0:
        raise ValueError("predictions and targets are empty: a metric needs at least one example")
    return predictions.double(), targets.double()


def rmse(predictions: Tensor, targets: Tensor) -> float:
    """Root mean squared error, in the targets' units."""
    predicted, actual = _check_values(predictions, targets)
    return (predicted - actual).square().mean().sqrt().item()


def mae(predictions: Tensor, targets: Tensor) -> float:
    """Mean absolute error, in the targets' units."""
    predicted, actual = _check_values(predictions, targets)
    return (predicted - actual).abs().mean().item()


def r2_score(predictions: Tensor, targets: Tensor) -> float:
    """Coefficient of determination: 1 - residual sum of squares / the targets' sum of
    squares about their own mean. 1 is perfect, 0 is as good as predicting that mean, below
    0 worse. Constant targets have no spread to explain: 1.0 when every prediction equals
    them, else 0.0 (as scikit-learn's ``r2_score``)."""
    predicted, actual = _check_values(predictions, targets)
    residual = (actual - predicted).square().sum()
    total = (actual - actual.mean()).square().sum()
    if total == 0:
        return 1.0 if residual == 0 else 0.0
    return (1 - residual / total).item()


def binned_targets(
    predictions: Tensor, targets: Tensor, num_bins: int = 10
) -> tuple[Tensor, Tensor, Tensor]:
    """A regressor's reliability diagram: per bin (num_bins,) float64, the number of
    examples, the sum of their predictions and the sum of their targets.

    The bins split the predictions' range into ``num_bins`` equal parts (all in bin 0 when
    every prediction is the same). An unbiased model's mean target in each bin is its mean
    prediction there: a bin far from the diagonal is a range the model is biased in.
    """
    predicted, actual = _check_values(predictions, targets)
    if isinstance(num_bins, bool) or not isinstance(num_bins, int) or num_bins < 1:
        raise ValueError(f"num_bins must be a positive int, got {num_bins!r}")
    low, span = predicted.min(), predicted.max() - predicted.min()
    scaled = (predicted - low) / span if span > 0 else torch.zeros_like(predicted)
    bins = (scaled * num_bins).long().clamp(max=num_bins - 1)  # (N,), the maximum in the last
    counts = torch.bincount(bins, minlength=num_bins).double()
    prediction_sums = torch.zeros(num_bins, dtype=torch.float64).index_add_(0, bins, predicted)
    target_sums = torch.zeros(num_bins, dtype=torch.float64).index_add_(0, bins, actual)
    return counts, prediction_sums, target_sums


def residual_histogram(
    predictions: Tensor, targets: Tensor, num_bins: int = 20
) -> tuple[Tensor, Tensor]:
    """The residuals (target - prediction) counted in ``num_bins`` equal bins of their
    range: counts (num_bins,) and edges (num_bins + 1,), float64."""
    predicted, actual = _check_values(predictions, targets)
    counts, edges = torch.histogram(actual - predicted, bins=num_bins)
    return counts, edges


def regression_scores(predictions: Tensor, targets: Tensor) -> dict[str, float]:
    """RMSE, MAE and R² of ``predictions`` (N,) against ``targets`` (N,)."""
    return {
        "rmse": rmse(predictions, targets),
        "mae": mae(predictions, targets),
        "r2": r2_score(predictions, targets),
    }
