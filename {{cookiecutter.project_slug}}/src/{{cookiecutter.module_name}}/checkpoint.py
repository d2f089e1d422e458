"""A self-describing checkpoint: everything needed to serve or resume a model, in one file.

A checkpoint holds its task ("text" or "tabular"), the model's config and weights, the label
names in class-index order and the preprocessing that training used: for text the tokenizer's
vocabulary and the sequence length, for tabular data the feature names and the feature
normaliser's statistics. It holds the baselines fitted on the training split (see
``baselines``), so every evaluation can score them beside the model. It also records where
its training data came from (so `evaluate` can score the test split it was trained with)
and, optionally, the state needed to resume training. Serving code rebuilds the model and
its preprocessing from the file instead of re-deriving them, so inference sees exactly the
preprocessing that training saw.

Loading uses ``torch.load(weights_only=True)``: the file may contain only tensors and plain
Python data, so a checkpoint from an untrusted source can never execute code. Anything
wrong with a file (missing, truncated, corrupt, incomplete, weights that do not fit the
config) raises ``CheckpointError`` naming the file and the problem.
"""

import pickle
from collections.abc import Mapping, Sequence
from os import PathLike
from pathlib import Path
from typing import Any, TypedDict

import torch
from torch import nn

from .baselines import Baselines
from .data import FeatureNormalizer, Task, Tokenizer
from .models import build_model, model_config, model_task

FORMAT_VERSION = 3  # 3: baselines
REQUIRED_KEYS = (
    "format_version",
    "task",
    "model_config",
    "model_state",
    "label_names",
    "tokenizer",
    "max_length",
    "feature_names",
    "normalizer",
    "baselines",
    "data_source",
    "training_state",
)
_PLAIN_SCALARS = (str, int, float, bool, type(None))


class CheckpointError(ValueError):
    """A checkpoint file that cannot be loaded; the message names the file and the problem."""


class Checkpoint(TypedDict):
    """What ``load_checkpoint`` returns: ready-to-use objects, not raw tensors."""

    task: Task
    model: nn.Module  # weights loaded, eval mode, on the CPU
    label_names: tuple[str, ...]  # index i is the name of class i
    tokenizer: Tokenizer | None  # text only
    max_length: int | None  # text only: tokens per text
    feature_names: tuple[str, ...] | None  # tabular only: the columns, in model input order
    normalizer: FeatureNormalizer | None  # tabular only, when training normalised features
    baselines: Baselines | None  # fitted on the training split; None if saved without them
    data_source: dict[str, Any] | None  # how the training data and its splits were made
    training_state: dict[str, Any] | None


def save_checkpoint(
    path: str | PathLike[str],
    *,
    model: nn.Module,
    label_names: Sequence[str],
    tokenizer: Tokenizer | None = None,
    max_length: int | None = None,
    feature_names: Sequence[str] | None = None,
    normalizer: FeatureNormalizer | None = None,
    baselines: Baselines | None = None,
    data_source: Mapping[str, Any] | None = None,
    training_state: Mapping[str, Any] | None = None,
) -> None:
    """Write a checkpoint that ``load_checkpoint`` can restore without any other file.

    The task follows from the model's forward signature: a text model needs ``tokenizer``
    and ``max_length``, a tabular model ``feature_names`` (and ``normalizer`` when its
    features were normalised). ``baselines``, fitted on the training split, let every
    evaluation score simple models beside this one. ``data_source`` and ``training_state``
    (optimizer/scheduler state dicts, epoch, RNG states, ...) must be nested dicts of
    tensors and plain Python values; anything else (a numpy array, a custom object) raises
    TypeError here rather than producing a file that cannot be loaded safely. The file is
    written to a temporary name and then renamed, so a crash mid-write never leaves a
    truncated checkpoint behind.
    """
    task = model_task(model)
    payload: dict[str, Any] = {
        "format_version": FORMAT_VERSION,
        "task": task,
        "model_config": model_config(model),
        "model_state": model.state_dict(),
        "label_names": list(label_names),
        "tokenizer": None if tokenizer is None else tokenizer.to_dict(),
        "max_length": max_length,
        "feature_names": None if feature_names is None else list(feature_names),
        "normalizer": None if normalizer is None else normalizer.state_dict(),
        "baselines": None if baselines is None else baselines.state_dict(),
        "data_source": None if data_source is None else dict(data_source),
        "training_state": None if training_state is None else dict(training_state),
    }
    problems = _inconsistencies(
        task, payload["model_config"], label_names, tokenizer, max_length, feature_names, normalizer
    ) + _baseline_inconsistencies(baselines, label_names, tokenizer)
    if problems:
        raise ValueError(f"cannot save checkpoint {path}: {'; '.join(problems)}")
    _require_plain(payload, where="checkpoint")

    path = Path(path)
    partial = path.with_name(path.name + ".partial")
    try:
        with partial.open("wb") as file:
            torch.save(payload, file)
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)  # only still there when writing failed


