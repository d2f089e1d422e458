"""Command-line interface: train, evaluate and query a classifier (or a regressor, with
--target regression) on your data or the example.

    python -m <module> train --data PATH [--validation PATH] [--test PATH]
        [--text-column text | --image-column COLUMN] [--label-column label]
        [--target classification|regression] [--model NAME] --out MODEL.pt [options]
    python -m <module> train --data IMAGES_DIR --out MODEL.pt   # one folder per class
    torchrun --standalone --nproc_per_node=N -m <module> train --out model.pt   # N processes
    python -m <module> evaluate --model MODEL.pt [--data PATH] [--report DIR]
    python -m <module> predict --model MODEL.pt TEXT [TEXT ...]
    python -m <module> predict --model MODEL.pt --data ROWS.csv
    python -m <module> predict --model MODEL.pt a.png b.jpg     # or --data IMAGES_DIR

Without --data, ``train`` uses ``task.DEFAULT_DATA`` (the bundled example sentences unless you
changed it). Every TrainConfig field is a ``train`` option (``--help`` lists them), generated
from the dataclass so the two never drift apart. ``evaluate`` and ``predict`` print JSON (one
object per line). Any problem the user can fix (a bad argument, a bad data file, a missing or
corrupt checkpoint, an empty text) ends with one line on stderr and a non-zero exit status,
never a traceback, and before any file is written.
"""

import argparse
import dataclasses
import json
import logging
import sys
import types
import typing
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import torch

from .data import TARGETS, DataError, image_paths, images_from_table, read_inputs, read_table
from .inference import Predictor
from .models import MODEL_REGISTRY
from .report import check_report_folder, write_report
from .task import (
    DataSpec,
    metrics_path,
    read_examples,
    recorded_test_split,
    resume_path,
    score,
    train_classifier,
)
from .training import LOSSES, TrainConfig
from .training.distributed import BACKENDS, is_main_process, process_group

EXIT_FAILURE = 1  # the command ran but could not finish (e.g. a corrupt checkpoint)
EXIT_USAGE = 2  # the command line itself is wrong (argparse's convention)
EXIT_INTERRUPTED = 130  # Ctrl-C: 128 + SIGINT, what a shell reports
# Intra-op threads of torch for every command. Measured (README, "Training at size"): the
# models here are small, so on a 2-core machine torch's default of one thread per core
# trained the 20,000-row text CSV 1.3x slower than one thread, with the same metrics.
DEFAULT_THREADS = 1


class UsageError(Exception):
    """A bad command line; reported in one line instead of argparse's usage block."""


class _ArgumentParser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message}")


def _positive_int(value: str) -> int:
    if not value.isdecimal() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {value!r}")
    return int(value)


