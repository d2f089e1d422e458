"""Labelled examples from any source, checked, split and encoded the same way.

A source is a table of records: a user's CSV or JSON Lines file, or the bundled example
sentences. ``examples_from_table`` turns one into ``Examples`` of a task (what goes in:
text when the table has the text column, tabular when every other column is numeric) and
a target (what comes out: a class, or a number for regression). Every problem is found
here, before any training starts, and reported in one line naming the file, the line and
the column.

``split_examples`` makes a seeded train/validation/test split, stratified by class for
classification, that never puts the same input in two splits; ``check_disjoint`` refuses
given splits that share one.
"""

import hashlib
import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, Self

from .files import DataError, Row, Table
from .images import ImageFile
from .tokenizer import normalize_text

Task = Literal["text", "tabular", "image"]
TASKS: tuple[Task, ...] = ("text", "tabular", "image")
# What a model predicts: one of the label column's classes, or a number (regression).
Target = Literal["classification", "regression"]
TARGETS: tuple[Target, ...] = ("classification", "regression")
Input = str | tuple[float, ...] | ImageFile  # a text, a feature row, or an image file
SPLITS = ("train", "validation", "test")
# At most this many classes. The costs grow with classes x vocabulary (the bag-of-words
# baseline counts every token per class; evaluation scores every class of every token), so
# 10,000 classes took 1.4 GB of checkpoint and 12 GB to evaluate; so many distinct labels
# mostly mean the label column holds IDs or free text.
MAX_CLASSES = 1000
# A label column of numbers with more distinct values than this, or than half its rows
# (and more than FEW_NUMERIC_CLASSES), is a quantity to regress, not classes: star ratings
# 1-5 stay classes.
MAX_NUMERIC_CLASSES = 50
FEW_NUMERIC_CLASSES = 10


@dataclass(frozen=True)
class Examples:
    """Labelled examples of one task, index-aligned: inputs[i] has labels[i] and came from
    origins[i] ("data.csv:12"). Text inputs are strings; tabular inputs are tuples of floats
    in ``feature_names`` order. A label is the label column's text; for a "regression"
    target it is a finite number, written as ``repr(float)`` so that ``values`` gives back
    exactly the number the file held."""

    task: Task
    inputs: list[Input]
    labels: list[str]
    origins: list[str]
    feature_names: tuple[str, ...] = field(default=())
    target: Target = "classification"

    def __len__(self) -> int:
        return len(self.labels)

    def values(self) -> list[float]:
        """The labels as numbers (a regression target's values)."""
        return [float(label) for label in self.labels]

    def subset(self, indices: Sequence[int]) -> Self:
        """The examples at ``indices``, in that order."""
        return type(self)(
            self.task,
            [self.inputs[i] for i in indices],
            [self.labels[i] for i in indices],
            [self.origins[i] for i in indices],
            self.feature_names,
            self.target,
        )


def examples_from_table(
    table: Table,
    *,
    label_column: str = "label",
    text_column: str = "text",
    task: Task | None = None,
    feature_columns: Sequence[str] | None = None,
    target: Target = "classification",
) -> Examples:
    """The labelled examples of ``table``, validated.

    ``task`` None means: text if the table has ``text_column``, else tabular. Tabular
    features are ``feature_columns`` (default: every column but the label), each holding
    finite numbers; so does the label column of a "regression" ``target``. Raises
    DataError naming the file, line and column of the first problem.
    """
    if label_column not in table.columns:
        raise DataError(
            f"{table.path}: no label column {label_column!r} (columns: "
            f"{', '.join(table.columns)}); name it with --label-column"
        )
    if task is None:
        task = "text" if text_column in table.columns else "tabular"
    if task == "tabular" and feature_columns is None:
        feature_columns = [name for name in table.columns if name != label_column]
    inputs = read_inputs(
        table,
        task,
        text_column=text_column,
        label_column=label_column,
        feature_columns=feature_columns,
    )
    if target == "regression":
        labels = [_target_value(table, row, label_column, text_column) for row in table.rows]
    else:
        labels = [_label(table, row, label_column) for row in table.rows]
    origins = [table.where(row) for row in table.rows]
    return Examples(task, inputs, labels, origins, tuple(feature_columns or ()), target)