def load_checkpoint(path: str | PathLike[str]) -> Checkpoint:
    """Load a checkpoint safely and rebuild its model and preprocessing.

    Raises CheckpointError when the file is missing, unreadable, not a checkpoint, from an
    unknown format version, or when its parts contradict each other (weights that do not
    match the model config exactly, a vocabulary or label list of another size, ...).
    """
    payload = _read_payload(path)

    def fail(problem: str) -> CheckpointError:
        return CheckpointError(f"checkpoint {path}: {problem}")

    missing = [key for key in REQUIRED_KEYS if key not in payload]
    if missing:
        raise fail(f"missing key(s) {', '.join(missing)}; is it a checkpoint from save_checkpoint?")
    if payload["format_version"] != FORMAT_VERSION:
        raise fail(
            f"format version {payload['format_version']!r}, but this code reads "
            f"version {FORMAT_VERSION}"
        )
    try:
        model = build_model(payload["model_config"])
        model.load_state_dict(payload["model_state"], strict=True)
        tokenizer = (
            None if payload["tokenizer"] is None else Tokenizer.from_dict(payload["tokenizer"])
        )
        normalizer = (
            None
            if payload["normalizer"] is None
            else FeatureNormalizer.from_state_dict(payload["normalizer"])
        )
        label_names = tuple(payload["label_names"])
        feature_names = (
            None if payload["feature_names"] is None else tuple(payload["feature_names"])
        )
        baselines = (
            None
            if payload["baselines"] is None
            else Baselines.from_state_dict(payload["baselines"])
        )
        task = model_task(model)
    except (KeyError, TypeError, ValueError, RuntimeError) as error:
        raise fail(f"cannot rebuild its contents: {_one_line(error)}") from error
    if payload["task"] != task:
        raise fail(f"says task {payload['task']!r}, but its model serves {task!r}")
    problems = _inconsistencies(
        task,
        payload["model_config"],
        label_names,
        tokenizer,
        payload["max_length"],
        feature_names,
        normalizer,
    ) + _baseline_inconsistencies(baselines, label_names, tokenizer)
    if problems:
        raise fail("; ".join(problems))
    return Checkpoint(
        task=task,
        model=model.eval(),
        label_names=label_names,
        tokenizer=tokenizer,
        max_length=payload["max_length"],
        feature_names=feature_names,
        normalizer=normalizer,
        baselines=baselines,
        data_source=payload["data_source"],
        training_state=payload["training_state"],
    )


def _read_payload(path: str | PathLike[str]) -> dict[str, Any]:
    """torch.load with weights_only=True, turning every failure into a one-line CheckpointError."""
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError as error:
        raise CheckpointError(f"checkpoint {path}: no such file") from error
    except IsADirectoryError as error:
        raise CheckpointError(f"checkpoint {path}: is a directory, not a file") from error
    except pickle.UnpicklingError as error:
        raise CheckpointError(
            f"checkpoint {path}: refused to load, it holds objects other than tensors and "
            "plain data (loading them could run code); only load files you trust otherwise"
        ) from error
    except Exception as error:  # truncated or corrupt files fail in many different ways
        raise CheckpointError(
            f"checkpoint {path}: not a readable checkpoint (truncated or corrupt?): "
            f"{type(error).__name__}: {_one_line(error)}"
        ) from error
    if not isinstance(payload, dict):
        raise CheckpointError(
            f"checkpoint {path}: holds a {type(payload).__name__}, expected a dict"
        )
    return payload


