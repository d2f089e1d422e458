"""``evaluate --report DIR``: the files, their sizes, their numbers, and the refusals.

The drawing functions are checked on the figures they return (the data they plot, before
any pixel) and the page on the record it is made from, in milliseconds once matplotlib is
imported (about 0.35 s, paid by the first drawing). Writing the files (training a model,
then three PNGs: about a second) is the slow tier's, once per module.
"""

import contextlib
import io
import json
import re
import sys
from pathlib import Path

import pytest
from PIL import Image

from {{ cookiecutter.module_name }}.cli import main
from {{ cookiecutter.module_name }}.inference import Predictor
from {{ cookiecutter.module_name }}.report import (
    IMAGE_SIZE,
    draw_binned_targets,
    draw_confusion_matrix,
    draw_learning_curves,
    draw_reliability_diagram,
    draw_residual_histogram,
    report_page,
)
from {{ cookiecutter.module_name }}.task import read_examples, score

KNOWN_LABELS = ["cat", "dog", "fox"]
KNOWN_MATRIX = [[2, 1, 0], [0, 1, 1], [1, 0, 2]]  # rows true, columns predicted
# What evaluate prints for a regressor, in the shape task.score_values gives it.
REGRESSOR_RECORD = {
    "rmse": 2.5,
    "mae": 2.0,
    "r2": 0.75,
    "examples": 8,
    "calibration": {
        "bins": 3,
        "examples": [3, 0, 5],
        "mean_prediction": [1.0, None, 9.0],
        "mean_target": [2.0, None, 8.5],
    },
    "residuals": {"edges": [-2.0, 0.0, 2.0, 4.0], "counts": [3, 4, 1]},
    "baselines": {"training_mean": 5.0, "ridge": 3.0},
    "beats_baselines": True,
}


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> tuple[Path, dict, Path]:
    """A tabular model trained for two epochs, and `evaluate --report` of its test split:
    (report folder, the JSON record printed, the checkpoint)."""
    folder = tmp_path_factory.mktemp("report")
    rows = [
        {"height": float(i % 7), "weight": float(i % 5), "label": "ab"[i % 2]} for i in range(60)
    ]
    data = folder / "rows.csv"
    data.write_text(
        "height,weight,label\n"
        + "".join(f"{r['height']},{r['weight']},{r['label']}\n" for r in rows)
    )
    model = folder / "model.pt"
    train = ["train", "--data", str(data), "--out", str(model), "--epochs", "2"]
    with contextlib.redirect_stdout(io.StringIO()):
        assert main([*train, "--hidden-size", "8"]) == 0
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert main(["evaluate", "--model", str(model), "--report", str(folder / "out")]) == 0
    return folder / "out", json.loads(printed.getvalue()), model


def table_rows(page: str) -> dict[str, list[str]]:
    """The cells of every markdown table row of a page, by its first cell."""
    cells = (line.strip("|").split("|") for line in page.splitlines() if line.startswith("| "))
    return {row[0].strip(): [cell.strip() for cell in row[1:]] for row in cells}


@pytest.fixture
def record(tmp_path: Path, untrained_checkpoint, text_csv) -> dict:
    """What evaluate prints for an untrained text model on the 36 support messages."""
    model = Predictor(untrained_checkpoint(tmp_path / "model.pt"))
    return score(model, read_examples(model, text_csv))


@pytest.mark.slow
class TestReportFiles:
    def test_writes_the_page_the_record_and_three_images(self, written):
        """report.md, metrics.json and the three PNGs it shows, nothing else."""
        folder, _, _ = written
        assert sorted(path.name for path in folder.iterdir()) == [
            "confusion_matrix.png",
            "learning_curves.png",
            "metrics.json",
            "reliability.png",
            "report.md",
        ]

    def test_each_image_decodes_to_the_size_the_page_states(self, written):
        """Every image the page links decodes (all its pixels) to IMAGE_SIZE, which the page
        states beside it. Catches a truncated PNG and a layout that crops the figure."""
        folder, _, _ = written
        page = (folder / "report.md").read_text()
        linked = re.findall(r"\]\((\w+\.png)\) \((\d+) x (\d+) px\)", page)
        assert len(linked) == 3
        for name, width, height in linked:
            with Image.open(folder / name) as image:
                image.load()
                assert image.size == (int(width), int(height)) == IMAGE_SIZE, name

    def test_metrics_json_is_the_printed_record(self, written):
        """metrics.json holds exactly what evaluate printed."""
        folder, record, _ = written
        assert json.loads((folder / "metrics.json").read_text()) == record

    def test_report_md_shows_the_printed_numbers(self, written):
        """report.md is the page of the record evaluate printed."""
        folder, record, _ = written
        assert (folder / "report.md").read_text() == report_page(record, has_history=True)


