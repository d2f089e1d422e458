"""The command line: train -> evaluate -> predict on a user's files, and clean one-line failures.

Commands run in-process through ``main([...])`` (milliseconds, output captured with
capsys, or by run_train for a run several tests read), on the small files of conftest.py,
never the bundled example. Only the slow end-to-end test starts a real ``python -m``
process, to prove the module entry point works.
"""

import argparse
import collections
import contextlib
import csv
import dataclasses
import errno
import io
import json
import os
import runpy
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import torch
from conftest import measurement_rows, support_messages, write_table

import {{ cookiecutter.module_name }} as package
from {{ cookiecutter.module_name }} import cli, task
from {{ cookiecutter.module_name }}.checkpoint import load_checkpoint
from {{ cookiecutter.module_name }}.cli import build_parser, main
from {{ cookiecutter.module_name }}.data import Tokenizer
from {{ cookiecutter.module_name }}.task import load_data, metrics_path, resume_path, spec_from_source
from {{ cookiecutter.module_name }}.training import TrainConfig

MAX_LENGTH = 16
# A fast run on the conftest files: one epoch of a 16-wide model.
TINY = ["--epochs", "1", "--hidden-size", "16", "--batch-size", "16"]


# Checkpoints and train runs that tests only read (predict and evaluate write nothing) are
# made once per module or class. A test that changes a checkpoint or the data recorded in it
# gets its own (checkpoint_path, or a copy of saved_checkpoint's contents).


@pytest.fixture(scope="module")
def saved_checkpoint(tmp_path_factory: pytest.TempPathFactory, untrained_checkpoint) -> Path:
    """An untrained text checkpoint over the support messages, saved once for the module
    beside the data file it records: commands run, metrics are chance. No test writes to
    either file."""
    folder = tmp_path_factory.mktemp("untrained")
    return untrained_checkpoint(folder / "model.pt", max_length=MAX_LENGTH)


@pytest.fixture
def checkpoint_path(tmp_path: Path, untrained_checkpoint) -> Path:
    """This test's own untrained checkpoint, beside its own recorded data file: free to
    change either."""
    return untrained_checkpoint(tmp_path / "model.pt", max_length=MAX_LENGTH)


@pytest.fixture(scope="module")
def tabular_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tabular checkpoint trained once, for one epoch, on a file of measurement_rows()
    (the rows of tabular_csv); no test writes to it."""
    folder = tmp_path_factory.mktemp("tabular")
    data = write_table(folder / "measurements.csv", measurement_rows())
    path = folder / "tabular.pt"
    assert main(["train", "--data", str(data), "--out", str(path), *TINY]) == 0
    return path


@dataclasses.dataclass(frozen=True)
class TrainRun:
    """One `train` command, run once for the tests that only read what it did and wrote."""

    data: Path
    out: Path  # the checkpoint
    status: int
    stdout: str
    stderr: str


def run_train(data: Path, out: Path, *options: str) -> TrainRun:
    """`train --data DATA --out OUT *TINY *OPTIONS`, with what it prints captured (a fixture
    shared by several tests cannot use capsys, which captures one test)."""
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        status = main(["train", "--data", str(data), "--out", str(out), *TINY, *options])
    return TrainRun(data, out, status, stdout.getvalue(), stderr.getvalue())


@pytest.fixture(scope="module")
def text_run(tmp_path_factory: pytest.TempPathFactory) -> TrainRun:
    """`train --data support.csv` on the support messages, run once; no test writes to its
    files."""
    folder = tmp_path_factory.mktemp("text-run")
    return run_train(write_table(folder / "support.csv", support_messages()), folder / "model.pt")


@pytest.fixture(scope="module")
def queue_run(tmp_path_factory: pytest.TempPathFactory) -> TrainRun:
    """`train --label-column queue --split-seed 3 --validation-fraction 0.1 --test-fraction
    0.2` on the support messages with their labels in a "queue" column, run once; no test
    writes to its files."""
    folder = tmp_path_factory.mktemp("queue-run")
    rows = [{"text": row["text"], "queue": row["label"]} for row in support_messages()]
    data, out = write_table(folder / "tickets.csv", rows), folder / "model.pt"
    splits = ["--split-seed", "3", "--validation-fraction", "0.1", "--test-fraction", "0.2"]
    return run_train(data, out, "--label-column", "queue", *splits)


def assert_one_line_error(capsys: pytest.CaptureFixture[str], *fragments: str) -> None:
    """Nothing on stdout (after any training log); exactly one line on stderr, containing
    every fragment."""
    _, err = capsys.readouterr()
    assert err.startswith("error: ")
    assert err.count("\n") == 1, f"expected one line, got:\n{err}"
    for fragment in fragments:
        assert fragment in err


def blank_fourth_text(rows: list[dict]) -> list[dict]:
    return [*rows[:3], {**rows[3], "text": "  "}, *rows[4:]]


def rename_label_column(rows: list[dict]) -> list[dict]:
    return [{"text": row["text"], "class": row["label"]} for row in rows]


def add_a_tiny_class(rows: list[dict]) -> list[dict]:
    return [*rows, {"text": "a lonely message", "label": "x"}]


def json_lines(capsys: pytest.CaptureFixture[str]) -> list[dict]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def subcommands() -> dict[str, argparse.ArgumentParser]:
    """Every subcommand's parser, by name, as the command line builds them."""
    (commands,) = (
        action
        for action in build_parser()._actions
        if isinstance(action, argparse._SubParsersAction)
    )
    return dict(commands.choices)


