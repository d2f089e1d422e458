"""Loss functions: the properties that hold whatever the weights, and the bugs they catch."""

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from {{ cookiecutter.module_name }}.models import MLPClassifier
from {{ cookiecutter.module_name }}.training import ContrastiveLoss, FocalLoss, RegressionLoss

NUM_CLASSES = 3


def random_logits(seed: int, batch: int = 8, dtype: torch.dtype = torch.float) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return 3 * torch.randn(batch, NUM_CLASSES, generator=generator, dtype=dtype)


def random_targets(seed: int, batch: int = 8) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return torch.randint(0, NUM_CLASSES, (batch,), generator=generator)


def confident_logits(targets: torch.Tensor, margin: float) -> torch.Tensor:
    """Logits that put ``margin`` on the target class and ``-margin`` on every other class."""
    return margin * (2 * F.one_hot(targets, NUM_CLASSES).float() - 1)


class TestFocalLoss:
    def test_near_zero_on_perfect_predictions(self):
        """Confidently correct logits give a loss below 1e-3.

        Catches a loss that never reaches zero, e.g. softmax applied before the loss,
        which keeps every probability-as-logit within [0, 1].
        """
        targets = torch.tensor([0, 1, 2, 1])
        loss = FocalLoss(gamma=2.0)(confident_logits(targets, margin=10.0), targets)
        assert loss.item() < 1e-3

    @pytest.mark.parametrize("seed", range(5))
    def test_is_non_negative(self, seed):
        """Every per-example loss is >= 0 for random logits.

        Catches a sign error (log(p) instead of -log(p)).
        """
        loss = FocalLoss(reduction="none")(random_logits(seed), random_targets(seed))
        assert (loss >= 0).all()

    def test_higher_gamma_down_weights_easy_examples(self):
        """As gamma grows, an easy example's loss shrinks relative to a hard example's.

        Catches gamma that has no effect, or that is applied to p instead of 1 - p
        (which would down-weight the hard examples instead).
        """
        targets = torch.tensor([0, 0])
        logits = torch.tensor([[4.0, 0.0, 0.0], [0.0, 1.0, 0.0]])  # easy (p~0.96), hard (p~0.21)
        easy_to_hard = []
        for gamma in (0.0, 1.0, 2.0, 5.0):
            loss = FocalLoss(gamma=gamma, reduction="none")(logits, targets)
            easy_to_hard.append((loss[0] / loss[1]).item())
        assert easy_to_hard == sorted(easy_to_hard, reverse=True)
        assert easy_to_hard[-1] < easy_to_hard[0] / 10

    @pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
    def test_equals_cross_entropy_at_gamma_zero(self, reduction):
        """With gamma=0, focal loss is F.cross_entropy with alpha as its class weight and the
        same ignore_index, for every reduction (tolerance 1e-6).

        Catches a gamma multiplied instead of used as the exponent (gamma * (1-p) * CE is 0
        at gamma=0), a mean that divides by the wrong count, and ignored rows that count.
        """
        logits, targets = random_logits(seed=1), random_targets(seed=2)
        targets[[1, 5]] = -100
        alpha = torch.tensor([0.25, 1.0, 2.0])
        focal = FocalLoss(gamma=0.0, alpha=alpha, reduction=reduction)(logits, targets)
        expected = F.cross_entropy(logits, targets, weight=alpha, reduction=reduction)
        torch.testing.assert_close(focal, expected, atol=1e-6, rtol=1e-6)

    def test_ignored_targets_do_not_influence_the_loss(self):
        """Changing the logits of an example whose target is ignore_index changes nothing.

        Catches ignore_index used as a class index or counted in the mean.
        """
        logits, targets = random_logits(seed=3), random_targets(seed=4)
        targets[0] = 7
        changed = logits.clone()
        changed[0] = torch.tensor([50.0, -50.0, 0.0])
        loss_fn = FocalLoss(ignore_index=7)
        torch.testing.assert_close(loss_fn(logits, targets), loss_fn(changed, targets))

    def test_alpha_weights_each_class(self):
        """alpha = (1, 0, 0) makes the mean loss that of the class-0 examples alone.

        Catches alpha indexed by position in the batch instead of by target class.
        """
        logits = random_logits(seed=5)
        targets = torch.tensor([0, 1, 0, 2, 0, 1, 2, 2])
        weighted = FocalLoss(alpha=[1.0, 0.0, 0.0])(logits, targets)
        class_zero = targets == 0
        torch.testing.assert_close(weighted, FocalLoss()(logits[class_zero], targets[class_zero]))

    def test_mean_is_unchanged_by_duplicating_the_batch(self):
        """The mean-reduced loss of a batch equals that of the batch repeated twice.

        Catches a sum used where the mean is promised (the loss, and so the effective
        learning rate, would grow with the batch size).
        """
        logits, targets = random_logits(seed=6), random_targets(seed=7)
        loss_fn = FocalLoss()
        torch.testing.assert_close(
            loss_fn(logits, targets), loss_fn(logits.repeat(2, 1), targets.repeat(2))
        )

    @pytest.mark.parametrize("gamma", [0.0, 0.3, 0.5, 2.0])
    def test_loss_and_gradient_are_finite_for_extreme_logits(self, gamma):
        """Logits of +-100, confidently right and confidently wrong, give a finite loss and
        finite gradients, also for 0 < gamma < 1.

        Catches softmax-then-log (log(0) = -inf for the wrong row) and an unclamped
        (1 - p) ** gamma, whose derivative is infinite at p = 1 when gamma < 1 (NaN gradient).
        """
        targets = torch.tensor([0, 1, 2])
        logits = confident_logits(torch.tensor([0, 1, 0]), margin=100.0).requires_grad_()
        loss = FocalLoss(gamma=gamma)(logits, targets)
        loss.backward()
        assert torch.isfinite(loss)
        assert torch.isfinite(logits.grad).all()

    @pytest.mark.parametrize("gamma", [0.5, 2.0])
    def test_gradient_matches_finite_differences(self, gamma):
        """torch.autograd.gradcheck passes in float64.

        Catches a detached term (e.g. p computed under no_grad) or a hand-written
        backward that disagrees with the forward.
        """
        logits = random_logits(seed=8, batch=4, dtype=torch.float64).requires_grad_()
        targets = random_targets(seed=9, batch=4)
        assert torch.autograd.gradcheck(
            lambda x: FocalLoss(gamma=gamma, alpha=[0.5, 1.0, 2.0])(x, targets), (logits,)
        )

    @pytest.mark.parametrize(
        ("kwargs", "match"),
        [
            ({"reduction": "average"}, "reduction must be one of"),
            ({"gamma": -1.0}, "gamma"),
            ({"alpha": [[1.0, 2.0, 3.0]]}, r"alpha must be one weight per class.*\(1, 3\)"),
        ],
    )
    def test_rejects_bad_arguments(self, kwargs, match):
        """A bad reduction or a negative gamma fails at construction with a clear ValueError.

        Catches a typo like "average" silently falling through to no reduction.
        """
        with pytest.raises(ValueError, match=match):
            FocalLoss(**kwargs)

    @pytest.mark.parametrize(
        ("logits", "targets", "match"),
        [
            (torch.zeros(4, 3), torch.zeros(5, dtype=torch.long), "targets must be"),
            (torch.zeros(4, 3, 2), torch.zeros(4, dtype=torch.long), "logits must be"),
            (torch.zeros(4, 3), torch.zeros(4), "class indices"),
        ],
    )
    def test_rejects_mismatched_inputs(self, logits, targets, match):
        """Mismatched batch sizes, logits that are not (N, C), or float targets raise a
        ValueError naming the shapes, not a deep torch error (or silent broadcasting)."""
        with pytest.raises(ValueError, match=match):
            FocalLoss()(logits, targets)

    def test_rejects_alpha_of_wrong_length(self):
        """alpha with a weight count other than the number of classes raises ValueError.

        Catches an alpha silently indexed out of range or broadcast over the batch.
        """
        with pytest.raises(ValueError, match="alpha has 2 weights"):
            FocalLoss(alpha=[1.0, 2.0])(random_logits(seed=0), random_targets(seed=0))


