"""Unit tests for feature normalisation, augmentation and datasets.

Data bugs rarely crash: a normaliser fitted on the test set, augmentation leaking into
evaluation or labels shuffled apart from their texts all train "fine" and quietly cost
accuracy. Each test below targets one such bug. Randomness comes from explicit
`torch.Generator`s, so statistical thresholds never depend on the test order's seed.
"""

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch.utils.data import DataLoader

from {{ cookiecutter.module_name }}.data import (
    PAD_ID,
    UNK_ID,
    FeatureDataset,
    FeatureNormalizer,
    GaussianNoise,
    ImageDataset,
    ImagePreprocessing,
    TextDataset,
    TokenDropout,
    build_tokenizer,
    normalize_features,
)

TEXTS = ("the striker scored", "the chef cooked a spicy curry", "a bug", "the engineer fixed it")
LABELS = (0, 2, 1, 1)
MAX_LENGTH = 8


def generator(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def features(rows: int = 64, seed: int = 0) -> torch.Tensor:
    """(rows, 3) features whose columns have very different means and scales."""
    scales, offsets = torch.tensor([1.0, 50.0, 0.01]), torch.tensor([0.0, 20.0, -3.0])
    return torch.randn(rows, 3, generator=generator(seed)) * scales + offsets


def population_std(x: torch.Tensor) -> torch.Tensor:
    return x.std(dim=0, correction=0)


class TestNormalizeFeatures:
    def test_every_column_has_zero_mean_and_unit_std(self):
        """Each column is standardised on its own (tolerance 1e-4). Catches statistics taken
        over the whole tensor or along dim=1, which leave big columns dominating."""
        normalized = normalize_features(features())
        assert torch.allclose(normalized.mean(dim=0), torch.zeros(3), atol=1e-4)
        assert torch.allclose(population_std(normalized), torch.ones(3), atol=1e-4)

    def test_is_deterministic(self):
        """The same input gives bit-identical output. Catches randomness or state carried
        between calls."""
        x = features()
        assert torch.equal(normalize_features(x), normalize_features(x))

    @pytest.mark.parametrize("value", [0.0, 0.1, -3.7, 1e6])
    def test_constant_column_becomes_zero_not_nan(self, value):
        """A column without spread maps to exactly 0. Catches division by a zero std (NaN)
        and by a tiny rounding-noise std (huge values)."""
        x = torch.cat([features(rows=50), torch.full((50, 1), value)], dim=1)
        normalized = normalize_features(x)
        assert torch.isfinite(normalized).all()
        assert torch.equal(normalized[:, 3], torch.zeros(50))

    def test_single_row_gives_zeros(self):
        """One row normalises to zeros, not NaN. Catches the unbiased std (n - 1 = 0)."""
        assert torch.equal(normalize_features(torch.tensor([[1.0, -2.0]])), torch.zeros(1, 2))

    @given(
        rows=st.integers(1, 8),
        values=st.lists(st.floats(-1e6, 1e6, width=32), min_size=24, max_size=24),
    )
    def test_output_is_always_finite(self, rows, values):
        """No finite input (duplicates, tiny spreads, huge values) produces NaN or Inf.
        Catches any division that is not guarded against a (near-)zero std."""
        x = torch.tensor(values[: rows * 3]).reshape(rows, 3)
        assert torch.isfinite(normalize_features(x)).all()

    def test_does_not_modify_its_input(self):
        """The caller's tensor is untouched. Catches in-place ops (x -= mean) that
        corrupt the raw data for every later use."""
        x = features()
        original = x.clone()
        normalize_features(x)
        assert torch.equal(x, original)

    def test_keeps_the_input_dtype(self):
        """float64 in gives float64 out. Catches silent downcasting to float32."""
        assert normalize_features(features().double()).dtype == torch.float64

    @pytest.mark.parametrize(
        ("bad_input", "error", "message"),
        [
            ([[1.0, 2.0]], TypeError, r"must be a torch\.Tensor, got list"),
            (torch.ones(4, 2, dtype=torch.long), TypeError, "floating-point tensor, got dtype"),
            (torch.ones(4), ValueError, r"2-D \(batch, features\), got shape \(4,\)"),
            (torch.ones(2, 3, 4), ValueError, r"2-D \(batch, features\), got shape \(2, 3, 4\)"),
            (torch.ones(0, 3), ValueError, r"at least one row, got shape \(0, 3\)"),
            (torch.tensor([[1.0], [float("nan")]]), ValueError, "must be finite"),
        ],
    )
    def test_rejects_bad_input_clearly(self, bad_input, error, message):
        """Wrong types, dtypes, ranks, empty or NaN batches fail with what was expected and
        what came. Catches silent broadcasting of a 1-D or 3-D tensor into garbage."""
        with pytest.raises(error, match=message):
            normalize_features(bad_input)


class TestFeatureNormalizer:
    def test_fit_stores_the_training_statistics(self):
        """fit records the per-column mean and std of the data it sees. Catches statistics
        taken along the wrong dimension."""
        train = features()
        normalizer = FeatureNormalizer().fit(train)
        assert torch.allclose(normalizer.mean, train.mean(dim=0), rtol=1e-5, atol=1e-5)
        assert torch.allclose(normalizer.std, population_std(train), rtol=1e-5)

    def test_transform_uses_the_training_statistics(self):
        """A shifted test batch is normalised with the TRAINING mean/std, so the shift
        survives. Catches a normaliser that recomputes statistics at transform time (test-set
        leakage and train/serve skew): it would centre the test batch at 0."""
        train, test = features(seed=0), features(seed=1) + torch.tensor([5.0, 100.0, 0.05])
        normalizer = FeatureNormalizer().fit(train)
        expected = (test - train.mean(dim=0)) / population_std(train)
        assert torch.allclose(normalizer.transform(test), expected, rtol=1e-4, atol=1e-4)

    def test_one_row_at_serving_time_matches_the_batch_result(self):
        """Normalising a single request gives the same row as normalising a batch. Catches
        per-batch statistics, which turn every single request into zeros."""
        normalizer = FeatureNormalizer().fit(features(seed=0))
        batch = features(rows=8, seed=1)
        assert torch.allclose(normalizer.transform(batch[:1]), normalizer.transform(batch)[:1])

    def test_fit_transform_equals_normalize_features(self):
        """On training data the normaliser and the function agree. Catches the two code
        paths drifting apart (e.g. different std conventions)."""
        train = features()
        assert torch.allclose(FeatureNormalizer().fit_transform(train), normalize_features(train))

    def test_state_dict_round_trip_through_torch_save(self, tmp_path):
        """Saved statistics reload (with weights_only=True) into an identical normaliser.
        Catches state that is not plain tensors, or that is refitted instead of restored."""
        train, test = features(seed=0), features(seed=1)
        normalizer = FeatureNormalizer().fit(train)
        path = tmp_path / "normalizer.pt"
        torch.save(normalizer.state_dict(), path)
        restored = FeatureNormalizer.from_state_dict(torch.load(path, weights_only=True))
        assert torch.equal(restored.transform(test), normalizer.transform(test))

    def test_state_dict_is_a_copy(self):
        """Editing a saved state does not change the live normaliser. Catches returning the
        internal tensors, so code that edits a checkpoint corrupts the model in memory."""
        normalizer = FeatureNormalizer().fit(features())
        mean_before = normalizer.mean.clone()
        normalizer.state_dict()["mean"].add_(1.0)
        assert torch.equal(normalizer.mean, mean_before)

    def test_transform_before_fit_raises(self):
        """Using an unfitted normaliser fails and says to call fit. Catches a default
        (mean 0, std 1) that silently skips normalisation."""
        with pytest.raises(RuntimeError, match="not fitted"):
            FeatureNormalizer().transform(features())

    def test_transform_rejects_a_different_number_of_columns(self):
        """Serving data with another width fails, naming both widths. Catches broadcasting
        a (1,) statistic over any width after a pipeline change."""
        normalizer = FeatureNormalizer().fit(features())
        with pytest.raises(ValueError, match=r"must have 3 columns.*got shape \(4, 2\)"):
            normalizer.transform(torch.ones(4, 2))

    @pytest.mark.parametrize(
        "state",
        [
            {"mean": torch.zeros(3)},
            {"mean": torch.zeros(3), "std": torch.ones(2)},
            {"mean": torch.zeros(3), "std": torch.zeros(3)},
        ],
    )
    def test_from_state_dict_rejects_broken_state(self, state):
        """Missing, mismatched or zero statistics are refused when loading. Catches a
        corrupt checkpoint that divides by zero at serving time."""
        with pytest.raises(ValueError, match="normalizer state"):
            FeatureNormalizer.from_state_dict(state)

    def test_transform_returns_the_dtype_of_its_input(self):
        """Statistics fitted in float64 transform a float32 batch to float32. Catches
        statistics not cast to the input's dtype, which silently upcasts every serving batch
        (and then fails against a float32 model)."""
        normalizer = FeatureNormalizer().fit(features().double())
        assert normalizer.transform(features(rows=4, seed=1)).dtype == torch.float32

    def test_state_dict_before_fit_raises(self):
        """Saving an unfitted normaliser fails and says why. Catches a checkpoint written
        with no statistics, which only fails (or skips normalisation) at serving time."""
        with pytest.raises(RuntimeError, match="FeatureNormalizer is not fitted"):
            FeatureNormalizer().state_dict()

    @pytest.mark.parametrize(
        ("state", "error", "message"),
        [
            ([0.0, 1.0], TypeError, "normalizer state must be a mapping, got list"),
            (
                {"mean": torch.zeros(3, dtype=torch.long), "std": torch.ones(3)},
                ValueError,
                "normalizer state 'mean' must be a 1-D float tensor",
            ),
            (
                {"mean": torch.zeros(3), "std": [1.0, 1.0, 1.0]},
                ValueError,
                "normalizer state 'std' must be a 1-D float tensor",
            ),
        ],
    )
    def test_from_state_dict_names_a_statistic_of_the_wrong_type(self, state, error, message):
        """A state that is not a mapping, or an integer or list statistic, fails naming it.
        Catches integer statistics accepted (integer division at serving time) and a bare
        AttributeError from calling tensor methods on a list."""
        with pytest.raises(error, match=message):
            FeatureNormalizer.from_state_dict(state)


class TestTokenDropout:
    @staticmethod
    def batch(rows: int = 256, length: int = 16, real: int = 12):
        """Ids in [2, 50) (no PAD or UNK) with `real` real tokens then padding per row."""
        input_ids = torch.randint(2, 50, (rows, length), generator=generator(123))
        attention_mask = (torch.arange(length) < real).long().expand(rows, length)
        return input_ids.masked_fill(attention_mask == 0, PAD_ID), attention_mask

    @pytest.mark.parametrize("p", [0.1, 0.3])
    @pytest.mark.parametrize("seed", [0, 1, 2])
    def test_drop_rate_is_close_to_p(self, p, seed):
        """The fraction of real tokens replaced is p within 0.03 (over 3072 tokens the std of
        the rate is <= 0.009, so this is > 3 sigma). Catches a rate of 1 - p, or p applied
        to padding too (diluting the rate on real tokens)."""
        input_ids, attention_mask = self.batch()
        augmented = TokenDropout(p, generator=generator(seed))(input_ids, attention_mask)
        real = attention_mask.bool()
        rate = (augmented[real] == UNK_ID).float().mean().item()
        assert abs(rate - p) < 0.03, f"drop rate {rate:.3f} for p={p}, seed={seed}"

    def test_never_touches_padding(self):
        """Even with p=1 every padding id stays PAD_ID. Catches ignoring the attention mask,
        which turns padding into [UNK] tokens the model then attends to."""
        input_ids, attention_mask = self.batch()
        augmented = TokenDropout(1.0, generator=generator(0))(input_ids, attention_mask)
        assert (augmented[attention_mask == 0] == PAD_ID).all()
        assert (augmented[attention_mask == 1] == UNK_ID).all()

    def test_p_zero_changes_nothing(self):
        """p=0 is the identity. Catches drawing against 1 - p, or dropping regardless of p.
        (`<=` instead of `<` is not caught: a draw of exactly 0.0 is too rare to test.)"""
        input_ids, attention_mask = self.batch()
        augmented = TokenDropout(0.0, generator=generator(0))(input_ids, attention_mask)
        assert torch.equal(augmented, input_ids)

    def test_does_not_modify_its_input(self):
        """Returns a new tensor. Catches in-place masked_fill_, which would permanently
        erase words from a dataset's cached encoding, epoch after epoch."""
        input_ids, attention_mask = self.batch()
        original = input_ids.clone()
        TokenDropout(0.5, generator=generator(0))(input_ids, attention_mask)
        assert torch.equal(input_ids, original)

    def test_same_generator_seed_gives_the_same_result(self):
        """Seeded generators make augmentation reproducible. Catches draws from the global
        RNG that ignore the generator."""
        input_ids, attention_mask = self.batch()
        first = TokenDropout(0.5, generator=generator(7))(input_ids, attention_mask)
        second = TokenDropout(0.5, generator=generator(7))(input_ids, attention_mask)
        assert torch.equal(first, second)

    @pytest.mark.parametrize("p", [-0.1, 1.5, "0.5", True])
    def test_rejects_invalid_probability(self, p):
        """p must be a number in [0, 1]. Catches p=1.5 silently meaning "drop everything"."""
        with pytest.raises(ValueError, match=r"p must be a probability in \[0, 1\]"):
            TokenDropout(p)

    def test_rejects_mismatched_or_float_inputs(self):
        """Float ids or a mask of another shape fail clearly. Catches broadcasting one mask
        row over a whole batch."""
        input_ids, attention_mask = self.batch(rows=4)
        dropout = TokenDropout(0.1)
        with pytest.raises(TypeError, match="input_ids must be an integer tensor"):
            dropout(input_ids.float(), attention_mask)
        with pytest.raises(ValueError, match="same shape"):
            dropout(input_ids, attention_mask[0])

    def test_bad_input_errors_name_the_argument_and_what_came(self):
        """A list of ids or a float mask fails naming the argument and the type or dtype
        that came. Catches an AttributeError from reading `.dtype` of a list, and an error
        that blames the wrong argument."""
        input_ids, attention_mask = self.batch(rows=4)
        dropout = TokenDropout(0.1)
        with pytest.raises(TypeError, match="input_ids must be an integer tensor, got list"):
            dropout(input_ids.tolist(), attention_mask)
        with pytest.raises(
            TypeError, match=r"attention_mask must be an integer tensor, got dtype torch\.float32"
        ):
            dropout(input_ids, attention_mask.float())


class TestGaussianNoise:
    @pytest.mark.parametrize("seed", [0, 1, 2])
    def test_noise_has_zero_mean_and_the_configured_std(self, seed):
        """Over 4096 values the noise std is within 5% of `std` and its mean within 0.05 std
        (both > 4 sigma). Catches variance used as std, or a biased noise."""
        x = torch.zeros(512, 8)
        noise = GaussianNoise(0.5, generator=generator(seed))(x) - x
        assert abs(noise.std().item() - 0.5) < 0.05 * 0.5
        assert abs(noise.mean().item()) < 0.05 * 0.5

    def test_zero_std_changes_nothing(self):
        """std=0 is the identity. Catches noise that is added regardless of std."""
        x = features()
        assert torch.equal(GaussianNoise(0.0, generator=generator(0))(x), x)

    def test_does_not_modify_its_input(self):
        """Returns a new tensor. Catches in-place add_, which accumulates noise into the
        stored training features epoch after epoch."""
        x = features()
        original = x.clone()
        GaussianNoise(1.0, generator=generator(0))(x)
        assert torch.equal(x, original)

    def test_same_generator_seed_gives_the_same_noise(self):
        """Seeded generators make the noise reproducible. Catches draws from the global RNG."""
        x = features()
        assert torch.equal(
            GaussianNoise(1.0, generator=generator(3))(x), GaussianNoise(1.0, generator(3))(x)
        )

    def test_rejects_bad_std_and_integer_features(self):
        """Negative std and integer features fail clearly. Catches noise silently rounded
        away (or raising deep inside torch) on an integer tensor."""
        with pytest.raises(ValueError, match="std must be a non-negative number"):
            GaussianNoise(-1.0)
        with pytest.raises(TypeError, match=r"floating-point tensor, got dtype torch\.int64"):
            GaussianNoise(1.0)(torch.ones(2, 3, dtype=torch.long))

    def test_rejects_a_boolean_std(self):
        """std=True is refused although bool is an int subclass. Catches a flag passed in
        the std position being read as noise of std 1."""
        with pytest.raises(ValueError, match="std must be a non-negative number, got True"):
            GaussianNoise(True)

    def test_keeps_the_dtype_of_the_features(self):
        """float16 features stay float16. Catches float32 noise that upcasts half-precision
        batches, doubling their memory and mismatching a half-precision model."""
        noisy = GaussianNoise(0.1, generator=generator(0))(torch.zeros(4, 3, dtype=torch.float16))
        assert noisy.dtype == torch.float16


class TestTextDataset:
    def test_length_is_the_number_of_texts(self):
        """len() counts examples. Catches a length taken from max_length or the vocabulary."""
        assert len(TextDataset(TEXTS)) == len(TEXTS)

    def test_items_have_the_expected_keys_shapes_and_dtypes(self):
        """Items hold (max_length,) LongTensor ids and mask plus a scalar LongTensor label.
        Catches shape or dtype drift that only breaks the model's embedding or the loss."""
        item = TextDataset(TEXTS, LABELS, max_length=MAX_LENGTH, num_classes=3)[1]
        assert set(item) == {"input_ids", "attention_mask", "label"}
        for name in ("input_ids", "attention_mask"):
            assert item[name].shape == (MAX_LENGTH,)
            assert item[name].dtype == torch.long
        assert item["label"].shape == ()
        assert item["label"].dtype == torch.long

    def test_unlabelled_items_have_no_label(self):
        """Without labels, items have no "label" key. Catches a dummy label (e.g. 0) that
        evaluation code would silently score against."""
        assert set(TextDataset(TEXTS)[0]) == {"input_ids", "attention_mask"}

    def test_labels_are_valid_and_aligned_with_texts(self):
        """Every item carries its own label, inside [0, num_classes). Catches labels that are
        shifted or shuffled relative to their texts."""
        dataset = TextDataset(TEXTS, LABELS, num_classes=3)
        for index, label in enumerate(LABELS):
            assert 0 <= dataset[index]["label"] < 3
            assert dataset[index]["label"].item() == label

    def test_uses_the_given_tokenizer(self):
        """Items encode with the tokenizer passed in (the training one). Catches a dataset
        that rebuilds its own vocabulary, so validation ids mean different words."""
        tokenizer = build_tokenizer(["a bug the chef curry", "zebra striker"])
        dataset = TextDataset(TEXTS, tokenizer=tokenizer, max_length=MAX_LENGTH)
        expected = tokenizer.encode(TEXTS[1], MAX_LENGTH)
        assert dataset.tokenizer is tokenizer
        assert torch.equal(dataset[1]["input_ids"], expected["input_ids"])
        assert torch.equal(dataset[1]["attention_mask"], expected["attention_mask"])

    def test_builds_a_tokenizer_from_its_texts_when_none_is_given(self):
        """Without a tokenizer every word of the texts is in the vocabulary (no [UNK]).
        Catches an empty default vocabulary that maps everything to [UNK]."""
        dataset = TextDataset(TEXTS, max_length=MAX_LENGTH)
        for index in range(len(dataset)):
            assert UNK_ID not in dataset[index]["input_ids"].tolist()

    def test_repeated_access_without_augmentation_is_identical(self):
        """Validation/test items are the same every time. Catches augmentation (or any
        randomness) leaking into evaluation, which makes metrics noisy and pessimistic."""
        dataset = TextDataset(TEXTS, LABELS, max_length=MAX_LENGTH)
        first, second = dataset[1], dataset[1]
        for name in first:
            assert torch.equal(first[name], second[name])

    def test_augmentation_changes_ids_but_never_mask_or_padding(self):
        """With TokenDropout the ids vary between accesses, but the mask and the padding
        positions stay as encoded. Catches augmentation that is never called, or that
        rewrites padding."""
        plain = TextDataset(TEXTS, max_length=MAX_LENGTH)
        augmented = TextDataset(
            TEXTS,
            max_length=MAX_LENGTH,
            tokenizer=plain.tokenizer,
            augment=TokenDropout(0.5, generator=generator(0)),
        )
        reference = plain[1]
        accesses = [augmented[1] for _ in range(5)]
        padding = reference["attention_mask"] == 0
        assert any(not torch.equal(a["input_ids"], reference["input_ids"]) for a in accesses)
        for item in accesses:
            assert torch.equal(item["attention_mask"], reference["attention_mask"])
            assert (item["input_ids"][padding] == PAD_ID).all()

    def test_augmentation_does_not_corrupt_the_stored_encoding(self):
        """Many augmented accesses leave the stored ids unchanged. Catches augmentation
        that writes into the cached tensor, erasing words for all later epochs."""
        dataset = TextDataset(
            TEXTS, max_length=MAX_LENGTH, augment=TokenDropout(1.0, generator=generator(0))
        )
        stored = dataset.input_ids.clone()
        for index in range(len(dataset)):
            dataset[index]
        assert torch.equal(dataset.input_ids, stored)

    def test_batches_through_a_dataloader(self):
        """The default DataLoader collates items into (batch, max_length) tensors. Catches
        items that cannot be stacked (ragged lengths, Python ints as labels)."""
        dataset = TextDataset(TEXTS, LABELS, max_length=MAX_LENGTH, num_classes=3)
        batch = next(iter(DataLoader(dataset, batch_size=4)))
        assert batch["input_ids"].shape == batch["attention_mask"].shape == (4, MAX_LENGTH)
        assert batch["label"].tolist() == list(LABELS)

    @pytest.mark.parametrize("bad_label", [-1, 3, 7])
    def test_label_outside_the_classes_names_index_and_value(self, bad_label):
        """A label outside [0, num_classes) fails at construction naming index and value.
        Catches the CUDA "device-side assert" (or silent wrong loss) it causes mid-epoch."""
        labels = [0, 1, bad_label, 2]
        with pytest.raises(ValueError, match=rf"labels\[2\] must be in \[0, 3\), got {bad_label}"):
            TextDataset(TEXTS, labels, num_classes=3)

    def test_negative_label_is_rejected_without_num_classes(self):
        """Negative labels fail even without num_classes. Catches -1 "unknown" markers
        reaching the loss, where they index the last class."""
        with pytest.raises(ValueError, match=r"labels\[0\] must be non-negative, got -1"):
            TextDataset(TEXTS, [-1, 0, 1, 2])

    def test_label_count_must_match_text_count(self):
        """Different numbers of texts and labels fail, naming both. Catches zip()
        silently dropping the unmatched examples."""
        with pytest.raises(ValueError, match="got 3 labels for 4 examples"):
            TextDataset(TEXTS, LABELS[:3])

    @pytest.mark.parametrize(
        ("bad_labels", "message"),
        [
            ([0, 1, 1.5, 2], r"labels\[2\] must be an int, got float"),
            (torch.tensor([0.0, 1.0, 1.0, 2.0]), "labels must be a 1-D integer tensor"),
        ],
    )
    def test_non_integer_labels_are_rejected(self, bad_labels, message):
        """Float labels fail with a TypeError naming the first bad one. Catches 1.5 being
        truncated to class 1."""
        with pytest.raises(TypeError, match=message):
            TextDataset(TEXTS, bad_labels)

    def test_non_string_text_names_its_index(self):
        """A non-string text fails at construction naming its index. Catches None or NaN
        (e.g. an empty CSV cell) being tokenised as the word "none"/"nan"."""
        with pytest.raises(TypeError, match=r"texts\[1\] must be a str, got NoneType"):
            TextDataset(["fine", None, "also fine"])

    def test_empty_dataset_is_rejected(self):
        """No texts fails clearly. Catches an empty split that trains zero steps and
        reports a NaN loss."""
        with pytest.raises(ValueError, match="at least one text"):
            TextDataset([])

    def test_tensor_labels_equal_list_labels(self):
        """A 1-D integer label tensor gives the same items as a list. Catches the tensor
        path rejecting or dropping labels that the list path accepts."""
        from_tensor = TextDataset(TEXTS, torch.tensor(LABELS), num_classes=3)
        assert [int(from_tensor[i]["label"]) for i in range(len(TEXTS))] == list(LABELS)

    def test_column_of_labels_is_rejected(self):
        """A (N, 1) label tensor fails as not 1-D. Catches a column vector of labels (common
        after pandas/numpy reshapes) being read row by row as lists."""
        with pytest.raises(TypeError, match=r"labels must be a 1-D integer tensor.*\(4, 1\)"):
            TextDataset(TEXTS, torch.tensor(LABELS)[:, None])

    @pytest.mark.parametrize(("bad_labels", "kind"), [("0211", "str"), ({0, 1, 2, 3}, "set")])
    def test_labels_must_be_an_ordered_sequence(self, bad_labels, kind):
        """A string or a set of labels fails naming its type. Catches a set (no order, so
        labels no longer line up with texts) being accepted because it has a length."""
        with pytest.raises(TypeError, match=f"labels must be a sequence of ints, got {kind}"):
            TextDataset(TEXTS, bad_labels)

    @pytest.mark.parametrize("num_classes", [0, 2.5, True])
    def test_num_classes_must_be_a_positive_int(self, num_classes):
        """num_classes 0, 2.5 or True fails naming the value. Catches a fractional or
        boolean class count that lets out-of-range labels through."""
        with pytest.raises(ValueError, match=r"num_classes must be a positive int, got"):
            TextDataset(TEXTS, LABELS, num_classes=num_classes)


class TestFeatureDataset:
    def test_length_is_the_number_of_rows(self):
        """len() counts rows. Catches a length taken from the number of features."""
        assert len(FeatureDataset(features(rows=5))) == 5

    def test_items_are_feature_rows_with_labels(self):
        """Items are {"features": (F,) float, "label": () long}. Catches rows and columns
        swapped, or labels as Python ints that collate to the wrong dtype."""
        x = features(rows=4)
        item = FeatureDataset(x, labels=[0, 1, 2, 0], num_classes=3)[2]
        assert torch.equal(item["features"], x[2])
        assert item["label"].dtype == torch.long
        assert item["label"].item() == 2

    def test_applies_the_fitted_normalizer(self):
        """Rows are normalised with the given (training) statistics. Catches a dataset
        that ignores the normaliser or refits it on its own rows."""
        normalizer = FeatureNormalizer().fit(features(seed=0))
        test = features(rows=8, seed=1)
        dataset = FeatureDataset(test, normalizer=normalizer)
        assert torch.equal(dataset[3]["features"], normalizer.transform(test)[3])

    def test_augmentation_only_when_configured(self):
        """Without augment repeated access is identical; with GaussianNoise it varies.
        Catches noise applied at evaluation time, or a noise that is never applied."""
        x = features(rows=4)
        plain = FeatureDataset(x)
        noisy = FeatureDataset(x, augment=GaussianNoise(0.1, generator=generator(0)))
        assert torch.equal(plain[0]["features"], plain[0]["features"])
        assert not torch.equal(noisy[0]["features"], noisy[0]["features"])

    def test_label_validation_names_the_index(self):
        """Bad labels fail as in TextDataset. Catches the tabular path skipping validation."""
        with pytest.raises(ValueError, match=r"labels\[1\] must be in \[0, 2\), got 5"):
            FeatureDataset(features(rows=3), labels=[0, 5, 1], num_classes=2)

    def test_rejects_integer_or_one_dimensional_features(self):
        """Features must be a 2-D float tensor. Catches a 1-D vector treated as N samples of
        one feature by accident."""
        with pytest.raises(TypeError, match="floating-point tensor"):
            FeatureDataset(torch.ones(4, 3, dtype=torch.long))
        with pytest.raises(ValueError, match="2-D"):
            FeatureDataset(torch.ones(4))


class TestImageDataset:
    """The dataset of stored uint8 pixels (torchvision is not needed to build or read it)."""

    PREPROCESSING = ImagePreprocessing(4, "RGB", (0.5, 0.25, 0.0), (0.5, 0.25, 1.0))

    def pixels(self, count: int = 3) -> torch.Tensor:
        return torch.randint(0, 256, (count, 3, 4, 4), generator=generator(0), dtype=torch.uint8)

    def test_items_are_the_normalised_pixels_with_their_labels(self):
        """Item i is pixels i scaled to [0, 1] and standardised per channel, with label i:
        the same arithmetic the Predictor applies. Catches images paired with another
        image's label and normalisation done with other constants than the saved ones."""
        pixels = self.pixels()
        dataset = ImageDataset(pixels, self.PREPROCESSING, labels=[2, 0, 1], num_classes=3)
        mean = torch.tensor([0.5, 0.25, 0.0])[:, None, None]
        std = torch.tensor([0.5, 0.25, 1.0])[:, None, None]
        torch.testing.assert_close(dataset[1]["images"], (pixels[1] / 255 - mean) / std)
        assert int(dataset[1]["label"]) == 0
        assert len(dataset) == 3

    def test_a_batch_equals_its_items(self):
        """dataset[indices] stacks dataset[i] for each index (batched slicing)."""
        dataset = ImageDataset(self.pixels(), self.PREPROCESSING, labels=[2, 0, 1])
        batch = dataset[torch.tensor([2, 0])]
        assert torch.equal(
            batch["images"], torch.stack([dataset[2]["images"], dataset[0]["images"]])
        )
        assert batch["label"].tolist() == [1, 2]

    def test_augmentation_runs_on_every_access(self):
        """``augment`` sees the normalised batch on every access; without it items repeat."""
        calls = []

        def augment(images: torch.Tensor) -> torch.Tensor:
            calls.append(images.shape)
            return images + 1

        dataset = ImageDataset(self.pixels(), self.PREPROCESSING, augment=augment)
        plain = ImageDataset(self.pixels(), self.PREPROCESSING)
        assert torch.equal(dataset[0]["images"], plain[0]["images"] + 1)
        assert calls == [(1, 3, 4, 4)]
        assert "label" not in plain[0]

    def test_pixels_of_another_size_are_refused(self):
        """Pixels that are not uint8 (N, C, size, size) of the preprocessing raise ValueError.
        Catches images stored at another size than the one saved for serving."""
        with pytest.raises(ValueError, match=r"pixels must be uint8 \(N, 3, 4, 4\)"):
            ImageDataset(torch.zeros(2, 3, 5, 5, dtype=torch.uint8), self.PREPROCESSING)