def read_inputs(
    table: Table,
    task: Task,
    *,
    text_column: str = "text",
    label_column: str = "label",
    feature_columns: Sequence[str] | None = None,
) -> list[Input]:
    """The model inputs of every row: texts for "text", rows of ``feature_columns`` for
    "tabular" (labels are not needed: this also reads rows to predict).

    A tabular table must hold exactly ``feature_columns`` (in any order) and perhaps
    ``label_column``: features are read by name, so a column the model does not know (a
    model of 64 pixels given 1,024) would otherwise be silently ignored."""
    if task == "text":
        _require_columns(table, [text_column], "text", "--text-column")
        return [_text(table, row, text_column) for row in table.rows]
    if not feature_columns:
        raise DataError(f"{table.path}: no feature columns besides the label")
    _require_columns(table, feature_columns, "feature", "the training data's column names")
    unknown = [name for name in table.columns if name not in {*feature_columns, label_column}]
    if unknown:
        raise DataError(
            f"{table.path}: column(s) {_some(unknown)} are not among the "
            f"{len(feature_columns)} feature columns ({_some(feature_columns)}); a tabular "
            "model reads exactly the columns it was trained on: remove the others"
        )
    return [
        tuple(_number(table, row, name, text_column) for name in feature_columns)
        for row in table.rows
    ]


def _require_columns(table: Table, names: Sequence[str], kind: str, remedy: str) -> None:
    missing = [name for name in names if name not in table.columns]
    if missing:
        raise DataError(
            f"{table.path}: no {kind} column(s) {_some(missing)} (columns: "
            f"{_some(table.columns)}); use {remedy}"
        )


def _some(names: Sequence[str], shown: int = 5) -> str:
    """The first few names, quoted, and how many more: a one-line message stays readable."""
    listed = ", ".join(map(repr, names[:shown]))
    return listed if len(names) <= shown else f"{listed} and {len(names) - shown} more"


def _label(table: Table, row: Row, column: str) -> str:
    value = row.values[column]
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise DataError(f"{table.where(row, column)}: a label must be text or an integer")
    label = str(value).strip()
    if not label:
        raise DataError(f"{table.where(row, column)}: the label is blank")
    return label


def _target_value(table: Table, row: Row, column: str, text_column: str) -> str:
    """A regression label: a finite number, as the text ``repr(float)`` (exact)."""
    try:
        return repr(_number(table, row, column, text_column))
    except DataError as error:
        raise DataError(f"{error} (a regression target is a number in every row)") from None


def _text(table: Table, row: Row, column: str) -> str:
    value = row.values[column]
    if not isinstance(value, str):
        raise DataError(f"{table.where(row, column)}: a text must be a string")
    if not normalize_text(value):
        raise DataError(f"{table.where(row, column)}: the text is blank")
    return value


def _number(table: Table, row: Row, column: str, text_column: str) -> float:
    value = row.values[column]
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            raise DataError(
                f"{table.where(row, column)}: {value!r} is not a number (tabular data has "
                f"numbers in every column but the label; for text data with no {text_column!r} "
                "column, name yours with --text-column)"
            ) from None
    elif isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 2**1024:
        # JSON allows integers of any size; beyond float's range one is not a finite number.
        digits = len(str(abs(value)))
        raise DataError(
            f"{table.where(row, column)}: an integer of {digits} digits is not a finite number"
        )
    elif isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
    else:
        raise DataError(f"{table.where(row, column)}: {value!r} is not a number")
    if not math.isfinite(number):
        raise DataError(f"{table.where(row, column)}: {value!r} is not a finite number")
    return number


def label_names(labels: Sequence[str]) -> tuple[str, ...]:
    """The distinct labels in class-index order: numerically when every label is an integer
    ("2" before "10", and "01" beside "1" ordered as text), otherwise alphabetically. The
    order is total and follows from the set of labels alone, so neither shuffling a file nor
    PYTHONHASHSEED renumbers its classes. Raises DataError for fewer than two classes or
    more than MAX_CLASSES."""
    distinct = set(labels)
    if len(distinct) < 2:
        raise DataError(
            f"only one class ({', '.join(map(repr, distinct))}) in the training data: a "
            "classifier needs at least two labels"
        )
    if len(distinct) > MAX_CLASSES:
        raise DataError(
            f"{len(distinct)} distinct labels, but at most {MAX_CLASSES} classes are supported; "
            "does the label column (--label-column) hold IDs or free text?"
        )
    if all(_is_integer(label) for label in distinct):
        return tuple(sorted(distinct, key=lambda label: (int(label), label)))
    return tuple(sorted(distinct))


def _is_integer(label: str) -> bool:
    return label.lstrip("+-").isdecimal() and label.isascii()


def _is_number(label: str) -> bool:
    try:
        return math.isfinite(float(label))
    except ValueError:
        return False