def _inconsistencies(
    task: Task,
    model_config: Mapping[str, Any],
    label_names: Sequence[str],
    tokenizer: Tokenizer | None,
    max_length: object,
    feature_names: Sequence[str] | None,
    normalizer: FeatureNormalizer | None,
) -> list[str]:
    """Ways the parts of a checkpoint contradict each other (empty when they agree)."""
    problems = []
    if model_config.get("num_classes", len(label_names)) != len(label_names):
        problems.append(
            f"{len(label_names)} label names for a model with {model_config['num_classes']} classes"
        )
    if len(set(label_names)) != len(label_names):
        problems.append(f"label names must be unique, got {list(label_names)}")
    if task == "text":
        if tokenizer is None or feature_names is not None or normalizer is not None:
            problems.append("a text model needs a tokenizer and no feature names or normaliser")
        elif model_config.get("vocab_size", tokenizer.vocab_size) != tokenizer.vocab_size:
            problems.append(
                f"tokenizer has {tokenizer.vocab_size} tokens, the model embeds "
                f"{model_config['vocab_size']}"
            )
        if isinstance(max_length, bool) or not isinstance(max_length, int) or max_length < 1:
            problems.append(f"max_length must be a positive int, got {max_length!r}")
        elif max_length > model_config.get("max_length", max_length):
            positions = model_config["max_length"]
            problems.append(f"max_length {max_length} exceeds the model's {positions} positions")
    else:
        if feature_names is None or tokenizer is not None or max_length is not None:
            problems.append("a tabular model needs feature names and no tokenizer or max_length")
        elif len(feature_names) != model_config.get("in_features", len(feature_names)):
            problems.append(
                f"{len(feature_names)} feature names for a model with "
                f"{model_config['in_features']} input features"
            )
        if (
            feature_names is not None
            and normalizer is not None
            and normalizer.mean is not None
            and normalizer.mean.numel() != len(feature_names)
        ):
            problems.append(
                f"the normaliser has {normalizer.mean.numel()} columns for "
                f"{len(feature_names)} feature names"
            )
    return problems


def _baseline_inconsistencies(
    baselines: Baselines | None, label_names: Sequence[str], tokenizer: Tokenizer | None
) -> list[str]:
    """Ways the baselines contradict the labels or the tokenizer (empty when they agree)."""
    if baselines is None:
        return []
    problems = []
    if len(baselines.class_counts) != len(label_names):
        problems.append(
            f"baselines count {len(baselines.class_counts)} classes, for {len(label_names)} labels"
        )
    columns = None if baselines.token_counts is None else baselines.token_counts.shape[1]
    if columns != (None if tokenizer is None else tokenizer.vocab_size):
        problems.append(
            f"baselines count tokens of {columns} ids, the tokenizer has "
            f"{None if tokenizer is None else tokenizer.vocab_size}"
        )
    return problems


def _require_plain(value: Any, where: str) -> None:
    """Raise TypeError unless ``value`` is tensors and plain Python data all the way down."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            _require_plain(key, f"{where} key {key!r}")
            _require_plain(item, f"{where}[{key!r}]")
    elif type(value) in (list, tuple):
        for index, item in enumerate(value):
            _require_plain(item, f"{where}[{index}]")
    elif not (isinstance(value, torch.Tensor) or type(value) in _PLAIN_SCALARS):
        raise TypeError(
            f"{where} is a {type(value).__module__}.{type(value).__qualname__}; a checkpoint "
            "may hold only tensors, str, int, float, bool, None, and dicts/lists/tuples of them"
        )


def _one_line(error: BaseException) -> str:
    """An exception message with its newlines and indentation collapsed."""
    return " ".join(str(error).split())
