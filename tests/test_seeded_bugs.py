"""The generated suite catches real ML bugs: a catalogue of seeded bugs.

Each `SeededBug` is one small edit to the source of a freshly baked project, modelled on
a silent failure that ML teams really ship: the code still runs, trains and serves, only
worse. The test applies the edit to a copy of the default project and runs its whole fast
tier, the tests that guard that code first and the golden (regression) tier last, until
the first failure; that failure must come before the golden tier, whose baseline a user
rebuilds at their first intended change. The terminal summary (see conftest.py) names the
test that caught each bug and ends with two figures: caught with the whole fast tier, and
caught with tests/regression deselected.

A bug the suite misses is a finding: strengthen the generated tests, never the bug.
"""

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = "src/ml_project"  # the default answers' module

# The generated test files that guard each part of the package.
LOSSES = "tests/unit/test_losses.py"
MODELS = "tests/unit/test_models.py"
MODEL_CONTRACT = "tests/unit/test_model_contract.py"
DATA = "tests/unit/test_data.py"
SOURCES = "tests/unit/test_sources.py"
TOKENIZER = "tests/unit/test_tokenizer.py"
TRAINING = "tests/integration/test_training.py"
INFERENCE = "tests/integration/test_inference.py"
CLI = "tests/integration/test_cli.py"
DATA_CONTRACT = "tests/unit/test_data_contract.py"
NGRAMS = "tests/unit/test_ngrams.py"
BASELINES = "tests/unit/test_baselines.py"
CALIBRATION = "tests/unit/test_calibration.py"
REGRESSION_TARGETS = "tests/integration/test_regression_targets.py"
REGRESSION_METRICS = "tests/unit/test_regression_metrics.py"
EVALUATION = "tests/integration/test_evaluation.py"
IMAGES = "tests/unit/test_images.py"
IMAGE_SERVING = "tests/integration/test_image_serving.py"

# What the Predictor does with image files; the serving skews below replace it. Each skew
# is what a hand-written serving script does: its own decode, resize and normalisation.
SERVED_IMAGES = "        return self.image_preprocessing.encode(paths).to(dtype)\n"


def served_with(resize: str, scale: str = "max") -> str:
    """Serving code that letterboxes (or, with ``scale`` "min", centre-crops) by itself,
    calling torchvision's resize with the keyword arguments ``resize``."""
    return f"""        from torchvision.transforms.v2 import functional as transforms

        from ..data import decode_pixels

        prep = self.image_preprocessing
        images = []
        for path in paths:
            image = decode_pixels(path, prep.channels)
            scale = prep.size / {scale}(image.shape[-2:])
            shape = [max(1, round(side * scale)) for side in image.shape[-2:]]
            resized = transforms.resize(image, shape, {resize})
            images.append(transforms.center_crop(resized, [prep.size, prep.size]))
        return prep.normalize(torch.stack(images)).to(dtype)
"""


@dataclass(frozen=True)
class SeededBug:
    """Replace `old` by `new` in `path` (relative to the package); `tests` must catch it.

    `old` must occur exactly once, so a change to the generated code under a bug fails
    loudly instead of seeding nothing. `also` holds further (old, new) edits of the same
    file, for a bug that moves a line.
    """

    name: str
    category: str
    path: str
    old: str
    new: str
    tests: tuple[str, ...]
    also: tuple[tuple[str, str], ...] = ()

    def apply_to(self, project: Path) -> None:
        source = project / PACKAGE / self.path
        text = source.read_text()
        for old, new in ((self.old, self.new), *self.also):
            count = text.count(old)
            assert count == 1, f"{self.name}: {old!r} occurs {count} times in {self.path}"
            text = text.replace(old, new)
        source.write_text(text)


