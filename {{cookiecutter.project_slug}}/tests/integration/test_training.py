"""The training layer: one step, one epoch, evaluation, metrics, seeding, fit and the task wiring.

Fast tests train a tiny MLP on a few random feature vectors; the pipeline tests train with a
tiny TrainConfig on the small text and tabular files of conftest.py, never on the bundled
example, so they hold whatever data the project is pointed at.
"""

import json
import random
from copy import deepcopy
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import support_messages, write_table
from hypothesis import given
from hypothesis import strategies as st
from torch import nn
from torch.optim.lr_scheduler import LambdaLR
from torch.utils.data import DataLoader

from {{ cookiecutter.module_name }}.checkpoint import load_checkpoint
from {{ cookiecutter.module_name }}.data import (
    DataError,
    Examples,
    TextDataset,
    build_tokenizer,
    examples_from_table,
    read_table,
)
from {{ cookiecutter.module_name }}.inference import Predictor
from {{ cookiecutter.module_name }}.models import MODEL_REGISTRY, MLPClassifier, models_for
from {{ cookiecutter.module_name }}.task import (
    DataSpec,
    PreparedData,
    TrainedClassifier,
    fit_preprocessing,
    load_data,
    metrics_path,
    resume_path,
    score,
    train_classifier,
)
from {{ cookiecutter.module_name }}.training import (
    STOPPED_AFTER_ALL_EPOCHS,
    STOPPED_BY_PATIENCE,
    FocalLoss,
    TrainConfig,
    accuracy,
    default_batch_size,
    evaluate,
    fit,
    macro_f1,
    model_inputs,
    restore_rng_states,
    rng_states,
    seed_everything,
    train_one_epoch,
    train_step,
    warmup_linear_decay,
)

NUM_FEATURES, NUM_CLASSES = 4, 3
# seed_everything seeds NumPy's legacy global generator, so the tests draw from it.
draw_numpy = np.random.rand
# A loss applied to softmax outputs sees probabilities in [0, 1] as logits. At best (1 for the
# target, 0 elsewhere) the target then gets p = e / (e + C - 1) = 0.576 for C = 3, so
# cross-entropy stays >= -ln(p) = 0.551 and focal loss (gamma=2) >= (1 - p)^2 * -ln(p) = 0.099.
OVERFIT_LOSS_THRESHOLD = 0.01  # a tenth of the lower floor: a model behind softmax cannot pass
# Tiny pipeline runs on the conftest data: a step or two per epoch, milliseconds each.
TINY_TEXT_CONFIG = TrainConfig(epochs=2, batch_size=16, max_length=8, hidden_size=16)
TINY_TABULAR_CONFIG = TrainConfig(epochs=2, batch_size=16, hidden_size=16)


def feature_items(num_items: int, seed: int) -> list[dict[str, torch.Tensor]]:
    """Dataset items {"features", "label"} whose label is the argmax of the first 3 features."""
    generator = torch.Generator().manual_seed(seed)
    features = torch.randn(num_items, NUM_FEATURES, generator=generator)
    labels = features[:, :NUM_CLASSES].argmax(dim=1)
    return [{"features": x, "label": y} for x, y in zip(features, labels, strict=True)]


def feature_batch(batch_size: int = 8, seed: int = 0) -> dict[str, torch.Tensor]:
    return next(iter(DataLoader(feature_items(batch_size, seed), batch_size=batch_size)))


def tiny_mlp(dropout: float = 0.0) -> MLPClassifier:
    return MLPClassifier(NUM_FEATURES, hidden_size=16, num_outputs=NUM_CLASSES, dropout=dropout)


def batch_loss(model: nn.Module, batch: dict[str, torch.Tensor]) -> float:
    with torch.no_grad():
        return nn.functional.cross_entropy(model(**model_inputs(batch)), batch["label"]).item()


class FeaturesAsLogits(nn.Module):
    """A "model" that returns its input as logits, so a test chooses the predictions."""

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return features


class Interrupted(Exception):
    """Raised by a test's log callback to simulate a crash after an epoch."""


def crash(line: str) -> None:
    """A log callback that simulates a crash right after the first epoch's log line."""
    if line.startswith("epoch"):
        raise Interrupted(line)


def assert_same_weights(model: nn.Module, other: nn.Module) -> None:
    for (name, value), other_value in zip(
        model.state_dict().items(), other.state_dict().values(), strict=True
    ):
        assert torch.equal(value, other_value), f"{name} differs"


class TestTrainStep:
    def test_gradients_come_from_the_current_batch_only(self):
        """After a second step, .grad equals the gradient of the second batch's loss alone,
        computed afresh at the weights that step started from.

        Catches a missing optimizer.zero_grad(): gradients of step 1 would be added in.
        """
        model, loss_fn = tiny_mlp(), nn.CrossEntropyLoss()
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        first, second = feature_batch(seed=1), feature_batch(seed=2)
        train_step(model, first, loss_fn, optimizer)
        reference = deepcopy(model)
        loss_fn(reference(**model_inputs(second)), second["label"]).backward()
        train_step(model, second, loss_fn, optimizer)
        for (name, param), expected in zip(
            model.named_parameters(), reference.parameters(), strict=True
        ):
            torch.testing.assert_close(param.grad, expected.grad, msg=f"gradient of {name}")

    def test_one_step_lowers_the_loss_on_its_batch(self):
        """A small SGD step on a fixed batch lowers that batch's loss.

        Catches a sign error (gradient ascent) and a loss detached from the weights.
        """
        model, batch = tiny_mlp(), feature_batch()
        optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
        loss_before = train_step(model, batch, nn.CrossEntropyLoss(), optimizer)
        assert batch_loss(model, batch) < loss_before

    def test_changes_every_parameter(self):
        """Every parameter differs after one step.

        Catches optimizer.step() called before loss.backward() (the first step then has no
        gradient to apply) and parameters left out of the optimizer.
        """
        model = tiny_mlp()
        before = deepcopy(model)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        train_step(model, feature_batch(), nn.CrossEntropyLoss(), optimizer)
        for (name, param), old in zip(model.named_parameters(), before.parameters(), strict=True):
            assert not torch.equal(param, old), f"{name} did not change"

    def test_returns_the_loss_before_the_step(self):
        """The returned float is the batch loss at the weights the step started from
        (tolerance 1e-6). Catches a loss re-computed after the update or from another batch."""
        model, batch = tiny_mlp(), feature_batch()
        expected = batch_loss(model, batch)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        loss = train_step(model, batch, nn.CrossEntropyLoss(), optimizer)
        assert loss == pytest.approx(expected, abs=1e-6)

    def test_clips_the_gradient_norm(self):
        """With grad_clip=0.01 the global gradient norm that was applied is at most 0.01
        (+1e-6). Catches clipping ignored, or done before backward (nothing to clip yet)."""
        model = tiny_mlp()
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        train_step(model, feature_batch(), nn.CrossEntropyLoss(), optimizer, grad_clip=0.01)
        norm = torch.linalg.vector_norm(torch.stack([p.grad.norm() for p in model.parameters()]))
        assert norm <= 0.01 + 1e-6

    def test_refuses_a_non_finite_loss_without_touching_the_weights(self):
        """A NaN loss raises FloatingPointError and leaves every weight unchanged.

        Catches a NaN guard after optimizer.step() (the weights would already be NaN).
        """
        model = tiny_mlp()
        before = deepcopy(model)
        batch = feature_batch()
        batch["features"][0, 0] = float("nan")
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        with pytest.raises(FloatingPointError, match="loss is nan"):
            train_step(model, batch, nn.CrossEntropyLoss(), optimizer)
        assert_same_weights(model, before)