def training_texts(checkpoint: dict) -> list[str]:
    """The training split of a checkpoint's recorded data, made again."""
    return [
        str(text)
        for text in load_data(spec_from_source(checkpoint["data_source"])).splits["train"].inputs
    ]


class TestTrainCommand:
    def test_trains_on_a_text_file_and_records_it(self, text_run):
        """train --data text.csv writes a text checkpoint with the file's label names and
        its own data record. Catches: --data ignored in favour of the bundled example."""
        assert text_run.status == 0
        checkpoint = load_checkpoint(text_run.out)
        assert checkpoint["task"] == "text"
        assert checkpoint["label_names"] == ("account", "delivery", "refund")
        assert checkpoint["data_source"]["path"] == str(text_run.data.resolve())

    def test_logs_to_stderr_and_writes_the_metrics_beside_the_checkpoint(self, text_run):
        """train logs its epoch lines on stderr, leaving stdout empty, and writes
        model.metrics.jsonl (one JSON line per epoch). Catches progress printed to stdout,
        where it would mix with the JSON of evaluate and predict in a pipe."""
        assert text_run.status == 0
        assert text_run.stdout == ""
        assert "epoch 1/1" in text_run.stderr
        assert len(metrics_path(text_run.out).read_text().splitlines()) == 1

    def test_quiet_logs_nothing(self, tmp_path, text_csv, capsys):
        """train --quiet trains and saves without a line on stdout or stderr. Catches:
        --quiet parsed and ignored."""
        out = tmp_path / "model.pt"
        assert main(["train", "--data", str(text_csv), "--out", str(out), "--quiet", *TINY]) == 0
        assert capsys.readouterr() == ("", "")
        assert out.exists()

    @pytest.mark.parametrize("command", ["train", "evaluate", "predict"])
    def test_threads_reaches_torch(self, command, tmp_path, monkeypatch, capsys):
        """--threads 3 sets torch's intra-op threads before the command runs, for every
        command (here each then fails on a missing file). Catches the option parsed and
        dropped: torch's default, a thread per core, trained several times slower here."""
        chosen = []
        monkeypatch.setattr(torch, "set_num_threads", chosen.append)
        missing = str(tmp_path / "missing")
        arguments = {
            "train": ["--data", f"{missing}.csv", "--out", str(tmp_path / "model.pt")],
            "evaluate": ["--model", f"{missing}.pt"],
            "predict": ["--model", f"{missing}.pt", "a text"],
        }
        assert main([command, "--threads", "3", *arguments[command]]) == 1
        assert chosen == [3]

    def test_trains_a_tabular_model_on_numeric_columns(self, tabular_checkpoint):
        """A file without a text column trains the MLP on its numeric columns."""
        checkpoint = load_checkpoint(tabular_checkpoint)
        assert checkpoint["task"] == "tabular"
        assert checkpoint["feature_names"] == ("height", "ratio", "weight")
        assert checkpoint["model"].config["name"] == "mlp"

    def test_every_train_config_field_is_an_option(self):
        """Each TrainConfig field has a --flag. Catches: a field added to the dataclass that
        the command line cannot set."""
        options = {
            action.dest
            for action in build_parser()._subparsers._group_actions[0].choices["train"]._actions
        }
        assert {f"config_{field.name}" for field in dataclasses.fields(TrainConfig)} <= options

    def test_min_freq_keeps_only_words_seen_that_often(self, tmp_path, text_csv):
        """--min-freq 3 leaves exactly the training split's words seen 3 times or more in the
        vocabulary. Catches: the flag parsed but never passed to build_tokenizer."""
        out = tmp_path / "model.pt"
        assert (
            main(["train", "--data", str(text_csv), "--out", str(out), *TINY, "--min-freq", "3"])
            == 0
        )
        checkpoint = load_checkpoint(out)
        counts = collections.Counter(
            token for text in training_texts(checkpoint) for token in Tokenizer.tokenize(text)
        )
        assert min(counts.values()) < 3  # the file has rare words for the flag to drop
        frequent = {word for word, count in counts.items() if count >= 3}
        assert set(checkpoint["tokenizer"].vocab[2:]) == frequent

    def test_max_vocab_size_caps_the_vocabulary(self, tmp_path, text_csv):
        """--max-vocab-size 7 gives 7 tokens: [PAD], [UNK] and the 5 most frequent words.
        Catches: the cap dropped, or counted without the special tokens."""
        out = tmp_path / "model.pt"
        cap = ["--max-vocab-size", "7"]
        assert main(["train", "--data", str(text_csv), "--out", str(out), *TINY, *cap]) == 0
        checkpoint = load_checkpoint(out)
        counts = collections.Counter(
            token for text in training_texts(checkpoint) for token in Tokenizer.tokenize(text)
        )
        kept = checkpoint["tokenizer"].vocab[2:]
        assert len(kept) == 5
        assert min(counts[word] for word in kept) >= max(
            count for word, count in counts.items() if word not in kept
        )

    @pytest.mark.parametrize(
        "flags",
        [["--min-freq", "0"], ["--min-freq", "-1"], ["--max-vocab-size", "0"]],
        ids=["min-freq-0", "min-freq-negative", "max-vocab-0"],
    )
    def test_vocabulary_flags_refuse_non_positive_values(self, flags, capsys, tmp_path):
        """A vocabulary flag below 1 exits 2 with one line, before any work."""
        assert main(["train", "--out", str(tmp_path / "m.pt"), *flags]) == 2
        assert_one_line_error(capsys, flags[0], "positive integer")

    def test_options_reach_the_config(self, tmp_path, text_csv):
        """--lr, --grad-clip none and --max-length reach the run's saved config. Catches:
        flags parsed and then dropped."""
        out = tmp_path / "model.pt"
        argv = ["train", "--data", str(text_csv), "--out", str(out), *TINY]
        assert main([*argv, "--lr", "0.02", "--grad-clip", "none", "--max-length", "5"]) == 0
        saved = load_checkpoint(resume_path(out))["training_state"]["config"]
        assert (saved["lr"], saved["grad_clip"], saved["max_length"]) == (0.02, None, 5)

    def test_data_options_reach_the_data_record(self, queue_run):
        """--label-column, --split-seed and both fractions reach the checkpoint's data
        record, which evaluate splits by. Catches: data flags parsed, then replaced by
        their defaults or by each other on the way to the DataSpec."""
        assert queue_run.status == 0
        source = load_checkpoint(queue_run.out)["data_source"]
        recorded = {name: source[name] for name in ("label_column", "split_seed")}
        assert recorded == {"label_column": "queue", "split_seed": 3}
        assert (source["validation_fraction"], source["test_fraction"]) == (0.1, 0.2)

    def test_given_validation_and_test_files_are_used(
        self, tmp_path, support_rows, write_table, capsys
    ):
        """--validation and --test files are the splits, and evaluate scores the test file."""
        paths = {
            name: write_table(tmp_path / f"{name}.jsonl", rows)
            for name, rows in (
                ("train", support_rows[:24]),
                ("val", support_rows[24:30]),
                ("test", support_rows[30:]),
            )
        }
        out = tmp_path / "model.pt"
        argv = ["train", "--data", str(paths["train"]), "--validation", str(paths["val"])]
        assert main([*argv, "--test", str(paths["test"]), "--out", str(out), *TINY]) == 0
        capsys.readouterr()
        assert main(["evaluate", "--model", str(out)]) == 0
        assert json_lines(capsys)[0]["examples"] == 6

    @pytest.mark.parametrize(
        ("edit", "fragments"),
        [
            pytest.param(blank_fourth_text, ["bad.csv:5", "'text'", "blank"], id="blank-text"),
            pytest.param(rename_label_column, ["no label column 'label'"], id="no-label"),
            pytest.param(add_a_tiny_class, ["label 'x' has 1"], id="tiny-class"),
        ],
    )
    def test_bad_data_is_refused_before_anything_is_written(
        self, tmp_path, support_rows, write_table, capsys, edit, fragments
    ):
        """A bad data file exits 1 with one line naming file, line and column, and no
        checkpoint appears. Catches: training on garbage, or a half-written --out."""
        data = write_table(tmp_path / "bad.csv", edit(support_rows))
        out = tmp_path / "model.pt"
        assert main(["train", "--data", str(data), "--out", str(out), *TINY]) == 1
        assert_one_line_error(capsys, *fragments)
        assert not out.exists()

    @pytest.mark.parametrize(
        ("content", "fragment"),
        [(b"", "the file is empty"), (b"text,label\n\xff,a\n", "bad.csv:2: not UTF-8")],
        ids=["empty", "encoding"],
    )
    def test_unreadable_files_are_refused(self, tmp_path, capsys, content, fragment):
        """An empty or non-UTF-8 file exits 1 with one line; nothing is written."""
        data = tmp_path / "bad.csv"
        data.write_bytes(content)
        assert main(["train", "--data", str(data), "--out", str(tmp_path / "m.pt")]) == 1
        assert_one_line_error(capsys, fragment)
        assert not (tmp_path / "m.pt").exists()

    def test_a_nan_feature_is_refused(self, tmp_path, measurements, write_table, capsys):
        """A NaN feature exits 1 naming the line and the column."""
        measurements[2]["ratio"] = "nan"
        data = write_table(tmp_path / "bad.csv", measurements)
        assert main(["train", "--data", str(data), "--out", str(tmp_path / "m.pt")]) == 1
        assert_one_line_error(capsys, "bad.csv:4, column 'ratio'", "not a finite number")

    def test_the_same_text_in_train_and_test_is_refused(
        self, tmp_path, support_rows, write_table, capsys
    ):
        """A test file sharing a row with the training file exits 1 naming both places."""
        train = write_table(tmp_path / "train.csv", support_rows[:30])
        test = write_table(tmp_path / "test.csv", support_rows[29:])
        argv = ["train", "--data", str(train), "--test", str(test), "--out", str(tmp_path / "m.pt")]
        assert main(argv) == 1
        assert_one_line_error(capsys, "train.csv:31", "test.csv:2")


