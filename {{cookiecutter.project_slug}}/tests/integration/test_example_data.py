"""The bundled example data, and what the default model learns from it.

Everything in this module is about the example sentences that ship with the template, and
nothing else in the suite depends on them being the default data. When you point
`DEFAULT_DATA` (task.py) at your own data, delete this module and rebuild the golden
baseline (`pytest tests/regression --update-golden`, see tests/regression): the rest of the
suite tests the machinery, whatever the data.
"""

import json

import pytest
import torch

from {{ cookiecutter.module_name }}.cli import main
from {{ cookiecutter.module_name }}.data import (
    LABEL_NAMES,
    UNK_ID,
    build_tokenizer,
    bundled_table,
    examples_from_table,
    make_example_texts,
    split_examples,
)
from {{ cookiecutter.module_name }}.inference import Predictor
from {{ cookiecutter.module_name }}.task import (
    DEFAULT_DATA,
    DataSpec,
    load_data,
    recorded_test_split,
    score,
    train_classifier,
)
from {{ cookiecutter.module_name }}.training import TrainConfig

# One unambiguous word per topic of the example data, for label-semantics checks.
# Expected calibration error the default model must stay under on the bundled test split:
# the reference article's example bound. Measured: 0.003 to 0.004 over seeds 0, 1 and 2.
ECE_BOUND = 0.1
ANCHOR_WORDS = [("striker", "sports"), ("laptop", "technology"), ("chef", "food")]


@pytest.fixture(scope="module")
def splits():
    """The bundled data's default split, computed once: pure and only read."""
    return load_data(DataSpec()).splits


@pytest.fixture(scope="module")
def default_texts() -> tuple[tuple[str, ...], tuple[int, ...]]:
    """make_example_texts() with its defaults, computed once (about 10 ms a call): a pure
    function's result, as tuples so that no test can change it for the next."""
    texts, labels = make_example_texts()
    return tuple(texts), tuple(labels)


def test_the_bundled_data_is_the_default():
    """This module's premise: DEFAULT_DATA is the bundled example. Delete the module when
    you change that (see the module docstring)."""
    assert DEFAULT_DATA.path is None


class TestMakeExampleTexts:
    def test_is_deterministic(self):
        """Same arguments, same texts in the same order. Catches use of an unseeded RNG or
        of Python's per-process string hash, which breaks golden tests across machines."""
        assert make_example_texts(seed=3) == make_example_texts(seed=3)

    def test_seed_changes_the_sample(self):
        """Another seed draws other sentences. Catches a seed that is accepted but ignored."""
        assert make_example_texts(seed=0)[0] != make_example_texts(seed=1)[0]

    def test_sentences_are_distinct(self, default_texts):
        """No sentence appears twice. Catches duplicates, which could later sit in both
        train and test and inflate test accuracy."""
        texts, _ = default_texts
        assert len(set(texts)) == len(texts)

    @pytest.mark.parametrize("num_per_class", [1, 10, 120])
    def test_classes_are_balanced_and_interleaved(self, num_per_class):
        """Each class has num_per_class examples, ordered 0, 1, 2, 0, ... Catches a
        class-sorted list, whose prefixes (e.g. a quick subset) hold one class only."""
        _, labels = make_example_texts(num_per_class=num_per_class)
        assert labels == list(range(len(LABEL_NAMES))) * num_per_class

    def test_sentences_read_like_sentences(self):
        """Sentences start with a capital, end with a period and have single spaces.
        Catches an empty optional phrase leaving double or leading spaces."""
        texts, _ = make_example_texts(num_per_class=30)
        for text in texts:
            assert text[0].isupper()
            assert text.endswith(".")
            assert "  " not in text

    @pytest.mark.parametrize(("word", "label_name"), ANCHOR_WORDS)
    def test_labels_mean_their_label_names(self, word, label_name, default_texts):
        """Every sentence with an unambiguous topic word carries that topic's label. Catches
        labels permuted against LABEL_NAMES, which trains fine but predicts "food" for
        football. (Update the anchors if you rewrite the phrase lists.)"""
        texts, labels = default_texts
        labels_with_word = {LABEL_NAMES[y] for t, y in zip(texts, labels, strict=True) if word in t}
        assert labels_with_word == {label_name}

    def test_rejects_more_examples_than_can_be_generated(self):
        """Asking for too many examples fails, naming the limit. Catches silently
        returning fewer (or duplicated) sentences."""
        with pytest.raises(ValueError, match="num_per_class must be between 1 and"):
            make_example_texts(num_per_class=10**6)


