"""A self-describing checkpoint: everything needed to serve or resume a model, in one file.

A checkpoint holds its task ("text", "tabular" or "image") and its target ("classification", or
"regression" for a number), the model's config and weights, the label names in class-index
order (none for a regressor, which holds the target's training mean and std instead, to
turn its standardised outputs back into the label's units) and the preprocessing that
training used: for text the tokenizer's
vocabulary and the sequence length, for tabular data the feature names and the feature
normaliser's statistics, for images the size, resize policy, channel mode and per-channel
statistics (``data.ImagePreprocessing``). It holds the baselines fitted on the training split (see
``baselines``), so every evaluation can score them beside the model. It also records where
its training data came from (so `evaluate` can score the test split it was trained with),
the run's per-epoch metrics (``history``), which epoch it keeps and why training stopped,
and, optionally, the state needed to resume training (``train`` writes that to a second
file beside the one it serves from). Serving code rebuilds the model and
its preprocessing from the file instead of re-deriving them, so inference sees exactly the
preprocessing that training saw.

Loading uses ``torch.load(weights_only=True)``: the file may contain only tensors and plain
Python data, so a checkpoint from an untrusted source can never execute code. Before that,
the file must be a regular file and an intact zip archive (every entry stored, as torch.save
writes them, and passing its CRC check); after it, every field is type-checked and the
config is built on PyTorch's "meta" device, which allocates nothing, so the shapes it
declares are compared with the saved tensors before any memory is spent on them. Anything
wrong with a file (missing, truncated, corrupt, incomplete, non-finite weights, weights that
do not fit the config) raises ``CheckpointError`` naming the file and the problem.

Saving writes a uniquely named temporary file in the target's folder, flushes it to disk
and renames it over the target, so a crash or a concurrent save never leaves a partial or
mixed checkpoint, and a killed save leaves nothing a later one trips over.
"""

import math
import os
import pickle
import stat
import zipfile
from collections import Counter
from collections.abc import Mapping, Sequence, Sized
from os import PathLike
from pathlib import Path
from typing import IO, Any, TypedDict

import torch
from torch import nn

from .atomic import write_atomically
from .baselines import THUMBNAIL_SIZE, Baselines, RegressionBaselines
from .data import TARGETS, TASKS, FeatureNormalizer, ImagePreprocessing, Target, Task, Tokenizer
from .models import build_model, model_config, model_task
from .training import MAX_IMAGE_SIZE, MAX_SEQUENCE_LENGTH

FORMAT_VERSION = 7  # 3: baselines; 4: the logistic-regression baseline, the history;
# 5: character n-grams hashed from code points (models/ngrams.py), not by CRC-32; 6: the target
# kind; 7: image inputs (image_preprocessing, DataSpec.image_column)
REQUIRED_KEYS = (
    "format_version",
    "task",
    "target",
    "target_normalizer",
    "model_config",
    "model_state",
    "label_names",
    "tokenizer",
    "max_length",
    "feature_names",
    "normalizer",
    "image_preprocessing",
    "baselines",
    "data_source",
    "history",
    "best_epoch",
    "stop_reason",
    "training_state",
)
_PLAIN_SCALARS = (str, int, float, bool, type(None))
# Building a model costs time per layer even on the meta device (milliseconds each), so a
# small file cannot make loading take minutes by declaring thousands of them.
MAX_LAYERS = 64
# How deep plain data may nest: what reads it (==, repr, copy) recurses once per level.
MAX_NESTING = 32
# The widest integer a checkpoint may hold; a wider one could not even be printed.
MAX_INTEGER_BITS = 64


class CheckpointError(ValueError):
    """A checkpoint file that cannot be loaded; the message names the file and the problem."""


