"""The checkpoint format and the Predictor: what serving promises about a saved model.

Most tests use a tiny transformer with random weights, saved without training: its
predictions are meaningless but deterministic, which is all that parity, ordering,
invariance and round-trip properties need, and it costs milliseconds. Only the tests
that need a model that has learned something use the session-trained checkpoint.
"""

import copy
import json
import os
import random
import struct
import threading
import zipfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import torch
from torch import nn

from {{ cookiecutter.module_name }}.baselines import Baselines
from {{ cookiecutter.module_name }}.checkpoint import (
    CheckpointError,
    load_checkpoint,
    save_checkpoint,
)
from {{ cookiecutter.module_name }}.data import (
    FeatureNormalizer,
    TextDataset,
    Tokenizer,
    build_tokenizer,
)
from {{ cookiecutter.module_name }}.inference import Predictor
from {{ cookiecutter.module_name }}.inference.predictor import MAX_BATCH_SIZE
from {{ cookiecutter.module_name }}.models import MLPClassifier, TransformerClassifier
from {{ cookiecutter.module_name }}.task import DEFAULT_DATA, fit_preprocessing, load_data
from {{ cookiecutter.module_name }}.training import TrainConfig

# Deliberately not the bundled dataset's classes, and not in alphabetical order, so a
# predictor that hard-codes or sorts label names gives itself away.
LABEL_NAMES = ("question", "complaint", "praise", "other")
MAX_LENGTH = 12
TEXTS = [
    "where is my parcel ?",
    "the parcel arrived broken and late",
    "great service , thank you so much",
    "please call me back tomorrow",
    "why was i charged twice for one order ?",
    "the app crashes every time i log in",
]


# The tiny model, its checkpoint, the checkpoint's raw contents and a Predictor over it are
# built once per module: tests only read the tokenizer, run the model in eval mode under
# no_grad and read its weights, and predict with the predictor, none of which changes them. A
# test that damages the checkpoint gets its own file: a copy of its bytes (checkpoint_path)
# or of its contents, edited (damaged_checkpoint); one that changes a predictor (a forward
# hook) gets its own (own_predictor).


@pytest.fixture(scope="module")
def tokenizer() -> Tokenizer:
    return build_tokenizer(TEXTS)


@pytest.fixture(scope="module")
def model(tokenizer: Tokenizer) -> TransformerClassifier:
    return tiny_model(tokenizer)


@pytest.fixture(scope="module")
def saved_checkpoint(
    tmp_path_factory: pytest.TempPathFactory, model: TransformerClassifier, tokenizer: Tokenizer
) -> Path:
    """The tiny model saved once with save_checkpoint; no test writes to this file."""
    return save_tiny_checkpoint(tmp_path_factory.mktemp("saved") / "model.pt", model, tokenizer)


@pytest.fixture
def checkpoint_path(tmp_path: Path, saved_checkpoint: Path) -> Path:
    """This test's own copy of the saved checkpoint, byte for byte: free to damage."""
    path = tmp_path / "model.pt"
    path.write_bytes(saved_checkpoint.read_bytes())
    return path


@pytest.fixture(scope="module")
def saved_contents(saved_checkpoint: Path) -> dict:
    """The raw contents of the saved checkpoint, as torch.load gives them; tests edit only
    copies (damaged_checkpoint)."""
    return torch.load(saved_checkpoint, weights_only=True)


Edit = Callable[[dict], object]  # changes a checkpoint's raw contents in place


@pytest.fixture
def damaged_checkpoint(tmp_path: Path, saved_contents: dict) -> Callable[[Edit], Path]:
    """damaged_checkpoint(edit): this test's own model.pt, holding the saved checkpoint's
    raw contents after `edit` changed a copy of them."""
    return lambda edit: save_edited(saved_contents, edit, tmp_path / "model.pt")


@pytest.fixture(scope="module")
def predictor(saved_checkpoint: Path) -> Predictor:
    return Predictor(saved_checkpoint)


@pytest.fixture
def own_predictor(saved_checkpoint: Path) -> Predictor:
    """A Predictor for one test, which may change it (register a forward hook)."""
    return Predictor(saved_checkpoint)


def tiny_model(tokenizer: Tokenizer) -> TransformerClassifier:
    """Random weights and dropout > 0, so a model left in train mode shows it."""
    return TransformerClassifier(
        vocab_size=tokenizer.vocab_size,
        hidden_size=16,
        num_layers=1,
        num_outputs=len(LABEL_NAMES),
        num_heads=2,
        max_length=MAX_LENGTH,
        dropout=0.1,
    ).eval()


def save_tiny_checkpoint(
    path: Path, model: TransformerClassifier, tokenizer: Tokenizer, **extras
) -> Path:
    """Save the tiny model with this module's label names and max_length."""
    save_checkpoint(
        path,
        model=model,
        tokenizer=tokenizer,
        label_names=LABEL_NAMES,
        max_length=MAX_LENGTH,
        **extras,
    )
    return path


def in_memory_probabilities(
    model: TransformerClassifier, tokenizer: Tokenizer, texts: list[str]
) -> torch.Tensor:
    """What the unsaved model says about `texts`: the reference a checkpoint must reproduce."""
    with torch.no_grad():
        return torch.softmax(model(**tokenizer.encode_batch(texts, MAX_LENGTH)), dim=-1)


def probabilities_of(prediction: dict) -> list[float]:
    return [prediction["probabilities"][name] for name in LABEL_NAMES]


def save_edited(contents: dict, edit: Edit, path: Path) -> Path:
    """Save at `path` a copy of a valid checkpoint's raw contents after `edit` damaged it;
    `contents` stay as they were."""
    contents = copy.deepcopy(contents)
    edit(contents)
    torch.save(contents, path)
    return path


