"""Data layer: reading and splitting labelled data, normalisation, tokenisation, augmentation,
datasets, and the bundled example sentences."""

from .augmentation import GaussianNoise, TokenDropout
from .batching import TensorBatches
from .dataset import FeatureDataset, TextDataset
from .example import LABEL_NAMES, bundled_table, make_example_texts
from .files import DataError, Row, Table, read_table
from .normalization import FeatureNormalizer, normalize_features
from .sources import (
    MAX_CLASSES,
    SPLITS,
    TARGETS,
    TASKS,
    Examples,
    Target,
    Task,
    check_classes,
    check_disjoint,
    check_labels_known,
    examples_from_table,
    label_names,
    read_inputs,
    split_examples,
)
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
    "MAX_CLASSES",
    "PAD_ID",
    "PAD_TOKEN",
    "SPLITS",
    "TARGETS",
    "TASKS",
    "UNK_ID",
    "UNK_TOKEN",
    "DataError",
    "Examples",
    "FeatureDataset",
    "FeatureNormalizer",
    "GaussianNoise",
    "Row",
    "Table",
    "Target",
    "Task",
    "TensorBatches",
    "TextDataset",
    "TokenDropout",
    "Tokenizer",
    "build_tokenizer",
    "bundled_table",
    "check_classes",
    "check_disjoint",
    "check_labels_known",
    "examples_from_table",
    "label_names",
    "make_example_texts",
    "normalize_features",
    "normalize_text",
    "read_inputs",
    "read_table",
    "split_examples",
]
