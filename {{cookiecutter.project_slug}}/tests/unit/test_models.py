"""Unit tests for what is specific to each model: BatchNorm in the MLP, attention in the
transformer, and each model's input validation.

What every model must do (shapes, gradients, modes, padding, configs) is the model
contract in test_model_contract.py. Every model here is tiny and rebuilt for each test,
and assertions are properties that hold for every random initialisation.
"""

import pytest
import torch
from conftest import assert_close, rows_changed
from torch import nn
from torch.nn import functional as F

from {{ cookiecutter.module_name }}.models import (
    MLPClassifier,
    MultiHeadSelfAttention,
    TransformerClassifier,
)
from {{ cookiecutter.module_name }}.models.transformer import Block

VOCAB_SIZE = 64
HIDDEN_SIZE = 32
NUM_CLASSES = 3
IN_FEATURES = 10
BATCH_SIZE = 4
SEQ_LEN = 12
MAX_LENGTH = 16
PAD_ID = 0
LENGTHS = (12, 9, 4, 1)  # real tokens in each row of the padded batch
MIN_GRADIENT = 1e-5  # round-off leaves up to ~1e-6; a parameter that learns gets over 1e-3


@pytest.fixture
def mlp() -> MLPClassifier:
    return MLPClassifier(IN_FEATURES, HIDDEN_SIZE, NUM_CLASSES)


@pytest.fixture
def batchnorm_mlp() -> MLPClassifier:
    """No dropout, so a sample's output can only depend on its batch through BatchNorm."""
    return MLPClassifier(IN_FEATURES, HIDDEN_SIZE, NUM_CLASSES, dropout=0.0, batch_norm=True)


@pytest.fixture
def transformer() -> TransformerClassifier:
    return TransformerClassifier(
        VOCAB_SIZE, HIDDEN_SIZE, num_layers=1, num_outputs=NUM_CLASSES, max_length=MAX_LENGTH
    )


@pytest.fixture
def features() -> torch.Tensor:
    return torch.randn(BATCH_SIZE, IN_FEATURES)


@pytest.fixture
def padded_batch() -> dict[str, torch.Tensor]:
    """Right-padded token ids with LENGTHS real tokens per row, as the tokenizer makes them."""
    attention_mask = (torch.arange(SEQ_LEN) < torch.tensor(LENGTHS)[:, None]).long()
    input_ids = torch.randint(PAD_ID + 1, VOCAB_SIZE, (BATCH_SIZE, SEQ_LEN))
    input_ids = input_ids.masked_fill(attention_mask == 0, PAD_ID)
    return {"input_ids": input_ids, "attention_mask": attention_mask}


def layer_norm(x: torch.Tensor, norm: nn.LayerNorm) -> torch.Tensor:
    """LayerNorm by its equation: (x - mean) / sqrt(var + eps) * weight + bias, per position."""
    mean = x.mean(dim=-1, keepdim=True)
    variance = x.var(dim=-1, keepdim=True, correction=0)
    return (x - mean) / torch.sqrt(variance + norm.eps) * norm.weight + norm.bias


def gelu(x: torch.Tensor) -> torch.Tensor:
    """GELU by its equation, x * Phi(x) with Phi the standard normal CDF."""
    return 0.5 * x * (1 + torch.erf(x / 2**0.5))


def randomise_norms(model: nn.Module) -> None:
    """Random LayerNorm gains and shifts: at their initial 1 and 0 every LayerNorm is the
    same function, so a sublayer normalised by the wrong one would look right."""
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.LayerNorm):
                module.weight.normal_(1.0, 0.5)
                module.bias.normal_(0.0, 0.5)


