"""Serve a trained classifier or regressor, text, tabular or image, from its checkpoint.

The predictor restores the preprocessing saved with the model instead of rebuilding it: a
text is normalised, split and mapped to ids by the training tokenizer, a feature row is
standardised with the training split's statistics, and an image file is decoded,
letterboxed to the training size in the training channel mode and standardised with the
training split's channel statistics (``data.ImagePreprocessing``, the very code the
training datasets use). A regressor's standardised output is
turned back into the label's units with the training targets' mean and std. The model runs
in eval mode under ``torch.inference_mode``: no dropout, no autograd bookkeeping.
"""

import math
from collections.abc import Mapping, Sequence
from numbers import Real
from os import PathLike, fspath
from typing import TypedDict

import torch
from torch import Tensor

from ..checkpoint import load_checkpoint
from ..data import Target, Task

# A text, or a feature row: numbers in the checkpoint's feature order, or a mapping from
# feature name to number; for an image model, the path of an image file.
Example = str | Sequence[float] | Mapping[str, float] | PathLike[str]

# The most examples one forward pass sees, whatever batch_size asks for: attention memory
# grows with batch x length^2, so an enormous batch_size must not mean one enormous pass.
MAX_BATCH_SIZE = 1024


class Prediction(TypedDict):
    """One example's result: the most probable class, its probability, and every class's."""

    label: str
    confidence: float  # == probabilities[label], in [0, 1]
    probabilities: dict[str, float]  # class name -> probability; sums to 1


