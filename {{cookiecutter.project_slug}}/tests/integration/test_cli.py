"""The command line: train -> evaluate -> predict, and clean one-line failures.

Commands run in-process through ``main([...])`` (milliseconds, output captured with
capsys). Only the slow end-to-end test trains, and only it starts a real
``python -m`` process, to prove the module entry point works.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import {{ cookiecutter.module_name }} as package
from {{ cookiecutter.module_name }}.checkpoint import save_checkpoint
from {{ cookiecutter.module_name }}.cli import main
from {{ cookiecutter.module_name }}.data import (
    LABEL_NAMES,
    build_tokenizer,
    load_example_splits,
)
from {{ cookiecutter.module_name }}.models import TransformerClassifier

MAX_LENGTH = 16


@pytest.fixture
def checkpoint_path(tmp_path: Path, untrained_checkpoint) -> Path:
    """An untrained checkpoint for the bundled classes: commands run, metrics are chance."""
    return untrained_checkpoint(tmp_path / "model.pt", max_length=MAX_LENGTH)


def assert_one_line_error(capsys: pytest.CaptureFixture[str], *fragments: str) -> None:
    """Nothing on stdout; exactly one line on stderr, containing every fragment."""
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("error: ")
    assert err.count("\n") == 1, f"expected one line, got:\n{err}"
    for fragment in fragments:
        assert fragment in err


class TestPredictCommand:
    def test_prints_one_json_object_per_text_in_order(self, checkpoint_path, capsys):
        """Each text gets one JSON line with its text, a known label and probabilities.
        Catches: results printed out of order, or output that is not parseable JSON."""
        texts = ["The striker scored twice", "The chef baked bread", "A new laptop"]
        assert main(["predict", "--model", str(checkpoint_path), *texts]) == 0
        lines = capsys.readouterr().out.splitlines()
        results = [json.loads(line) for line in lines]
        assert [result["text"] for result in results] == texts
        for result in results:
            assert result["label"] in LABEL_NAMES
            assert sum(result["probabilities"].values()) == pytest.approx(1.0, abs=1e-5)

    def test_empty_text_fails_with_one_line(self, checkpoint_path, capsys):
        """An empty text exits 1 with the predictor's message, no traceback, no output."""
        assert main(["predict", "--model", str(checkpoint_path), "fine", "  "]) == 1
        assert_one_line_error(capsys, "Input cannot be empty")

    def test_non_finite_output_fails_instead_of_printing_nan(self, checkpoint_path, capsys):
        """Finite but huge weights (1e38) overflow to NaN probabilities: the command exits 1
        with one line instead of printing NaN, which is not JSON. Catches `json.dumps`'
        default, which writes NaN and makes every consumer of the output fail to parse it."""
        payload = torch.load(checkpoint_path, weights_only=True)
        for tensor in payload["model_state"].values():
            if tensor.is_floating_point():
                tensor.fill_(1e38)
        torch.save(payload, checkpoint_path)
        assert main(["predict", "--model", str(checkpoint_path), "goal"]) == 1
        assert_one_line_error(capsys, "NaN or infinity")


class TestEvaluateCommand:
    def test_prints_test_split_metrics_as_json(self, checkpoint_path, capsys):
        """evaluate reports accuracy and macro F1 in [0, 1] over the whole test split.
        Catches: evaluating on another split, or metrics that are not fractions."""
        assert main(["evaluate", "--model", str(checkpoint_path)]) == 0
        metrics = json.loads(capsys.readouterr().out)
        assert metrics["split"] == "test"
        assert metrics["examples"] == len(load_example_splits()["test"].texts)
        assert 0.0 <= metrics["accuracy"] <= 1.0
        assert 0.0 <= metrics["macro_f1"] <= 1.0

    def test_checkpoint_for_other_classes_is_refused(self, tmp_path, capsys):
        """A checkpoint whose label names differ from the bundled data's exits 1.
        Catches: scoring class indices that mean different things in data and model."""
        tokenizer = build_tokenizer(["a b c"])
        other_classes = ("cats", "dogs")
        model = TransformerClassifier(tokenizer.vocab_size, 16, 1, len(other_classes))
        path = tmp_path / "pets.pt"
        save_checkpoint(
            path, model=model, tokenizer=tokenizer, label_names=other_classes, max_length=8
        )
        assert main(["evaluate", "--model", str(path)]) == 1
        assert_one_line_error(capsys, "pets.pt", "cats")


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
        ],
    )
    def test_bad_arguments_exit_2_with_one_line(
        self, argv, fragment, capsys, tmp_path, monkeypatch
    ):
        """A bad command line exits 2 with one line naming the problem, before any work.
        Catches: argparse's multi-line usage dump, tracebacks, or training started anyway."""
        monkeypatch.chdir(tmp_path)  # the relative paths above must not touch the repository
        assert main(argv) == 2
        assert_one_line_error(capsys, fragment)
        assert list(tmp_path.iterdir()) == []

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

    def test_help_lists_the_commands(self, capsys):
        """--help exits 0 and names every command."""
        with pytest.raises(SystemExit) as exit_info:
            main(["--help"])
        assert exit_info.value.code == 0
        help_text = capsys.readouterr().out
        assert all(command in help_text for command in ("train", "evaluate", "predict"))


@pytest.mark.slow
class TestEndToEnd:
    def test_train_evaluate_predict(self, tmp_path, capsys):
        """train writes a checkpoint that evaluate scores >= 90 % on the test split and
        predict uses. Catches: a pipeline whose parts work alone but not together."""
        checkpoint = tmp_path / "model.pt"
        assert main(["train", "--out", str(checkpoint), "--seed", "0"]) == 0
        train_output = capsys.readouterr().out
        assert "val_accuracy" in train_output
        assert checkpoint.is_file()

        assert main(["evaluate", "--model", str(checkpoint)]) == 0
        assert json.loads(capsys.readouterr().out)["accuracy"] >= 0.9

        assert main(["predict", "--model", str(checkpoint), "The striker scored a goal"]) == 0
        assert json.loads(capsys.readouterr().out)["label"] == "sports"

    def test_python_dash_m_entry_point(self, tmp_path):
        """`python -m <package> predict` runs in a fresh process and exits 0 with JSON;
        a missing checkpoint exits non-zero with a one-line error, no traceback."""
        checkpoint = tmp_path / "model.pt"
        assert main(["train", "--out", str(checkpoint), "--epochs", "1"]) == 0
        source_root = str(Path(package.__file__).resolve().parents[1])
        python_path = [source_root, os.environ.get("PYTHONPATH", "")]
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, python_path))}

        def run(*args: str) -> subprocess.CompletedProcess[str]:
            command = [sys.executable, "-m", package.__name__, *args]
            return subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)

        ok = run("predict", "--model", str(checkpoint), "The chef baked bread")
        assert ok.returncode == 0, ok.stderr
        assert json.loads(ok.stdout)["text"] == "The chef baked bread"

        failed = run("evaluate", "--model", str(tmp_path / "missing.pt"))
        assert failed.returncode == 1
        assert failed.stderr.count("\n") == 1
        assert "Traceback" not in failed.stderr
