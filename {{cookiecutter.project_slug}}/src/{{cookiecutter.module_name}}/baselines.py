"""The simple models every evaluation scores beside the trained one.

ML Test Score (Breck et al., 2017), test M5: "a simpler model is not better". Simple models
answer it on the same examples the model is scored on. A classifier's (``Baselines``):

- ``majority_class``: always the most frequent class of the training split; a model must
  beat it by a margin to have learned anything at all.
- ``bag_of_words`` (text only): multinomial naive Bayes over the training tokenizer's token
  counts with add-one smoothing, the classic strong baseline for short texts (Wang and
  Manning, 2012). A model no better than it is not worth its cost.
- ``logistic_regression`` (tabular and images): a linear model of the normalised features,
  the classic strong baseline for tables; for images, of their grayscale thumbnails
  (``thumbnails``: THUMBNAIL_SIZE x THUMBNAIL_SIZE averages of the model's inputs), which
  is what a CNN must beat to have learnt more than where the ink is. It minimises
  scikit-learn's default objective
  (``LogisticRegression(C=1)``: mean cross-entropy plus an L2 penalty of 1 / (2N) times
  the squared weights) by L-BFGS in float64, from zero weights, so it is deterministic
  and its accuracy can be checked against scikit-learn's (README, "Baselines").

A regressor's (``RegressionBaselines``):

- ``training_mean``: always the training split's mean target; its RMSE is about the target's
  standard deviation, and a model must beat it to have learned anything.
- ``ridge_regression``: closed-form ridge regression (scikit-learn's ``Ridge(alpha=1)``: the
  summed squared error plus the squared weights, the intercept unpenalised) on the
  normalised features (an image's thumbnail), or for text on the counts of the RIDGE_TOKENS
  most frequent training tokens (a bag of words). A model no better than a linear one is
  not worth its cost.

They are fitted on the training split when the model is trained and saved in its checkpoint
as plain tensors (a few kB). So ``evaluate`` scores them on any labelled file, also after
the training data is gone, and a baseline can never be refitted on evaluation data.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Self, TypeGuard

import torch
from torch import Tensor
from torch.nn import functional

# L-BFGS iterations of the logistic regression: scikit-learn's default max_iter. On
# normalised features it converges well before that (README, "Baselines").
LOGISTIC_MAX_ITERATIONS = 100
# scikit-learn's default Ridge penalty.
RIDGE_ALPHA = 1.0
# Columns of the text ridge regression: the most frequent training tokens. Its normal
# equations are RIDGE_TOKENS squared, whatever the vocabulary's size.
RIDGE_TOKENS = 1024
# Rows of the bag of words made at once while fitting it: bounded memory at any size.
RIDGE_CHUNK = 4096
# The side of the grayscale thumbnails the image baselines see: 64 pixels, as load_digits.
THUMBNAIL_SIZE = 8


def thumbnails(images: Tensor) -> Tensor:
    """Grayscale thumbnails (N, THUMBNAIL_SIZE**2) of model inputs (N, C, S, S): the mean
    over channels, averaged over THUMBNAIL_SIZE x THUMBNAIL_SIZE areas (an area resize, so
    no pixel is skipped)."""
    gray = images.float().mean(dim=1, keepdim=True)  # (N, C, S, S) -> (N, 1, S, S)
    pooled = functional.adaptive_avg_pool2d(gray, THUMBNAIL_SIZE)  # (N, 1, 8, 8)
    return pooled.flatten(start_dim=1)  # (N, 64)


def linear_inputs(inputs: Mapping[str, Tensor]) -> Tensor:
    """What the linear baselines read from model inputs: the features, or thumbnails."""
    return inputs["features"] if "features" in inputs else thumbnails(inputs["images"])


@dataclass(frozen=True)
class Baselines:
    """What the baselines learnt from the training split, from which they predict."""

    class_counts: Tensor  # (C,) int64: training examples per class
    token_counts: Tensor | None  # (C, V) int64, text only: occurrences of each id per class
    logistic_weight: Tensor | None = None  # (C, F) float64, tabular only
    logistic_bias: Tensor | None = None  # (C,) float64, tabular only

    @classmethod
    def fit(
        cls,
        labels: Tensor,
        num_classes: int,
        text: Mapping[str, Tensor] | None = None,
        vocab_size: int | None = None,
        features: Tensor | None = None,
    ) -> Self:
        """Fit on the training split: its labels (N,) and, for text, its encoded ``text``
        {"input_ids", "attention_mask"} (N, T) over a vocabulary of ``vocab_size`` ids, or
        for tabular data its normalised ``features`` (N, F), as the model sees them."""
        class_counts = torch.bincount(labels, minlength=num_classes)
        if features is not None:
            return cls(class_counts, None, *logistic_regression(features, labels, num_classes))
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
        if self.logistic_weight is not None and self.logistic_bias is not None:
            logits = linear_inputs(inputs).double() @ self.logistic_weight.T + self.logistic_bias
            predicted["logistic_regression"] = logits.argmax(dim=1)
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
        return {
            "class_counts": self.class_counts,
            "token_counts": self.token_counts,
            "logistic_weight": self.logistic_weight,
            "logistic_bias": self.logistic_bias,
        }

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
        weight, bias = state.get("logistic_weight"), state.get("logistic_bias")
        if (
            _is_finite_float64(weight, ndim=2)
            and _is_finite_float64(bias, ndim=1)
            and len(weight) == len(bias) == len(class_counts)
        ):
            return cls(class_counts, token_counts, weight, bias)
        if weight is None and bias is None:
            return cls(class_counts, token_counts)
        raise ValueError(
            "baselines 'logistic_weight' and 'logistic_bias' must both be None or finite "
            f"float64 tensors (C, F) and (C,) with one row per class ({len(class_counts)})"
        )


def logistic_regression(
    features: Tensor, labels: Tensor, num_classes: int
) -> tuple[Tensor, Tensor]:
    """The weight (C, F) and bias (C,) of multinomial logistic regression on ``features``
    (N, F), with scikit-learn's default L2 penalty (C=1), by L-BFGS from zero weights."""
    inputs = features.detach().double()
    weight = torch.zeros(num_classes, inputs.shape[1], dtype=torch.float64, requires_grad=True)
    bias = torch.zeros(num_classes, dtype=torch.float64, requires_grad=True)
    penalty = 1 / (2 * len(inputs))  # sklearn's C * sum(loss) + |W|^2 / 2, divided by C * N
    optimizer = torch.optim.LBFGS(
        [weight, bias], max_iter=LOGISTIC_MAX_ITERATIONS, line_search_fn="strong_wolfe"
    )

    def closure() -> Tensor:
        optimizer.zero_grad()
        logits = inputs @ weight.T + bias
        loss = functional.cross_entropy(logits, labels) + penalty * weight.square().sum()
        loss.backward()  # type: ignore[no-untyped-call]  # unannotated in torch
        return loss

    with torch.enable_grad():
        optimizer.step(closure)  # type: ignore[no-untyped-call]  # unannotated in torch
    return weight.detach(), bias.detach()


