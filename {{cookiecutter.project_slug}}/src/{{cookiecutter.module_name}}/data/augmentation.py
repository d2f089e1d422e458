"""Training-time augmentation. Only the training dataset gets one; inference never does.

Each augmentation takes an optional `torch.Generator` so a run (or a test) can make
its randomness reproducible without touching the global RNG. With DataLoader workers,
leave it None: every worker would get a copy of the same generator and draw the same
masks, while the global RNG is seeded differently in each worker.
"""

import torch
from torch import Tensor

from .images import image_libraries
from .tokenizer import UNK_ID


def _check_probability(p: object) -> None:
    if isinstance(p, bool) or not isinstance(p, int | float) or not 0.0 <= p <= 1.0:
        raise ValueError(f"p must be a probability in [0, 1], got {p!r}")


class TokenDropout:
    """Replaces each real token with [UNK] with probability `p`; padding is never touched.

    Teaches the classifier not to depend on any single word, and to cope with words
    that serving text spells differently or that are missing from the vocabulary.
    """

    def __init__(self, p: float, generator: torch.Generator | None = None) -> None:
        _check_probability(p)
        self.p = p
        self.generator = generator

    def __call__(self, input_ids: Tensor, attention_mask: Tensor) -> Tensor:
        """Return a new tensor of ids, same shape as `input_ids`; the input is not modified."""
        for name, value in (("input_ids", input_ids), ("attention_mask", attention_mask)):
            if not isinstance(value, Tensor) or value.is_floating_point() or value.is_complex():
                raise TypeError(f"{name} must be an integer tensor, got {_describe(value)}")
        if input_ids.shape != attention_mask.shape:
            raise ValueError(
                "input_ids and attention_mask must have the same shape, "
                f"got {tuple(input_ids.shape)} and {tuple(attention_mask.shape)}"
            )
        draws = torch.rand(input_ids.shape, generator=self.generator, device=input_ids.device)
        dropped = (draws < self.p) & attention_mask.bool()
        return input_ids.masked_fill(dropped, UNK_ID)


class GaussianNoise:
    """Adds zero-mean Gaussian noise with standard deviation `std` to float features."""

    def __init__(self, std: float, generator: torch.Generator | None = None) -> None:
        if isinstance(std, bool) or not isinstance(std, int | float) or not std >= 0.0:
            raise ValueError(f"std must be a non-negative number, got {std!r}")
        self.std = std
        self.generator = generator

    def __call__(self, features: Tensor) -> Tensor:
        """Return `features + noise` as a new tensor; the input is not modified."""
        if not isinstance(features, Tensor) or not features.is_floating_point():
            raise TypeError(f"features must be a floating-point tensor, got {_describe(features)}")
        noise = torch.randn(
            features.shape, generator=self.generator, dtype=features.dtype, device=features.device
        )
        return features + self.std * noise


def _describe(value: object) -> str:
    """`dtype` for tensors, the type name for anything else: for error messages."""
    return f"dtype {value.dtype}" if isinstance(value, Tensor) else type(value).__name__


class ImageAugmentation:
    """A random resized crop (a share of at least ``crop_scale`` of the image, resized back
    to its size) and a horizontal flip with probability ``flip``, drawn anew for every image
    of a batch (B, C, S, S), with torchvision's ``transforms.v2``. ``crop_scale`` 1 means
    no crop; ``flip`` 0 no flip (mirror images of digits or text are other images).

    torchvision draws from torch's global RNG, which ``seed_everything`` seeds: a run is
    reproducible under its seed.
    """

    def __init__(self, crop_scale: float = 1.0, flip: float = 0.0) -> None:
        if isinstance(crop_scale, bool) or not isinstance(crop_scale, int | float):
            raise ValueError(f"crop_scale must be a number in (0, 1], got {crop_scale!r}")
        if not 0 < crop_scale <= 1:
            raise ValueError(f"crop_scale must be in (0, 1], got {crop_scale!r}")
        _check_probability(flip)
        self.crop_scale = crop_scale
        self.flip = flip

    def __call__(self, images: Tensor) -> Tensor:
        """A new batch of the same shape; the input is not modified."""
        if not isinstance(images, Tensor) or images.ndim != 4 or not images.is_floating_point():
            raise TypeError(f"images must be a float tensor (B, C, H, W), got {_describe(images)}")
        v2 = image_libraries()[2]
        steps = []
        if self.crop_scale < 1:
            size = list(images.shape[-2:])
            steps.append(v2.RandomResizedCrop(size, scale=(self.crop_scale, 1.0), antialias=True))
        if self.flip > 0:
            steps.append(v2.RandomHorizontalFlip(self.flip))
        if not steps:
            return images.clone()
        transform = v2.Compose(steps)
        # One call per image: on a batch, v2 would draw one crop and one flip for all of it.
        return torch.stack([transform(image) for image in images])
