"""Loss functions beyond plain cross-entropy: focal loss, a pairwise contrastive loss, and
the regression loss (MSE or Huber) with its guard against the (B, 1)-against-(B,) broadcast."""

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

REDUCTIONS = ("mean", "sum", "none")
REGRESSION_LOSSES = ("mse", "huber")


def _check_reduction(reduction: str) -> None:
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be one of {REDUCTIONS}, got {reduction!r}")


class FocalLoss(nn.Module):
    """Focal loss (Lin et al., 2017): cross-entropy that down-weights easy examples.

        loss_i = -alpha[y_i] * (1 - p_i) ** gamma * log(p_i),   p_i = softmax(logits_i)[y_i]

    With gamma=0 it is exactly ``F.cross_entropy(logits, targets, weight=alpha,
    ignore_index=ignore_index, reduction=reduction)``: ``alpha`` is a per-class weight
    like cross-entropy's ``weight``, "mean" divides by the summed weights of the
    non-ignored targets, and ignored targets contribute zero.

    Stable for any logits: log(p) comes from log_softmax, and 1 - p from expm1, clamped
    at machine epsilon so that (1 - p) ** gamma keeps a finite gradient when
    0 < gamma < 1 and the prediction is certain.
    """

    def __init__(
        self,
        gamma: float = 2.0,
        alpha: Sequence[float] | Tensor | None = None,
        reduction: str = "mean",
        ignore_index: int = -100,
    ) -> None:
        super().__init__()
        if gamma < 0:
            raise ValueError(f"gamma must be >= 0, got {gamma}")
        _check_reduction(reduction)
        self.gamma = float(gamma)
        self.reduction = reduction
        self.ignore_index = ignore_index
        self.alpha: Tensor | None
        self.register_buffer(
            "alpha", None if alpha is None else torch.as_tensor(alpha, dtype=torch.float)
        )
        if self.alpha is not None and self.alpha.ndim != 1:
            raise ValueError(
                f"alpha must be one weight per class, got shape {tuple(self.alpha.shape)}"
            )

    def forward(self, logits: Tensor, targets: Tensor) -> Tensor:
        """logits (N, C) float, targets (N,) class indices -> scalar, or (N,) for "none"."""
        self._check_inputs(logits, targets)
        kept = targets != self.ignore_index  # (N,)
        safe_targets = torch.where(kept, targets, 0)  # ignored rows read class 0, then count 0
        log_p = F.log_softmax(logits, dim=-1).gather(1, safe_targets[:, None]).squeeze(1)  # (N,)
        one_minus_p = (-torch.expm1(log_p)).clamp(min=torch.finfo(log_p.dtype).eps)
        loss = -one_minus_p.pow(self.gamma) * log_p  # (N,)

        weight = kept.to(loss.dtype)
        if self.alpha is not None:
            weight = weight * self.alpha.to(loss.dtype)[safe_targets]
        loss = weight * loss
        if self.reduction == "mean":
            return loss.sum() / weight.sum()
        if self.reduction == "sum":
            return loss.sum()
        return loss

    def _check_inputs(self, logits: Tensor, targets: Tensor) -> None:
        if logits.ndim != 2:
            raise ValueError(f"logits must be (N, C), got shape {tuple(logits.shape)}")
        if targets.shape != logits.shape[:1]:
            raise ValueError(
                f"targets must be (N,) = {tuple(logits.shape[:1])} to match logits "
                f"{tuple(logits.shape)}, got shape {tuple(targets.shape)}"
            )
        if targets.dtype != torch.long:
            raise ValueError(f"targets must be class indices (torch.long), got {targets.dtype}")
        if self.alpha is not None and self.alpha.numel() != logits.shape[1]:
            raise ValueError(
                f"alpha has {self.alpha.numel()} weights but logits have {logits.shape[1]} classes"
            )


class ContrastiveLoss(nn.Module):
    """Margin-based contrastive loss on embedding pairs (Hadsell, Chopra & LeCun, 2006).

        d      = ||x1 - x2||_2
        loss_i = same_i * d**2 + (1 - same_i) * max(0, margin - d) ** 2

    ``same`` is 1 for a similar pair (pulled together) and 0 for a dissimilar pair
    (pushed apart until it is at least ``margin`` away). The distance in the hinge is
    sqrt(d**2 + eps): the square root has an infinite derivative at 0, and without eps
    two identical embeddings would get a NaN gradient.
    """

    def __init__(self, margin: float = 1.0, reduction: str = "mean", eps: float = 1e-9) -> None:
        super().__init__()
        if margin <= 0:
            raise ValueError(f"margin must be > 0, got {margin}")
        _check_reduction(reduction)
        self.margin = margin
        self.reduction = reduction
        self.eps = eps

    def forward(self, x1: Tensor, x2: Tensor, same: Tensor) -> Tensor:
        """x1, x2 (N, D) embeddings, same (N,) of 0/1 -> scalar, or (N,) for "none"."""
        if x1.ndim != 2 or x1.shape != x2.shape:
            raise ValueError(
                f"x1 and x2 must both be (N, D), got shapes {tuple(x1.shape)} and {tuple(x2.shape)}"
            )
        if same.shape != x1.shape[:1]:
            raise ValueError(
                f"same must be (N,) = {tuple(x1.shape[:1])}, got shape {tuple(same.shape)}"
            )
        if not ((same == 0) | (same == 1)).all():
            raise ValueError("same must contain only 0 (dissimilar pair) and 1 (similar pair)")
        squared_distance = (x1 - x2).pow(2).sum(dim=1)  # (N,)
        distance = torch.sqrt(squared_distance + self.eps)  # (N,)
        same = same.to(x1.dtype)
        loss = same * squared_distance + (1 - same) * F.relu(self.margin - distance).pow(2)
        if self.reduction == "mean":
            return loss.mean()
        if self.reduction == "sum":
            return loss.sum()
        return loss


class RegressionLoss(nn.Module):
    """Mean squared error ("mse") or Huber loss ("huber", ``torch.nn.HuberLoss`` with its
    ``delta``) between a regressor's outputs (N, 1) and its targets (N,).

    A regressor's head returns one column, the targets are one value per example. Passed
    as they are to ``F.mse_loss``, (N, 1) against (N,) broadcasts to an (N, N) matrix of
    every output against every target, which trains towards the batch mean and shows only
    as a warning. Here the column is taken out after its shape is checked, and any other
    pair of shapes is refused.
    """

    def __init__(self, kind: str = "mse", delta: float = 1.0, reduction: str = "mean") -> None:
        super().__init__()
        if kind not in REGRESSION_LOSSES:
            raise ValueError(f"kind must be one of {REGRESSION_LOSSES}, got {kind!r}")
        if not delta > 0:
            raise ValueError(f"delta must be > 0, got {delta}")
        _check_reduction(reduction)
        self.kind, self.delta, self.reduction = kind, float(delta), reduction

    def forward(self, outputs: Tensor, targets: Tensor) -> Tensor:
        """outputs (N, 1), targets (N,) floats -> scalar, or (N,) for "none"."""
        if outputs.ndim != 2 or outputs.shape[1] != 1 or targets.shape != outputs.shape[:1]:
            raise ValueError(
                f"a regressor's outputs must be (N, 1) and its targets (N,), got shapes "
                f"{tuple(outputs.shape)} and {tuple(targets.shape)}"
            )
        predictions = outputs[:, 0]  # (N,): the same shape as targets, so no broadcast
        if self.kind == "huber":
            return F.huber_loss(predictions, targets, reduction=self.reduction, delta=self.delta)
        return F.mse_loss(predictions, targets, reduction=self.reduction)
