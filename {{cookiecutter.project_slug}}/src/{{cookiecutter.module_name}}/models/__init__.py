"""Models that return raw outputs (a logit per class, or one number for a regressor), and the
registry that rebuilds them from config."""

from .cnn import SmallCNN
from .config import MODEL_REGISTRY, build_model, model_config, model_task, models_for
from .mlp import MLPClassifier
from .ngrams import BagOfNgramsClassifier
from .transformer import MultiHeadSelfAttention, TransformerClassifier

__all__ = [
    "MODEL_REGISTRY",
    "BagOfNgramsClassifier",
    "MLPClassifier",
    "MultiHeadSelfAttention",
    "SmallCNN",
    "TransformerClassifier",
    "build_model",
    "model_config",
    "model_task",
    "models_for",
]
