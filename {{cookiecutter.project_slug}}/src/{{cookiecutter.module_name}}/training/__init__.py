"""Training: losses, seeding, metrics and the generic training loop."""

from .loop import (
    STOPPED_AFTER_ALL_EPOCHS,
    STOPPED_BY_PATIENCE,
    FitResult,
    TrainConfig,
    check_resumable,
    evaluate,
    fit,
    model_inputs,
    train_one_epoch,
    train_step,
    warmup_linear_decay,
)
from .losses import ContrastiveLoss, FocalLoss
from .metrics import accuracy, expected_calibration_error, macro_f1
from .seeding import restore_rng_states, rng_states, seed_everything, seeded

__all__ = [
    "STOPPED_AFTER_ALL_EPOCHS",
    "STOPPED_BY_PATIENCE",
    "ContrastiveLoss",
    "FitResult",
    "FocalLoss",
    "TrainConfig",
    "accuracy",
    "check_resumable",
    "evaluate",
    "expected_calibration_error",
    "fit",
    "macro_f1",
    "model_inputs",
    "restore_rng_states",
    "rng_states",
    "seed_everything",
    "seeded",
    "train_one_epoch",
    "train_step",
    "warmup_linear_decay",
]
