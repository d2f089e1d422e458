"""Training: losses, seeding, metrics and the generic training loop."""

from .loop import (
    MAX_HIDDEN_SIZE,
    MAX_LAYERS,
    MAX_LR,
    MAX_SEQUENCE_LENGTH,
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
from .metrics import (
    accuracy,
    calibration_bins,
    confusion_matrix,
    expected_calibration_error,
    macro_f1,
    per_class_scores,
)
from .seeding import restore_rng_states, rng_states, seed_everything, seeded

__all__ = [
    "MAX_HIDDEN_SIZE",
    "MAX_LAYERS",
    "MAX_LR",
    "MAX_SEQUENCE_LENGTH",
    "STOPPED_AFTER_ALL_EPOCHS",
    "STOPPED_BY_PATIENCE",
    "ContrastiveLoss",
    "FitResult",
    "FocalLoss",
    "TrainConfig",
    "accuracy",
    "calibration_bins",
    "check_resumable",
    "confusion_matrix",
    "evaluate",
    "expected_calibration_error",
    "fit",
    "macro_f1",
    "model_inputs",
    "per_class_scores",
    "restore_rng_states",
    "rng_states",
    "seed_everything",
    "seeded",
    "train_one_epoch",
    "train_step",
    "warmup_linear_decay",
]