def check_classes(examples: Examples, label_column: str = "label") -> None:
    """Refuse a label column of numbers that is a quantity rather than classes: more than
    MAX_NUMERIC_CLASSES distinct values, or more than half as many as rows (and more than
    FEW_NUMERIC_CLASSES). Trained as
    classes, each value would be a class of one or two examples that no split can stratify
    and no model can learn."""
    distinct = sorted(set(examples.labels))
    limit = min(MAX_NUMERIC_CLASSES, max(FEW_NUMERIC_CLASSES, len(examples) // 2))
    many = len(distinct) > limit
    if many and all(_is_number(label) for label in distinct):
        raise DataError(
            f"label column {label_column!r} holds numbers with {len(distinct)} distinct values "
            f"in {len(examples)} rows ({_some(distinct, 3)}): to predict the number, train "
            "with --target regression"
        )


def identity(examples: Examples, index: int) -> str:
    """What makes two inputs "the same" for leakage: the normalised text, the exact row, or
    an image file's bytes (byte-identical copies under two names are one image)."""
    value = examples.inputs[index]
    if isinstance(value, ImageFile):
        return value.sha256
    return normalize_text(value) if isinstance(value, str) else repr(value)


def split_examples(
    examples: Examples,
    *,
    seed: int = 0,
    validation_fraction: float = 0.15,
    test_fraction: float = 0.15,
) -> dict[str, Examples]:
    """A seeded split into "train", "validation" and "test", stratified by class.

    Within every class (all the examples at once for a regression target),
    ``round(n * fraction)`` groups (at least one when the fraction is above 0) go to
    validation and to test and the rest to train. A group is all the
    examples with the same input, so a repeated input never lands in two splits. The order
    is a hash of the seed and the input, so it is the same on every machine and does not
    change when the file's rows are shuffled. Raises DataError when a class has too few
    examples for every split to get one.
    """
    for name, fraction in (("validation", validation_fraction), ("test", test_fraction)):
        if not 0 <= fraction < 1:
            raise ValueError(f"{name}_fraction must be in [0, 1), got {fraction}")
    if validation_fraction + test_fraction >= 1:
        raise ValueError(
            "validation_fraction + test_fraction must be below 1 to leave training data, "
            f"got {validation_fraction} + {test_fraction}"
        )
    groups: dict[str, list[int]] = defaultdict(list)
    for index in range(len(examples)):
        groups[identity(examples, index)].append(index)
    per_class: dict[str, list[str]] = defaultdict(list)
    for key, members in groups.items():
        stratum = examples.labels[members[0]] if examples.target == "classification" else ""
        per_class[stratum].append(key)

    chosen: dict[str, list[int]] = {name: [] for name in SPLITS}
    strata = label_names(list(per_class)) if examples.target == "classification" else [""]
    for label in strata:
        keys = sorted(per_class[label], key=lambda key: _seeded_order(seed, key))
        sizes = [_share(len(keys), fraction) for fraction in (validation_fraction, test_fraction)]
        if len(keys) - sum(sizes) < 1:
            needed = 1 + sum(size > 0 for size in sizes)
            which = f"label {label!r} has" if label else "the data has"
            raise DataError(
                f"{which} {len(keys)} distinct example(s) (first at "
                f"{examples.origins[groups[keys[0]][0]]}), but a stratified split into train, "
                f"validation and test needs at least {needed}: add examples, or give "
                "--validation and --test files"
            )
        num_validation, num_test = sizes
        bounds = {
            "test": (0, num_test),
            "validation": (num_test, num_test + num_validation),
            "train": (num_test + num_validation, len(keys)),
        }
        for name, (start, stop) in bounds.items():
            chosen[name].extend(index for key in keys[start:stop] for index in groups[key])
    return {name: examples.subset(sorted(indices)) for name, indices in chosen.items()}


def _share(count: int, fraction: float) -> int:
    """How many of ``count`` groups a split with ``fraction`` gets: at least one if above 0."""
    return 0 if fraction == 0 else max(1, round(count * fraction))


def _seeded_order(seed: int, key: str) -> bytes:
    """Sort key for a seeded shuffle that no Python, NumPy or torch upgrade can change."""
    return hashlib.sha256(f"{seed}:{key}".encode()).digest()


def check_disjoint(splits: dict[str, Examples]) -> None:
    """Raise DataError when one input is in two splits, naming both places: a test example
    also seen in training inflates the test score."""
    seen: dict[str, str] = {}
    for name in SPLITS:
        if name not in splits:
            continue
        examples = splits[name]
        first_here: dict[str, str] = {}
        for index in range(len(examples)):
            key = identity(examples, index)
            if key in seen:
                raise DataError(
                    f"the same input is in two splits ({seen[key]} and {examples.origins[index]}): "
                    "an example seen in training inflates the validation and test scores"
                )
            first_here.setdefault(key, examples.origins[index])
        seen.update(first_here)


def check_labels_known(examples: Examples, known: Sequence[str]) -> None:
    """Raise DataError at the first label of ``examples`` that is not in ``known``."""
    for label, origin in zip(examples.labels, examples.origins, strict=True):
        if label not in known:
            raise DataError(
                f"{origin}: label {label!r} is not one the model was trained on "
                f"({len(known)} labels: {_some(known, 3)})"
            )