class TestPage:
    def test_shows_the_record_s_numbers(self, record):
        """Each metric, baseline and per-class score on the page is the record's, to 4
        places. Catches a page drawn from other numbers than those printed."""
        rows = table_rows(report_page(record, has_history=True))
        for name in ("accuracy", "macro_f1", "ece"):
            assert rows[name] == [f"{record[name]:.4f}"]
        for name, value in record["baselines"].items():
            assert rows[name] == [f"{value:.4f}"]
        for label, scores in record["per_class"].items():
            expected = [f"{scores[key]:.4f}" for key in ("precision", "recall", "f1")]
            assert rows[label] == [*expected, str(scores["support"])]


class TestRegressorPage:
    def test_shows_the_record_s_regression_metrics_and_baseline_rmse(self):
        """RMSE, MAE and R² and each baseline's RMSE, to 4 places, and no classifier
        section. Catches a regressor's page drawn with a classifier's metric names."""
        page = report_page(REGRESSOR_RECORD, has_history=True, target="regression")
        rows = table_rows(page)
        for name in ("rmse", "mae", "r2"):
            assert rows[name] == [f"{REGRESSOR_RECORD[name]:.4f}"]
        assert rows["baseline"] == ["RMSE"]
        assert rows["ridge"] == ["3.0000"]
        assert "confusion_matrix.png" not in page
        assert {"binned_targets.png", "residuals.png"} <= set(re.findall(r"\w+\.png", page))


