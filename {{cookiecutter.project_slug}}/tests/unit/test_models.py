"""Unit tests for the models: shapes, gradients, modes, padding and configs.

Every model here is tiny and rebuilt for each test, so a test that changes a
model (its mode, its weights) cannot leak into another. Assertions are
properties that hold for every random initialisation, never float values from
random weights, so the suite passes whatever seed pytest-randomly picks.
"""

import inspect
import json

import pytest
import torch
from torch import nn
from torch.nn import functional as F

from {{ cookiecutter.module_name }}.models import (
    MLPClassifier,
    MultiHeadSelfAttention,
    TransformerClassifier,
    build_model,
)

VOCAB_SIZE = 64
HIDDEN_SIZE = 32
NUM_CLASSES = 3
IN_FEATURES = 10
BATCH_SIZE = 4
SEQ_LEN = 12
MAX_LENGTH = 16
PAD_ID = 0
LENGTHS = (12, 9, 4, 1)  # real tokens in each row of the padded batch
ATOL = 1e-5  # float32 round-off when one sample is computed in a batch of another shape
MIN_CHANGE = 1e-4  # far above round-off, far below what a real change of input does
MIN_GRADIENT = 1e-5  # round-off leaves up to ~1e-6; a parameter that learns gets over 1e-3


@pytest.fixture
def mlp() -> MLPClassifier:
    """Dropout 0.5: no unlucky dropout mask can make train and eval mode agree."""
    return MLPClassifier(IN_FEATURES, HIDDEN_SIZE, NUM_CLASSES, dropout=0.5)


@pytest.fixture
def batchnorm_mlp() -> MLPClassifier:
    """No dropout, so a sample's output can only depend on its batch through BatchNorm."""
    return MLPClassifier(IN_FEATURES, HIDDEN_SIZE, NUM_CLASSES, dropout=0.0, batch_norm=True)


@pytest.fixture
def transformer() -> TransformerClassifier:
    """Two blocks, so padding must also stay out of attention that reads attention output."""
    return TransformerClassifier(
        VOCAB_SIZE,
        HIDDEN_SIZE,
        num_layers=2,
        num_classes=NUM_CLASSES,
        num_heads=2,
        max_length=MAX_LENGTH,
        dropout=0.1,
        pad_id=PAD_ID,
    )


@pytest.fixture
def features() -> torch.Tensor:
    return torch.randn(BATCH_SIZE, IN_FEATURES)


@pytest.fixture
def padded_batch() -> dict[str, torch.Tensor]:
    """Right-padded token ids with LENGTHS real tokens per row, as the tokenizer makes them."""
    attention_mask = (torch.arange(SEQ_LEN) < torch.tensor(LENGTHS)[:, None]).long()
    input_ids = random_token_ids(BATCH_SIZE, SEQ_LEN).masked_fill(attention_mask == 0, PAD_ID)
    return {"input_ids": input_ids, "attention_mask": attention_mask}


def random_token_ids(batch_size: int, length: int) -> torch.Tensor:
    """Ids of real tokens only: never the padding id."""
    return torch.randint(PAD_ID + 1, VOCAB_SIZE, (batch_size, length))


def other_token(input_ids: torch.Tensor) -> torch.Tensor:
    """A different real token id for every id in input_ids."""
    return input_ids % (VOCAB_SIZE - 1) + 1


def rows_changed(before: torch.Tensor, after: torch.Tensor) -> torch.Tensor:
    """(B,) bool: which samples' logits moved by more than round-off."""
    return (before - after).abs().amax(dim=-1) > MIN_CHANGE


def assert_same_logits(actual: torch.Tensor, expected: torch.Tensor) -> None:
    """Equal shapes and every element within ATOL.

    Deliberately not torch.testing.assert_close: its first call imports
    torch.distributed (about a second), which would land on one unlucky test.
    """
    assert actual.shape == expected.shape
    deviation = (actual - expected).abs().max().item()
    assert deviation <= ATOL, f"logits differ by up to {deviation:.1e}, more than atol={ATOL}"


