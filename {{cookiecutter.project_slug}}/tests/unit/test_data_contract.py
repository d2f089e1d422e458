"""The data contract: what every data source must give the training pipeline.

Each test runs on every entry of CONTRACT_DATA_SOURCES (tests/conftest.py): the bundled
example, the CSV and JSON Lines readers and the two image sources (class folders, a table
of image paths), each fed small files whose rows the test knows, and any loader you add
there; TestNumericLabels on every entry of
CONTRACT_REGRESSION_SOURCES, whose labels are numbers to regress. A loader that leaks test
rows into training, numbers its classes in its own order or pairs an input with its
neighbour's label still trains and reports fine numbers; these tests compare what it
returns with the rows it was fed. The pipeline built on each source (preprocessing,
augmentation, the training loader) is checked here too, since a source decides what the
training split is.
"""

import functools
import math
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest
import torch
from conftest import CONTRACT_REGRESSION_SOURCES, save_image
from torch import Tensor
from torch.utils.data import Dataset

from {{ cookiecutter.module_name }}.data import (
    SPLITS,
    Examples,
    ImageFile,
    Tokenizer,
    inspect_image,
    label_names,
)
from {{ cookiecutter.module_name }}.data.sources import Input, identity
from {{ cookiecutter.module_name }}.task import (
    Preprocessing,
    fit_preprocessing,
    load_data,
    spec_from_source,
    training_loaders,
)
from {{ cookiecutter.module_name }}.training import TrainConfig

# Strong augmentation, so that "changed" and "unchanged" are unmistakable; and none, so
# that every example can be recognised in a batch.
AUGMENTING = TrainConfig(token_dropout=0.5, feature_noise=0.5, crop_scale=0.5, flip=0.5)
PLAIN = TrainConfig(token_dropout=0.0, feature_noise=0.0)


@pytest.fixture(scope="module")
def loaded(load_source):
    """load_source, remembered: each (source, seed) is loaded once per module, then only read."""
    return functools.cache(load_source)


@pytest.fixture
def source(loaded, source_name):
    """The source under test, split with seed 0."""
    return loaded(source_name, 0)


@pytest.fixture(scope="module")
def fitted(loaded):
    """fit_preprocessing of each source (seed 0), remembered like ``loaded``: fitting an
    image source decodes its training images. Preprocessing is frozen, so tests share it."""

    def fit(source_name: str) -> Preprocessing:
        return fit_preprocessing(loaded(source_name, 0).data, PLAIN, log=None)

    return functools.cache(fit)


@pytest.fixture
def preprocessing(fitted, source_name) -> Preprocessing:
    """The tokenizer, normaliser or image preprocessing that training fits on the source."""
    return fitted(source_name)


def pairs(examples) -> list[tuple]:
    """(input, label) of every example, in order; fails unless the lists are index-aligned."""
    return list(zip(examples.inputs, examples.labels, strict=True))


def portable(examples) -> list[tuple]:
    """``pairs``, an image file named by its class folder, name and bytes rather than its
    path: the same files written to another folder are the same data."""
    return [
        ((Path(value.path).parent.name, Path(value.path).name, value.sha256), label)
        if isinstance(value, ImageFile)
        else (value, label)
        for value, label in pairs(examples)
    ]


def encoded(dataset: Dataset) -> list[Tensor]:
    """One pass over an encoded dataset: each example's token ids or feature row."""
    return [model_input(dataset[index]) for index in range(len(dataset))]


def model_input(item: dict[str, Tensor]) -> Tensor:
    """The token ids, feature row or image of an item (or a batch) of a dataset."""
    for key in ("input_ids", "features", "images"):
        if key in item:
            return item[key]
    raise KeyError(f"no model input among {sorted(item)}")


def unaugmented(source, preprocessing: Preprocessing, split: str) -> Dataset:
    data = source.data
    return preprocessing.dataset(data.splits[split], data.labels(split), len(data.label_names))


def share_equal(first: list[Tensor], second: list[Tensor]) -> float:
    """The share of positions where two passes hold equal tensors."""
    return sum(torch.equal(a, b) for a, b in zip(first, second, strict=True)) / len(first)


def seen_in_one_epoch(loader) -> list[tuple]:
    """(input, label) of every example the loader yields in one epoch, in order."""
    return [
        (tuple(row.flatten().tolist()), int(label))
        for batch in loader
        for row, label in zip(model_input(batch), batch["label"], strict=True)
    ]


