"""Unit tests for the bag-of-n-grams model: what it averages, and what it leaves out.

The properties every model shares (shapes, gradients, modes, padding invariance) belong to
the model contract; these tests pin down the one thing only this model does: its pooled
vector is exactly the mean of the embeddings of the real tokens and of the bigrams whose
two tokens are both real.
"""

import itertools

import pytest
import torch
from torch import nn

from {{ cookiecutter.module_name }}.models import BagOfNgramsClassifier
from {{ cookiecutter.module_name }}.models.ngrams import BIGRAM_HASH_MULTIPLIER

VOCAB_SIZE = 50
HIDDEN_SIZE = 8
NUM_CLASSES = 3
NUM_BUCKETS = 97
PAD_ID = 4  # not 0: a padding id hard-coded to 0 would count padding as a word
ATOL = 1e-6


@pytest.fixture
def model() -> BagOfNgramsClassifier:
    return BagOfNgramsClassifier(
        VOCAB_SIZE, HIDDEN_SIZE, NUM_CLASSES, pad_id=PAD_ID, num_buckets=NUM_BUCKETS
    ).eval()


def pooled_vectors(model: nn.Module, **inputs: torch.Tensor) -> torch.Tensor:
    """What the head receives (B, H), read with a forward hook."""
    seen = []
    handle = model.head.register_forward_hook(lambda module, args, output: seen.append(args[0]))
    try:
        with torch.no_grad():
            model(**inputs)
    finally:
        handle.remove()
    return seen[0]


def expected_mean(model: BagOfNgramsClassifier, tokens: list[int]) -> torch.Tensor:
    """The mean of the embeddings of `tokens` and of their neighbouring pairs, by hand."""
    pairs = [(a * BIGRAM_HASH_MULTIPLIER + b) % NUM_BUCKETS for a, b in itertools.pairwise(tokens)]
    vectors = [model.token_embedding.weight[t] for t in tokens]
    vectors += [model.bigram_embedding.weight[p] for p in pairs]
    return torch.stack(vectors).mean(dim=0).detach()


class TestBagOfNgramsClassifier:
    @pytest.mark.parametrize("length", [1, 2, 5])
    def test_pools_the_mean_of_real_tokens_and_real_bigrams(self, model, length):
        """A right-padded row pools to the hand-computed mean of its `length` token
        embeddings and `length - 1` bigram embeddings (atol 1e-6), whatever sits under the
        padding. Catches a mean taken over padded positions, bigrams that pair a real
        token with padding, and bigrams taken from the wrong neighbours."""
        tokens = [7, 12, 7, 30, 41][:length]
        input_ids = torch.tensor([[*tokens, PAD_ID, 9, PAD_ID]])  # 9: an id under padding
        attention_mask = torch.tensor([[1] * length + [0, 0, 0]])
        pooled = pooled_vectors(model, input_ids=input_ids, attention_mask=attention_mask)
        deviation = (pooled[0] - expected_mean(model, tokens)).abs().max().item()
        assert deviation <= ATOL

    def test_padding_is_found_by_pad_id_without_a_mask(self, model):
        """Without attention_mask, positions holding pad_id are left out of the mean.
        Catches a default mask that counts every position, or compares against 0."""
        tokens = [3, 0, 25]  # 0 is a real word here: pad_id is 4
        input_ids = torch.tensor([[*tokens, PAD_ID, PAD_ID]])
        pooled = pooled_vectors(model, input_ids=input_ids)
        assert (pooled[0] - expected_mean(model, tokens)).abs().max().item() <= ATOL

    def test_word_order_reaches_the_logits_through_bigrams(self, model):
        """Swapping two different neighbouring words keeps every unigram but changes the
        bigrams, so the logits change. Catches an order-blind (symmetric) bigram hash and
        bigrams that never reach the pool."""
        with torch.no_grad():
            forward = model(torch.tensor([[10, 20, 30]]))
            swapped = model(torch.tensor([[20, 10, 30]]))
        assert (forward - swapped).abs().max().item() > 1e-4

    def test_fully_padded_row_gives_the_head_bias(self, model):
        """A row with no real token pools to zeros: its logits are exactly the head's bias.
        Catches a division by a zero n-gram count (NaN) and padding counted as words."""
        logits = model(torch.full((2, 6), PAD_ID))
        assert torch.equal(logits, model.head.bias.detach().expand(2, NUM_CLASSES))

    def test_bigram_ids_are_buckets_that_ignore_position(self, model):
        """Bucket ids lie in [0, num_buckets), and a pair gets the same bucket wherever it
        sits in the text. Catches out-of-range ids (an embedding index error on long
        vocabularies) and position-dependent hashing."""
        input_ids = torch.tensor([[VOCAB_SIZE - 1, 11, VOCAB_SIZE - 1, 11, 2]])
        buckets = model.bigram_ids(input_ids)
        assert buckets.shape == (1, 4)
        assert ((buckets >= 0) & (buckets < NUM_BUCKETS)).all()
        assert buckets[0, 0] == buckets[0, 2]

    def test_any_sequence_length_is_accepted(self, model):
        """The model has no positions, so it takes texts of any length (no max_length)."""
        assert model(torch.randint(5, VOCAB_SIZE, (2, 500))).shape == (2, NUM_CLASSES)

    @pytest.mark.parametrize(
        ("arguments", "message"),
        [
            pytest.param({"pad_id": VOCAB_SIZE}, r"pad_id must be in \[0, 50\), got 50", id="pad"),
            pytest.param({"num_buckets": 0}, "num_buckets must be >= 1, got 0", id="buckets"),
        ],
    )
    def test_rejects_impossible_arguments(self, arguments, message):
        """Arguments that cannot work fail at construction, not at the first batch."""
        with pytest.raises(ValueError, match=message):
            BagOfNgramsClassifier(VOCAB_SIZE, HIDDEN_SIZE, NUM_CLASSES, **arguments)
