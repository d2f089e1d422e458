"""Serve a trained text classifier from its checkpoint.

The predictor restores the tokenizer saved with the model instead of rebuilding one, so a
text is normalised, split and mapped to ids exactly as it was in training. The model runs
in eval mode under ``torch.inference_mode``: no dropout, no autograd bookkeeping.
"""

from collections.abc import Sequence
from os import PathLike
from typing import TypedDict

import torch
from torch import Tensor

from ..checkpoint import load_checkpoint


class Prediction(TypedDict):
    """One text's result: the most probable class, its probability, and every class's."""

    label: str
    confidence: float  # == probabilities[label], in [0, 1]
    probabilities: dict[str, float]  # class name -> probability; sums to 1


class Predictor:
    """Predicts class names for raw texts with the model and tokenizer of one checkpoint.

    ``device`` is where the model runs (e.g. "cuda"); None means the CPU, so results never
    depend silently on which hardware happens to be present.
    """

    def __init__(
        self, model_path: str | PathLike[str], device: str | torch.device | None = None
    ) -> None:
        checkpoint = load_checkpoint(model_path)
        self.device = torch.device("cpu" if device is None else device)
        self.model = checkpoint["model"].to(self.device).eval().requires_grad_(False)
        self.tokenizer = checkpoint["tokenizer"]
        self.label_names = checkpoint["label_names"]
        self.max_length = checkpoint["max_length"]

    def predict(self, text: str) -> Prediction:
        """Predict one text. Raises TypeError for a non-string, ValueError for a blank one."""
        return self.predict_batch([text])[0]

    def predict_batch(self, texts: Sequence[str], batch_size: int = 64) -> list[Prediction]:
        """Predict many texts, in their order; each result equals ``predict`` on that text.

        Padding is masked inside the model, so a text's result does not depend on which
        other texts share its batch. Texts longer than ``max_length`` tokens are truncated.
        """
        if isinstance(texts, str) or not isinstance(texts, Sequence):
            raise TypeError(f"texts must be a sequence of str, got {type(texts).__name__}")
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
        for index, text in enumerate(texts):
            if not isinstance(text, str):
                raise TypeError(f"text {index} must be a str, got {type(text).__name__}")
        encoded = self.encode(texts)  # every text tokenised once: (N, L) ids and mask
        blank = (encoded["attention_mask"].sum(dim=1) == 0).nonzero().flatten().tolist()
        if blank:
            raise ValueError(
                f"Input cannot be empty (text {blank[0]} has no tokens: {texts[blank[0]]!r})"
            )
        predictions: list[Prediction] = []
        for start in range(0, len(texts), batch_size):
            chunk = {name: tensor[start : start + batch_size] for name, tensor in encoded.items()}
            predictions.extend(self._predict_encoded(chunk))
        return predictions

    def encode(self, texts: Sequence[str]) -> dict[str, Tensor]:
        """The model inputs for ``texts``: the training tokenizer's ids and attention mask."""
        return self.tokenizer.encode_batch(list(texts), self.max_length)

    @torch.inference_mode()
    def _predict_encoded(self, batch: dict[str, Tensor]) -> list[Prediction]:
        """Predictions for one batch of encoded texts (B, L)."""
        batch = {name: tensor.to(self.device) for name, tensor in batch.items()}
        logits = self.model(**batch)  # (B, C)
        probabilities = torch.softmax(logits.float(), dim=-1).cpu().tolist()  # B lists of C
        return [self._to_prediction(scores) for scores in probabilities]

    def _to_prediction(self, scores: list[float]) -> Prediction:
        """Turn one text's class probabilities into a named result."""
        best = max(range(len(scores)), key=scores.__getitem__)
        return Prediction(
            label=self.label_names[best],
            confidence=scores[best],
            probabilities=dict(zip(self.label_names, scores, strict=True)),
        )
