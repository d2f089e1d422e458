"""Unit tests for the baselines: what they learn from the training split, and only from it.

Inputs are hand-made token ids over a five-word vocabulary, so every count and every
naive-Bayes score can be worked out on paper.
"""

import io
import math

import numpy as np
import pytest
import torch

from {{ cookiecutter.module_name }}.baselines import RIDGE_ALPHA, Baselines, RegressionBaselines

PAD = 0
# ids 1..4: "goal", "match", "bread", "oven"; classes 0 (sports) and 1 (food)
VOCAB_SIZE = 5
TRAIN_IDS = torch.tensor(
    [
        [1, 2, 1, PAD],  # goal match goal
        [2, 1, PAD, PAD],  # match goal
        [1, PAD, PAD, PAD],  # goal
        [3, 4, PAD, PAD],  # bread oven
    ]
)
TRAIN_LABELS = torch.tensor([0, 0, 0, 1])  # three sports texts, one food text


def text(ids: torch.Tensor) -> dict[str, torch.Tensor]:
    return {"input_ids": ids, "attention_mask": (ids != PAD).long()}


@pytest.fixture
def baselines() -> Baselines:
    return Baselines.fit(TRAIN_LABELS, 2, text(TRAIN_IDS), VOCAB_SIZE)


class TestMajorityClass:
    def test_predicts_the_most_frequent_training_class_for_everything(self, baselines):
        """Every example gets class 0, the class of three of the four training texts,
        whatever its words. Catches a majority taken from anything but the training labels."""
        food = text(torch.tensor([[3, 4, 3], [4, 4, 4]]))
        assert baselines.predict(food)["majority_class"].tolist() == [0, 0]

    def test_tabular_data_gets_only_the_majority_class(self):
        """Without text there is nothing to count words of: one baseline, no bag of words."""
        baselines = Baselines.fit(torch.tensor([2, 2, 1]), 3)
        predicted = baselines.predict({"features": torch.zeros(4, 7)})
        assert list(predicted) == ["majority_class"]
        assert predicted["majority_class"].tolist() == [2, 2, 2, 2]


class TestBagOfWords:
    def test_counts_every_real_token_of_each_class_and_no_padding(self, baselines):
        """token_counts[c, w] is how often word w occurs in class c's training texts; the
        padding id is never counted. Catches padding counted as a word."""
        expected = torch.tensor([[0, 4, 2, 0, 0], [0, 0, 0, 1, 1]])
        assert torch.equal(baselines.token_counts, expected)

    def test_scores_are_naive_bayes_with_add_one_smoothing(self, baselines):
        """The text "goal bread" scores log P(c) + log P(goal | c) + log P(bread | c), every
        count plus one, as worked out by hand (atol 1e-9). Catches a missing prior, a
        missing or other smoothing, and likelihoods normalised over the wrong axis."""
        # sports: 6 tokens, food: 2 tokens, each count + 1 over 5 ids: denominators 11 and 7
        sports = math.log(3 / 4) + math.log(5 / 11) + math.log(1 / 11)
        food = math.log(1 / 4) + math.log(1 / 7) + math.log(2 / 7)
        scores = baselines.bag_of_words_scores(*text(torch.tensor([[1, 3, PAD]])).values())
        assert scores[0].tolist() == pytest.approx([sports, food], abs=1e-9)

    def test_predicts_the_class_whose_words_a_text_uses(self, baselines):
        """The text "bread oven" is food and "match" is sports, although food is the rarer class."""
        predicted = baselines.predict(text(torch.tensor([[3, 4], [2, PAD]])))["bag_of_words"]
        assert predicted.tolist() == [1, 0]

    def test_padding_does_not_change_the_scores(self, baselines):
        """More padding after a text leaves its scores exactly as they were.
        Catches padded positions scored as words."""
        short = baselines.bag_of_words_scores(*text(torch.tensor([[3, 1]])).values())
        padded = baselines.bag_of_words_scores(*text(torch.tensor([[3, 1, PAD, PAD]])).values())
        assert torch.equal(short, padded)

    def test_a_word_never_seen_with_a_class_keeps_every_score_finite(self, baselines):
        """The word "oven" never occurs in a sports text, yet sports keeps a finite score.
        Catches unsmoothed counts: log(0) = -inf rules a class out for one word."""
        scores = baselines.bag_of_words_scores(*text(torch.tensor([[4, 1, 1, 1]])).values())
        assert torch.isfinite(scores).all()

    def test_vocab_size_is_required_for_text(self):
        with pytest.raises(ValueError, match="vocab_size"):
            Baselines.fit(TRAIN_LABELS, 2, text(TRAIN_IDS))


class TestStateDict:
    def test_round_trips_through_safe_loading(self, baselines):
        """state_dict survives torch.save and torch.load(weights_only=True), as in a
        checkpoint, and the rebuilt baselines predict the same."""
        buffer = io.BytesIO()
        torch.save(baselines.state_dict(), buffer)
        buffer.seek(0)
        rebuilt = Baselines.from_state_dict(torch.load(buffer, weights_only=True))
        inputs = text(TRAIN_IDS)
        for name, predicted in baselines.predict(inputs).items():
            assert torch.equal(rebuilt.predict(inputs)[name], predicted)

    @pytest.mark.parametrize(
        ("state", "message"),
        [
            pytest.param([torch.tensor([1, 1])], "dict of count tensors", id="list"),
            pytest.param({"token_counts": None}, "class_counts", id="missing"),
            pytest.param({"class_counts": torch.ones(2)}, "class_counts", id="float"),
            pytest.param({"class_counts": torch.tensor([1, -1])}, "class_counts", id="negative"),
            pytest.param({"class_counts": torch.tensor([0, 0])}, "class_counts", id="none"),
            pytest.param(
                {"class_counts": torch.tensor([1, 1]), "token_counts": torch.ones(3, 5).long()},
                "one row per class",
                id="rows",
            ),
        ],
    )
    def test_rejects_parts_that_are_not_counts(self, state, message):
        """Anything but non-negative int64 counts, one row per class, fails naming the part."""
        with pytest.raises(ValueError, match=message):
            Baselines.from_state_dict(state)