class TestDrawing:
    def test_a_known_confusion_matrix_is_drawn_cell_for_cell(self):
        """The heat map holds the known counts, and the number written in the cell at
        (column j, row i) is count[i][j], with true labels down and predictions across.
        Catches a transposed drawing and annotations in the wrong cells."""
        figure = draw_confusion_matrix(KNOWN_LABELS, KNOWN_MATRIX)
        axes = figure.axes[0]
        assert axes.images[0].get_array().tolist() == KNOWN_MATRIX
        written = {tuple(text.get_position()): text.get_text() for text in axes.texts}
        for true, row in enumerate(KNOWN_MATRIX):
            for predicted, count in enumerate(row):
                assert written[(predicted, true)] == str(count)
        assert [tick.get_text() for tick in axes.get_yticklabels()] == KNOWN_LABELS
        assert axes.get_ylabel() == "true label"

    def test_the_reliability_diagram_has_a_bar_per_filled_ece_bin(self):
        """A bar at the centre of each non-empty bin, as high as its accuracy; none for an
        empty bin. Catches bins drawn at other edges than the ECE's."""
        calibration = {
            "bins": 4,
            "examples": [0, 3, 0, 5],
            "mean_confidence": [None, 0.4, None, 0.9],
            "accuracy": [None, 1 / 3, None, 0.8],
        }
        axes = draw_reliability_diagram(calibration, ece=0.1).axes[0]
        centres = [bar.get_x() + bar.get_width() / 2 for bar in axes.patches]
        assert centres == pytest.approx([0.375, 0.875])
        assert [bar.get_height() for bar in axes.patches] == pytest.approx([1 / 3, 0.8])

    def test_the_learning_curves_plot_the_history(self):
        """Training and validation loss, and validation accuracy, by epoch, as recorded."""
        history = [
            {"epoch": 1, "train_loss": 0.9, "val_loss": 0.8, "val_accuracy": 0.5},
            {"epoch": 2, "train_loss": 0.5, "val_loss": 0.6, "val_accuracy": 0.75},
        ]
        loss, accuracy = draw_learning_curves(history).axes
        train_line, val_line = loss.get_lines()
        assert list(train_line.get_xdata()) == [1, 2]
        assert list(train_line.get_ydata()) == [0.9, 0.5]
        assert list(val_line.get_ydata()) == [0.8, 0.6]
        assert list(accuracy.get_lines()[0].get_ydata()) == [0.5, 0.75]

    def test_the_binned_targets_are_a_point_per_filled_bin(self):
        """One point per non-empty bin at (mean prediction, mean target), none for an empty
        bin, beside the diagonal. Catches the axes swapped, which hides the sign of a bias."""
        axes = draw_binned_targets(REGRESSOR_RECORD["calibration"], rmse=2.5).axes[0]
        points = axes.collections[0].get_offsets().tolist()
        assert points == [[1.0, 2.0], [9.0, 8.5]]
        assert axes.get_xlabel() == "mean prediction"

    def test_the_residual_histogram_has_the_record_s_bars(self):
        """A bar per residual bin, from its left edge, as high as its count."""
        axes = draw_residual_histogram(REGRESSOR_RECORD["residuals"]).axes[0]
        assert [bar.get_x() for bar in axes.patches] == [-2.0, 0.0, 2.0]
        assert [bar.get_height() for bar in axes.patches] == [3, 4, 1]

    def test_a_regressor_s_learning_curves_plot_its_validation_rmse(self):
        """A history with val_rmse (a regressor's): the right panel is the RMSE."""
        history = [
            {"epoch": 1, "train_loss": 0.9, "val_loss": 0.8, "val_rmse": 4.0},
            {"epoch": 2, "train_loss": 0.5, "val_loss": 0.6, "val_rmse": 3.0},
        ]
        score = draw_learning_curves(history).axes[1]
        assert list(score.get_lines()[0].get_ydata()) == [4.0, 3.0]
        assert score.get_ylabel() == "RMSE"

    def test_a_checkpoint_without_history_gets_a_page_that_says_so(self, record):
        """No history (a checkpoint not written by train): no learning-curve image linked,
        and the page says why."""
        page = report_page(record, has_history=False)
        assert "learning_curves.png" not in page
        assert "no per-epoch history" in page


@pytest.fixture
def model(tmp_path: Path, untrained_checkpoint) -> Path:
    return untrained_checkpoint(tmp_path / "model.pt")


class TestReportRefusals:
    def test_without_matplotlib_one_line_names_what_to_install(
        self, model, tmp_path, capsys, monkeypatch
    ):
        """matplotlib not importable: exit 1 with one line naming the package and the extra,
        before any output: no JSON printed, no folder made. Catches an ImportError
        traceback after minutes of scoring."""
        monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib now fails
        folder = tmp_path / "report"
        assert main(["evaluate", "--model", str(model), "--report", str(folder)]) == 1
        out, err = capsys.readouterr()
        assert out == ""
        assert err.count("\n") == 1
        assert "matplotlib" in err
        assert "[report]" in err
        assert not folder.exists()

    def test_a_report_file_named_like_an_input_is_refused(self, model, tmp_path, capsys):
        """A model saved as DIR/metrics.json: --report DIR would overwrite it, so exit 1
        naming it, and the model is untouched. Catches a report that destroys its input."""
        folder = tmp_path / "folder"
        folder.mkdir()
        renamed = folder / "metrics.json"
        renamed.write_bytes(model.read_bytes())
        assert main(["evaluate", "--model", str(renamed), "--report", str(folder)]) == 1
        assert "would overwrite the input" in capsys.readouterr().err
        assert renamed.read_bytes() == model.read_bytes()
        assert sorted(path.name for path in folder.iterdir()) == ["metrics.json"]

    def test_a_report_folder_that_is_a_file_is_refused(self, model, capsys):
        """--report pointing at the checkpoint itself: exit 1, the file untouched."""
        before = model.read_bytes()
        assert main(["evaluate", "--model", str(model), "--report", str(model)]) == 1
        assert "not a folder" in capsys.readouterr().err
        assert model.read_bytes() == before
