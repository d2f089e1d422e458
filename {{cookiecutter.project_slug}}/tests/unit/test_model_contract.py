"""The model contract: properties every model in MODEL_REGISTRY must have, as a classifier
and as a regressor.

Each test runs once per entry of CONTRACT_MODELS (tests/conftest.py), on a tiny instance
built from that entry's constructor arguments, so a new model is covered by adding one
entry; most run twice, once with the entry's ``num_outputs`` classes and once with the one
output of a regressor (``KINDS``), trained with cross-entropy or with the regression loss.
What a model eats comes from its forward signature (`model_task`, the convention of the
README's "Adding a model"): text models take `input_ids` and `attention_mask` and also
get the padding tests, tabular models take `features`, image models take `images` (B, C,
H, W) and also get the image tests (several sizes, channels-last refused, BatchNorm's
modes). Assertions are properties that hold
for every random initialisation, never float values from random weights.
"""

import inspect
import json
import math
import re
from pathlib import Path

import pytest
import torch
from conftest import CONTRACT_MODELS, assert_close, rows_changed
from PIL import Image
from torch import nn
from torch.nn import functional as F

from {{ cookiecutter.module_name }}.checkpoint import save_checkpoint
from {{ cookiecutter.module_name }}.data import FeatureNormalizer, ImagePreprocessing, build_tokenizer
from {{ cookiecutter.module_name }}.inference import Predictor
from {{ cookiecutter.module_name }}.models import MODEL_REGISTRY, build_model, model_task
from {{ cookiecutter.module_name }}.training import RegressionLoss

BATCH_SIZE = 4
IMAGE_SIZE = 8  # the side of the contract's random images
# Heights and widths an image model must take: square, wide, tall, a 1-pixel strip.
IMAGE_SHAPES = ((8, 8), (16, 16), (5, 13), (13, 5), (1, 9))
LENGTHS = (12, 9, 4, 1)  # real tokens per row of a right-padded batch; row 0 is unpadded
MIN_GRADIENT = 1e-5  # round-off leaves up to ~1e-6; a parameter that learns gets over 1e-3
# Equal logits give a loss of exactly ln C. The random initialisation of the models here
# moves the mean loss over 64 samples by at most 12% of ln C (200 seeds measured); a head
# initialised ten times too large or a missing normalisation moves it much further.
INIT_LOSS_TOLERANCE = 0.25
OVERFIT_STEPS = 60
OVERFIT_CHECK_EVERY = 10  # eval-mode loss read every this many steps
OVERFIT_LENGTHS = (12, 11, 10, 9, 8, 7, 6, 5)  # no two token rows can be equal
# Adam (lr 7e-3) takes the models here below 0.04 in 60 steps on 8 samples, all but the
# bag of n-grams, whose worst of 400 seeds was 0.100 (at lr 1e-2 dropout makes the
# transformer's loss spike: 0.598 in 1 of 400 seeds). A model returning probabilities
# cannot get below ln(1 + (C - 1) / e), 0.55 for 3 classes.
OVERFIT_LOSS = 0.15
# A regressor's overfitting bar, as an MSE on targets of std 1 (8 evenly spaced in [-1.5,
# 1.5]): predicting their mean scores 1.07. The same 60 Adam steps take the models here
# below 0.02 (20 seeds measured); a regressor that cannot fit them stays near 1.
OVERFIT_MSE = 0.1
# What the contract builds of each model: a classifier of the entry's classes, a regressor.
KINDS = ("classifier", "regressor")
# The training targets' mean and std a contract regressor serves in (label units).
SERVED_MEAN, SERVED_STD = 200.0, 100.0


def is_text_model(name: str) -> bool:
    return model_task(MODEL_REGISTRY[name]) == "text"


def is_image_model(name: str) -> bool:
    return model_task(MODEL_REGISTRY[name]) == "image"


def mask_is_optional(name: str) -> bool:
    """Whether forward finds the padding by pad_id when no attention_mask is given."""
    parameters = inspect.signature(MODEL_REGISTRY[name].forward).parameters
    return parameters["attention_mask"].default is None