class TestTrainOneEpoch:
    def test_runs_every_forward_in_train_mode(self):
        """Even for a model handed over in eval mode, every forward pass runs in train mode.

        Catches a loop that never calls model.train(): after the first evaluation the
        model would train with dropout (and batch-norm updates) switched off.
        """
        model = tiny_mlp(dropout=0.5).eval()
        modes = []
        model.register_forward_pre_hook(lambda module, args: modes.append(module.training))
        loader = DataLoader(feature_items(16, seed=0), batch_size=8)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        train_one_epoch(model, loader, nn.CrossEntropyLoss(), optimizer)
        assert modes == [True, True]

    def test_steps_the_scheduler_after_every_batch(self):
        """After 4 batches the LR is lr * multiplier(4) of the schedule, not its start value.

        Catches a scheduler that is never stepped (or stepped once per epoch).
        """
        model = tiny_mlp()
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        multiplier = warmup_linear_decay(warmup_steps=2, total_steps=10)
        scheduler = LambdaLR(optimizer, multiplier)
        loader = DataLoader(feature_items(32, seed=0), batch_size=8)
        train_one_epoch(model, loader, nn.CrossEntropyLoss(), optimizer, scheduler=scheduler)
        # Step 4 of 10 after 2 warm-up steps: (10 - 4) / (10 - 2) of the base LR.
        assert optimizer.param_groups[0]["lr"] == pytest.approx(0.1 * 6 / 8)

    def test_names_epoch_and_step_when_the_loss_is_not_finite(self):
        """A NaN in the second batch stops the epoch with a FloatingPointError naming the
        epoch and the step. Catches a loop that trains on, turning every weight into NaN."""
        items = feature_items(16, seed=0)
        items[12]["features"][0] = float("inf")
        model = tiny_mlp()
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        with pytest.raises(FloatingPointError, match="epoch 3, step 2"):
            train_one_epoch(
                model, DataLoader(items, batch_size=8), nn.CrossEntropyLoss(), optimizer, epoch=3
            )

    def test_returns_the_mean_loss_per_example(self):
        """With lr=0 the epoch loss is the loss of the whole data set (tolerance 1e-5),
        also when the last batch is smaller. Catches a mean of batch means."""
        items, model = feature_items(10, seed=0), tiny_mlp()
        optimizer = torch.optim.SGD(model.parameters(), lr=0.0)
        loss = train_one_epoch(
            model, DataLoader(items, batch_size=8), nn.CrossEntropyLoss(), optimizer
        )
        assert loss == pytest.approx(batch_loss(model, feature_batch(10, seed=0)), abs=1e-5)


class TestEvaluate:
    @pytest.mark.parametrize("training", [True, False])
    def test_leaves_the_model_in_the_mode_it_found(self, training):
        """evaluate() restores train or eval mode, whichever the model was in.

        Catches evaluate() leaving the model in eval mode (training would silently continue
        without dropout) or switching an eval-mode model to train mode.
        """
        model = tiny_mlp(dropout=0.5).train(training)
        loader = DataLoader(feature_items(8, seed=0), batch_size=8)
        evaluate(model, loader, nn.CrossEntropyLoss())
        assert all(module.training == training for module in model.modules())

    def test_restores_each_submodule_mode(self):
        """A frozen (eval-mode) part of a training model stays in eval mode.

        Catches restoring with model.train(), which flips every submodule to train mode.
        """
        model = tiny_mlp(dropout=0.5).train()
        model.hidden.eval()
        loader = DataLoader(feature_items(8, seed=0), batch_size=8)
        evaluate(model, loader, nn.CrossEntropyLoss())
        assert model.training
        assert not model.hidden.training

    def test_runs_in_eval_mode_without_autograd(self):
        """Every forward pass inside evaluate() runs in eval mode with autograd off.

        Catches evaluation with dropout on (noisy metrics) or building graphs (memory).
        """
        model = tiny_mlp(dropout=0.5).train()
        seen = []
        model.register_forward_pre_hook(
            lambda module, args: seen.append((module.training, torch.is_grad_enabled()))
        )
        evaluate(model, DataLoader(feature_items(8, seed=0), batch_size=4), nn.CrossEntropyLoss())
        assert seen == [(False, False), (False, False)]

    def test_scores_a_perfect_model_as_perfect(self):
        """Logits that equal the one-hot label give accuracy 1, macro F1 1 and a loss below
        0.01. Catches predictions compared with the wrong labels or metrics over one batch."""
        items = [
            {
                "features": 10 * nn.functional.one_hot(torch.tensor(label), NUM_CLASSES).float(),
                "label": torch.tensor(label),
            }
            for label in [0, 1, 2, 2, 1, 0, 0]
        ]
        metrics = evaluate(
            FeaturesAsLogits(), DataLoader(items, batch_size=3), nn.CrossEntropyLoss()
        )
        assert metrics["accuracy"] == 1.0
        assert metrics["macro_f1"] == 1.0
        assert metrics["loss"] < 0.01

    def test_metrics_cover_every_batch_whatever_the_batching(self):
        """Loss, accuracy and macro F1 over batches of 3, 3, 3 and 1 equal those over one
        batch of 10 (loss within 1e-6). Catches a mean of batch means and metrics of the
        last batch only, which the ragged last batch makes visible."""
        generator = torch.Generator().manual_seed(0)
        logits = torch.randn(10, NUM_CLASSES, generator=generator)
        labels = torch.randint(0, NUM_CLASSES, (10,), generator=generator)
        items = [{"features": x, "label": y} for x, y in zip(logits, labels, strict=True)]
        loss_fn = nn.CrossEntropyLoss()
        ragged = evaluate(FeaturesAsLogits(), DataLoader(items, batch_size=3), loss_fn)
        whole = evaluate(FeaturesAsLogits(), DataLoader(items, batch_size=10), loss_fn)
        assert ragged == pytest.approx(whole, abs=1e-6)


