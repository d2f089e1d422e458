"""Classification metrics on predicted and true class indices."""

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
    _check_pair(preds, targets)
    if preds.min() < 0 or targets.min() < 0 or max(preds.max(), targets.max()) >= num_classes:
        raise ValueError(f"class indices must lie in [0, {num_classes})")
    true_positives = torch.bincount(targets[preds == targets], minlength=num_classes)
    predicted = torch.bincount(preds, minlength=num_classes)
    actual = torch.bincount(targets, minlength=num_classes)
    present = (predicted + actual) > 0
    # F1 = 2TP / (2TP + FP + FN) = 2TP / (predicted + actual)
    f1 = 2 * true_positives[present] / (predicted + actual)[present]
    return f1.float().mean().item()
