"""The task wiring: data -> preprocessing -> datasets -> model -> fit -> checkpoint.

This is the one module to change for a task of your own. ``DEFAULT_DATA`` says which data
``train`` (and the test suite's trained model) uses when no file is named; point it at
your CSV or JSON Lines file and every command and test follows. The machinery it calls,
``training.fit``, ``checkpoint`` and ``inference.Predictor``, knows no dataset.

Text data (a text column) gets a tokenizer built on the training split; tabular data
(numeric columns) a ``FeatureNormalizer`` fitted on the training split; images (a folder of
class folders, or a table with an image column) an ``ImagePreprocessing``: a size, a
channel mode and each channel's mean and std on the training split. Each is saved
in the checkpoint, with the label names and where the data came from, so serving and
``evaluate`` preprocess exactly as training did. So are the baselines (``baselines.py``)
fitted on the training split, which ``score`` reports beside the model.

The target is data too: ``DataSpec.target`` "classification" (the default) trains a
classifier of the label column's classes; "regression" a model with one output that
predicts the label column's number. The regression target is standardised with the
training split's mean and std (another ``FeatureNormalizer``, saved in the checkpoint and
inverted at serving), trained with MSE (or Huber: ``TrainConfig.loss``) and scored by
RMSE, MAE and R² beside the training mean and ridge regression.

``train --out model.pt`` writes three files: ``model.pt`` once training ends, with the
weights of the best validation epoch and nothing to resume from (what serving reads);
``model.resume.pt`` after every epoch, with the last epoch's weights and the optimizer,
scheduler and RNG states that continue the run exactly; and ``model.metrics.jsonl``, one
line of metrics per epoch, which any tool reads without torch.
"""

import hashlib
import inspect
import json
import logging
import math
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

import torch
from torch import nn

from .atomic import write_atomically
from .baselines import Baselines, RegressionBaselines, thumbnails
from .checkpoint import load_checkpoint, save_checkpoint
from .data import (
    TASKS,
    DataError,
    Examples,
    FeatureDataset,
    FeatureNormalizer,
    GaussianNoise,
    ImageAugmentation,
    ImageDataset,
    ImageFile,
    ImagePreprocessing,
    Table,
    Target,
    Task,
    TensorBatches,
    TextDataset,
    TokenDropout,
    Tokenizer,
    build_tokenizer,
    bundled_table,
    channel_mode,
    channel_mode_of,
    check_classes,
    check_disjoint,
    check_labels_known,
    examples_from_folder,
    examples_from_image_table,
    examples_from_table,
    images_digest,
    label_names,
    read_table,
    split_examples,
)
from .inference import Predictor
from .models import MODEL_REGISTRY, model_task, models_for
from .training import (
    STOPPED_AFTER_ALL_EPOCHS,
    RegressionLoss,
    TrainConfig,
    accuracy,
    binned_targets,
    calibration_bins,
    check_resumable,
    classification_scores,
    confusion_matrix,
    default_batch_size,
    expected_calibration_error,
    fit,
    macro_f1,
    per_class_scores,
    regression_scores,
    residual_histogram,
    rmse,
    seed_everything,
)
from .training.distributed import get_world_size, is_main_process, shard_sampler
from .training.loop import LossFn, Scores

LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True)
class DataSpec:
    """Where the labelled data is and how to split it.

    ``path`` None means the bundled example sentences; a folder means images in class
    folders, and a table with ``image_column`` images named by path. Without
    ``validation``/``test`` files, those splits are a seeded, stratified share of
    ``path``; given, they are used as they are. ``task`` None means: image for a folder or
    an ``image_column``, text if the file has ``text_column``, else tabular. ``target``
    "regression" predicts the label column's number instead of its class.
    """

    path: Path | None = None
    validation: Path | None = None
    test: Path | None = None
    text_column: str = "text"
    label_column: str = "label"
    task: Task | None = None
    validation_fraction: float = 0.15
    test_fraction: float = 0.15
    split_seed: int = 0
    target: Target = "classification"
    image_column: str | None = None


