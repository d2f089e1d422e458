"""The generic training loop: one step, one epoch, evaluation and ``fit``.

Nothing here knows a dataset, a tokenizer or a model class: the task wiring (``task.py``)
builds those and hands over loaders and a model. Every function calls the model the same
way, ``model(**inputs)`` with the batch minus its "label", so one loop trains both the MLP
(``features``) and the transformer (``input_ids``, ``attention_mask``).

The same code trains data-parallel under torchrun (see ``distributed``): with more than one
process, ``fit`` wraps the model in DistributedDataParallel, the wiring gives each process
its own shard of the training data, and only rank 0 logs and writes checkpoints. With one
process none of that happens, so single-process results are exactly what they were.
"""

import logging
import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sized
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Protocol

import torch
from torch import Tensor, nn
from torch.optim import Optimizer
from torch.optim.lr_scheduler import LambdaLR, LRScheduler
from torch.utils.data import DistributedSampler

from .distributed import all_reduce_sum, data_parallel, get_world_size, is_main_process
from .losses import REGRESSION_LOSSES
from .metrics import accuracy, macro_f1
from .progress import epoch_progress
from .seeding import restore_rng_states, rng_states

Batch = Mapping[str, Tensor]
LossFn = Callable[[Tensor, Tensor], Tensor]
# Metrics of a whole split from the model's outputs and the labels, concatenated over batches.
Scores = Callable[[Tensor, Tensor], dict[str, float]]
# TrainConfig.loss: cross-entropy for classes, a RegressionLoss kind for numbers.
LOSSES = ("cross_entropy", *REGRESSION_LOSSES)
LOGGER = logging.getLogger(__name__)
# Why fit stopped, as its result and the checkpoint record it.
STOPPED_AFTER_ALL_EPOCHS = "all epochs"
STOPPED_BY_PATIENCE = "patience"


class Batches(Sized, Iterable[Batch], Protocol):
    """What fit trains on: batches, and how many there are per epoch (for the schedule).
    A DataLoader or a ``data.TensorBatches``; a ``sampler`` attribute that is a
    DistributedSampler is moved to each new epoch."""


# The largest sizes a run (and a checkpoint) may declare. A typo such as --hidden-size
# 100000000 is refused in one line instead of exhausting memory; each is far beyond what the
# models here need (README, "Limits").
MAX_HIDDEN_SIZE = 4096
MAX_LAYERS = 64
MAX_SEQUENCE_LENGTH = 4096
MAX_IMAGE_SIZE = 512  # an image side: a batch of 128 RGB images of 512 x 512 is 400 MB of floats
# AdamW's step moves each weight by about lr: beyond 1 every step overshoots.
MAX_LR = 1.0
# The default batch size gives about this many steps an epoch, within these bounds: below
# 16 a step costs as much as at 16 and learns less; above 128 the 20,000-row benchmark
# gained no speed and lost accuracy.
STEPS_PER_EPOCH = 32
SMALLEST_DEFAULT_BATCH = 16
LARGEST_DEFAULT_BATCH = 128