class TestResume:
    """`train --resume`: the same command continues a run stopped after an epoch."""

    EPOCHS = ("--epochs", "2", "--hidden-size", "16", "--batch-size", "16")

    @staticmethod
    def interrupt_after_the_first_epoch(monkeypatch: pytest.MonkeyPatch) -> None:
        """Ctrl-C right after epoch 1's resume state and metrics are on disk."""
        write_metrics = task.write_metrics

        def then_interrupt(path: Path, history: list[dict[str, float]]) -> None:
            write_metrics(path, history)
            raise KeyboardInterrupt

        monkeypatch.setattr(task, "write_metrics", then_interrupt)

    def test_a_resumed_run_trains_only_the_epochs_left(
        self, tmp_path, text_csv, monkeypatch, capsys
    ):
        """Interrupted after epoch 1 of 2, then rerun with --resume: the interrupt message
        says how to continue, the resumed run trains epoch 2 alone, and its checkpoint
        holds the weights and history of the uninterrupted run, bit for bit (CPU).
        Catches --resume parsed but not passed on (a fresh run logs epoch 1 again) and a
        resume that repeats or skips an epoch."""
        whole, stopped = tmp_path / "whole.pt", tmp_path / "stopped.pt"
        argv = ["train", "--data", str(text_csv), *self.EPOCHS]
        assert main([*argv, "--out", str(whole), "--quiet"]) == 0
        with monkeypatch.context() as patch:
            self.interrupt_after_the_first_epoch(patch)
            assert main([*argv, "--out", str(stopped), "--quiet"]) == 130
        assert_one_line_error(capsys, "interrupted", "--resume")
        assert not stopped.exists()
        assert main([*argv, "--out", str(stopped), "--resume"]) == 0
        epochs = [
            line.split()[1]
            for line in capsys.readouterr().err.splitlines()
            if line.startswith("epoch ")
        ]
        assert epochs == ["2/2"]
        expected, resumed = load_checkpoint(whole), load_checkpoint(stopped)
        assert resumed["history"] == expected["history"]
        for name, tensor in expected["model"].state_dict().items():
            assert torch.equal(resumed["model"].state_dict()[name], tensor), name

    def test_without_a_resume_state_it_is_a_usage_error(self, tmp_path, text_csv, capsys):
        """--resume where no run left its state exits 2 in one line naming the file, and
        writes nothing, instead of silently training afresh."""
        out = tmp_path / "model.pt"
        assert main(["train", "--data", str(text_csv), "--out", str(out), "--resume"]) == 2
        assert_one_line_error(capsys, "--resume", str(resume_path(out)))
        assert list(tmp_path.iterdir()) == [text_csv]

    def test_data_changed_since_the_interruption_is_refused(
        self, tmp_path, support_rows, write_table, monkeypatch, capsys
    ):
        """A data file edited after the run stopped is refused in one line naming what
        differs (its hash), and no checkpoint is written: the tokenizer refitted on other
        data would not match the weights. Catches a resume that checks the options but
        not the data."""
        data, out = write_table(tmp_path / "support.csv", support_rows), tmp_path / "model.pt"
        argv = ["train", "--data", str(data), "--out", str(out), *self.EPOCHS, "--quiet"]
        with monkeypatch.context() as patch:
            self.interrupt_after_the_first_epoch(patch)
            assert main(argv) == 130
        write_table(data, support_rows[:-1])
        capsys.readouterr()
        assert main([*argv, "--resume"]) == 1
        assert_one_line_error(capsys, "cannot resume", "other data", "hashes")
        assert not out.exists()


