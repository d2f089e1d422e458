"""The simple models every evaluation scores beside the trained one.

ML Test Score (Breck et al., 2017), test M5: "a simpler model is not better". Two baselines
answer it on the same examples the model is scored on:

- ``majority_class``: always the most frequent class of the training split; a model must
  beat it by a margin to have learned anything at all.
- ``bag_of_words`` (text only): multinomial naive Bayes over the training tokenizer's token
  counts with add-one smoothing, the classic strong baseline for short texts (Wang and
  Manning, 2012). A model no better than it is not worth its cost.

Both are fitted on the training split when the model is trained and saved in its checkpoint
as two count tensors (a few kB). So ``evaluate`` scores them on any labelled file, also
after the training data is gone, and a baseline can never be refitted on evaluation data.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Self, TypeGuard

import torch
from torch import Tensor


@dataclass(frozen=True)
class Baselines:
    """Training-split counts, from which both baselines predict."""

    class_counts: Tensor  # (C,) int64: training examples per class
    token_counts: Tensor | None  # (C, V) int64, text only: occurrences of each id per class

    @classmethod
    def fit(
        cls,
        labels: Tensor,
        num_classes: int,
        text: Mapping[str, Tensor] | None = None,
        vocab_size: int | None = None,
    ) -> Self:
        """Count the training split: its labels (N,) and, for text, its encoded ``text``
        {"input_ids", "attention_mask"} (N, T) over a vocabulary of ``vocab_size`` ids."""
        class_counts = torch.bincount(labels, minlength=num_classes)
        if text is None:
            return cls(class_counts, None)
        if vocab_size is None:
            raise ValueError("vocab_size is needed to count the tokens of text")
        input_ids, is_real = text["input_ids"], text["attention_mask"].bool()  # (N, T) each
        token_counts = torch.zeros(num_classes, vocab_size, dtype=torch.long)
        classes = labels[:, None].expand_as(input_ids)  # (N, T): each token's class
        ones = torch.ones(int(is_real.sum()), dtype=torch.long)
        token_counts.index_put_((classes[is_real], input_ids[is_real]), ones, accumulate=True)
        return cls(class_counts, token_counts)

    def predict(self, inputs: Mapping[str, Tensor]) -> dict[str, Tensor]:
        """Each baseline's predicted class indices (N,) for model inputs, as
        ``Predictor.encode`` makes them; ``bag_of_words`` only for text."""
        count = len(next(iter(inputs.values())))
        predicted = {"majority_class": self.class_counts.argmax().expand(count)}
        if self.token_counts is not None:
            scores = self.bag_of_words_scores(inputs["input_ids"], inputs["attention_mask"])
            predicted["bag_of_words"] = scores.argmax(dim=1)
        return predicted

    def bag_of_words_scores(self, input_ids: Tensor, attention_mask: Tensor) -> Tensor:
        """Naive Bayes log-scores (N, C): log P(class) + sum over real tokens of
        log P(token | class)."""
        assert self.token_counts is not None
        # Add-one smoothing: a token never seen with a class makes it unlikely, not impossible.
        smoothed = self.token_counts.double() + 1  # (C, V)
        log_likelihood = (smoothed / smoothed.sum(dim=1, keepdim=True)).log()  # (C, V)
        log_prior = (self.class_counts.double() / self.class_counts.sum()).log()  # (C,)
        per_token = log_likelihood.T[input_ids]  # (N, T, C)
        per_token = per_token.masked_fill(~attention_mask.bool()[:, :, None], 0.0)
        return log_prior + per_token.sum(dim=1)  # (N, C)

    def state_dict(self) -> dict[str, Tensor | None]:
        """Plain tensors, for the checkpoint."""
        return {"class_counts": self.class_counts, "token_counts": self.token_counts}

    @classmethod
    def from_state_dict(cls, state: Mapping[str, object]) -> Self:
        """Rebuild from ``state_dict()`` output, checking every part."""
        if not isinstance(state, Mapping):
            raise ValueError(
                f"baselines must be a dict of count tensors, got {type(state).__name__}"
            )
        class_counts, token_counts = state.get("class_counts"), state.get("token_counts")
        if not _is_count_tensor(class_counts, ndim=1) or not class_counts.sum() > 0:
            raise ValueError("baselines 'class_counts' must be a 1-D int64 tensor of counts")
        if token_counts is not None and not (
            _is_count_tensor(token_counts, ndim=2) and len(token_counts) == len(class_counts)
        ):
            raise ValueError(
                "baselines 'token_counts' must be None or an int64 tensor of counts with "
                f"one row per class ({len(class_counts)})"
            )
        return cls(class_counts, token_counts)


def _is_count_tensor(value: object, ndim: int) -> TypeGuard[Tensor]:
    return (
        isinstance(value, Tensor)
        and value.dtype == torch.long
        and value.ndim == ndim
        and bool((value >= 0).all())
    )
