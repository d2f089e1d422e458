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
            self._check_text(text, index)
        predictions: list[Prediction] = []
        for start in range(0, len(texts), batch_size):
            probabilities = self._probabilities(texts[start : start + batch_size])
            predictions.extend(self._to_prediction(row) for row in probabilities)
        return predictions

    def encode(self, texts: Sequence[str]) -> dict[str, Tensor]:
        """The model inputs for ``texts``: the training tokenizer's ids and attention mask."""
        return self.tokenizer.encode_batch(list(texts), self.max_length)

    @torch.inference_mode()
    def _probabilities(self, texts: Sequence[str]) -> Tensor:
        """Class probabilities for a batch of texts: (B, num_classes) on the CPU."""
        batch = {name: ids.to(self.device) for name, ids in self.encode(texts).items()}
        logits = self.model(**batch)  # (B, C)
        return torch.softmax(logits.float(), dim=-1).cpu()

    def _to_prediction(self, probabilities: Tensor) -> Prediction:
        """Turn one row of class probabilities (C,) into a named result."""
        scores = probabilities.tolist()
        best = max(range(len(scores)), key=scores.__getitem__)
        return Prediction(
            label=self.label_names[best],
            confidence=scores[best],
            probabilities=dict(zip(self.label_names, scores, strict=True)),
        )

    def _check_text(self, text: object, index: int) -> None:
        """Reject what the model cannot meaningfully score, naming the offending input."""
        if not isinstance(text, str):
            raise TypeError(f"text {index} must be a str, got {type(text).__name__}")
        if not self.tokenizer.tokenize(text):
            raise ValueError(f"Input cannot be empty (text {index} has no tokens: {text!r})")