class Checkpoint(TypedDict):
    """What ``load_checkpoint`` returns: ready-to-use objects, not raw tensors."""

    task: Task
    target: Target  # "classification" or "regression"
    model: nn.Module  # weights loaded, eval mode, on the CPU
    label_names: tuple[str, ...]  # index i is the name of class i; () for a regressor
    target_normalizer: FeatureNormalizer | None  # regression: the training target's mean, std
    tokenizer: Tokenizer | None  # text only
    max_length: int | None  # text only: tokens per text
    feature_names: tuple[str, ...] | None  # tabular only: the columns, in model input order
    normalizer: FeatureNormalizer | None  # tabular only, when training normalised features
    image_preprocessing: ImagePreprocessing | None  # image only: size, channels, statistics
    # Fitted on the training split; None if saved without them.
    baselines: Baselines | RegressionBaselines | None
    data_source: dict[str, Any] | None  # how the training data and its splits were made
    history: list[dict[str, float | int]]  # one dict of metrics per epoch trained, in order
    best_epoch: int | None  # the epoch whose weights these are
    stop_reason: str | None  # why training ended, e.g. "patience"
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
    baselines: Baselines | RegressionBaselines | None = None,
    data_source: Mapping[str, Any] | None = None,
    history: Sequence[Mapping[str, float | int]] = (),
    best_epoch: int | None = None,
    stop_reason: str | None = None,
    training_state: Mapping[str, Any] | None = None,
    target: Target = "classification",
    target_normalizer: FeatureNormalizer | None = None,
    image_preprocessing: ImagePreprocessing | None = None,
) -> None:
    """Write a checkpoint that ``load_checkpoint`` can restore without any other file.

    A "regression" ``target`` has no label names and needs ``target_normalizer``, the
    training targets' mean and std (one column) its outputs are in.

    The task follows from the model's forward signature: a text model needs ``tokenizer``
    and ``max_length``, a tabular model ``feature_names`` (and ``normalizer`` when its
    features were normalised), an image model ``image_preprocessing``. ``baselines``,
    fitted on the training split, let every evaluation score simple models beside this one.
    ``history`` holds one dict of numbers per epoch (``{"epoch": 1, "train_loss": ...}``),
    for learning curves without torch's training state; ``best_epoch`` and ``stop_reason``
    say which epoch's weights these are and why the run ended. ``data_source`` and
    ``training_state`` (optimizer/scheduler state dicts, epoch, RNG states, ...) must be
    nested dicts of
    tensors and plain Python values; anything else (a numpy array, a custom object) raises
    TypeError here rather than producing a file that cannot be loaded safely. The file is
    written to a temporary name and then renamed, so a crash mid-write never leaves a
    truncated checkpoint behind.
    """
    task = model_task(model)
    payload: dict[str, Any] = {
        "format_version": FORMAT_VERSION,
        "task": task,
        "target": target,
        "target_normalizer": None if target_normalizer is None else target_normalizer.state_dict(),
        "model_config": model_config(model),
        "model_state": model.state_dict(),
        "label_names": list(label_names),
        "tokenizer": None if tokenizer is None else tokenizer.to_dict(),
        "max_length": max_length,
        "feature_names": None if feature_names is None else list(feature_names),
        "normalizer": None if normalizer is None else normalizer.state_dict(),
        "image_preprocessing": None
        if image_preprocessing is None
        else image_preprocessing.to_dict(),
        "baselines": None if baselines is None else baselines.state_dict(),
        "data_source": None if data_source is None else dict(data_source),
        "history": [dict(epoch) for epoch in history],
        "best_epoch": best_epoch,
        "stop_reason": stop_reason,
        "training_state": None if training_state is None else dict(training_state),
    }
    problems = (
        _inconsistencies(
            task,
            payload["model_config"],
            label_names,
            tokenizer,
            max_length,
            feature_names,
            normalizer,
            image_preprocessing,
        )
        + _target_inconsistencies(target, payload["model_config"], label_names, target_normalizer)
        + _baseline_inconsistencies(baselines, label_names, tokenizer, feature_names, task)
    )
    history_problem = _history_problem(payload["history"])
    if history_problem:
        problems.append(history_problem)
    if problems:
        raise ValueError(f"cannot save checkpoint {path}: {'; '.join(problems)}")
    _require_plain(payload, where="checkpoint")

    write_atomically(Path(path), lambda file: torch.save(payload, file))


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
    version = payload["format_version"]
    if type(version) is not int or version != FORMAT_VERSION:
        shown = version if type(version) is int else _describe(version)
        raise fail(f"format version {shown}, but this code reads version {FORMAT_VERSION}")
    problem = _type_problem(payload) or _run_problem(payload) or _weights_problem(payload)
    if problem:
        raise fail(problem)
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
        target: Target = payload["target"]
        baseline_kind = Baselines if target == "classification" else RegressionBaselines
        baselines = (
            None
            if payload["baselines"] is None
            else baseline_kind.from_state_dict(payload["baselines"])
        )
        target_normalizer = (
            None
            if payload["target_normalizer"] is None
            else FeatureNormalizer.from_state_dict(payload["target_normalizer"])
        )
        image_preprocessing = (
            None
            if payload["image_preprocessing"] is None
            else ImagePreprocessing.from_dict(payload["image_preprocessing"])
        )
        task = model_task(model)
    except (KeyError, TypeError, ValueError, RuntimeError) as error:
        raise fail(f"cannot rebuild its contents: {_one_line(error)}") from error
    if payload["task"] != task:
        raise fail(f"says task {payload['task']!r}, but its model serves {task!r}")
    problems = (
        _inconsistencies(
            task,
            payload["model_config"],
            label_names,
            tokenizer,
            payload["max_length"],
            feature_names,
            normalizer,
            image_preprocessing,
        )
        + _target_inconsistencies(target, payload["model_config"], label_names, target_normalizer)
        + _baseline_inconsistencies(baselines, label_names, tokenizer, feature_names, task)
    )
    if problems:
        raise fail("; ".join(problems))
    return Checkpoint(
        task=task,
        target=target,
        model=model.eval(),
        label_names=label_names,
        target_normalizer=target_normalizer,
        tokenizer=tokenizer,
        max_length=payload["max_length"],
        feature_names=feature_names,
        normalizer=normalizer,
        image_preprocessing=image_preprocessing,
        baselines=baselines,
        data_source=payload["data_source"],
        history=payload["history"],
        best_epoch=payload["best_epoch"],
        stop_reason=payload["stop_reason"],
        training_state=payload["training_state"],
    )


