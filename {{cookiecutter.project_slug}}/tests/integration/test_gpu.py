"""CUDA: the model and the predictor compute on the GPU what they compute on the CPU.

Every test here is marked gpu: skipped with a reason without CUDA, and a failure under
--require-gpu, which the nightly job passes so a runner that lost its GPU goes red.
"""

from pathlib import Path

import pytest
import torch
from torch import nn

from {{ cookiecutter.module_name }}.data import LABEL_NAMES, build_tokenizer, make_example_texts
from {{ cookiecutter.module_name }}.inference import Predictor
from {{ cookiecutter.module_name }}.models import SmallCNN, TransformerClassifier
from {{ cookiecutter.module_name }}.training import FocalLoss, train_step

pytestmark = pytest.mark.gpu

CUDA = torch.device("cuda")
MAX_LENGTH = 16
# float32 kernels differ between devices only in summation order: 1e-4 is generous for a
# model this small, and far below what a real bug (a missing mask, a dropped layer) moves.
CPU_CUDA_TOLERANCE = 1e-4


@pytest.fixture
def batch() -> dict[str, torch.Tensor]:
    """Eight bundled sentences, encoded and padded, with their labels (on the CPU)."""
    texts, labels = make_example_texts()
    tokenizer = build_tokenizer(texts)
    encoded = tokenizer.encode_batch(texts[:8], MAX_LENGTH)
    return {**encoded, "label": torch.tensor(labels[:8])}


@pytest.fixture
def model(batch) -> TransformerClassifier:
    """A small transformer with random weights, dropout off so both devices compute alike."""
    vocab_size = int(batch["input_ids"].max()) + 1
    return TransformerClassifier(
        vocab_size, hidden_size=32, num_layers=2, num_outputs=len(LABEL_NAMES),
        max_length=MAX_LENGTH, dropout=0.0,
    )  # fmt: skip


def on(device: torch.device, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {name: tensor.to(device) for name, tensor in batch.items()}


def inputs(batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {name: tensor for name, tensor in batch.items() if name != "label"}


class TestModelOnCuda:
    def test_logits_match_the_cpu(self, model, batch):
        """The same weights give the CPU's logits on CUDA (tolerance 1e-4).
        Catches: device-dependent code paths, e.g. a mask built on the wrong device."""
        model.eval()
        with torch.no_grad():
            on_cpu = model(**inputs(batch))
            on_cuda = model.to(CUDA)(**inputs(on(CUDA, batch))).cpu()
        tolerance = {"atol": CPU_CUDA_TOLERANCE, "rtol": CPU_CUDA_TOLERANCE}
        torch.testing.assert_close(on_cuda, on_cpu, **tolerance)

    def test_mixed_precision_forward_and_backward_are_finite(self, model, batch):
        """Under bfloat16 autocast the logits, the focal loss and every gradient are finite.
        Catches: a mask fill value that overflows in half precision (-1e9 or float32 min
        in a bfloat16 tensor), or a loss that takes log of a probability that rounds to 0."""
        model.to(CUDA).train()
        batch = on(CUDA, batch)
        with torch.autocast("cuda", dtype=torch.bfloat16):
            logits = model(**inputs(batch))
            loss = FocalLoss()(logits.float(), batch["label"])
        loss.backward()
        assert torch.isfinite(logits).all()
        assert torch.isfinite(loss)
        for name, parameter in model.named_parameters():
            assert torch.isfinite(parameter.grad).all(), name

    def test_a_training_step_lowers_the_loss(self, model, batch):
        """One AdamW step on CUDA lowers the loss on its batch.
        Catches: an optimizer built over CPU copies of the parameters (built before .to())."""
        model.to(CUDA)
        batch = on(CUDA, batch)
        optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2)
        loss_fn = nn.CrossEntropyLoss()
        before = train_step(model, batch, loss_fn, optimizer)
        with torch.no_grad():
            after = loss_fn(model(**inputs(batch)), batch["label"]).item()
        assert after < before


class TestCnnOnCuda:
    @pytest.fixture
    def cnn(self) -> SmallCNN:
        """The image model with random weights, dropout off, in eval mode (BatchNorm's
        running statistics, the same on both devices)."""
        return SmallCNN(in_channels=3, hidden_size=8, num_outputs=3, dropout=0.0).eval()

    @pytest.fixture
    def images(self) -> torch.Tensor:
        """Eight random 3 x 16 x 16 images."""
        generator = torch.Generator().manual_seed(0)
        return torch.randn(8, 3, 16, 16, generator=generator)

    def test_logits_match_the_cpu(self, cnn, images):
        """The same weights give the CPU's logits on CUDA (tolerance 1e-4). Catches:
        cuDNN convolutions or pooling that differ from the CPU's beyond summation order."""
        with torch.no_grad():
            on_cpu = cnn(images=images)
            on_cuda = cnn.to(CUDA)(images=images.to(CUDA)).cpu()
        tolerance = {"atol": CPU_CUDA_TOLERANCE, "rtol": CPU_CUDA_TOLERANCE}
        torch.testing.assert_close(on_cuda, on_cpu, **tolerance)

    def test_mixed_precision_forward_and_backward_are_finite(self, cnn, images):
        """Under bfloat16 autocast the logits, the loss and every gradient are finite (the
        convolutions run in bfloat16, BatchNorm in float32). Catches: an input check that
        refuses autocast's dtypes, or normalisation that overflows in half precision."""
        cnn.to(CUDA).train()
        labels = (torch.arange(8) % 3).to(CUDA)
        with torch.autocast("cuda", dtype=torch.bfloat16):
            logits = cnn(images=images.to(CUDA))
            loss = nn.functional.cross_entropy(logits.float(), labels)
        loss.backward()
        assert torch.isfinite(logits).all()
        for name, parameter in cnn.named_parameters():
            assert torch.isfinite(parameter.grad).all(), name


class TestPredictorOnCuda:
    @pytest.fixture
    def checkpoint(self, tmp_path: Path, untrained_checkpoint) -> Path:
        return untrained_checkpoint(tmp_path / "model.pt", max_length=MAX_LENGTH)

    def test_honours_the_device_argument(self, checkpoint):
        """Predictor(device="cuda") puts every weight on the GPU and returns plain floats.
        Catches: a device argument that is stored but never used."""
        predictor = Predictor(checkpoint, device="cuda")
        assert {parameter.device.type for parameter in predictor.model.parameters()} == {"cuda"}
        result = predictor.predict("the striker scored a late goal")
        assert isinstance(result["confidence"], float)

    def test_memory_returns_to_its_baseline_after_repeated_predictions(self, checkpoint):
        """After 50 batch predictions the GPU holds no more memory than after the first.
        Catches: outputs kept on the GPU between calls (a cache, a history with autograd)."""
        predictor = Predictor(checkpoint, device="cuda")
        texts = make_example_texts()[0][:64]
        predictor.predict_batch(texts)  # the first call allocates the caching allocator's pools
        torch.cuda.synchronize()
        baseline = torch.cuda.memory_allocated()
        for _ in range(50):
            predictor.predict_batch(texts)
        torch.cuda.synchronize()
        assert torch.cuda.memory_allocated() <= baseline