def has_dropout(name: str) -> bool:
    """Whether the tiny instance has a dropout layer that drops anything."""
    dropout_types = (nn.Dropout, nn.Dropout1d, nn.Dropout2d, nn.Dropout3d, nn.AlphaDropout)
    model = build(name)
    return any(isinstance(m, dropout_types) and m.p > 0 for m in model.modules())


def build(name: str, **overrides: object) -> nn.Module:
    """The tiny instance of CONTRACT_MODELS[name], with some arguments overridden."""
    return build_model({"name": name, **CONTRACT_MODELS[name], **overrides})


def build_kind(name: str, kind: str, **overrides: object) -> nn.Module:
    """The tiny instance as a classifier (the entry's classes) or a regressor (1 output)."""
    outputs = {"num_outputs": 1} if kind == "regressor" else {}
    return build(name, **outputs, **overrides)


def training_loss(kind: str, outputs: torch.Tensor) -> torch.Tensor:
    """What the model trains on: cross-entropy against every class in turn, or the
    regression loss against targets evenly spaced in [-1.5, 1.5] (standardised units)."""
    if kind == "regressor":
        return RegressionLoss()(outputs, torch.linspace(-1.5, 1.5, len(outputs)))
    return F.cross_entropy(outputs, labels_for(outputs))


MODEL_NAMES = sorted(name for name in CONTRACT_MODELS if name in MODEL_REGISTRY)
TEXT_MODELS = [name for name in MODEL_NAMES if is_text_model(name)]
MASK_OPTIONAL_MODELS = [name for name in TEXT_MODELS if mask_is_optional(name)]
DROPOUT_MODELS = [name for name in MODEL_NAMES if has_dropout(name)]
IMAGE_MODELS = [name for name in MODEL_NAMES if is_image_model(name)]


def random_batch(model: nn.Module, name: str, lengths: tuple[int, ...] = LENGTHS) -> dict:
    """Inputs for `model`: one right-padded token row per length, or one feature row or
    random image each."""
    if is_text_model(name):
        return padded_token_batch(model, lengths)
    if is_image_model(name):
        channels = model.config["in_channels"]
        return {"images": torch.randn(len(lengths), channels, IMAGE_SIZE, IMAGE_SIZE)}
    return {"features": torch.randn(len(lengths), model.config["in_features"])}


def padded_token_batch(model: nn.Module, lengths: tuple[int, ...]) -> dict[str, torch.Tensor]:
    """Random real token ids, right-padded with the model's pad_id to the longest length."""
    longest = max(lengths)
    attention_mask = (torch.arange(longest) < torch.tensor(lengths)[:, None]).long()
    input_ids = real_token_ids(model, len(lengths), longest)
    input_ids = input_ids.masked_fill(attention_mask == 0, pad_id(model))
    return {"input_ids": input_ids, "attention_mask": attention_mask}


def pad_id(model: nn.Module) -> int:
    return model.config.get("pad_id", 0)


def real_token_ids(model: nn.Module, batch_size: int, length: int) -> torch.Tensor:
    """Uniform over the vocabulary without the padding id."""
    ids = torch.randint(0, model.config["vocab_size"] - 1, (batch_size, length))
    return ids + (ids >= pad_id(model)).long()


def with_every_input_changed(model: nn.Module, batch: dict) -> dict:
    """The batch with new random features or images, or with every real token id replaced
    by another."""
    if "features" in batch:
        return {"features": torch.randn_like(batch["features"])}
    if "images" in batch:
        return {"images": torch.randn_like(batch["images"])}
    ids, pad = batch["input_ids"], pad_id(model)
    real_tokens = model.config["vocab_size"] - 1
    index = ids - (ids > pad).long()  # real ids counted without the padding id
    shifted = (index + torch.randint(1, real_tokens, ids.shape)) % real_tokens
    new_ids = shifted + (shifted >= pad).long()
    return dict(batch, input_ids=torch.where(ids == pad, ids, new_ids))


def labels_for(logits: torch.Tensor) -> torch.Tensor:
    """Every class equally often: 0, 1, ..., C - 1, 0, 1, ..."""
    return torch.arange(len(logits)) % logits.shape[1]