class TestBundledTable:
    def test_reads_like_a_csv_with_sorted_label_names(self):
        """The bundled sentences are a text/label table whose label names, sorted as every
        table's are, are LABEL_NAMES. Catches: class indices that differ between the
        bundled data and the same rows exported to CSV."""
        examples = examples_from_table(bundled_table())
        assert examples.task == "text"
        assert load_data(DataSpec()).label_names == LABEL_NAMES

    def test_every_split_holds_every_class_equally(self, splits):
        """120 sentences per class split 84/18/18 in every class."""
        for name, size in (("train", 84), ("validation", 18), ("test", 18)):
            counts = torch.tensor([splits[name].labels.count(label) for label in LABEL_NAMES])
            assert counts.tolist() == [size] * len(LABEL_NAMES), name

    def test_test_split_is_learnable_from_train(self, splits):
        """A per-word label vote learned on train scores >= 95% on test. Catches randomly
        shuffled labels (about 33%) or test sentences built from phrases train never saw."""
        tokenize = build_tokenizer(splits["train"].inputs).tokenize
        votes: dict[str, torch.Tensor] = {}
        for text, label in zip(splits["train"].inputs, splits["train"].labels, strict=True):
            for word in set(tokenize(text)):
                votes.setdefault(word, torch.zeros(len(LABEL_NAMES)))[LABEL_NAMES.index(label)] += 1
        correct = 0
        for text, label in zip(splits["test"].inputs, splits["test"].labels, strict=True):
            scores = sum(votes[word] / votes[word].sum() for word in set(tokenize(text)))
            correct += LABEL_NAMES[int(scores.argmax())] == label
        assert correct / len(splits["test"]) >= 0.95

    def test_test_words_are_in_the_training_vocabulary(self, splits):
        """Every test word was seen in training, so a model is graded on what it could
        learn. Catches a split that puts all sentences with some phrase into test."""
        tokenizer = build_tokenizer(splits["train"].inputs)
        encoded = tokenizer.encode_batch(splits["test"].inputs, max_length=32)
        assert (encoded["input_ids"] != UNK_ID).all()

    def test_another_seed_gives_another_test_set(self):
        """split_seed reaches the bundled data too. Catches a bundled path that ignores it."""
        examples = examples_from_table(bundled_table())
        assert split_examples(examples, seed=1)["test"] != split_examples(examples, seed=0)["test"]


class TestExampleModel:
    def test_trained_model_classifies_the_held_out_test_split(self, trained_checkpoint, splits):
        """After the default training run, at least 90 % of the bundled test split is right.
        Catches: a checkpoint saved before training, or a predictor with shuffled labels."""
        predictor = Predictor(trained_checkpoint)
        results = predictor.predict_batch(splits["test"].inputs)
        correct = sum(
            result["label"] == label
            for result, label in zip(results, splits["test"].labels, strict=True)
        )
        assert correct / len(splits["test"]) >= 0.9

    def test_evaluate_scores_the_bundled_test_split(self, trained_checkpoint, capsys):
        """`evaluate` without --data scores the 54 bundled test sentences."""
        assert main(["evaluate", "--model", str(trained_checkpoint)]) == 0
        metrics = json.loads(capsys.readouterr().out)
        assert (metrics["split"], metrics["examples"]) == ("test", 54)

    @pytest.mark.slow
    def test_default_config_reaches_95_percent_validation_accuracy(self):
        """The default TrainConfig reaches >= 95 % validation accuracy on the bundled data,
        so the CLI's model is usable. Catches any regression that slows learning: a broken
        schedule, a weak default, padding that leaks into the prediction."""
        trained = train_classifier(TrainConfig(), log=None)
        assert trained.history[trained.best_epoch - 1]["val_accuracy"] >= 0.95  # the kept epoch

    @pytest.mark.slow
    @pytest.mark.parametrize("seed", [0, 1, 2])
    def test_default_model_is_calibrated_on_the_test_split(self, tmp_path, seed):
        """With seeds 0, 1 and 2 the default model's ECE (15 bins) on the bundled test split
        is below ECE_BOUND: its confidence can be read as a probability of being right.
        Catches an over- or underconfident default, e.g. a learning rate too small for the
        model to grow confident in 8 epochs (ECE 0.3 at lr 0.005)."""
        path = tmp_path / "model.pt"
        train_classifier(TrainConfig(seed=seed), DEFAULT_DATA, path, log=None)
        predictor = Predictor(path)
        assert score(predictor, recorded_test_split(predictor))["ece"] < ECE_BOUND

    @pytest.mark.slow
    def test_train_evaluate_predict(self, tmp_path, capsys):
        """train writes a checkpoint that evaluate scores >= 90 % on the test split and
        predict uses. Catches: a pipeline whose parts work alone but not together."""
        checkpoint = tmp_path / "model.pt"
        assert main(["train", "--out", str(checkpoint), "--seed", "0"]) == 0
        assert "val_accuracy" in capsys.readouterr().err  # epoch lines are log records
        assert main(["evaluate", "--model", str(checkpoint)]) == 0
        assert json.loads(capsys.readouterr().out)["accuracy"] >= 0.9
        assert main(["predict", "--model", str(checkpoint), "The striker scored a goal"]) == 0
        assert json.loads(capsys.readouterr().out)["label"] == "sports"
