"""Data layer: normalisation, tokenisation, augmentation, datasets and the example task."""

from .augmentation import GaussianNoise, TokenDropout
from .dataset import FeatureDataset, TextDataset
from .example import LABEL_NAMES, Split, load_example_splits, make_example_texts
from .normalization import FeatureNormalizer, normalize_features
from .tokenizer import (
    PAD_ID,
    PAD_TOKEN,
    UNK_ID,
    UNK_TOKEN,
    Tokenizer,
    build_tokenizer,
    normalize_text,
)

__all__ = [
    "LABEL_NAMES",
    "PAD_ID",
    "PAD_TOKEN",
    "UNK_ID",
    "UNK_TOKEN",
    "FeatureDataset",
    "FeatureNormalizer",
    "GaussianNoise",
    "Split",
    "TextDataset",
    "TokenDropout",
    "Tokenizer",
    "build_tokenizer",
    "load_example_splits",
    "make_example_texts",
    "normalize_features",
    "normalize_text",
]
