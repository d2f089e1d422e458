"""A regression target through the one pipeline: loading, target scaling, training, the
checkpoint, serving and the commands, on the small price and review tables of conftest.py.

The target is standardised with the training split's mean and std; the tests here prove
that those statistics come from the training split alone, that serving turns the model's
standardised output back into the label's units, and that the checkpoint, ``evaluate`` and
``predict`` follow the target kind without being told.
"""

import json
import math
from dataclasses import replace
from pathlib import Path

import pytest
import torch
from conftest import friedman_rows, price_rows, write_table

from {{ cookiecutter.module_name }}.baselines import RegressionBaselines
from {{ cookiecutter.module_name }}.checkpoint import CheckpointError, load_checkpoint
from {{ cookiecutter.module_name }}.cli import main
from {{ cookiecutter.module_name }}.inference import Predictor
from {{ cookiecutter.module_name }}.models import models_for
from {{ cookiecutter.module_name }}.task import (
    DataSpec,
    fit_baselines,
    fit_preprocessing,
    load_data,
    score,
    spec_from_source,
    train_classifier,
)
from {{ cookiecutter.module_name }}.training import RegressionLoss, TrainConfig, evaluate, regression_scores

# The default regressor's mean residual on held-out rows may be at most this share of the
# label's std: an unbiased model's is sampling noise, std / sqrt(300), about 0.06 std.
MAX_BIAS = 0.15
# A few steps on 42 training rows: milliseconds, and enough to beat the training mean.
TINY_REGRESSION = TrainConfig(epochs=6, batch_size=8, hidden_size=16, lr=3e-2)
TINY = ["--epochs", "6", "--hidden-size", "16", "--batch-size", "8", "--lr", "0.03"]


@pytest.fixture(scope="module")
def price_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_table(tmp_path_factory.mktemp("prices") / "prices.csv", price_rows())


@pytest.fixture(scope="module")
def regressor(tmp_path_factory: pytest.TempPathFactory, price_file: Path) -> Path:
    """The MLP regressor of the price rows, trained once for the module and saved."""
    path = tmp_path_factory.mktemp("regressor") / "model.pt"
    spec = DataSpec(path=price_file, target="regression")
    train_classifier(TINY_REGRESSION, spec, log=None).save(path)
    return path


class OutputsAsGiven(torch.nn.Module):
    """A "model" whose outputs are its input, so a test chooses the predictions."""

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return features


def target_statistics(spec: DataSpec) -> tuple[float, float]:
    """The mean and std that training standardises the target with, for ``spec``."""
    normalizer = fit_preprocessing(load_data(spec), TINY_REGRESSION, log=None).target_normalizer
    assert normalizer is not None
    assert normalizer.mean is not None
    assert normalizer.std is not None
    return normalizer.mean.item(), normalizer.std.item()


def with_labels_changed(rows: list[dict], lines: set[int], factor: float) -> list[dict]:
    """The rows, the label of each data line in ``lines`` (2 = the first row) scaled."""
    return [
        {**row, "label": row["label"] * factor} if line in lines else row
        for line, row in enumerate(rows, start=2)
    ]


def lines_of(spec: DataSpec, split: str) -> set[int]:
    return {int(origin.rsplit(":", 1)[1]) for origin in load_data(spec).splits[split].origins}


