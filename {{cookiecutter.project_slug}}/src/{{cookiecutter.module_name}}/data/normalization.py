"""Column-wise feature standardisation, with statistics fitted on training data only.

`normalize_features` standardises one batch with that batch's own statistics. Serving
and evaluation must instead reuse the statistics of the training set: recomputing them
on the test set leaks information, and recomputing them per request makes a single
row normalise to zeros (train/serve skew). `FeatureNormalizer` stores them for reuse.
"""

from collections.abc import Mapping
from typing import Self

import torch
from torch import Tensor


def _check_features(x: object, name: str = "features") -> None:
    """Raise a clear TypeError/ValueError unless `x` is a non-empty, finite 2-D float tensor."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if not x.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor, got dtype {x.dtype}")
    if x.ndim != 2:
        raise ValueError(f"{name} must be 2-D (batch, features), got shape {tuple(x.shape)}")
    if x.shape[0] == 0:
        raise ValueError(f"{name} must contain at least one row, got shape {tuple(x.shape)}")
    if not bool(torch.isfinite(x).all()):
        raise ValueError(f"{name} must be finite, got NaN or Inf values")


class FeatureNormalizer:
    """Standardises features with the mean and std of the data it was fitted on.

    Fit it on the training split, save `state_dict()` next to the model, and apply
    `transform` to validation, test and serving inputs.
    """

    def __init__(self, eps: float = 1e-8) -> None:
        self.eps = eps
        self.mean: Tensor | None = None
        self.std: Tensor | None = None

    def fit(self, x: Tensor) -> Self:
        """Store per-column mean and std of `x` (batch, features); returns self."""
        _check_features(x)
        # Shifting by the first row first makes a constant column's mean exact, so it
        # centres to exactly 0 instead of to rounding noise that the division amplifies.
        shift = x[0]
        mean = shift + (x - shift).mean(dim=0)
        # Population std: a single training row gives std 0 (handled below), not NaN.
        std = (x - mean).pow(2).mean(dim=0).sqrt()
        # A column without spread carries no information: centre it, do not scale it.
        self.mean = mean
        self.std = torch.where(std > self.eps, std, torch.ones_like(std))
        return self

    def transform(self, x: Tensor) -> Tensor:
        """Standardise `x` (batch, features) with the fitted statistics; same dtype as `x`."""
        if self.mean is None or self.std is None:
            raise RuntimeError(
                "FeatureNormalizer is not fitted: call fit(training_features) before transform"
            )
        _check_features(x)
        if x.shape[1] != self.mean.numel():
            raise ValueError(
                f"features must have {self.mean.numel()} columns (the width the normalizer "
                f"was fitted on), got shape {tuple(x.shape)}"
            )
        mean = self.mean.to(device=x.device, dtype=x.dtype)
        std = self.std.to(device=x.device, dtype=x.dtype)
        return (x - mean) / std

    def inverse_transform(self, x: Tensor) -> Tensor:
        """Undo ``transform``: back to the units the normalizer was fitted in (e.g. a
        regression target's, from the model's standardised output)."""
        if self.mean is None or self.std is None:
            raise RuntimeError("FeatureNormalizer is not fitted: call fit before inverse_transform")
        if x.ndim != 2 or x.shape[1] != self.mean.numel():
            raise ValueError(
                f"values must have shape (batch, {self.mean.numel()}), got {tuple(x.shape)}"
            )
        return x * self.std.to(x) + self.mean.to(x)  # to x's device and dtype

    def fit_transform(self, x: Tensor) -> Tensor:
        """Fit on `x` and standardise it; for the training split only."""
        return self.fit(x).transform(x)

    def state_dict(self) -> dict[str, Tensor]:
        """The fitted statistics {"mean", "std"} as tensors (safe for torch.load weights_only)."""
        if self.mean is None or self.std is None:
            raise RuntimeError("FeatureNormalizer is not fitted: there is no state to save")
        return {"mean": self.mean.clone(), "std": self.std.clone()}

    @classmethod
    def from_state_dict(cls, state: Mapping[str, Tensor]) -> Self:
        """Rebuild a fitted normalizer from `state_dict()` output."""
        if not isinstance(state, Mapping):
            raise TypeError(f"normalizer state must be a mapping, got {type(state).__name__}")
        missing = {"mean", "std"} - set(state)
        if missing:
            raise ValueError(f"normalizer state is missing {sorted(missing)}, got {sorted(state)}")
        mean, std = state["mean"], state["std"]
        for name, value in (("mean", mean), ("std", std)):
            if not (isinstance(value, Tensor) and value.is_floating_point() and value.ndim == 1):
                raise ValueError(f"normalizer state {name!r} must be a 1-D float tensor")
        if mean.shape != std.shape:
            raise ValueError(
                f"normalizer state 'mean' and 'std' must have the same shape, "
                f"got {tuple(mean.shape)} and {tuple(std.shape)}"
            )
        if not bool((std > 0).all()):
            raise ValueError("normalizer state 'std' must be positive in every column")
        normalizer = cls()
        normalizer.mean, normalizer.std = mean.clone(), std.clone()
        return normalizer


def normalize_features(x: Tensor, eps: float = 1e-8) -> Tensor:
    """Standardise each column of `x` (batch, features) to mean 0 and std 1.

    Uses the batch's own statistics: for data you train on. Constant columns become 0,
    never NaN or Inf. Use `FeatureNormalizer` to reuse training statistics elsewhere.
    """
    return FeatureNormalizer(eps).fit_transform(x)