def logits_and_input_representation(
    model: nn.Module, batch: dict[str, torch.Tensor]
) -> tuple[torch.Tensor, torch.Tensor]:
    """Run the model and return its logits and what each sample's gradient is taken against:
    the features or images themselves, or the output (B, T, H) of the nn.Embedding that
    embeds input_ids.
    """
    if "features" in batch or "images" in batch:
        (key,) = batch
        given = batch[key].requires_grad_(True)
        return model(**{key: given}), given
    embedded = []

    def keep(module: nn.Module, inputs: tuple[torch.Tensor, ...], output: torch.Tensor) -> None:
        if inputs[0].shape == batch["input_ids"].shape:
            output.retain_grad()
            embedded.append(output)

    embeddings = [m for m in model.modules() if isinstance(m, nn.Embedding)]
    handles = [embedding.register_forward_hook(keep) for embedding in embeddings]
    try:
        logits = model(**batch)
    finally:
        for handle in handles:
            handle.remove()
    assert len(embedded) == 1, "a token model embeds input_ids with exactly one nn.Embedding"
    return logits, embedded[0]


def save_for_serving(
    name: str, path: Path, kind: str = "classifier"
) -> tuple[nn.Module, list, dict[str, torch.Tensor]]:
    """Save a tiny `name` classifier or regressor at `path` as training would (a regressor
    with targets of mean SERVED_MEAN and std SERVED_STD); return the model, examples for the
    Predictor and the inputs its preprocessing must turn them into."""
    target: dict = {"label_names": []}
    if kind == "regressor":
        targets = torch.tensor([[SERVED_MEAN - SERVED_STD], [SERVED_MEAN + SERVED_STD]])
        target |= {"target": "regression", "target_normalizer": FeatureNormalizer().fit(targets)}
    else:
        outputs = CONTRACT_MODELS[name]["num_outputs"]
        target["label_names"] = [f"class {index}" for index in range(outputs)]
    if is_image_model(name):
        return save_image_model(name, kind, path, target)
    if not is_text_model(name):
        model = build_kind(name, kind)
        rows = torch.randn(BATCH_SIZE, model.config["in_features"])
        feature_names = [f"feature {index}" for index in range(rows.shape[1])]
        save_checkpoint(path, model=model, feature_names=feature_names, **target)
        return model, rows.tolist(), {"features": rows}
    texts = ["the parcel arrived late", "a refund for the jacket", "cannot log in", "late again"]
    tokenizer = build_tokenizer(texts)
    supplied = {"pad_id": tokenizer.pad_id, "vocabulary": tokenizer.vocab}  # as build_classifier
    parameters = inspect.signature(MODEL_REGISTRY[name]).parameters
    overrides = {"vocab_size": tokenizer.vocab_size}
    overrides |= {argument: value for argument, value in supplied.items() if argument in parameters}
    model = build_kind(name, kind, **overrides)
    max_length = min(8, model.config.get("max_length", 8))
    save_checkpoint(path, model=model, tokenizer=tokenizer, max_length=max_length, **target)
    return model, texts, tokenizer.encode_batch(texts, max_length)


def save_image_model(
    name: str, kind: str, path: Path, target: dict
) -> tuple[nn.Module, list, dict[str, torch.Tensor]]:
    """``save_for_serving`` for an image model: PNG files of random pixels, and the
    preprocessing (letterbox to IMAGE_SIZE, statistics of those pixels) saved beside it."""
    model = build_kind(name, kind)
    channels = model.config["in_channels"]
    mode = "RGB" if channels == 3 else "L"
    generator = torch.Generator().manual_seed(0)
    files = []
    for index, (height, width) in enumerate(IMAGE_SHAPES[:BATCH_SIZE]):
        pixels = torch.randint(0, 256, (height, width, channels), generator=generator)
        image = Image.fromarray(pixels.to(torch.uint8).squeeze(-1).numpy())  # L or RGB
        files.append(path.with_name(f"image{index}.png"))
        image.save(files[-1])
    unfitted = ImagePreprocessing.unfitted(IMAGE_SIZE, mode)
    preprocessing = ImagePreprocessing.fit(unfitted.pixels(files), mode)
    save_checkpoint(path, model=model, image_preprocessing=preprocessing, **target)
    return model, files, {"images": preprocessing.encode(files)}