def _is_finite_float64(value: object, ndim: int) -> TypeGuard[Tensor]:
    return (
        isinstance(value, Tensor)
        and value.dtype == torch.float64
        and value.ndim == ndim
        and bool(torch.isfinite(value).all())
    )


def _is_count_tensor(value: object, ndim: int) -> TypeGuard[Tensor]:
    return (
        isinstance(value, Tensor)
        and value.dtype == torch.long
        and value.ndim == ndim
        and bool((value >= 0).all())
    )


@dataclass(frozen=True)
class RegressionBaselines:
    """What a regressor's baselines learnt from the training split's targets (label units)."""

    mean: Tensor  # () float64: the training split's mean target
    ridge_weight: Tensor  # (F,) float64 per feature, or (V,) per token id for text
    ridge_bias: Tensor  # () float64

    @classmethod
    def fit(
        cls,
        targets: Tensor,
        text: Mapping[str, Tensor] | None = None,
        vocab_size: int | None = None,
        features: Tensor | None = None,
    ) -> Self:
        """Fit on the training split: its targets (N,) and its normalised ``features`` (N, F),
        or its encoded ``text`` over a vocabulary of ``vocab_size`` ids."""
        values = targets.double()
        if features is not None:
            inputs = features.double()
            moments = (inputs.T @ inputs, inputs.T @ values, inputs.sum(dim=0))
            weight, bias = ridge_regression(*moments, values, RIDGE_ALPHA)
            return cls(values.mean(), weight, bias)
        if text is None or vocab_size is None:
            raise ValueError("give the normalised features, or the encoded text and vocab_size")
        input_ids, is_real = text["input_ids"], text["attention_mask"].bool()
        counts = torch.bincount(input_ids[is_real], minlength=vocab_size)
        kept = counts.argsort(descending=True, stable=True)[:RIDGE_TOKENS]
        column = torch.full((vocab_size,), len(kept), dtype=torch.long)  # beyond: dropped
        column[kept] = torch.arange(len(kept))
        size = len(kept)
        gram = torch.zeros(size, size, dtype=torch.float64)
        moment = torch.zeros(size, dtype=torch.float64)
        total = torch.zeros(size, dtype=torch.float64)
        for start in range(0, len(input_ids), RIDGE_CHUNK):
            rows = slice(start, start + RIDGE_CHUNK)
            columns = torch.where(is_real[rows], column[input_ids[rows]], size)
            bag = torch.zeros(len(columns), size + 1, dtype=torch.float64)
            bag.scatter_add_(1, columns, torch.ones_like(columns, dtype=torch.float64))
            bag = bag[:, :size]  # (chunk, K): counts of the kept tokens
            gram += bag.T @ bag
            moment += bag.T @ values[rows]
            total += bag.sum(dim=0)
        kept_weight, bias = ridge_regression(gram, moment, total, values, RIDGE_ALPHA)
        weight = torch.zeros(vocab_size, dtype=torch.float64)
        weight[kept] = kept_weight
        return cls(values.mean(), weight, bias)

    def predict(self, inputs: Mapping[str, Tensor]) -> dict[str, Tensor]:
        """Each baseline's predicted values (N,) for model inputs, as ``Predictor.encode``
        makes them."""
        if "input_ids" not in inputs:  # features, or an image's thumbnail
            linear = linear_inputs(inputs).double() @ self.ridge_weight
        else:  # the bag of words times the weights: each real token adds its weight
            per_token = self.ridge_weight[inputs["input_ids"]]  # (N, T)
            linear = per_token.masked_fill(~inputs["attention_mask"].bool(), 0.0).sum(dim=1)
        return {
            "training_mean": self.mean.expand(len(linear)),
            "ridge_regression": linear + self.ridge_bias,
        }

    def state_dict(self) -> dict[str, Tensor]:
        """Plain tensors, for the checkpoint."""
        return {"mean": self.mean, "ridge_weight": self.ridge_weight, "ridge_bias": self.ridge_bias}

    @classmethod
    def from_state_dict(cls, state: Mapping[str, object]) -> Self:
        """Rebuild from ``state_dict()`` output, checking every part."""
        if not isinstance(state, Mapping):
            raise ValueError(f"baselines must be a dict of tensors, got {type(state).__name__}")
        mean, weight, bias = (state.get(key) for key in ("mean", "ridge_weight", "ridge_bias"))
        if not (
            _is_finite_float64(mean, ndim=0)
            and _is_finite_float64(weight, ndim=1)
            and _is_finite_float64(bias, ndim=0)
        ):
            raise ValueError(
                "regression baselines 'mean', 'ridge_weight' and 'ridge_bias' must be finite "
                "float64 tensors of shapes (), (F,) and ()"
            )
        return cls(mean, weight, bias)


def ridge_regression(
    gram: Tensor, moment: Tensor, total: Tensor, targets: Tensor, alpha: float
) -> tuple[Tensor, Tensor]:
    """The weight (F,) and intercept () of ridge regression from the sums over the training
    rows x of x xᵀ (``gram``), x y (``moment``) and x (``total``), and the targets (N,).

    Centring x and y leaves the intercept unpenalised: (Xc^T Xc + alpha I) w = Xc^T yc, with
    Xc^T Xc = X^T X - N mean(x) mean(x)ᵀ and Xc^T yc = X^T y - N mean(x) mean(y).
    """
    count, target_mean = len(targets), targets.mean()
    feature_mean = total / count
    centred_gram = gram - count * torch.outer(feature_mean, feature_mean)
    centred_moment = moment - count * feature_mean * target_mean
    penalty = alpha * torch.eye(len(gram), dtype=torch.float64)
    weight = torch.linalg.solve(centred_gram + penalty, centred_moment)
    return weight, target_mean - feature_mean @ weight
