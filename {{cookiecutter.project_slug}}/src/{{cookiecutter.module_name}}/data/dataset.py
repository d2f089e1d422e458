"""PyTorch datasets: text for the token models, tabular features for the MLP, images for
the CNN.

Inputs are validated and encoded once at construction, so a bad label or a non-string
text fails immediately with its index instead of deep inside a training epoch. Indexed with
an int they return one example; with a tensor of indices, the batch of those examples in
one operation (see ``batching``), augmented with a fresh draw for every example.
"""

import operator
from collections.abc import Callable, Sequence

import torch
from torch import Tensor
from torch.utils.data import Dataset

from .images import ImagePreprocessing
from .normalization import FeatureNormalizer, _check_features
from .tokenizer import Tokenizer, _check_texts, build_tokenizer


def _check_labels(labels: Sequence[int] | Tensor, size: int, num_classes: int | None) -> Tensor:
    """Return `labels` as a LongTensor (size,), or raise naming the first offending index."""
    if isinstance(labels, Tensor):
        if labels.ndim != 1 or labels.is_floating_point() or labels.is_complex():
            raise TypeError(
                f"labels must be a 1-D integer tensor, got {labels.dtype} "
                f"of shape {tuple(labels.shape)}"
            )
        labels = labels.tolist()
    elif isinstance(labels, str) or not isinstance(labels, Sequence):
        raise TypeError(f"labels must be a sequence of ints, got {type(labels).__name__}")
    if len(labels) != size:
        raise ValueError(
            f"labels must have one entry per example: got {len(labels)} labels for {size} examples"
        )
    if num_classes is not None and (
        isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 1
    ):
        raise ValueError(f"num_classes must be a positive int, got {num_classes!r}")
    expected = "non-negative" if num_classes is None else f"in [0, {num_classes})"
    checked = []
    for index, label in enumerate(labels):
        try:
            value = operator.index(label)
        except TypeError:
            raise TypeError(f"labels[{index}] must be an int, got {type(label).__name__}") from None
        if value < 0 or (num_classes is not None and value >= num_classes):
            raise ValueError(f"labels[{index}] must be {expected}, got {value}")
        checked.append(value)
    return torch.tensor(checked, dtype=torch.long)


def _check_targets(targets: Tensor, size: int) -> Tensor:
    """Return regression ``targets`` (size,) as float32, or raise saying what is wrong."""
    if not isinstance(targets, Tensor) or targets.ndim != 1 or not targets.is_floating_point():
        shape = tuple(targets.shape) if isinstance(targets, Tensor) else type(targets).__name__
        raise TypeError(f"targets must be a 1-D float tensor (N,), got {shape}")
    if len(targets) != size:
        raise ValueError(f"targets must have one value per example: got {len(targets)} for {size}")
    if not bool(torch.isfinite(targets).all()):
        raise ValueError("targets must be finite, got NaN or Inf")
    return targets.float()


def _labels_or_targets(
    labels: Sequence[int] | Tensor | None,
    targets: Tensor | None,
    size: int,
    num_classes: int | None,
) -> Tensor | None:
    """What a dataset returns as "label": class indices, regression targets, or nothing."""
    if targets is not None:
        if labels is not None:
            raise ValueError("give labels (classes) or targets (numbers), not both")
        return _check_targets(targets, size)
    return None if labels is None else _check_labels(labels, size, num_classes)