class TestSplits:
    def test_no_input_is_in_two_splits(self, source):
        """No input (up to case and spacing) is in two splits. Catches: test or validation
        rows leaking into training, which inflates every score the model reports."""
        homes: dict[str, str] = {}
        for name, examples in source.data.splits.items():
            for index in range(len(examples)):
                key = identity(examples, index)
                assert homes.setdefault(key, name) == name, f"{key!r} in {homes[key]} and {name}"

    def test_the_splits_together_are_the_data(self, source):
        """Every input fed is in exactly one split, as often as it was fed. Catches: rows
        dropped by rounding or an off-by-one slice, and rows read twice."""
        split_inputs = Counter(
            value for split in source.data.splits.values() for value in split.inputs
        )
        assert split_inputs == Counter(value for value, _ in source.rows)

    def test_every_class_is_split_in_proportion(self, source):
        """Each split holds every class in the data's proportions, within one example.
        Catches: an unstratified split (say the file's last rows) that leaves a class out
        of validation, so its early stopping never sees it."""
        totals = Counter(label for _, label in source.rows)
        for name, examples in source.data.splits.items():
            counts = Counter(examples.labels)
            for label, total in totals.items():
                expected = total * len(examples) / len(source.rows)
                assert abs(counts[label] - expected) <= 1, (name, label, counts[label], expected)

    def test_the_same_seed_gives_the_same_split(self, source, source_name, load_source):
        """Loading the same rows again with the same seed gives the same splits. Catches: an
        unseeded shuffle, which makes every run's test set (and score) another."""
        again = load_source(source_name, 0)
        for name in SPLITS:
            assert portable(again.data.splits[name]) == portable(source.data.splits[name]), name

    def test_another_seed_gives_another_split(self, source, source_name, loaded):
        """Seed 1 puts other inputs into the test split than seed 0. Catches: a split_seed
        that is accepted but ignored, so "another split" is the same one."""
        other = loaded(source_name, 1).data.splits["test"]
        assert set(other.inputs) != set(source.data.splits["test"].inputs)


class TestExamples:
    def test_every_input_keeps_its_label(self, source):
        """Every (input, label) of every split is a row that was fed. Catches: labels shifted
        by one row or sorted apart from their inputs, which trains to chance level with no
        error anywhere."""
        fed = Counter(source.rows)
        for name, examples in source.data.splits.items():
            assert not Counter(pairs(examples)) - fed, name

    def test_classes_are_numbered_by_the_project_rule(self, source):
        """The label names are those of the rows, ordered as `label_names` orders them (as
        numbers when all are integers, else alphabetically). Catches: set order or order
        of appearance, which numbers the classes differently in another process, after a
        shuffle of the file or on a resumed run."""
        assert source.data.label_names == label_names([label for _, label in source.rows])

    def test_every_label_is_a_class_that_training_teaches(self, source):
        """Every split's labels are class indices in range, and every class has training
        examples. Catches: class names taken from one split only, which leaves a label
        without an index or a class that no training example teaches."""
        data = source.data
        for name in SPLITS:
            assert set(data.labels(name)) <= set(range(len(data.label_names))), name
        assert set(data.labels("train")) == set(range(len(data.label_names)))

    def test_every_input_is_one_the_model_can_take(self, source):
        """Texts have at least one token; feature rows have one finite number per feature
        name. Catches: a blank text trained on as an all-padding row, and rows of the wrong
        width or with NaN, which turn the weights into NaN after one step."""
        for examples in source.data.splits.values():
            assert examples.task == source.data.task
            for value in examples.inputs:
                if examples.task == "text":
                    assert isinstance(value, str), value
                    assert Tokenizer.tokenize(value), value
                elif examples.task == "image":
                    assert isinstance(value, ImageFile), value
                    assert value.width >= 1, value
                    assert value.height >= 1, value
                else:
                    assert len(value) == len(examples.feature_names) > 0, value
                    assert all(math.isfinite(number) for number in value), value

    def test_the_record_makes_the_same_splits_again(self, source_name, loaded):
        """The data record a checkpoint keeps loads back into the same splits, which is what
        `evaluate` scores; seed 1, as the default seed would hide a seed left out of the
        record. Catches: a record without the seed or the fractions, so the "test" score
        is on rows that were trained on."""
        data = loaded(source_name, 1).data
        again = load_data(spec_from_source(data.source))
        for name in SPLITS:
            assert pairs(again.splits[name]) == pairs(data.splits[name]), name


