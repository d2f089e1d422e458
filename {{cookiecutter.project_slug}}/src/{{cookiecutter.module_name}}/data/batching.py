"""Batches sliced by index from a dataset's pre-encoded tensors.

A ``DataLoader`` without workers fetches a batch one example at a time and stacks the
examples again (``__getitem__`` and collation per example, in Python). The datasets here
hold every split encoded once, as tensors, and answer ``dataset[indices]`` for a tensor of
indices with the whole batch at once: one index operation per tensor, and one augmentation
call per batch that still draws every example's own randomness. On the bag of n-grams that
made an epoch of 14,000 texts 1.4 times faster at batch size 16.
"""

import math
from collections.abc import Iterable, Iterator, Sized
from typing import Protocol

import torch
from torch import Tensor


class IndexedDataset(Protocol):
    """A dataset that returns a batch for a tensor of indices (TextDataset, FeatureDataset)."""

    def __len__(self) -> int: ...

    def __getitem__(self, index: Tensor) -> dict[str, Tensor]: ...


class TensorBatches:
    """Iterates over ``dataset`` in batches of ``batch_size`` examples, the last one smaller.

    The order is ``sampler``'s when given (e.g. a ``DistributedSampler`` that gives each
    process its own shard), else a new permutation from torch's global generator every
    epoch when ``shuffle``, else the dataset's order. Seeding torch therefore fixes the
    order, and restoring its RNG state resumes it.
    """

    def __init__(
        self,
        dataset: IndexedDataset,
        batch_size: int,
        *,
        shuffle: bool = False,
        sampler: Iterable[int] | None = None,
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        if sampler is not None and not isinstance(sampler, Sized):
            raise TypeError("sampler must have a length, to count the batches of an epoch")
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.sampler = sampler

    def _num_examples(self) -> int:
        return len(self.sampler) if isinstance(self.sampler, Sized) else len(self.dataset)

    def __len__(self) -> int:
        return math.ceil(self._num_examples() / self.batch_size)

    def _order(self) -> Tensor:
        if self.sampler is not None:
            return torch.tensor(list(self.sampler), dtype=torch.long)
        if self.shuffle:
            return torch.randperm(len(self.dataset))
        return torch.arange(len(self.dataset))

    def __iter__(self) -> Iterator[dict[str, Tensor]]:
        for indices in torch.split(self._order(), self.batch_size):
            yield self.dataset[indices]