CATALOGUE = [
    # --- loss -------------------------------------------------------------------------
    # log(p) instead of -log(p): the optimiser maximises the loss it reports going down.
    SeededBug(
        "focal_sign_error",
        "loss",
        "training/losses.py",
        old="loss = -one_minus_p.pow(self.gamma) * log_p",
        new="loss = one_minus_p.pow(self.gamma) * log_p",
        tests=(LOSSES,),
    ),
    # A sum where the mean is promised: the effective learning rate grows with the batch.
    SeededBug(
        "focal_sum_for_mean",
        "loss",
        "training/losses.py",
        old="return loss.sum() / weight.sum()",
        new="return loss.sum()",
        tests=(LOSSES,),
    ),
    # gamma * (1 - p) instead of (1 - p) ** gamma: easy examples are not down-weighted.
    SeededBug(
        "focal_gamma_multiplied",
        "loss",
        "training/losses.py",
        old="one_minus_p.pow(self.gamma)",
        new="(self.gamma * one_minus_p)",
        tests=(LOSSES,),
    ),
    # The alpha-weighted mean divided by the example count: at gamma=0 it is no longer
    # cross-entropy with class weights, so switching losses silently changes the scale.
    SeededBug(
        "focal_not_cross_entropy_at_gamma_zero",
        "loss",
        "training/losses.py",
        old="return loss.sum() / weight.sum()",
        new="return loss.sum() / kept.sum()",
        tests=(LOSSES,),
    ),
    # Targets marked ignore_index (padding, unlabelled rows) still count in the loss.
    SeededBug(
        "focal_counts_ignored_targets",
        "loss",
        "training/losses.py",
        old="weight = kept.to(loss.dtype)",
        new="weight = torch.ones_like(loss)",
        tests=(LOSSES,),
    ),
    # Softmax before the loss's own log-softmax: probabilities used as logits, the loss
    # can never approach zero and learning stalls.
    SeededBug(
        "softmax_before_cross_entropy",
        "loss",
        "training/losses.py",
        old="F.log_softmax(logits, dim=-1)",
        new="F.log_softmax(logits.softmax(dim=-1), dim=-1)",
        tests=(LOSSES,),
    ),
    # log(softmax(x)) instead of log_softmax: p underflows to 0 on a confident mistake,
    # the loss is inf and its gradient NaN.
    SeededBug(
        "unstable_log_of_softmax",
        "loss",
        "training/losses.py",
        old="F.log_softmax(logits, dim=-1)",
        new="torch.log(F.softmax(logits, dim=-1))",
        tests=(LOSSES,),
    ),
    # (1 - p) ** gamma unclamped: for gamma < 1 its derivative is infinite at p = 1, so a
    # confident correct prediction produces NaN gradients.
    SeededBug(
        "focal_nan_gradient_when_certain",
        "loss",
        "training/losses.py",
        old=".clamp(min=torch.finfo(log_p.dtype).eps)",
        new="",
        tests=(LOSSES,),
    ),
    # Similar and dissimilar pairs swapped: embeddings of the same class are pushed apart.
    SeededBug(
        "contrastive_positives_negatives_swapped",
        "loss",
        "training/losses.py",
        old="same * squared_distance + (1 - same) * F.relu",
        new="(1 - same) * squared_distance + same * F.relu",
        tests=(LOSSES,),
    ),
    # sqrt(d^2) without eps: two identical embeddings give a NaN gradient.
    SeededBug(
        "contrastive_sqrt_without_eps",
        "loss",
        "training/losses.py",
        old="torch.sqrt(squared_distance + self.eps)",
        new="torch.sqrt(squared_distance)",
        tests=(LOSSES,),
    ),
    # --- training ---------------------------------------------------------------------
    # No zero_grad: every step applies the sum of all gradients so far.
    SeededBug(
        "missing_zero_grad",
        "training",
        "training/loop.py",
        old="    optimizer.zero_grad(set_to_none=True)  # gradients accumulate otherwise\n",
        new="",
        tests=(TRAINING,),
    ),
    # step() before backward(): the update uses whatever gradients are there, here none
    # (zero_grad just cleared them), so the weights never move.
    SeededBug(
        "optimizer_step_before_backward",
        "training",
        "training/loop.py",
        old="    loss.backward()  # type: ignore[no-untyped-call]  # unannotated in torch\n"
        "    if grad_clip is not None:\n"
        "        nn.utils.clip_grad_norm_(model.parameters(), grad_clip)\n"
        "    optimizer.step()\n",
        new="    optimizer.step()\n"
        "    loss.backward()  # type: ignore[no-untyped-call]  # unannotated in torch\n"
        "    if grad_clip is not None:\n"
        "        nn.utils.clip_grad_norm_(model.parameters(), grad_clip)\n",
        tests=(TRAINING,),
    ),
    # optimizer.step() lost in a refactor: the loss is computed and logged, nothing learns.
    SeededBug(
        "optimizer_step_skipped",
        "training",
        "training/loop.py",
        old="    optimizer.step()\n    return value\n",
        new="    return value\n",
        tests=(TRAINING,),
    ),
    # No model.train() at the start of an epoch: after the first evaluation the model
    # trains in eval mode, without dropout and with frozen BatchNorm statistics.
    SeededBug(
        "model_left_in_eval_mode_for_training",
        "training",
        "training/loop.py",
        old="model.train()  # dropout on",
        new="pass  # dropout on",
        tests=(TRAINING,),
    ),
    # evaluate() switches to eval mode and never switches back.
    SeededBug(
        "evaluate_does_not_restore_train_mode",
        "training",
        "training/loop.py",
        old="            module.training = training",
        new="            pass",
        tests=(TRAINING,),
    ),
    # The learning-rate scheduler is created but never stepped: no warm-up, no decay.
    SeededBug(
        "lr_schedule_never_steps",
        "training",
        "training/loop.py",
        old="            scheduler.step()",
        new="            pass",
        tests=(TRAINING,),
    ),
    # Seeding after the model is built: its initial weights come from whatever state
    # the process happened to be in, so "seed=0" runs are not reproducible.
    SeededBug(
        "seed_set_after_model_is_built",
        "training",
        "task.py",
        old="    seed_everything(config.seed)\n",
        new="",
        also=(
            (
                "    resume_state = None\n",
                "    seed_everything(config.seed)\n    resume_state = None\n",
            ),
        ),
        tests=(TRAINING,),
    ),
    # --- model ------------------------------------------------------------------------
    # A .detach() left in forward: only the head learns, the body stays at its init.
    SeededBug(
        "hidden_layer_detached_from_graph",
        "model",
        "models/mlp.py",
        old="hidden = self.hidden(features)",
        new="hidden = self.hidden(features).detach()",
        tests=(MODELS, MODEL_CONTRACT),
    ),
    # An embedding frozen for a fine-tuning recipe and never unfrozen.
    SeededBug(
        "embedding_layer_frozen",
        "model",
        "models/transformer.py",
        old="nn.Embedding(vocab_size, hidden_size)",
        new="nn.Embedding(vocab_size, hidden_size).requires_grad_(False)",
        tests=(MODELS, MODEL_CONTRACT),
    ),
    # The key mask inverted: real tokens are hidden, padding is attended to.
    SeededBug(
        "attention_mask_inverted",
        "model",
        "models/transformer.py",
        old="padded_keys = ~key_mask[:, None, None, :]",
        new="padded_keys = key_mask[:, None, None, :]",
        tests=(MODELS, MODEL_CONTRACT),
    ),
    # masked_fill's result thrown away (it is not in place): the mask is ignored.
    SeededBug(
        "attention_mask_ignored",
        "model",
        "models/transformer.py",
        old="scores = scores.masked_fill(padded_keys",
        new="scores.masked_fill(padded_keys",
        tests=(MODELS, MODEL_CONTRACT),
    ),
    # x.mean(dim=1): padded positions are averaged in, so padding changes predictions.
    SeededBug(
        "mean_pooling_over_padding",
        "model",
        "models/transformer.py",
        old="pooled = x.sum(dim=1) / num_real",
        new="pooled = x.mean(dim=1)",
        tests=(MODELS, MODEL_CONTRACT),
    ),
    # Attention weights normalised over the batch: sequences read each other.
    SeededBug(
        "attention_softmax_over_batch_dim",
        "model",
        "models/transformer.py",
        old="F.softmax(scores, dim=-1)",
        new="F.softmax(scores, dim=0)",
        tests=(MODELS, MODEL_CONTRACT),
    ),
    # Functional dropout without training=self.training: still active after eval().
    SeededBug(
        "dropout_active_at_inference",
        "model",
        "models/transformer.py",
        old="x = self.embedding_dropout(x)",
        new='x = F.dropout(x, self.config["dropout"])',
        tests=(MODELS, MODEL_CONTRACT),
    ),
    # BatchNorm without running statistics: eval mode still normalises with the batch's.
    SeededBug(
        "batchnorm_uses_batch_statistics_at_inference",
        "model",
        "models/mlp.py",
        old="nn.BatchNorm1d(hidden_size)",
        new="nn.BatchNorm1d(hidden_size, track_running_stats=False)",
        tests=(MODELS, MODEL_CONTRACT),
    ),
    # The model returns probabilities; cross-entropy applies softmax a second time.
    SeededBug(
        "model_returns_probabilities",
        "model",
        "models/transformer.py",
        old="logits: torch.Tensor = self.head(pooled)",
        new="logits: torch.Tensor = self.head(pooled).softmax(dim=-1)",
        tests=(MODELS, MODEL_CONTRACT),
    ),
    # --- data -------------------------------------------------------------------------
    # Division by the raw std: a constant feature column becomes NaN.
    SeededBug(
        "normalization_without_epsilon",
        "data",
        "data/normalization.py",
        old="self.std = torch.where(std > self.eps, std, torch.ones_like(std))",
        new="self.std = std",
        tests=(DATA,),
    ),
    # Serving recomputes the mean from the batch it normalises: a single request always
    # centres to zero (train/serve skew), and test-set statistics leak into evaluation.
    SeededBug(
        "normalization_statistics_from_serving_data",
        "data",
        "data/normalization.py",
        old="mean = self.mean.to(device=x.device, dtype=x.dtype)",
        new="mean = x.mean(dim=0)",
        tests=(DATA,),
    ),
    # No truncation: long texts overflow max_length.
    SeededBug(
        "tokenizer_does_not_truncate",
        "data",
        "data/tokenizer.py",
        old="for token in leading_tokens(text, max_length)]",
        new="for token in self.tokenize(text)]",
        tests=(TOKENIZER,),
    ),
    # Each text served with the previous row's label (index - 1 wraps silently at 0).
    SeededBug(
        "label_offset_by_one",
        "data",
        "data/dataset.py",
        old='            item["label"] = self.labels[index]\n        return item\n\n\n'
        "class FeatureDataset",
        new='            item["label"] = self.labels[index - 1]\n        return item\n\n\n'
        "class FeatureDataset",
        tests=(DATA,),
    ),
    # The training slice starts at the validation slice: validation is part of training.
    SeededBug(
        "train_validation_split_overlap",
        "data",
        "data/sources.py",
        old='"train": (num_test + num_validation, len(keys))',
        new='"train": (num_test, len(keys))',
        tests=(SOURCES,),
    ),
    # The vocabulary built from training and validation texts: held-out data leaks in.
    SeededBug(
        "tokenizer_fitted_on_validation_data",
        "data",
        "task.py",
        old="tokenizer = build_tokenizer(\n        texts,",
        new='tokenizer = build_tokenizer(\n        texts + list(data.splits["validation"].inputs),',
        tests=(TRAINING,),
    ),
    # --min-freq parsed, saved in the config and never used: the vocabulary keeps every
    # one-off word, and the flag's user is none the wiser.
    SeededBug(
        "min_freq_not_passed_to_the_tokenizer",
        "data",
        "task.py",
        old="texts, min_freq=config.min_freq, max_vocab_size",
        new="texts, max_vocab_size",
        tests=(CLI,),
    ),
    # The normaliser's statistics taken over training and test rows: test data leaks in.
    SeededBug(
        "normaliser_fitted_with_the_test_rows",
        "data",
        "task.py",
        old="torch.tensor(train.inputs, dtype=torch.float32)",
        new='torch.tensor(train.inputs + data.splits["test"].inputs, dtype=torch.float32)',
        tests=(DATA_CONTRACT,),
    ),
    # The validation set gets the training augmentation: noisy, pessimistic metrics.
    SeededBug(
        "augmentation_applied_at_evaluation",
        "data",
        "task.py",
        old='data.splits["validation"], data.targets("validation"), num_classes\n',
        new='data.splits["validation"], data.targets("validation"), num_classes, augment\n',
        tests=(TRAINING,),
    ),
    # --- inference --------------------------------------------------------------------
    # Serving re-implements tokenisation with str.split: no casefold, no Unicode or
    # punctuation handling, so "Parcel" and "parcel?" become [UNK].
    SeededBug(
        "predictor_skips_text_normalisation",
        "inference",
        "inference/predictor.py",
        old="encoded = self.tokenizer.encode_batch(strings, self.max_length)  # (B, L) each\n",
        new="vocab, length = self.tokenizer.vocab, self.max_length\n"
        "        rows = [[vocab.index(w) if w in vocab else 1 for w in s.split()]\n"
        "                for s in strings]\n"
        "        rows = [(row + [0] * length)[:length] for row in rows]\n"
        "        ids = torch.tensor(rows, dtype=torch.long).reshape(len(strings), length)\n"
        '        encoded = {"input_ids": ids, "attention_mask": (ids != 0).long()}\n',
        tests=(INFERENCE,),
    ),
    # Texts sorted by length for efficient batching, results never put back in order.
    SeededBug(
        "batch_results_reordered",
        "inference",
        "inference/predictor.py",
        old="self._encode(examples[start : start + step], first_index=start)",
        new="self._encode(sorted(examples[start : start + step], key=len), first_index=start)",
        tests=(INFERENCE,),
    ),
    # Raw logits returned as "probabilities" and "confidence".
    SeededBug(
        "confidence_is_not_a_probability",
        "inference",
        "inference/predictor.py",
        old="torch.softmax(logits.float(), dim=-1).tolist()",
        new="logits.float().tolist()",
        tests=(INFERENCE,),
    ),
    # `not text` lets whitespace-only input through: an all-padding row gets a label.
    SeededBug(
        "empty_input_accepted",
        "inference",
        "inference/predictor.py",
        old='(encoded["attention_mask"].sum(dim=1) == 0).nonzero().flatten().tolist()',
        new="[index for index, text in enumerate(texts) if not text]",
        tests=(INFERENCE,),
    ),
    # strict=False: a missing tensor keeps its random initialisation, without a word.
    SeededBug(
        "checkpoint_missing_weights_ignored",
        "inference",
        "checkpoint.py",
        old='model.load_state_dict(payload["model_state"], strict=True)',
        new='model.load_state_dict(payload["model_state"], strict=False)',
        # and the check before loading that names a missing tensor, which would catch it
        also=(
            (
                "    for name in expected.keys() - saved.keys():\n"
                '        return f"model_state lacks {name}, which its model_config needs '
                '(missing key)"\n',
                "",
            ),
        ),
        tests=(INFERENCE,),
    ),
    # Class index mapped to the previous label name (best - 1 wraps silently at 0).
    SeededBug(
        "label_name_off_by_one",
        "inference",
        "inference/predictor.py",
        old="label=self.label_names[best]",
        new="label=self.label_names[best - 1]",
        tests=(INFERENCE,),
    ),
    # --- aggregation: over several or ragged batches ------------------------------------
    # The epoch's loss as the mean of its batch means: a ragged last batch counts as much
    # as a full one, so the reported training loss is not the loss over the split.
    SeededBug(
        "epoch_loss_mean_of_batch_means",
        "aggregation",
        "training/loop.py",
        old='        total_loss += loss * len(batch["label"])\n'
        '        num_examples += len(batch["label"])\n',
        new="        total_loss += loss\n        num_examples += 1\n",
        tests=(TRAINING,),
    ),
    # The epoch reports its last batch's loss, not the mean over the epoch.
    SeededBug(
        "epoch_loss_of_the_last_batch",
        "aggregation",
        "training/loop.py",
        old="    return summed_loss / summed_examples\n",
        new="    return loss\n",
        tests=(TRAINING,),
    ),
    # Validation loss as the mean of batch means, divided by the number of batches.
    SeededBug(
        "validation_loss_mean_of_batch_means",
        "aggregation",
        "training/loop.py",
        old='total_loss += loss_fn(output, batch["label"]).item() * len(batch["label"])',
        new='total_loss += loss_fn(output, batch["label"]).item()',
        also=(('"loss": total_loss / len(targets)', '"loss": total_loss / len(labels)'),),
        tests=(TRAINING,),
    ),
    # Predictions and labels overwritten batch after batch: only the last one is scored.
    SeededBug(
        "validation_scores_the_last_batch_only",
        "aggregation",
        "training/loop.py",
        old='            outputs.append(output)\n            labels.append(batch["label"])\n',
        new='            outputs = [output]\n            labels = [batch["label"]]\n',
        tests=(TRAINING,),
    ),
    # Serving in chunks that must be full: the ragged last chunk is never predicted.
    SeededBug(
        "predictor_drops_the_last_partial_chunk",
        "aggregation",
        "inference/predictor.py",
        old="for start in range(0, len(examples), step)",
        new="for start in range(0, len(examples) - step + 1, step)",
        tests=(INFERENCE,),
    ),
    # Full batches only (drop_last): the same few examples miss every epoch they land in
    # the ragged batch, and a split smaller than one batch trains on nothing.
    SeededBug(
        "training_loader_drops_the_last_batch",
        "aggregation",
        "data/batching.py",
        old="for indices in torch.split(self._order(), self.batch_size):",
        new="for indices in torch.split(self._order(), self.batch_size)"
        "[: self._num_examples() // self.batch_size]:",
        tests=(DATA_CONTRACT,),
    ),
    # --- ordering and shuffling ------------------------------------------------------
    # Shuffling off: every epoch sees the examples in the same (file) order.
    SeededBug(
        "training_data_not_shuffled",
        "ordering",
        "task.py",
        old="shuffle=sampler is None, sampler=sampler)\n",
        new="shuffle=False, sampler=sampler)\n",
        tests=(DATA_CONTRACT,),
    ),
    # The split's shuffle seeded with a constant: --split-seed changes nothing.
    SeededBug(
        "split_ignores_its_seed",
        "ordering",
        "data/sources.py",
        old="key=lambda key: _seeded_order(seed, key)",
        new="key=lambda key: _seeded_order(0, key)",
        tests=(SOURCES,),
    ),
    # No shuffle before the split: validation and test are each class's first rows.
    SeededBug(
        "split_in_file_order",
        "ordering",
        "data/sources.py",
        old="keys = sorted(per_class[label], key=lambda key: _seeded_order(seed, key))",
        new="keys = per_class[label]",
        tests=(SOURCES,),
    ),
    # Classes numbered in order of first appearance: shuffling the file renumbers them.
    SeededBug(
        "classes_in_order_of_appearance",
        "ordering",
        "data/sources.py",
        old="    return tuple(sorted(distinct))\n",
        new="    return tuple(dict.fromkeys(labels))\n",
        tests=(SOURCES,),
    ),
    # Integer labels sorted as text: "10" becomes class 1, before "2".
    SeededBug(
        "integer_labels_sorted_as_text",
        "ordering",
        "data/sources.py",
        old="return tuple(sorted(distinct, key=lambda label: (int(label), label)))",
        new="return tuple(sorted(distinct))",
        tests=(SOURCES,),
    ),
    # A fresh, fixed-seed generator per call: every example and every epoch drops the
    # same token positions.
    SeededBug(
        "token_dropout_same_mask_every_time",
        "ordering",
        "data/augmentation.py",
        old="draws = torch.rand(input_ids.shape, generator=self.generator,",
        new="draws = torch.rand(input_ids.shape, generator=torch.Generator().manual_seed(0),",
        tests=(DATA_CONTRACT,),
    ),
    # The same for feature noise: one fixed noise vector, added to every row every epoch.
    SeededBug(
        "feature_noise_same_every_time",
        "ordering",
        "data/augmentation.py",
        old="features.shape, generator=self.generator,",
        new="features.shape, generator=torch.Generator().manual_seed(0),",
        tests=(DATA_CONTRACT,),
    ),
    # A resumed run starts at the epoch it already finished, training one epoch too many.
    SeededBug(
        "resume_repeats_the_last_epoch",
        "ordering",
        "training/loop.py",
        old='first_epoch = resume_state["epoch"] + 1',
        new='first_epoch = resume_state["epoch"]',
        tests=(TRAINING,),
    ),
    # The RNG states of the checkpoint not restored: a resumed run shuffles and drops
    # tokens differently from the run it continues.
    SeededBug(
        "resume_without_the_rng_states",
        "ordering",
        "training/loop.py",
        old='        restore_rng_states(resume_state["rng"])\n',
        new="",
        tests=(TRAINING,),
    ),
    # --- early stopping, the best epoch and what train writes --------------------------
    # The best epoch is tracked and logged, but the model keeps the last epoch's weights.
    SeededBug(
        "best_epoch_not_restored",
        "training",
        "training/loop.py",
        old="    model.load_state_dict(best_weights)\n",
        new="",
        tests=(TRAINING,),
    ),
    # The epochs-without-improvement counter is not reset by an improvement: patience
    # counts every bad epoch of the run and stops it too early.
    SeededBug(
        "patience_counter_never_reset",
        "training",
        "training/loop.py",
        old="            stale_epochs = 0\n",
        new="",
        tests=(TRAINING,),
    ),
    # A resumed run forgets the best weights so far: it ends with those it resumed from.
    SeededBug(
        "resume_forgets_the_best_weights",
        "ordering",
        "training/loop.py",
        old='        best_weights = dict(resume_state["best_weights"])\n',
        new="",
        tests=(TRAINING,),
    ),
    # The metrics file rewritten with the latest epoch only: the learning curve is lost.
    SeededBug(
        "metrics_file_holds_the_last_epoch_only",
        "wiring",
        "task.py",
        old='write_metrics(metrics_path(checkpoint_path), training_state["history"])',
        new='write_metrics(metrics_path(checkpoint_path), training_state["history"][-1:])',
        tests=(TRAINING,),
    ),
    # The serving checkpoint written after every epoch: a run killed at epoch 2 of 8 leaves
    # a model.pt that evaluate scores as if it were the result.
    SeededBug(
        "serving_checkpoint_written_every_epoch",
        "wiring",
        "task.py",
        old='        write_metrics(metrics_path(checkpoint_path), training_state["history"])\n',
        new='        write_metrics(metrics_path(checkpoint_path), training_state["history"])\n'
        '        replace(trained, history=training_state["history"]).save(checkpoint_path)\n',
        tests=(TRAINING,),
    ),
    # --- wiring and configuration ----------------------------------------------------
    # --split-seed parsed, then replaced by the default.
    SeededBug(
        "cli_split_seed_ignored",
        "wiring",
        "cli.py",
        old="        split_seed=args.split_seed,\n",
        new="        split_seed=0,\n",
        tests=(CLI,),
    ),
    # --validation-fraction and --test-fraction swapped on their way to the DataSpec.
    SeededBug(
        "cli_fractions_swapped",
        "wiring",
        "cli.py",
        old="        validation_fraction=args.validation_fraction,\n"
        "        test_fraction=args.test_fraction,\n",
        new="        validation_fraction=args.test_fraction,\n"
        "        test_fraction=args.validation_fraction,\n",
        tests=(CLI,),
    ),
    # --resume parsed, then dropped: the "resumed" run starts again from epoch 1.
    SeededBug(
        "cli_resume_ignored",
        "wiring",
        "cli.py",
        old="            resume_from=resume_from,\n",
        new="            resume_from=None,\n",
        tests=(CLI,),
    ),
    # A resume that checks the options but not the data: the tokenizer refitted on an
    # edited file continues weights trained for the first one.
    SeededBug(
        "resume_skips_the_data_check",
        "wiring",
        "task.py",
        old='        check_same_data(prepared.source, checkpoint["data_source"], resume_from)\n',
        new="",
        tests=(CLI,),
    ),
    # --label-column ignored: a file whose labels are in "queue" fails or, worse, trains
    # on another column named "label".
    SeededBug(
        "cli_label_column_ignored",
        "wiring",
        "cli.py",
        old="        label_column=args.label_column,\n",
        new='        label_column="label",\n',
        tests=(CLI,),
    ),
    # Every TrainConfig flag parsed and then dropped: the run uses the defaults.
    SeededBug(
        "cli_train_options_dropped",
        "wiring",
        "cli.py",
        old="config = dataclasses.replace(TrainConfig(), **overrides)",
        new="config = TrainConfig()",
        tests=(CLI,),
    ),
    # predict --data numbers rows from 1, so "line" no longer points at the file's line.
    SeededBug(
        "cli_predict_reports_row_numbers_not_lines",
        "wiring",
        "cli.py",
        old="for row, result in zip(table.rows, _results(predictor, inputs), strict=True):\n"
        '        _print_json({"line": row.line, **result})\n',
        new="for line, result in enumerate(_results(predictor, inputs), start=1):\n"
        '        _print_json({"line": line, **result})\n',
        tests=(CLI,),
    ),
    # predict --data reads the default "text" column, not the one the model trained on.
    SeededBug(
        "cli_predict_ignores_the_trained_text_column",
        "wiring",
        "cli.py",
        old='            text_column=source.get("text_column") or "text",\n',
        new='            text_column="text",\n',
        tests=(CLI,),
    ),
    # evaluate --data reads the default "text" column, not the one the model trained on.
    SeededBug(
        "evaluate_ignores_the_trained_text_column",
        "wiring",
        "task.py",
        old='"text_column": source.get("text_column") or "text",',
        new='"text_column": "text",',
        tests=(CLI,),
    ),
    # evaluate re-splits with the default seed: a model trained with --split-seed 3 is
    # "tested" on rows it trained on.
    SeededBug(
        "evaluate_resplits_with_the_default_seed",
        "wiring",
        "task.py",
        old='split_seed=int(source["split_seed"]),',
        new="split_seed=0,",
        tests=(DATA_CONTRACT,),
    ),
    # evaluate without --data scores the validation split and calls it the test split.
    SeededBug(
        "evaluate_scores_the_validation_split",
        "wiring",
        "task.py",
        old='    return data.splits["test"]\n',
        new='    return data.splits["validation"]\n',
        tests=(CLI,),
    ),
    # The metrics' names swapped in the report: accuracy printed as macro F1.
    SeededBug(
        "metric_names_swapped_in_the_report",
        "wiring",
        "task.py",
        old='        "accuracy": model_accuracy,\n'
        '        "macro_f1": macro_f1(predicted, targets, num_classes=len(names)),\n',
        new='        "accuracy": macro_f1(predicted, targets, num_classes=len(names)),\n'
        '        "macro_f1": model_accuracy,\n',
        tests=(EVALUATION,),
    ),
    # The history's train_loss is the validation loss: overfitting becomes invisible.
    SeededBug(
        "history_train_loss_is_the_validation_loss",
        "wiring",
        "training/loop.py",
        old='"train_loss": train_loss,',
        new='"train_loss": val_metrics["loss"],',
        tests=(TRAINING,),
    ),
    # --dropout and --num-layers never reach the model, which keeps the defaults.
    SeededBug(
        "model_ignores_dropout_option",
        "wiring",
        "task.py",
        old='"dropout": config.dropout,',
        new='"dropout": 0.1,',
        tests=(TRAINING,),
    ),
    SeededBug(
        "model_ignores_num_layers_option",
        "wiring",
        "task.py",
        old='"num_layers": config.num_layers,',
        new='"num_layers": 1,',
        tests=(TRAINING,),
    ),
    # --max-length ignored: the derived length is always used.
    SeededBug(
        "max_length_option_ignored",
        "wiring",
        "task.py",
        old="max_length = config.max_length or min(covering, LONGEST_SEQUENCE)",
        new="max_length = min(covering, LONGEST_SEQUENCE)",
        tests=(TRAINING,),
    ),
    # The normaliser not saved: serving feeds raw, unscaled features to the model.
    SeededBug(
        "checkpoint_without_the_normaliser",
        "wiring",
        "task.py",
        old="            normalizer=self.preprocessing.normalizer,\n",
        new="            normalizer=None,\n",
        tests=(TRAINING,),
    ),
    # The warm-up measured in epochs, not steps: the LR jumps to its peak at once.
    SeededBug(
        "warmup_counted_in_epochs",
        "wiring",
        "training/loop.py",
        old="warmup_steps = int(config.warmup_fraction * total_steps)",
        new="warmup_steps = int(config.warmup_fraction * config.epochs)",
        tests=(TRAINING,),
    ),
    # With a --test file, a test share of --data is still split off and thrown away.
    SeededBug(
        "given_test_file_still_splits_off_a_test_share",
        "wiring",
        "task.py",
        old="test_fraction=0.0 if spec.test else spec.test_fraction,",
        new="test_fraction=spec.test_fraction,",
        tests=(SOURCES,),
    ),
    # --- bag-of-n-grams model, baselines and calibration ----------------------------------
    # The mean over every position, padding included: a text's prediction depends on how
    # much padding its batch gives it, so serving one text differs from training in a batch.
    SeededBug(
        "ngram_mean_over_padding",
        "model",
        "models/ngrams.py",
        old="pooled = total / count.clamp(min=1)",
        new="pooled = total / (2 * input_ids.shape[1] - 1)",
        tests=(NGRAMS,),
    ),
    # The character n-grams of padding counted in the mean: padding dilutes every text.
    SeededBug(
        "ngram_subwords_of_padding_counted",
        "model",
        "models/ngrams.py",
        old="is_real_ngram = (ngrams != SUBWORD_FILLER) & is_real[:, :, None]",
        new="is_real_ngram = ngrams != SUBWORD_FILLER",
        tests=(NGRAMS,),
    ),
    # Python's hash() of a str is salted per process: a checkpoint loaded in another
    # process looks its words' character n-grams up in other buckets than it trained on.
    SeededBug(
        "ngram_subword_hash_salted_per_process",
        "model",
        "models/ngrams.py",
        old="value = np.full((len(marked), starts), length, dtype=np.uint64)",
        new="value = np.full((len(marked), starts), hash(str(length)) % 997, dtype=np.uint64)",
        tests=(NGRAMS,),
    ),
    # The model's vocabulary in another order than the tokenizer's: each id gets the
    # character n-grams of another word, in training and in serving alike.
    SeededBug(
        "ngram_vocabulary_out_of_order",
        "wiring",
        "task.py",
        old='"vocabulary": preprocessing.tokenizer.vocab,',
        new='"vocabulary": sorted(preprocessing.tokenizer.vocab),',
        tests=(TRAINING,),
    ),
    # A bigram counts when its first token is real: the last word pairs with the padding
    # after it, so padding changes the mean.
    SeededBug(
        "ngram_bigram_touches_padding",
        "model",
        "models/ngrams.py",
        old="pair_is_real = is_real[:, :-1] & is_real[:, 1:]",
        new="pair_is_real = is_real[:, :-1]",
        tests=(NGRAMS,),
    ),
    # A symmetric hash: "not sorted" and "sorted not" share a bucket, word order is lost.
    SeededBug(
        "ngram_bigram_hash_ignores_order",
        "model",
        "models/ngrams.py",
        old="(previous * BIGRAM_HASH_MULTIPLIER + current)",
        new="((previous + current) * BIGRAM_HASH_MULTIPLIER)",
        tests=(NGRAMS,),
    ),
    # Padding found by a hard-coded 0 instead of pad_id when no mask is given.
    SeededBug(
        "padding_id_hard_coded_to_zero",
        "model",
        "models/token_inputs.py",
        old="return input_ids != pad_id",
        new="return input_ids != 0",
        tests=(NGRAMS,),
    ),
    # The baselines fitted on the test split they are scored on: they look better than
    # they are, and the model looks worse.
    SeededBug(
        "baseline_fitted_on_the_test_split",
        "baselines",
        "task.py",
        old='        prepared.splits["train"],\n        prepared.targets("train"),\n'
        "        len(prepared.label_names),\n",
        new='        prepared.splits["test"],\n        prepared.targets("test"),\n'
        "        len(prepared.label_names),\n",
        # The same edit fits a regressor's mean and ridge baselines on the test split.
        tests=(TRAINING, REGRESSION_TARGETS),
    ),
    # --- regression targets -------------------------------------------------------------
    # The target's mean and std from every split: the test labels leak into training.
    SeededBug(
        "target_statistics_over_all_splits",
        "regression",
        "task.py",
        old='FeatureNormalizer().fit(data.targets("train")[:, None])',
        new="FeatureNormalizer().fit(torch.cat([data.targets(s) for s in data.splits])[:, None])",
        tests=(REGRESSION_TARGETS,),
    ),
    # Serving returns the standardised output: every prediction is a number near 0.
    SeededBug(
        "target_scaling_not_inverted_at_serving",
        "regression",
        "inference/predictor.py",
        old="in self.target_normalizer.inverse_transform(outputs.double())[:, 0].tolist()",
        new="in outputs.double()[:, 0].tolist()",
        tests=(REGRESSION_TARGETS,),
    ),
    # (B, 1) outputs against (B,) targets: MSE over the (B, B) broadcast, which trains every
    # output towards the batch mean, with only a warning.
    SeededBug(
        "regression_output_broadcast_against_targets",
        "regression",
        "training/losses.py",
        old="predictions = outputs[:, 0]",
        new="predictions = outputs",
        tests=(LOSSES,),
    ),
    # MSE summed, not averaged: the step size grows with the batch size.
    SeededBug(
        "mse_reduction_sum",
        "regression",
        "training/losses.py",
        old="return F.mse_loss(predictions, targets, reduction=self.reduction)",
        new='return F.mse_loss(predictions, targets, reduction="sum")',
        tests=(LOSSES,),
    ),
    # R² with the squares about the predictions' mean: a biased model looks better.
    SeededBug(
        "r2_wrong_denominator",
        "regression",
        "training/metrics.py",
        old="total = (actual - actual.mean()).square().sum()",
        new="total = (actual - predicted.mean()).square().sum()",
        tests=(REGRESSION_METRICS,),
    ),
    # evaluate forgets that the checkpoint is a regressor: the recorded test split and a
    # given file are read as classes.
    SeededBug(
        "evaluate_ignores_the_regression_target",
        "regression",
        "task.py",
        old='        target=source["target"],\n',
        new="",
        also=(
            (
                "        feature_columns=features,\n        target=predictor.target,\n",
                "        feature_columns=features,\n",
            ),
        ),
        tests=(REGRESSION_TARGETS,),
    ),
    # A help text with a bare "%": argparse %-formats it, and `train --help` crashes.
    SeededBug(
        "help_text_percent_not_escaped",
        "cli",
        "cli.py",
        old='.replace("%", "%%")',
        new="",
        tests=(CLI,),
    ),
    # Naive Bayes without smoothing: one word unseen in a class gives it log(0) = -inf.
    SeededBug(
        "bag_of_words_without_smoothing",
        "baselines",
        "baselines.py",
        old="smoothed = self.token_counts.double() + 1",
        new="smoothed = self.token_counts.double()",
        tests=(BASELINES,),
    ),
    # Every position counted as a word: padding becomes the commonest "word" of each class.
    SeededBug(
        "bag_of_words_counts_padding",
        "baselines",
        "baselines.py",
        old='text["attention_mask"].bool()  # (N, T) each',
        new='torch.ones_like(text["attention_mask"]).bool()  # (N, T) each',
        tests=(BASELINES,),
    ),
    # Signed gaps: overconfidence in one bin cancels underconfidence in another.
    SeededBug(
        "ece_signed_gaps",
        "calibration",
        "training/metrics.py",
        old="(correct_sums - confidence_sums).abs().sum()",
        new="(correct_sums - confidence_sums).sum().abs()",
        tests=(CALIBRATION,),
    ),
    # The bins averaged with equal weight: one bin of a single odd example counts as much
    # as a bin of hundreds.
    SeededBug(
        "ece_bins_not_weighted_by_size",
        "calibration",
        "training/metrics.py",
        old="return ((correct_sums - confidence_sums).abs().sum() / targets.numel()).item()",
        new="sizes = torch.bincount(bins, minlength=num_bins).clamp(min=1)\n"
        "    return ((correct_sums - confidence_sums).abs() / sizes).mean().item()",
        tests=(CALIBRATION,),
    ),
    # --- the seven kinds of issue 23: each bug hides in a gap of one kind ---------------
    # 1. Only one side of a check: the leakage check compares validation and test with
    # training but never with each other, so a validation row may reappear in the test file.
    SeededBug(
        "leakage_check_skips_validation_against_test",
        "one-side",
        "data/sources.py",
        old="        seen.update(first_here)\n",
        new='        if name == "train":\n            seen.update(first_here)\n',
        tests=(SOURCES,),
    ),
    # 1. The --out check covers the checkpoint but not the resume and metrics files it writes
    # beside it: `--out data.pt` with `--data data.metrics.jsonl` overwrites the data.
    SeededBug(
        "out_check_skips_the_files_beside_the_checkpoint",
        "one-side",
        "cli.py",
        old="    for output in (out, resume_path(out), metrics_path(out)):\n",
        new="    for output in (out,):\n",
        tests=(CLI,),
    ),
    # 1. A CSV row with a field too few is refused, one with a field too many is cut short:
    # the extra value (a comma inside an unquoted text) vanishes.
    SeededBug(
        "csv_row_with_extra_fields_truncated",
        "one-side",
        "data/files.py",
        old="                if len(fields) != len(columns):\n",
        new="                if len(fields) < len(columns):\n",
        tests=(SOURCES,),
        also=(("dict(zip(columns, fields, strict=True))", "dict(zip(columns, fields))"),),
    ),
    # 2. Only the extreme case: features wholly NaN are refused, one NaN among them is not.
    SeededBug(
        "normaliser_refuses_only_all_nan_features",
        "extreme-case",
        "data/normalization.py",
        old="    if not bool(torch.isfinite(x).all()):\n",
        new="    if not bool(torch.isfinite(x).any()):\n",
        tests=(DATA,),
    ),
    # 2. An attention mask made wholly of 2s is refused, one 2 among 0s and 1s is not.
    SeededBug(
        "attention_mask_refuses_only_all_bad_values",
        "extreme-case",
        "models/token_inputs.py",
        old="    if ((attention_mask != 0) & (attention_mask != 1)).any():\n",
        new="    if ((attention_mask != 0) & (attention_mask != 1)).all():\n",
        tests=(MODELS,),
    ),
    # 2. A batch of blank texts is refused, one blank text among real ones is served.
    SeededBug(
        "predictor_refuses_only_all_blank_texts",
        "extreme-case",
        "inference/predictor.py",
        old="        if blank:\n",
        new="        if len(blank) == len(strings):\n",
        tests=(INFERENCE,),
    ),
    # 2. Logits that are all NaN are refused, one NaN row in a batch is served as probabilities.
    SeededBug(
        "predictor_refuses_only_all_non_finite_logits",
        "extreme-case",
        "inference/predictor.py",
        old="        if not bool(torch.isfinite(outputs).all()):\n",
        new="        if not bool(torch.isfinite(outputs).any()):\n",
        tests=(INFERENCE,),
    ),
    # 3. An expected value from the code under test: the default batch size halved, which the
    # test that computes its expected step count with default_batch_size cannot see.
    SeededBug(
        "default_batch_size_halved",
        "self-computed",
        "training/loop.py",
        old="num_examples // STEPS_PER_EPOCH))",
        new="num_examples // (2 * STEPS_PER_EPOCH)))",
        tests=(TRAINING,),
    ),
    # 3. Precision and recall swapped: invisible on a fixture where every class has as many
    # predictions as examples, and to a check that only averages F1.
    SeededBug(
        "precision_and_recall_swapped",
        "self-computed",
        "training/metrics.py",
        old='        "precision": ratio(true_positives, predicted),\n'
        '        "recall": ratio(true_positives, actual),\n',
        new='        "precision": ratio(true_positives, actual),\n'
        '        "recall": ratio(true_positives, predicted),\n',
        tests=("tests/unit/test_classification_metrics.py", "tests/integration/test_evaluation.py"),
    ),
    # 4. A class's validation and test shares rounded down, not to the nearest: 1.5 test
    # rows of a 10-row class (15 %) become 1, the boundary no fixture of 20 rows reaches.
    SeededBug(
        "split_share_rounded_down",
        "boundary",
        "data/sources.py",
        old="    return 0 if fraction == 0 else max(1, round(count * fraction))\n",
        new="    return 0 if fraction == 0 else max(1, int(count * fraction))\n",
        tests=(SOURCES,),
    ),
    # 3. The checkpoint's data record read back with the two fractions swapped: the data
    # contract compares the splits made again with the code's own first splits, at the
    # defaults, where both fractions are 0.15 and the swap changes nothing.
    SeededBug(
        "record_fractions_swapped_on_reload",
        "self-computed",
        "task.py",
        old='        validation_fraction=float(source["validation_fraction"]),\n',
        new='        validation_fraction=float(source["test_fraction"]),\n',
        tests=(SOURCES,),
        also=(
            (
                '        test_fraction=float(source["test_fraction"]),\n',
                '        test_fraction=float(source["validation_fraction"]),\n',
            ),
        ),
    ),
    # 4. A decision never exercised at its boundary: a validation loss equal to the best
    # counts as an improvement, so a plateaued run never stops early and its best epoch moves.
    SeededBug(
        "early_stopping_counts_a_tie_as_improvement",
        "boundary",
        "training/loop.py",
        old='        if val_metrics["loss"] < best_loss:\n',
        new='        if val_metrics["loss"] <= best_loss:\n',
        tests=(TRAINING,),
    ),
    # 4. Exactly MAX_CLASSES classes, which the message promises, are refused.
    SeededBug(
        "max_classes_refused_at_the_limit",
        "boundary",
        "data/sources.py",
        old="    if len(distinct) > MAX_CLASSES:\n",
        new="    if len(distinct) >= MAX_CLASSES:\n",
        tests=(SOURCES,),
    ),
    # 4. A model as accurate as a baseline is reported as beating it.
    SeededBug(
        "beats_baselines_on_a_tie",
        "boundary",
        "task.py",
        old="all(model_accuracy > value for value in baselines.values())",
        new="all(model_accuracy >= value for value in baselines.values())",
        tests=("tests/integration/test_evaluation.py",),
    ),
    # 4. The derived max_length takes the text after the 99th percentile when 99 % of the
    # training texts is a whole number of texts (100, 200, ...): an outlier sets the length.
    SeededBug(
        "max_length_percentile_off_by_one",
        "boundary",
        "task.py",
        old="    covering = lengths[math.ceil(COVERED_TEXTS * len(lengths)) - 1]\n",
        new="    covering = lengths[int(COVERED_TEXTS * len(lengths))]\n",
        tests=(TRAINING,),
    ),
    # 5. Holds by chance on small fixtures: words of equal count enter the vocabulary in set
    # order, so token ids (and which tied words max_vocab_size keeps) depend on PYTHONHASHSEED.
    SeededBug(
        "vocabulary_ties_in_set_order",
        "chance-order",
        "data/tokenizer.py",
        old="((w for w, c in counts.items() if c >= min_freq), key=lambda w: (-counts[w], w))",
        new="({w for w, c in counts.items() if c >= min_freq}, key=lambda w: -counts[w])",
        tests=(TOKENIZER,),
    ),
    # 5. The feature columns in set order, not file order: a checkpoint's feature order (and
    # so its weights' meaning) changes with PYTHONHASHSEED.
    SeededBug(
        "feature_columns_in_set_order",
        "chance-order",
        "data/sources.py",
        old="        feature_columns = [name for name in table.columns if name != label_column]\n",
        new="        feature_columns = list(set(table.columns) - {label_column})\n",
        tests=(SOURCES,),
    ),
    # 5. The split ordered by Python's salted hash(): the same in one process, another in the
    # next, so `evaluate` re-splits the recorded data into a test split that was trained on.
    SeededBug(
        "split_order_from_salted_hash",
        "chance-order",
        "data/sources.py",
        old="key=lambda key: _seeded_order(seed, key))",
        new="key=lambda key: hash((seed, key)))",
        tests=(SOURCES,),
    ),
    # 6. Columns matched by name, never as a set: a mapping row with keys the model does not
    # know (a misspelt feature beside the right one) is served, the unknown keys ignored.
    SeededBug(
        "predictor_ignores_unknown_feature_keys",
        "column-set",
        "inference/predictor.py",
        old="            if missing or unknown:\n",
        new="            if missing:\n",
        tests=(INFERENCE,),
    ),
    # 6. A given --validation file's feature columns read in its own order, not the
    # training file's: validation rows with columns in another order are scored misaligned.
    SeededBug(
        "validation_file_features_in_its_own_order",
        "column-set",
        "task.py",
        old="        feature_columns=(like.feature_names or None) if like is not None else None,\n",
        new="        feature_columns=None,\n",
        tests=(SOURCES,),
    ),
    # 6. Features taken in the file's column order, not the model's: a file with the same
    # columns in another order is served misaligned features.
    SeededBug(
        "features_in_the_file_column_order",
        "column-set",
        "data/sources.py",
        old="        tuple(_number(table, row, name, text_column) for name in feature_columns)\n",
        new="        tuple(\n            _number(table, row, name, text_column)\n"
        "            for name in table.columns\n"
        "            if name in feature_columns\n        )\n",
        tests=(SOURCES,),
    ),
    # 7. An architecture checked only through generic properties: post-LN instead of the
    # pre-LN block the docstring defines (shapes, gradients, padding all unchanged).
    SeededBug(
        "transformer_block_post_layer_norm",
        "architecture",
        "models/transformer.py",
        old="        x = x + self.attention(self.attention_norm(x), key_mask)  # (B, T, H)\n",
        new="        x = self.attention_norm(x + self.attention(x, key_mask))  # (B, T, H)\n",
        tests=(MODELS,),
    ),
    # 7. The feed-forward sublayer normalised with the attention sublayer's LayerNorm.
    SeededBug(
        "feed_forward_uses_the_attention_norm",
        "architecture",
        "models/transformer.py",
        old="self.feed_forward(self.feed_forward_norm(x))",
        new="self.feed_forward(self.attention_norm(x))",
        tests=(MODELS,),
    ),
    # 7. The final LayerNorm of a pre-LN stack left out: the pooled vector is unnormalised.
    SeededBug(
        "transformer_without_final_norm",
        "architecture",
        "models/transformer.py",
        old="        x = self.final_norm(x)\n",
        new="",
        tests=(MODELS,),
    ),
    # 7. The MLP's activation is a ReLU, not the GELU it is defined with.
    SeededBug(
        "mlp_relu_for_gelu",
        "architecture",
        "models/mlp.py",
        old="            nn.GELU(),\n",
        new="            nn.ReLU(),\n",
        tests=(MODELS,),
    ),
    # --- images: train/serve skew (issue 22) -----------------------------------------------
    # Serving resizes without antialiasing: each served pixel samples a few of its area.
    SeededBug(
        "serving_resize_without_antialias",
        "image skew",
        "inference/predictor.py",
        old=SERVED_IMAGES,
        new=served_with("antialias=False"),
        tests=(IMAGE_SERVING,),
    ),
    # Serving with another interpolation (nearest, OpenCV's and PIL's old default).
    SeededBug(
        "serving_nearest_interpolation",
        "image skew",
        "inference/predictor.py",
        old=SERVED_IMAGES,
        new=served_with("interpolation=transforms.InterpolationMode.NEAREST"),
        tests=(IMAGE_SERVING,),
    ),
    # Serving crops: shorter side to the size, then a centre crop training never made.
    SeededBug(
        "serving_centre_crop",
        "image skew",
        "inference/predictor.py",
        old=SERVED_IMAGES,
        new=served_with("antialias=True", scale="min"),
        tests=(IMAGE_SERVING,),
    ),
    # Serving feeds BGR (OpenCV's channel order) to a model trained on RGB.
    SeededBug(
        "serving_bgr_channel_order",
        "image skew",
        "inference/predictor.py",
        old=SERVED_IMAGES,
        new="        return self.image_preprocessing.encode(paths).flip(1).to(dtype)\n",
        tests=(IMAGE_SERVING,),
    ),
    # Serving normalises with ImageNet's constants instead of the training statistics.
    SeededBug(
        "serving_imagenet_constants",
        "image skew",
        "inference/predictor.py",
        old=SERVED_IMAGES,
        new="""        pixels = self.image_preprocessing.pixels(paths).float() / 255
        mean = torch.tensor([0.485, 0.456, 0.406])[:, None, None]
        std = torch.tensor([0.229, 0.224, 0.225])[:, None, None]
        return ((pixels - mean) / std).to(dtype)
""",
        tests=(IMAGE_SERVING,),
    ),
    # Augmentation left on at serving: every request sees a random crop and flip.
    SeededBug(
        "serving_augments_images",
        "image skew",
        "inference/predictor.py",
        old=SERVED_IMAGES,
        new="""        from ..data import ImageAugmentation

        augment = ImageAugmentation(crop_scale=0.8, flip=0.5)
        return augment(self.image_preprocessing.encode(paths)).to(dtype)
""",
        tests=(IMAGE_SERVING,),
    ),
    # --- images: data and preprocessing ------------------------------------------------------
    # The channel statistics fitted on every split, the test images included.
    SeededBug(
        "image_statistics_with_the_test_images",
        "image data",
        "task.py",
        old="        image = fit_image_preprocessing(image_files(train), config)\n",
        new="""        every = [file for part in data.splits.values() for file in image_files(part)]
        image = fit_image_preprocessing(every, config)
""",
        tests=(DATA_CONTRACT,),
    ),
    # Classes numbered in the order the folders (files) come, not by the project's rule.
    SeededBug(
        "classes_in_listing_order",
        "image data",
        "task.py",
        old='        names = label_names(splits["train"].labels)\n',
        new='        names = tuple(dict.fromkeys(splits["train"].labels))\n',
        tests=(IMAGES,),
    ),
    # The EXIF orientation ignored: portrait phone photos are seen lying on their side.
    SeededBug(
        "exif_orientation_ignored",
        "image data",
        "data/images.py",
        old="apply_exif_orientation=True",
        new="apply_exif_orientation=False",
        tests=(IMAGES,),
    ),
    # The shared resize stretches every image to the square: aspect ratios are lost.
    SeededBug(
        "images_stretched_to_the_square",
        "image data",
        "data/images.py",
        old="    shape = [max(1, round(height * scale)), max(1, round(width * scale))]\n",
        new="    shape = [size, size]\n",
        tests=(IMAGES,),
    ),
    # Batches handed to the model channels-last (B, H, W, C), as images are stored.
    SeededBug(
        "images_channels_last",
        "image data",
        "data/images.py",
        old="        return (pixels.float() / 255 - mean) / std\n",
        new="        return ((pixels.float() / 255 - mean) / std).permute(0, 2, 3, 1)\n",
        tests=(IMAGE_SERVING,),
    ),
    # The CNN's BatchNorm normalises with the batch's statistics in eval mode too.
    SeededBug(
        "cnn_batch_norm_without_running_statistics",
        "architecture",
        "models/cnn.py",
        old="                nn.BatchNorm2d(width),\n",
        new="                nn.BatchNorm2d(width, track_running_stats=False),\n",
        tests=(MODEL_CONTRACT,),
    ),
]

