"""Command-line interface: train, evaluate and query the example text classifier.

    python -m <module> train --out model.pt [--epochs N] [--seed S] [--device D]
    torchrun --standalone --nproc_per_node=N -m <module> train --out model.pt   # N processes
    python -m <module> evaluate --model model.pt
    python -m <module> predict --model model.pt "some text" ["more text" ...]

``evaluate`` and ``predict`` print JSON (one object per line) so scripts can read them.
Any problem the user can fix (a bad argument, a missing or corrupt checkpoint, an empty
text) ends with one line on stderr and a non-zero exit status, never a traceback.
"""

import argparse
import dataclasses
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

import torch

from .data import LABEL_NAMES, load_example_splits
from .inference import Predictor
from .training import TrainConfig, accuracy, macro_f1, train_text_classifier
from .training.distributed import BACKENDS, is_main_process, process_group

EXIT_FAILURE = 1  # the command ran but could not finish (e.g. a corrupt checkpoint)
EXIT_USAGE = 2  # the command line itself is wrong (argparse's convention)


class UsageError(Exception):
    """A bad command line; reported in one line instead of argparse's usage block."""


class _ArgumentParser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message}")


def _positive_int(value: str) -> int:
    if not value.isdecimal() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {value!r}")
    return int(value)


def _device(value: str) -> str:
    """A torch device this machine has, checked before training starts."""
    try:
        device = torch.device(value)
    except RuntimeError as error:
        raise argparse.ArgumentTypeError(f"not a torch device: {value!r}") from error
    if device.type == "cuda" and not torch.cuda.is_available():
        raise argparse.ArgumentTypeError(f"{value}: torch sees no CUDA device here")
    return value


def _output_path(value: str) -> Path:
    """A file path whose folder exists, checked before minutes of training, not after."""
    path = Path(value)
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{value} is a directory; give a file name")
    if not path.parent.is_dir():
        raise argparse.ArgumentTypeError(f"folder {path.parent} does not exist")
    return path


def build_parser() -> argparse.ArgumentParser:
    parser = _ArgumentParser(
        prog=f"python -m {__package__}",
        description="Train, evaluate and query the example text classifier.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    train = commands.add_parser("train", help="train on the bundled dataset, save a checkpoint")
    train.add_argument("--out", type=_output_path, required=True, help="checkpoint file to write")
    train.add_argument("--epochs", type=_positive_int, help="default: TrainConfig.epochs")
    train.add_argument("--seed", type=int, help="default: TrainConfig.seed")
    train.add_argument("--device", type=_device, help="e.g. cuda; default: TrainConfig.device")
    train.add_argument(
        "--backend",
        choices=BACKENDS,
        help="under torchrun: how processes talk; default: nccl for cuda, gloo for cpu",
    )
    train.set_defaults(run=_train)

    evaluate = commands.add_parser("evaluate", help="print test-split metrics of a checkpoint")
    evaluate.add_argument("--model", type=Path, required=True, help="checkpoint file to load")
    evaluate.set_defaults(run=_evaluate)

    predict = commands.add_parser("predict", help="print the predicted class of each text")
    predict.add_argument("--model", type=Path, required=True, help="checkpoint file to load")
    predict.add_argument("texts", nargs="+", metavar="TEXT", help="text(s) to classify")
    predict.set_defaults(run=_predict)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the process exit status (0 on success)."""
    try:
        args = build_parser().parse_args(argv)
    except UsageError as error:
        print(f"error: {error} (see --help)", file=sys.stderr)
        return EXIT_USAGE
    try:
        args.run(args)
    except (ValueError, OSError) as error:  # CheckpointError is a ValueError
        print(f"error: {error}", file=sys.stderr)
        return EXIT_FAILURE
    return 0


def _train(args: argparse.Namespace) -> None:
    overrides = {name: getattr(args, name) for name in ("epochs", "seed", "device")}
    config = dataclasses.replace(
        TrainConfig(), **{name: value for name, value in overrides.items() if value is not None}
    )
    with process_group(args.backend, config.device):  # a no-op outside torchrun
        train_text_classifier(config, checkpoint_path=args.out, log=print)
        if is_main_process():
            print(f"saved checkpoint to {args.out}")


def _evaluate(args: argparse.Namespace) -> None:
    predictor = Predictor(args.model)
    if predictor.label_names != LABEL_NAMES:
        raise ValueError(
            f"{args.model} predicts {list(predictor.label_names)}, "
            f"not the bundled dataset's {list(LABEL_NAMES)}"
        )
    test = load_example_splits()["test"]
    predictions = predictor.predict_batch(test.texts)
    predicted = torch.tensor([LABEL_NAMES.index(result["label"]) for result in predictions])
    targets = torch.tensor(test.labels)
    metrics = {
        "split": "test",
        "examples": len(test.texts),
        "accuracy": accuracy(predicted, targets),
        "macro_f1": macro_f1(predicted, targets, num_classes=len(LABEL_NAMES)),
    }
    _print_json(metrics)


def _predict(args: argparse.Namespace) -> None:
    predictor = Predictor(args.model)
    for text, result in zip(args.texts, predictor.predict_batch(args.texts), strict=True):
        _print_json({"text": text, **result})


def _print_json(record: dict[str, object]) -> None:
    """Print one JSON line. NaN and infinity are not JSON, so they are an error instead."""
    try:
        line = json.dumps(record, ensure_ascii=False, allow_nan=False)
    except ValueError as error:
        raise ValueError(
            "the model produced NaN or infinity, which JSON cannot hold; is its checkpoint damaged?"
        ) from error
    print(line)