def _read_payload(path: str | PathLike[str]) -> dict[str, Any]:
    """Open, verify and safely unpickle a file, turning every failure into a one-line error."""

    def fail(problem: str) -> CheckpointError:
        return CheckpointError(f"checkpoint {path}: {problem}")

    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer before it can be refused.
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError as error:
        raise fail("no such file") from error
    except IsADirectoryError as error:
        raise fail("is a directory, not a file") from error
    except OSError as error:
        raise fail(f"cannot be opened: {error.strerror}") from error
    status = os.fstat(descriptor)
    if not stat.S_ISREG(status.st_mode):
        os.close(descriptor)
        if stat.S_ISDIR(status.st_mode):
            raise fail("is a directory, not a file")
        raise fail("is not a regular file (a pipe, socket or device?); refusing to read it")
    with open(descriptor, "rb") as file:
        _verify_archive(file, status.st_size, fail)
        file.seek(0)
        try:
            payload = torch.load(file, map_location="cpu", weights_only=True)
        except pickle.UnpicklingError as error:
            raise fail(
                "refused to load, it holds objects other than tensors and plain data (loading "
                "them could run code); only load files you trust otherwise"
            ) from error
        except Exception as error:  # an intact archive with a damaged pickle, among others
            raise fail(
                f"not a checkpoint (truncated or corrupt?): {type(error).__name__}: "
                f"{_one_line(error)}"
            ) from error
    if not isinstance(payload, dict):
        raise fail(f"holds a {type(payload).__name__}, expected a dict")
    problem = _size_problem(payload, status.st_size)
    if problem:
        raise fail(problem)
    return payload


def _size_problem(payload: object, file_size: int) -> str | None:
    """Whether the unpickled data is as small as a file of ``file_size`` bytes can honestly be.

    Pickle stores a list or tensor seen twice as a 2-byte reference to the first, so a small
    file can hold a list of 2**40 leaves or a 2 GB stride-0 view of one float; whatever
    then reads it (a comparison, a repr, load_state_dict) spends that much time or memory.
    Every value is counted as often as it is reached, without recursion, and must fit a
    budget of one value per byte of the file (each costs at least one byte when it is not
    shared); every tensor must be dense, on the CPU, no larger than the storage it views,
    and all of them together no larger than the file.
    """
    budget, values, tensor_bytes = file_size, 0, 0
    pending: list[tuple[object, int]] = [(payload, 0)]
    while pending:
        value, depth = pending.pop()
        values += 1
        if values > budget:
            return f"holds more than {budget} values, more than its {file_size} bytes can store"
        if depth > MAX_NESTING:
            return f"nests data more than {MAX_NESTING} levels deep"
        if isinstance(value, dict):
            pending.extend((part, depth + 1) for item in value.items() for part in item)
        elif isinstance(value, list | tuple | set | frozenset):
            pending.extend((item, depth + 1) for item in value)
        elif type(value) is int and value.bit_length() > MAX_INTEGER_BITS:
            return f"holds an integer of {value.bit_length()} bits"
        elif isinstance(value, torch.Tensor):
            problem = _tensor_problem(value)
            if problem:
                return problem
            tensor_bytes += value.numel() * value.element_size()
    if tensor_bytes > file_size:
        return f"its tensors claim {tensor_bytes} bytes, more than its {file_size} (shared views?)"
    return None