class TestAccuracy:
    def test_is_the_fraction_of_correct_predictions(self):
        """3 of 4 right gives 0.75. Catches a count instead of a fraction."""
        assert accuracy(torch.tensor([0, 1, 2, 2]), torch.tensor([0, 1, 1, 2])) == 0.75

    @pytest.mark.parametrize(
        ("preds", "targets"),
        [(torch.zeros(3), torch.zeros(4)), (torch.zeros(0), torch.zeros(0))],
    )
    def test_rejects_mismatched_or_empty_inputs(self, preds, targets):
        """Different lengths or no examples raise ValueError instead of broadcasting or
        dividing by zero."""
        with pytest.raises(ValueError, match="preds and targets"):
            accuracy(preds, targets)


class TestMacroF1:
    def test_is_one_for_perfect_predictions(self):
        """Perfect predictions score 1. Catches F1 computed from swapped counts."""
        targets = torch.tensor([0, 1, 2, 2, 1])
        assert macro_f1(targets, targets, num_classes=3) == 1.0

    def test_weights_a_rare_class_like_a_common_one(self):
        """Predicting the majority class for all of 6 x class 0 and 2 x class 1 scores
        mean(F1_0 = 12/14, F1_1 = 0) = 3/7, well below the accuracy of 0.75.

        Catches a micro average (which equals accuracy) or a support-weighted average.
        """
        targets = torch.tensor([0, 0, 0, 0, 0, 0, 1, 1])
        score = macro_f1(torch.zeros(8, dtype=torch.long), targets, num_classes=2)
        assert score == pytest.approx(3 / 7, abs=1e-6)

    def test_ignores_classes_absent_from_predictions_and_targets(self):
        """A class that neither occurs nor is predicted does not pull the score to 2/3.

        Catches averaging over num_classes with a score of 0 for an absent class.
        """
        targets = torch.tensor([0, 1, 1, 0])
        assert macro_f1(targets, targets, num_classes=3) == 1.0

    def test_rejects_class_indices_out_of_range(self):
        """An index >= num_classes raises ValueError naming the valid range."""
        with pytest.raises(ValueError, match=r"\[0, 2\)"):
            macro_f1(torch.tensor([0, 2]), torch.tensor([0, 1]), num_classes=2)


class FirstClassAlways(nn.Module):
    """A text "model" that predicts class 0 for every input, whatever its weights."""

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return torch.tensor([1.0, 0.0, 0.0]).expand(len(input_ids), 3)


class TestScore:
    def test_reports_each_metric_under_its_name(
        self, tmp_path, untrained_checkpoint, support_rows, write_table
    ):
        """A predictor that always answers the first class ("account") scores accuracy 1/3
        and macro F1 1/6 (0.5 for "account", 0 for the others) on the 36 balanced support
        messages. Catches the metrics swapped in evaluate's report, or scored against
        labels in another order."""
        predictor = Predictor(untrained_checkpoint(tmp_path / "model.pt"))
        predictor.model = FirstClassAlways()
        rows = read_table(write_table(tmp_path / "rows.csv", support_rows))
        metrics = score(predictor, examples_from_table(rows))
        named = {name: metrics[name] for name in ("examples", "accuracy", "macro_f1")}
        assert named == {
            "examples": 36,
            "accuracy": pytest.approx(1 / 3),
            "macro_f1": pytest.approx(1 / 6),
        }


class TestWarmupLinearDecay:
    def test_rises_to_one_then_decays_but_stays_positive(self):
        """Over 10 steps with 4 warm-up steps the multiplier rises to 1 at step 3, falls
        after, and is still > 0 on the last step. Catches an off-by-one that starts at 0
        (a wasted first step) or ends at 0 (a wasted last step)."""
        multiplier = warmup_linear_decay(warmup_steps=4, total_steps=10)
        values = [multiplier(step) for step in range(10)]
        assert values[:4] == sorted(values[:4])
        assert values[3] == 1.0
        assert values[3:] == sorted(values[3:], reverse=True)
        assert min(values) > 0

    def test_is_the_documented_ramp_and_decay(self):
        """Over 10 steps with 4 warm-up steps: (s + 1) / 4 while warming up, then
        (10 - s) / 6, written out by hand, not computed by the schedule. Catches a decay over
        all the steps instead of those after warm-up, which keeps every property above."""
        multiplier = warmup_linear_decay(warmup_steps=4, total_steps=10)
        expected = [1 / 4, 2 / 4, 3 / 4, 1.0, 6 / 6, 5 / 6, 4 / 6, 3 / 6, 2 / 6, 1 / 6]
        assert [multiplier(step) for step in range(10)] == pytest.approx(expected)


class TestTrainConfig:
    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("epochs", 0),
            ("lr", 0.0),
            ("batch_size", 0),
            ("grad_clip", 0.0),
            ("warmup_fraction", 1.0),
            ("dropout", -0.1),
            ("token_dropout", 1.0),
        ],
    )
    def test_rejects_out_of_range_values(self, field, value):
        """A value outside its range fails at construction with a ValueError naming the
        field, not epochs later (or never, e.g. lr=0 silently training nothing)."""
        with pytest.raises(ValueError, match=f"TrainConfig.{field}"):
            TrainConfig(**{field: value})

    def test_rejects_hidden_size_not_divisible_by_heads(self):
        """hidden_size 30 with 4 heads is refused up front, naming both numbers."""
        with pytest.raises(ValueError, match=r"hidden_size \(30\).*num_heads \(4\)"):
            TrainConfig(hidden_size=30, num_heads=4)