class TestTargetScaling:
    def test_statistics_are_the_training_splits(self, price_data):
        """The saved mean and std are those (population std) of the training split's
        targets, within 1e-9. Catches: statistics of the whole file or of another split."""
        data = load_data(price_data)
        train = data.targets("train")
        mean, std = target_statistics(price_data)
        assert mean == pytest.approx(train.mean().item(), abs=1e-9)
        assert std == pytest.approx(train.std(correction=0).item(), abs=1e-9)

    def test_held_out_targets_do_not_move_them(self, price_data, tmp_path):
        """Multiplying every validation and test target by 10 leaves the statistics
        exactly as they were. Catches: target statistics computed over all splits, which
        leak the test labels into training."""
        held_out = lines_of(price_data, "validation") | lines_of(price_data, "test")
        changed = write_table(
            tmp_path / "changed.csv", with_labels_changed(price_rows(), held_out, 10)
        )
        assert target_statistics(replace(price_data, path=changed)) == target_statistics(price_data)

    def test_training_targets_do_move_them(self, price_data, tmp_path):
        """Multiplying the training targets by 10 multiplies the saved mean and std by 10
        (relative 1e-9): the statistics do come from the training rows."""
        train = lines_of(price_data, "train")
        changed = write_table(
            tmp_path / "changed.csv", with_labels_changed(price_rows(), train, 10)
        )
        mean, std = target_statistics(price_data)
        assert target_statistics(replace(price_data, path=changed)) == pytest.approx(
            (10 * mean, 10 * std)
        )

    def test_the_checkpoint_holds_the_statistics(self, regressor, price_file):
        """The checkpoint's target statistics are the training split's. Catches: a
        regressor saved without them, which would serve standardised numbers."""
        saved = load_checkpoint(regressor)["target_normalizer"]
        assert saved is not None
        assert saved.mean is not None
        expected, _ = target_statistics(DataSpec(path=price_file, target="regression"))
        assert saved.mean.item() == pytest.approx(expected, abs=1e-9)

    def test_serving_returns_the_labels_units(self, regressor):
        """predict_values is the model's output times the training std plus the training
        mean (within 1e-4 of the label's units), and lands in the labels' range (about
        1000). Catches: the scaling not inverted at serving, which returns numbers near 0."""
        predictor = Predictor(regressor)
        rows = [[row["rooms"], row["age"], row["distance"]] for row in price_rows()[:8]]
        normalizer = predictor.target_normalizer
        assert normalizer is not None
        assert normalizer.mean is not None
        assert normalizer.std is not None
        with torch.no_grad():
            outputs = predictor.model(**predictor.encode(rows))[:, 0].double()
        expected = outputs * normalizer.std + normalizer.mean
        values = predictor.predict_values(rows)
        assert values == pytest.approx(expected.tolist(), abs=1e-4)
        assert all(700 < value < 1300 for value in values)


class TestTrainRegressor:
    def test_the_regressor_beats_its_baselines_mean(self, regressor):
        """A few epochs on a linear target take the test RMSE well below the training
        mean's (under half). Catches: a regressor that learns nothing, e.g. trained on
        the (B, 1)-against-(B,) broadcast, which converges to the mean."""
        predictor = Predictor(regressor)
        source = predictor.data_source
        assert source is not None
        test = load_data(DataSpec(path=Path(source["path"]), target="regression")).splits["test"]
        metrics = score(predictor, test)
        assert metrics["rmse"] < 0.5 * metrics["baselines"]["training_mean"]

    def test_baselines_are_fitted_on_the_training_split(self, regressor):
        """The saved training-mean baseline is the training split's mean target, and the
        ridge baseline is ridge regression on its normalised features (within 1e-9).
        Catches: baselines fitted on the test split, which they would then score too well."""
        checkpoint = load_checkpoint(regressor)
        saved = checkpoint["baselines"]
        assert isinstance(saved, RegressionBaselines)
        source = checkpoint["data_source"]
        assert source is not None
        data = load_data(spec_from_source(source))
        preprocessing = fit_preprocessing(data, TINY_REGRESSION, log=None)
        expected = fit_baselines(preprocessing, data.splits["train"], data.targets("train"), 0)
        assert isinstance(expected, RegressionBaselines)
        assert saved.mean.item() == pytest.approx(data.targets("train").mean().item(), abs=1e-9)
        assert torch.allclose(saved.ridge_weight, expected.ridge_weight, atol=1e-9)

    def test_history_reports_validation_error_in_label_units(self, regressor):
        """Every epoch's validation RMSE, MAE and R² are logged; the RMSE is in the label's
        units (the price's std is about 90, so above 1 and below 200)."""
        history = load_checkpoint(regressor)["history"]
        assert {"val_rmse", "val_mae", "val_r2"} <= set(history[0])
        assert all(1 < epoch["val_rmse"] < 200 for epoch in history)

    def test_huber_trains_a_regressor(self, price_data):
        """TrainConfig(loss="huber") trains and validates with finite numbers."""
        trained = train_classifier(
            replace(TINY_REGRESSION, epochs=1, loss="huber"), price_data, log=None
        )
        assert all(math.isfinite(value) for value in trained.history[0].values())

    @pytest.mark.parametrize(
        ("target", "loss"), [("regression", "cross_entropy"), ("classification", "mse")]
    )
    def test_a_loss_of_the_other_target_is_refused(self, tmp_path, target, loss):
        """Cross-entropy for numbers and MSE for classes are refused in one line before
        anything is trained or written."""
        rows = price_rows()
        if target == "classification":  # the same rows, labelled with two classes
            rows = [{**row, "label": "ab"[index % 2]} for index, row in enumerate(rows)]
        spec = DataSpec(path=write_table(tmp_path / "rows.csv", rows), target=target)
        with pytest.raises(ValueError, match=f"loss '{loss}' does not train a {target} target"):
            train_classifier(replace(TINY_REGRESSION, loss=loss), spec, tmp_path / "m.pt", log=None)
        assert not (tmp_path / "m.pt").exists()

    def test_validation_metrics_cover_every_batch(self):
        """RMSE, MAE and R² from evaluate over batches of 3, 3, 3 and 1 equal those over all
        10 at once (within 1e-6). Catches: a mean of per-batch RMSEs, which is not the RMSE."""
        generator = torch.Generator().manual_seed(0)
        outputs, targets = (
            torch.randn(10, 1, generator=generator),
            torch.randn(10, generator=generator),
        )
        ragged = [
            {"features": outputs[start : start + 3], "label": targets[start : start + 3]}
            for start in range(0, 10, 3)
        ]

        def scores(predicted: torch.Tensor, actual: torch.Tensor) -> dict[str, float]:
            return regression_scores(predicted[:, 0], actual)

        metrics = evaluate(OutputsAsGiven(), ragged, RegressionLoss(), scores=scores)
        expected = regression_scores(outputs[:, 0], targets)
        assert {name: metrics[name] for name in expected} == pytest.approx(expected, abs=1e-6)