def _tensor_problem(tensor: torch.Tensor) -> str | None:
    """Unless ``tensor`` is dense, on the CPU and views no more bytes than its storage holds."""
    if tensor.layout != torch.strided or tensor.is_quantized or tensor.device.type != "cpu":
        return (
            f"holds a {tensor.layout} tensor on {tensor.device.type}"
            f"{' (quantized)' if tensor.is_quantized else ''}; a checkpoint holds dense CPU tensors"
        )
    claimed = tensor.numel() * tensor.element_size()
    stored = tensor.untyped_storage().nbytes()
    if claimed > stored:
        return (
            f"holds a tensor of shape {tuple(tensor.shape)} ({claimed} bytes) viewing "
            f"{stored} bytes of storage (stride 0 or overlapping)"
        )
    return None


def _verify_archive(file: IO[bytes], size: int, fail: Any) -> None:
    """Refuse anything but an intact zip of stored entries no larger, together, than the file.

    torch.save never compresses, so a compressed entry (which could inflate to any size)
    or entries sharing their bytes (each loaded again) mean the file was crafted; every
    entry's CRC-32 is checked, so a flipped bit is caught instead of loading other weights.
    """
    try:
        with zipfile.ZipFile(file) as archive:
            entries = archive.infolist()
            compressed = [e.filename for e in entries if e.compress_type != zipfile.ZIP_STORED]
            if compressed:
                raise fail(f"entry {compressed[0]} is compressed; torch.save never does that")
            if sum(entry.file_size for entry in entries) > size:
                raise fail("its entries claim more bytes than the file holds")
            damaged = archive.testzip()
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, NotImplementedError) as error:
        if isinstance(error, CheckpointError):
            raise
        raise fail(f"not a checkpoint (truncated or corrupt?): {_one_line(error)}") from error
    if damaged is not None:
        raise fail(f"is corrupt: entry {damaged} fails its CRC check")


def _type_problem(payload: Mapping[str, Any]) -> str | None:
    """What is of the wrong type in a payload, before anything is built from it."""

    def is_list_of_str(value: object) -> bool:
        return type(value) is list and all(type(item) is str for item in value)

    config, state = payload["model_config"], payload["model_state"]
    if payload["task"] not in TASKS or type(payload["task"]) is not str:
        return f"task must be one of {', '.join(TASKS)}, got {_describe(payload['task'])}"
    if payload["target"] not in TARGETS or type(payload["target"]) is not str:
        return f"target must be one of {', '.join(TARGETS)}, got {_describe(payload['target'])}"
    if not is_list_of_str(payload["label_names"]):
        return f"label_names must be a list of str, got {_describe(payload['label_names'])}"
    if payload["feature_names"] is not None and not is_list_of_str(payload["feature_names"]):
        return f"feature_names must be a list of str, got {_describe(payload['feature_names'])}"
    max_length = payload["max_length"]
    if max_length is not None and type(max_length) is not int:
        return f"max_length must be an int, got {_describe(max_length)}"
    if not isinstance(config, dict) or not all(
        type(key) is str and (type(value) in _PLAIN_SCALARS or is_list_of_str(value))
        for key, value in config.items()
    ):
        return (
            "model_config must map names to str, int, float, bool, None or a list of str, "
            f"got {_describe(config)}"
        )
    not_finite = [k for k, v in config.items() if type(v) is float and not math.isfinite(v)]
    if not_finite:
        return f"model_config {not_finite[0]} must be a finite number, got {config[not_finite[0]]}"
    if not isinstance(state, dict) or not all(
        type(key) is str and isinstance(value, torch.Tensor) for key, value in state.items()
    ):
        return "model_state must map parameter names to tensors"
    return _data_source_problem(payload["data_source"]) or _history_problem(payload["history"])