class TestPredictCommand:
    def test_prints_one_json_object_per_text_in_order(self, saved_checkpoint, capsys):
        """Each text gets one JSON line with its text, a known label and probabilities.
        Catches: results printed out of order, or output that is not parseable JSON."""
        texts = ["I want my money back", "where is my parcel", "I forgot my password"]
        assert main(["predict", "--model", str(saved_checkpoint), *texts]) == 0
        results = json_lines(capsys)
        assert [result["text"] for result in results] == texts
        for result in results:
            assert result["label"] in ("account", "delivery", "refund")
            assert sum(result["probabilities"].values()) == pytest.approx(1.0, abs=1e-5)

    def test_empty_text_fails_with_one_line(self, saved_checkpoint, capsys):
        """An empty text exits 1 with the predictor's message, no traceback, no output."""
        assert main(["predict", "--model", str(saved_checkpoint), "fine", "  "]) == 1
        assert_one_line_error(capsys, "Input cannot be empty")

    def test_rows_of_a_file_are_predicted_in_order(self, saved_checkpoint, text_csv, capsys):
        """predict --data prints one object per row, in file order, with its line number."""
        assert main(["predict", "--model", str(saved_checkpoint), "--data", str(text_csv)]) == 0
        assert [result["line"] for result in json_lines(capsys)] == list(range(2, 38))

    def test_tabular_rows_are_predicted(self, tabular_checkpoint, tabular_csv, capsys):
        """A tabular checkpoint predicts the rows of a CSV (its label column is ignored)."""
        capsys.readouterr()
        assert (
            main(["predict", "--model", str(tabular_checkpoint), "--data", str(tabular_csv)]) == 0
        )
        results = json_lines(capsys)
        assert len(results) == 60
        assert {result["label"] for result in results} <= {"high", "low"}

    def test_text_for_a_tabular_model_is_refused(self, tabular_checkpoint, capsys):
        """TEXT arguments for a tabular model exit 1 saying to use --data."""
        capsys.readouterr()
        assert main(["predict", "--model", str(tabular_checkpoint), "a text"]) == 1
        assert_one_line_error(capsys, "tabular model", "--data")

    def test_rows_of_the_other_task_are_refused(self, saved_checkpoint, tabular_csv, capsys):
        """A text checkpoint given a file of numeric rows exits 1 naming the missing column
        and the checkpoint's task. Catches: numbers tokenised as if they were text."""
        assert main(["predict", "--model", str(saved_checkpoint), "--data", str(tabular_csv)]) == 1
        assert_one_line_error(capsys, "no text column", "is a text model")

    def test_text_and_data_together_are_refused(self, saved_checkpoint, text_csv, capsys):
        """Either TEXT arguments or --data: both is an error, not a silent choice."""
        argv = ["predict", "--model", str(saved_checkpoint), "--data", str(text_csv), "hello"]
        assert main(argv) == 2
        assert_one_line_error(capsys, "either TEXT")

    def test_non_finite_output_fails_instead_of_printing_nan(
        self, saved_checkpoint, tmp_path, capsys
    ):
        """Finite but huge weights (1e38) overflow to NaN probabilities: the command exits 1
        with one line instead of printing NaN, which is not JSON. Catches `json.dumps`'
        default, which writes NaN and makes every consumer of the output fail to parse it."""
        payload = torch.load(saved_checkpoint, weights_only=True)
        for tensor in payload["model_state"].values():
            if tensor.is_floating_point():
                tensor.fill_(1e38)
        damaged = tmp_path / "model.pt"
        torch.save(payload, damaged)
        assert main(["predict", "--model", str(damaged), "goal"]) == 1
        assert_one_line_error(capsys, "NaN or infinity")


