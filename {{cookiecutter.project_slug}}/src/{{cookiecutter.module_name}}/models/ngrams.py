"""A fastText-style text classifier: the mean embedding of a text's words, word pairs and
the character n-grams of its words.

After Joulin et al. (2017), "Bag of Tricks for Efficient Text Classification", and
Bojanowski et al. (2017), "Enriching Word Vectors with Subword Information": each token,
each pair of neighbouring tokens (a bigram) and each character n-gram of a word has an
embedding, a text is the mean of them, and a linear head scores the classes. Word order
enters only through the bigrams; the character n-grams let "computes" learn from
"compute", which is often all a few hundred labelled texts can teach.

Both kinds of n-gram are computed inside the model, so training, evaluation and serving
cannot compute them differently: bigrams are hashed from the token ids in ``forward``, and
the character n-grams of every vocabulary word are hashed once, at construction, from the
``vocabulary`` the model is built with. Shape letters: B batch, T sequence length,
S character n-grams per word, H hidden size, C outputs (one per class, or one for a
regressor: ``num_outputs``).
"""

import zlib
from collections.abc import Sequence

import torch
from torch import nn

from .token_inputs import real_token_mask

# An odd multiplier well above any vocabulary size: (previous, current) -> bucket spreads
# the pairs over the buckets and tells "a b" from "b a".
BIGRAM_HASH_MULTIPLIER = 1_000_003
# Character n-grams of "<word>" (the brackets mark where a word starts and ends), as in
# fastText, of 3 to 5 characters: fastText goes up to 6, which changed nothing in a first
# try on the docstring corpus and makes every word's list of n-grams longer.
SUBWORD_LENGTHS = range(3, 6)
# Character n-grams kept per word: all of them for words of up to 11 characters.
MAX_SUBWORDS_PER_WORD = 32
# Fills the rest of the row of a word with fewer n-grams than the longest. No bucket has
# this id, so a filler that reached the embedding would fail loudly instead of adding a row.
SUBWORD_FILLER = -1


def subword_buckets(word: str, num_buckets: int) -> list[int]:
    """The buckets of the character n-grams of ``word``, in order, at most
    MAX_SUBWORDS_PER_WORD. CRC-32 rather than ``hash()``: Python salts ``hash`` of a str per
    process, and a checkpoint must map a word to the same buckets in every process."""
    marked = f"<{word}>"
    ngrams = [
        marked[start : start + length]
        for length in SUBWORD_LENGTHS
        for start in range(len(marked) - length + 1)
    ]
    buckets = [zlib.crc32(ngram.encode("utf-8")) % num_buckets for ngram in ngrams]
    return buckets[:MAX_SUBWORDS_PER_WORD]