def _data_source_problem(source: object) -> str | None:
    """Unless ``source`` is None or a record of named plain values (one level of named
    sub-records allowed, such as the hash of each data file), what is wrong with it."""

    def is_record(value: object) -> bool:
        return type(value) is dict and all(
            type(key) is str and type(item) in _PLAIN_SCALARS for key, item in value.items()
        )

    if source is None:
        return None
    if type(source) is not dict or not all(
        type(key) is str and (type(value) in _PLAIN_SCALARS or is_record(value))
        for key, value in source.items()
    ):
        return f"data_source must be None or a dict of named plain values, got {_describe(source)}"
    return None


def _history_problem(history: object) -> str | None:
    """Unless ``history`` is a list of dicts from names to numbers, what is wrong. A NaN
    loss is a number: the history of a run that diverged is worth keeping."""
    if type(history) is not list:
        return f"history must be a list of per-epoch dicts, got {_describe(history)}"
    for index, epoch in enumerate(history):
        if type(epoch) is not dict or not all(
            type(key) is str and type(value) in (int, float) for key, value in epoch.items()
        ):
            return f"history[{index}] must map names to int or float values, got {_describe(epoch)}"
    return None


def _run_problem(payload: Mapping[str, Any]) -> str | None:
    """What is wrong with the epoch the weights come from, or why the run stopped."""
    best_epoch, stop_reason = payload["best_epoch"], payload["stop_reason"]
    if best_epoch is not None and type(best_epoch) is not int:
        return f"best_epoch must be an int or None, got {_describe(best_epoch)}"
    if stop_reason is not None and type(stop_reason) is not str:
        return f"stop_reason must be a str or None, got {_describe(stop_reason)}"
    return None


def _weights_problem(payload: Mapping[str, Any]) -> str | None:
    """Whether the weights are finite and have exactly the shapes the config declares.

    The config is built on the meta device, which allocates no memory, so a small file
    declaring a huge model costs nothing before it is refused.
    """
    config, state = payload["model_config"], payload["model_state"]
    for name, tensor in state.items():
        if (tensor.is_floating_point() or tensor.is_complex()) and not torch.isfinite(tensor).all():
            return f"tensor {name} holds NaN or infinite values"
    layers = config.get("num_layers", 0)
    if type(layers) is int and layers > MAX_LAYERS:
        return f"num_layers {layers} exceeds the {MAX_LAYERS} this code builds"
    try:
        with torch.device("meta"):
            skeleton = build_model(config)
    except (TypeError, ValueError, ArithmeticError, RuntimeError) as error:
        return f"cannot build its model_config: {_one_line(error)}"
    expected = {name: tuple(tensor.shape) for name, tensor in skeleton.state_dict().items()}
    saved = {name: tuple(tensor.shape) for name, tensor in state.items()}
    for name in expected.keys() - saved.keys():
        return f"model_state lacks {name}, which its model_config needs (missing key)"
    for name in saved.keys() - expected.keys():
        return f"model_state holds {name}, which its model_config has no place for (unexpected key)"
    for name, shape in expected.items():
        if saved[name] != shape:
            return (
                f"size mismatch for {name}: the file holds {saved[name]}, the config needs {shape}"
            )
    return None


def _describe(value: object) -> str:
    """A short description of a value of the wrong type, for an error message: its type and
    size, never the repr of a container (which may be nested or shared past any size)."""
    name = type(value).__name__
    if isinstance(value, str):
        return f"{name} {value[:40]!r}{'...' if len(value) > 40 else ''}"
    if isinstance(value, torch.Tensor):
        return f"{name} of shape {tuple(value.shape)}"
    if isinstance(value, Sized):
        return f"{name} of {len(value)} items"
    if type(value) in _PLAIN_SCALARS:
        return f"{name} {value!r}"
    return name


