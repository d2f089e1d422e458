"""``evaluate --report DIR``: the evaluation as a person reads it, in images and one page.

The report is drawn from the record ``evaluate`` prints (``task.score``) and the
checkpoint's per-epoch history, nothing else, so every number in it is one of the JSON's:
``report.md`` shows the metrics and the baselines beside PNG images of ``IMAGE_SIZE``
pixels. A classifier's page adds the per-class scores, and its images are:

- ``confusion_matrix.png``: rows are the true labels, columns the predicted ones, each cell
  annotated with its count;
- ``reliability.png``: accuracy against mean confidence in the very bins of the ECE;
- ``learning_curves.png``: training and validation loss, and validation accuracy, by epoch.

A regressor's images are ``binned_targets.png`` (the mean target against the mean
prediction in bins of the predictions' range: bias shows as a bin off the diagonal),
``residuals.png`` (the histogram of target - prediction) and ``learning_curves.png`` (with
the validation RMSE).

It writes ``metrics.json`` (the printed record) too. matplotlib is an optional dependency
(the ``report`` extra); it draws on figures of its own, rendered by the Agg backend, so no
display is needed and pyplot's global state is never touched. Every file is written under
a temporary name and renamed into place: a crash leaves no half-written image.
"""

from __future__ import annotations

import importlib.util
import io
import itertools
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .atomic import write_atomically
from .data import Target

if TYPE_CHECKING:
    from matplotlib.figure import Figure

INSTALL_HINT = "pip install -e '.[report]' (or: uv sync --extra report)"
DPI = 100
IMAGE_SIZE = (800, 600)  # pixels of every image, width by height
REPORT_FILES = (  # every file either kind of report may write
    "report.md",
    "metrics.json",
    "confusion_matrix.png",
    "reliability.png",
    "binned_targets.png",
    "residuals.png",
    "learning_curves.png",
)


class ReportError(ValueError):
    """A report that cannot be written; one line saying why and what to do."""


def check_report_folder(folder: Path, inputs: Sequence[Path]) -> None:
    """Refuse, before any work, a report that could not be drawn or would overwrite an
    input: matplotlib missing, ``folder`` a file, or a report file that is one of ``inputs``."""
    # Looked up, not imported: importing matplotlib takes about 0.3 s, which a refusal for
    # another reason need not pay; the drawing imports it once the scores are in.
    if importlib.util.find_spec("matplotlib") is None:
        message = f"--report needs matplotlib, which is not installed: {INSTALL_HINT}"
        raise ReportError(message)
    if folder.exists() and not folder.is_dir():
        raise ReportError(f"--report {folder}: is a file, not a folder")
    if not folder.parent.is_dir():
        raise ReportError(f"--report {folder}: folder {folder.parent} does not exist")
    given = {path.resolve() for path in inputs}
    for name in REPORT_FILES:
        if (folder / name).resolve() in given:
            raise ReportError(f"--report {folder}: would overwrite the input {folder / name}")