class BagOfNgramsClassifier(nn.Module):
    """Token, hashed-bigram and hashed character-n-gram embeddings, mean over the real
    n-grams, dropout, linear head.

    An n-gram counts only when all its tokens are real: padding never enters the mean, and
    a fully padded row pools to zeros (its logits are the head's bias), not NaN.
    ``vocabulary`` holds the word of every token id (the tokenizer's ``vocab``); "[UNK]" has
    character n-grams like any word, which no real word shares (brackets are tokens of
    their own).
    """

    name = "bag_of_ngrams"  # key of this class in build_model's registry and in `config`

    def __init__(
        self,
        vocab_size: int,
        hidden_size: int,
        num_outputs: int,
        vocabulary: Sequence[str],
        dropout: float = 0.1,
        pad_id: int = 0,
        num_buckets: int = 4096,
        num_subword_buckets: int = 4096,
    ) -> None:
        super().__init__()
        if not 0 <= pad_id < vocab_size:
            raise ValueError(f"pad_id must be in [0, {vocab_size}), got {pad_id}")
        if num_buckets < 1 or num_subword_buckets < 1:
            raise ValueError(
                "num_buckets and num_subword_buckets must be >= 1, "
                f"got {num_buckets} and {num_subword_buckets}"
            )
        if isinstance(vocabulary, str) or len(vocabulary) != vocab_size:
            raise ValueError(
                f"vocabulary must be a sequence of vocab_size={vocab_size} words, one per "
                f"token id, got {vocabulary!r:.80}"
            )
        # What forward reads, typed; `config` holds them for rebuilding the model.
        self.vocab_size, self.pad_id, self.num_buckets = vocab_size, pad_id, num_buckets
        self.config: dict[str, object] = {
            "name": self.name,
            "vocab_size": vocab_size,
            "hidden_size": hidden_size,
            "num_outputs": num_outputs,
            "vocabulary": list(vocabulary),
            "dropout": dropout,
            "pad_id": pad_id,
            "num_buckets": num_buckets,
            "num_subword_buckets": num_subword_buckets,
        }
        self.token_embedding = nn.Embedding(vocab_size, hidden_size)
        self.bigram_embedding = nn.Embedding(num_buckets, hidden_size)
        self.subword_embedding = nn.EmbeddingBag(num_subword_buckets, hidden_size, mode="sum")
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(hidden_size, num_outputs)

        per_word = [subword_buckets(word, num_subword_buckets) for word in vocabulary]
        width = max(1, max(map(len, per_word)))
        # One tensor from padded rows: a torch call per word cost a third of loading.
        padded = [buckets + [SUBWORD_FILLER] * (width - len(buckets)) for buckets in per_word]
        table = torch.tensor(padded, dtype=torch.long).reshape(vocab_size, width)
        # Derived from `vocabulary` in config, so not saved with the weights; buffers move
        # with the model to its device.
        self.subword_ids = nn.Buffer(table, persistent=False)  # (V, S)

    def bigram_ids(self, input_ids: torch.Tensor) -> torch.Tensor:
        """(B, T) token ids -> (B, T - 1) bucket ids, one per pair of neighbouring positions."""
        previous, current = input_ids[:, :-1].long(), input_ids[:, 1:].long()
        return (previous * BIGRAM_HASH_MULTIPLIER + current) % self.num_buckets

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Logits (B, C) for input_ids (B, T); attention_mask (B, T) is 1 for real tokens.

        Without a mask, every position whose id is pad_id counts as padding.
        """
        is_real = real_token_mask(
            input_ids, attention_mask, vocab_size=self.vocab_size, pad_id=self.pad_id
        )  # (B, T)
        pair_is_real = is_real[:, :-1] & is_real[:, 1:]  # (B, T - 1): both tokens real

        tokens = self.token_embedding(input_ids)  # (B, T, H)
        pairs = self.bigram_embedding(self.bigram_ids(input_ids))  # (B, T - 1, H)
        tokens = tokens.masked_fill(~is_real[:, :, None], 0.0)
        pairs = pairs.masked_fill(~pair_is_real[:, :, None], 0.0)
        # Each text's character n-grams in one bag: the n-grams of its real tokens, without
        # the filler, flattened, and where each text's n-grams start. Bagging only the real
        # ones, not a padded (B * T, S) table, takes a sixth off forward and backward.
        ngrams = self.subword_ids[input_ids]  # (B, T, S)
        is_real_ngram = (ngrams != SUBWORD_FILLER) & is_real[:, :, None]  # (B, T, S)
        per_text = is_real_ngram.sum(dim=(1, 2))  # (B,)
        starts = per_text.cumsum(dim=0) - per_text  # (B,)
        subwords = self.subword_embedding(ngrams[is_real_ngram], starts)  # (B, H)
        count = is_real.sum(dim=1) + pair_is_real.sum(dim=1) + per_text  # (B,): n-grams
        total = tokens.sum(dim=1) + pairs.sum(dim=1) + subwords  # (B, H)
        pooled = total / count.clamp(min=1)[:, None]  # (B, H)
        logits: torch.Tensor = self.head(self.dropout(pooled))  # (B, C); no softmax
        return logits