@pytest.fixture(params=KINDS)
def kind(request: pytest.FixtureRequest) -> str:
    """Each kind of model the contract builds, in turn: a test taking it runs on both."""
    return request.param


@pytest.fixture
def model(name: str, kind: str) -> nn.Module:
    return build_kind(name, kind)


@pytest.fixture
def batch(model: nn.Module, name: str) -> dict[str, torch.Tensor]:
    return random_batch(model, name)


class TestRegistry:
    def test_every_registered_model_has_a_contract_entry(self):
        """CONTRACT_MODELS names exactly the models of MODEL_REGISTRY.

        Catches a model registered without an entry, which would silently skip the
        whole contract, and an entry left behind for a model that no longer exists.
        """
        assert sorted(CONTRACT_MODELS) == sorted(MODEL_REGISTRY)

    def test_rejects_an_unknown_name_listing_the_known_ones(self):
        """An unregistered name fails with the list of registered ones, whatever they are."""
        unknown = "-".join(MODEL_REGISTRY) + "-unregistered"
        known = ", ".join(sorted(MODEL_REGISTRY))
        with pytest.raises(ValueError, match=re.escape(f"one of: {known}; got '{unknown}'")):
            build_model({"name": unknown})

    def test_rejects_a_config_without_a_name(self):
        """A config without 'name' fails with the list of registered models."""
        known = ", ".join(sorted(MODEL_REGISTRY))
        with pytest.raises(ValueError, match=re.escape(f"one of: {known}; got None")):
            build_model({"num_outputs": 3})