class TestCheckpointRoundTrip:
    def test_loaded_model_predicts_like_the_saved_one(self, predictor, model, tokenizer):
        """Predictions after save/load equal the in-memory model's.
        Catches: weights or config not saved, or a model rebuilt with other hyperparameters."""
        expected = in_memory_probabilities(model, tokenizer, TEXTS)
        results = predictor.predict_batch(TEXTS)
        actual = torch.tensor([probabilities_of(result) for result in results])
        torch.testing.assert_close(actual, expected, rtol=0, atol=1e-6)

    def test_label_names_survive_in_class_index_order(self, saved_checkpoint, predictor):
        """Class i is still called LABEL_NAMES[i] after loading.
        Catches: label names sorted, deduplicated through a set, or replaced by defaults."""
        assert load_checkpoint(saved_checkpoint)["label_names"] == LABEL_NAMES
        assert list(predictor.predict(TEXTS[0])["probabilities"]) == list(LABEL_NAMES)

    def test_predicted_label_names_the_most_probable_class(self, predictor, model, tokenizer):
        """The label is the name of the in-memory model's argmax class.
        Catches: an off-by-one or reordered mapping from class index to label name."""
        expected = in_memory_probabilities(model, tokenizer, TEXTS).argmax(dim=-1)
        labels = [result["label"] for result in predictor.predict_batch(TEXTS)]
        assert labels == [LABEL_NAMES[index] for index in expected]

    def test_tokenizer_and_max_length_are_restored(self, saved_checkpoint, tokenizer):
        """The checkpoint carries the training vocabulary and sequence length.
        Catches: a tokenizer rebuilt at load time, whose ids would not match the weights."""
        loaded = load_checkpoint(saved_checkpoint)
        assert loaded["tokenizer"].vocab == tokenizer.vocab
        assert loaded["max_length"] == MAX_LENGTH

    def test_training_state_round_trips(self, tmp_path, model, tokenizer):
        """A nested training state (tensors, numbers, tuples, None) comes back unchanged.
        Catches: a training state that is dropped or cannot be loaded with weights_only."""
        state = {"epoch": 3, "optimizer": {"lr": 0.1, "betas": (0.9, 0.99)}, "rng": [None, "x"]}
        state["weights"] = torch.arange(4.0)
        path = save_tiny_checkpoint(tmp_path / "resume.pt", model, tokenizer, training_state=state)
        loaded = load_checkpoint(path)["training_state"]
        assert loaded.pop("weights").equal(state.pop("weights"))
        assert loaded == state

    def test_save_refuses_state_that_safe_loading_would_reject(self, tmp_path, model, tokenizer):
        """A numpy array in the training state fails at save time, naming where it is.
        Catches: writing a checkpoint that weights_only loading can never open again."""
        path = tmp_path / "bad.pt"
        state = {"rng": {"numpy": torch.ones(2).numpy()}}
        with pytest.raises(TypeError, match=r"\['rng'\]\['numpy'\] is a numpy"):
            save_tiny_checkpoint(path, model, tokenizer, training_state=state)
        assert not path.exists()

    def test_save_looks_inside_lists_too(self, tmp_path, model, tokenizer):
        """A numpy array inside a list of the training state is refused, naming its index.
        Catches: checking dict values only, so a per-epoch history list of arrays slips
        into a checkpoint that weights_only loading refuses."""
        state = {"history": [torch.ones(1), torch.ones(1).numpy()]}
        with pytest.raises(TypeError, match=r"\['history'\]\[1\] is a numpy"):
            save_tiny_checkpoint(tmp_path / "bad.pt", model, tokenizer, training_state=state)

    def test_failed_save_keeps_the_previous_checkpoint(
        self, checkpoint_path, model, tokenizer, monkeypatch
    ):
        """A save that dies mid-write leaves the earlier checkpoint intact and no debris.
        Catches: writing straight into the target file, which a crash leaves truncated."""
        before = checkpoint_path.read_bytes()

        def crash_mid_write(obj, file, *args, **kwargs):
            """Write the first bytes, as a real save does, then fail like a full disk."""
            if isinstance(file, str | os.PathLike):
                Path(file).write_bytes(b"half a checkpoint")
            else:
                file.write(b"half a checkpoint")
            raise OSError("disk full")

        monkeypatch.setattr(torch, "save", crash_mid_write)
        with pytest.raises(OSError, match="disk full"):
            save_tiny_checkpoint(checkpoint_path, model, tokenizer)
        assert checkpoint_path.read_bytes() == before
        assert [path.name for path in checkpoint_path.parent.iterdir()] == ["model.pt"]


FEATURE_NAMES = ("height_cm", "weight_kg", "age")


def make_feature_rows() -> torch.Tensor:
    """(32, 3) raw features on very different scales, as a CSV of measurements has them."""
    generator = torch.Generator().manual_seed(0)
    scale, offset = torch.tensor([10.0, 15.0, 20.0]), torch.tensor([170.0, 70.0, 40.0])
    return torch.randn(32, 3, generator=generator) * scale + offset


@pytest.fixture
def feature_rows() -> torch.Tensor:
    """make_feature_rows(), a fresh tensor each test: free to edit."""
    return make_feature_rows()


@pytest.fixture(scope="module")
def tabular_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, MLPClassifier]:
    """A random-weights MLP over FEATURE_NAMES, saved with a normaliser fitted on
    make_feature_rows() (the values feature_rows gives every test). Saved once per module:
    no test writes to the file or changes the MLP, which they only run under no_grad."""
    mlp = MLPClassifier(len(FEATURE_NAMES), hidden_size=16, num_outputs=len(LABEL_NAMES)).eval()
    normalizer = FeatureNormalizer().fit(make_feature_rows())
    path = tmp_path_factory.mktemp("tabular") / "tabular.pt"
    save_checkpoint(
        path,
        model=mlp,
        label_names=LABEL_NAMES,
        feature_names=FEATURE_NAMES,
        normalizer=normalizer,
    )
    return path, mlp


@pytest.fixture(scope="module")
def tabular_predictor(tabular_checkpoint: tuple[Path, MLPClassifier]) -> Predictor:
    """A Predictor over the tabular checkpoint, for tests that only predict with it."""
    return Predictor(tabular_checkpoint[0])


class NaNForOneRow(nn.Module):
    """A model's logits with one row replaced by NaN, as an overflow on one input gives."""

    def __init__(self, model: nn.Module, row: int) -> None:
        super().__init__()
        self.model, self.row = model, row

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.model(features).index_fill(0, torch.tensor([self.row]), float("nan"))