@pytest.mark.slow
class TestTextRegressors:
    @pytest.mark.parametrize("model", models_for("text"))
    def test_each_text_model_learns_a_number_from_words(self, review_data, tmp_path, model):
        """Every text model, as a regressor with the default options but 16 wide, predicts
        the reviews' word-count score with a test RMSE below the training mean's. Catches:
        a text model that cannot be built with one output, or whose output is not trained
        (a head left out of the loss)."""
        config = TrainConfig(model=model, hidden_size=16)
        train_classifier(config, review_data, tmp_path / "model.pt", log=None)
        predictor = Predictor(tmp_path / "model.pt")
        metrics = score(predictor, load_data(review_data).splits["test"])
        assert metrics["rmse"] < metrics["baselines"]["training_mean"]


class TestRegressionCheckpoint:
    @pytest.mark.parametrize(
        ("edit", "message"),
        [
            (lambda p: p.update(target="numbers"), "target must be one of"),
            (lambda p: p.update(label_names=["a"]), "a regressor has no label names"),
            (lambda p: p.update(target_normalizer=None), "needs the target's statistics"),
            (lambda p: p.update(target="classification", baselines=None), "0 label names for"),
        ],
    )
    def test_a_contradictory_target_is_refused(self, regressor, tmp_path, edit, message):
        """A checkpoint whose target kind, label names and target statistics disagree is
        refused in one line. Catches: a regressor served as a one-class classifier (every
        prediction "certain"), or without the statistics to put it in the label's units."""
        path = tmp_path / "edited.pt"
        payload = torch.load(regressor, weights_only=True)
        edit(payload)
        torch.save(payload, path)
        with pytest.raises(CheckpointError, match=message):
            load_checkpoint(path)

    def test_a_regressor_gives_no_classes(self, regressor):
        """predict_batch on a regressor says to use predict_values, and the reverse."""
        with pytest.raises(TypeError, match="predict_values"):
            Predictor(regressor).predict_batch([[0.0, 0.0, 0.0]])