class TestMLPClassifier:
    def test_is_a_gelu_hidden_layer_then_a_linear_head(self, features):
        """In eval mode the logits are W2 GELU(W1 x + b1) + b2 on the model's own weights,
        GELU written out by its equation (atol 1e-5). Catches another activation (ReLU), a
        layer left out or added, and dropout or BatchNorm where none was asked for."""
        mlp = MLPClassifier(IN_FEATURES, HIDDEN_SIZE, NUM_CLASSES, dropout=0.5).eval()
        first, head = mlp.hidden[0], mlp.head
        with torch.no_grad():
            expected = gelu(features @ first.weight.T + first.bias) @ head.weight.T + head.bias
            assert_close(mlp(features), expected)

    def test_linear_before_batchnorm_has_no_dead_bias(self, batchnorm_mlp, features):
        """With BatchNorm, every parameter still gets a gradient well above round-off.

        Catches a Linear bias right before BatchNorm: BatchNorm subtracts the batch mean,
        which cancels the bias, so its gradient is only round-off and it never learns.
        """
        logits = batchnorm_mlp(features)
        F.cross_entropy(logits, torch.arange(BATCH_SIZE) % NUM_CLASSES).backward()
        for name, parameter in batchnorm_mlp.named_parameters():
            assert parameter.grad is not None, f"no gradient reached {name}"
            largest = parameter.grad.abs().max().item()
            assert largest > MIN_GRADIENT, f"{name} got no real gradient (largest {largest:.1e})"

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
        assert_close(alone, in_batch)

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
            pytest.param(  # one bad value among good ones, not only a mask made of them
                torch.ones(BATCH_SIZE, SEQ_LEN, dtype=torch.long).index_fill(
                    1, torch.tensor([3]), 2
                ),
                ValueError,
                r"got values \[1, 2\]",
                id="one-value",
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


class TestBlock:
    def test_is_the_pre_layer_norm_equations(self):
        """On the block's own weights, out = h + W2 GELU(W1 LN2(h) + b1) + b2 with
        h = x + attention(LN1(x)): the pre-LN block, LayerNorm and GELU written out by their
        equations (atol 1e-5; the attention has its own tests below). Catches a dropped
        residual, post-LN (the norm after the sum), a sublayer given the other sublayer's
        norm, and another activation: none of which any contract property sees."""
        torch.manual_seed(0)
        block = Block(HIDDEN_SIZE, num_heads=4, dropout=0.0).eval()
        randomise_norms(block)
        x = torch.randn(BATCH_SIZE, SEQ_LEN, HIDDEN_SIZE)
        key_mask = torch.arange(SEQ_LEN) < torch.tensor(LENGTHS)[:, None]
        first, _, second, _ = block.feed_forward.net  # Linear, GELU, Linear, Dropout
        with torch.no_grad():
            h = x + block.attention(layer_norm(x, block.attention_norm), key_mask)
            widened = layer_norm(h, block.feed_forward_norm) @ first.weight.T + first.bias
            expected = h + gelu(widened) @ second.weight.T + second.bias
            assert_close(block(x, key_mask), expected)


class TestTransformerDefinition:
    def test_logits_are_the_head_of_the_mean_of_the_normalised_real_positions(self, padded_batch):
        """logits = head(mean over real positions of LN_f(blocks(E[ids] + P[positions]))),
        written out on the model's own weights (its blocks as tested above; atol 1e-5).
        Catches position embeddings left out, the final LayerNorm dropped or moved, blocks
        skipped, and a pool over padding or of one position only."""
        torch.manual_seed(0)
        model = TransformerClassifier(
            VOCAB_SIZE,
            HIDDEN_SIZE,
            num_layers=2,
            num_outputs=NUM_CLASSES,
            num_heads=4,
            max_length=MAX_LENGTH,
            dropout=0.0,
        ).eval()
        randomise_norms(model)
        input_ids, mask = padded_batch["input_ids"], padded_batch["attention_mask"]
        with torch.no_grad():
            x = model.token_embedding.weight[input_ids] + model.position_embedding.weight[:SEQ_LEN]
            for block in model.blocks:
                x = block(x, mask.bool())
            x = layer_norm(x, model.final_norm) * mask[:, :, None]
            pooled = x.sum(dim=1) / mask.sum(dim=1, keepdim=True)
            expected = pooled @ model.head.weight.T + model.head.bias
            assert_close(model(input_ids, mask), expected)


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

    def test_matches_torch_multihead_attention_with_the_same_weights(self):
        """Equals nn.MultiheadAttention given the same projection weights and the padding as
        key_padding_mask (atol 1e-5).

        Catches a wrong scale (sqrt of the hidden size instead of the head size), a softmax
        over the wrong axis, heads split or merged in the wrong order, and a mask applied
        to queries instead of keys.
        """
        attention = MultiHeadSelfAttention(HIDDEN_SIZE, num_heads=4, dropout=0.0)
        reference = nn.MultiheadAttention(HIDDEN_SIZE, num_heads=4, batch_first=True)
        with torch.no_grad():
            reference.in_proj_weight.copy_(attention.qkv.weight)  # rows: queries, keys, values
            reference.in_proj_bias.copy_(attention.qkv.bias)
            reference.out_proj.weight.copy_(attention.out_proj.weight)
            reference.out_proj.bias.copy_(attention.out_proj.bias)
        x = torch.randn(BATCH_SIZE, SEQ_LEN, HIDDEN_SIZE)
        key_mask = torch.arange(SEQ_LEN) < torch.tensor(LENGTHS)[:, None]  # (B, T), True = real
        with torch.no_grad():
            expected, _ = reference(x, x, x, key_padding_mask=~key_mask, need_weights=False)
            assert_close(attention(x, key_mask), expected)