class TestTabularCheckpoint:
    def test_records_the_task_and_the_features(self, tabular_checkpoint):
        """A tabular checkpoint says so and keeps the feature names in input order, with no
        tokenizer. Catches: a checkpoint format that only knows text models."""
        loaded = load_checkpoint(tabular_checkpoint[0])
        assert loaded["task"] == "tabular"
        assert loaded["feature_names"] == FEATURE_NAMES
        assert loaded["tokenizer"] is None

    def test_normalizer_statistics_round_trip(self, tabular_checkpoint, feature_rows):
        """The saved normaliser transforms exactly as the one fitted in training.
        Catches: statistics recomputed at serving time, or not saved at all."""
        restored = load_checkpoint(tabular_checkpoint[0])["normalizer"]
        expected = FeatureNormalizer().fit(feature_rows).transform(feature_rows)
        torch.testing.assert_close(restored.transform(feature_rows), expected)

    def test_predictor_applies_the_saved_normaliser(
        self, tabular_checkpoint, tabular_predictor, feature_rows
    ):
        """Raw rows in, the probabilities of the model on the NORMALISED rows out (atol 1e-6).
        Catches: a predictor that feeds raw features to a model trained on standardised ones."""
        mlp = tabular_checkpoint[1]
        normalized = FeatureNormalizer().fit(feature_rows).transform(feature_rows)
        with torch.no_grad():
            expected = torch.softmax(mlp(normalized), dim=-1)
        results = tabular_predictor.predict_batch(feature_rows.tolist())
        actual = torch.tensor([probabilities_of(result) for result in results])
        torch.testing.assert_close(actual, expected, rtol=0, atol=1e-6)

    def test_a_single_row_equals_the_same_row_in_a_batch(self, tabular_predictor, feature_rows):
        """One row served alone gets the probabilities it gets inside a batch (atol 1e-6).
        Catches: per-request statistics (a lone row normalises to zeros) and batch coupling."""
        predictor = tabular_predictor
        rows = feature_rows[:5].tolist()
        batch = predictor.predict_batch(rows)
        for row, in_batch in zip(rows, batch, strict=True):
            assert probabilities_of(predictor.predict(row)) == pytest.approx(
                probabilities_of(in_batch), abs=1e-6
            )

    def test_named_features_equal_positional_ones(self, tabular_predictor, feature_rows):
        """A row given as {name: value}, in any key order, equals the positional row.
        Catches: columns matched by position after a CSV's columns were reordered."""
        predictor = tabular_predictor
        row = feature_rows[0].tolist()
        named = dict(reversed(list(zip(FEATURE_NAMES, row, strict=True))))
        assert predictor.predict(named) == predictor.predict(row)

    @pytest.mark.parametrize(
        ("row", "error", "message"),
        [
            pytest.param([1.0, 2.0], ValueError, "must have 3 features, got 2", id="short"),
            pytest.param([1.0, float("nan"), 3.0], ValueError, "'weight_kg' must be fin", id="nan"),
            pytest.param([1.0, "2", 3.0], TypeError, "'weight_kg' must be a number", id="str"),
            pytest.param({"height_cm": 1.0}, ValueError, r"missing \['weight_kg', 'ag", id="names"),
            pytest.param(
                {"height_cm": 1.0, "weight_kg": 2.0, "age": 3.0, "bmi": 4.0},
                ValueError,
                r"missing \[\], unknown \['bmi'\]",
                id="extra-name",
            ),
            pytest.param("1,2,3", TypeError, "sequence of 3 numbers", id="text"),
        ],
    )
    def test_bad_rows_are_refused_clearly(self, tabular_predictor, row, error, message):
        """A row of the wrong width, a NaN, a string, missing names or a name the model does
        not know fails naming the feature. Catches: NaN predictions returned with a label,
        columns silently broadcast, and a misspelt feature ignored beside the right ones."""
        with pytest.raises(error, match=message):
            tabular_predictor.predict(row)

    def test_one_non_finite_row_in_a_batch_is_an_error(self, tabular_checkpoint, feature_rows):
        """When the model's logits are NaN for one row of a batch and finite for the others,
        predict_batch raises as it does for a wholly non-finite batch. Catches a check that
        refuses only when every logit is bad, serving NaN probabilities for that one row."""
        predictor = Predictor(tabular_checkpoint[0])
        predictor.model = NaNForOneRow(predictor.model, row=1)
        with pytest.raises(ValueError, match="NaN or infinity"):
            predictor.predict_batch(feature_rows[:4].tolist())

    def test_saving_a_tabular_model_with_a_tokenizer_is_refused(self, tmp_path, tokenizer):
        """An MLP saved as if it read text fails before writing, naming what it needs.
        Catches: a checkpoint whose predictor would tokenise text for a feature model."""
        mlp = MLPClassifier(len(FEATURE_NAMES), hidden_size=16, num_outputs=len(LABEL_NAMES))
        path = tmp_path / "confused.pt"
        with pytest.raises(ValueError, match="tabular model needs feature names"):
            save_checkpoint(
                path, model=mlp, label_names=LABEL_NAMES, tokenizer=tokenizer, max_length=8
            )
        assert not path.exists()

    def test_feature_names_must_fit_the_model(self, tmp_path):
        """Two feature names for a three-input MLP fail, giving both counts.
        Catches: serving rows whose columns the model cannot have been trained on."""
        mlp = MLPClassifier(len(FEATURE_NAMES), hidden_size=16, num_outputs=len(LABEL_NAMES))
        with pytest.raises(ValueError, match="2 feature names for a model with 3 input"):
            save_checkpoint(
                tmp_path / "m.pt", model=mlp, label_names=LABEL_NAMES, feature_names=("a", "b")
            )