@pytest.mark.parametrize("name", MODEL_NAMES)
class TestModelContract:
    def test_output_is_batch_by_outputs(self, model, batch):
        """Outputs are (batch, num_outputs): a logit per class, or a regressor's one column.
        Catches a wrong head size, a lost batch dim, and a regressor squeezed to (batch,)."""
        assert model(**batch).shape == (BATCH_SIZE, model.config["num_outputs"])

    def test_output_is_floating_point(self, model, batch):
        """Logits are floats; catches a forward that returns class indices (argmax)."""
        assert model(**batch).is_floating_point()

    def test_output_is_finite(self, model, batch):
        """No NaN or Inf; catches unstable layers and masking or division by zero leaking out."""
        assert torch.isfinite(model(**batch)).all()

    def test_output_depends_on_the_input(self, model, batch):
        """Every sample's outputs move when its input changes; catches a model ignoring
        input. A regressor's one output can, by chance, land within MIN_CHANGE of where it
        was (about 1 in 2,000 random changes for the bag of n-grams): a sample passes when
        any of three independent changes moves it."""
        model.eval()
        with torch.no_grad():
            before = model(**batch)
            changed = torch.stack(
                [
                    rows_changed(before, model(**with_every_input_changed(model, batch)))
                    for _ in range(3)
                ]
            ).any(dim=0)  # (B,)
        assert changed.all()

    def test_returns_logits_not_probabilities(self, name):
        """A classifier's rows neither sum to 1 nor have a logsumexp of 0 (atol 1e-3).

        Catches a softmax or log_softmax inside forward: cross-entropy would apply softmax
        twice, and learning stalls.
        """
        model = build(name).eval()
        with torch.no_grad():
            logits = model(**random_batch(model, name))
        assert not torch.allclose(logits.sum(dim=-1), torch.ones(BATCH_SIZE), atol=1e-3)
        assert not torch.allclose(logits.logsumexp(dim=-1), torch.zeros(BATCH_SIZE), atol=1e-3)

    def test_every_parameter_gets_a_gradient(self, model, batch, kind):
        """Each parameter is trainable and gets a gradient of the training loss well above
        round-off.

        Catches frozen layers, a detached embedding or activation, and layers built in
        __init__ but left out of forward.
        """
        training_loss(kind, model(**batch)).backward()
        for parameter_name, parameter in model.named_parameters():
            assert parameter.requires_grad, f"{parameter_name} is frozen"
            assert parameter.grad is not None, f"no gradient reached {parameter_name}"
            largest = parameter.grad.abs().max().item()
            assert largest > MIN_GRADIENT, f"{parameter_name}: no real gradient ({largest:.1e})"

    def test_gradient_stays_within_its_sample(self, model, batch):
        """Sample 1's logits have a gradient w.r.t. sample 1's input only (eval mode, where
        even BatchNorm keeps samples apart).

        Catches operations that mix samples (a softmax or normalisation over the batch
        dimension, a reshape that interleaves samples) even where the mixing is small.
        """
        model.eval()
        logits, inputs = logits_and_input_representation(model, batch)
        logits[1].sum().backward()
        others = inputs.grad[[0, 2, 3]]
        assert inputs.grad[1].abs().sum() > 0
        assert torch.equal(others, torch.zeros_like(others))

    def test_eval_mode_is_deterministic(self, model, batch):
        """Two eval-mode passes agree exactly; catches dropout left active at inference."""
        model.eval()
        with torch.no_grad():
            assert torch.equal(model(**batch), model(**batch))

    def test_batch_independence(self, model, name, batch):
        """In eval mode, changing sample 2 leaves the others' logits unchanged (atol 1e-5).

        Catches a model whose output for one sample depends on its batch mates.
        """
        model.eval()
        other = random_batch(model, name)
        modified = {key: value.clone() for key, value in batch.items()}
        for key in modified:
            modified[key][2] = other[key][2]
        with torch.no_grad():
            before, after = model(**batch), model(**modified)
        assert_close(after[[0, 1, 3]], before[[0, 1, 3]])

    def test_loss_at_initialisation_is_near_ln_classes(self, name):
        """A classifier's mean cross-entropy over 64 samples at initialisation is ln C
        within 25%.

        Catches an initialisation that makes confident predictions before training (a head
        initialised too large, a missing normalisation) and logits on the wrong scale.
        """
        model = build(name)
        batch = random_batch(model, name, lengths=LENGTHS * 16)
        model.eval()
        with torch.no_grad():
            logits = model(**batch)
            loss = F.cross_entropy(logits, labels_for(logits)).item()
        chance = math.log(model.config["num_outputs"])
        assert abs(loss / chance - 1) <= INIT_LOSS_TOLERANCE, f"loss {loss:.3f}, ln C {chance:.3f}"

    def test_one_optimizer_step_lowers_the_loss(self, model, batch, kind):
        """One small SGD step along the gradient lowers the training loss on its batch
        (dropout off, so the loss is the same function before and after the step).

        Catches gradients of the wrong sign and parameters the optimizer cannot reach.
        """
        model.eval()
        optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
        loss_before = training_loss(kind, model(**batch))
        loss_before.backward()
        optimizer.step()
        with torch.no_grad():
            loss_after = training_loss(kind, model(**batch))
        assert loss_after < loss_before

    def test_overfits_a_tiny_batch(self, model, name, kind):
        """Within 60 Adam steps in train mode, the eval-mode loss on 8 fixed samples falls
        below the bar (cross-entropy, or the MSE of a regressor on targets of std 1). It is
        read every 10 steps and the test ends at the first pass: most models need 10 to 40.

        Catches a model that cannot learn: probabilities returned instead of logits, an
        output that ignores most of the input, a capacity bottleneck such as a detached body.
        """
        batch = random_batch(model, name, lengths=OVERFIT_LENGTHS)
        optimizer = torch.optim.Adam(model.parameters(), lr=7e-3)
        bar = OVERFIT_MSE if kind == "regressor" else OVERFIT_LOSS
        for step in range(1, OVERFIT_STEPS + 1):
            model.train()
            optimizer.zero_grad()
            training_loss(kind, model(**batch)).backward()
            optimizer.step()
            if step % OVERFIT_CHECK_EVERY == 0:
                with torch.no_grad():
                    loss = training_loss(kind, model.eval()(**batch)).item()
                if loss < bar:
                    return
        pytest.fail(f"loss {loss:.3f} after {OVERFIT_STEPS} steps, above {bar}")

    def test_config_names_every_constructor_argument(self, model):
        """config holds the registry name plus every __init__ argument.

        Catches an argument added to a model but not to its config, which build_model
        (and so every checkpoint) would then silently rebuild with its default.
        """
        arguments = inspect.signature(type(model)).parameters
        assert set(model.config) == {"name", *arguments}

    def test_rebuilds_the_same_model_from_its_json_config(self, model, batch):
        """A config that went through JSON rebuilds a model that loads the weights strictly
        and gives the same logits.

        Catches configs holding non-serialisable values and rebuilds with another
        architecture (missing or extra parameters, other shapes).
        """
        rebuilt = build_model(json.loads(json.dumps(model.config)))
        assert type(rebuilt) is type(model)
        assert rebuilt.config == model.config
        rebuilt.load_state_dict(model.state_dict())
        with torch.no_grad():
            assert torch.equal(rebuilt.eval()(**batch), model.eval()(**batch))

    def test_checkpoint_round_trip_serves_the_same_probabilities(self, name, tmp_path):
        """save_checkpoint then Predictor gives the saved model's probabilities (atol 1e-5).

        Catches a config that does not rebuild the model, weights that do not load back,
        and a forward the Predictor cannot call with what its preprocessing makes.
        """
        model, examples, inputs = save_for_serving(name, tmp_path / "model.pt")
        with torch.no_grad():
            expected = model.eval()(**inputs).softmax(dim=-1)
        served = Predictor(tmp_path / "model.pt").predict_batch(examples)
        probabilities = torch.tensor([list(p["probabilities"].values()) for p in served])
        assert_close(probabilities, expected)

    def test_checkpoint_round_trip_serves_a_regressors_values(self, name, tmp_path):
        """A regressor saved with its target statistics serves the model's output times
        the training std plus the training mean (within 1e-5 of one std).

        Catches a regressor that does not rebuild with one output, and values served in
        standardised units instead of the label's.
        """
        model, examples, inputs = save_for_serving(name, tmp_path / "model.pt", "regressor")
        with torch.no_grad():
            outputs = model.eval()(**inputs)[:, 0]
        served = torch.tensor(Predictor(tmp_path / "model.pt").predict_values(examples))
        assert_close((served - SERVED_MEAN) / SERVED_STD, outputs)