def _fraction(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        number = -1.0
    if not 0 <= number < 1:
        raise argparse.ArgumentTypeError(f"must be a number in [0, 1), got {value!r}")
    return number


def _device(value: str) -> str:
    """A torch device this machine has, checked before training starts."""
    try:
        device = torch.device(value)
    except RuntimeError as error:
        raise argparse.ArgumentTypeError(f"not a torch device: {value!r}") from error
    if device.type == "meta":
        raise argparse.ArgumentTypeError("meta: that device holds shapes, not data to train on")
    if device.type == "cuda" and not torch.cuda.is_available():
        raise argparse.ArgumentTypeError(f"{value}: torch sees no CUDA device here")
    if device.type == "mps" and not torch.backends.mps.is_available():
        raise argparse.ArgumentTypeError(f"{value}: torch sees no Apple GPU (mps) here")
    return value


def _output_path(value: str) -> Path:
    """A file path whose folder exists, checked before minutes of training, not after."""
    path = Path(value)
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{value} is a directory; give a file name")
    if not path.parent.is_dir():
        raise argparse.ArgumentTypeError(f"folder {path.parent} does not exist")
    return path


def _optional(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    """A parser that also accepts "none" (for TrainConfig fields that may be None)."""

    def parse_or_none(value: str) -> Any:
        return None if value.lower() == "none" else parse(value)

    return parse_or_none


# How each TrainConfig field type is read from the command line; a field of another type
# fails here at import, so a new field cannot silently miss its flag.
_PARSERS: dict[Any, Callable[[str], Any]] = {int: int, float: float, str: str}
_SPECIAL_PARSERS: dict[str, Callable[[str], Any]] = {
    "epochs": _positive_int,
    "min_freq": _positive_int,
    "max_vocab_size": _optional(_positive_int),
    "device": _device,
    "model": str,
    "loss": str,
}


def _field_parser(option: dataclasses.Field[Any], hints: dict[str, Any]) -> Callable[[str], Any]:
    """How to read `option` from the command line, given TrainConfig's resolved type hints."""
    if option.name in _SPECIAL_PARSERS:
        return _SPECIAL_PARSERS[option.name]
    kind = hints[option.name]
    if isinstance(kind, types.UnionType):  # `int | None`: the one non-None member, or "none"
        (member,) = (arg for arg in typing.get_args(kind) if arg is not type(None))
        return _optional(_PARSERS[member])
    return _PARSERS[kind]


def _add_train_config_options(parser: argparse.ArgumentParser) -> None:
    """One --flag per TrainConfig field, named after it, defaulting to the dataclass's default."""
    group = parser.add_argument_group("training options (TrainConfig)")
    hints = typing.get_type_hints(TrainConfig)  # resolved once: each call evaluates them all
    for option in dataclasses.fields(TrainConfig):
        extra: dict[str, Any] = {}
        if option.name == "model":
            extra["choices"] = sorted(MODEL_REGISTRY)
        if option.name == "loss":
            extra["choices"] = LOSSES
        group.add_argument(
            f"--{option.name.replace('_', '-')}",
            dest=f"config_{option.name}",
            type=_field_parser(option, hints),
            metavar=option.name.upper(),
            default=argparse.SUPPRESS,  # absent unless given, so "none" can mean None
            # argparse %-formats help texts: a literal "%" must be written "%%".
            help=f"{option.metadata['help']} (default: {option.default})".replace("%", "%%"),
            **extra,
        )


def build_parser() -> argparse.ArgumentParser:
    parser = _ArgumentParser(
        prog=f"python -m {__package__}",
        description="Train, evaluate and query a classifier or regressor on your own data or "
        "the example.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    common = _ArgumentParser(add_help=False)
    common.add_argument(
        "--threads",
        type=_positive_int,
        default=DEFAULT_THREADS,
        help=f"torch intra-op threads (default: {DEFAULT_THREADS}, measured fastest for "
        "models this small; more can pay for a wide transformer)",
    )

    train = commands.add_parser(
        "train", parents=[common], help="train on a CSV/JSONL file (or the example data)"
    )
    train.add_argument("--out", type=_output_path, required=True, help="checkpoint file to write")
    data = train.add_argument_group("data")
    data.add_argument(
        "--data",
        type=Path,
        help="CSV (header row) or JSON Lines file, or a folder of images in class folders",
    )
    data.add_argument("--validation", type=Path, help="validation file; default: split of --data")
    data.add_argument("--test", type=Path, help="test file; default: split of --data")
    data.add_argument("--text-column", help="column holding the text (default: text)")
    data.add_argument(
        "--image-column", help="column holding image paths, relative to the file (images)"
    )
    data.add_argument("--label-column", default="label", help="column holding the label")
    data.add_argument(
        "--target",
        choices=TARGETS,
        default="classification",
        help="what to predict: the label's class, or its number (default: classification)",
    )
    data.add_argument("--validation-fraction", type=_fraction, default=0.15)
    data.add_argument("--test-fraction", type=_fraction, default=0.15)
    data.add_argument("--split-seed", type=int, default=0, help="seed of the stratified split")
    _add_train_config_options(train)
    train.add_argument(
        "--resume",
        action="store_true",
        help="continue the run stopped after an epoch (a crash, Ctrl-C) from the resume state "
        "beside --out; the same data and options as that run",
    )
    train.add_argument(
        "--quiet", action="store_true", help="log warnings only: no progress bar, no epoch lines"
    )
    train.add_argument(
        "--backend",
        choices=BACKENDS,
        help="under torchrun: how processes talk; default: nccl for cuda, gloo for cpu",
    )
    train.set_defaults(run=_train)

    evaluate = commands.add_parser(
        "evaluate", parents=[common], help="print a checkpoint's metrics as JSON"
    )
    evaluate.add_argument("--model", type=Path, required=True, help="checkpoint file to load")
    evaluate.add_argument("--data", type=Path, help="labelled file; default: its test split")
    evaluate.add_argument(
        "--report",
        type=Path,
        metavar="DIR",
        help="also write report.md with PNG images there (needs matplotlib: the report extra)",
    )
    evaluate.set_defaults(run=_evaluate)

    predict = commands.add_parser(
        "predict", parents=[common], help="print the predicted class (or number) of each input"
    )
    predict.add_argument("--model", type=Path, required=True, help="checkpoint file to load")
    predict.add_argument(
        "--data", type=Path, help="CSV/JSONL of rows to classify, or a folder of images"
    )
    predict.add_argument(
        "texts", nargs="*", metavar="INPUT", help="text(s), or image files, to classify"
    )
    predict.set_defaults(run=_predict)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the process exit status (0 on success)."""
    try:
        args = build_parser().parse_args(argv)
    except UsageError as error:
        print(f"error: {error} (see --help)", file=sys.stderr)
        return EXIT_USAGE
    torch.set_num_threads(args.threads)
    try:
        args.run(args)
    except UsageError as error:
        print(f"error: {error} (see --help)", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        resumable = args.command == "train" and resume_path(args.out).is_file()
        hint = "; the same command with --resume continues it" if resumable else ""
        print(f"error: {args.command} interrupted (Ctrl-C){hint}", file=sys.stderr)
        return EXIT_INTERRUPTED
    except FloatingPointError as error:  # fit's guard against a NaN or infinite loss
        print(f"error: {error} (--lr, --grad-clip)", file=sys.stderr)
        return EXIT_FAILURE
    except (ValueError, OSError) as error:  # CheckpointError and DataError are ValueErrors
        print(f"error: {error}", file=sys.stderr)
        return EXIT_FAILURE
    return 0


def _print_json(record: dict[str, Any]) -> None:
    """Print one JSON line. NaN and infinity are not JSON, so they are an error instead."""
    try:
        line = json.dumps(record, ensure_ascii=False, allow_nan=False)
    except ValueError as error:
        raise ValueError(
            "the model produced NaN or infinity, which JSON cannot hold; is its checkpoint damaged?"
        ) from error
    print(line)


def _data_spec(args: argparse.Namespace) -> DataSpec:
    if args.data is None and (
        args.validation or args.test or args.text_column or args.image_column
    ):
        raise UsageError("train: --validation, --test, --text-column, --image-column need --data")
    if args.text_column and args.image_column:
        raise UsageError("train: give --text-column or --image-column, not both")
    return DataSpec(
        path=args.data,
        validation=args.validation,
        test=args.test,
        text_column=args.text_column or "text",
        label_column=args.label_column,
        task="text" if args.text_column else None,  # a named text column must exist
        image_column=args.image_column,
        validation_fraction=args.validation_fraction,
        test_fraction=args.test_fraction,
        split_seed=args.split_seed,
        target=args.target,
    )


def _train(args: argparse.Namespace) -> None:
    overrides = {
        option.name: getattr(args, f"config_{option.name}")
        for option in dataclasses.fields(TrainConfig)
        if hasattr(args, f"config_{option.name}")
    }
    try:
        config = dataclasses.replace(TrainConfig(), **overrides)
    except ValueError as error:
        raise UsageError(f"train: {error}") from None
    spec = _data_spec(args)
    _check_outputs_are_not_inputs(args.out, spec)
    resume_from = resume_path(args.out) if args.resume else None
    if resume_from is not None and not resume_from.is_file():
        raise UsageError(f"train: --resume: there is no resume state {resume_from} to continue")
    with process_group(args.backend, config.device), _logging_to_stderr(args.quiet):
        # Reads and checks all the data before it trains or writes anything.
        train_classifier(
            config,
            spec,
            checkpoint_path=args.out,
            resume_from=resume_from,
            progress=not args.quiet,
        )
        if is_main_process():
            LOGGER.info(
                "saved checkpoint to %s (resume state: %s, metrics: %s)",
                args.out,
                resume_path(args.out),
                metrics_path(args.out),
            )


LOGGER = logging.getLogger(__package__)


@contextmanager
def _logging_to_stderr(quiet: bool) -> Iterator[None]:
    """The package's log records as plain lines on stderr for one command (warnings only
    when ``quiet``), leaving stdout to the JSON of evaluate and predict."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    previous_level = LOGGER.level
    LOGGER.addHandler(handler)
    LOGGER.setLevel(logging.WARNING if quiet else logging.INFO)
    try:
        yield
    finally:
        LOGGER.removeHandler(handler)
        LOGGER.setLevel(previous_level)


def _check_outputs_are_not_inputs(out: Path, spec: DataSpec) -> None:
    """Refuse an --out whose checkpoint, resume or metrics file is one of the data files,
    also through a symlink or a hard link (the same inode), before anything is written."""
    inputs = {"--data": spec.path, "--validation": spec.validation, "--test": spec.test}
    for output in (out, resume_path(out), metrics_path(out)):
        for option, given in inputs.items():
            if given is not None and _same_file(output, given):
                raise UsageError(f"train: --out {out} would overwrite the {option} file {given}")
            inside = given is not None and output.resolve().is_relative_to(given.resolve())
            if given is not None and given.is_dir() and inside:
                raise UsageError(f"train: --out {out} is inside the {option} folder {given}")


def _same_file(first: Path, second: Path) -> bool:
    if first.resolve() == second.resolve():
        return True
    try:
        return first.samefile(second)
    except OSError:  # one of them does not exist (yet): not the same file
        return False


def _evaluate(args: argparse.Namespace) -> None:
    predictor = Predictor(args.model)
    if args.report is not None:
        recorded = (predictor.data_source or {}).get("hashes", {})
        inputs = [args.model, *([args.data] if args.data else []), *map(Path, recorded)]
        check_report_folder(args.report, inputs)
    if args.data is None:
        examples = recorded_test_split(predictor)
        source = predictor.data_source or {}
        scored = {"split": "test", "data": source.get("path") or "bundled example"}
    else:
        examples = read_examples(predictor, args.data)
        scored = {"data": str(args.data)}
    record = {**scored, **score(predictor, examples)}
    _print_json(record)
    if args.report is not None:
        write_report(args.report, record, predictor.history, predictor.target)


def _predict(args: argparse.Namespace) -> None:
    if bool(args.texts) == (args.data is not None):
        raise UsageError("predict: give either TEXT arguments or --data ROWS, not both or neither")
    predictor = Predictor(args.model)
    if predictor.task == "image":
        _predict_images(predictor, args)
        return
    if args.data is None:
        if predictor.task != "text":
            raise ValueError(
                f"{args.model} is a tabular model: give the rows to classify with --data ROWS.csv"
            )
        for text, result in zip(args.texts, _results(predictor, args.texts), strict=True):
            _print_json({"text": text, **result})
        return
    table = read_table(args.data)
    source = predictor.data_source or {}
    try:
        inputs = read_inputs(
            table,
            predictor.task,
            text_column=source.get("text_column") or "text",
            label_column=source.get("label_column") or "label",
            feature_columns=predictor.feature_names,
        )
    except DataError as error:
        raise DataError(f"{error} ({args.model} is a {predictor.task} model)") from None
    for row, result in zip(table.rows, _results(predictor, inputs), strict=True):
        _print_json({"line": row.line, **result})


def _predict_images(predictor: Predictor, args: argparse.Namespace) -> None:
    """One JSON line per image, in order: the files named, a folder's images (sorted), or
    the images a table names in the training image column."""
    if args.data is None:
        for path, result in zip(args.texts, _results(predictor, args.texts), strict=True):
            _print_json({"image": path, **result})
        return
    if args.data.is_dir():
        paths = [str(path) for path in image_paths(args.data)]
        for path, result in zip(paths, _results(predictor, paths), strict=True):
            _print_json({"image": path, **result})
        return
    source = predictor.data_source or {}
    if not source.get("image_column"):
        raise DataError(
            f"{args.data}: {args.model} was trained on class folders: give a folder of images "
            "or the image files"
        )
    table = read_table(args.data)
    images = images_from_table(table, source["image_column"])
    for row, image, result in zip(table.rows, images, _results(predictor, images), strict=True):
        _print_json({"line": row.line, "image": image.path, **result})


def _results(predictor: Predictor, inputs: Sequence[Any]) -> Sequence[dict[str, Any]]:
    """What predict prints per input: a classifier's label and probabilities, or a
    regressor's value in the label's units."""
    if predictor.target == "regression":
        return [{"value": value} for value in predictor.predict_values(inputs)]
    return [dict(result) for result in predictor.predict_batch(inputs)]