# The data `train` uses when no --data is given, and on which the suite's session model is
# trained. For your own data, e.g.: DEFAULT_DATA = DataSpec(path=Path("data/reviews.csv"))
# (a relative path is read from the folder the command or pytest runs in).
DEFAULT_DATA = DataSpec()
# Chosen by measurement (README, "Choosing the default model"): on the bundled example, its
# golden set and a corpus of real docstrings the bag of n-grams is as accurate as the
# transformer or more, and trains faster.
DEFAULT_MODELS: dict[Task, str] = {"text": "bag_of_ngrams", "tabular": "mlp", "image": "cnn"}
# Each model's width when --hidden-size is not given (DEFAULT_HIDDEN_SIZE for a model not
# named here). The MLP's: on the 20,000 x 8 table of benchmarks/train_at_size.py, 32 units
# scored 0.864, under HistGradientBoosting's 0.889; 128 scored 0.904 and 256 0.905. The
# text models: 64 did no better than 32 on either benchmark corpus, at twice the step cost.
# The CNN's: its first block's channels (16, 32, 64 over its three blocks).
DEFAULT_HIDDEN_SIZES = {"bag_of_ngrams": 32, "transformer": 32, "mlp": 128, "cnn": 16}
DEFAULT_HIDDEN_SIZE = 32
# The derived max_length covers this share of the training texts, and is at most
# LONGEST_SEQUENCE: padding every text to a rare outlier's length would cost attention
# (which grows with length squared) for nothing.
COVERED_TEXTS = 0.99
LONGEST_SEQUENCE = 256
# The default image size is the training images' median longer side, at most LARGEST_IMAGE:
# a step costs the size squared, and small images are what small CNNs classify well.
LARGEST_IMAGE = 64


@dataclass(frozen=True)
class PreparedData:
    """Checked, split data, ready for preprocessing; nothing has been trained yet."""

    task: Task
    label_names: tuple[str, ...]  # class-index order, from the training split; () regression
    splits: dict[str, Examples]  # "train", "validation", "test" (possibly empty)
    source: dict[str, Any]  # the DataSpec and file hashes, saved in the checkpoint
    target: Target = "classification"

    def labels(self, split: str) -> list[int]:
        """The class index of every example of ``split`` (classification)."""
        return [self.label_names.index(label) for label in self.splits[split].labels]

    def targets(self, split: str) -> torch.Tensor:
        """What the model learns for ``split``: class indices (N,) int64, or the numbers
        (N,) float64 of a regression target, in the label's units."""
        if self.target == "regression":
            return torch.tensor(self.splits[split].values(), dtype=torch.float64)
        return torch.tensor(self.labels(split), dtype=torch.long)

    @property
    def num_outputs(self) -> int:
        """The model's output size: one logit per class, or one number."""
        return 1 if self.target == "regression" else len(self.label_names)


def load_data(spec: DataSpec = DEFAULT_DATA) -> PreparedData:
    """Read, check and split the data of ``spec``: every data problem fails here, in one
    line naming the file, line and column, before anything is trained or written.

    A file whose suffix is in ``DATA_LOADERS`` is read by that loader instead.
    """
    loader = DATA_LOADERS.get(spec.path.suffix.lower()) if spec.path is not None else None
    if loader is not None:
        return loader(spec)
    examples, table = read_labelled(spec, spec.path)
    tables = [table]
    if spec.target == "classification":
        check_classes(examples, spec.label_column)
    splits = split_examples(
        examples,
        seed=spec.split_seed,
        validation_fraction=0.0 if spec.validation else spec.validation_fraction,
        test_fraction=0.0 if spec.test else spec.test_fraction,
    )
    for name in ("validation", "test"):
        given: Path | None = getattr(spec, name)
        if given is not None:
            splits[name], table = read_labelled(spec, given, examples)
            tables.append(table)
    if not splits["validation"]:
        raise DataError("no validation data: give --validation or a validation fraction above 0")
    check_disjoint(splits)
    names: tuple[str, ...] = ()
    if spec.target == "classification":
        names = label_names(splits["train"].labels)
        for name in ("validation", "test"):
            check_labels_known(splits[name], names)
    elif len(set(splits["train"].labels)) < 2:
        raise DataError(
            f"the target is the same number ({splits['train'].labels[0]}) in every training "
            "row: there is nothing to regress"
        )
    read = {table.path.resolve(): table.sha256 for table in tables if table and table.sha256}
    record = data_record(spec, examples.task, read)
    if examples.task == "image":
        assert spec.path is not None
        root = spec.path if spec.path.is_dir() else spec.path.parent
        everything = [image for split in splits.values() for image in split.inputs]
        record["images_sha256"] = images_digest(everything, root)
    return PreparedData(examples.task, names, splits, record, spec.target)