def ridge_by_least_squares(design: np.ndarray, targets: np.ndarray) -> tuple[np.ndarray, float]:
    """Ridge regression (alpha RIDGE_ALPHA, intercept unpenalised) as an ordinary least
    squares problem: the centred rows stacked on sqrt(alpha) I, the targets on zeros."""
    centred = design - design.mean(axis=0)
    stacked = np.vstack([centred, np.sqrt(RIDGE_ALPHA) * np.eye(design.shape[1])])
    padded = np.concatenate([targets - targets.mean(), np.zeros(design.shape[1])])
    weight = np.linalg.lstsq(stacked, padded, rcond=None)[0]
    return weight, float(targets.mean() - design.mean(axis=0) @ weight)


class TestRegressionBaselines:
    @pytest.fixture
    def features(self) -> torch.Tensor:
        return torch.randn(40, 3, generator=torch.Generator().manual_seed(0))

    @pytest.fixture
    def targets(self, features) -> torch.Tensor:
        noise = torch.randn(40, generator=torch.Generator().manual_seed(1))
        return 500 + 30 * features[:, 0] - 10 * features[:, 2] + noise

    def test_training_mean_predicts_the_training_mean(self, features, targets):
        """Every example gets the training targets' mean. Catches a mean taken from the
        evaluated examples (which would score an RMSE below the label's std)."""
        baselines = RegressionBaselines.fit(targets, features=features)
        predicted = baselines.predict({"features": torch.zeros(5, 3)})["training_mean"]
        assert predicted.tolist() == pytest.approx([targets.double().mean().item()] * 5)

    def test_ridge_on_features_solves_the_normal_equations(self, features, targets):
        """The ridge weights and intercept equal numpy's least-squares solution of the same
        penalised problem (within 1e-8). Catches a penalised intercept, an uncentred Gram
        matrix and a missing penalty."""
        baselines = RegressionBaselines.fit(targets, features=features)
        weight, bias = ridge_by_least_squares(features.double().numpy(), targets.double().numpy())
        assert baselines.ridge_weight.numpy() == pytest.approx(weight, abs=1e-8)
        assert baselines.ridge_bias.item() == pytest.approx(bias, abs=1e-8)

    def test_ridge_on_text_is_ridge_on_the_bag_of_words(self):
        """For text the design matrix is each text's token counts (padding not counted):
        the weights over the vocabulary equal numpy's solution on those counts, and a text's
        prediction is the intercept plus its tokens' weights. Catches padding counted as a
        word and a prediction that ignores the attention mask."""
        values = torch.tensor([3.0, 2.0, 1.0, 7.0])
        encoded = text(TRAIN_IDS)
        baselines = RegressionBaselines.fit(values, encoded, VOCAB_SIZE)
        counts = np.zeros((len(TRAIN_IDS), VOCAB_SIZE))
        for row, ids in enumerate(TRAIN_IDS.tolist()):
            for token in ids:
                counts[row, token] += token != PAD
        weight, bias = ridge_by_least_squares(counts, values.double().numpy())
        assert baselines.ridge_weight.numpy() == pytest.approx(weight, abs=1e-8)
        expected = counts @ weight + bias
        predicted = baselines.predict(encoded)["ridge_regression"]
        assert predicted.numpy() == pytest.approx(expected, abs=1e-8)

    def test_survives_a_state_dict_round_trip(self, features, targets):
        """from_state_dict(state_dict()) predicts exactly what the original does, also after
        torch.save and torch.load(weights_only=True)."""
        baselines = RegressionBaselines.fit(targets, features=features)
        buffer = io.BytesIO()
        torch.save(baselines.state_dict(), buffer)
        buffer.seek(0)
        restored = RegressionBaselines.from_state_dict(torch.load(buffer, weights_only=True))
        inputs = {"features": features}
        for name, values in baselines.predict(inputs).items():
            assert torch.equal(restored.predict(inputs)[name], values)

    @pytest.mark.parametrize(
        "state",
        [
            {
                "mean": torch.tensor(1.0),
                "ridge_weight": torch.zeros(3),
                "ridge_bias": torch.tensor(0.0),
            },
            {
                "mean": torch.tensor(math.nan, dtype=torch.float64),
                "ridge_weight": torch.zeros(3, dtype=torch.float64),
                "ridge_bias": torch.tensor(0.0, dtype=torch.float64),
            },
            {"mean": torch.tensor(1.0, dtype=torch.float64)},
            [1.0, 2.0],
        ],
    )
    def test_refuses_a_damaged_state(self, state):
        """float32 parts, a NaN mean, missing parts and a non-dict fail as ValueError."""
        with pytest.raises(ValueError, match="baselines"):
            RegressionBaselines.from_state_dict(state)
