"""Image files: checked, decoded and turned into the fixed-size tensors a model takes.

Every image goes through the same three steps, in training, evaluation and serving alike:

1. ``inspect_image`` reads a file's bytes once, hashes them and reads only the header
   (Pillow's ``Image.open`` decodes no pixels): a file that is empty, not an image, or
   declares more than MAX_PIXELS pixels (a decompression bomb: a few kB that would decode
   to gigabytes) is refused here, in one line naming the file, before anything is decoded.
2. ``decode_pixels`` decodes those bytes with ``torchvision.io.decode_image``: the EXIF
   orientation is applied (a phone photo taken sideways is seen upright), an animated GIF
   gives its first frame, and every mode (grayscale, RGBA, palette, 16-bit, CMYK) becomes
   the saved channel mode, "RGB" (3 channels) or "L" (1), as uint8 (C, H, W).
3. ``ImagePreprocessing.pixels`` letterboxes it to ``size`` x ``size``: the longer side is
   resized to ``size`` (bilinear, antialiased), keeping the aspect ratio, and the rest is
   padded with black around the centre. Letterboxing keeps the whole image, so a shape
   near the edge of a wide photo is not cropped away, and a 1 x 10,000 strip costs
   ``size`` pixels, not ``size`` squared times its aspect ratio. ``normalize`` then
   standardises each channel with the mean and std fitted on the training split.

The preprocessing is plain data (``to_dict``) saved in the checkpoint, so the Predictor
replays exactly what training did. torchvision and Pillow are the optional "images" extra:
they are imported when an image is first read, and their absence is a one-line DataError
naming the command that installs them.
"""

import hashlib
import io
import math
import stat
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from os import PathLike, fspath
from pathlib import Path
from types import ModuleType
from typing import Any, Literal, Self

import torch
from torch import Tensor

from .files import DataError

ChannelMode = Literal["RGB", "L"]
CHANNELS: dict[ChannelMode, int] = {"RGB": 3, "L": 1}
RESIZE_POLICY = "letterbox"  # the longer side to `size`, padded to a square (module docstring)
# The most pixels a file may declare: a 48-megapixel phone photo has 48 million. Pillow's own
# limit (Image.MAX_IMAGE_PIXELS, 89 million) only warns below twice that.
MAX_PIXELS = 64_000_000
# Pillow's modes without colour: their images are served as "L" unless told otherwise.
GRAYSCALE_MODES = frozenset({"1", "L", "LA", "La", "I", "I;16", "I;16B", "I;16L", "I;16N", "F"})
# torchvision from torch's own index: PyPI's is built for PyPI's torch and does not import
# beside a CPU or other CUDA build of it (README, "Installing").
INSTALL_HINT = (
    "pip install torchvision --index-url https://download.pytorch.org/whl/cpu (the index torch"
    " came from), then pip install -e '.[images]'; uv sync installs both"
)


@dataclass(frozen=True)
class ImageFile:
    """An image file as a data source lists it: where it is, the SHA-256 of its bytes (what
    makes two files "the same" for leakage) and what its header declares. ``os.fspath``
    gives its path, so the Predictor takes it like any path."""

    path: str
    sha256: str
    width: int
    height: int
    mode: str  # Pillow's name of the stored mode: "L", "RGB", "RGBA", "P", "I;16", "CMYK", ...

    def __fspath__(self) -> str:
        return self.path


def channel_mode(name: str) -> ChannelMode:
    """``name`` as a ChannelMode, or ValueError naming the modes there are."""
    modes: dict[str, ChannelMode] = {"RGB": "RGB", "L": "L"}
    if name not in modes:
        raise ValueError(f"the channel mode must be one of {', '.join(modes)}, got {name!r}")
    return modes[name]


def channel_mode_of(images: Sequence[ImageFile]) -> ChannelMode:
    """ "L" when every image is stored without colour (digits, X-rays, scans), else "RGB"."""
    return "L" if all(image.mode in GRAYSCALE_MODES for image in images) else "RGB"


def image_libraries() -> tuple[ModuleType, ModuleType, ModuleType]:
    """(PIL.Image, torchvision.io, torchvision.transforms.v2), or a DataError saying how to
    install them."""
    try:
        # The editors' checkers run where the extra may be missing: an absent optional
        # import is this function's business, not an error.
        import torchvision.io  # pyright: ignore[reportMissingImports]
        import torchvision.transforms.v2  # pyright: ignore[reportMissingImports]
        from PIL import Image
    except ImportError as error:
        raise DataError(
            f"image inputs need torchvision and Pillow ({error.name} is not installed): "
            f"{INSTALL_HINT}"
        ) from None
    return Image, torchvision.io, torchvision.transforms.v2


