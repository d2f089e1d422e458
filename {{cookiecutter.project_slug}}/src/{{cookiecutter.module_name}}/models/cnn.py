"""A small convolutional network for images (the image path)."""

import torch
from torch import nn


class SmallCNN(nn.Module):
    """``num_blocks`` of Conv3x3 -> BatchNorm -> ReLU -> MaxPool(2), global average pooling,
    Dropout and a linear head, returning raw outputs (B, num_outputs): a logit per class, or
    the one standardised number of a regressor.

    Block i has ``hidden_size * 2**i`` channels and halves the height and width (rounding
    up, so a 1-pixel side stays 1 and any input size works). Global average pooling makes
    the head independent of the input size; the preprocessing still serves one fixed size
    (``data.ImagePreprocessing``), the size training used.
    """

    name = "cnn"  # key of this class in build_model's registry and in `config`

    def __init__(
        self,
        in_channels: int,
        hidden_size: int,
        num_outputs: int,
        num_blocks: int = 3,
        dropout: float = 0.1,
    ) -> None:
        super().__init__()
        self.config: dict[str, object] = {
            "name": self.name,
            "in_channels": in_channels,
            "hidden_size": hidden_size,
            "num_outputs": num_outputs,
            "num_blocks": num_blocks,
            "dropout": dropout,
        }
        if num_blocks < 1:
            raise ValueError(f"num_blocks must be at least 1, got {num_blocks}")
        blocks: list[nn.Module] = []
        channels = in_channels
        for index in range(num_blocks):
            width = hidden_size * 2**index
            blocks += [
                # BatchNorm subtracts the batch mean, which cancels a bias: it has its own.
                nn.Conv2d(channels, width, kernel_size=3, padding=1, bias=False),
                nn.BatchNorm2d(width),
                nn.ReLU(),
                nn.MaxPool2d(2, ceil_mode=True),
            ]
            channels = width
        self.body = nn.Sequential(*blocks)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(channels, num_outputs)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        self._check_images(images)
        # (B, C, H, W) -> (B, K, ceil(H / 2**n), ceil(W / 2**n)) for n blocks, where
        # K = hidden_size * 2**(n - 1) channels.
        maps = self.body(images)
        pooled = maps.mean(dim=(2, 3))  # global average pooling: (B, K, h, w) -> (B, K)
        logits: torch.Tensor = self.head(self.dropout(pooled))  # (B, K) -> (B, num_outputs)
        return logits

    def _check_images(self, images: torch.Tensor) -> None:
        """Fail with what was expected and what came, before torch fails deep inside: a
        channels-last batch (B, H, W, C) is refused, not convolved over the wrong axis."""
        channels = self.config["in_channels"]
        expected = f"(batch, {channels}, height, width)"
        if not isinstance(images, torch.Tensor):
            kind = type(images).__name__
            raise TypeError(f"images must be a torch.Tensor {expected}, got {kind}")
        dtype = self.head.weight.dtype
        if images.dtype != dtype:
            raise TypeError(f"images must have the model's dtype {dtype}, got {images.dtype}")
        if images.ndim != 4 or images.shape[1] != channels:
            raise ValueError(f"images must have shape {expected}, got {tuple(images.shape)}")
        if images.shape[0] == 0:
            raise ValueError(f"images must hold at least one image, got {tuple(images.shape)}")