class _RunsCodeWhenUnpickled:
    """A pickle payload that creates a directory when loaded: a stand-in for malware."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.mkdir, (str(self.marker),))


class TestCheckpointErrors:
    def test_missing_file_names_the_file(self, tmp_path):
        """A missing checkpoint raises CheckpointError (a ValueError) naming the path.
        Catches: a bare FileNotFoundError deep from torch, or a message without the path."""
        path = tmp_path / "nowhere.pt"
        with pytest.raises(CheckpointError, match=r"nowhere\.pt.*no such file"):
            load_checkpoint(path)

    @pytest.mark.parametrize("kept_fraction", [0.0, 0.01, 0.5, 0.99])
    def test_truncated_file_raises_a_clear_error(self, saved_checkpoint, tmp_path, kept_fraction):
        """A file cut short anywhere raises CheckpointError naming the file.
        Catches: EOFError/RuntimeError/OSError from torch leaking to the caller."""
        data, path = saved_checkpoint.read_bytes(), tmp_path / "model.pt"
        path.write_bytes(data[: int(len(data) * kept_fraction)])
        with pytest.raises(CheckpointError, match=r"model\.pt.*truncated or corrupt"):
            load_checkpoint(path)

    def test_code_in_a_checkpoint_is_never_run(self, tmp_path):
        """Loading a pickle that would create a directory refuses it without running it.
        Catches: torch.load(weights_only=False), i.e. arbitrary code execution on load."""
        marker = tmp_path / "pwned"
        path = tmp_path / "malicious.pt"
        torch.save({"model_state": _RunsCodeWhenUnpickled(marker)}, path)

        with pytest.raises(CheckpointError, match=r"malicious\.pt.*refused"):
            load_checkpoint(path)
        assert not marker.exists()

        # The payload is live: an unsafe load does run it. Without this, the test above
        # could pass because the payload was harmless, not because loading is safe.
        torch.load(path, weights_only=False)
        assert marker.exists()

    @pytest.mark.parametrize("key", ["model_state", "tokenizer", "label_names"])
    def test_missing_section_is_named(self, damaged_checkpoint, key):
        """A checkpoint without one of its sections raises, naming the section.
        Catches: a KeyError deep in loading, or defaults silently filled in."""
        path = damaged_checkpoint(lambda payload: payload.pop(key))
        with pytest.raises(CheckpointError, match=key):
            load_checkpoint(path)

    def test_weights_missing_a_tensor_are_rejected(self, damaged_checkpoint):
        """Weights without one of the model's tensors raise, naming the tensor.
        Catches: load_state_dict(strict=False), which keeps that tensor's random init."""
        path = damaged_checkpoint(lambda payload: payload["model_state"].pop("head.bias"))
        with pytest.raises(CheckpointError, match=r"head\.bias"):
            load_checkpoint(path)

    def test_weights_with_an_extra_tensor_are_rejected(self, damaged_checkpoint):
        """Weights with a tensor the model does not have raise, naming it.
        Catches: strict=False loading of weights saved from a different architecture."""

        def add_tensor(payload):
            payload["model_state"]["extra.weight"] = torch.zeros(1)

        path = damaged_checkpoint(add_tensor)
        with pytest.raises(CheckpointError, match=r"extra\.weight"):
            load_checkpoint(path)

    def test_weights_that_do_not_fit_the_config_are_rejected(self, damaged_checkpoint):
        """A config whose sizes differ from the saved weights raises CheckpointError.
        Catches: a config edited or saved from another model than the weights."""

        def widen(payload):
            payload["model_config"]["hidden_size"] = 32

        path = damaged_checkpoint(widen)
        with pytest.raises(CheckpointError, match=r"model\.pt.*size mismatch"):
            load_checkpoint(path)

    def test_label_count_must_match_the_model(self, damaged_checkpoint):
        """Fewer label names than model outputs raises, giving both counts.
        Catches: predictions indexing past the end of the label list at serving time."""
        path = damaged_checkpoint(lambda payload: payload["label_names"].pop())
        with pytest.raises(CheckpointError, match="3 label names for a model with 4 classes"):
            load_checkpoint(path)

    def test_baselines_must_fit_the_labels_and_the_tokenizer(
        self, damaged_checkpoint, tmp_path, model, tokenizer
    ):
        """Baselines counting other classes or another vocabulary are rejected, naming both
        sizes. Catches: baselines of another run, scored as if they belonged to this one."""
        labels = torch.arange(len(LABEL_NAMES))
        encoded = tokenizer.encode_batch(TEXTS[: len(LABEL_NAMES)], MAX_LENGTH)
        size = tokenizer.vocab_size
        other_vocabulary = Baselines.fit(labels, len(LABEL_NAMES), encoded, size + 1)
        path = damaged_checkpoint(
            lambda payload: payload.update(baselines=other_vocabulary.state_dict())
        )
        with pytest.raises(
            CheckpointError, match=f"tokens of {size + 1} ids, the tokenizer has {size}"
        ):
            load_checkpoint(path)
        three_classes = Baselines.fit(labels % 3, 3, encoded, tokenizer.vocab_size)
        with pytest.raises(ValueError, match="baselines count 3 classes, for 4 labels"):
            save_tiny_checkpoint(tmp_path / "other.pt", model, tokenizer, baselines=three_classes)

    def test_vocabulary_size_must_match_the_embedding(self, damaged_checkpoint, tokenizer):
        """A tokenizer with one word fewer than the model embeds raises, giving both sizes.
        Catches: serving with another vocabulary, where every id means a different word."""
        path = damaged_checkpoint(lambda payload: payload["tokenizer"]["vocab"].pop())
        size = tokenizer.vocab_size
        with pytest.raises(CheckpointError, match=f"{size - 1} tokens, the model embeds {size}"):
            load_checkpoint(path)

    @pytest.mark.parametrize(
        ("max_length", "message"),
        [
            (0, "max_length must be a positive int, got 0"),
            (MAX_LENGTH + 1, f"exceeds the model's {MAX_LENGTH} positions"),
        ],
    )
    def test_max_length_must_fit_the_model(self, damaged_checkpoint, max_length, message):
        """A stored max_length below 1 or beyond the model's positions raises, naming both.
        Catches: a position-embedding index error on the first long request."""
        path = damaged_checkpoint(lambda payload: payload.update(max_length=max_length))
        with pytest.raises(CheckpointError, match=message):
            load_checkpoint(path)

    def test_save_refuses_parts_that_contradict_each_other(self, tmp_path, model, tokenizer):
        """Saving 3 label names for a 4-class model fails before writing anything.
        Catches: a checkpoint that saves fine and is only refused when serving starts."""
        path = tmp_path / "contradictory.pt"
        with pytest.raises(ValueError, match=r"cannot save checkpoint.*3 label names"):
            save_checkpoint(
                path, model=model, tokenizer=tokenizer, label_names=LABEL_NAMES[:3], max_length=8
            )
        assert not path.exists()

    def test_task_must_match_the_model(self, damaged_checkpoint):
        """A text model's checkpoint that claims to be tabular is refused, naming both.
        Catches: a predictor that trusts the task field and feeds rows to a text model."""
        path = damaged_checkpoint(lambda payload: payload.update(task="tabular"))
        with pytest.raises(CheckpointError, match="task 'tabular', but its model serves 'text'"):
            load_checkpoint(path)

    def test_label_names_must_be_unique(self, tmp_path, model, tokenizer):
        """Two classes with one name fail at save time. Catches: a confidence that is not the
        probability of the predicted label, because two classes share its key."""
        with pytest.raises(ValueError, match="label names must be unique"):
            save_checkpoint(
                tmp_path / "dup.pt",
                model=model,
                tokenizer=tokenizer,
                label_names=("a", "b", "a", "c"),
                max_length=8,
            )

    def test_unknown_format_version_is_rejected(self, damaged_checkpoint):
        """A checkpoint from a newer format version raises instead of being misread."""
        path = damaged_checkpoint(lambda payload: payload.update(format_version=99))
        with pytest.raises(CheckpointError, match="format version 99"):
            load_checkpoint(path)

    def test_bare_state_dict_is_not_a_checkpoint(self, tmp_path, model):
        """A file from torch.save(model.state_dict()) raises, listing what is missing.
        Catches: serving weights without the tokenizer and label names they need."""
        path = tmp_path / "weights_only.pt"
        torch.save(model.state_dict(), path)
        with pytest.raises(CheckpointError, match="missing key"):
            load_checkpoint(path)

    def test_directory_is_not_a_checkpoint(self, tmp_path):
        """A directory path raises CheckpointError saying it is a directory.
        Catches: an IsADirectoryError (or an empty message) when --model names a folder."""
        with pytest.raises(CheckpointError, match="is a directory, not a file"):
            load_checkpoint(tmp_path)

    def test_file_holding_something_else_is_not_a_checkpoint(self, tmp_path):
        """A tensor-only file that holds a list raises, naming what it holds.
        Catches: a TypeError from indexing a list by key names, far from the file name."""
        path = tmp_path / "list.pt"
        torch.save([torch.ones(1)], path)
        with pytest.raises(CheckpointError, match=r"list\.pt: holds a list, expected a dict"):
            load_checkpoint(path)

    def test_predictor_reports_a_bad_checkpoint_clearly(self, tmp_path):
        """Predictor surfaces the same CheckpointError, so callers handle one exception type."""
        with pytest.raises(CheckpointError, match=r"absent\.pt"):
            Predictor(tmp_path / "absent.pt")