class TextDataset(Dataset[dict[str, Tensor]]):
    """Texts encoded to fixed-length ids, with optional integer labels or float targets.

    Items are {"input_ids": (max_length,), "attention_mask": (max_length,)[, "label": ()]},
    LongTensors but for a float32 regression target. Pass the training tokenizer to
    validation/test datasets so every split shares one vocabulary; `augment` (e.g.
    TokenDropout) is for the training split.
    """

    def __init__(
        self,
        texts: Sequence[str],
        labels: Sequence[int] | Tensor | None = None,
        max_length: int = 32,
        num_classes: int | None = None,
        tokenizer: Tokenizer | None = None,
        augment: Callable[[Tensor, Tensor], Tensor] | None = None,
        targets: Tensor | None = None,
    ) -> None:
        _check_texts(texts)
        if not texts:
            raise ValueError("texts must contain at least one text, got an empty sequence")
        self.tokenizer = tokenizer if tokenizer is not None else build_tokenizer(texts)
        self.max_length = max_length
        encoded = self.tokenizer.encode_batch(texts, max_length)
        self.input_ids = encoded["input_ids"]  # (N, max_length)
        self.attention_mask = encoded["attention_mask"]  # (N, max_length)
        self.labels = _labels_or_targets(labels, targets, len(texts), num_classes)
        self.augment = augment

    def __len__(self) -> int:
        return self.input_ids.shape[0]

    def __getitem__(self, index: int | Tensor) -> dict[str, Tensor]:
        input_ids, attention_mask = self.input_ids[index], self.attention_mask[index]
        if self.augment is not None:
            input_ids = self.augment(input_ids, attention_mask)
        item = {"input_ids": input_ids, "attention_mask": attention_mask}
        if self.labels is not None:
            item["label"] = self.labels[index]
        return item


class FeatureDataset(Dataset[dict[str, Tensor]]):
    """Rows of a float feature matrix (N, F), with optional integer labels or float targets.

    Items are {"features": (F,) float[, "label": () long, or float for a target]}.
    `normalizer` must already be fitted on the training features; it is applied once here.
    `augment` (e.g. GaussianNoise) is applied on every access and is for the training
    split only.
    """

    def __init__(
        self,
        features: Tensor,
        labels: Sequence[int] | Tensor | None = None,
        normalizer: FeatureNormalizer | None = None,
        augment: Callable[[Tensor], Tensor] | None = None,
        num_classes: int | None = None,
        targets: Tensor | None = None,
    ) -> None:
        _check_features(features)
        self.features = features if normalizer is None else normalizer.transform(features)
        self.labels = _labels_or_targets(labels, targets, features.shape[0], num_classes)
        self.augment = augment

    def __len__(self) -> int:
        return self.features.shape[0]

    def __getitem__(self, index: int | Tensor) -> dict[str, Tensor]:
        features = self.features[index]
        if self.augment is not None:
            features = self.augment(features)
        item = {"features": features}
        if self.labels is not None:
            item["label"] = self.labels[index]
        return item


class ImageDataset(Dataset[dict[str, Tensor]]):
    """Letterboxed images (N, C, S, S) uint8, with optional integer labels or float targets.

    Items are {"images": (C, S, S) float32[, "label": ()]}: each access normalises the
    stored pixels with ``preprocessing``'s training statistics, exactly as the Predictor
    does, and then applies ``augment`` (e.g. ImageAugmentation; the training split only).
    Pixels stay uint8 in memory, a quarter of the floats.
    """

    def __init__(
        self,
        pixels: Tensor,
        preprocessing: ImagePreprocessing,
        labels: Sequence[int] | Tensor | None = None,
        augment: Callable[[Tensor], Tensor] | None = None,
        num_classes: int | None = None,
        targets: Tensor | None = None,
    ) -> None:
        expected = (preprocessing.num_channels, preprocessing.size, preprocessing.size)
        if pixels.dtype != torch.uint8 or pixels.ndim != 4 or tuple(pixels.shape[1:]) != expected:
            raise ValueError(
                f"pixels must be uint8 (N, {', '.join(map(str, expected))}), got "
                f"{pixels.dtype} {tuple(pixels.shape)}"
            )
        self.pixels = pixels
        self.preprocessing = preprocessing
        self.labels = _labels_or_targets(labels, targets, pixels.shape[0], num_classes)
        self.augment = augment

    def __len__(self) -> int:
        return self.pixels.shape[0]

    def __getitem__(self, index: int | Tensor) -> dict[str, Tensor]:
        pixels = self.pixels[index]
        single = pixels.ndim == 3
        images = self.preprocessing.normalize(pixels[None] if single else pixels)
        if self.augment is not None:
            images = self.augment(images)
        item = {"images": images[0] if single else images}
        if self.labels is not None:
            item["label"] = self.labels[index]
        return item
