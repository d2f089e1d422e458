"""Checks of a text model's inputs, and the mask of real tokens, shared by the text models.

A text model takes right-padded token ids (B, T) and an optional attention mask (B, T), 1 on
real tokens. Bad input fails here with what was expected and what came, before torch fails
deep inside an embedding or an attention product with an unclear trace.
"""

import torch


def real_token_mask(
    input_ids: torch.Tensor,
    attention_mask: torch.Tensor | None,
    *,
    vocab_size: int,
    pad_id: int,
    max_length: int | None = None,
) -> torch.Tensor:
    """(B, T) bool, True on real tokens: the attention mask, or without one every position
    whose id is not ``pad_id``. ``max_length`` None means any number of positions."""
    check_input_ids(input_ids, vocab_size, max_length)
    if attention_mask is None:
        return input_ids != pad_id
    check_attention_mask(attention_mask, input_ids)
    return attention_mask.bool()


def check_input_ids(input_ids: torch.Tensor, vocab_size: int, max_length: int | None) -> None:
    if not isinstance(input_ids, torch.Tensor):
        raise TypeError(
            f"input_ids must be a torch.Tensor of shape (batch, seq_len), "
            f"got {type(input_ids).__name__}"
        )
    if input_ids.dtype not in (torch.int64, torch.int32):
        raise TypeError(
            "input_ids must be integer token ids (torch.int64 or torch.int32), "
            f"got {input_ids.dtype}"
        )
    if input_ids.ndim != 2 or 0 in input_ids.shape:
        raise ValueError(
            "input_ids must have shape (batch, seq_len) with at least one sequence "
            f"and one position, got {tuple(input_ids.shape)}"
        )
    if max_length is not None and input_ids.shape[1] > max_length:
        raise ValueError(
            f"input_ids may hold at most max_length={max_length} positions, "
            f"got {input_ids.shape[1]}; truncate when tokenizing"
        )
    smallest, largest = input_ids.min().item(), input_ids.max().item()
    if smallest < 0 or largest >= vocab_size:
        bad = smallest if smallest < 0 else largest
        raise ValueError(f"input_ids must be in [0, {vocab_size}), got {bad}")


def check_attention_mask(attention_mask: torch.Tensor, input_ids: torch.Tensor) -> None:
    if not isinstance(attention_mask, torch.Tensor):
        raise TypeError(
            f"attention_mask must be a torch.Tensor or None, got {type(attention_mask).__name__}"
        )
    if attention_mask.is_floating_point() or attention_mask.is_complex():
        raise TypeError(
            f"attention_mask must be a bool or integer tensor of 0/1, got {attention_mask.dtype}"
        )
    if attention_mask.shape != input_ids.shape:
        raise ValueError(
            f"attention_mask must have the shape of input_ids {tuple(input_ids.shape)}, "
            f"got {tuple(attention_mask.shape)}"
        )
    if ((attention_mask != 0) & (attention_mask != 1)).any():
        raise ValueError(
            "attention_mask must contain only 0 (padding) and 1 (real token), "
            f"got values {torch.unique(attention_mask).tolist()}"
        )