# The fast tier in the order a bug's run goes through it: the regression (golden) tier last,
# so that a bug it alone would catch is seen to be missed by everything else.
TIERS = ("tests/unit", "tests/integration", "tests/regression")
GOLDEN_TIER = "tests/regression/"
FAILED_TEST = re.compile(r"^(?:FAILED|ERROR) (.+?)(?: - .*)?$", re.MULTILINE)


def failed_tests(output: str) -> list[str]:
    """The failed tests of a run, as path::test with parametrisations merged."""
    names = []
    for node_id in FAILED_TEST.findall(output):
        path, *_, test = re.sub(r"\[.*\]$", "", node_id).split("::")
        name = f"{path}::{test}"
        if name not in names:
            names.append(name)
    return names


def fast_tier(project: Path, first: tuple[str, ...] = ()) -> list[str]:
    """The fast tier's test files in run order: ``first``, then the rest by TIERS."""
    files = [
        str(path.relative_to(project))
        for tier in TIERS
        for path in sorted((project / tier).glob("test_*.py"))
    ]
    return [*first, *(name for name in files if name not in first)]


@pytest.fixture
def project(tmp_path: Path, default_project: Path) -> Path:
    """A private copy of the default project, free to break."""
    return shutil.copytree(default_project, tmp_path / default_project.name)