def _read_bytes(path: Path) -> bytes:
    """The file's bytes, refusing a missing, non-regular or empty file in one line."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise DataError(f"{path}: no such file") from None
    if not stat.S_ISREG(mode):
        raise DataError(f"{path}: not a regular file")
    data = path.read_bytes()
    if not data:
        raise DataError(f"{path}: the file is empty (0 bytes), not an image")
    return data


def _header(path: Path, data: bytes) -> tuple[int, int, str]:
    """(width, height, mode) from the header alone, refusing a non-image and a bomb."""
    image_module, _, _ = image_libraries()
    with warnings.catch_warnings():
        # Pillow warns (and past twice its limit raises) about bombs; MAX_PIXELS decides here.
        warnings.simplefilter("ignore", image_module.DecompressionBombWarning)
        try:
            with image_module.open(io.BytesIO(data)) as image:
                width, height = image.size
                mode = str(image.mode)
        except image_module.DecompressionBombError:
            raise DataError(
                f"{path}: declares an image too large to decode (over {MAX_PIXELS:,} pixels); "
                "is it a decompression bomb?"
            ) from None
        except image_module.UnidentifiedImageError:
            raise DataError(f"{path}: not an image file (no known image format)") from None
        except (OSError, SyntaxError, ValueError) as error:  # a damaged header
            reason = " ".join(str(error).split())[:200]
            raise DataError(f"{path}: not an image file that can be read ({reason})") from None
    if width * height > MAX_PIXELS:
        raise DataError(
            f"{path}: declares {width} x {height} pixels, over the {MAX_PIXELS:,} this code "
            "decodes (a decompression bomb?); downscale it first"
        )
    if width < 1 or height < 1:
        raise DataError(f"{path}: declares an image of {width} x {height} pixels")
    return width, height, mode


def inspect_image(path: str | PathLike[str]) -> ImageFile:
    """Hash a file and read its header, decoding no pixels (step 1 of the module docstring)."""
    data = _read_bytes(Path(path))
    width, height, mode = _header(Path(path), data)
    return ImageFile(fspath(path), hashlib.sha256(data).hexdigest(), width, height, mode)


def decode_pixels(path: str | PathLike[str], channels: ChannelMode) -> Tensor:
    """The image at ``path`` as uint8 (C, H, W) in ``channels`` mode, upright (EXIF applied),
    its first frame if animated. The header is checked on the very bytes that are decoded,
    so a file swapped for a bomb after ``inspect_image`` is refused too."""
    location = Path(path)
    data = _read_bytes(location)
    _header(location, data)
    _, image_io, transforms = image_libraries()
    read_mode = image_io.ImageReadMode.RGB if channels == "RGB" else image_io.ImageReadMode.GRAY
    encoded = torch.frombuffer(bytearray(data), dtype=torch.uint8)
    try:
        image: Tensor = image_io.decode_image(encoded, mode=read_mode, apply_exif_orientation=True)
    except (RuntimeError, ValueError) as error:
        reason = " ".join(str(error).split())[:200]
        problem = f"{location}: cannot decode the image (truncated or corrupt?): {reason}"
        raise DataError(problem) from None
    if image.ndim == 4:  # an animated GIF: (frames, C, H, W); GIFs also ignore the mode
        image = image[0]
    functional = transforms.functional
    if image.shape[0] != CHANNELS[channels]:
        gray = channels == "L"
        image = functional.rgb_to_grayscale(image[:3]) if gray else image[:1].expand(3, -1, -1)
    if image.dtype != torch.uint8:  # 16-bit PNGs decode to uint16
        image = functional.to_dtype(image, torch.uint8, scale=True)
    return image.contiguous()


def letterbox(image: Tensor, size: int) -> Tensor:
    """``image`` (C, H, W) uint8 with its longer side resized to ``size`` (bilinear,
    antialiased; the shorter side at least 1 pixel), centred on a black square (C, size,
    size)."""
    functional = image_libraries()[2].functional
    height, width = image.shape[-2:]
    scale = size / max(height, width)
    shape = [max(1, round(height * scale)), max(1, round(width * scale))]
    resized: Tensor = functional.resize(
        image, shape, interpolation=functional.InterpolationMode.BILINEAR, antialias=True
    )
    padded: Tensor = functional.center_crop(resized, [size, size])  # pads with 0 (black)
    return padded


@dataclass(frozen=True)
class ImagePreprocessing:
    """What turns an image file into a model input (C, size, size): the channel mode, the
    size, the resize policy and each channel's mean and std on the training split (pixels
    in [0, 1]), fitted by ``fit`` and saved in the checkpoint (``to_dict``)."""

    size: int
    channels: ChannelMode
    mean: tuple[float, ...]
    std: tuple[float, ...]
    resize: str = RESIZE_POLICY

    def __post_init__(self) -> None:
        if self.channels not in CHANNELS:
            raise ValueError(f"channels must be one of {', '.join(CHANNELS)}: {self.channels!r}")
        if isinstance(self.size, bool) or not isinstance(self.size, int) or self.size < 1:
            raise ValueError(f"size must be a positive int, got {self.size!r}")
        if self.resize != RESIZE_POLICY:
            raise ValueError(f"resize must be {RESIZE_POLICY!r}, got {self.resize!r}")
        count = CHANNELS[self.channels]
        if len(self.mean) != count or len(self.std) != count:
            raise ValueError(f"mean and std need {count} values each for {self.channels} images")
        if not all(math.isfinite(value) for value in (*self.mean, *self.std)):
            raise ValueError("mean and std must be finite numbers")
        if not all(value > 0 for value in self.std):
            raise ValueError(f"std must be positive in every channel, got {self.std}")

    @property
    def num_channels(self) -> int:
        return CHANNELS[self.channels]

    @classmethod
    def fit(cls, pixels: Tensor, channels: ChannelMode) -> Self:
        """The preprocessing whose statistics are those of ``pixels`` (N, C, S, S) uint8,
        the training split's letterboxed images (``pixels`` of an unfitted instance)."""
        values = pixels.double() / 255
        mean = values.mean(dim=(0, 2, 3))
        std = values.std(dim=(0, 2, 3), correction=0).clamp_min(1e-3)  # a blank channel
        return cls(pixels.shape[-1], channels, tuple(mean.tolist()), tuple(std.tolist()))

    @classmethod
    def unfitted(cls, size: int, channels: ChannelMode) -> Self:
        """Mean 0 and std 1: for making the training split's pixels before ``fit``."""
        count = CHANNELS[channels]
        return cls(size, channels, (0.0,) * count, (1.0,) * count)

    def pixels(self, images: Sequence[str | PathLike[str]]) -> Tensor:
        """The letterboxed images (N, C, size, size) uint8: what datasets store (4 bytes a
        pixel fewer than floats) and ``normalize`` turns into model inputs."""
        batch = torch.empty(len(images), self.num_channels, self.size, self.size, dtype=torch.uint8)
        for index, image in enumerate(images):
            batch[index] = letterbox(decode_pixels(image, self.channels), self.size)
        return batch

    def normalize(self, pixels: Tensor) -> Tensor:
        """Model inputs (N, C, S, S) float32 from uint8 ``pixels``: [0, 1], then each channel
        standardised with the training statistics."""
        mean = torch.tensor(self.mean, dtype=torch.float32)[:, None, None]
        std = torch.tensor(self.std, dtype=torch.float32)[:, None, None]
        return (pixels.float() / 255 - mean) / std

    def encode(self, images: Sequence[str | PathLike[str]]) -> Tensor:
        """``normalize(pixels(images))``: the model inputs of image files."""
        return self.normalize(self.pixels(images))

    def to_dict(self) -> dict[str, Any]:
        """Plain data for the checkpoint."""
        return {
            "size": self.size,
            "channels": self.channels,
            "mean": list(self.mean),
            "std": list(self.std),
            "resize": self.resize,
        }

    @classmethod
    def from_dict(cls, state: Mapping[str, Any]) -> Self:
        """Rebuild from ``to_dict()`` output, checking every part (ValueError otherwise)."""
        keys = {"size", "channels", "mean", "std", "resize"}
        if not isinstance(state, Mapping) or set(state) != keys:
            raise ValueError("image preprocessing must hold size, channels, mean, std and resize")
        for name in ("mean", "std"):
            values = state[name]
            if type(values) is not list or not all(type(value) is float for value in values):
                raise ValueError(f"image preprocessing {name!r} must be a list of floats")
        mean, std = tuple(state["mean"]), tuple(state["std"])
        return cls(state["size"], state["channels"], mean, std, state["resize"])