def read_labelled(
    spec: DataSpec, path: Path | None, like: Examples | None = None
) -> tuple[Examples, Table | None]:
    """The labelled examples of ``path`` (None: the bundled example) as ``spec`` describes
    them, and the table they came from (None for a folder). ``like``, the training file's
    examples, makes a validation or test file's of the same task and feature columns."""
    task = like.task if like is not None else spec.task
    if path is not None and (path.is_dir() or spec.image_column is not None or task == "image"):
        if path.is_dir():
            return examples_from_folder(path, spec.target), None
        if spec.image_column is None:
            raise DataError(f"{path}: a table of images needs --image-column")
        table = read_table(path)
        columns = {"image_column": spec.image_column, "label_column": spec.label_column}
        return examples_from_image_table(table, target=spec.target, **columns), table
    table = bundled_table() if path is None else read_table(path)
    examples = examples_from_table(
        table,
        task=task,
        feature_columns=(like.feature_names or None) if like is not None else None,
        target=spec.target,
        label_column=spec.label_column,
        text_column=spec.text_column,
    )
    return examples, table


def data_record(
    spec: DataSpec, task: Task, hashes: Mapping[Path, str] | None = None
) -> dict[str, Any]:
    """What a checkpoint records about its data: the DataSpec (paths absolute), the task and
    each file's hash, so that ``evaluate`` can make the same test split again.

    ``hashes`` (by resolved path) are those of the bytes the loader read, as
    ``Table.sha256``: a file replaced after it was read is then found changed, not taken
    for the data the model saw. A file without one is hashed now.
    """
    paths = (spec.path, spec.validation, spec.test)
    # A folder's images are recorded as one digest over them all (``images_digest``).
    files = [Path(path).resolve() for path in paths if path and not Path(path).is_dir()]
    known = hashes or {}
    return {
        **{key: _recorded(value) for key, value in asdict(spec).items()},
        "task": task,
        "hashes": {str(path): known.get(path) or file_hash(path) for path in files},
    }


def _recorded(value: object) -> object:
    """A DataSpec value as the checkpoint records it: paths absolute, as plain strings."""
    return str(value.resolve()) if isinstance(value, Path) else value