class TestLossAtInitialisation:
    @pytest.mark.parametrize("gamma", [0.0, 2.0])
    def test_is_that_of_a_uniform_guess(self, gamma):
        """A model whose output layer starts near zero predicts ~uniform probabilities,
        so its loss is that of p = 1/C: (1 - 1/C) ** gamma * ln(C), within 0.02.

        Catches a sum for the mean (8x larger), a wrong sign, or softmax before the
        loss (the loss of a uniform guess would not be ln(C)).
        """
        generator = torch.Generator().manual_seed(0)
        features = torch.randn(8, 4, generator=generator)
        targets = torch.randint(0, NUM_CLASSES, (8,), generator=generator)
        model = MLPClassifier(in_features=4, hidden_size=16, num_outputs=NUM_CLASSES, dropout=0.0)
        output_layer = [module for module in model.modules() if isinstance(module, nn.Linear)][-1]
        with torch.no_grad():
            output_layer.weight.mul_(1e-3)
            output_layer.bias.zero_()
        loss = FocalLoss(gamma=gamma)(model(features), targets)
        expected = (1 - 1 / NUM_CLASSES) ** gamma * math.log(NUM_CLASSES)
        assert loss.item() == pytest.approx(expected, abs=0.02)


class TestContrastiveLoss:
    def test_is_zero_for_identical_similar_pairs(self):
        """A similar pair (same=1) at distance 0 costs exactly nothing.

        Catches the eps that keeps the gradient finite leaking into the similar term.
        """
        x = torch.randn(4, 5)
        assert ContrastiveLoss()(x, x.clone(), torch.ones(4)).item() == 0.0

    def test_is_zero_for_dissimilar_pairs_beyond_the_margin(self):
        """A dissimilar pair (same=0) farther apart than the margin costs nothing.

        Catches a hinge without max(0, .), which would reward pushing pairs ever farther.
        """
        x1 = torch.zeros(3, 2)
        x2 = torch.tensor([[3.0, 0.0], [0.0, -2.5], [2.0, 2.0]])  # distances 3, 2.5, 2.8
        assert ContrastiveLoss(margin=2.0)(x1, x2, torch.zeros(3)).item() == 0.0

    def test_is_positive_for_dissimilar_pairs_inside_the_margin(self):
        """A dissimilar pair closer than the margin costs (margin - d)^2 = (1 - 0.3)^2 = 0.49.

        Catches swapped labels (same=0 treated as similar: the pair would cost d^2 = 0.09).
        """
        x1, x2 = torch.zeros(1, 2), torch.tensor([[0.18, 0.24]])  # distance 0.3
        loss = ContrastiveLoss(margin=1.0)(x1, x2, torch.zeros(1))
        assert loss.item() == pytest.approx(0.49, abs=1e-6)

    def test_similar_pairs_cost_their_squared_distance(self):
        """A similar pair at distance 5 costs 25, whatever the margin.

        Catches the margin applied to similar pairs, or the distance not squared.
        """
        x1, x2 = torch.zeros(1, 2), torch.tensor([[3.0, 4.0]])
        loss = ContrastiveLoss(margin=1.0)(x1, x2, torch.ones(1))
        assert loss.item() == pytest.approx(25.0, rel=1e-6)

    def test_each_pair_costs_its_own_distance(self):
        """With reduction="none", similar pairs at distances 1, 2, 3 cost 1, 4, 9.

        Catches the squared distance summed over the whole batch instead of per pair
        (every pair would cost 14), which a batch of one cannot show.
        """
        x1, x2 = torch.zeros(3, 2), torch.tensor([[1.0, 0.0], [0.0, 2.0], [3.0, 0.0]])
        loss = ContrastiveLoss(reduction="none")(x1, x2, torch.ones(3))
        torch.testing.assert_close(loss, torch.tensor([1.0, 4.0, 9.0]))

    @pytest.mark.parametrize(("reduction", "aggregate"), [("sum", torch.sum), ("mean", torch.mean)])
    def test_reductions_aggregate_the_per_pair_losses(self, reduction, aggregate):
        """Reductions "sum" and "mean" equal the sum and mean of the "none" losses (tol. 1e-6).

        Catches a reduction name that falls through to another branch (e.g. "sum" returning
        the unreduced vector, or "none" returning a sum).
        """
        generator = torch.Generator().manual_seed(0)
        x1, x2 = torch.randn(2, 6, 3, generator=generator)
        same = torch.tensor([1, 0, 1, 0, 0, 1])
        per_pair = ContrastiveLoss(reduction="none")(x1, x2, same)
        assert per_pair.shape == (6,)
        reduced = ContrastiveLoss(reduction=reduction)(x1, x2, same)
        torch.testing.assert_close(reduced, aggregate(per_pair), rtol=1e-6, atol=1e-6)

    def test_accepts_a_boolean_same_mask(self):
        """same given as bools (what `labels1 == labels2` returns) costs what 0/1 costs.

        Catches arithmetic on the raw mask: `1 - same` raises for a bool tensor.
        """
        generator = torch.Generator().manual_seed(0)
        x1, x2 = torch.randn(2, 4, 3, generator=generator)
        same = torch.tensor([True, False, True, False])
        loss_fn = ContrastiveLoss(reduction="none")
        torch.testing.assert_close(loss_fn(x1, x2, same), loss_fn(x1, x2, same.long()))

    def test_is_symmetric_in_its_inputs(self):
        """loss(x1, x2) == loss(x2, x1) for every pair.

        Catches an asymmetric distance (e.g. a signed difference summed without squaring).
        """
        generator = torch.Generator().manual_seed(0)
        x1, x2 = torch.randn(2, 6, 3, generator=generator)
        same = torch.tensor([1, 0, 1, 0, 0, 1])
        loss_fn = ContrastiveLoss(reduction="none")
        torch.testing.assert_close(loss_fn(x1, x2, same), loss_fn(x2, x1, same))

    @pytest.mark.parametrize("same", [0, 1])
    def test_gradient_is_finite_at_zero_distance(self, same):
        """Identical embeddings give a finite gradient for similar and dissimilar pairs.

        Catches sqrt(d^2) without eps: its derivative at 0 is infinite and yields NaN.
        """
        x1 = torch.randn(4, 3, requires_grad=True)
        x2 = x1.detach().clone().requires_grad_()
        ContrastiveLoss()(x1, x2, torch.full((4,), same)).backward()
        assert torch.isfinite(x1.grad).all()
        assert torch.isfinite(x2.grad).all()

    def test_gradient_matches_finite_differences(self):
        """torch.autograd.gradcheck passes in float64 for a mix of pairs.

        Catches a detached distance or a term that does not depend on the inputs.
        """
        generator = torch.Generator().manual_seed(1)
        x1, x2 = 0.3 * torch.randn(2, 6, 3, generator=generator, dtype=torch.float64)
        same = torch.tensor([1, 0, 1, 0, 0, 1])
        assert torch.autograd.gradcheck(
            lambda a, b: ContrastiveLoss(margin=1.0)(a, b, same),
            (x1.requires_grad_(), x2.requires_grad_()),
        )

    @pytest.mark.parametrize(
        ("x2", "same", "match"),
        [
            (torch.zeros(4, 2), torch.ones(4), "x1 and x2"),
            (torch.zeros(4, 3), torch.ones(3), "same must be"),
            (torch.zeros(4, 3), torch.tensor([0, 1, 2, 1]), "only 0"),
        ],
    )
    def test_rejects_bad_inputs(self, x2, same, match):
        """Mismatched shapes or labels other than 0/1 raise a ValueError saying what was
        expected, instead of broadcasting into a wrong loss."""
        with pytest.raises(ValueError, match=match):
            ContrastiveLoss()(torch.zeros(4, 3), x2, same)

    @pytest.mark.parametrize("margin", [0.0, -1.0])
    def test_rejects_a_non_positive_margin(self, margin):
        """margin <= 0 fails at construction, naming it. Catches margin=0, under which
        dissimilar pairs cost nothing and the loss only ever pulls embeddings together.
        """
        with pytest.raises(ValueError, match="margin must be > 0"):
            ContrastiveLoss(margin=margin)