def _inconsistencies(
    task: Task,
    model_config: Mapping[str, Any],
    label_names: Sequence[str],
    tokenizer: Tokenizer | None,
    max_length: object,
    feature_names: Sequence[str] | None,
    normalizer: FeatureNormalizer | None,
    image_preprocessing: ImagePreprocessing | None = None,
) -> list[str]:
    """Ways the parts of a checkpoint contradict each other (empty when they agree)."""
    problems = []
    if len(set(label_names)) != len(label_names):
        repeated = next(name for name, count in Counter(label_names).items() if count > 1)
        problems.append(f"label names must be unique, got {_describe(repeated)} twice or more")
    if task == "image":
        others = (tokenizer, max_length, feature_names, normalizer)
        if image_preprocessing is None or any(part is not None for part in others):
            problems.append(
                "an image model needs its image preprocessing and no tokenizer, max_length, "
                "feature names or normaliser"
            )
        elif image_preprocessing.size > MAX_IMAGE_SIZE:
            problems.append(
                f"image size {image_preprocessing.size} exceeds the {MAX_IMAGE_SIZE} served here"
            )
        elif model_config.get("in_channels", image_preprocessing.num_channels) != (
            image_preprocessing.num_channels
        ):
            problems.append(
                f"the model takes {model_config['in_channels']} channels, its "
                f"{image_preprocessing.channels} images have {image_preprocessing.num_channels}"
            )
        return problems
    if image_preprocessing is not None:
        problems.append(f"a {task} model has no image preprocessing")
    if task == "text":
        if tokenizer is None or feature_names is not None or normalizer is not None:
            problems.append("a text model needs a tokenizer and no feature names or normaliser")
        elif model_config.get("vocab_size", tokenizer.vocab_size) != tokenizer.vocab_size:
            problems.append(
                f"tokenizer has {tokenizer.vocab_size} tokens, the model embeds "
                f"{model_config['vocab_size']}"
            )
        elif model_config.get("vocabulary", tokenizer.vocab) != tokenizer.vocab:
            problems.append("the model's vocabulary is not the tokenizer's, word for word")
        if isinstance(max_length, bool) or not isinstance(max_length, int) or max_length < 1:
            problems.append(f"max_length must be a positive int, got {max_length!r}")
        elif max_length > MAX_SEQUENCE_LENGTH:
            problems.append(
                f"max_length {max_length} exceeds the {MAX_SEQUENCE_LENGTH} tokens a text may have"
            )
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


def _target_inconsistencies(
    target: Target,
    model_config: Mapping[str, Any],
    label_names: Sequence[str],
    target_normalizer: FeatureNormalizer | None,
) -> list[str]:
    """Ways the model's outputs contradict the target kind (empty when they agree): one
    output per label name for a classifier, one output and the target's statistics (one
    column) for a regressor."""
    problems = []
    outputs = model_config.get("num_outputs")
    if target == "classification":
        if outputs is not None and outputs != len(label_names):
            problems.append(f"{len(label_names)} label names for a model with {outputs} classes")
        if target_normalizer is not None:
            problems.append("a classifier has no target statistics")
    else:
        if outputs is not None and outputs != 1:
            problems.append(f"a regressor has one output, the model has {outputs}")
        if label_names:
            problems.append(f"a regressor has no label names, got {len(label_names)}")
        if target_normalizer is None or _columns(target_normalizer) != 1:
            problems.append("a regressor needs the target's statistics (mean and std, 1 column)")
    return problems


def _columns(normalizer: FeatureNormalizer) -> int | None:
    return None if normalizer.mean is None else normalizer.mean.numel()


def _baseline_inconsistencies(
    baselines: Baselines | RegressionBaselines | None,
    label_names: Sequence[str],
    tokenizer: Tokenizer | None,
    feature_names: Sequence[str] | None,
    task: Task,
) -> list[str]:
    """Ways the baselines contradict the labels or the tokenizer (empty when they agree)."""
    if baselines is None:
        return []
    # The width of the linear baselines' inputs: the features, or an image's thumbnail.
    features = THUMBNAIL_SIZE**2 if task == "image" else None
    features = len(feature_names) if feature_names is not None else features
    if isinstance(baselines, RegressionBaselines):
        inputs = tokenizer.vocab_size if tokenizer is not None else features
        if len(baselines.ridge_weight) != inputs:
            return [
                f"the ridge-regression baseline weighs {len(baselines.ridge_weight)} inputs, "
                f"the model has {inputs}"
            ]
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
    weight = baselines.logistic_weight
    if weight is not None and (features is None or weight.shape[1] != features):
        problems.append(
            f"the logistic-regression baseline weighs {weight.shape[1]} features, the model "
            f"has {features}"
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