def assert_every_parameter_learns(model: nn.Module, logits: torch.Tensor) -> None:
    """Backpropagate a cross-entropy loss; every parameter must be trainable and learn."""
    labels = torch.arange(len(logits)) % NUM_CLASSES
    F.cross_entropy(logits, labels).backward()
    for name, parameter in model.named_parameters():
        assert parameter.requires_grad, f"{name} is frozen"
        assert parameter.grad is not None, f"no gradient reached {name}"
        largest = parameter.grad.abs().max().item()
        assert largest > MIN_GRADIENT, f"{name} got no real gradient (largest {largest:.1e})"


def assert_logits_are_head_scores(model: nn.Module, inputs: dict[str, torch.Tensor]) -> None:
    """With a zero head weight, the logits must be exactly the head's bias for every sample."""
    bias = torch.tensor([-2.0, 0.5, 3.0])  # negative, above one, summing to 1.5
    with torch.no_grad():
        model.head.weight.zero_()
        model.head.bias.copy_(bias)
        logits = model.eval()(**inputs)
    assert torch.equal(logits, bias.expand_as(logits))


def logits_and_token_embeddings(
    model: TransformerClassifier, input_ids: torch.Tensor, attention_mask: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Run the model and keep its token embeddings (B, T, H) so a test can read their .grad."""
    kept = []

    def keep(module: nn.Module, inputs: tuple[torch.Tensor, ...], output: torch.Tensor) -> None:
        output.retain_grad()
        kept.append(output)

    handle = model.token_embedding.register_forward_hook(keep)
    try:
        logits = model(input_ids, attention_mask)
    finally:
        handle.remove()
    return logits, kept[0]


class TestMLPClassifier:
    def test_output_shape(self, mlp, features):
        """Logits are (batch, num_classes); catches a wrong head size or a lost batch dim."""
        assert mlp(features).shape == (BATCH_SIZE, NUM_CLASSES)

    def test_output_is_finite(self, mlp, features):
        """No NaN or Inf in the logits; catches numerically unstable layers."""
        assert torch.isfinite(mlp(features)).all()

    def test_output_changes_with_input(self, mlp, features):
        """Every sample's logits move when its features change; catches a model ignoring input."""
        mlp.eval()
        with torch.no_grad():
            changed = rows_changed(mlp(features), mlp(torch.randn_like(features)))
        assert changed.all()

    @pytest.mark.parametrize("batch_norm", [False, True], ids=["plain", "batch-norm"])
    def test_every_parameter_gets_a_gradient(self, batch_norm, features):
        """Each parameter is trainable and gets a gradient well above round-off.

        Catches frozen layers, detached activations and dead parameters such as a
        Linear bias right before BatchNorm (BatchNorm cancels it: only round-off is left).
        """
        model = MLPClassifier(IN_FEATURES, HIDDEN_SIZE, NUM_CLASSES, batch_norm=batch_norm)
        assert_every_parameter_learns(model, model(features))

    def test_eval_mode_is_deterministic(self, mlp, features):
        """Two eval-mode passes agree exactly; catches dropout left active at inference."""
        mlp.eval()
        with torch.no_grad():
            assert torch.equal(mlp(features), mlp(features))

    def test_train_mode_applies_dropout(self, mlp, features):
        """Train and eval mode give different logits; catches a dropout layer that never drops."""
        with torch.no_grad():
            train_logits = mlp.train()(features)
            eval_logits = mlp.eval()(features)
        assert rows_changed(train_logits, eval_logits).any()

    def test_batch_independence(self, mlp, features):
        """Changing one sample leaves the others' logits unchanged (atol 1e-5).

        Catches operations that mix samples, e.g. a softmax or normalisation over the batch.
        """
        mlp.eval()
        modified = features.clone()
        modified[2] = torch.randn(IN_FEATURES)
        with torch.no_grad():
            before, after = mlp(features), mlp(modified)
        others = [0, 1, 3]
        assert_same_logits(after[others], before[others])

    def test_gradient_stays_within_its_sample(self, mlp, features):
        """In training, sample 1's logits have a gradient w.r.t. its own features only.

        Catches cross-sample mixing that output checks can miss because it is small.
        """
        features.requires_grad_(True)
        mlp(features)[1].sum().backward()
        others = features.grad[[0, 2, 3]]
        assert features.grad[1].abs().sum() > 0
        assert torch.equal(others, torch.zeros_like(others))

    def test_returns_logits_not_probabilities(self, mlp, features):
        """Logits are raw scores (here -2, 0.5 and 3), not normalised.

        Catches a softmax inside forward (over classes or over the batch):
        cross-entropy would apply softmax twice and learning would stall.
        """
        assert_logits_are_head_scores(mlp, {"features": features})

    def test_batchnorm_eval_uses_running_statistics(self, batchnorm_mlp, features):
        """In eval mode a sample gets the same logits alone as inside a batch (atol 1e-5).

        Catches BatchNorm that normalises with batch statistics at inference, e.g.
        track_running_stats=False or a forward that forces training mode.
        """
        with torch.no_grad():
            batchnorm_mlp(3 * features + 1)  # one training pass moves the running statistics
            batchnorm_mlp.eval()
            in_batch = batchnorm_mlp(features)[:1]
            alone = batchnorm_mlp(features[:1])
        assert_same_logits(alone, in_batch)

    def test_batchnorm_train_uses_batch_statistics(self, batchnorm_mlp, features):
        """In train mode the same sample gets other logits in another batch.

        This is why evaluation must call model.eval(); it also shows the eval test
        above is not passing merely because BatchNorm is missing.
        """
        other_batch = torch.cat([features[:1], 5 * torch.randn(BATCH_SIZE - 1, IN_FEATURES)])
        with torch.no_grad():
            in_batch = batchnorm_mlp(features)[:1]
            in_other_batch = batchnorm_mlp(other_batch)[:1]
        assert rows_changed(in_batch, in_other_batch).all()

    @pytest.mark.parametrize(
        ("bad_features", "error", "message"),
        [
            pytest.param([[0.0] * IN_FEATURES], TypeError, "torch.Tensor.*got list", id="list"),
            pytest.param(
                torch.zeros(BATCH_SIZE, IN_FEATURES, dtype=torch.long),
                TypeError,
                "float32, got torch.int64",
                id="integer",
            ),
            pytest.param(
                torch.zeros(BATCH_SIZE, IN_FEATURES, dtype=torch.float64),
                TypeError,
                "float32, got torch.float64",
                id="float64",
            ),
            pytest.param(
                torch.zeros(IN_FEATURES), ValueError, r"\(batch, 10\), got \(10,\)", id="1-d"
            ),
            pytest.param(
                torch.zeros(1, BATCH_SIZE, IN_FEATURES),
                ValueError,
                r"\(batch, 10\), got \(1, 4, 10\)",
                id="3-d",
            ),
            pytest.param(
                torch.zeros(BATCH_SIZE, 7), ValueError, r"\(batch, 10\), got \(4, 7\)", id="width"
            ),
            pytest.param(
                torch.zeros(0, IN_FEATURES), ValueError, "at least one sample", id="empty"
            ),
        ],
    )
    def test_rejects_bad_features(self, mlp, bad_features, error, message):
        """Bad input fails with a message naming what was expected and what came.

        Catches validation that lets torch fail deep inside with an unclear trace.
        """
        with pytest.raises(error, match=message):
            mlp(bad_features)


class TestTransformerClassifier:
    def test_output_shape(self, transformer, padded_batch):
        """Logits are (batch, num_classes); catches a missing pool or a wrong head size."""
        assert transformer(**padded_batch).shape == (BATCH_SIZE, NUM_CLASSES)

    def test_output_is_finite(self, transformer, padded_batch):
        """No NaN or Inf in the logits; catches -inf masking or division by zero leaking out."""
        assert torch.isfinite(transformer(**padded_batch)).all()

    def test_output_changes_with_input(self, transformer):
        """Every sample's logits move when its tokens change; catches a model ignoring input."""
        transformer.eval()
        input_ids = random_token_ids(BATCH_SIZE, SEQ_LEN)
        with torch.no_grad():
            changed = rows_changed(transformer(input_ids), transformer(other_token(input_ids)))
        assert changed.all()

    def test_every_parameter_gets_a_gradient(self, transformer, padded_batch):
        """Each parameter is trainable and gets a gradient well above round-off.

        Catches frozen layers, detached activations and blocks left out of forward.
        """
        assert_every_parameter_learns(transformer, transformer(**padded_batch))

    def test_eval_mode_is_deterministic(self, transformer, padded_batch):
        """Two eval-mode passes agree exactly; catches dropout left active at inference."""
        transformer.eval()
        with torch.no_grad():
            assert torch.equal(transformer(**padded_batch), transformer(**padded_batch))

    def test_train_mode_applies_dropout(self, transformer, padded_batch):
        """Train and eval mode give different logits; catches a dropout layer that never drops."""
        with torch.no_grad():
            train_logits = transformer.train()(**padded_batch)
            eval_logits = transformer.eval()(**padded_batch)
        assert rows_changed(train_logits, eval_logits).any()

    def test_batch_independence(self, transformer, padded_batch):
        """Changing one sequence leaves the others' logits unchanged (atol 1e-5).

        Catches attention or pooling that reaches across sequences of the batch.
        """
        transformer.eval()
        modified = dict(padded_batch, input_ids=padded_batch["input_ids"].clone())
        modified["input_ids"][2, : LENGTHS[2]] = random_token_ids(1, LENGTHS[2])
        with torch.no_grad():
            before, after = transformer(**padded_batch), transformer(**modified)
        others = [0, 1, 3]
        assert_same_logits(after[others], before[others])

    def test_gradient_stays_within_its_sequence(self, transformer, padded_batch):
        """In training, sequence 1's logits have a gradient w.r.t. its own token embeddings only.

        Catches cross-sequence mixing that output checks can miss because it is small.
        """
        logits, embeddings = logits_and_token_embeddings(transformer, **padded_batch)
        logits[1].sum().backward()
        others = embeddings.grad[[0, 2, 3]]
        assert embeddings.grad[1].abs().sum() > 0
        assert torch.equal(others, torch.zeros_like(others))

    def test_padding_gets_no_gradient(self, transformer, padded_batch):
        """The logits have exactly zero gradient w.r.t. the embeddings of padded positions.

        Catches padding reaching the result through attention (ignored or inverted
        mask) or through pooling (mean over all positions).
        """
        logits, embeddings = logits_and_token_embeddings(transformer, **padded_batch)
        logits.sum().backward()
        is_real = padded_batch["attention_mask"].bool()
        assert embeddings.grad[is_real].abs().sum(dim=-1).gt(0).all()
        assert torch.equal(embeddings.grad[~is_real], torch.zeros_like(embeddings.grad[~is_real]))

    @pytest.mark.parametrize("pad_id", [PAD_ID, 5])
    def test_trailing_padding_does_not_change_logits(self, pad_id):
        """Appending pad_id tokens leaves the logits unchanged (atol 1e-5).

        Catches mean pooling over padded positions, attention to padded keys and a
        padding id hard-coded to 0 instead of read from pad_id.
        """
        model = TransformerClassifier(
            VOCAB_SIZE, HIDDEN_SIZE, 1, NUM_CLASSES, max_length=MAX_LENGTH, pad_id=pad_id
        ).eval()
        input_ids = random_token_ids(BATCH_SIZE, 8)
        input_ids[input_ids == pad_id] = pad_id + 1  # real tokens only
        padded_ids = F.pad(input_ids, (0, 4), value=pad_id)
        with torch.no_grad():
            assert_same_logits(model(padded_ids), model(input_ids))

    def test_ids_under_padding_are_ignored(self, transformer, padded_batch):
        """Whatever ids sit at masked positions, the logits stay the same (atol 1e-5).

        Catches a mask that is ignored or inverted, so padded tokens are attended to.
        """
        transformer.eval()
        is_real = padded_batch["attention_mask"].bool()
        scrambled_ids = torch.where(
            is_real, padded_batch["input_ids"], random_token_ids(BATCH_SIZE, SEQ_LEN)
        )
        with torch.no_grad():
            before = transformer(**padded_batch)
            after = transformer(scrambled_ids, padded_batch["attention_mask"])
        assert_same_logits(after, before)

    def test_padded_sequence_matches_unpadded(self, transformer, padded_batch):
        """Each sequence alone, unpadded, gets the logits it gets inside the padded batch.

        Catches padding or batch mates influencing a sequence (atol 1e-5).
        """
        transformer.eval()
        with torch.no_grad():
            in_batch = transformer(**padded_batch)
            for row, length in enumerate(LENGTHS):
                alone = transformer(padded_batch["input_ids"][row : row + 1, :length])
                assert_same_logits(alone, in_batch[row : row + 1])

    def test_mask_derived_from_pad_id_matches_explicit_mask(self, transformer, padded_batch):
        """Without a mask, padding is found by pad_id and the logits equal the masked call.

        Catches a default mask that is all ones, inverted, or compares against the wrong id.
        """
        transformer.eval()
        with torch.no_grad():
            derived = transformer(padded_batch["input_ids"])
            explicit = transformer(**padded_batch)
        assert_same_logits(derived, explicit)

    def test_fully_padded_row_stays_finite(self, transformer, padded_batch):
        """A row with no real token gives finite logits and finite gradients.

        Catches -inf attention masking (softmax of all -inf is NaN) and pooling that
        divides by a zero token count; one such row would poison every weight.
        """
        padded_batch["input_ids"][3] = PAD_ID
        padded_batch["attention_mask"][3] = 0
        logits = transformer(**padded_batch)
        assert torch.isfinite(logits).all()
        logits.sum().backward()
        for name, parameter in transformer.named_parameters():
            assert torch.isfinite(parameter.grad).all(), f"non-finite gradient for {name}"

    def test_changing_one_real_token_changes_its_logits(self, transformer, padded_batch):
        """Replacing a single real token changes that sequence's logits.

        Catches a model that looks only at some positions (e.g. the first token)
        or a mask that hides real tokens.
        """
        transformer.eval()
        modified = padded_batch["input_ids"].clone()
        modified[1, 5] = other_token(modified[1, 5])
        with torch.no_grad():
            before = transformer(**padded_batch)
            after = transformer(modified, padded_batch["attention_mask"])
        assert rows_changed(before[1:2], after[1:2]).all()

    def test_returns_logits_not_probabilities(self, transformer, padded_batch):
        """Logits are raw scores (here -2, 0.5 and 3), not normalised.

        Catches a softmax inside forward (over classes or over the batch):
        cross-entropy would apply softmax twice and learning would stall.
        """
        assert_logits_are_head_scores(transformer, padded_batch)

    @pytest.mark.parametrize(
        ("bad_ids", "error", "message"),
        [
            pytest.param([[1, 2, 3]], TypeError, "torch.Tensor.*got list", id="list"),
            pytest.param(
                torch.ones(BATCH_SIZE, SEQ_LEN), TypeError, "integer.*got torch.float32", id="float"
            ),
            pytest.param(
                torch.ones(SEQ_LEN, dtype=torch.long), ValueError, r"got \(12,\)", id="1-d"
            ),
            pytest.param(
                torch.ones(0, SEQ_LEN, dtype=torch.long), ValueError, r"got \(0, 12\)", id="empty"
            ),
            pytest.param(
                torch.ones(BATCH_SIZE, 0, dtype=torch.long),
                ValueError,
                r"got \(4, 0\)",
                id="no-positions",
            ),
            pytest.param(
                torch.ones(1, MAX_LENGTH + 1, dtype=torch.long),
                ValueError,
                "max_length=16 positions, got 17",
                id="too-long",
            ),
            pytest.param(
                torch.full((1, SEQ_LEN), VOCAB_SIZE),
                ValueError,
                r"\[0, 64\), got 64",
                id="id-too-large",
            ),
            pytest.param(
                torch.full((1, SEQ_LEN), -1), ValueError, r"\[0, 64\), got -1", id="negative-id"
            ),
        ],
    )
    def test_rejects_bad_input_ids(self, transformer, bad_ids, error, message):
        """Bad ids fail with a message naming what was expected and what came.

        Catches validation that lets torch fail deep inside (an index error in the
        embedding, a shape error in attention) with an unclear trace.
        """
        with pytest.raises(error, match=message):
            transformer(bad_ids)

    @pytest.mark.parametrize(
        ("bad_mask", "error", "message"),
        [
            pytest.param([[1] * SEQ_LEN], TypeError, "torch.Tensor or None, got list", id="list"),
            pytest.param(
                torch.ones(BATCH_SIZE, SEQ_LEN), TypeError, "0/1, got torch.float32", id="float"
            ),
            pytest.param(
                torch.ones(BATCH_SIZE, SEQ_LEN - 1, dtype=torch.long),
                ValueError,
                r"\(4, 12\), got \(4, 11\)",
                id="shape",
            ),
            pytest.param(
                torch.full((BATCH_SIZE, SEQ_LEN), 2), ValueError, r"got values \[2\]", id="values"
            ),
        ],
    )
    def test_rejects_bad_attention_mask(self, transformer, padded_batch, bad_mask, error, message):
        """A bad mask fails with a message naming what was expected and what came."""
        with pytest.raises(error, match=message):
            transformer(padded_batch["input_ids"], bad_mask)

    @pytest.mark.parametrize(
        ("arguments", "message"),
        [
            pytest.param({"num_heads": 5}, "divisible by num_heads, got 32 and 5", id="heads"),
            pytest.param({"pad_id": VOCAB_SIZE}, r"\[0, 64\), got 64", id="pad-id"),
        ],
    )
    def test_rejects_inconsistent_arguments(self, arguments, message):
        """Arguments that cannot work together fail at construction, not at the first batch."""
        with pytest.raises(ValueError, match=message):
            TransformerClassifier(VOCAB_SIZE, HIDDEN_SIZE, 1, NUM_CLASSES, **arguments)


class TestMultiHeadSelfAttention:
    def test_queries_see_every_real_key_and_no_padded_key(self):
        """Position 0's output depends on every real position and on no padded one.

        Catches attention that only looks at itself, and a key mask that is
        ignored (padded keys matter) or inverted (real keys do not).
        """
        attention = MultiHeadSelfAttention(HIDDEN_SIZE, num_heads=2, dropout=0.0)
        x = torch.randn(1, 6, HIDDEN_SIZE, requires_grad=True)
        key_mask = torch.tensor([[True, True, True, True, False, False]])
        attention(x, key_mask)[0, 0].sum().backward()
        influence = x.grad[0].abs().sum(dim=-1)  # (T,): how much each position moves position 0
        assert (influence[:4] > 0).all()
        assert torch.equal(influence[4:], torch.zeros(2))


@pytest.fixture(params=["mlp", "transformer"])
def model_and_inputs(request) -> tuple[nn.Module, dict[str, torch.Tensor]]:
    """Each model with every constructor argument off its default, and a batch for it."""
    if request.param == "mlp":
        model = MLPClassifier(IN_FEATURES, 16, NUM_CLASSES, dropout=0.3, batch_norm=True)
        return model, {"features": torch.randn(BATCH_SIZE, IN_FEATURES)}
    model = TransformerClassifier(
        VOCAB_SIZE, 16, 1, NUM_CLASSES, num_heads=4, max_length=8, dropout=0.2, pad_id=3
    )
    return model, {"input_ids": random_token_ids(BATCH_SIZE, 8)}


class TestBuildModel:
    def test_config_names_every_constructor_argument(self, model_and_inputs):
        """config holds the registry name plus every __init__ argument.

        Catches an argument added to a model but not to its config, which
        build_model would then silently rebuild with the default.
        """
        model, _ = model_and_inputs
        arguments = inspect.signature(type(model)).parameters
        assert set(model.config) == {"name", *arguments}

    def test_rebuilds_same_model_from_json_config(self, model_and_inputs):
        """A config that went through JSON rebuilds a model that loads the weights strictly
        and gives the same logits.

        Catches configs holding non-serialisable values and rebuilds with another
        architecture (missing or extra parameters, other shapes).
        """
        model, inputs = model_and_inputs
        rebuilt = build_model(json.loads(json.dumps(model.config)))
        assert type(rebuilt) is type(model)
        assert rebuilt.config == model.config
        rebuilt.load_state_dict(model.state_dict())
        with torch.no_grad():
            assert torch.equal(rebuilt.eval()(**inputs), model.eval()(**inputs))

    @pytest.mark.parametrize(
        "config",
        [{"name": "cnn"}, {"vocab_size": VOCAB_SIZE}],
        ids=["unknown-name", "no-name"],
    )
    def test_rejects_unknown_model(self, config):
        """An unknown or missing name fails with the list of known models."""
        with pytest.raises(ValueError, match="one of: bag_of_ngrams, mlp, transformer"):
            build_model(config)