class TestPipeline:
    def test_preprocessing_is_fitted_on_the_training_split(self, source, preprocessing):
        """The vocabulary holds exactly the training texts' tokens; the normaliser holds the
        training rows' mean and std; the image statistics are the training images' channel
        mean and std. Catches: preprocessing fitted on a part of training, or on another
        split."""
        train = source.data.splits["train"]
        if preprocessing.image is not None:
            pixels = preprocessing.image.pixels(train.inputs).double() / 255
            mean = pixels.mean(dim=(0, 2, 3))
            std = pixels.std(dim=(0, 2, 3), correction=0)
            torch.testing.assert_close(torch.tensor(preprocessing.image.mean).double(), mean)
            torch.testing.assert_close(torch.tensor(preprocessing.image.std).double(), std)
        elif preprocessing.tokenizer is not None:
            tokens = {token for text in train.inputs for token in Tokenizer.tokenize(str(text))}
            assert set(preprocessing.tokenizer.vocab[2:]) == tokens
        else:
            assert preprocessing.normalizer is not None
            rows = torch.tensor(train.inputs)
            torch.testing.assert_close(preprocessing.normalizer.mean, rows.mean(dim=0))
            torch.testing.assert_close(preprocessing.normalizer.std, rows.std(dim=0, correction=0))

    def test_preprocessing_ignores_the_held_out_splits(self, source, preprocessing, tmp_path):
        """Held-out splits replaced by an input seen nowhere else (a made-up word, a row of
        1e6, a white image) leave the vocabulary, max_length, normaliser and image
        statistics as they were. Catches: validation or test data leaking into
        preprocessing, even when (as here) all their words also occur in training."""
        data, train = source.data, source.data.splits["train"]
        unseen: Input = "zyzzyva " * 3 if data.task == "text" else (1e6,) * len(train.feature_names)
        if data.task == "image":
            white = torch.full((12, 12), 255, dtype=torch.uint8)
            unseen = inspect_image(save_image(tmp_path / "white.png", white))
        held_out = Examples(
            data.task, [unseen], [train.labels[0]], ["nowhere:1"], train.feature_names
        )
        other = replace(data, splits={"train": train, "validation": held_out, "test": held_out})
        refitted = fit_preprocessing(other, PLAIN, log=None)
        if preprocessing.image is not None:
            assert refitted.image == preprocessing.image
        elif preprocessing.tokenizer is not None:
            assert refitted.tokenizer is not None
            assert refitted.tokenizer.vocab == preprocessing.tokenizer.vocab
            assert refitted.max_length == preprocessing.max_length
        else:
            assert preprocessing.normalizer is not None
            assert refitted.normalizer is not None
            assert torch.equal(refitted.normalizer.mean, preprocessing.normalizer.mean)
            assert torch.equal(refitted.normalizer.std, preprocessing.normalizer.std)

    def test_encoded_inputs_fit_the_model(self, source, preprocessing):
        """Every split encodes to ids in the vocabulary's range, max_length of them, to
        finite rows of the feature width, or to finite images of the saved channels and
        size, with the split's labels. Catches: an id beyond the embedding, a length or
        image size other than the one saved for serving, labels out of order."""
        for name in SPLITS:
            if not source.data.splits[name]:
                continue
            dataset = unaugmented(source, preprocessing, name)
            inputs = torch.stack(encoded(dataset))
            if preprocessing.image is not None:
                image = preprocessing.image
                assert inputs.shape[1:] == (image.num_channels, image.size, image.size)
                assert torch.isfinite(inputs).all()
            elif preprocessing.tokenizer is not None:
                assert inputs.shape[1] == preprocessing.max_length
                assert inputs.min() >= 0
                assert inputs.max() < preprocessing.tokenizer.vocab_size
            else:
                assert inputs.shape[1] == len(preprocessing.feature_names or ())
                assert torch.isfinite(inputs).all()
            labels = [int(dataset[index]["label"]) for index in range(len(dataset))]
            assert labels == source.data.labels(name), name

    def test_only_the_training_split_is_augmented(self, source, preprocessing, fixed_seed):
        """Most training examples come out changed; validation ones never do. Catches:
        augmentation on validation (noisy, pessimistic scores) or none on training (an
        option that does nothing)."""
        train_loader, val_loader = training_loaders(source.data, preprocessing, AUGMENTING)
        plain_train = encoded(unaugmented(source, preprocessing, "train"))
        assert share_equal(encoded(train_loader.dataset), plain_train) <= 0.5
        plain_validation = encoded(unaugmented(source, preprocessing, "validation"))
        assert share_equal(encoded(val_loader.dataset), plain_validation) == 1

    def test_augmentation_differs_between_examples(self, source, preprocessing, fixed_seed):
        """The dropped token positions (or the noise added) differ between examples: at
        least half of them are unique. Catches: a generator re-seeded for every example,
        which gives them all the same change."""
        train_loader, _ = training_loaders(source.data, preprocessing, AUGMENTING)
        plain = encoded(unaugmented(source, preprocessing, "train"))
        changes = {
            tuple(
                (new != old if preprocessing.tokenizer is not None else new - old)
                .flatten()
                .tolist()
            )
            for new, old in zip(encoded(train_loader.dataset), plain, strict=True)
        }
        assert len(changes) >= len(plain) / 2

    def test_augmentation_differs_between_epochs(self, source, preprocessing, fixed_seed):
        """Two passes over the training split change most examples differently. Catches:
        augmentation drawn once (a fixed, corrupted copy of the data) or re-seeded every
        epoch."""
        train_loader, _ = training_loaders(source.data, preprocessing, AUGMENTING)
        first, second = encoded(train_loader.dataset), encoded(train_loader.dataset)
        assert share_equal(first, second) <= 0.5

    def test_every_training_example_is_seen_once_per_epoch(self, source, preprocessing):
        """An epoch of the training loader yields each training example once, with its
        label. Catches: a dropped last batch (those examples never train), sampling with
        replacement, or a loader over another split."""
        train_loader, _ = training_loaders(source.data, preprocessing, PLAIN)
        expected = [
            (tuple(row.flatten().tolist()), label)
            for row, label in zip(
                encoded(train_loader.dataset), source.data.labels("train"), strict=True
            )
        ]
        assert Counter(seen_in_one_epoch(train_loader)) == Counter(expected)

    def test_the_order_changes_between_epochs(self, source, preprocessing, fixed_seed):
        """Two epochs visit the training examples in different orders. Catches: shuffling
        off, which feeds every epoch the same (often class-sorted) sequence."""
        train_loader, _ = training_loaders(source.data, preprocessing, PLAIN)
        assert seen_in_one_epoch(train_loader) != seen_in_one_epoch(train_loader)