def file_hash(path: str | Path) -> str:
    """SHA-256 of a file, read in blocks (bounded memory): `evaluate` refuses to re-split
    data that changed since training."""
    with Path(path).open("rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()


def spec_from_source(source: Mapping[str, Any]) -> DataSpec:
    """The DataSpec a checkpoint's data record describes, after checking its files are the
    ones training read (same bytes)."""
    problem = _data_record_problem(source)
    if problem:
        raise DataError(f"the model's data record {problem}; pass --data")
    for path, digest in source["hashes"].items():
        if not Path(path).is_file():
            raise DataError(f"{path}: the training data is no longer there; pass --data")
        if file_hash(path) != digest:
            raise DataError(f"{path}: changed since the model was trained; pass --data")

    def as_path(key: str) -> Path | None:
        return None if source[key] is None else Path(source[key])

    return DataSpec(
        path=as_path("path"),
        validation=as_path("validation"),
        test=as_path("test"),
        text_column=source["text_column"],
        label_column=source["label_column"],
        task=source["task"],
        validation_fraction=float(source["validation_fraction"]),
        test_fraction=float(source["test_fraction"]),
        split_seed=int(source["split_seed"]),
        target=source["target"],
        image_column=source["image_column"],
    )


def _data_record_problem(source: Mapping[str, Any]) -> str | None:
    """What stops ``source`` from being a ``data_record``, if anything: a checkpoint from
    elsewhere may hold any plain values there (checkpoint.py checks only that they are)."""
    keys = ("hashes", *(spec_field.name for spec_field in fields(DataSpec)))
    missing = [key for key in keys if key not in source]
    if missing:
        return f"lacks {', '.join(missing)}"
    hashes = source["hashes"]
    if type(hashes) is not dict or not all(
        type(path) is str and type(digest) is str for path, digest in hashes.items()
    ):
        return "has hashes that are not file names with their SHA-256"
    expected = {
        "path": (str, type(None)),
        "validation": (str, type(None)),
        "test": (str, type(None)),
        "text_column": (str,),
        "label_column": (str,),
        "validation_fraction": (int, float),
        "test_fraction": (int, float),
        "split_seed": (int,),
        "image_column": (str, type(None)),
    }
    wrong = [name for name, kinds in expected.items() if type(source[name]) not in kinds]
    if source["task"] is not None and source["task"] not in TASKS:
        wrong.append("task")
    return f"has {', '.join(wrong)} of the wrong type" if wrong else None


@dataclass(frozen=True)
class Preprocessing:
    """What turns raw inputs (and targets) into model inputs (and targets); fitted on the
    training split only."""

    tokenizer: Tokenizer | None = None  # text
    max_length: int | None = None  # text
    normalizer: FeatureNormalizer | None = None  # tabular
    feature_names: tuple[str, ...] | None = None  # tabular
    target_normalizer: FeatureNormalizer | None = None  # regression: the target's mean, std
    image: ImagePreprocessing | None = None  # images

    def dataset(
        self,
        examples: Examples,
        labels: list[int] | torch.Tensor,
        num_classes: int,
        augment: Any = None,
    ) -> TextDataset | FeatureDataset | ImageDataset:
        """The encoded dataset of ``examples``: the same preprocessing for every split.
        ``labels`` are class indices, or for a regressor the targets in the label's units
        (``PreparedData.targets``), which it standardises."""
        classes: list[int] | torch.Tensor | None = labels
        targets = None
        if self.target_normalizer is not None:
            values = torch.as_tensor(labels, dtype=torch.float64)[:, None]
            classes, targets = None, self.target_normalizer.transform(values)[:, 0].float()
        if self.image is not None:
            pixels = self.image.pixels(image_files(examples))
            return ImageDataset(pixels, self.image, classes, augment, num_classes, targets)
        if self.tokenizer is not None:
            assert self.max_length is not None
            texts = [str(text) for text in examples.inputs]
            return TextDataset(
                texts,
                classes,
                self.max_length,
                num_classes,
                self.tokenizer,
                augment=augment,
                targets=targets,
            )
        features = torch.tensor(examples.inputs, dtype=torch.float32)
        return FeatureDataset(
            features, classes, self.normalizer, augment, num_classes, targets=targets
        )

    def to_label_units(self, outputs: torch.Tensor) -> torch.Tensor:
        """A regressor's outputs (N, 1), standardised, as numbers (N,) in the label's units."""
        assert self.target_normalizer is not None
        return self.target_normalizer.inverse_transform(outputs.double())[:, 0]


def fit_preprocessing(
    data: PreparedData, config: TrainConfig, log: Callable[[str], None] | None
) -> Preprocessing:
    """The tokenizer (text), normaliser (tabular) or image preprocessing of the training
    split, and for a regressor its target's mean and std, and nothing else."""
    train = data.splits["train"]
    target_normalizer = None
    if data.target == "regression":
        target_normalizer = FeatureNormalizer().fit(data.targets("train")[:, None])
    if data.task == "image":
        image = fit_image_preprocessing(image_files(train), config)
        if log is not None:
            log(
                f"images: {image.channels} {image.size} x {image.size} ({image.resize}), "
                f"channel means {[round(value, 3) for value in image.mean]}"
            )
        return Preprocessing(image=image, target_normalizer=target_normalizer)
    if data.task == "tabular":
        features = torch.tensor(train.inputs, dtype=torch.float32)
        return Preprocessing(
            normalizer=FeatureNormalizer().fit(features),
            feature_names=train.feature_names,
            target_normalizer=target_normalizer,
        )
    texts = [str(text) for text in train.inputs]
    tokenizer = build_tokenizer(
        texts, min_freq=config.min_freq, max_vocab_size=config.max_vocab_size
    )
    lengths = sorted(len(tokenizer.tokenize(text)) for text in texts)
    covering = lengths[math.ceil(COVERED_TEXTS * len(lengths)) - 1]
    max_length = config.max_length or min(covering, LONGEST_SEQUENCE)
    if log is not None:
        truncated = sum(length > max_length for length in lengths) / len(lengths)
        log(f"max_length {max_length}: {truncated:.1%} of training texts are truncated")
    return Preprocessing(
        tokenizer=tokenizer, max_length=max_length, target_normalizer=target_normalizer
    )


def image_files(examples: Examples) -> list[ImageFile]:
    """The inputs of image ``examples``, typed."""
    files = [image for image in examples.inputs if isinstance(image, ImageFile)]
    assert len(files) == len(examples), "image examples hold ImageFile inputs"
    return files


def fit_image_preprocessing(files: list[ImageFile], config: TrainConfig) -> ImagePreprocessing:
    """The size (``config.image_size``, or the median longer side up to LARGEST_IMAGE), the
    channel mode (``config.image_channels``, or L for all-grayscale data) and the per-channel
    mean and std of the training images, letterboxed to that size."""
    longer_sides = sorted(max(image.width, image.height) for image in files)
    size = config.image_size or min(longer_sides[len(longer_sides) // 2], LARGEST_IMAGE)
    given = config.image_channels
    channels = channel_mode_of(files) if given is None else channel_mode(given)
    pixels = ImagePreprocessing.unfitted(size, channels).pixels(files)
    return ImagePreprocessing.fit(pixels, channels)


def fit_baselines(
    preprocessing: Preprocessing,
    examples: Examples,
    labels: list[int] | torch.Tensor,
    num_classes: int,
    images: torch.Tensor | None = None,
) -> Baselines | RegressionBaselines:
    """The baselines of ``examples`` (the training split), on the inputs the model sees:
    a classifier's from class indices, a regressor's (``preprocessing`` with a target
    normaliser) from the targets in the label's units. Images are fitted on small grayscale
    thumbnails of ``images``, the split's model inputs (N, C, S, S) when already made."""
    targets = torch.as_tensor(labels)
    regression = preprocessing.target_normalizer is not None
    tokenizer = preprocessing.tokenizer
    if preprocessing.image is not None:
        if images is None:
            images = preprocessing.image.encode(image_files(examples))
        if regression:
            return RegressionBaselines.fit(targets, features=thumbnails(images))
        return Baselines.fit(targets, num_classes, features=thumbnails(images))
    if tokenizer is None:
        features = torch.tensor(examples.inputs, dtype=torch.float32)
        if preprocessing.normalizer is not None:  # as Predictor.encode normalises them
            features = preprocessing.normalizer.transform(features)
        if regression:
            return RegressionBaselines.fit(targets, features=features)
        return Baselines.fit(targets, num_classes, features=features)
    assert preprocessing.max_length is not None
    texts = [str(text) for text in examples.inputs]
    encoded = tokenizer.encode_batch(texts, preprocessing.max_length)
    if regression:
        return RegressionBaselines.fit(targets, encoded, tokenizer.vocab_size)
    return Baselines.fit(targets, num_classes, encoded, tokenizer.vocab_size)


def model_name(config: TrainConfig, task: Task) -> str:
    """The registry name of the model to train: ``config.model``, or the task's default."""
    return config.model or DEFAULT_MODELS[task]


def model_class_for(config: TrainConfig, task: Task) -> type[nn.Module]:
    """The registry class of ``config.model`` (default: DEFAULT_MODELS[task]), which must
    take ``task`` data."""
    name = model_name(config, task)
    if name not in MODEL_REGISTRY or model_task(MODEL_REGISTRY[name]) != task:
        fitting = ", ".join(models_for(task))
        raise ValueError(f"model {name!r} does not take {task} data; choose one of: {fitting}")
    return MODEL_REGISTRY[name]


def build_classifier(
    config: TrainConfig, task: Task, num_outputs: int, preprocessing: Preprocessing
) -> nn.Module:
    """The registry model ``config.model`` (default: DEFAULT_MODELS[task]), its constructor
    arguments taken by name from the config and the preprocessing: ``num_outputs`` is the
    number of classes, or 1 for a regressor (``PreparedData.num_outputs``)."""
    model_class = model_class_for(config, task)
    known: dict[str, Any] = {
        "num_outputs": num_outputs,
        "hidden_size": config.hidden_size
        or DEFAULT_HIDDEN_SIZES.get(model_name(config, task), DEFAULT_HIDDEN_SIZE),
        "num_layers": config.num_layers,
        "num_heads": config.num_heads,
        "dropout": config.dropout,
    }
    if preprocessing.image is not None:
        known["in_channels"] = preprocessing.image.num_channels
    elif preprocessing.tokenizer is not None:
        known |= {
            "vocab_size": preprocessing.tokenizer.vocab_size,
            "vocabulary": preprocessing.tokenizer.vocab,
            "max_length": preprocessing.max_length,
            "pad_id": preprocessing.tokenizer.pad_id,
        }
    else:
        assert preprocessing.feature_names is not None
        known["in_features"] = len(preprocessing.feature_names)
    parameters = inspect.signature(model_class).parameters
    unknown = [
        argument
        for argument, parameter in parameters.items()
        if argument not in known and parameter.default is inspect.Parameter.empty
    ]
    if unknown:
        raise ValueError(
            f"{model_class.__name__} needs {unknown}, which build_classifier in task.py "
            "does not supply: add them there"
        )
    return model_class(
        **{argument: known[argument] for argument in parameters if argument in known}
    )


@dataclass(frozen=True)
class TrainedClassifier:
    """What ``train_classifier`` returns: the trained model (the weights of its best epoch;
    a classifier, or a regressor), its data, preprocessing, baselines, and how training
    went."""

    model: nn.Module
    data: PreparedData
    preprocessing: Preprocessing
    baselines: Baselines | RegressionBaselines
    history: list[dict[str, float]]
    best_epoch: int = 0
    stop_reason: str = STOPPED_AFTER_ALL_EPOCHS

    def save(self, path: str | Path, training_state: Mapping[str, Any] | None = None) -> None:
        """Write the checkpoint ``train`` writes: the model with its preprocessing, baselines
        and data record, all ``Predictor`` and ``evaluate`` need, and the history, best epoch
        and stop reason. ``training_state`` (what ``fit`` hands its ``save_state``) makes it
        a checkpoint a run can resume from."""
        save_checkpoint(
            path,
            model=self.model,
            label_names=self.data.label_names,
            tokenizer=self.preprocessing.tokenizer,
            max_length=self.preprocessing.max_length,
            feature_names=self.preprocessing.feature_names,
            normalizer=self.preprocessing.normalizer,
            baselines=self.baselines,
            data_source=self.data.source,
            training_state=training_state,
            history=self.history,
            best_epoch=self.best_epoch,
            stop_reason=self.stop_reason,
            target=self.data.target,
            target_normalizer=self.preprocessing.target_normalizer,
            image_preprocessing=self.preprocessing.image,
        )


def resume_path(checkpoint: str | Path) -> Path:
    """Where ``train --out checkpoint`` keeps the state to resume from: model.resume.pt."""
    return Path(checkpoint).with_suffix(".resume.pt")


def metrics_path(checkpoint: str | Path) -> Path:
    """Where ``train --out checkpoint`` writes its per-epoch metrics: model.metrics.jsonl."""
    return Path(checkpoint).with_suffix(".metrics.jsonl")


def write_metrics(path: Path, history: list[dict[str, float]]) -> None:
    """One JSON object per epoch, rewritten whole (to a temporary file, then renamed), so a
    resumed run's file holds each epoch once and a crash leaves the previous version."""
    lines = "".join(json.dumps(metrics) + "\n" for metrics in history)
    write_atomically(path, lambda file: file.write(lines.encode()))


def train_classifier(
    config: TrainConfig,
    data: DataSpec = DEFAULT_DATA,
    checkpoint_path: str | Path | None = None,
    *,
    resume_from: str | Path | None = None,
    log: Callable[[str], None] | None = LOGGER.info,
    progress: bool = False,
) -> TrainedClassifier:
    """Train a classifier (or, for ``data.target`` "regression", a regressor) on ``data``:
    the pipeline behind ``cli train``.

    Seeds first, so the model's initial weights, the shuffling and the augmentation all
    follow from ``config.seed``. Preprocessing and the baselines are fitted on the training
    split only, and only the training split is augmented. With ``checkpoint_path`` the
    resume state and the metrics file beside it are written after every epoch, and the
    checkpoint itself (the best epoch's weights) once training ends: a run killed midway
    leaves no checkpoint that looks finished. ``resume_from`` (a ``resume_path``) continues
    a run and ends with the same weights as an uninterrupted run.
    """
    seed_everything(config.seed)
    prepared = load_data(data)
    model_class_for(config, prepared.task)  # refuse a model of the other task before any work
    check_loss(config, prepared.target)
    preprocessing = fit_preprocessing(prepared, config, log)
    train_loader, val_loader = training_loaders(prepared, preprocessing, config)
    model = build_classifier(config, prepared.task, prepared.num_outputs, preprocessing)
    train_set = train_loader.dataset
    baselines = fit_baselines(
        preprocessing,
        prepared.splits["train"],
        prepared.targets("train"),
        len(prepared.label_names),
        # The images already made (not augmented: normalised from the stored pixels).
        images=preprocessing.image.normalize(train_set.pixels)
        if preprocessing.image is not None and isinstance(train_set, ImageDataset)
        else None,
    )
    loss_fn, scores = objective(config, preprocessing)

    resume_state = None
    if resume_from is not None:
        checkpoint = load_checkpoint(resume_from)
        resume_state = checkpoint["training_state"]
        if resume_state is None:
            raise ValueError(
                f"cannot resume from {resume_from}: it holds no training state (resume from "
                "the .resume.pt file that train writes beside its checkpoint)"
            )
        check_resumable(config, resume_state["config"])
        check_same_data(prepared.source, checkpoint["data_source"], resume_from)
        model.load_state_dict(checkpoint["model"].state_dict())

    trained = TrainedClassifier(model, prepared, preprocessing, baselines, history=[])

    def save_state(training_state: dict[str, Any]) -> None:
        assert checkpoint_path is not None
        replace(trained, history=training_state["history"]).save(
            resume_path(checkpoint_path), training_state
        )
        write_metrics(metrics_path(checkpoint_path), training_state["history"])

    result = fit(
        model,
        train_loader,
        val_loader,
        config,
        loss_fn=loss_fn,
        scores=scores,
        resume_state=resume_state,
        save_state=save_state if checkpoint_path is not None else None,
        log=log,
        progress=progress,
    )
    trained = replace(
        trained,
        history=result.history,
        best_epoch=result.best_epoch,
        stop_reason=result.stop_reason,
    )
    if checkpoint_path is not None and is_main_process():
        trained.save(checkpoint_path)
    return trained


def check_same_data(
    source: Mapping[str, Any], recorded: Mapping[str, Any] | None, resume_from: str | Path
) -> None:
    """A run resumes only on the data it started with: the same files, bytes (hashes),
    columns and split. Other data would refit the tokenizer or normaliser under weights
    trained for the first one, and the result would match no uninterrupted run."""
    recorded = recorded or {}
    keys = source.keys() | recorded.keys()
    differing = sorted(key for key in keys if source.get(key) != recorded.get(key))
    if differing:
        raise ValueError(
            f"cannot resume from {resume_from}: it was trained on other data "
            f"({', '.join(differing)} differ); train afresh without resuming"
        )


def check_loss(config: TrainConfig, target: Target) -> None:
    """Refuse a loss of the other target kind, before any work."""
    regression_loss = config.loss in ("mse", "huber")
    if config.loss is not None and regression_loss != (target == "regression"):
        fitting = "mse or huber" if target == "regression" else "cross_entropy"
        raise ValueError(f"loss {config.loss!r} does not train a {target} target; use {fitting}")


def objective(config: TrainConfig, preprocessing: Preprocessing) -> tuple[LossFn, Scores]:
    """The training loss and the validation metrics besides it: cross-entropy, accuracy and
    macro F1 for classes; for a regressor MSE (or Huber) on the standardised target, and
    RMSE, MAE and R² in the label's units."""
    if preprocessing.target_normalizer is None:
        return nn.CrossEntropyLoss(), classification_scores

    def scores(outputs: torch.Tensor, targets: torch.Tensor) -> dict[str, float]:
        actual = preprocessing.to_label_units(targets[:, None])
        return regression_scores(preprocessing.to_label_units(outputs), actual)

    return RegressionLoss(config.loss or "mse", config.huber_delta), scores


def training_loaders(
    data: PreparedData, preprocessing: Preprocessing, config: TrainConfig
) -> tuple[TensorBatches, TensorBatches]:
    """The training batches (augmented, reshuffled every epoch, one shard per process under
    torchrun) and the validation batches (neither augmented nor shuffled), sliced from
    each split's tensors, encoded once."""
    num_classes = len(data.label_names)
    augment = augmentation(config, data.task)
    train_set = preprocessing.dataset(
        data.splits["train"], data.targets("train"), num_classes, augment
    )
    val_set = preprocessing.dataset(
        data.splits["validation"], data.targets("validation"), num_classes
    )
    # Under torchrun each process gets its own shard; config.batch_size is per process.
    world_size = get_world_size()
    sampler = shard_sampler(train_set, seed=config.seed) if world_size > 1 else None
    batch_size = config.batch_size or default_batch_size(math.ceil(len(train_set) / world_size))
    train_loader = TensorBatches(train_set, batch_size, shuffle=sampler is None, sampler=sampler)
    return train_loader, TensorBatches(val_set, 256)


def augmentation(config: TrainConfig, task: Task) -> Any:
    """The training split's augmentation (None for none): token dropout for text, Gaussian
    noise on the normalised features for tabular data, random resized crops and horizontal
    flips for images."""
    if task == "text":
        return TokenDropout(config.token_dropout) if config.token_dropout > 0 else None
    if task == "image":
        if config.crop_scale == 1 and config.flip == 0:
            return None
        return ImageAugmentation(config.crop_scale, config.flip)
    return GaussianNoise(config.feature_noise) if config.feature_noise > 0 else None


def read_examples(predictor: Predictor, path: str | Path) -> Examples:
    """Labelled examples of a file, read with the columns the predictor's model was trained
    on (its text column, or its feature columns by name), or of an image model's folder of
    class folders or table of image paths."""
    source = predictor.data_source or {}
    if predictor.task == "image":
        spec = DataSpec(
            task="image",
            label_column=source.get("label_column") or "label",
            image_column=source.get("image_column"),
            target=predictor.target,
        )
        return read_labelled(spec, Path(path), like=None)[0]
    columns = {
        "label_column": source.get("label_column") or "label",
        "text_column": source.get("text_column") or "text",
    }
    features = None if predictor.feature_names is None else list(predictor.feature_names)
    return examples_from_table(
        read_table(path),
        task=predictor.task,
        feature_columns=features,
        target=predictor.target,
        **columns,
    )


def recorded_test_split(predictor: Predictor) -> Examples:
    """The test split the predictor's model was trained with, made again from its record."""
    if predictor.data_source is None:
        raise DataError("the checkpoint does not record its training data; pass --data")
    data = load_data(spec_from_source(predictor.data_source))
    recorded = predictor.data_source.get("images_sha256")
    if recorded is not None and data.source.get("images_sha256") != recorded:
        raise DataError(
            f"{data.source['path']}: its images changed since the model was trained; pass --data"
        )
    return data.splits["test"]


def score(predictor: Predictor, examples: Examples) -> dict[str, Any]:
    """The model's accuracy, macro F1, expected calibration error, per-class precision,
    recall and F1, confusion matrix and calibration bins on labelled ``examples``, beside
    the accuracy of each of its baselines on the same examples: what ``evaluate`` prints.

    Every metric is computed once over all the examples, never averaged over batches.
    ``beats_baselines`` is true when the model is more accurate than every baseline.
    """
    if not examples:
        raise DataError("there are no examples to score (was the test fraction 0?)")
    if predictor.baselines is None:
        raise ValueError("the checkpoint holds no baselines; train it with `train` to score it")
    if isinstance(predictor.baselines, RegressionBaselines):
        return score_values(predictor, predictor.baselines, examples)
    check_labels_known(examples, predictor.label_names)
    names = predictor.label_names
    results = predictor.predict_batch(list(examples.inputs))
    probabilities = torch.tensor([list(result["probabilities"].values()) for result in results])
    predicted = torch.tensor([names.index(result["label"]) for result in results])
    targets = torch.tensor([names.index(label) for label in examples.labels])
    model_accuracy = accuracy(predicted, targets)
    baselines = {
        name: accuracy(guesses, targets)
        for name, guesses in predictor.baselines.predict(predictor.encode(examples.inputs)).items()
    }
    confusion = confusion_matrix(predicted, targets, num_classes=len(names))
    per_class = per_class_scores(confusion)
    counts, confidence_sums, correct_sums = calibration_bins(probabilities, targets)
    return {
        "examples": len(examples),
        "accuracy": model_accuracy,
        "macro_f1": macro_f1(predicted, targets, num_classes=len(names)),
        "ece": expected_calibration_error(probabilities, targets),
        "per_class": {
            name: {
                "precision": per_class["precision"][index].item(),
                "recall": per_class["recall"][index].item(),
                "f1": per_class["f1"][index].item(),
                "support": int(per_class["support"][index]),
            }
            for index, name in enumerate(names)
        },
        "confusion_matrix": {"labels": list(names), "counts": confusion.tolist()},
        "calibration": {  # the ECE's bins; None where a bin holds no example
            "bins": len(counts),
            "examples": [int(count) for count in counts],
            "mean_confidence": _bin_means(confidence_sums, counts),
            "accuracy": _bin_means(correct_sums, counts),
        },
        "baselines": baselines,
        "beats_baselines": all(model_accuracy > value for value in baselines.values()),
    }


def score_values(
    predictor: Predictor, baselines: RegressionBaselines, examples: Examples
) -> dict[str, Any]:
    """A regressor's RMSE, MAE and R² on labelled ``examples``, in the label's units, over
    all of them at once, beside the RMSE of each of its baselines, with the binned means
    and residual histogram that ``evaluate --report`` draws: what ``evaluate`` prints.
    ``beats_baselines`` is true when its RMSE is below every baseline's."""
    targets = torch.tensor(examples.values(), dtype=torch.float64)
    predicted = torch.tensor(predictor.predict_values(list(examples.inputs)), dtype=torch.float64)
    metrics = regression_scores(predicted, targets)
    guesses = baselines.predict(predictor.encode(examples.inputs))
    baseline_rmse = {name: rmse(values, targets) for name, values in guesses.items()}
    counts, prediction_sums, target_sums = binned_targets(predicted, targets)
    residual_counts, residual_edges = residual_histogram(predicted, targets)
    return {
        **metrics,
        "examples": len(examples),
        "calibration": {  # bins of the predictions' range; None where a bin holds no example
            "bins": len(counts),
            "examples": [int(count) for count in counts],
            "mean_prediction": _bin_means(prediction_sums, counts),
            "mean_target": _bin_means(target_sums, counts),
        },
        "residuals": {  # target - prediction, in the label's units
            "edges": residual_edges.tolist(),
            "counts": [int(count) for count in residual_counts],
        },
        "baselines": baseline_rmse,
        "beats_baselines": all(metrics["rmse"] < value for value in baseline_rmse.values()),
    }


def _bin_means(sums: torch.Tensor, counts: torch.Tensor) -> list[float | None]:
    """Each bin's mean (sum / count), None for a bin without examples."""
    means = zip(sums.tolist(), counts.tolist(), strict=True)
    return [None if count == 0 else total / count for total, count in means]


# Loaders of file formats that load_data does not read itself, by suffix, e.g.
# {".tsv": load_tsv}: each takes the DataSpec and returns PreparedData as load_data does
# (README, "Adding a data source"). `train --data`, `evaluate` and the suite then use it.
DATA_LOADERS: dict[str, Callable[[DataSpec], PreparedData]] = {}