def test_the_unmodified_project_passes_the_run_every_bug_gets(project, run_generated_tests):
    """The fast tier passes as the catalogue runs it: a failure below is the bug's doing,
    not a test that was failing already."""
    code, output = run_generated_tests(project, *fast_tier(project))
    assert code == 0, output[-3000:]


def test_catalogue_names_are_unique():
    """Each name identifies one bug, in the test ids and in the report."""
    names = [bug.name for bug in CATALOGUE]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("bug", CATALOGUE, ids=lambda bug: bug.name)
def test_the_generated_suite_catches(bug, project, run_generated_tests, record_property):
    """The fast tier fails before it reaches the golden tier: the run stops at its first
    failure (the bug's `tests` run first), and that failure must be outside
    tests/regression, so the bug is caught with and without the golden baseline.

    A collection or usage error (exit 2-4) is not a catch: the seeded code must be valid.
    """
    caught_by: list[str] = []
    try:
        bug.apply_to(project)
        code, output = run_generated_tests(project, "--maxfail=1", *fast_tier(project, bug.tests))
        assert code not in (2, 3, 4), f"the seeded code broke collection, not a test:\n{output}"
        if code == 1:
            caught_by = failed_tests(output)
        assert caught_by, f"no generated test caught {bug.name} (exit code {code}):\n{output}"
        assert not caught_by[0].startswith(GOLDEN_TIER), f"only {caught_by[0]} caught {bug.name}"
    finally:
        before_golden = bool(caught_by) and not caught_by[0].startswith(GOLDEN_TIER)
        record_property("seeded_bug", (bug.category, bug.name, caught_by, before_golden))
