"""Unit tests for the bag-of-n-grams model: what it averages, and what it leaves out.

The properties every model shares (shapes, gradients, modes, padding invariance) belong to
the model contract; these tests pin down what only this model does: its pooled vector is
exactly the mean of the embeddings of the real tokens, of the bigrams whose two tokens are
both real, and of the character n-grams of the real tokens' words.
"""

import itertools
import random

import pytest
import torch
from torch import nn

from {{ cookiecutter.module_name }}.models import BagOfNgramsClassifier, ngrams
from {{ cookiecutter.module_name }}.models.ngrams import (
    BIGRAM_HASH_MULTIPLIER,
    MAX_SUBWORDS_PER_WORD,
    SUBWORD_FILLER,
    subword_buckets,
    subword_table,
)

VOCAB_SIZE = 50
VOCABULARY = [f"w{index}" for index in range(VOCAB_SIZE)]
HIDDEN_SIZE = 8
NUM_CLASSES = 3
NUM_BUCKETS = 97
NUM_SUBWORD_BUCKETS = 89
PAD_ID = 4  # not 0: a padding id hard-coded to 0 would count padding as a word
ATOL = 1e-6


@pytest.fixture
def model() -> BagOfNgramsClassifier:
    return BagOfNgramsClassifier(
        VOCAB_SIZE,
        HIDDEN_SIZE,
        NUM_CLASSES,
        VOCABULARY,
        pad_id=PAD_ID,
        num_buckets=NUM_BUCKETS,
        num_subword_buckets=NUM_SUBWORD_BUCKETS,
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
    """The mean of the embeddings of `tokens`, of their neighbouring pairs and of their
    words' character n-grams, by hand."""
    pairs = [(a * BIGRAM_HASH_MULTIPLIER + b) % NUM_BUCKETS for a, b in itertools.pairwise(tokens)]
    subwords = [b for t in tokens for b in subword_buckets(VOCABULARY[t], NUM_SUBWORD_BUCKETS)]
    vectors = [model.token_embedding.weight[t] for t in tokens]
    vectors += [model.bigram_embedding.weight[p] for p in pairs]
    vectors += [model.subword_embedding.weight[b] for b in subwords]
    return torch.stack(vectors).mean(dim=0).detach()


class TestBagOfNgramsClassifier:
    @pytest.mark.parametrize("length", [1, 2, 5])
    def test_pools_the_mean_of_real_tokens_bigrams_and_character_ngrams(self, model, length):
        """A right-padded row pools to the hand-computed mean of its `length` token
        embeddings, `length - 1` bigram embeddings and its words' character-n-gram
        embeddings (atol 1e-6), whatever sits under the padding. Catches a mean taken over
        padded positions, bigrams that pair a real token with padding, bigrams taken from
        the wrong neighbours, and character n-grams of padding or left out of the count."""
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
            pytest.param({"num_buckets": 0}, "must be >= 1, got 0 and 4096", id="buckets"),
            pytest.param(
                {"num_subword_buckets": 0}, "must be >= 1, got 4096 and 0", id="subword-buckets"
            ),
            pytest.param(
                {"vocabulary": VOCABULARY[:-1]},
                "vocabulary must be a sequence of vocab_size=50 words",
                id="vocabulary",
            ),
        ],
    )
    def test_rejects_impossible_arguments(self, arguments, message):
        """Arguments that cannot work fail at construction, not at the first batch."""
        with pytest.raises(ValueError, match=message):
            BagOfNgramsClassifier(
                **{
                    "vocab_size": VOCAB_SIZE,
                    "hidden_size": HIDDEN_SIZE,
                    "num_outputs": NUM_CLASSES,
                    "vocabulary": VOCABULARY,
                    **arguments,
                }
            )


class TestSubwordBuckets:
    def test_are_the_same_in_every_process_and_version(self):
        """The buckets of "cat" and "cats" are these numbers, here and in every process.

        A saved model's weights mean these buckets. Catches Python's ``hash()`` (salted
        per process: a checkpoint would serve with other n-grams than it trained on) and
        any change to the n-grams or the hash that silently breaks old checkpoints.
        """
        assert subword_buckets("cat", 1000) == [155, 593, 270, 25, 579, 891]
        assert subword_buckets("cats", 1000) == [155, 593, 521, 7, 25, 612, 259, 27, 599]

    def test_words_of_one_stem_share_ngrams(self):
        """The words "compute" and "computes" share at least half of their character
        n-grams, "compute" and "sample" at most one (a hash collision). Catches n-grams
        that are not taken from the word's characters."""
        compute, computes, sample = (
            set(subword_buckets(word, 1 << 20)) for word in ("compute", "computes", "sample")
        )
        assert len(compute & computes) >= len(compute) // 2
        assert len(compute & sample) <= 1  # at most one hash collision in 2**20 buckets

    def test_the_table_holds_each_words_buckets_in_order(self, monkeypatch):
        """``subword_table`` (numpy, a whole vocabulary at once, in chunks) has in row i
        exactly ``subword_buckets(vocabulary[i])`` and filler after, for words of 0 to 200
        characters, non-ASCII ones included, across chunk boundaries. Catches an
        off-by-one in the n-gram starts, n-grams kept in another order or past the
        word's end, bytes hashed instead of characters, and rows misplaced between chunks."""
        monkeypatch.setattr(ngrams, "WORDS_PER_CHUNK", 7)
        alphabet = "abcxyzé中😀ß"
        generator = random.Random(0)
        lengths = [0, 1, 2, 3, 4, 5, 11, 33, 34, 35, 36, 37, 200]
        vocabulary = ["[PAD]", "[UNK]"] + [
            "".join(generator.choices(alphabet, k=generator.choice(lengths))) for _ in range(60)
        ]
        rows = [subword_buckets(word, NUM_SUBWORD_BUCKETS) for word in vocabulary]
        width = max(map(len, rows))
        expected = [row + [SUBWORD_FILLER] * (width - len(row)) for row in rows]
        assert subword_table(vocabulary, NUM_SUBWORD_BUCKETS).tolist() == expected

    def test_long_words_keep_a_bounded_number(self):
        """A 1000-character token yields MAX_SUBWORDS_PER_WORD buckets, all in range, so one
        odd token cannot blow up the model's n-gram table."""
        buckets = subword_buckets("x" * 1000, NUM_SUBWORD_BUCKETS)
        assert len(buckets) == MAX_SUBWORDS_PER_WORD
        assert all(0 <= bucket < NUM_SUBWORD_BUCKETS for bucket in buckets)