class TestPrediction:
    def test_single_prediction_has_label_confidence_and_probabilities(self, predictor):
        """predict returns a known label and a confidence in [0, 1].
        Catches: a changed result schema or a confidence that is not a probability."""
        result = predictor.predict("where is my parcel ?")
        assert set(result) == {"label", "confidence", "probabilities"}
        assert result["label"] in LABEL_NAMES
        assert 0.0 <= result["confidence"] <= 1.0

    def test_probabilities_cover_every_class_and_sum_to_one(self, predictor):
        """Every class gets a probability in [0, 1] and they sum to 1 (tolerance 1e-5).
        Catches: raw logits or unnormalised scores returned as probabilities."""
        for result in predictor.predict_batch(TEXTS):
            assert set(result["probabilities"]) == set(LABEL_NAMES)
            assert all(0.0 <= p <= 1.0 for p in result["probabilities"].values())
            assert sum(result["probabilities"].values()) == pytest.approx(1.0, abs=1e-5)

    def test_confidence_is_the_probability_of_the_predicted_label(self, predictor):
        """confidence equals the label's probability, which is the largest one.
        Catches: a confidence that is a logit, or a label that is not the argmax."""
        for result in predictor.predict_batch(TEXTS):
            assert result["confidence"] == result["probabilities"][result["label"]]
            assert result["confidence"] == max(result["probabilities"].values())

    def test_result_is_plain_json(self, predictor):
        """Results contain only Python str/float, so they serialise to JSON as is.
        Catches: tensors or numpy floats leaking into a serving response."""
        result = predictor.predict(TEXTS[0])
        assert json.loads(json.dumps(result)) == result


class TestInputValidation:
    @pytest.mark.parametrize("text", ["", " ", "\t\n  \r"])
    def test_empty_or_blank_input_raises(self, predictor, text):
        """Empty or whitespace-only text raises ValueError("Input cannot be empty").
        Catches: scoring an all-padding sequence and returning a meaningless label."""
        with pytest.raises(ValueError, match="Input cannot be empty"):
            predictor.predict(text)

    @pytest.mark.parametrize("text", [None, 42, b"where is my parcel", ["a", "list"]])
    def test_non_string_input_raises_type_error(self, predictor, text):
        """A non-string raises TypeError naming the type that came.
        Catches: bytes or lists silently str()-ed into nonsense tokens."""
        with pytest.raises(TypeError, match=type(text).__name__):
            predictor.predict(text)

    def test_one_blank_text_in_a_batch_is_named(self, predictor):
        """A blank text inside a batch raises, naming its position."""
        with pytest.raises(ValueError, match=r"Input cannot be empty.*text 2"):
            predictor.predict_batch([TEXTS[0], TEXTS[1], "   "])

    def test_non_finite_logits_are_an_error_not_a_prediction(self, damaged_checkpoint):
        """Finite but huge weights (1e38) overflow to NaN: predict raises ValueError instead of
        returning a label with confidence NaN. Catches serving garbage with a straight face."""
        path = damaged_checkpoint(
            lambda payload: [
                tensor.fill_(1e38)
                for tensor in payload["model_state"].values()
                if tensor.is_floating_point()
            ],
        )
        with pytest.raises(ValueError, match="NaN or infinity"):
            Predictor(path).predict(TEXTS[0])

    def test_an_enormous_batch_size_is_run_in_bounded_chunks(self, own_predictor):
        """batch_size=10**9 on 1,100 texts runs forward passes of at most MAX_BATCH_SIZE
        examples. Catches: one forward pass over everything, whose memory grows with N."""
        sizes = []
        own_predictor.model.register_forward_hook(
            lambda module, inputs, output: sizes.append(output.shape[0])
        )
        own_predictor.predict_batch(TEXTS * 184, batch_size=10**9)
        assert sum(sizes) == len(TEXTS) * 184
        assert max(sizes) <= MAX_BATCH_SIZE

    def test_a_string_is_not_a_batch(self, predictor):
        """predict_batch("text") raises TypeError.
        Catches: iterating over the characters and predicting each letter."""
        with pytest.raises(TypeError, match="sequence of str, got str"):
            predictor.predict_batch("where is my parcel ?")

    @pytest.mark.parametrize("batch_size", [0, -1, 2.5])
    def test_batch_size_must_be_positive(self, predictor, batch_size):
        """A batch size below 1 or not an int raises ValueError naming it."""
        with pytest.raises(ValueError, match="batch_size"):
            predictor.predict_batch(TEXTS, batch_size=batch_size)

    def test_very_long_input_is_truncated_not_rejected(self, predictor):
        """A 10,000-word text is predicted from its first max_length tokens.
        Catches: errors on long input, or truncation that keeps the wrong end."""
        words = " ".join(TEXTS).split()
        long_text = " ".join(words[index % len(words)] for index in range(10_000))
        head = " ".join(long_text.split()[:MAX_LENGTH])
        result = predictor.predict(long_text)
        assert probabilities_of(result) == pytest.approx(probabilities_of(predictor.predict(head)))