def write_report(
    folder: Path,
    record: Mapping[str, Any],
    history: Sequence[Mapping[str, float]],
    target: Target = "classification",
) -> None:
    """Write the report of a ``target`` model into ``folder`` (made if missing) from an
    ``evaluate`` record and a checkpoint's history (empty: no learning curves, and the page
    says why)."""
    folder.mkdir(exist_ok=True)
    if target == "regression":
        figures = {
            "binned_targets.png": draw_binned_targets(record["calibration"], record["rmse"]),
            "residuals.png": draw_residual_histogram(record["residuals"]),
        }
    else:
        matrix = record["confusion_matrix"]
        figures = {
            "confusion_matrix.png": draw_confusion_matrix(matrix["labels"], matrix["counts"]),
            "reliability.png": draw_reliability_diagram(record["calibration"], record["ece"]),
        }
    if history:
        figures["learning_curves.png"] = draw_learning_curves(history)
    for name, figure in figures.items():
        image = io.BytesIO()
        figure.savefig(image, format="png")
        _write_file(folder / name, image.getvalue())
    text = json.dumps(record, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    _write_file(folder / "metrics.json", text.encode())
    page = report_page(record, has_history=bool(history), target=target)
    _write_file(folder / "report.md", page.encode())


def _write_file(path: Path, content: bytes) -> None:
    write_atomically(path, lambda file: file.write(content))


def _figure() -> Figure:
    """An empty figure of IMAGE_SIZE pixels, rendered by Agg (no display, no pyplot)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(
        figsize=(IMAGE_SIZE[0] / DPI, IMAGE_SIZE[1] / DPI), dpi=DPI, layout="constrained"
    )
    FigureCanvasAgg(figure)
    return figure


def draw_confusion_matrix(labels: Sequence[str], counts: Sequence[Sequence[int]]) -> Figure:
    """Counts as a heat map, true labels down, predicted labels across, each cell annotated."""
    figure = _figure()
    axes = figure.add_subplot()
    image = axes.imshow(counts, cmap="Blues")
    figure.colorbar(image, ax=axes)
    ticks = range(len(labels))
    axes.set_xticks(ticks, labels, rotation=45, ha="right")
    axes.set_yticks(ticks, labels)
    axes.set_xlabel("predicted label")
    axes.set_ylabel("true label")
    axes.set_title("Confusion matrix")
    largest = max(max(row) for row in counts)
    for true, row in enumerate(counts):
        for predicted, count in enumerate(row):
            color = "white" if count > largest / 2 else "black"
            axes.text(predicted, true, str(count), ha="center", va="center", color=color)
    return figure


def draw_reliability_diagram(calibration: Mapping[str, Any], ece: float) -> Figure:
    """Accuracy per confidence bin as bars against the diagonal of perfect calibration."""
    figure = _figure()
    axes = figure.add_subplot()
    width = 1 / calibration["bins"]
    filled = [
        (index, accuracy)
        for index, accuracy in enumerate(calibration["accuracy"])
        if accuracy is not None
    ]
    axes.bar(
        [(index + 0.5) * width for index, _ in filled],
        [accuracy for _, accuracy in filled],
        width=width,
        edgecolor="black",
        label="accuracy in the bin",
    )
    confidences = [value for value in calibration["mean_confidence"] if value is not None]
    accuracies = [accuracy for _, accuracy in filled]
    axes.plot(confidences, accuracies, "o", color="tab:red", label="(mean confidence, accuracy)")
    axes.plot([0, 1], [0, 1], "--", color="gray", label="perfect calibration")
    axes.set(xlim=(0, 1), ylim=(0, 1), xlabel="confidence", ylabel="accuracy")
    axes.set_title(f"Reliability diagram ({calibration['bins']} bins, ECE {ece:.4f})")
    axes.legend(loc="upper left")
    return figure


def draw_binned_targets(calibration: Mapping[str, Any], rmse: float) -> Figure:
    """Mean target against mean prediction per bin of the predictions, each point sized by
    its count, against the diagonal of an unbiased model."""
    figure = _figure()
    axes = figure.add_subplot()
    filled = [
        (prediction, target, count)
        for prediction, target, count in zip(
            calibration["mean_prediction"],
            calibration["mean_target"],
            calibration["examples"],
            strict=True,
        )
        if count
    ]
    predictions = [prediction for prediction, _, _ in filled]
    targets = [target for _, target, _ in filled]
    largest = max(count for _, _, count in filled)
    sizes = [20 + 200 * count / largest for _, _, count in filled]
    axes.scatter(predictions, targets, s=sizes, color="tab:blue", label="bin (area: examples)")
    low, high = min(predictions + targets), max(predictions + targets)
    axes.plot([low, high], [low, high], "--", color="gray", label="target = prediction")
    axes.set(xlabel="mean prediction", ylabel="mean target")
    axes.set_title(f"Mean target by prediction ({calibration['bins']} bins, RMSE {rmse:.4g})")
    axes.legend(loc="upper left")
    return figure


def draw_residual_histogram(residuals: Mapping[str, Any]) -> Figure:
    """The residuals' histogram (target - prediction) with a line at zero."""
    figure = _figure()
    axes = figure.add_subplot()
    edges, counts = residuals["edges"], residuals["counts"]
    widths = [right - left for left, right in itertools.pairwise(edges)]
    axes.bar(edges[:-1], counts, width=widths, align="edge", edgecolor="black")
    axes.axvline(0, color="tab:red", linestyle="--", label="no error")
    axes.set(xlabel="target - prediction", ylabel="examples", title="Residuals")
    axes.legend()
    return figure


def draw_learning_curves(history: Sequence[Mapping[str, float]]) -> Figure:
    """Training and validation loss (left) and the validation score (right) by epoch: a
    classifier's accuracy, a regressor's RMSE."""
    figure = _figure()
    loss_axes, score_axes = figure.subplots(1, 2)
    epochs = [epoch["epoch"] for epoch in history]
    for key, label in (("train_loss", "training loss"), ("val_loss", "validation loss")):
        loss_axes.plot(epochs, [epoch[key] for epoch in history], "o-", label=label)
    loss_axes.set(xlabel="epoch", ylabel="loss", title="Loss")
    loss_axes.legend()
    key, name = ("val_rmse", "RMSE") if "val_rmse" in history[0] else ("val_accuracy", "accuracy")
    score_axes.plot(epochs, [epoch[key] for epoch in history], "o-")
    score_axes.set(xlabel="epoch", ylabel=name, title=f"Validation {name}")
    return figure


def report_page(
    record: Mapping[str, Any], has_history: bool, target: Target = "classification"
) -> str:
    """report.md: the images with the record's metrics and baselines (and a classifier's
    per-class scores)."""
    width, height = IMAGE_SIZE
    size = f"{width} x {height} px"
    regression = target == "regression"
    metrics = ("rmse", "mae", "r2") if regression else ("accuracy", "macro_f1", "ece")
    lines = [
        "# Evaluation report",
        "",
        f"{record['examples']} examples of {record.get('data', 'the given data')}"
        + (f" ({record['split']} split)" if "split" in record else "")
        + ". Every number is one of metrics.json's, rounded to 4 places.",
        "",
        "| metric | value |",
        "| --- | --- |",
        *(f"| {name} | {record[name]:.4f} |" for name in metrics),
        "",
        "## Baselines",
        "",
        f"| baseline | {'RMSE' if regression else 'accuracy'} |",
        "| --- | --- |",
        *(f"| {name} | {value:.4f} |" for name, value in record["baselines"].items()),
        "",
        f"The model {'beats' if record['beats_baselines'] else 'does not beat'} every baseline.",
        "",
        *(_regression_sections(size) if regression else _classification_sections(record, size)),
        "## Learning curves",
        "",
        f"![Loss and validation {'RMSE' if regression else 'accuracy'} by epoch]"
        f"(learning_curves.png) ({size})"
        if has_history
        else "The checkpoint records no per-epoch history (it was not written by `train`).",
        "",
    ]
    return "\n".join(lines)


def _classification_sections(record: Mapping[str, Any], size: str) -> list[str]:
    return [
        "## Per class",
        "",
        "| label | precision | recall | f1 | support |",
        "| --- | --- | --- | --- | --- |",
        *(
            f"| {label} | {scores['precision']:.4f} | {scores['recall']:.4f} | "
            f"{scores['f1']:.4f} | {scores['support']} |"
            for label, scores in record["per_class"].items()
        ),
        "",
        f"![Confusion matrix: rows true label, columns predicted](confusion_matrix.png) ({size})",
        "",
        "## Calibration",
        "",
        f"![Reliability diagram in the ECE's bins](reliability.png) ({size})",
        "",
    ]


def _regression_sections(size: str) -> list[str]:
    return [
        "## Bias",
        "",
        f"![Mean target by bin of the predictions](binned_targets.png) ({size})",
        "",
        "## Residuals",
        "",
        f"![Histogram of target - prediction](residuals.png) ({size})",
        "",
    ]
