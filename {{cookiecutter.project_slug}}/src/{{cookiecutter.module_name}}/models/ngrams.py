"""A fastText-style text classifier: the mean embedding of a text's words and word pairs.

After Joulin et al. (2017), "Bag of Tricks for Efficient Text Classification": each token
and each pair of neighbouring tokens (a bigram) has an embedding, a text is the mean of
them, and a linear head scores the classes. Word order enters only through the bigrams,
which is often all a few hundred labelled texts can teach.

Bigrams are hashed from the token ids inside ``forward`` (no bigram vocabulary is saved),
so training, evaluation and serving cannot compute them differently. Shape letters:
B batch, T sequence length, H hidden size, C classes.
"""

import torch
from torch import nn

from .token_inputs import real_token_mask

# An odd multiplier well above any vocabulary size: (previous, current) -> bucket spreads
# the pairs over the buckets and tells "a b" from "b a".
BIGRAM_HASH_MULTIPLIER = 1_000_003


class BagOfNgramsClassifier(nn.Module):
    """Token and hashed-bigram embeddings, mean over the real n-grams, dropout, linear head.

    An n-gram counts only when all its tokens are real: padding never enters the mean, and
    a fully padded row pools to zeros (its logits are the head's bias), not NaN.
    """

    name = "bag_of_ngrams"  # key of this class in build_model's registry and in `config`

    def __init__(
        self,
        vocab_size: int,
        hidden_size: int,
        num_classes: int,
        dropout: float = 0.1,
        pad_id: int = 0,
        num_buckets: int = 4096,
    ) -> None:
        super().__init__()
        if not 0 <= pad_id < vocab_size:
            raise ValueError(f"pad_id must be in [0, {vocab_size}), got {pad_id}")
        if num_buckets < 1:
            raise ValueError(f"num_buckets must be >= 1, got {num_buckets}")
        # What forward reads, typed; `config` holds them for rebuilding the model.
        self.vocab_size, self.pad_id, self.num_buckets = vocab_size, pad_id, num_buckets
        self.config: dict[str, object] = {
            "name": self.name,
            "vocab_size": vocab_size,
            "hidden_size": hidden_size,
            "num_classes": num_classes,
            "dropout": dropout,
            "pad_id": pad_id,
            "num_buckets": num_buckets,
        }
        self.token_embedding = nn.Embedding(vocab_size, hidden_size)
        self.bigram_embedding = nn.Embedding(num_buckets, hidden_size)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(hidden_size, num_classes)

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
        count = is_real.sum(dim=1, keepdim=True) + pair_is_real.sum(dim=1, keepdim=True)  # (B, 1)
        pooled = (tokens.sum(dim=1) + pairs.sum(dim=1)) / count.clamp(min=1)  # (B, H)
        logits: torch.Tensor = self.head(self.dropout(pooled))  # (B, C); no softmax
        return logits