class TestBatchPrediction:
    def test_batch_matches_one_by_one(self, predictor):
        """predict_batch gives each text the result predict gives it alone (tolerance 1e-6).
        Catches: padding or batch statistics leaking between the texts of a batch."""
        batch = predictor.predict_batch(TEXTS)
        for text, result in zip(TEXTS, batch, strict=True):
            single = predictor.predict(text)
            assert result["label"] == single["label"]
            assert probabilities_of(result) == pytest.approx(probabilities_of(single), abs=1e-6)

    @pytest.mark.parametrize("batch_size", [1, 2, 4, 64])
    def test_order_is_preserved_for_any_batch_size(self, predictor, batch_size):
        """Result i belongs to text i, however the texts are split into batches.
        Catches: chunks concatenated in the wrong order, or the last partial batch dropped."""
        expected = [predictor.predict(text) for text in TEXTS]
        results = predictor.predict_batch(TEXTS, batch_size=batch_size)
        assert [r["label"] for r in results] == [e["label"] for e in expected]
        for result, single in zip(results, expected, strict=True):
            assert probabilities_of(result) == pytest.approx(probabilities_of(single), abs=1e-6)

    @pytest.mark.parametrize("shuffle_seed", [0, 1, 2])
    def test_shuffling_the_inputs_shuffles_the_results_the_same_way(self, predictor, shuffle_seed):
        """Predicting a permutation of the texts gives the same permutation of the results.
        Catches: results sorted (e.g. by length) and returned without restoring input order."""
        order = list(range(len(TEXTS)))
        random.Random(shuffle_seed).shuffle(order)
        reference = predictor.predict_batch(TEXTS)
        shuffled = predictor.predict_batch([TEXTS[i] for i in order], batch_size=4)
        for position, index in enumerate(order):
            assert shuffled[position]["label"] == reference[index]["label"]
            assert probabilities_of(shuffled[position]) == pytest.approx(
                probabilities_of(reference[index]), abs=1e-6
            )

    def test_neighbours_in_the_batch_do_not_change_a_prediction(self, predictor):
        """A text's result is the same next to a one-word text or a max-length one.
        Catches: attention or pooling that is not masked, so padding amounts matter."""
        text = TEXTS[1]
        short_neighbour = "parcel"
        long_neighbour = " ".join(["parcel"] * (MAX_LENGTH * 3))
        alone = predictor.predict(text)
        for neighbours in ([short_neighbour], [long_neighbour], [long_neighbour, short_neighbour]):
            result = predictor.predict_batch([*neighbours, text])[-1]
            assert probabilities_of(result) == pytest.approx(probabilities_of(alone), abs=1e-6)

    def test_empty_batch_gives_no_results(self, predictor):
        assert predictor.predict_batch([]) == []


def _fullwidth(text: str) -> str:
    """ASCII letters as their full-width Unicode forms (U+FF21 for "A"); NFKC maps them back."""
    return "".join(chr(ord(c) + 0xFEE0) if c.isascii() and c.isalpha() else c for c in text)


class TestInvariances:
    @pytest.mark.parametrize(
        "variant",
        [
            str.upper,
            str.title,
            lambda text: f"  \t{text}\n ",
            lambda text: text.replace(" ", "   "),
            lambda text: text.replace(" ", "\t"),
            _fullwidth,
        ],
        ids=["upper", "title", "surrounding-space", "extra-spaces", "tabs", "fullwidth"],
    )
    def test_normalisation_preserving_edits_do_not_change_the_prediction(self, predictor, variant):
        """Case, Unicode width and whitespace, which training normalises away, change nothing.
        Catches: a predictor that tokenises raw text and maps "Parcel" to the unknown token."""
        for text in TEXTS:
            original, edited = predictor.predict(text), predictor.predict(variant(text))
            assert edited["label"] == original["label"]
            assert probabilities_of(edited) == pytest.approx(probabilities_of(original))


class TestTrainServeParity:
    MESSY_TEXTS = (
        "  WHERE is my Parcel?",
        f"The {_fullwidth('APP')} crashes\tevery time",
        "great  SERVICE!",
    )

    def test_predictor_encodes_like_the_training_dataset(self, tmp_path):
        """The Predictor turns a raw text into exactly the ids the training TextDataset made.
        Catches: a serving path that skips or re-implements the text normalisation."""
        dataset = TextDataset([*TEXTS, *self.MESSY_TEXTS], max_length=MAX_LENGTH)
        model = tiny_model(dataset.tokenizer)
        path = save_tiny_checkpoint(tmp_path / "parity.pt", model, dataset.tokenizer)
        encoded = Predictor(path).encode(self.MESSY_TEXTS)
        for row, index in enumerate(range(len(TEXTS), len(dataset))):
            assert encoded["input_ids"][row].equal(dataset[index]["input_ids"])
            assert encoded["attention_mask"][row].equal(dataset[index]["attention_mask"])

    def test_predictor_predicts_like_the_model_on_training_inputs(self, predictor, model):
        """For raw messy text, the Predictor's probabilities equal the model's on the
        TextDataset item of that text. Catches: any train/serve preprocessing skew."""
        dataset = TextDataset(
            self.MESSY_TEXTS, max_length=MAX_LENGTH, tokenizer=predictor.tokenizer
        )
        for index, text in enumerate(self.MESSY_TEXTS):
            item = dataset[index]
            with torch.no_grad():
                logits = model(item["input_ids"][None], item["attention_mask"][None])
            expected = torch.softmax(logits, dim=-1)[0].tolist()
            assert probabilities_of(predictor.predict(text)) == pytest.approx(expected, abs=1e-6)

    def test_trained_checkpoint_preprocesses_like_training(self, trained_checkpoint):
        """The default pipeline's checkpoint turns the default data's test inputs into exactly
        the model inputs training built for them, text or tabular. Catches: a tokenizer or
        normaliser refitted on other data than the training split."""
        data = load_data(DEFAULT_DATA)
        predictor = Predictor(trained_checkpoint)
        preprocessing = fit_preprocessing(data, TrainConfig(), log=None)
        test = data.splits["test"]
        dataset = preprocessing.dataset(test, data.labels("test"), len(data.label_names))
        served = predictor.encode(test.inputs)
        for index in range(len(test)):
            for name, value in served.items():
                assert torch.equal(value[index], dataset[index][name]), (index, name)


class TestServingMode:
    def test_model_is_in_eval_mode_with_gradients_off(self, predictor):
        """Every submodule is in eval mode and no parameter requires a gradient.
        Catches: dropout active at serving time, or a model left trainable."""
        assert not any(module.training for module in predictor.model.modules())
        assert not any(parameter.requires_grad for parameter in predictor.model.parameters())

    def test_repeated_predictions_are_identical(self, predictor):
        """The same text predicted twice gives bit-identical probabilities.
        Catches: dropout (train mode) making serving non-deterministic."""
        assert predictor.predict(TEXTS[2]) == predictor.predict(TEXTS[2])

    def test_forward_runs_in_inference_mode(self, own_predictor):
        """The model's forward pass runs under torch.inference_mode, and grad mode is left
        as it was. Catches: autograd graphs built (memory, time) for every request."""
        seen = []
        own_predictor.model.register_forward_hook(
            lambda module, inputs, output: seen.append(torch.is_inference_mode_enabled())
        )
        own_predictor.predict(TEXTS[0])
        assert seen == [True]
        assert torch.is_grad_enabled()

    def test_device_argument_is_honoured(self, saved_checkpoint):
        """Predictor(device=...) puts the model on that device; None means the CPU."""
        assert Predictor(saved_checkpoint).device == torch.device("cpu")
        explicit = Predictor(saved_checkpoint, device=torch.device("cpu"))
        assert {p.device for p in explicit.model.parameters()} == {torch.device("cpu")}

    @pytest.mark.gpu
    def test_gpu_predictions_match_cpu(self, saved_checkpoint):
        """On CUDA the predictor gives the CPU's labels and probabilities (tolerance 1e-4).
        Catches: inputs left on the CPU, or outputs not moved back before .tolist()."""
        on_gpu_predictor = Predictor(saved_checkpoint, device="cuda")
        assert {p.device.type for p in on_gpu_predictor.model.parameters()} == {"cuda"}
        cpu = Predictor(saved_checkpoint).predict_batch(TEXTS)
        gpu = on_gpu_predictor.predict_batch(TEXTS)
        for on_cpu, on_gpu in zip(cpu, gpu, strict=True):
            assert on_gpu["label"] == on_cpu["label"]
            assert probabilities_of(on_gpu) == pytest.approx(probabilities_of(on_cpu), abs=1e-4)