class TestEvaluateCommand:
    def test_without_data_scores_the_recorded_test_split(self, saved_checkpoint, capsys):
        """evaluate reports accuracy, macro F1 and ECE in [0, 1] over the 6 test rows of the
        file the checkpoint was trained on, and both baselines' accuracy on those rows.
        Catches: evaluating on another split or file, and an evaluation without baselines."""
        assert main(["evaluate", "--model", str(saved_checkpoint)]) == 0
        metrics = json_lines(capsys)[0]
        assert metrics["split"] == "test"
        assert metrics["examples"] == 6
        assert metrics["data"] == str(saved_checkpoint.with_suffix(".csv").resolve())
        for name in ("accuracy", "macro_f1", "ece"):
            assert 0.0 <= metrics[name] <= 1.0, name
        assert set(metrics["baselines"]) == {"majority_class", "bag_of_words"}
        assert metrics["beats_baselines"] == all(
            metrics["accuracy"] > value for value in metrics["baselines"].values()
        )

    def test_baselines_are_scored_on_the_evaluated_rows(
        self, saved_checkpoint, tmp_path, support_rows, write_table, capsys
    ):
        """On a file holding only classes other than the training majority, the majority
        baseline scores 0, and on the training majority's rows alone it scores 1. Catches:
        a majority taken from the evaluated labels, which always looks good."""
        checkpoint = load_checkpoint(saved_checkpoint)
        name = checkpoint["label_names"][checkpoint["baselines"].class_counts.argmax()]
        for keep, expected in ((lambda label: label != name, 0.0), (name.__eq__, 1.0)):
            rows = [row for row in support_rows if keep(row["label"])]
            data = write_table(tmp_path / "rows.csv", rows)
            assert main(["evaluate", "--model", str(saved_checkpoint), "--data", str(data)]) == 0
            assert json_lines(capsys)[0]["baselines"]["majority_class"] == expected

    def test_without_data_scores_the_test_split_not_validation(self, queue_run, capsys):
        """Trained with --validation-fraction 0.1 and --test-fraction 0.2, evaluate scores
        the 6 test rows (2 per class), not the 3 validation rows. Catches: evaluate
        scoring the validation split, which early stopping already looked at."""
        assert queue_run.status == 0
        assert main(["evaluate", "--model", str(queue_run.out)]) == 0
        assert json_lines(capsys)[0]["examples"] == 6

    def test_with_data_scores_every_row_of_the_file(self, saved_checkpoint, text_csv, capsys):
        """evaluate --data scores all 36 rows and names the file."""
        assert main(["evaluate", "--model", str(saved_checkpoint), "--data", str(text_csv)]) == 0
        metrics = json_lines(capsys)[0]
        assert (metrics["examples"], metrics["data"]) == (36, str(text_csv))

    def test_refuses_data_that_changed_since_training(self, checkpoint_path, capsys):
        """If the training file changed, its test split cannot be rebuilt: exit 1, naming it.
        Catches: scoring a "test split" that overlaps what the model was trained on."""
        data = checkpoint_path.with_suffix(".csv")
        data.write_text(data.read_text() + "an extra row,refund\n")
        assert main(["evaluate", "--model", str(checkpoint_path)]) == 1
        assert_one_line_error(capsys, "changed since the model was trained")

    def test_refuses_labels_the_model_does_not_know(
        self, saved_checkpoint, tmp_path, support_rows, write_table, capsys
    ):
        """A labelled file with a class the model never saw exits 1 naming the line."""
        support_rows[3]["label"] = "praise"
        data = write_table(tmp_path / "other.csv", support_rows)
        assert main(["evaluate", "--model", str(saved_checkpoint), "--data", str(data)]) == 1
        assert_one_line_error(capsys, "other.csv:5", "'praise'")