class TestRegressionCommands:
    def test_evaluate_prints_the_regression_record(self, regressor, capsys):
        """evaluate of a regressor prints RMSE, MAE, R², the example count and the
        baselines' RMSE, all finite, without being told the target. Catches: --target
        regression forgotten by evaluate, which would score numbers as classes."""
        assert main(["evaluate", "--model", str(regressor)]) == 0
        record = json.loads(capsys.readouterr().out)
        assert {"rmse", "mae", "r2", "examples", "baselines", "beats_baselines"} <= set(record)
        assert set(record["baselines"]) == {"training_mean", "ridge_regression"}
        numbers = [record["rmse"], record["mae"], record["r2"], *record["baselines"].values()]
        assert all(math.isfinite(number) for number in numbers)

    def test_predict_prints_each_rows_value_in_order(self, regressor, price_file, capsys):
        """predict --data prints {"line", "value"} per row, in file order, the values those
        of predict_values."""
        assert main(["predict", "--model", str(regressor), "--data", str(price_file)]) == 0
        printed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
        rows = [[row["rooms"], row["age"], row["distance"]] for row in price_rows()]
        assert [record["line"] for record in printed] == list(range(2, len(rows) + 2))
        expected = Predictor(regressor).predict_values(rows)
        assert [record["value"] for record in printed] == pytest.approx(expected)

    def test_evaluate_reads_a_files_labels_as_numbers(self, regressor, tmp_path, capsys):
        """evaluate --data on a JSON Lines file of the same rows (numbers as JSON numbers)
        scores them as numbers. Catches: the target kind forgotten when reading a file to
        score, which reads the labels as classes and refuses a float."""
        path = write_table(tmp_path / "prices.jsonl", price_rows())
        assert main(["evaluate", "--model", str(regressor), "--data", str(path)]) == 0
        assert json.loads(capsys.readouterr().out)["examples"] == len(price_rows())

    def test_train_target_regression_through_the_cli(self, price_file, tmp_path, capsys):
        """train --target regression writes a checkpoint that records the target."""
        out = tmp_path / "model.pt"
        assert (
            main(
                [
                    "train",
                    "--data",
                    str(price_file),
                    "--target",
                    "regression",
                    "--out",
                    str(out),
                    "--quiet",
                    *TINY,
                ]
            )
            == 0
        )
        assert load_checkpoint(out)["target"] == "regression"

    def test_numeric_labels_as_classes_are_refused_in_one_line(self, price_file, tmp_path, capsys):
        """The price rows trained as classes (the default) stop in one line that points at
        --target regression, and nothing is written."""
        out = tmp_path / "model.pt"
        assert main(["train", "--data", str(price_file), "--out", str(out), *TINY]) == 1
        _, err = capsys.readouterr()
        assert err.count("\n") == 1
        assert "--target regression" in err
        assert not out.exists()

    def test_help_lists_the_target_and_loss_options(self, capsys):
        """train --help names --target and --loss, with their choices."""
        with pytest.raises(SystemExit):
            main(["train", "--help"])
        out = capsys.readouterr().out
        assert "--target {classification,regression}" in out
        assert "mse" in out
        assert "huber" in out

    @pytest.mark.slow
    def test_evaluate_report_of_a_regressor_draws_its_own_figures(
        self, regressor, tmp_path, capsys
    ):
        """--report of a regressor writes the bias and residual images, the learning curves
        and metrics.json equal to the printed record. Catches a report that needs a
        classifier's confusion matrix (a KeyError after scoring) for every regressor."""
        folder = tmp_path / "report"
        assert main(["evaluate", "--model", str(regressor), "--report", str(folder)]) == 0
        printed = json.loads(capsys.readouterr().out)
        assert sorted(path.name for path in folder.iterdir()) == [
            "binned_targets.png",
            "learning_curves.png",
            "metrics.json",
            "report.md",
            "residuals.png",
        ]
        assert json.loads((folder / "metrics.json").read_text()) == printed
        assert f"| rmse | {printed['rmse']:.4f} |" in (folder / "report.md").read_text()


@pytest.mark.slow
class TestUnbiasedRegressor:
    def test_default_regressor_is_unbiased_on_the_held_out_split(self, tmp_path):
        """The default regressor (default TrainConfig) trained on 2,000 Friedman rows has a
        mean residual on its test split within MAX_BIAS of the label's std. Catches: the
        target mean saved or restored wrong, which shifts every prediction by a constant."""
        spec = DataSpec(
            path=write_table(tmp_path / "friedman.csv", friedman_rows(2000, seed=0)),
            target="regression",
        )
        train_classifier(TrainConfig(), spec, tmp_path / "model.pt", log=None)
        test = load_data(spec).splits["test"]
        predicted = torch.tensor(Predictor(tmp_path / "model.pt").predict_values(test.inputs))
        actual = torch.tensor(test.values())
        bias = (predicted - actual).mean().item()
        assert abs(bias) <= MAX_BIAS * actual.std().item(), f"mean residual {bias:.3f}"
