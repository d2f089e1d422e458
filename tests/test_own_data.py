"""The generated project on data nobody here wrote, used the way its README says.

A user's CSV becomes the project's default data: only the bundled-example module and the
regression tier may notice, and after the README's two clean-up steps nothing fails.
scikit-learn's tables and a corpus of docstring sentences train through the CLI to
stated accuracies, the text model beside a TF-IDF + logistic-regression baseline measured
in the same test. The measured figures are printed in the run's "figures" section.
"""

import json
import re
import shutil
from pathlib import Path

import pytest
from baking import run
from corpora import (
    docstring_corpus,
    docstring_folds,
    docstring_splits,
    read_csv,
    sklearn_table,
    write_csv,
)
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

FAILED = re.compile(r"^(?:FAILED|ERROR) (\S+)", re.MULTILINE)
# The only tests allowed to fail when the default data is no longer the bundled example.
ABOUT_THE_EXAMPLE = ("tests/integration/test_example_data.py", "tests/regression/")
DEFAULT_DATA_LINE = "DEFAULT_DATA = DataSpec()\n"
# The docstring corpus is scored by cross-validation: each of its 768 sentences once, by a
# model that did not train on it. One 116-sentence test split is too small to tell 0.85
# from 0.82 (a standard error of 3.5 points), and the seed-0 split is the hardest we saw.
FOLDS = 5
CV_FLOOR = 0.85  # issue 15's target for the bag of n-grams; every text model must reach it
# How far below TF-IDF + logistic regression each text model may score, pooled over the
# folds. Measured (seed 0): TF-IDF 0.914, bag_of_ngrams 0.918, transformer 0.871. The
# default model may trail it by 2 points (15 sentences), the transformer, not tuned for so
# little data, by 6.
# The words whose share in a sentence is the text regression target, times 10.
CHOSEN_WORDS = {"the", "of", "a", "array", "tensor", "input", "return", "returns", "compute"}
BELOW_TFIDF = {"bag_of_ngrams": 0.02, "transformer": 0.06}
# Runs CLI commands in one process (one torch import instead of one per command) and
# prints, as JSON, each command's stdout and wall time; exits non-zero at a failed command.
# One thread: models this small train faster on one core than on several, and the template
# suite runs tests side by side.
CLI_DRIVER = """
import contextlib, io, json, sys, time
import torch
from ml_project.cli import main
torch.set_num_threads(1)
outputs = []
for arguments in json.loads(sys.argv[1]):
    stdout, start = io.StringIO(), time.perf_counter()
    with contextlib.redirect_stdout(stdout):
        code = main(arguments)
    if code:
        sys.exit(f"{arguments[0]} exited {code}: {stdout.getvalue()[-3000:]}")
    outputs.append({"stdout": stdout.getvalue(), "seconds": time.perf_counter() - start})
print(json.dumps(outputs))
"""


@pytest.fixture
def project(tmp_path, default_project) -> Path:
    """A private copy of the default project, free to change."""
    return shutil.copytree(default_project, tmp_path / default_project.name)


def cli_in_one_process(python: Path, project: Path, commands: list[list[object]]) -> list[dict]:
    """Each command's {"stdout", "seconds"}, run by `ml_project.cli.main` in one process."""
    arguments = json.dumps([[str(argument) for argument in command] for command in commands])
    return json.loads(run(python, "-c", CLI_DRIVER, arguments, cwd=project).stdout)


def train_and_evaluate(
    python: Path, project: Path, *runs: list[object]
) -> list[tuple[dict, float]]:
    """For each run's `train` arguments: train through the CLI, then `evaluate` the
    checkpoint. Returns each run's metrics and training time."""
    commands: list[list[object]] = []
    for index, train_arguments in enumerate(runs):
        checkpoint = f"model{index}.pt"
        commands += [
            ["train", "--out", checkpoint, *train_arguments],
            ["evaluate", "--model", checkpoint],
        ]
    outputs = cli_in_one_process(python, project, commands)
    return [
        (json.loads(evaluated["stdout"]), trained["seconds"])
        for trained, evaluated in zip(outputs[0::2], outputs[1::2], strict=True)
    ]