class Predictor:
    """Predicts class names (``predict_batch``) or numbers (``predict_values``) for raw
    texts or feature rows with one checkpoint.

    ``task`` says which inputs: "text" models take strings, "tabular" models take rows,
    "image" models take image file paths (str or PathLike);
    ``target`` which outputs: "classification" or "regression". ``device`` is where the
    model runs (e.g. "cuda"); None means the CPU, so results never depend silently on which
    hardware happens to be present.
    """

    def __init__(
        self, model_path: str | PathLike[str], device: str | torch.device | None = None
    ) -> None:
        checkpoint = load_checkpoint(model_path)
        self.task: Task = checkpoint["task"]  # annotated: pyright would widen it to str
        self.target: Target = checkpoint["target"]
        self.target_normalizer = checkpoint["target_normalizer"]
        self.device = torch.device("cpu" if device is None else device)
        self.model = checkpoint["model"].to(self.device).eval().requires_grad_(False)
        self.label_names = checkpoint["label_names"]
        self.tokenizer = checkpoint["tokenizer"]
        self.max_length = checkpoint["max_length"]
        self.feature_names = checkpoint["feature_names"]
        self.normalizer = checkpoint["normalizer"]
        self.image_preprocessing = checkpoint["image_preprocessing"]
        self.baselines = checkpoint["baselines"]
        self.data_source = checkpoint["data_source"]
        self.history = checkpoint["history"]  # per-epoch metrics, for evaluate --report

    def predict(self, example: Example) -> Prediction:
        """Predict one text or feature row. Raises TypeError for the wrong kind of input,
        ValueError for a blank text or a row of the wrong width or with NaN/Inf."""
        return self.predict_batch([example])[0]

    def predict_batch(self, examples: Sequence[Example], batch_size: int = 64) -> list[Prediction]:
        """Predict many examples, in their order; each result equals ``predict`` on that example.

        Padding is masked inside text models, so a text's result does not depend on which
        other texts share its batch; texts longer than ``max_length`` tokens are truncated.
        Each chunk of at most ``batch_size`` examples (capped at MAX_BATCH_SIZE) is encoded
        and run on its own, so memory does not grow with the number of examples.
        """
        if self.target != "classification":
            raise TypeError("this model is a regressor: use predict_values")
        return [
            self._to_prediction(scores)
            for logits in self._outputs(examples, batch_size)
            for scores in torch.softmax(logits.float(), dim=-1).tolist()  # B lists of C
        ]

    def predict_values(self, examples: Sequence[Example], batch_size: int = 64) -> list[float]:
        """A regressor's predicted number for each example, in order, in the label's units;
        batched, checked and independent of batch mates as ``predict_batch``."""
        if self.target_normalizer is None:
            raise TypeError("this model is a classifier: use predict_batch")
        return [
            value
            for outputs in self._outputs(examples, batch_size)
            for value in self.target_normalizer.inverse_transform(outputs.double())[:, 0].tolist()
        ]

    def _outputs(self, examples: Sequence[Example], batch_size: int) -> list[Tensor]:
        """The model's raw outputs (B, C) on the CPU, one tensor per chunk of ``examples``."""
        if isinstance(examples, str) or not isinstance(examples, Sequence):
            kind = {"text": "str", "tabular": "feature rows", "image": "image paths"}[self.task]
            raise TypeError(f"examples must be a sequence of {kind}, got {type(examples).__name__}")
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
        step = min(batch_size, MAX_BATCH_SIZE)
        return [
            self._run(self._encode(examples[start : start + step], first_index=start))
            for start in range(0, len(examples), step)
        ]

    def encode(self, examples: Sequence[Example]) -> dict[str, Tensor]:
        """The model inputs for ``examples``, made with the training preprocessing:
        {"input_ids", "attention_mask"} (B, max_length) for text, {"features"} (B, F) for
        rows, {"images"} (B, C, S, S) for image files."""
        return self._encode(examples, first_index=0)

    def _encode(self, examples: Sequence[Example], first_index: int) -> dict[str, Tensor]:
        """``encode``, with error messages numbering the examples from ``first_index``."""
        if self.task == "text":
            return self._encode_texts(examples, first_index)
        if self.task == "image":
            return {"images": self._encode_images(examples, first_index)}
        return {"features": self._encode_rows(examples, first_index)}

    def _encode_images(self, images: Sequence[Example], first_index: int) -> Tensor:
        """(B, C, S, S) model inputs of image files, preprocessed as the training images were;
        a file that cannot be used raises DataError (a ValueError) naming it."""
        assert self.image_preprocessing is not None  # an image checkpoint
        paths = []
        for index, image in enumerate(images, start=first_index):
            if not isinstance(image, str | PathLike):
                raise TypeError(
                    f"image {index} must be a file path (str or PathLike), "
                    f"got {type(image).__name__}"
                )
            paths.append(fspath(image))
        dtype = next(self.model.parameters()).dtype
        return self.image_preprocessing.encode(paths).to(dtype)

    def _encode_texts(self, texts: Sequence[Example], first_index: int) -> dict[str, Tensor]:
        assert self.tokenizer is not None  # a text checkpoint has both
        assert self.max_length is not None
        strings = []
        for index, text in enumerate(texts, start=first_index):
            if not isinstance(text, str):
                raise TypeError(f"text {index} must be a str, got {type(text).__name__}")
            strings.append(text)
        encoded = self.tokenizer.encode_batch(strings, self.max_length)  # (B, L) each
        blank = (encoded["attention_mask"].sum(dim=1) == 0).nonzero().flatten().tolist()
        if blank:
            raise ValueError(
                f"Input cannot be empty (text {first_index + blank[0]} has no tokens: "
                f"{texts[blank[0]]!r})"
            )
        return encoded

    def _encode_rows(self, rows: Sequence[Example], first_index: int) -> Tensor:
        """(B, F) float features in the checkpoint's column order, normalised as in training."""
        assert self.feature_names is not None  # a tabular checkpoint
        values = [self._row_values(index, row) for index, row in enumerate(rows, start=first_index)]
        dtype = next(self.model.parameters()).dtype
        features = torch.tensor(values, dtype=dtype).reshape(len(values), len(self.feature_names))
        return features if self.normalizer is None else self.normalizer.transform(features)

    def _row_values(self, index: int, row: Example) -> list[float]:
        """One row's numbers, checked: the right width (or names), each a finite number."""
        assert self.feature_names is not None
        names = self.feature_names
        if isinstance(row, Mapping):
            missing = [name for name in names if name not in row]
            unknown = [key for key in row if key not in names]
            if missing or unknown:
                raise ValueError(
                    f"row {index} must have the features {list(names)}; "
                    f"missing {missing}, unknown {unknown}"
                )
            row = [row[name] for name in names]
        elif isinstance(row, str) or not isinstance(row, Sequence):
            raise TypeError(
                f"row {index} must be a sequence of {len(names)} numbers or a mapping from "
                f"feature name to number, got {type(row).__name__}"
            )
        if len(row) != len(names):
            raise ValueError(f"row {index} must have {len(names)} features, got {len(row)}")
        for name, value in zip(names, row, strict=True):
            if isinstance(value, bool) or not isinstance(value, Real):
                raise TypeError(
                    f"row {index} feature {name!r} must be a number, got {type(value).__name__}"
                )
            if not math.isfinite(value):
                raise ValueError(f"row {index} feature {name!r} must be finite, got {value}")
        return [float(value) for value in row]

    @torch.inference_mode()
    def _run(self, batch: dict[str, Tensor]) -> Tensor:
        """The model's outputs (B, C) for one encoded batch, checked finite, on the CPU."""
        batch = {name: tensor.to(self.device) for name, tensor in batch.items()}
        outputs: Tensor = self.model(**batch)  # (B, C)
        if not bool(torch.isfinite(outputs).all()):
            raise ValueError(
                "the model produced NaN or infinity for this input: its weights overflow "
                "(is the checkpoint damaged?)"
            )
        return outputs.cpu()

    def _to_prediction(self, scores: list[float]) -> Prediction:
        """Turn one example's class probabilities into a named result."""
        best = max(range(len(scores)), key=scores.__getitem__)
        return Prediction(
            label=self.label_names[best],
            confidence=scores[best],
            probabilities=dict(zip(self.label_names, scores, strict=True)),
        )
