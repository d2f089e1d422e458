"""Rebuild a model from its `config` dict, the way checkpoints restore models.

Every model stores its constructor arguments plus its registry name in
``model.config``; a checkpoint saves that dict next to the weights, and
``build_model`` turns it back into a model the weights can be loaded into.
"""

from collections.abc import Mapping
from typing import Any

from torch import nn

from .mlp import MLPClassifier
from .transformer import TransformerClassifier

MODEL_REGISTRY: dict[str, type[nn.Module]] = {
    model_class.name: model_class for model_class in (MLPClassifier, TransformerClassifier)
}


def build_model(config: Mapping[str, Any]) -> nn.Module:
    """Build an untrained model from a config such as ``model.config``."""
    arguments = dict(config)
    name = arguments.pop("name", None)
    if name not in MODEL_REGISTRY:
        known = ", ".join(sorted(MODEL_REGISTRY))
        raise ValueError(f"config 'name' must be one of: {known}; got {name!r}")
    return MODEL_REGISTRY[name](**arguments)