class TestTrainedTextColumn:
    """A model trained with --text-column reads that column wherever it reads a file."""

    @pytest.fixture(scope="class")
    @classmethod
    def tickets(cls, tmp_path_factory: pytest.TempPathFactory) -> Path:
        """The support messages with their text in a "body" column; no test writes to it."""
        rows = [{"body": row["text"], "label": row["label"]} for row in support_messages()]
        return write_table(tmp_path_factory.mktemp("tickets") / "tickets.csv", rows)

    @pytest.fixture(scope="class")
    @classmethod
    def model(cls, tickets: Path) -> Path:
        """A text model trained once on the "body" column of tickets.csv; no test writes to it."""
        out = tickets.with_name("model.pt")
        argv = ["train", "--data", str(tickets), "--text-column", "body", "--out", str(out)]
        assert main([*argv, *TINY]) == 0
        return out

    def test_predict_reads_it(self, model, tickets, capsys):
        """predict --data answers every row. Catches: the default "text" column looked up."""
        capsys.readouterr()
        assert main(["predict", "--model", str(model), "--data", str(tickets)]) == 0
        assert len(json_lines(capsys)) == 36

    def test_evaluate_reads_it(self, model, tickets, capsys):
        """evaluate --data scores every row. Catches: the default "text" column looked up."""
        capsys.readouterr()
        assert main(["evaluate", "--model", str(model), "--data", str(tickets)]) == 0
        assert json_lines(capsys)[0]["examples"] == 36


def pixel_rows(count: int, rows: int, generator: torch.Generator) -> list[dict]:
    """`rows` rows of `count` random pixel columns p0, p1, ... and a label alternating 0, 1."""
    values = torch.rand(rows, count, generator=generator).tolist()
    return [
        {**{f"p{column}": value for column, value in enumerate(row)}, "label": index % 2}
        for index, row in enumerate(values)
    ]


class TestTabularColumns:
    """A tabular model reads its feature columns by name: in any order, and no others."""

    PIXELS = 64  # the model's features; the files it must refuse have 1,024

    @pytest.fixture
    def pixels(self, tmp_path) -> Callable[..., Path]:
        """pixels(count, name, rows=40): a file of `rows` rows of `count` pixel columns and
        a label."""
        generator = torch.Generator().manual_seed(0)

        def write(count: int, name: str, rows: int = 40) -> Path:
            return write_table(tmp_path / name, pixel_rows(count, rows, generator))

        return write

    @pytest.fixture(scope="class")
    @classmethod
    def model(cls, tmp_path_factory: pytest.TempPathFactory) -> Path:
        """A tabular model trained once, for one epoch, on 40 rows of PIXELS pixel columns;
        no test writes to it."""
        folder = tmp_path_factory.mktemp("pixels")
        rows = pixel_rows(cls.PIXELS, 40, torch.Generator().manual_seed(1))
        data, out = write_table(folder / "train.csv", rows), folder / "pixels.pt"
        assert main(["train", "--data", str(data), "--out", str(out), *TINY]) == 0
        return out

    @pytest.mark.parametrize("command", ["evaluate", "predict"])
    def test_a_file_with_more_columns_is_refused(self, command, model, pixels, capsys):
        """A model trained on 64 pixel columns, given a file of 1,024, exits 1 with one line
        naming the extra columns and the model's 64, for evaluate --data and predict --data
        alike. Catches the 64 names looked up and the other 960 ignored: the model then
        scores data of another kind with no error or warning. (Two rows: the columns are
        refused before any row is scored.)"""
        wider = pixels(1024, "wider.csv", rows=2)
        capsys.readouterr()
        assert main([command, "--model", str(model), "--data", str(wider)]) == 1
        assert_one_line_error(capsys, "wider.csv", "'p64'", "955 more", "64 feature columns")

    def test_columns_in_another_order_give_the_same_predictions(
        self, model, tmp_path, pixels, write_table, capsys
    ):
        """predict --data and evaluate --data on a file whose columns are reversed print
        exactly what they print on the file in training order. Catches features taken
        by position in the file rather than by name."""
        in_order = pixels(self.PIXELS, "rows.csv")
        with in_order.open(encoding="utf-8") as file:
            reversed_rows = [dict(reversed(row.items())) for row in csv.DictReader(file)]
        reversed_file = write_table(tmp_path / "reversed.csv", reversed_rows)
        printed = []
        for command in ("predict", "evaluate"):
            for data in (in_order, reversed_file):
                capsys.readouterr()
                assert main([command, "--model", str(model), "--data", str(data)]) == 0
                printed.append([{**line, "data": None} for line in json_lines(capsys)])
        assert printed[0] == printed[1]
        assert printed[2] == printed[3]


