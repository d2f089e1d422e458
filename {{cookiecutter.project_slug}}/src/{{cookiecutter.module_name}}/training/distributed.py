"""Process-group plumbing for data-parallel training with torch.distributed.

``torchrun --nproc_per_node=N -m <module> train ...`` starts N copies of the program and
tells each one who it is through environment variables (RANK, WORLD_SIZE, LOCAL_RANK,
MASTER_ADDR, MASTER_PORT). ``process_group`` turns them into a process group and always
tears it down again; without them it does nothing. Every other helper here falls back to
the single-process answer (rank 0 of a world of 1) when no group exists, so the training
loop runs unchanged, and with unchanged results, in one plain process.
"""

import os
from collections.abc import Iterator, Sequence, Sized
from contextlib import contextmanager
from typing import Any

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import Dataset, DistributedSampler

BACKENDS = ("gloo", "nccl")
TORCHRUN_VARIABLES = ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT")


def default_backend(device: str | torch.device) -> str:
    """nccl between GPUs, gloo between CPU processes."""
    return "nccl" if torch.device(device).type == "cuda" else "gloo"


def launched_by_torchrun() -> bool:
    """True in a process that torchrun (or anything setting its variables) started."""
    return "WORLD_SIZE" in os.environ


@contextmanager
def process_group(backend: str | None = None, device: str | torch.device = "cpu") -> Iterator[None]:
    """Join the process group described by torchrun's environment variables for the
    duration of the block, and leave it on the way out, on success and on error alike.

    Outside torchrun this does nothing: one process trains alone. ``backend`` defaults to
    ``default_backend(device)``. Under nccl each process takes the GPU numbered by its
    LOCAL_RANK, so ``device="cuda"`` means that process's own GPU.
    """
    if not launched_by_torchrun():
        yield
        return
    backend = backend or default_backend(device)
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(BACKENDS)}; got {backend!r}")
    if backend == "nccl" and not torch.cuda.is_available():
        raise ValueError(
            "the nccl backend needs CUDA, but torch sees no GPU; train on the CPU with gloo"
        )
    missing = [name for name in TORCHRUN_VARIABLES if name not in os.environ]
    if missing:
        raise ValueError(
            f"WORLD_SIZE is set but not {', '.join(missing)}; launch with torchrun, "
            "which sets all of them"
        )
    if backend == "nccl":
        torch.cuda.set_device(int(os.environ["LOCAL_RANK"]))
    dist.init_process_group(backend)  # reads RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT
    try:
        yield
    finally:
        dist.destroy_process_group()


def get_world_size() -> int:
    """How many processes train together: 1 without a process group."""
    return dist.get_world_size() if dist.is_available() and dist.is_initialized() else 1


def get_rank() -> int:
    """This process's index in the group: 0 without a process group."""
    return dist.get_rank() if dist.is_available() and dist.is_initialized() else 0


def is_main_process() -> bool:
    """Only the main process (rank 0) logs and writes checkpoints, so nothing is done twice."""
    return get_rank() == 0


def all_reduce_sum(values: Sequence[float], device: str | torch.device = "cpu") -> list[float]:
    """Each value summed over all processes (the values themselves in a single process).

    Reduce sums and counts, never means: a mean of per-process means is wrong whenever the
    processes saw different numbers of examples. ``device`` must suit the backend (a GPU
    for nccl).
    """
    if get_world_size() == 1:
        return list(values)
    totals = torch.tensor(values, dtype=torch.float64, device=device)
    dist.all_reduce(totals, op=dist.ReduceOp.SUM)
    return totals.tolist()


def data_parallel(model: nn.Module, device: str | torch.device) -> nn.Module:
    """``model`` wrapped in DistributedDataParallel when several processes train (gradients
    are averaged across them in backward), the model itself in a single process.

    Keep a reference to the unwrapped model for checkpoints: the wrapper's state_dict
    prefixes every key with "module.".
    """
    if get_world_size() == 1:
        return model
    device = torch.device(device)
    return DistributedDataParallel(model, device_ids=[device] if device.type == "cuda" else None)


def shard_sampler(
    dataset: Dataset[Any], seed: int, *, num_replicas: int | None = None, rank: int | None = None
) -> DistributedSampler[int]:
    """This process's share of ``dataset``: the shares of all processes are disjoint and
    cover it, and the order changes every epoch once ``set_epoch(epoch)`` is called.

    ``num_replicas`` and ``rank`` default to the process group's. When the dataset does
    not split evenly a few examples are repeated, so that every process runs the same
    number of steps (one with a step fewer would leave the others waiting forever).
    """
    if not isinstance(dataset, Sized):
        raise TypeError(
            f"dataset must be a map-style dataset with a length, got {type(dataset).__name__}"
        )
    num_replicas = get_world_size() if num_replicas is None else num_replicas
    rank = get_rank() if rank is None else rank
    if len(dataset) < num_replicas:
        raise ValueError(
            f"cannot split {len(dataset)} training examples across {num_replicas} processes: "
            "every process needs at least one; start fewer processes"
        )
    return DistributedSampler(dataset, num_replicas=num_replicas, rank=rank, seed=seed)
