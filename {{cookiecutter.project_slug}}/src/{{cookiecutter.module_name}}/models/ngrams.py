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

from collections.abc import Sequence

import numpy as np
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


# The hash of a character n-gram: a polynomial over its code points modulo 2**64, started
# from its length, then splitmix64's finaliser, so that every bit of the result depends on
# every character (the polynomial's low bits depend only on the characters' low bits).
# Not ``hash()``: Python salts it per process, and a checkpoint must map a word to the same
# buckets in every process. Not CRC-32 either: numpy computes this one for a whole
# vocabulary at once (a million words in 2.4 s, against 17 s for CRC-32 word by word).
NGRAM_HASH_MULTIPLIER = 0x100000001B3
MASK_64 = (1 << 64) - 1
# How many words are hashed at once: bounds the temporary arrays to some 50 MB.
WORDS_PER_CHUNK = 1 << 16


def _finalise(hashes: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser on uint64 values: mixes every input bit into every output bit."""
    hashes = hashes ^ (hashes >> np.uint64(30))
    hashes = hashes * np.uint64(0xBF58476D1CE4E5B9)
    hashes = hashes ^ (hashes >> np.uint64(27))
    hashes = hashes * np.uint64(0x94D049BB133111EB)
    mixed: np.ndarray = hashes ^ (hashes >> np.uint64(31))
    return mixed


def subword_buckets(word: str, num_buckets: int) -> list[int]:
    """The buckets of the character n-grams of ``word``, in order, at most
    MAX_SUBWORDS_PER_WORD: the definition, one word at a time, that ``subword_table``
    computes for a whole vocabulary at once."""
    marked = f"<{word}>"
    buckets = []
    for length in SUBWORD_LENGTHS:
        for start in range(len(marked) - length + 1):
            value = length
            for character in marked[start : start + length]:
                value = (value * NGRAM_HASH_MULTIPLIER + ord(character)) & MASK_64
            mixed = _finalise(np.array([value], dtype=np.uint64))
            buckets.append(int(mixed[0]) % num_buckets)
    return buckets[:MAX_SUBWORDS_PER_WORD]


def subword_table(vocabulary: Sequence[str], num_buckets: int) -> torch.Tensor:
    """(V, S) bucket ids: row i holds ``subword_buckets(vocabulary[i])``, then
    SUBWORD_FILLER up to S, the most n-grams of any word (at least 1)."""
    table = np.full((len(vocabulary), MAX_SUBWORDS_PER_WORD), SUBWORD_FILLER, dtype=np.int64)
    width = 1
    for start in range(0, len(vocabulary), WORDS_PER_CHUNK):
        rows = _subword_rows(vocabulary[start : start + WORDS_PER_CHUNK], num_buckets)
        table[start : start + len(rows), : rows.shape[1]] = rows
        width = max(width, rows.shape[1])
    return torch.from_numpy(np.ascontiguousarray(table[:, :width]))


def _subword_rows(words: Sequence[str], num_buckets: int) -> np.ndarray:
    """``subword_table`` of a chunk of words, as an int64 array as wide as its longest row."""
    # Only the first MAX_SUBWORDS_PER_WORD n-grams are kept, and the shortest n-grams come
    # first, so no kept n-gram starts past that many characters into the word.
    longest_kept = MAX_SUBWORDS_PER_WORD + max(SUBWORD_LENGTHS) - 1
    marked = [f"<{word}>"[:longest_kept] for word in words]
    lengths = np.array([len(text) for text in marked], dtype=np.int64)  # (W,)
    codes = np.zeros((len(marked), lengths.max()), dtype=np.uint64)  # (W, L)
    flat = np.frombuffer("".join(marked).encode("utf-32-le"), dtype=np.uint32)
    row_of = np.repeat(np.arange(len(marked)), lengths)
    column_of = np.arange(flat.size) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    codes[row_of, column_of] = flat
    # Words of one character or none (only "<>" from a crafted vocabulary) have no n-gram.
    hashes = [np.zeros((len(marked), 0), dtype=np.uint64)]
    kept = [np.zeros((len(marked), 0), dtype=bool)]
    for length in SUBWORD_LENGTHS:
        starts = min(codes.shape[1] - length + 1, MAX_SUBWORDS_PER_WORD)
        if starts < 1:
            continue
        value = np.full((len(marked), starts), length, dtype=np.uint64)  # (W, starts)
        for offset in range(length):
            value = value * np.uint64(NGRAM_HASH_MULTIPLIER) + codes[:, offset : offset + starts]
        hashes.append(_finalise(value) % np.uint64(num_buckets))
        kept.append(np.arange(starts)[None, :] + length <= lengths[:, None])
    # Each row's kept n-grams moved to its front in their order, the rest filler. Buckets
    # are below num_buckets, far below 2**63, so viewing them as int64 changes none.
    is_kept = np.concatenate(kept, axis=1)
    order = np.argsort(~is_kept, axis=1, kind="stable")
    buckets = np.take_along_axis(np.concatenate(hashes, axis=1).view(np.int64), order, axis=1)
    is_kept = np.take_along_axis(is_kept, order, axis=1)
    width = min(int(is_kept.sum(axis=1).max()), MAX_SUBWORDS_PER_WORD)
    return np.where(is_kept, buckets, SUBWORD_FILLER)[:, :width]


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

        # Derived from `vocabulary` in config, so not saved with the weights; buffers move
        # with the model to its device.
        table = subword_table(vocabulary, num_subword_buckets)
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