# A regressor's outputs (N, 1) and targets (N,), and their differences worked out by hand:
# 0.5 - 1 = -0.5, 2 - (-1) = 3, -1 - (-1.5) = 0.5, 4 - 4 = 0.
REGRESSION_OUTPUTS = torch.tensor([[0.5], [2.0], [-1.0], [4.0]])
REGRESSION_TARGETS = torch.tensor([1.0, -1.0, -1.5, 4.0])
SQUARED_ERRORS = [0.25, 9.0, 0.25, 0.0]
# Huber with delta 1: d^2 / 2 within delta, delta * (|d| - delta / 2) beyond it.
HUBER_ERRORS = [0.125, 2.5, 0.125, 0.0]


class TestRegressionLoss:
    def test_mse_is_the_mean_of_the_squared_errors(self):
        """MSE of four hand-computed errors is (0.25 + 9 + 0.25 + 0) / 4 = 2.375. Catches
        the (N, 1)-against-(N,) broadcast, which averages 16 pairs instead: 9.84 here."""
        loss = RegressionLoss()(REGRESSION_OUTPUTS, REGRESSION_TARGETS)
        assert loss.item() == pytest.approx(sum(SQUARED_ERRORS) / 4)

    @pytest.mark.parametrize(
        ("reduction", "expected"),
        [("sum", sum(SQUARED_ERRORS)), ("none", SQUARED_ERRORS)],
    )
    def test_mse_reductions(self, reduction, expected):
        """ "sum" adds the squared errors and "none" returns each (N,). Catches a reduction
        that is ignored, which makes the loss (and the step size) grow with the batch."""
        loss = RegressionLoss(reduction=reduction)(REGRESSION_OUTPUTS, REGRESSION_TARGETS)
        assert loss.tolist() == pytest.approx(expected)

    @pytest.mark.parametrize(
        ("reduction", "expected"),
        [("mean", sum(HUBER_ERRORS) / 4), ("sum", sum(HUBER_ERRORS)), ("none", HUBER_ERRORS)],
    )
    def test_huber_is_quadratic_near_and_linear_far(self, reduction, expected):
        """Huber (delta 1) of the same errors: 0.125, 2.5, 0.125 and 0, as computed by hand.
        Catches the MSE in its place (9 for the error of 3) and a delta that is not used."""
        loss = RegressionLoss("huber", reduction=reduction)
        assert loss(REGRESSION_OUTPUTS, REGRESSION_TARGETS).tolist() == pytest.approx(expected)

    def test_huber_delta_moves_the_kink(self):
        """With delta 4 the error of 3 is still quadratic: 9 / 2 = 4.5."""
        loss = RegressionLoss("huber", delta=4.0, reduction="none")
        assert loss(REGRESSION_OUTPUTS, REGRESSION_TARGETS)[1].item() == pytest.approx(4.5)

    @pytest.mark.parametrize(
        ("outputs", "targets"),
        [
            (REGRESSION_OUTPUTS[:, 0], REGRESSION_TARGETS),  # (N,) outputs: no head column
            (REGRESSION_OUTPUTS, REGRESSION_TARGETS[:, None]),  # (N, 1) targets
            (torch.zeros(4, 3), REGRESSION_TARGETS),  # a classifier's logits
            (REGRESSION_OUTPUTS, REGRESSION_TARGETS[:3]),  # one target short
        ],
    )
    def test_refuses_any_other_pair_of_shapes(self, outputs, targets):
        """Only outputs (N, 1) with targets (N,) are accepted, naming both shapes. Catches a
        pair that torch would broadcast into an (N, N) or (N, 3) loss without an error."""
        with pytest.raises(ValueError, match=r"outputs must be \(N, 1\) and its targets \(N,\)"):
            RegressionLoss()(outputs, targets)

    def test_gradient_reaches_every_output(self):
        """The gradient of the mean squared error w.r.t. output i is 2 (y_hat_i - y_i) / N.
        Catches a loss computed on a detached or broadcast copy of the outputs."""
        outputs = REGRESSION_OUTPUTS.clone().requires_grad_(True)
        RegressionLoss()(outputs, REGRESSION_TARGETS).backward()
        expected = 2 * (REGRESSION_OUTPUTS[:, 0] - REGRESSION_TARGETS) / 4
        assert outputs.grad[:, 0].tolist() == pytest.approx(expected.tolist())

    @pytest.mark.parametrize(
        ("arguments", "message"),
        [
            ({"kind": "mae"}, "kind must be one of"),
            ({"delta": 0.0}, "delta must be > 0"),
            ({"reduction": "max"}, "reduction must be one of"),
        ],
    )
    def test_bad_arguments_are_refused(self, arguments, message):
        """An unknown kind or reduction and a delta of 0 fail at construction."""
        with pytest.raises(ValueError, match=message):
            RegressionLoss(**arguments)
