"""Classifiers that return raw logits, and the registry that rebuilds them from config."""

from .config import MODEL_REGISTRY, TASKS, Task, build_model, model_task, models_for
from .mlp import MLPClassifier
from .transformer import MultiHeadSelfAttention, TransformerClassifier

__all__ = [
    "MODEL_REGISTRY",
    "TASKS",
    "MLPClassifier",
    "MultiHeadSelfAttention",
    "Task",
    "TransformerClassifier",
    "build_model",
    "model_task",
    "models_for",
]