class TestUserDataAsDefault:
    def test_only_the_example_tests_notice_then_nothing_fails(
        self, project, run_generated_tests, tmp_path, record_property
    ):
        """Point DEFAULT_DATA at a user CSV as the README says: the bundled-example module
        and the regression tier notice (fail). After the README's clean-up (delete that
        module, golden set := held-out user rows, --update-golden, which says what it
        wrote) the whole fast tier passes. The clean-up touches only files those two read,
        so the passing run also proves nothing else failed before it. Catches: tests of the
        machinery that secretly depend on the bundled sentences, example tests that do not
        notice the change, and a golden tier that cannot be rebuilt."""
        splits = docstring_splits(tmp_path)
        (project / "data").mkdir()
        texts, labels = read_csv(splits["train"])
        extra_texts, extra_labels = read_csv(splits["validation"])
        rows = zip(texts + extra_texts, labels + extra_labels, strict=True)
        write_csv(project / "data" / "docstrings.csv", ["text", "label"], [list(r) for r in rows])
        task = project / "src" / "ml_project" / "task.py"
        source = task.read_text()
        assert source.count(DEFAULT_DATA_LINE) == 1
        task.write_text(
            source.replace(
                DEFAULT_DATA_LINE, 'DEFAULT_DATA = DataSpec(path=Path("data/docstrings.csv"))\n'
            )
        )
        # Each run in a fork of the seeded-bug server, serially: the worker already runs
        # beside others, and a run of its own with -n 2 paid two more torch imports.
        code, output = run_generated_tests(project, *ABOUT_THE_EXAMPLE)
        failed = sorted(set(FAILED.findall(output)))
        assert code == 1, output[-3000:]
        assert any(test.startswith(ABOUT_THE_EXAMPLE[0]) for test in failed), failed
        record_property(
            "figure",
            f"default data := docstring CSV: {len(failed)} tests of "
            f"{' and '.join(ABOUT_THE_EXAMPLE)} failed; after the clean-up the fast tier passes",
        )

        (project / "tests" / "integration" / "test_example_data.py").unlink()
        golden = project / "tests" / "regression" / "golden"
        (golden / "golden_set.jsonl").unlink()
        shutil.copy(splits["test"], golden / "golden_set.csv")
        code, output = run_generated_tests(project, "tests/regression", "--update-golden")
        assert code == 0, output[-3000:]
        assert "--update-golden: wrote" in output

        code, output = run_generated_tests(project)
        assert code == 0, output[-3000:]


class TestRealData:
    @pytest.mark.parametrize(("name", "floor"), [("breast_cancer", 0.93), ("wine", 0.90)])
    def test_sklearn_table_through_the_cli(
        self, project, project_python, tmp_path, record_property, name, floor
    ):
        """scikit-learn's table, exported to CSV, trains the MLP through the CLI with the
        default options and scores at least `floor` on its held-out test split."""
        data = sklearn_table(name, tmp_path)
        [(metrics, seconds)] = train_and_evaluate(project_python, project, ["--data", data])
        record_property(
            "figure",
            f"{name}: test accuracy {metrics['accuracy']:.3f} on {metrics['examples']} rows, "
            f"CLI train {seconds:.1f} s, 1 thread",
        )
        assert metrics["accuracy"] >= floor

    @pytest.mark.parametrize("model", sorted(BELOW_TFIDF))
    def test_docstring_corpus_cross_validated_beside_a_tfidf_baseline(
        self, project, project_python, tmp_path, record_property, model
    ):
        """First sentences of numpy, torch and scikit-learn docstrings, labelled by library,
        cross-validated over FOLDS folds: each text model, trained through the CLI with the
        default options and --model, scores at least CV_FLOOR on the sentences it did not
        train on, and at most BELOW_TFIDF[model] under TF-IDF + logistic regression fitted
        on the same training files. The figure gives each fold, the ECE and the
        checkpoint's baselines."""
        folds = docstring_folds(tmp_path, FOLDS)
        runs = [["--model", model, "--data", train, "--test", test] for train, test in folds]
        metrics, train_seconds = zip(
            *train_and_evaluate(project_python, project, *runs), strict=True
        )

        def pooled(accuracies: list[float]) -> float:
            sizes = [fold["examples"] for fold in metrics]
            return sum(a * n for a, n in zip(accuracies, sizes, strict=True)) / sum(sizes)

        baseline = make_pipeline(
            TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True), LogisticRegression(C=10.0)
        )
        tfidf = [baseline.fit(*read_csv(train)).score(*read_csv(test)) for train, test in folds]
        accuracy = pooled([fold["accuracy"] for fold in metrics])
        bag_of_words = pooled([fold["baselines"]["bag_of_words"] for fold in metrics])
        record_property(
            "figure",
            f"docstring corpus, {FOLDS}-fold CV over {sum(f['examples'] for f in metrics)} "
            f"sentences: {model} {accuracy:.3f} (folds "
            f"{' '.join(format(fold['accuracy'], '.3f') for fold in metrics)}; ECE "
            f"{min(f['ece'] for f in metrics):.3f}-{max(f['ece'] for f in metrics):.3f}; "
            f"CLI train {min(train_seconds):.1f}-{max(train_seconds):.1f} s per fold, 1 thread); "
            f"TF-IDF + logistic regression {pooled(tfidf):.3f}, naive-Bayes bag of words "
            f"{bag_of_words:.3f}",
        )
        assert accuracy >= CV_FLOOR
        assert accuracy >= pooled(tfidf) - BELOW_TFIDF[model]