class TestDefaultBatchSize:
    @given(st.integers(min_value=1, max_value=10**7))
    def test_gives_enough_steps_an_epoch_within_its_bounds(self, examples):
        """For any training-split size the default batch size is 16 to 128 and an epoch has
        at least min(32, ceil(n / 16)) steps. Catches a fixed large batch (3 steps an epoch
        on 400 rows, too few to learn) and a batch that grows without bound with the data."""
        batch_size = default_batch_size(examples)
        assert 16 <= batch_size <= 128
        assert -(-examples // batch_size) >= min(32, -(-examples // 16))

    @pytest.mark.parametrize(
        ("examples", "batch_size"),
        [(1, 16), (543, 16), (544, 17), (3200, 100), (4095, 127), (4128, 128), (10**6, 128)],
    )
    def test_is_a_32nd_of_the_split_between_16_and_128(self, examples, batch_size):
        """The documented rule, by hand: n // 32, at least 16 and at most 128, including both
        edges (543 -> 16, 544 -> 17, 4095 -> 127, 4128 -> 128). Catches another divisor or
        bound, which the test below cannot see: it computes its expectation with this
        function."""
        assert default_batch_size(examples) == batch_size

    def test_train_uses_it_when_no_batch_size_is_given(self, tmp_path):
        """One epoch of ``train_classifier`` with batch_size None takes as many optimizer
        steps as the default batch size gives over the training split. Catches the default
        ignored (a batch of 1, or of the whole split)."""
        checkpoint = tmp_path / "model.pt"
        train_classifier(
            TrainConfig(epochs=1, hidden_size=16), checkpoint_path=checkpoint, log=None
        )
        examples = len(load_data().splits["train"])
        state = load_checkpoint(resume_path(checkpoint))["training_state"]
        assert state is not None
        assert state["scheduler"]["last_epoch"] == -(-examples // default_batch_size(examples))


class TestSeedEverything:
    def test_makes_model_initialisation_repeatable(self):
        """The same seed gives bit-identical initial weights, another seed different ones.

        Catches torch's generator left unseeded.
        """
        seed_everything(123)
        first = tiny_mlp()
        seed_everything(123)
        again = tiny_mlp()
        seed_everything(124)
        other = tiny_mlp()
        assert_same_weights(first, again)
        assert not torch.equal(first.head.weight, other.head.weight)

    def test_seeds_python_and_numpy(self):
        """random and numpy.random repeat after reseeding. Catches a torch-only seed."""
        seed_everything(7)
        first = (random.random(), draw_numpy())
        seed_everything(7)
        assert (random.random(), draw_numpy()) == first

    def test_accepts_pytest_randomly_seeds_beyond_numpy_range(self):
        """pytest-randomly passes seeds above 2**32 to its random_seeder entry point; they
        must not crash NumPy's seeding (limited to 2**32 - 1)."""
        seed_everything(2**32 + 5)
        first = torch.rand(1)
        seed_everything(2**32 + 5)
        assert torch.equal(torch.rand(1), first)

    def test_rejects_a_non_integer_seed(self):
        """A float seed raises TypeError naming what came."""
        with pytest.raises(TypeError, match="float"):
            seed_everything(1.5)


class TestRngStates:
    def test_restore_survives_a_safe_checkpoint_round_trip(self, tmp_path):
        """States saved with torch.save and loaded with weights_only=True restore Python,
        NumPy and torch exactly. Catches a state that cannot be stored in a checkpoint
        (a NumPy array is refused by weights_only) or a generator left out."""
        path = tmp_path / "rng.pt"
        torch.save(rng_states(), path)
        expected = (random.random(), draw_numpy(), torch.rand(1))
        restore_rng_states(torch.load(path, weights_only=True))
        assert (random.random(), draw_numpy(), torch.rand(1)) == expected


def fit_tiny_mlp(epochs=3, *, checkpoint=None, resume=False, log=None):
    """Seed, build a tiny MLP with dropout and a shuffled loader, and fit it; with
    ``checkpoint`` save after every epoch there, with ``resume`` continue from it."""
    seed_everything(0)
    model = tiny_mlp(dropout=0.3)
    config = TrainConfig(epochs=epochs, lr=1e-2, batch_size=8)
    train_loader = DataLoader(feature_items(32, seed=0), batch_size=8, shuffle=True)
    val_loader = DataLoader(feature_items(16, seed=1), batch_size=16)
    resume_state = None
    if resume:
        saved = torch.load(checkpoint, weights_only=True)
        model.load_state_dict(saved["model"])
        resume_state = saved["training_state"]

    def save_state(training_state):
        torch.save({"model": model.state_dict(), "training_state": training_state}, checkpoint)

    result = fit(
        model,
        train_loader,
        val_loader,
        config,
        resume_state=resume_state,
        save_state=save_state if checkpoint else None,
        log=log,
    )
    return model, result.history


class TestFit:
    def test_logs_and_records_every_epoch(self):
        """One log line and one history entry per epoch, with the metrics of that epoch.

        Catches silent training and metrics missing from the history.
        """
        lines = []
        _, history = fit_tiny_mlp(epochs=3, log=lines.append)
        assert [line.split()[1] for line in lines[:3]] == ["1/3", "2/3", "3/3"]
        assert lines[3].startswith("kept epoch")
        assert [metrics["epoch"] for metrics in history] == [1, 2, 3]
        assert set(history[0]) == {
            "epoch",
            "train_loss",
            "val_loss",
            "val_accuracy",
            "val_macro_f1",
            "lr",
        }

    def test_history_reports_each_splits_own_loss(self):
        """With a negligible lr, an epoch's train_loss is the mean train-mode loss over the
        training batches (8, 8 and 4 examples) and its val_loss the eval-mode loss of the
        validation set, within 1e-5. Catches one reported under the other's name."""
        seed_everything(0)
        model = tiny_mlp()
        train_loader = DataLoader(feature_items(20, seed=0), batch_size=8)
        val_loader = DataLoader(feature_items(12, seed=1), batch_size=12)
        train_loss = sum(batch_loss(model, b) * len(b["label"]) for b in train_loader) / 20
        config = TrainConfig(epochs=1, lr=1e-12)
        history = fit(model, train_loader, val_loader, config, log=None).history
        val_loss = evaluate(model, val_loader, nn.CrossEntropyLoss())["loss"]
        assert history[0]["train_loss"] == pytest.approx(train_loss, abs=1e-5)
        assert history[0]["val_loss"] == pytest.approx(val_loss, abs=1e-5)

    def test_lr_follows_the_schedule(self):
        """After epoch e (4 steps each, 12 in all, 1 of warm-up) the LR is
        lr * (12 - 4e) / 11, written out, not computed by the schedule under test.

        Catches a scheduler that never steps or one built for the wrong number of steps.
        """
        _, history = fit_tiny_mlp(epochs=3)
        expected = [1e-2 * 8 / 11, 1e-2 * 4 / 11, 0.0]
        assert [metrics["lr"] for metrics in history] == pytest.approx(expected)

    def test_resuming_matches_an_uninterrupted_run(self, tmp_path):
        """Crash after epoch 1, resume from the state saved with it: the weights and the
        history equal those of an uninterrupted run bit for bit (CPU).

        Catches a resume that forgets the optimizer moments, the scheduler position or the
        RNG state (the shuffling and dropout of epoch 2 would differ).
        """
        checkpoint = tmp_path / "state.pt"
        uninterrupted, expected_history = fit_tiny_mlp()
        with pytest.raises(Interrupted):
            fit_tiny_mlp(checkpoint=checkpoint, log=crash)
        resumed, history = fit_tiny_mlp(checkpoint=checkpoint, resume=True)
        assert history == expected_history
        assert_same_weights(resumed, uninterrupted)


class ScoresItsInputWhenEvaluated(nn.Module):
    """Trains like a tiny MLP; in eval mode returns its input as logits, so a test's
    validation data alone decides each epoch's validation loss."""

    def __init__(self) -> None:
        super().__init__()
        self.mlp = tiny_mlp()

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.mlp(features) if self.training else features


class ScriptedValidation:
    """A validation loader whose n-th pass yields logits ``scale * one_hot(label)``: the
    larger the scale, the lower that epoch's validation loss."""

    def __init__(self, scales: list[float], first_pass: int = 0) -> None:
        self.scales, self.passes = scales, first_pass
        self.labels = torch.tensor([0, 1, 2, 1])

    def __iter__(self):
        scale = self.scales[self.passes]
        self.passes += 1
        logits = scale * nn.functional.one_hot(self.labels, NUM_CLASSES).float()
        yield {"features": logits, "label": self.labels}


# Validation losses fall at epochs 1, 2 and 4 and rise after: with patience 2 the run
# stops after epoch 6 and keeps epoch 4. (A counter not reset at epoch 4 stops after 5.)
SCALES = [1.0, 2.0, 1.5, 3.0, 0.5, 0.5, 0.5, 0.5]


def fit_scripted(patience, *, epochs=8, checkpoint=None, resume=False, log=None, scales=SCALES):
    """Fit ScoresItsInputWhenEvaluated against the ``scales`` script; returns the model, the
    FitResult and a copy of the weights after each epoch."""
    seed_everything(0)
    model = ScoresItsInputWhenEvaluated()
    weights: list[dict[str, torch.Tensor]] = []
    resume_state = None
    if resume:
        saved = torch.load(checkpoint, weights_only=True)
        model.load_state_dict(saved["model"])
        resume_state = saved["training_state"]

    def record(line):
        if line.startswith("epoch"):
            weights.append(deepcopy(model.state_dict()))
        if log is not None:
            log(line)

    def save_state(training_state):
        torch.save({"model": model.state_dict(), "training_state": training_state}, checkpoint)

    first_pass = resume_state["epoch"] if resume_state else 0
    result = fit(
        model,
        DataLoader(feature_items(16, seed=0), batch_size=8, shuffle=True),
        ScriptedValidation(scales, first_pass),
        TrainConfig(epochs=epochs, lr=1e-2, patience=patience),
        resume_state=resume_state,
        save_state=save_state if checkpoint else None,
        log=record,
    )
    return model, result, weights


def crash_after_epoch(number):
    def log(line):
        if line.startswith(f"epoch {number}/"):
            raise Interrupted(line)

    return log


class TestEarlyStopping:
    def test_keeps_the_weights_of_the_best_epoch(self):
        """Without patience all 8 epochs run, and the model ends with the weights it had
        after epoch 4, the lowest validation loss. Catches the last epoch's weights kept
        while the validation loss rose for 4 epochs."""
        model, result, weights = fit_scripted(patience=None)
        assert (len(result.history), result.best_epoch) == (8, 4)
        assert result.stop_reason == STOPPED_AFTER_ALL_EPOCHS
        for name, value in model.state_dict().items():
            assert torch.equal(value, weights[3][name]), name

    def test_a_validation_loss_equal_to_the_best_is_no_improvement(self):
        """On a plateau (every epoch's validation loss equals the first's), patience 2 stops
        the run after epoch 3 and keeps epoch 1. Catches a tie counted as an improvement
        (<= for <): a plateaued run never stops early, and its best epoch drifts to the last."""
        _, result, _ = fit_scripted(patience=2, scales=[2.0] * 8)
        assert [metrics["epoch"] for metrics in result.history] == [1, 2, 3]
        assert (result.best_epoch, result.stop_reason) == (1, STOPPED_BY_PATIENCE)

    def test_patience_stops_after_that_many_epochs_without_improvement(self):
        """With patience 2 the run stops after epoch 6 (epochs 5 and 6 do not beat epoch 4)
        and says so. Catches patience ignored, and a counter that epoch 4's improvement
        does not reset (the run would stop after epoch 5)."""
        _, result, _ = fit_scripted(patience=2)
        assert [metrics["epoch"] for metrics in result.history] == [1, 2, 3, 4, 5, 6]
        assert (result.best_epoch, result.stop_reason) == (4, STOPPED_BY_PATIENCE)

    def test_resuming_mid_patience_matches_an_uninterrupted_run(self, tmp_path):
        """Crash after epoch 5 (one epoch without improvement), resume: the run stops after
        the same epoch, with the same history and bit-identical best weights. Catches a
        resume that forgets the best weights or the patience count."""
        checkpoint = tmp_path / "state.pt"
        expected_model, expected, _ = fit_scripted(patience=2)
        with pytest.raises(Interrupted):
            fit_scripted(patience=2, checkpoint=checkpoint, log=crash_after_epoch(5))
        model, result, _ = fit_scripted(patience=2, checkpoint=checkpoint, resume=True)
        assert result == expected
        assert_same_weights(model, expected_model)


class TestOverfitting:
    @pytest.mark.parametrize("loss_fn", [nn.CrossEntropyLoss(), FocalLoss(gamma=2.0)])
    def test_model_memorises_a_tiny_dataset(self, loss_fn):
        """Within 60 Adam steps on 8 random examples with random labels, accuracy reaches
        100 % and the loss falls below OVERFIT_LOSS_THRESHOLD, a tenth of the floor that a
        loss applied to softmax outputs cannot go below (0.551 for cross-entropy, 0.099 for
        focal loss). Both are read every 10 steps; the test ends at the first pass.

        Catches softmax applied before the loss, a detached graph, a sign error or updates
        that never reach the weights.
        """
        generator = torch.Generator().manual_seed(0)
        batch = {
            "features": torch.randn(8, NUM_FEATURES, generator=generator),
            "label": torch.randint(0, NUM_CLASSES, (8,), generator=generator),
        }
        model = MLPClassifier(NUM_FEATURES, hidden_size=32, num_outputs=NUM_CLASSES, dropout=0.0)
        optimizer = torch.optim.Adam(model.parameters(), lr=5e-2)
        for step in range(1, 61):
            train_step(model, batch, loss_fn, optimizer)
            if step % 10 == 0:
                with torch.no_grad():
                    logits = model(**model_inputs(batch))
                loss = loss_fn(logits, batch["label"]).item()
                memorised = accuracy(logits.argmax(dim=1), batch["label"]) == 1.0
                if loss < OVERFIT_LOSS_THRESHOLD and memorised:
                    return
        pytest.fail(f"loss {loss:.3f} after 60 steps (bar {OVERFIT_LOSS_THRESHOLD})")


@pytest.fixture
def text_data(text_csv) -> DataSpec:
    """The support messages: 24 training, 6 validation and 6 test texts."""
    return DataSpec(path=text_csv)


@pytest.fixture
def tabular_data(tabular_csv) -> DataSpec:
    return DataSpec(path=tabular_csv)


@pytest.fixture(scope="module")
def one_epoch_run(tmp_path_factory) -> tuple[TrainedClassifier, Path]:
    """One epoch of TINY_TEXT_CONFIG on the support messages and the checkpoint it wrote,
    trained once per module (train_classifier seeds itself, so it is the run each test
    would make). The tests taking it only read the result and the file."""
    folder = tmp_path_factory.mktemp("one_epoch")
    data = DataSpec(path=write_table(folder / "support.csv", support_messages()))
    path = folder / "model.pt"
    return train_classifier(replace(TINY_TEXT_CONFIG, epochs=1), data, path, log=None), path


class TestTrainClassifier:
    def test_same_seed_gives_identical_weights(self, text_data):
        """Two runs with one seed in one process end with bit-identical weights, although
        the global generator moved in between.

        Catches seeding after the model is built (its initial weights would come from
        whatever state the process was in) and unseeded shuffling or augmentation.
        """
        config = replace(TINY_TEXT_CONFIG, epochs=1)
        first = train_classifier(config, text_data, log=None)
        torch.rand(100)  # other code in the process draws random numbers
        second = train_classifier(config, text_data, log=None)
        assert_same_weights(first.model, second.model)

    def test_another_seed_gives_other_weights(self, text_data, one_epoch_run):
        """Seeds 0 and 1 give different weights. Catches config.seed being ignored."""
        first, _ = one_epoch_run  # seed 0
        other = train_classifier(replace(TINY_TEXT_CONFIG, epochs=1, seed=1), text_data, log=None)
        assert not torch.equal(first.model.head.weight, other.model.head.weight)

    def test_tokenizer_is_built_from_the_training_texts_only(self, one_epoch_run):
        """The tokenizer has exactly the vocabulary of the training split.

        Catches validation or test words leaking into the vocabulary (the model would
        have seen held-out data before it is evaluated on it).
        """
        trained, _ = one_epoch_run
        expected = build_tokenizer(trained.data.splits["train"].inputs)
        assert trained.preprocessing.tokenizer.vocab == expected.vocab

    def test_normaliser_is_fitted_on_the_training_rows_only(self, tabular_data):
        """The tabular normaliser holds the mean and std of the training split's features.
        Catches: statistics of the whole file, which leak the test rows into training."""
        trained = train_classifier(replace(TINY_TABULAR_CONFIG, epochs=1), tabular_data, log=None)
        train = torch.tensor(trained.data.splits["train"].inputs)
        normalizer = trained.preprocessing.normalizer
        torch.testing.assert_close(normalizer.mean, train.mean(dim=0))
        torch.testing.assert_close(normalizer.std, train.std(dim=0, correction=0))

    def test_the_derived_max_length_covers_the_training_texts(self, text_data):
        """Without max_length, it is the token count of the longest training text (99% of
        24 texts is all of them), and the log says none is truncated. Catches: a fixed
        length that silently cuts real sentences short."""
        lines = []
        trained = train_classifier(
            replace(TINY_TEXT_CONFIG, epochs=1, max_length=None), text_data, log=lines.append
        )
        tokenizer = trained.preprocessing.tokenizer
        longest = max(len(tokenizer.tokenize(text)) for text in trained.data.splits["train"].inputs)
        assert trained.preprocessing.max_length == longest
        assert f"max_length {longest}: 0.0% of training texts are truncated" in lines

    @pytest.mark.parametrize("count", [100, 200])
    def test_the_derived_max_length_leaves_out_the_longest_percent(self, count):
        """Of `count` training texts, 1 % of them 7 tokens long and the rest 2, the derived
        max_length is 2: 99 % of them is exactly 99 or 198 texts, the boundary where an
        off-by-one index takes the first outlier's length instead. Catches that index,
        which no fixture of 24 texts (99 % = 23.76) reaches."""
        outliers = count // 100
        long_text = "a much longer text of seven tokens"
        texts = ["short text"] * (count - outliers) + [long_text] * outliers
        train = Examples("text", texts, ["a", "b"] * (count // 2), [f"t:{i}" for i in range(count)])
        data = PreparedData("text", ("a", "b"), {"train": train}, source={})
        preprocessing = fit_preprocessing(data, replace(TINY_TEXT_CONFIG, max_length=None), None)
        assert preprocessing.max_length == 2

    def test_the_log_says_how_many_texts_are_truncated(self, text_data):
        """With max_length 3 every support message is cut, and the log says 100%."""
        lines = []
        train_classifier(
            replace(TINY_TEXT_CONFIG, epochs=1, max_length=3), text_data, log=lines.append
        )
        assert "max_length 3: 100.0% of training texts are truncated" in lines

    def test_validation_metrics_are_those_of_the_untouched_validation_split(self, text_data):
        """The last epoch's validation loss and accuracy equal evaluate() of the returned
        model on the validation split as it is (loss within 1e-6).

        Catches training augmentation applied to the validation set (noisy, pessimistic
        metrics that mislead early stopping and model selection) and metrics measured
        before the last update.
        """
        config = replace(TINY_TEXT_CONFIG, epochs=1, token_dropout=0.5)
        trained = train_classifier(config, text_data, log=None)
        validation = trained.data.splits["validation"]
        dataset = TextDataset(
            validation.inputs,
            trained.data.labels("validation"),
            trained.preprocessing.max_length,
            tokenizer=trained.preprocessing.tokenizer,
        )
        metrics = evaluate(
            trained.model, DataLoader(dataset, batch_size=256), nn.CrossEntropyLoss()
        )
        assert trained.history[-1]["val_loss"] == pytest.approx(metrics["loss"], abs=1e-6)
        assert trained.history[-1]["val_accuracy"] == metrics["accuracy"]

    def test_checkpoint_serves_the_trained_model(self, one_epoch_run):
        """The checkpoint written when training ends rebuilds a model with the returned
        model's weights and the data's label names, and records the run (history, best
        epoch, stop reason) but no state to resume from. Catches a checkpoint written
        before the last update, one that names the classes of another dataset, and
        optimizer state shipped to serving."""
        trained, path = one_epoch_run
        checkpoint = load_checkpoint(path)
        assert_same_weights(checkpoint["model"], trained.model)
        assert checkpoint["label_names"] == ("account", "delivery", "refund")
        assert checkpoint["training_state"] is None
        assert checkpoint["history"] == trained.history
        assert (checkpoint["best_epoch"], checkpoint["stop_reason"]) == (
            1,
            STOPPED_AFTER_ALL_EPOCHS,
        )
        assert torch.equal(checkpoint["baselines"].token_counts, trained.baselines.token_counts)

    def test_the_resume_state_is_written_beside_the_checkpoint(self, one_epoch_run):
        """model.resume.pt holds the state after the last epoch run. Catches: the state
        to resume from lost with the move out of the serving checkpoint."""
        _, path = one_epoch_run
        assert load_checkpoint(resume_path(path))["training_state"]["epoch"] == 1

    def test_the_metrics_file_has_a_json_line_per_epoch(self, tmp_path, text_data):
        """model.metrics.jsonl holds one JSON object per epoch, equal to the history, readable
        without torch. Catches a file holding only the last epoch, or rewritten per step."""
        path = tmp_path / "model.pt"
        trained = train_classifier(TINY_TEXT_CONFIG, text_data, path, log=None)
        lines = metrics_path(path).read_text().splitlines()
        assert [json.loads(line) for line in lines] == trained.history
        assert len(lines) == TINY_TEXT_CONFIG.epochs

    def test_keeps_the_epoch_of_the_lowest_validation_loss(
        self, tmp_path, support_rows, write_table
    ):
        """On labels that have nothing to do with the texts, memorising the training split
        makes the validation loss rise; the model returned is the one of the epoch with the
        lowest validation loss, and its weights score that epoch's loss. Catches the last
        epoch's weights kept, or a best epoch chosen by another metric."""
        labels = [("refund", "delivery", "account")[index % 3] for index in range(36)]
        random.Random(0).shuffle(labels)
        rows = [{**row, "label": label} for row, label in zip(support_rows, labels, strict=True)]
        data = DataSpec(path=write_table(tmp_path / "noise.csv", rows))
        config = replace(TINY_TEXT_CONFIG, epochs=6, lr=0.2, warmup_fraction=0.0, dropout=0.0)
        trained = train_classifier(config, data, log=None)
        losses = [metrics["val_loss"] for metrics in trained.history]
        assert losses.index(min(losses)) + 1 == trained.best_epoch < len(losses)
        validation = trained.data.splits["validation"]
        dataset = trained.preprocessing.dataset(validation, trained.data.labels("validation"), 3)
        loader = DataLoader(dataset, batch_size=len(dataset))
        score_now = evaluate(trained.model, loader, nn.CrossEntropyLoss())["loss"]
        assert score_now == pytest.approx(min(losses), abs=1e-6)

    def test_saving_the_result_writes_everything_serving_needs(self, tmp_path, one_epoch_run):
        """``TrainedClassifier.save`` writes the trained weights with the run's labels,
        preprocessing, baselines and data record, and no state to resume from. Catches a
        save that leaves one of them out, which the Predictor or ``evaluate`` would then
        lack or make up (no vocabulary, a test split made from another record)."""
        trained, _ = one_epoch_run
        trained.save(tmp_path / "saved.pt")
        saved = load_checkpoint(tmp_path / "saved.pt")
        assert_same_weights(saved["model"], trained.model)
        assert saved["label_names"] == trained.data.label_names
        assert saved["tokenizer"].vocab == trained.preprocessing.tokenizer.vocab
        assert saved["max_length"] == trained.preprocessing.max_length
        assert saved["data_source"] == trained.data.source
        assert torch.equal(saved["baselines"].token_counts, trained.baselines.token_counts)
        assert saved["training_state"] is None

    def test_baselines_count_the_training_split_only(self, one_epoch_run):
        """The baselines hold the training split's label counts and exactly its real tokens.
        Catches baselines fitted on the validation or test split: scored on data they have
        seen, they flatter themselves and make the model look worse than it is."""
        trained, _ = one_epoch_run
        train, preprocessing = trained.data.splits["train"], trained.preprocessing
        labels = torch.tensor(trained.data.labels("train"))
        real_tokens = preprocessing.tokenizer.encode_batch(
            list(train.inputs), preprocessing.max_length
        )["attention_mask"].sum()
        assert torch.equal(trained.baselines.class_counts, torch.bincount(labels))
        assert trained.baselines.token_counts.sum() == real_tokens

    @pytest.mark.parametrize("model", models_for("text"))
    def test_text_checkpoint_serves_what_the_model_says_on_training_inputs(
        self, tmp_path, text_data, model
    ):
        """For every text model, the Predictor's probabilities for the raw test texts equal
        the trained model's on the dataset items the training pipeline builds for them
        (atol 1e-6). Catches train/serve skew in the features of any text model, e.g.
        n-grams computed differently at serving than in training."""
        path = tmp_path / "model.pt"
        config = replace(TINY_TEXT_CONFIG, epochs=1, model=model)
        trained = train_classifier(config, text_data, path, log=None)
        test = trained.data.splits["test"]
        dataset = trained.preprocessing.dataset(test, trained.data.labels("test"), 3)
        batch = next(iter(DataLoader(dataset, batch_size=len(dataset))))
        with torch.no_grad():
            expected = trained.model.eval()(batch["input_ids"], batch["attention_mask"])
        served = Predictor(path).predict_batch(list(test.inputs))
        probabilities = [list(result["probabilities"].values()) for result in served]
        assert torch.tensor(probabilities) == pytest.approx(expected.softmax(dim=-1), abs=1e-6)

    def test_tabular_checkpoint_serves_the_trained_model(self, tmp_path, tabular_data):
        """A tabular run saves the MLP with its feature names and normaliser: the Predictor
        on raw rows gives the model's output on the normalised rows (atol 1e-6)."""
        path = tmp_path / "model.pt"
        trained = train_classifier(
            replace(TINY_TABULAR_CONFIG, epochs=1), tabular_data, path, log=None
        )
        rows = trained.data.splits["test"].inputs
        expected = torch.softmax(
            trained.model.eval()(trained.preprocessing.normalizer.transform(torch.tensor(rows))),
            dim=-1,
        )
        results = Predictor(path).predict_batch(rows)
        assert [r["probabilities"]["high"] for r in results] == pytest.approx(
            expected[:, 0].tolist(), abs=1e-6
        )

    def test_resuming_from_a_checkpoint_matches_an_uninterrupted_run(self, tmp_path, text_data):
        """Crash after epoch 1 of 2, resume from the checkpoint file: the weights and the
        history equal those of an uninterrupted run bit for bit (CPU).

        Catches training state missing from the checkpoint or left unrestored (optimizer,
        scheduler, RNG), and a resume that repeats or skips an epoch.
        """
        path = tmp_path / "model.pt"
        uninterrupted = train_classifier(TINY_TEXT_CONFIG, text_data, log=None)
        with pytest.raises(Interrupted):
            train_classifier(TINY_TEXT_CONFIG, text_data, path, log=crash)
        resumed = train_classifier(
            TINY_TEXT_CONFIG, text_data, path, resume_from=resume_path(path), log=None
        )
        assert resumed.history == uninterrupted.history
        assert_same_weights(resumed.model, uninterrupted.model)

    def test_an_interrupted_run_leaves_no_checkpoint_to_serve(self, tmp_path, text_data):
        """A run stopped after epoch 1 of 2 leaves its resume state but no model.pt, so
        evaluate cannot score a half-trained model as if it were the result. Catches the
        serving checkpoint written after every epoch."""
        path = tmp_path / "model.pt"
        with pytest.raises(Interrupted):
            train_classifier(TINY_TEXT_CONFIG, text_data, path, log=crash)
        assert resume_path(path).exists()
        assert not path.exists()

    def test_refuses_to_resume_under_another_config(self, text_data, one_epoch_run):
        """Resuming with another lr raises ValueError naming the field and both values,
        instead of silently mixing two schedules."""
        _, path = one_epoch_run
        config = replace(TINY_TEXT_CONFIG, epochs=1)
        with pytest.raises(ValueError, match=r"lr: 0.02 -> 0.001"):
            train_classifier(
                replace(config, lr=1e-3), text_data, resume_from=resume_path(path), log=None
            )

    def test_refuses_to_resume_without_training_state(
        self, tmp_path, text_data, untrained_checkpoint
    ):
        """A checkpoint saved for serving only (no training state) cannot be resumed: a
        ValueError says so, instead of a KeyError or a silent restart from scratch."""
        path = untrained_checkpoint(tmp_path / "model.pt", max_length=8)
        with pytest.raises(ValueError, match="holds no training state"):
            train_classifier(TINY_TEXT_CONFIG, text_data, resume_from=path, log=None)

    @pytest.mark.parametrize(
        ("model", "data", "message"),
        [
            ("mlp", "text_data", "model 'mlp' does not take text data.*transformer"),
            ("transformer", "tabular_data", "'transformer' does not take tabular.*mlp"),
        ],
    )
    def test_a_model_of_the_other_task_is_refused(self, model, data, message, request):
        """--model mlp on text (or transformer on rows) fails naming the models that fit.
        Catches: a model fed inputs it has no argument for, failing deep in forward."""
        with pytest.raises(ValueError, match=message):
            train_classifier(
                replace(TINY_TEXT_CONFIG, model=model), request.getfixturevalue(data), log=None
            )

    @pytest.mark.parametrize(
        ("data", "model"),
        [("text_data", name) for name in models_for("text")]
        + [("tabular_data", name) for name in models_for("tabular")],
    )
    def test_model_options_reach_the_model(self, data, model, request):
        """For every registered model, each TrainConfig field its constructor takes by name
        (width, depth, heads, dropout) has the config's non-default value in the trained
        model. Catches: --dropout or --num-layers parsed, then replaced by a constant in
        build_classifier."""
        config = replace(
            TINY_TEXT_CONFIG, model=model, hidden_size=12, num_layers=2, num_heads=3, dropout=0.3
        )
        model = train_classifier(config, request.getfixturevalue(data), log=None).model
        options = {name: getattr(config, name) for name in asdict(config)}
        taken = {name: model.config[name] for name in model.config if name in options}
        assert taken
        assert taken == {name: options[name] for name in taken}

    def test_a_model_argument_the_wiring_cannot_supply_is_named(self, text_data, monkeypatch):
        """A registered model whose constructor needs an argument task.py does not know fails
        naming it and where to add it. Catches: a TypeError from deep inside the constructor."""

        class NeedsFilters(nn.Module):
            name = "needs_filters"

            def __init__(self, vocab_size: int, num_outputs: int, num_filters: int) -> None:
                super().__init__()

            def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
                raise NotImplementedError

        monkeypatch.setitem(MODEL_REGISTRY, "needs_filters", NeedsFilters)
        config = replace(TINY_TEXT_CONFIG, model="needs_filters")
        with pytest.raises(ValueError, match=r"NeedsFilters needs \['num_filters'\].*task.py"):
            train_classifier(config, text_data, log=None)

    def test_bad_data_fails_before_anything_is_written(self, tmp_path, support_rows, write_table):
        """A blank text in the data raises DataError and no checkpoint file appears.
        Catches: a run that trains for minutes, then dies, leaving a half-written file."""
        support_rows[5]["text"] = " "
        spec = DataSpec(path=write_table(tmp_path / "bad.csv", support_rows))
        with pytest.raises(DataError, match=r"bad.csv:7, column 'text': the text is blank"):
            train_classifier(TINY_TEXT_CONFIG, spec, tmp_path / "model.pt", log=None)
        assert not (tmp_path / "model.pt").exists()