@pytest.mark.parametrize("name", DROPOUT_MODELS)
def test_train_mode_applies_dropout(model, batch):
    """With dropout in the model, train and eval mode give different logits.

    Catches a dropout layer that never drops, e.g. one whose probability is not passed on.
    """
    with torch.no_grad():
        train_logits = model.train()(**batch)
        eval_logits = model.eval()(**batch)
    assert rows_changed(train_logits, eval_logits).any()


@pytest.mark.parametrize("name", IMAGE_MODELS)
class TestImageModelContract:
    @pytest.mark.parametrize(("height", "width"), IMAGE_SHAPES)
    def test_takes_images_of_any_size(self, model, height, width):
        """Square, wide, tall and 1-pixel-high images all give (batch, num_outputs), finite.

        Catches a head sized for one input size (a flatten instead of global pooling) and
        pooling that shrinks a short side to nothing.
        """
        images = torch.randn(2, model.config["in_channels"], height, width)
        outputs = model.eval()(images=images)
        assert outputs.shape == (2, model.config["num_outputs"])
        assert torch.isfinite(outputs).all()

    def test_refuses_channels_last_images(self, model):
        """A (B, H, W, C) batch raises ValueError naming the expected shape.

        Catches a data pipeline that forgot to permute: convolving over the wrong axis
        would otherwise run, on garbage, whenever H happens to equal C.
        """
        channels = model.config["in_channels"]
        channels_last = torch.randn(2, IMAGE_SIZE, IMAGE_SIZE, channels)
        with pytest.raises(ValueError, match=rf"\(batch, {channels}, height, width\)"):
            model(images=channels_last)

    def test_train_mode_updates_normalisation_statistics_and_eval_mode_does_not(self, model):
        """A forward pass in train mode moves BatchNorm's running statistics; in eval mode it
        leaves every buffer as it was.

        Catches normalisation that never learns the data's statistics (serving would then
        normalise with the initial 0 and 1) and a model that updates them while serving.
        """
        images = 3 + torch.randn(8, model.config["in_channels"], IMAGE_SIZE, IMAGE_SIZE)
        before = {key: value.clone() for key, value in model.state_dict().items()}
        with torch.no_grad():
            model.eval()(images=images)
        assert all(torch.equal(model.state_dict()[key], value) for key, value in before.items())
        with torch.no_grad():
            model.train()(images=images)
        moved = [key for key in before if "running_mean" in key]
        assert moved, "no normalisation layer with running statistics"
        assert all(not torch.equal(model.state_dict()[key], before[key]) for key in moved)