@pytest.fixture(params=sorted(CONTRACT_REGRESSION_SOURCES))
def numeric_source(request, loaded):
    """Each source of numeric labels in turn, split with seed 0."""
    return loaded(request.param, 0)


def numbered(examples: Examples) -> list[tuple]:
    """(input, number) of every example, in order."""
    return list(zip(examples.inputs, examples.values(), strict=True))


class TestNumericLabels:
    def test_no_input_is_in_two_splits(self, numeric_source):
        """No input is in two splits of a regression source. Catches: leakage through a
        split made another way than the classes' (it is not stratified)."""
        homes: dict[str, str] = {}
        for name, examples in numeric_source.data.splits.items():
            for index in range(len(examples)):
                key = identity(examples, index)
                assert homes.setdefault(key, name) == name, f"{key!r} in {homes[key]} and {name}"

    def test_the_splits_together_are_the_data(self, numeric_source):
        """Every input fed is in exactly one split. Catches: rows lost by the split."""
        split_inputs = Counter(
            value for split in numeric_source.data.splits.values() for value in split.inputs
        )
        assert split_inputs == Counter(value for value, _ in numeric_source.rows)

    def test_every_input_keeps_its_number(self, numeric_source):
        """Every (input, target) of every split is a row that was fed, the number exactly
        the file's. Catches: targets shifted by a row, rounded or read as text."""
        fed = Counter((value, float(label)) for value, label in numeric_source.rows)
        for name, examples in numeric_source.data.splits.items():
            assert not Counter(numbered(examples)) - fed, name

    def test_target_statistics_are_the_training_splits(self, numeric_source):
        """The target is standardised with the training split's mean and population std
        (within 1e-9), nothing else. Catches: statistics over all the rows, which leak the
        held-out targets into training."""
        data = numeric_source.data
        normalizer = fit_preprocessing(data, PLAIN, log=None).target_normalizer
        assert normalizer is not None
        train = data.targets("train")
        assert normalizer.mean.tolist() == pytest.approx([train.mean().item()], abs=1e-9)
        assert normalizer.std.tolist() == pytest.approx([train.std(correction=0).item()], abs=1e-9)

    def test_the_training_loader_yields_the_standardised_targets(self, numeric_source):
        """One epoch of the training loader yields every training target once, standardised
        (mean 0 and std 1 within 1e-5). Catches: raw targets reaching the loss, and targets
        standardised with other statistics than the saved ones."""
        data = numeric_source.data
        preprocessing = fit_preprocessing(data, PLAIN, log=None)
        train_loader, _ = training_loaders(data, preprocessing, PLAIN)
        seen = torch.cat([batch["label"] for batch in train_loader]).double()
        assert seen.is_floating_point()
        assert len(seen) == len(data.splits["train"])
        assert seen.mean().item() == pytest.approx(0.0, abs=1e-5)
        assert seen.std(correction=0).item() == pytest.approx(1.0, abs=1e-5)

    def test_the_record_makes_the_same_splits_again(self, numeric_source):
        """The data record loads back into the same splits, with the target kind. Catches:
        a record without the target, which evaluate would re-read as classes."""
        data = numeric_source.data
        again = load_data(spec_from_source(data.source))
        assert again.target == "regression"
        for name in SPLITS:
            assert numbered(again.splits[name]) == numbered(data.splits[name]), name