class TestCommandLineErrors:
    @pytest.mark.parametrize(
        ("argv", "fragment"),
        [
            ([], "required"),
            (["fly"], "invalid choice"),
            (["predict", "some text"], "--model"),
            (["predict", "--model", "model.pt"], "TEXT"),
            (["train"], "--out"),
            (["train", "--out", "m.pt", "--epochs", "0"], "positive integer"),
            (["train", "--out", "m.pt", "--epochs", "many"], "positive integer"),
            (["train", "--out", "m.pt", "--seed", "x"], "--seed"),
            (["train", "--out", "no/such/folder/m.pt"], "does not exist"),
            (["train", "--out", "m.pt", "--lr", "1e30"], "lr must be"),
            (["train", "--out", "m.pt", "--lr", "inf"], "lr must be"),
            (["train", "--out", "m.pt", "--grad-clip", "nan"], "grad_clip must be"),
            (["train", "--out", "m.pt", "--hidden-size", "100000000"], "hidden_size must be"),
            (["train", "--out", "m.pt", "--max-length", "100000000"], "max_length must be"),
            (["train", "--out", "m.pt", "--device", "meta"], "meta"),
            (["train", "--out", "m.pt", "--device", "mps"], "mps"),
        ],
        ids=[
            "no-command",
            "unknown-command",
            "predict-without-model",
            "predict-without-text",
            "train-without-out",
            "zero-epochs",
            "word-epochs",
            "word-seed",
            "out-in-missing-folder",
            "huge-lr",
            "infinite-lr",
            "nan-grad-clip",
            "huge-hidden-size",
            "huge-max-length",
            "meta-device",
            "absent-mps-device",
        ],
    )
    def test_bad_arguments_exit_2_with_one_line(
        self, argv, fragment, capsys, tmp_path, monkeypatch
    ):
        """A bad command line exits 2 with one line naming the problem, before any work.
        Catches: argparse's multi-line usage dump, tracebacks, or training started anyway
        (an infinite or huge learning rate diverging, a model too large for memory, a device
        that holds no data or is not there)."""
        monkeypatch.chdir(tmp_path)  # the relative paths above must not touch the repository
        assert main(argv) == 2
        assert_one_line_error(capsys, fragment)
        assert list(tmp_path.iterdir()) == []

    @pytest.mark.parametrize("given_as", ["--data", "--validation", "--test"])
    @pytest.mark.parametrize("through", ["same-path", "symlink", "hard-link"])
    def test_out_that_is_an_input_is_refused_before_anything_is_written(
        self, given_as, through, tmp_path, support_rows, write_table, capsys
    ):
        """--out naming one of the data files, also through a symlink or a hard link, exits
        2 with one line naming the option, and every file is unchanged. Catches: the
        checkpoint overwriting the user's data (with exit 0), or a check that compares the
        paths as typed."""
        files = {
            "--data": write_table(tmp_path / "train.csv", support_rows[:24]),
            "--validation": write_table(tmp_path / "val.csv", support_rows[24:30]),
            "--test": write_table(tmp_path / "test.csv", support_rows[30:]),
        }
        before = {path: path.read_bytes() for path in files.values()}
        target, out = files[given_as], tmp_path / "model.pt"
        if through == "same-path":
            out = target
        elif through == "symlink":
            out.symlink_to(target)
        else:
            out.hardlink_to(target)
        argv = ["train", "--out", str(out), *TINY]
        argv += [part for option, path in files.items() for part in (option, str(path))]
        assert main(argv) == 2
        assert_one_line_error(capsys, "would overwrite", given_as)
        assert {path: path.read_bytes() for path in files.values()} == before

    def test_out_beside_an_input_is_refused_before_anything_is_written(
        self, tmp_path, support_rows, write_table, capsys
    ):
        """--out model.pt when the data file is model.metrics.jsonl, the file train writes
        beside the checkpoint, exits 2 naming the option, and the data is unchanged.
        Catches a check of the checkpoint's own path only, not the files beside it."""
        data = write_table(tmp_path / "model.metrics.jsonl", support_rows)
        before = data.read_bytes()
        argv = ["train", "--data", str(data), "--out", str(tmp_path / "model.pt"), *TINY]
        assert main(argv) == 2
        assert_one_line_error(capsys, "would overwrite", "--data")
        assert data.read_bytes() == before

    def test_a_full_disk_exits_1_with_one_line_and_no_debris(
        self, tmp_path, text_csv, capsys, monkeypatch
    ):
        """A write failing with ENOSPC exits 1 with one line naming the file it could not
        write and "No space left on device", and leaves no partial file. Catches: torch.save turning
        the failed write into a RuntimeError ("unexpected pos"), which was a traceback."""

        class FullDisk(io.FileIO):
            """A file on a disk with 4 kB free."""

            def write(self, data):
                if self.tell() + len(data) > 4096:
                    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
                return super().write(data)

        monkeypatch.setattr(os, "fdopen", lambda fd, mode: io.BufferedWriter(FullDisk(fd, "w")))
        out = tmp_path / "model.pt"
        argv = ["train", "--data", str(text_csv), "--out", str(out), "--quiet", *TINY]
        assert main(argv) == 1
        assert_one_line_error(capsys, f"could not write {tmp_path}", "No space left on device")
        assert sorted(path.name for path in tmp_path.iterdir()) == [text_csv.name]

    def test_ctrl_c_exits_130_with_one_line(self, monkeypatch, capsys, tmp_path, text_csv):
        """Ctrl-C during training exits 130 (the shell's code for SIGINT) with one line.
        Catches: a KeyboardInterrupt traceback of dozens of lines from inside the loop."""

        def interrupted(*args, **kwargs):
            raise KeyboardInterrupt

        monkeypatch.setattr(cli, "train_classifier", interrupted)
        argv = ["train", "--data", str(text_csv), "--out", str(tmp_path / "m.pt")]
        assert main(argv) == 130
        assert_one_line_error(capsys, "interrupted")

    def test_a_diverging_run_exits_1_with_one_line(self, monkeypatch, capsys, tmp_path, text_csv):
        """Training whose loss becomes NaN exits 1 with one line suggesting a lower --lr.
        Catches: the FloatingPointError traceback that fit raises to protect the weights."""

        def diverging(*args, **kwargs):
            raise FloatingPointError("loss is nan")

        monkeypatch.setattr(cli, "train_classifier", diverging)
        argv = ["train", "--data", str(text_csv), "--out", str(tmp_path / "m.pt")]
        assert main(argv) == 1
        assert_one_line_error(capsys, "loss is nan", "--lr")

    def test_missing_checkpoint_exits_1_naming_the_file(self, tmp_path, capsys):
        """A checkpoint that is not there exits 1 with one line naming it."""
        path = tmp_path / "missing.pt"
        assert main(["evaluate", "--model", str(path)]) == 1
        assert_one_line_error(capsys, str(path), "no such file")

    def test_corrupt_checkpoint_exits_1_naming_the_file(self, tmp_path, capsys):
        """A file that is not a checkpoint exits 1 with one line naming it.
        Catches: torch's multi-line unpickling errors reaching the user."""
        path = tmp_path / "corrupt.pt"
        path.write_bytes(b"definitely not a checkpoint")
        assert main(["predict", "--model", str(path), "hello"]) == 1
        assert_one_line_error(capsys, str(path))

    @pytest.mark.parametrize("command", sorted(subcommands()))
    def test_every_subcommand_help_lists_its_options(self, command, capsys):
        """`COMMAND --help` exits 0 and lists every option of that command; generated from
        the parser, so a new subcommand is covered too. Catches: a help text argparse cannot
        format (a bare "%" in it raises TypeError), seen only when someone asks for help."""
        with pytest.raises(SystemExit) as exit_info:
            main([command, "--help"])
        assert exit_info.value.code == 0
        help_text = capsys.readouterr().out
        options = [
            option for action in subcommands()[command]._actions for option in action.option_strings
        ]
        assert options
        missing = [option for option in options if option not in help_text]
        assert not missing

    def test_help_lists_the_commands(self, capsys):
        """--help exits 0 and names every command."""
        with pytest.raises(SystemExit) as exit_info:
            main(["--help"])
        assert exit_info.value.code == 0
        help_text = capsys.readouterr().out
        assert all(command in help_text for command in ("train", "evaluate", "predict"))

    def test_python_dash_m_runs_main_with_its_exit_code(self, monkeypatch, capsys):
        """`python -m <package> predict` without --model runs main and exits with its code 2.
        Catches a __main__ that never calls main or drops its exit code (CI would pass)."""
        monkeypatch.setattr(sys, "argv", [package.__name__, "predict"])
        with pytest.raises(SystemExit) as exit_info:
            runpy.run_module(package.__name__, run_name="__main__")
        assert exit_info.value.code == 2
        assert "required: --model" in capsys.readouterr().err


@pytest.mark.slow
class TestEndToEnd:
    def test_python_dash_m_entry_point(self, tmp_path, text_csv):
        """`python -m <package> predict` runs in a fresh process and exits 0 with JSON;
        a missing checkpoint exits non-zero with a one-line error, no traceback."""
        checkpoint = tmp_path / "model.pt"
        assert main(["train", "--data", str(text_csv), "--out", str(checkpoint), *TINY]) == 0
        source_root = str(Path(package.__file__).resolve().parents[1])
        python_path = [source_root, os.environ.get("PYTHONPATH", "")]
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, python_path))}

        def run(*args: str) -> subprocess.CompletedProcess[str]:
            command = [sys.executable, "-m", package.__name__, *args]
            return subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)

        ok = run("predict", "--model", str(checkpoint), "where is my parcel")
        assert ok.returncode == 0, ok.stderr
        assert json.loads(ok.stdout)["text"] == "where is my parcel"

        failed = run("evaluate", "--model", str(tmp_path / "missing.pt"))
        assert failed.returncode == 1
        assert failed.stderr.count("\n") == 1
        assert "Traceback" not in failed.stderr