def flip_bit_inside_entry(path: Path, entry: str, bit: int) -> None:
    """Flip one bit in the middle of a zip entry's stored bytes, as a bad disk or copy would."""
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(entry)
    data = bytearray(path.read_bytes())
    name_length, extra_length = struct.unpack("<HH", data[info.header_offset + 26 :][:4])
    start = info.header_offset + 30 + name_length + extra_length  # after the local header
    data[start + info.file_size // 2] ^= 1 << bit
    path.write_bytes(bytes(data))


def largest_tensor_entry(path: Path) -> str:
    with zipfile.ZipFile(path) as archive:
        return max(archive.infolist(), key=lambda info: info.file_size).filename


class TestUntrustedCheckpointFiles:
    def test_concurrent_saves_leave_one_writers_complete_checkpoint(self, tmp_path, tokenizer):
        """Four threads saving different models to one path at once leave exactly one
        file, holding one writer's weights entire. Catches a temporary name shared by all
        saves, where one writer renames the other's half-written file (or finds it gone)."""
        models = []
        for seed in range(4):
            torch.manual_seed(seed)
            models.append(tiny_model(tokenizer))
        path = tmp_path / "model.pt"
        start = threading.Barrier(len(models))

        def save(model):
            start.wait()
            for _ in range(3):
                save_tiny_checkpoint(path, model, tokenizer)

        with ThreadPoolExecutor(len(models)) as pool:
            list(pool.map(save, models))  # re-raises any writer's exception
        assert [p.name for p in tmp_path.iterdir()] == ["model.pt"]
        saved = load_checkpoint(path)["model"].state_dict()
        assert any(
            all(torch.equal(saved[name], weights) for name, weights in m.state_dict().items())
            for m in models
        )

    def test_saved_file_has_the_permissions_of_any_new_file(self, tmp_path, model, tokenizer):
        """The checkpoint is as readable as a file written the ordinary way. Catches a
        temporary file made owner-only (tempfile's 0o600) that the rename then keeps."""
        # Saved here, not copied from saved_checkpoint: a copy has ordinary permissions anyway.
        checkpoint_path = save_tiny_checkpoint(tmp_path / "model.pt", model, tokenizer)
        ordinary = checkpoint_path.with_name("ordinary")
        ordinary.write_bytes(b"")
        assert checkpoint_path.stat().st_mode == ordinary.stat().st_mode

    @pytest.mark.parametrize("bit", [0, 7])
    def test_a_flipped_bit_in_the_weights_is_refused(self, checkpoint_path, bit):
        """One flipped bit inside the stored weights fails the zip's CRC check, named in one
        line. Catches loading a damaged file silently, with other weights than were saved."""
        entry = largest_tensor_entry(checkpoint_path)
        flip_bit_inside_entry(checkpoint_path, entry, bit)
        with pytest.raises(CheckpointError, match=rf"{entry}.* CRC") as refusal:
            load_checkpoint(checkpoint_path)
        assert "\n" not in str(refusal.value)

    @pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf")])
    def test_non_finite_weights_are_refused_naming_the_tensor(self, damaged_checkpoint, value):
        """A NaN or infinite weight is refused, naming its tensor. Catches serving a model
        whose every confidence is NaN (which is not even valid JSON)."""
        path = damaged_checkpoint(lambda payload: payload["model_state"]["head.bias"].fill_(value))
        with pytest.raises(CheckpointError, match=r"tensor head\.bias holds NaN or infinite"):
            load_checkpoint(path)

    def test_a_compressed_entry_is_refused(self, checkpoint_path):
        """An archive whose entries are deflated is refused before anything inflates. Catches
        a 1 MB file that unpacks to gigabytes: torch.save never compresses, so it is crafted."""
        with zipfile.ZipFile(checkpoint_path) as archive:
            entries = [(info, archive.read(info)) for info in archive.infolist()]
        with zipfile.ZipFile(checkpoint_path, "w", zipfile.ZIP_DEFLATED) as archive:
            for info, data in entries:
                archive.writestr(info.filename, data)
        with pytest.raises(CheckpointError, match="is compressed"):
            load_checkpoint(checkpoint_path)

    @pytest.mark.parametrize(
        ("edit", "message"),
        [
            ({"max_length": 10**9}, r"size mismatch for position_embedding"),
            ({"vocab_size": 10**9}, r"size mismatch for token_embedding"),
            ({"num_layers": 10**5}, r"num_layers 100000 exceeds the 64"),
        ],
    )
    def test_a_config_larger_than_its_weights_is_refused_before_building(
        self, damaged_checkpoint, edit, message
    ):
        """A config declaring a billion positions or words, or 100,000 layers, over a few
        KB of weights is refused in milliseconds. Catches building the model before comparing
        its sizes with the file: a small file then costs gigabytes and minutes."""
        path = damaged_checkpoint(lambda payload: payload["model_config"].update(edit))
        with pytest.raises(CheckpointError, match=message):
            load_checkpoint(path)

    @pytest.mark.parametrize(
        "edit",
        [
            {"format_version": torch.tensor(2)},
            {"label_names": [["question"], ["complaint"], ["praise"], ["other"]]},
            {"label_names": torch.arange(4)},
            {"max_length": "12"},
            {"task": ["text"]},
            {"model_config": {"name": "transformer", "dropout": torch.tensor(0.1)}},
        ],
        ids=lambda edit: next(iter(edit)),
    )
    def test_fields_of_the_wrong_type_are_refused_in_one_line(self, damaged_checkpoint, edit):
        """A field of the wrong type gives one CheckpointError line naming the field.
        Catches a TypeError or RuntimeError traceback from deep inside loading."""
        path = damaged_checkpoint(lambda payload: payload.update(edit))
        with pytest.raises(CheckpointError, match=next(iter(edit)).replace("_", ".")) as refusal:
            load_checkpoint(path)
        assert "\n" not in str(refusal.value)

    @pytest.mark.parametrize(
        ("edit", "message"),
        [
            ({"dropout": float("nan")}, "dropout must be a finite number"),
            ({"num_heads": 0}, "cannot build"),
        ],
    )
    def test_config_values_that_cannot_build_a_model_are_refused(
        self, damaged_checkpoint, edit, message
    ):
        """dropout=nan or num_heads=0 is refused with one line. Catches the ZeroDivisionError
        or ValueError traceback the model's constructor raises."""
        path = damaged_checkpoint(lambda payload: payload["model_config"].update(edit))
        with pytest.raises(CheckpointError, match=message):
            load_checkpoint(path)

    def test_shared_lists_of_2_to_the_40_leaves_are_refused_at_once(self, damaged_checkpoint):
        """label_names made of a list shared 4 ways 20 levels deep (2**40 leaves in a few
        hundred bytes: pickle stores a repeated list as a reference) are refused in one
        line. Catches a walk, comparison or repr of the labels that never ends."""
        bomb: list[object] = ["a"]
        for _ in range(20):
            bomb = [bomb] * 4
        path = damaged_checkpoint(lambda payload: payload.update(label_names=bomb))
        with pytest.raises(CheckpointError, match=r"holds more than \d+ values") as refusal:
            load_checkpoint(path)
        assert len(str(refusal.value)) < 300

    def test_data_nested_deeper_than_the_limit_is_refused(self, damaged_checkpoint):
        """label_names nested 200 lists deep are refused in one line, not a RecursionError
        from whatever walks them. Catches a recursive check (a crafted pickle nests 20,000
        deep without recursing, since the unpickler is iterative)."""
        deep: list[object] = ["a"]
        for _ in range(200):
            deep = [deep]
        path = damaged_checkpoint(lambda payload: payload.update(label_names=deep))
        with pytest.raises(CheckpointError, match=r"nests data more than \d+ levels deep"):
            load_checkpoint(path)

    def test_an_integer_of_hundreds_of_digits_is_refused(self, damaged_checkpoint):
        """A 400-digit hidden_size is refused, naming its width in bits. Catches arithmetic
        or printing on an integer no real config holds (str() of it is refused by Python)."""
        path = damaged_checkpoint(
            lambda payload: payload["model_config"].update(hidden_size=10**400)
        )
        with pytest.raises(CheckpointError, match=r"an integer of \d+ bits"):
            load_checkpoint(path)

    def test_a_stride_zero_view_is_refused(self, damaged_checkpoint):
        """A weight saved as a stride-0 view of one float (the shape the config wants, one
        number of storage) is refused. Catches a file of kilobytes that loads as a model of
        gigabytes: the view passes every shape check and load_state_dict copies it out."""

        def expand(payload):
            weight = payload["model_state"]["token_embedding.weight"]
            payload["model_state"]["token_embedding.weight"] = torch.zeros(1).expand_as(weight)

        path = damaged_checkpoint(expand)
        with pytest.raises(CheckpointError, match=r"viewing \d+ bytes of storage"):
            load_checkpoint(path)

    def test_tensors_claiming_more_bytes_than_the_file_are_refused(self, damaged_checkpoint):
        """A thousand references to one weight (each a few bytes in the pickle) are
        refused: the tensors together claim more bytes than the file has. Catches a
        budget counted per tensor object only."""

        def repeat(payload):
            weight = payload["model_state"]["token_embedding.weight"]
            payload["padding"] = [weight] * 1000

        path = damaged_checkpoint(repeat)
        with pytest.raises(CheckpointError, match=r"its tensors claim \d+ bytes"):
            load_checkpoint(path)

    @pytest.mark.parametrize("layout", ["sparse", "meta"])
    # torch >= 2.14 warns that weights_only loading scans a sparse tensor's invariants; the
    # property here is what load_checkpoint does with it once loaded.
    @pytest.mark.filterwarnings("ignore:Validating sparse tensor invariants:UserWarning")
    def test_weights_that_are_not_dense_cpu_tensors_are_refused(self, damaged_checkpoint, layout):
        """A sparse or meta-device weight is refused in one line. Catches the RuntimeError
        load_state_dict raises on them, deep in the model."""

        def replace_weight(payload):
            weight = payload["model_state"]["head.weight"]
            swapped = weight.to_sparse() if layout == "sparse" else weight.to("meta")
            payload["model_state"]["head.weight"] = swapped

        path = damaged_checkpoint(replace_weight)
        with pytest.raises(CheckpointError, match="a checkpoint holds dense CPU tensors"):
            load_checkpoint(path)

    @pytest.mark.parametrize("source", [["path"], "data.csv", {"path": [1]}])
    def test_a_data_source_of_the_wrong_type_is_refused(self, damaged_checkpoint, source):
        """data_source as a list, a string or a record holding a list is refused naming the
        field. Catches a TypeError when evaluate reads it to rebuild the test split."""
        path = damaged_checkpoint(lambda payload: payload.update(data_source=source))
        with pytest.raises(CheckpointError, match="data_source must be") as refusal:
            load_checkpoint(path)
        assert "\n" not in str(refusal.value)

    def test_a_max_length_beyond_the_limit_is_refused_for_a_model_without_positions(
        self, tmp_path, trained_checkpoint
    ):
        """A bag-of-n-grams checkpoint (no position table to compare with) declaring
        max_length 3e7 is refused. Catches encoding every text to 30 million ids at
        serving: 5 GB for one batch, then a traceback."""
        contents = torch.load(trained_checkpoint, weights_only=True)
        path = save_edited(
            contents, lambda payload: payload.update(max_length=30_000_000), tmp_path / "model.pt"
        )
        with pytest.raises(CheckpointError, match=r"max_length 30000000 exceeds the \d+"):
            load_checkpoint(path)

    def test_a_fifo_is_refused_without_waiting_for_a_writer(self, tmp_path):
        """A named pipe given as the model is refused at once. Catches opening it for
        reading, which blocks until something writes to it: forever, from the command line."""
        fifo = tmp_path / "model.pt"
        os.mkfifo(fifo)
        with pytest.raises(CheckpointError, match="not a regular file"):
            load_checkpoint(fifo)

    def test_random_bytes_are_called_corrupt_not_dangerous(self, tmp_path):
        """Random bytes are "not a checkpoint", not "objects that could run code". Catches
        a message that sends the user hunting for malware in a damaged download."""
        path = tmp_path / "noise.pt"
        path.write_bytes(random.Random(0).randbytes(4096))
        with pytest.raises(CheckpointError, match=r"noise\.pt: not a checkpoint") as refusal:
            load_checkpoint(path)
        assert "run code" not in str(refusal.value)