def default_batch_size(num_examples: int) -> int:
    """The batch size ``train`` uses when none is given: about STEPS_PER_EPOCH steps over
    ``num_examples`` (the examples one process trains on), between the two bounds."""
    return min(LARGEST_DEFAULT_BATCH, max(SMALLEST_DEFAULT_BATCH, num_examples // STEPS_PER_EPOCH))


def _option(default: Any, help: str) -> Any:
    """A TrainConfig field whose help text the command line shows for its flag."""
    return field(default=default, metadata={"help": help})


@dataclass(frozen=True)
class TrainConfig:
    """Everything that decides a training run; every field is a ``train`` flag of the CLI.

    The defaults train the default text model (bag of n-grams) to >= 95 % validation
    accuracy on the bundled data in a fraction of a second on a laptop CPU. The learning
    rate suits the transformer and the MLP too (same accuracy on the bundled and
    scikit-learn data). The batch size and patience were chosen on the 20,000-row text CSV
    of benchmarks/train_at_size.py (README, "Training at size"): a step costs about the
    same at 16 examples as at 64 (the optimizer updates every embedding table each step),
    so 128 trains an epoch 5 times faster than 16, and the validation loss was lowest at
    epoch 1-3 and rose after, at every batch size tried. A fixed 128 left a few hundred
    rows with 3 steps an epoch, too few to learn, so the default batch size follows the
    training split's size (``default_batch_size``). Patience 4, not 2: on a few hundred
    texts the transformer's validation loss rose for two epochs and then fell below its
    first minimum (docstring corpus, 5 folds: 0.820 at patience 2, 0.859 at 4); on the
    20,000 texts 4 costs one epoch (8.0 s -> 8.8 s) and the same accuracy.
    """

    epochs: int = _option(8, "passes over the training split (at most, with --patience)")
    lr: float = _option(2e-2, "peak learning rate of AdamW")
    batch_size: int | None = _option(
        None,
        "examples per step (per process under torchrun); default: 1/32 of the training "
        "split, 16 to 128",
    )
    seed: int = _option(0, "seeds the weights, the shuffling and the augmentation")
    device: str = _option("cpu", "where to train, e.g. cuda")
    grad_clip: float | None = _option(1.0, "max global gradient norm; none turns clipping off")
    weight_decay: float = _option(0.01, "AdamW weight decay")
    warmup_fraction: float = _option(0.1, "share of all steps spent raising the LR from ~0")
    model: str | None = _option(None, "registry name; default: bag_of_ngrams (text), mlp (tabular)")
    max_length: int | None = _option(
        None, "tokens per text; default: covers 99% of the training texts, at most 256"
    )
    min_freq: int = _option(1, "text: a word enters the vocabulary if seen this often in training")
    max_vocab_size: int | None = _option(
        None, "text: most tokens kept, the 2 special ones included; none keeps every word"
    )
    hidden_size: int | None = _option(
        None, "width of the model; default: the model's own (task.py, DEFAULT_HIDDEN_SIZES)"
    )
    num_layers: int = _option(1, "transformer blocks")
    num_heads: int = _option(2, "attention heads; must divide hidden_size")
    dropout: float = _option(0.1, "dropout probability inside the model")
    token_dropout: float = _option(0.1, "text augmentation: chance a training token becomes [UNK]")
    feature_noise: float = _option(0.0, "tabular augmentation: std of noise on normalised features")
    image_size: int | None = _option(
        None, "images: side of the square a model sees; default: the median longer side, at most 64"
    )
    image_channels: str | None = _option(
        None, "images: RGB or L (grayscale); default: L when every training image is grayscale"
    )
    crop_scale: float = _option(
        1.0, "image augmentation: random resized crops keep at least this share; 1: no crop"
    )
    flip: float = _option(0.0, "image augmentation: chance of a horizontal flip")
    patience: int | None = _option(
        4, "stop after this many epochs without a lower validation loss; none: never"
    )
    loss: str | None = _option(
        None, "cross_entropy (classes), mse or huber (numbers); default: cross_entropy, mse"
    )
    huber_delta: float = _option(1.0, "huber: where the loss turns linear, in target stds")

    def __post_init__(self) -> None:
        for option in fields(self):
            value = getattr(self, option.name)
            if type(value) is float and not math.isfinite(value):
                raise ValueError(f"TrainConfig.{option.name} must be a finite number, got {value}")
        positive = (
            "epochs",
            "lr",
            "num_layers",
            "num_heads",
            "min_freq",
            "huber_delta",
        )
        for name in positive:
            if getattr(self, name) <= 0:
                raise ValueError(f"TrainConfig.{name} must be > 0, got {getattr(self, name)}")
        if self.loss is not None and self.loss not in LOSSES:
            raise ValueError(f"TrainConfig.loss must be one of {LOSSES} or None, got {self.loss!r}")
        optional = (
            "batch_size",
            "hidden_size",
            "grad_clip",
            "max_length",
            "patience",
            "image_size",
        )
        for name in optional:
            value = getattr(self, name)
            if value is not None and value <= 0:
                raise ValueError(f"TrainConfig.{name} must be > 0 or None, got {value}")
        limits = {
            "lr": MAX_LR,
            "hidden_size": MAX_HIDDEN_SIZE,
            "num_layers": MAX_LAYERS,
            "max_length": MAX_SEQUENCE_LENGTH,
            "image_size": MAX_IMAGE_SIZE,
        }
        for name, limit in limits.items():
            value = getattr(self, name)
            if value is not None and value > limit:
                raise ValueError(f"TrainConfig.{name} must be at most {limit}, got {value}")
        if self.max_vocab_size is not None and self.max_vocab_size < 3:
            raise ValueError(
                "TrainConfig.max_vocab_size must be at least 3 (the 2 special tokens and a "
                f"word) or None, got {self.max_vocab_size}"
            )
        if self.image_channels not in (None, "RGB", "L"):
            raise ValueError(
                f"TrainConfig.image_channels must be RGB, L or None, got {self.image_channels!r}"
            )
        if not 0 < self.crop_scale <= 1:
            raise ValueError(f"TrainConfig.crop_scale must be in (0, 1], got {self.crop_scale}")
        for name in ("warmup_fraction", "dropout", "token_dropout", "flip"):
            if not 0 <= getattr(self, name) < 1:
                raise ValueError(f"TrainConfig.{name} must be in [0, 1), got {getattr(self, name)}")
        for name in ("weight_decay", "feature_noise"):
            if getattr(self, name) < 0:
                raise ValueError(f"TrainConfig.{name} must be >= 0, got {getattr(self, name)}")
        if self.hidden_size is not None and self.hidden_size % self.num_heads:
            raise ValueError(
                f"TrainConfig.hidden_size ({self.hidden_size}) must be divisible by "
                f"num_heads ({self.num_heads})"
            )


def model_inputs(batch: Batch) -> dict[str, Tensor]:
    """The keyword arguments of the forward call: everything in the batch except the label."""
    return {name: value for name, value in batch.items() if name != "label"}


def warmup_linear_decay(warmup_steps: int, total_steps: int) -> Callable[[int], float]:
    """LR multiplier for ``LambdaLR``: rises linearly to 1 over ``warmup_steps``, then falls
    linearly, reaching 1 / (total - warmup) on the last step so that every step still learns.
    Warm-up keeps Adam's first, badly estimated updates small."""

    def multiplier(step: int) -> float:
        if step < warmup_steps:
            return (step + 1) / warmup_steps
        return max(0.0, (total_steps - step) / max(1, total_steps - warmup_steps))

    return multiplier


def train_step(
    model: nn.Module,
    batch: Batch,
    loss_fn: LossFn,
    optimizer: Optimizer,
    grad_clip: float | None = None,
) -> float:
    """One optimisation step on one batch; returns the batch's loss before the step.

    Raises FloatingPointError before backward when the loss is NaN or Inf, so the weights
    (and the last checkpoint) are never overwritten with garbage.
    """
    optimizer.zero_grad(set_to_none=True)  # gradients accumulate otherwise
    loss = loss_fn(model(**model_inputs(batch)), batch["label"])
    value = loss.item()
    if not math.isfinite(value):
        raise FloatingPointError(f"loss is {value}")
    loss.backward()  # type: ignore[no-untyped-call]  # unannotated in torch
    if grad_clip is not None:
        nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
    optimizer.step()
    return value


def _to_device(batch: Batch, device: torch.device | str) -> dict[str, Tensor]:
    return {name: value.to(device) for name, value in batch.items()}


def train_one_epoch(
    model: nn.Module,
    loader: Iterable[Batch],
    loss_fn: LossFn,
    optimizer: Optimizer,
    *,
    scheduler: LRScheduler | None = None,
    grad_clip: float | None = None,
    device: torch.device | str = "cpu",
    epoch: int = 1,
    on_step: Callable[[float], None] | None = None,
) -> float:
    """One pass over ``loader`` in train mode, stepping the scheduler after every batch.

    Returns the mean training loss per example, over all processes when several train
    together. ``epoch`` only names the epoch in the error raised when the loss becomes
    NaN or Inf; ``on_step`` receives each batch's loss (a progress bar).
    """
    model.train()  # dropout on: a model left in eval mode by evaluation would train without it
    total_loss, num_examples = 0.0, 0
    for step, batch in enumerate(loader, start=1):
        batch = _to_device(batch, device)
        try:
            loss = train_step(model, batch, loss_fn, optimizer, grad_clip)
        except FloatingPointError as error:
            raise FloatingPointError(
                f"training diverged at epoch {epoch}, step {step}: {error}; "
                "try a lower lr or gradient clipping"
            ) from error
        if scheduler is not None:
            scheduler.step()
        if on_step is not None:
            on_step(loss)
        total_loss += loss * len(batch["label"])
        num_examples += len(batch["label"])
    if num_examples == 0:
        raise ValueError("the training loader yielded no batches")
    summed_loss, summed_examples = all_reduce_sum([total_loss, num_examples], device)
    return summed_loss / summed_examples


@contextmanager
def _eval_mode(model: nn.Module) -> Iterator[None]:
    """Switch to eval mode, then give every submodule back its own previous mode
    (a model in training may hold frozen, eval-mode parts)."""
    previous = [(module, module.training) for module in model.modules()]
    model.eval()
    try:
        yield
    finally:
        for module, training in previous:
            module.training = training


def classification_scores(logits: Tensor, labels: Tensor) -> dict[str, float]:
    """Accuracy and macro F1 of logits (N, C) against class indices (N,)."""
    predicted = logits.argmax(dim=-1)
    return {
        "accuracy": accuracy(predicted, labels),
        "macro_f1": macro_f1(predicted, labels, num_classes=logits.shape[-1]),
    }


@torch.no_grad()
def evaluate(
    model: nn.Module,
    loader: Iterable[Batch],
    loss_fn: LossFn,
    device: torch.device | str = "cpu",
    scores: Scores = classification_scores,
) -> dict[str, float]:
    """Mean loss per example and ``scores`` (default: accuracy and macro F1) over every
    example of ``loader`` at once, in eval mode without autograd; the model is left in the
    mode it was found in."""
    total_loss, outputs, labels = 0.0, [], []
    with _eval_mode(model):
        for batch in loader:
            batch = _to_device(batch, device)
            output = model(**model_inputs(batch))  # (B, C)
            total_loss += loss_fn(output, batch["label"]).item() * len(batch["label"])
            outputs.append(output)
            labels.append(batch["label"])
    if not labels:
        raise ValueError("the evaluation loader yielded no batches")
    targets = torch.cat(labels)
    return {"loss": total_loss / len(targets), **scores(torch.cat(outputs), targets)}


def _format_epoch(metrics: Mapping[str, float], epochs: int) -> str:
    values = "  ".join(f"{name} {value:.4g}" for name, value in metrics.items() if name != "epoch")
    return f"epoch {metrics['epoch']}/{epochs}  {values}"


@dataclass(frozen=True)
class FitResult:
    """What ``fit`` returns. The model it trained holds the weights of ``best_epoch``."""

    history: list[dict[str, float]]  # one metrics dict per epoch run
    best_epoch: int  # the epoch of the lowest validation loss (the first, on a tie)
    stop_reason: str  # STOPPED_AFTER_ALL_EPOCHS or STOPPED_BY_PATIENCE


def fit(
    model: nn.Module,
    train_loader: Batches,
    val_loader: Iterable[Batch],
    config: TrainConfig,
    *,
    loss_fn: LossFn | None = None,
    scores: Scores = classification_scores,
    resume_state: Mapping[str, Any] | None = None,
    save_state: Callable[[dict[str, Any]], None] | None = None,
    log: Callable[[str], None] | None = LOGGER.info,
    progress: bool = False,
) -> FitResult:
    """Train for up to ``config.epochs`` with AdamW and a warm-up/linear-decay schedule,
    evaluating on ``val_loader`` after every epoch, and end with the weights of the epoch of
    the lowest validation loss. With ``config.patience`` N, stop once N epochs in a row
    have not lowered it. ``loss_fn`` defaults to cross-entropy and ``scores`` (the
    validation metrics besides the loss) to accuracy and macro F1.

    The validation loss, not accuracy, decides: it moves with every example's confidence,
    so it shows overfitting (a model growing sure of its mistakes) epochs before accuracy,
    which on a small validation split moves in steps and ties.

    Does not seed: seed before building the model and the loaders. After every epoch
    ``save_state`` (if given) receives the training state (optimizer, scheduler, epoch,
    RNG states, history, the best epoch and its weights); passing that state back as
    ``resume_state``, to a model holding the weights the run had then, continues exactly
    where the run stopped. ``log`` receives one line per epoch (None for silence);
    ``progress`` shows a progress bar per epoch when stderr is a terminal.

    Under torchrun every process calls ``fit`` with its own shard of the data (a
    ``DistributedSampler``, reshuffled every epoch); gradients are averaged across processes,
    every process scores the whole validation set, and only rank 0 logs and saves.
    """
    device = torch.device(config.device)
    model.to(device)
    trained = data_parallel(model, device)  # `model` itself in a single process
    loss_fn = loss_fn or nn.CrossEntropyLoss()
    # fused: one kernel updates every parameter, instead of a few per parameter; about 1.6
    # times faster per step on CPU for the bag of n-grams, whose tables dominate its size.
    optimizer = torch.optim.AdamW(
        model.parameters(), lr=config.lr, weight_decay=config.weight_decay, fused=True
    )
    total_steps = config.epochs * len(train_loader)
    warmup_steps = int(config.warmup_fraction * total_steps)
    scheduler = LambdaLR(optimizer, warmup_linear_decay(warmup_steps, total_steps))
    history: list[dict[str, float]] = []
    first_epoch, best_epoch, best_loss, stale_epochs = 1, 0, math.inf, 0
    best_weights = _copy_weights(model)
    if resume_state is not None:
        _check_world_size(resume_state)
        optimizer.load_state_dict(resume_state["optimizer"])
        scheduler.load_state_dict(resume_state["scheduler"])
        history = [dict(metrics) for metrics in resume_state["history"]]
        restore_rng_states(resume_state["rng"])
        first_epoch = resume_state["epoch"] + 1
        best_epoch, best_loss = resume_state["best_epoch"], resume_state["best_loss"]
        stale_epochs = resume_state["stale_epochs"]
        best_weights = dict(resume_state["best_weights"])

    stop_reason = STOPPED_AFTER_ALL_EPOCHS
    for epoch in range(first_epoch, config.epochs + 1):
        if config.patience is not None and stale_epochs >= config.patience:
            stop_reason = STOPPED_BY_PATIENCE  # a run resumed after it had already stopped
            break
        sampler = getattr(train_loader, "sampler", None)
        if isinstance(sampler, DistributedSampler):
            sampler.set_epoch(epoch)  # a new order every epoch, agreed by every process
        with epoch_progress(
            len(train_loader), f"epoch {epoch}/{config.epochs}", progress and is_main_process()
        ) as on_step:
            train_loss = train_one_epoch(
                trained,
                train_loader,
                loss_fn,
                optimizer,
                scheduler=scheduler,
                grad_clip=config.grad_clip,
                device=device,
                epoch=epoch,
                on_step=on_step,
            )
        val_metrics = evaluate(model, val_loader, loss_fn, device, scores)
        metrics = {
            "epoch": epoch,
            "train_loss": train_loss,
            **{f"val_{name}": value for name, value in val_metrics.items()},
            "lr": float(scheduler.get_last_lr()[0]),
        }
        history.append(metrics)
        if val_metrics["loss"] < best_loss:
            best_epoch, best_loss, best_weights = epoch, val_metrics["loss"], _copy_weights(model)
            stale_epochs = 0
        else:
            stale_epochs += 1
        if save_state is not None and is_main_process():
            save_state(
                {
                    "epoch": epoch,
                    "config": asdict(config),
                    "optimizer": optimizer.state_dict(),
                    "scheduler": scheduler.state_dict(),
                    "rng": rng_states(),
                    "history": history,
                    "world_size": get_world_size(),
                    "best_epoch": best_epoch,
                    "best_loss": best_loss,
                    "stale_epochs": stale_epochs,
                    "best_weights": best_weights,
                }
            )
        if log is not None and is_main_process():
            log(_format_epoch(metrics, config.epochs))
        if config.patience is not None and stale_epochs >= config.patience:
            stop_reason = STOPPED_BY_PATIENCE
            break
    model.load_state_dict(best_weights)
    if log is not None and is_main_process():
        log(f"kept epoch {best_epoch} (lowest val_loss {best_loss:.4g}); stopped: {stop_reason}")
    return FitResult(history, best_epoch, stop_reason)


def _copy_weights(model: nn.Module) -> dict[str, Tensor]:
    """A copy of the model's state that later steps do not change."""
    return {name: value.detach().clone() for name, value in model.state_dict().items()}


def _check_world_size(saved: Mapping[str, Any]) -> None:
    """A run resumes exactly only with as many processes as it started with: the number
    decides how the data is sharded and how many steps an epoch has."""
    saved_size, current_size = saved.get("world_size", 1), get_world_size()
    if saved_size != current_size:
        raise ValueError(
            f"cannot resume: the checkpoint was trained by {saved_size} process(es), this run "
            f"has {current_size}; resume with torchrun --nproc_per_node={saved_size}"
        )


def check_resumable(config: TrainConfig, saved: Mapping[str, Any]) -> None:
    """A run resumes exactly only under the config it started with (the device may change)."""
    current = asdict(config)
    differing = [
        option.name
        for option in fields(TrainConfig)
        if option.name != "device" and saved.get(option.name) != current[option.name]
    ]
    if differing:
        details = ", ".join(
            f"{name}: {saved.get(name)!r} -> {current[name]!r}" for name in differing
        )
        raise ValueError(
            f"cannot resume: the checkpoint was trained with another config ({details})"
        )