@pytest.mark.parametrize("name", TEXT_MODELS)
class TestTextModelContract:
    def test_trailing_padding_changes_nothing(self, model):
        """Appending padding to every sequence leaves the logits unchanged (atol 1e-5).

        Catches pooling over padded positions, attention to padded keys and a padding id
        hard-coded to 0 instead of read from pad_id.
        """
        model.eval()
        short = padded_token_batch(model, lengths=(8,) * BATCH_SIZE)
        padded = {
            "input_ids": F.pad(short["input_ids"], (0, 4), value=pad_id(model)),
            "attention_mask": F.pad(short["attention_mask"], (0, 4), value=0),
        }
        with torch.no_grad():
            assert_close(model(**padded), model(**short))

    def test_ids_under_padding_are_ignored(self, model, batch):
        """Whatever ids sit where attention_mask is 0, the logits stay the same (atol 1e-5).

        Catches a mask that is ignored or inverted, so padded tokens are read.
        """
        model.eval()
        is_padding = batch["attention_mask"] == 0
        scrambled = dict(batch, input_ids=batch["input_ids"].clone())
        scrambled["input_ids"][is_padding] = real_token_ids(model, 1, int(is_padding.sum()))[0]
        with torch.no_grad():
            assert_close(model(**scrambled), model(**batch))

    def test_padded_sequence_matches_unpadded(self, model, batch):
        """Each sequence alone and unpadded gets the logits it gets in the padded batch.

        Catches padding or batch mates influencing a sequence (atol 1e-5).
        """
        model.eval()
        with torch.no_grad():
            in_batch = model(**batch)
            for row, length in enumerate(LENGTHS):
                alone = {key: value[row : row + 1, :length] for key, value in batch.items()}
                assert_close(model(**alone), in_batch[row : row + 1])

    def test_padding_gets_no_gradient(self, model, batch):
        """The logits have a gradient w.r.t. every real token's embedding and exactly none
        w.r.t. a padded one's.

        Catches padding reaching the result through attention, convolution or pooling,
        and real tokens that are masked out.
        """
        logits, embedded = logits_and_input_representation(model, batch)
        logits.sum().backward()
        is_real = batch["attention_mask"].bool()
        padded = embedded.grad[~is_real]
        assert embedded.grad[is_real].abs().sum(dim=-1).gt(0).all()
        assert torch.equal(padded, torch.zeros_like(padded))

    def test_fully_padded_row_stays_finite(self, model, batch):
        """A row with no real token gives finite logits and finite gradients.

        Catches -inf attention masking (softmax of all -inf is NaN) and pooling that
        divides by a zero token count; one such row would poison every weight.
        """
        batch["input_ids"][3] = pad_id(model)
        batch["attention_mask"][3] = 0
        logits = model(**batch)
        assert torch.isfinite(logits).all()
        logits.sum().backward()
        for parameter_name, parameter in model.named_parameters():
            assert torch.isfinite(parameter.grad).all(), f"non-finite gradient: {parameter_name}"


@pytest.mark.parametrize("name", MASK_OPTIONAL_MODELS)
def test_mask_derived_from_pad_id_matches_the_explicit_mask(model, batch):
    """Without an attention_mask, padding is found by pad_id and the logits equal the
    masked call's (atol 1e-5).

    Catches a default mask that is all ones, inverted, or compares against the wrong id.
    """
    model.eval()
    with torch.no_grad():
        assert_close(model(input_ids=batch["input_ids"]), model(**batch))