def regression_csv(path: Path, header: list[str], features, targets) -> Path:
    """Rows of features and a numeric "label", as a user would export them."""
    rows = [[*row, target] for row, target in zip(features.tolist(), targets.tolist(), strict=True)]
    return write_csv(path, [*header, "label"], rows)


def pooled_rmse(folds: list[dict], value) -> float:
    """The RMSE over every example of the folds, from each fold's RMSE and size."""
    squares = sum(value(fold) ** 2 * fold["examples"] for fold in folds)
    return (squares / sum(fold["examples"] for fold in folds)) ** 0.5


class TestRealRegressionData:
    def test_diabetes_cross_validated_beside_ridge(
        self, project, project_python, tmp_path, record_property
    ):
        """scikit-learn's load_diabetes, 5-fold cross-validated through the CLI with
        --target regression: the MLP's pooled RMSE is at most 5% above the ridge-regression
        baseline's on the same folds, and its pooled R² at least 0.40."""
        from sklearn.datasets import load_diabetes
        from sklearn.model_selection import KFold

        table = load_diabetes()
        runs = []
        for index, (train, test) in enumerate(
            KFold(5, shuffle=True, random_state=0).split(table.data)
        ):
            paths = [
                regression_csv(
                    tmp_path / f"{name}{index}.csv",
                    table.feature_names,
                    table.data[rows],
                    table.target[rows],
                )
                for name, rows in (("train", train), ("test", test))
            ]
            runs.append(["--target", "regression", "--data", paths[0], "--test", paths[1]])
        folds = [metrics for metrics, _ in train_and_evaluate(project_python, project, *runs)]
        model = pooled_rmse(folds, lambda fold: fold["rmse"])
        ridge = pooled_rmse(folds, lambda fold: fold["baselines"]["ridge_regression"])
        mean = pooled_rmse(folds, lambda fold: fold["baselines"]["training_mean"])
        r2 = 1 - model**2 / table.target.var()
        record_property(
            "figure",
            f"load_diabetes, 5-fold CV: MLP RMSE {model:.1f} (R² {r2:.3f}), ridge {ridge:.1f}, "
            f"training mean {mean:.1f}",
        )
        assert model <= 1.05 * ridge
        assert r2 >= 0.40

    def test_friedman1_beats_ridge_by_30_percent(
        self, project, project_python, tmp_path, record_property
    ):
        """make_friedman1 (2,000 rows, noise 1, seed 0) through the CLI: test R² at least
        0.85 and RMSE at least 30% below ridge regression's, which cannot fit it."""
        from sklearn.datasets import make_friedman1

        features, targets = make_friedman1(2000, noise=1.0, random_state=0)
        data = regression_csv(
            tmp_path / "friedman.csv", [f"x{i}" for i in range(10)], features, targets
        )
        [(metrics, seconds)] = train_and_evaluate(
            project_python, project, ["--target", "regression", "--data", data]
        )
        ridge = metrics["baselines"]["ridge_regression"]
        record_property(
            "figure",
            f"make_friedman1: R² {metrics['r2']:.3f}, RMSE {metrics['rmse']:.2f} against ridge "
            f"{ridge:.2f} and the mean {metrics['baselines']['training_mean']:.2f}, "
            f"CLI train {seconds:.1f} s",
        )
        assert metrics["r2"] >= 0.85
        assert metrics["rmse"] <= 0.7 * ridge

    def test_text_regression_on_docstrings(
        self, project, project_python, tmp_path, record_property
    ):
        """Docstring first sentences whose target is a known function of their words (10
        times the share of words in CHOSEN_WORDS), through the CLI with the default text
        model: test R² at least 0.9."""
        rows = []
        for text, _ in docstring_corpus():
            words = re.findall(r"\w+", text.casefold())
            rows.append([text, round(10 * sum(w in CHOSEN_WORDS for w in words) / len(words), 6)])
        data = write_csv(tmp_path / "docstrings.csv", ["text", "label"], rows)
        [(metrics, _)] = train_and_evaluate(
            project_python, project, ["--target", "regression", "--data", data]
        )
        record_property(
            "figure",
            f"docstring text regression: R² {metrics['r2']:.3f}, RMSE {metrics['rmse']:.2f}, "
            f"ridge on the bag of words {metrics['baselines']['ridge_regression']:.2f}",
        )
        assert metrics["r2"] >= 0.9
