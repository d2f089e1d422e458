"""Regression tier: the default model must earn its keep against simpler models.

ML Test Score (Breck et al., 2017), test M5: "a simpler model is not better". On each
shipped dataset, the default data's test split and the golden set, the session's model
(DEFAULT_DATA, default TrainConfig) is scored beside the baselines its checkpoint holds,
fitted on the same training split: it must clearly beat always answering the most
frequent class, and must not fall behind a naive-Bayes bag of words by more than a little.
"""

import pytest
from test_metrics import golden_set_path

from {{ cookiecutter.module_name }}.inference import Predictor
from {{ cookiecutter.module_name }}.task import read_examples, recorded_test_split, score

# Accuracy points above the majority class: far above chance wobble on 50+ examples
# (one example is under 2 points), far below what any working model gains.
MAJORITY_MARGIN = 0.2
# Accuracy points the model may trail the bag of words: three examples in 60, room for
# seeds and hardware, too little to hide a model that is simply worse.
BAG_OF_WORDS_TOLERANCE = 0.05


@pytest.fixture(scope="module", params=["test split", "golden set"])
def scored(request: pytest.FixtureRequest, trained_predictor: Predictor) -> dict:
    """`score` of the session model on one shipped dataset."""
    if request.param == "test split":
        examples = recorded_test_split(trained_predictor)
    else:
        examples = read_examples(trained_predictor, golden_set_path())
    return score(trained_predictor, examples)


class TestSimplerModelsAreNotBetter:
    def test_beats_the_majority_class_by_a_margin(self, scored):
        """Accuracy is at least MAJORITY_MARGIN above the majority-class baseline (M5).
        Catches a model that learned nothing, e.g. one that always predicts one class."""
        assert scored["accuracy"] >= scored["baselines"]["majority_class"] + MAJORITY_MARGIN

    def test_is_not_worse_than_a_bag_of_words(self, scored):
        """Accuracy is at most BAG_OF_WORDS_TOLERANCE below the naive-Bayes bag of words
        fitted on the same training split (M5; text data has it, tabular data only the
        majority class). Catches a model, or a change to it, that a simple word count
        beats: then the cheap model should ship."""
        for name, baseline in scored["baselines"].items():
            if name != "majority_class":
                assert scored["accuracy"] >= baseline - BAG_OF_WORDS_TOLERANCE, name
