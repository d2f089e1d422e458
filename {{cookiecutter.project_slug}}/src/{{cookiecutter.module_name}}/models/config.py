"""Rebuild a model from its `config` dict, and tell which kind of input it classifies.

Every model stores its constructor arguments plus its registry name in
``model.config``; a checkpoint saves that dict next to the weights, and
``build_model`` turns it back into a model the weights can be loaded into.
"""

import inspect
from collections.abc import Mapping
from typing import Any

from torch import nn

from ..data import Task
from .cnn import SmallCNN
from .mlp import MLPClassifier
from .ngrams import BagOfNgramsClassifier
from .transformer import TransformerClassifier

MODEL_REGISTRY: dict[str, type[nn.Module]] = {
    model_class.name: model_class
    for model_class in (BagOfNgramsClassifier, MLPClassifier, SmallCNN, TransformerClassifier)
}


def build_model(config: Mapping[str, Any]) -> nn.Module:
    """Build an untrained model from a config such as ``model.config``."""
    arguments = dict(config)
    name = arguments.pop("name", None)
    if name not in MODEL_REGISTRY:
        known = ", ".join(sorted(MODEL_REGISTRY))
        raise ValueError(f"config 'name' must be one of: {known}; got {name!r}")
    return MODEL_REGISTRY[name](**arguments)


def model_config(model: nn.Module) -> dict[str, Any]:
    """A copy of ``model.config``: the registry name and every constructor argument, which
    every model stores so that ``build_model`` can rebuild it (see the README)."""
    config = vars(model).get("config")
    if not isinstance(config, dict) or "name" not in config:
        raise TypeError(
            f"{type(model).__name__} must store its registry name and constructor arguments "
            "in a dict self.config, so checkpoints can rebuild it"
        )
    return dict(config)


def model_task(model: nn.Module | type[nn.Module]) -> Task:
    """The task a model serves, read from its forward signature (the README's convention):
    "text" when forward takes ``input_ids`` (and ``attention_mask``), "tabular" for
    ``features``, "image" for ``images`` (B, C, H, W).
    """
    model_class = model if isinstance(model, type) else type(model)
    parameters = inspect.signature(model_class.forward).parameters
    if "input_ids" in parameters:
        return "text"
    if "features" in parameters:
        return "tabular"
    if "images" in parameters:
        return "image"
    raise TypeError(
        f"{model_class.__name__}.forward must take input_ids (text), features (tabular) or "
        "images (image), "
        f"got {', '.join(parameters)}"
    )


def models_for(task: Task) -> list[str]:
    """The registry names of the models that serve ``task``, sorted."""
    return sorted(name for name, model in MODEL_REGISTRY.items() if model_task(model) == task)
