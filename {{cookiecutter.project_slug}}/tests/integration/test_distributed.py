"""Data-parallel training on torch.distributed, checked on the CPU with the gloo backend.

The sampler and the set-up errors need no processes and are fast. The tests that start
processes are slow: every process imports torch before it does anything. They meet on
127.0.0.1 and use one torch thread per process, so two processes fit on two cores.
"""

import math
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import torch
import torch.distributed as dist
from torch import multiprocessing, nn
from torch.utils.data import DataLoader, IterableDataset

import {{ cookiecutter.module_name }} as package
from {{ cookiecutter.module_name }}.cli import main
from {{ cookiecutter.module_name }}.inference import Predictor
from {{ cookiecutter.module_name }}.models import MLPClassifier, TransformerClassifier
from {{ cookiecutter.module_name }}.task import DEFAULT_DATA, load_data, resume_path
from {{ cookiecutter.module_name }}.training import (
    TrainConfig,
    accuracy,
    default_batch_size,
    fit,
    train_one_epoch,
)
from {{ cookiecutter.module_name }}.training.distributed import (
    TORCHRUN_VARIABLES,
    all_reduce_sum,
    data_parallel,
    get_rank,
    get_world_size,
    is_main_process,
    process_group,
    shard_sampler,
)

# One SGD step on 2 x 4 examples vs. 8: only the order of floating-point sums differs
# (per-half means averaged by DDP vs. one mean), a few 1e-8 on the CPU.
CPU_PARITY_ATOL = 1e-6
GPU_PARITY_ATOL = 1e-5  # other kernels and NCCL's reduction order
PROCESS_TIMEOUT_S = 300  # a hung rendezvous fails the test instead of the whole CI job
VOCAB_SIZE, MAX_LENGTH, NUM_CLASSES = 20, 8, 3


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def torchrun_environment(rank: int, world_size: int, port: int) -> dict[str, str]:
    """The variables torchrun sets for one process of a single-machine run."""
    return {
        "RANK": str(rank),
        "LOCAL_RANK": str(rank),
        "WORLD_SIZE": str(world_size),
        "MASTER_ADDR": "127.0.0.1",
        "MASTER_PORT": str(port),
    }


def parity_model() -> TransformerClassifier:
    """A tiny transformer without dropout: a step's result must not depend on random masks."""
    return TransformerClassifier(VOCAB_SIZE, 16, 1, NUM_CLASSES, max_length=MAX_LENGTH, dropout=0)


def parity_batch(batch_size: int = 8) -> dict[str, torch.Tensor]:
    """Token ids with padding of varying length, from a private generator."""
    generator = torch.Generator().manual_seed(0)
    input_ids = torch.randint(2, VOCAB_SIZE, (batch_size, MAX_LENGTH), generator=generator)
    lengths = torch.randint(1, MAX_LENGTH + 1, (batch_size, 1), generator=generator)
    attention_mask = (torch.arange(MAX_LENGTH) < lengths).long()  # (B, T)
    return {
        "input_ids": input_ids * attention_mask,  # padding id 0 after each text
        "attention_mask": attention_mask,
        "label": torch.randint(0, NUM_CLASSES, (batch_size,), generator=generator),
    }


def sgd_epoch(model: nn.Module, batch: dict[str, torch.Tensor], device: torch.device) -> float:
    """An epoch of one batch: one plain SGD step on a mean-reduced loss; returns the epoch's
    mean loss. SGD's update is lr times the gradient, so equal updates mean equal gradients
    (Adam would magnify differences in tiny gradients)."""
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    return train_one_epoch(model, [batch], nn.CrossEntropyLoss(), optimizer, device=device)


def parity_worker(
    rank: int,
    world_size: int,
    port: int,
    backend: str,
    initial_state: dict[str, torch.Tensor],
    out_dir: Path,
) -> None:
    """One process of the parity check: a DDP step on its slice of the batch, then save
    the parameters and the epoch loss that train_one_epoch reduced over both processes."""
    os.environ.update(torchrun_environment(rank, world_size, port))
    torch.set_num_threads(1)
    device = torch.device("cuda", rank) if backend == "nccl" else torch.device("cpu")
    with process_group(backend, device):
        model = parity_model()
        model.load_state_dict(initial_state)
        model.to(device)
        share = {name: value.chunk(world_size)[rank] for name, value in parity_batch().items()}
        loss = sgd_epoch(data_parallel(model, device), share, device)
        state = {name: value.cpu() for name, value in model.state_dict().items()}
        torch.save({"state": state, "loss": loss}, out_dir / f"rank{rank}.pt")


def spawn(worker: Callable[..., None], args: tuple, nprocs: int) -> None:
    """Run ``worker(rank, *args)`` in ``nprocs`` fresh processes; a worker's exception is
    re-raised here, and workers still running after PROCESS_TIMEOUT_S fail the test."""
    context = multiprocessing.spawn(worker, args=args, nprocs=nprocs, join=False)
    deadline = time.monotonic() + PROCESS_TIMEOUT_S
    while not context.join(timeout=1):
        if time.monotonic() > deadline:
            for process in context.processes:
                process.kill()
            pytest.fail(f"{nprocs} processes did not finish within {PROCESS_TIMEOUT_S} s")


def max_abs_difference(state: dict[str, torch.Tensor], other: dict[str, torch.Tensor]) -> float:
    return max((state[name] - other[name]).abs().max().item() for name in state)


def check_step_parity(tmp_path: Path, backend: str, device: torch.device, atol: float) -> None:
    """A DDP step on two processes, each given half of a batch, leaves both processes with
    identical parameters, within ``atol`` of one single-process step on the whole batch, and
    both report that batch's mean loss."""
    initial_state = parity_model().state_dict()
    spawn(parity_worker, (2, free_port(), backend, initial_state, tmp_path), nprocs=2)
    reference = parity_model()
    reference.load_state_dict(initial_state)
    reference.to(device)
    expected_loss = sgd_epoch(reference, parity_batch(), device)
    expected = {name: value.cpu() for name, value in reference.state_dict().items()}
    results = [torch.load(tmp_path / f"rank{rank}.pt", weights_only=True) for rank in (0, 1)]
    ranks = [result["state"] for result in results]

    assert max_abs_difference(ranks[0], initial_state) > 1e-3, "the step changed nothing"
    assert all(torch.equal(ranks[0][name], ranks[1][name]) for name in expected), (
        "the two processes hold different parameters after the step"
    )
    difference = max_abs_difference(ranks[0], expected)
    assert difference <= atol, f"DDP step differs from the single-process step by {difference}"
    assert [result["loss"] for result in results] == pytest.approx([expected_loss] * 2, abs=atol)


def torchrun_train(out: Path, *, epochs: int) -> subprocess.CompletedProcess[str]:
    """The documented command, ``torchrun --nproc_per_node=2 -m <package> train``, in a fresh
    process: the package on PYTHONPATH, one torch thread per process, and the rendezvous on
    a free port of 127.0.0.1."""
    source_root = str(Path(package.__file__).resolve().parents[1])
    python_path = os.pathsep.join(filter(None, [source_root, os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYTHONPATH": python_path, "OMP_NUM_THREADS": "1"}
    for name in TORCHRUN_VARIABLES:  # in case the suite itself runs under torchrun
        env.pop(name, None)
    torchrun = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2"]
    rendezvous = ["--rdzv-backend=c10d", "--rdzv-endpoint=127.0.0.1:0"]
    train = ["-m", package.__name__, "train", "--out", str(out), "--epochs", str(epochs)]
    return subprocess.run(
        [*torchrun, *rendezvous, *train],
        capture_output=True,
        text=True,
        env=env,
        timeout=PROCESS_TIMEOUT_S,
    )


def served_validation_metrics(predictor: Predictor) -> tuple[float, float]:
    """Accuracy and mean cross-entropy of ``predictor`` on the default data's validation split."""
    data = load_data(DEFAULT_DATA)
    validation = data.splits["validation"]
    results = predictor.predict_batch(validation.inputs)
    names = predictor.label_names
    predicted = torch.tensor([names.index(result["label"]) for result in results])
    true_class_probabilities = torch.tensor(
        [
            result["probabilities"][label]
            for result, label in zip(results, validation.labels, strict=True)
        ]
    )
    loss = -true_class_probabilities.log().mean().item()
    return accuracy(predicted, torch.tensor(data.labels("validation"))), loss


def feature_items(num_items: int = 8) -> list[dict[str, torch.Tensor]]:
    """Dataset items {"features", "label"} for a tiny MLP, from a private generator."""
    features = torch.randn(num_items, 4, generator=torch.Generator().manual_seed(0))
    return [{"features": x, "label": torch.tensor(i % NUM_CLASSES)} for i, x in enumerate(features)]


def tiny_fit(
    epochs: int, *, resume_state: dict | None = None, loader: DataLoader | None = None
) -> list[dict]:
    """Fit a tiny MLP on ``loader`` (default: 8 examples in 2 batches) in this process;
    returns the training states saved after each epoch."""
    loader = loader or DataLoader(feature_items(), batch_size=4)
    states: list[dict] = []
    config = TrainConfig(epochs=epochs, batch_size=4)
    model = MLPClassifier(4, 8, NUM_CLASSES)
    fit(
        model, loader, loader, config, resume_state=resume_state, save_state=states.append, log=None
    )
    return states


class TestShardSampler:
    def test_shares_are_disjoint_and_cover_the_data(self):
        """Two processes' shares of 10 examples have no example in common and together
        hold all 10. Catches every process training on the whole dataset (or the same
        shard), which silently repeats each example world-size times per epoch."""
        shares = [
            set(shard_sampler(range(10), seed=0, num_replicas=2, rank=rank)) for rank in (0, 1)
        ]
        assert shares[0].isdisjoint(shares[1])
        assert shares[0] | shares[1] == set(range(10))

    def test_every_process_gets_as_many_examples(self):
        """11 examples over 3 processes: 4 each, still covering all 11. Catches uneven
        shares, with which one process runs a step fewer and the others wait forever in
        the gradient all-reduce."""
        shares = [
            list(shard_sampler(range(11), seed=0, num_replicas=3, rank=rank)) for rank in range(3)
        ]
        assert [len(share) for share in shares] == [4, 4, 4]
        assert set().union(*shares) == set(range(11))

    def test_order_changes_every_epoch_and_repeats_for_the_same_epoch(self):
        """set_epoch(2) gives another order than set_epoch(1); set_epoch(1) again gives the
        first. Catches a missing set_epoch (every epoch the same order) and orders that a
        resumed run could not reproduce."""
        sampler = shard_sampler(range(32), seed=0, num_replicas=2, rank=0)
        orders = []
        for epoch in (1, 2, 1):
            sampler.set_epoch(epoch)
            orders.append(list(sampler))
        assert orders[0] != orders[1]
        assert orders[0] == orders[2]

    def test_fit_moves_the_sampler_to_each_new_epoch(self):
        """fit calls set_epoch before every epoch: after 2 epochs the shard sampler is at
        epoch 2. Catches a missing set_epoch, with which every epoch sees the same order."""
        sampler = shard_sampler(feature_items(), seed=0, num_replicas=2, rank=0)
        tiny_fit(epochs=2, loader=DataLoader(feature_items(), batch_size=4, sampler=sampler))
        assert sampler.epoch == 2

    def test_refuses_more_processes_than_examples(self):
        """Splitting 2 examples across 3 processes raises ValueError naming both numbers,
        instead of processes that train on padding copies or find no data at all."""
        with pytest.raises(ValueError, match="2 training examples across 3 processes"):
            shard_sampler(range(2), seed=0, num_replicas=3, rank=0)

    def test_refuses_a_dataset_without_a_length(self):
        """An IterableDataset cannot be split by index: TypeError naming the class, instead
        of a TypeError from deep inside DistributedSampler about len()."""

        class Stream(IterableDataset[int]):
            def __iter__(self) -> Iterator[int]:
                return iter(range(4))

        with pytest.raises(TypeError, match="map-style dataset with a length, got Stream"):
            shard_sampler(Stream(), seed=0, num_replicas=2, rank=0)


@pytest.fixture
def without_torchrun(monkeypatch: pytest.MonkeyPatch) -> None:
    """A plain process: none of torchrun's variables set (CI might run under torchrun)."""
    for name in TORCHRUN_VARIABLES:
        monkeypatch.delenv(name, raising=False)


@pytest.mark.usefixtures("without_torchrun")
class TestSingleProcess:
    def test_process_group_is_a_no_op_without_torchrun(self):
        """Outside torchrun, process_group starts no group: the process is rank 0 of 1 and
        the main process. Catches single-process training that waits for peers."""
        with process_group():
            assert not dist.is_initialized()
            assert (get_rank(), get_world_size(), is_main_process()) == (0, 1, True)

    def test_model_is_not_wrapped(self):
        """data_parallel returns the model itself in a single process. Catches a DDP
        wrapper (and its "module." state_dict prefix) where no peers exist."""
        model = MLPClassifier(4, 8, NUM_CLASSES)
        assert data_parallel(model, "cpu") is model

    def test_all_reduce_returns_the_values_unchanged(self):
        """A single process's sums are exactly its own values. Catches a reduction that
        rounds (0.1 is not a float32) and so changes single-process metrics."""
        assert all_reduce_sum([0.1, 7]) == [0.1, 7]

    def test_training_state_records_the_world_size(self):
        """A single process saves world_size 1 with its training state, the number a
        resumed run is checked against. Catches states that cannot tell how they were made."""
        assert tiny_fit(epochs=1)[-1]["world_size"] == 1


class TestOneProcessGroup:
    def test_joins_a_real_group_for_the_block_and_leaves_it(self, monkeypatch):
        """Under torchrun's variables for a world of one, process_group joins a real gloo
        group (rank 0 of 1) and destroys it on the way out. Catches a group left behind,
        which makes the next init_process_group in the process fail."""
        for name, value in torchrun_environment(rank=0, world_size=1, port=free_port()).items():
            monkeypatch.setenv(name, value)
        with process_group():
            assert dist.is_initialized()
            assert (get_rank(), get_world_size(), dist.get_backend()) == (0, 1, "gloo")
        assert not dist.is_initialized()

    def test_refuses_an_unknown_backend(self, monkeypatch):
        """A backend other than gloo or nccl raises ValueError naming both, before any group
        is started, instead of torch's error from deep inside init_process_group."""
        for name, value in torchrun_environment(rank=0, world_size=1, port=free_port()).items():
            monkeypatch.setenv(name, value)
        with pytest.raises(ValueError, match="one of gloo, nccl; got 'mpi'"), process_group("mpi"):
            pass
        assert not dist.is_initialized()


@pytest.mark.usefixtures("without_torchrun")
class TestBadSetups:
    def test_refuses_to_resume_with_another_world_size(self):
        """A state saved by 2 processes cannot be resumed by 1: ValueError naming both
        numbers, instead of a run whose shards and step counts silently change."""
        state = {**tiny_fit(epochs=1)[-1], "world_size": 2}
        with pytest.raises(ValueError, match=r"trained by 2 process\(es\), this run has 1"):
            tiny_fit(epochs=2, resume_state=state)

    def test_refuses_nccl_without_cuda(self, monkeypatch):
        """Asking for nccl on a machine without CUDA raises ValueError saying so, before any
        process group exists, instead of an obscure NCCL error on every rank."""
        monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
        for name, value in torchrun_environment(rank=0, world_size=2, port=29500).items():
            monkeypatch.setenv(name, value)
        with pytest.raises(ValueError, match="nccl backend needs CUDA"), process_group("nccl"):
            pass
        assert not dist.is_initialized()

    def test_cli_reports_nccl_without_cuda_in_one_line(self, monkeypatch, tmp_path, capsys):
        """`train --backend nccl` under torchrun on a machine without CUDA exits 1 with a
        one-line error before training, instead of a traceback from every rank."""
        monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
        for name, value in torchrun_environment(rank=0, world_size=2, port=29500).items():
            monkeypatch.setenv(name, value)
        assert main(["train", "--out", str(tmp_path / "model.pt"), "--backend", "nccl"]) == 1
        error = capsys.readouterr().err
        assert error.startswith("error: the nccl backend needs CUDA")
        assert error.count("\n") == 1
        assert not (tmp_path / "model.pt").exists()

    def test_refuses_an_incomplete_torchrun_environment(self, monkeypatch):
        """WORLD_SIZE without the rendezvous address raises ValueError naming the missing
        variables, instead of waiting for a peer that will never connect."""
        monkeypatch.setenv("WORLD_SIZE", "2")
        with (
            pytest.raises(ValueError, match="RANK, LOCAL_RANK, MASTER_ADDR, MASTER_PORT"),
            process_group("gloo"),
        ):
            pass


@pytest.mark.slow
class TestDataParallelTraining:
    def test_two_gloo_processes_step_like_one_process_on_the_whole_batch(self, tmp_path):
        """One DDP step on 2 CPU processes with half a batch each leaves both with identical
        parameters, within CPU_PARITY_ATOL of a single-process step on the whole batch.

        Catches gradients that are not averaged (each rank steps on its own half), summed
        instead of averaged (a step twice too large), or applied on one rank only.
        """
        check_step_parity(tmp_path, "gloo", torch.device("cpu"), CPU_PARITY_ATOL)

    def test_torchrun_checkpoint_serves_like_a_single_process_one(self, tmp_path):
        """`torchrun --nproc_per_node=2 -m <package> train` logs each epoch once (rank 0),
        takes the steps of half the training set per epoch, records world_size 2, and
        writes a checkpoint whose weights carry no "module." prefix and that Predictor
        loads; its predictions on the validation split reproduce the accuracy and loss
        that training logged for the model it saved.

        Catches every rank logging, every rank training on the whole dataset, the DDP
        wrapper's state_dict saved instead of the model's, and a checkpoint taken from
        another model than the one evaluated.
        """
        checkpoint = tmp_path / "model.pt"
        run = torchrun_train(checkpoint, epochs=1)
        assert run.returncode == 0, run.stderr

        assert run.stderr.count("epoch 1/1") == 1, run.stderr
        payload = torch.load(checkpoint, weights_only=True)
        assert not [key for key in payload["model_state"] if key.startswith("module.")]
        resume = torch.load(resume_path(checkpoint), weights_only=True)
        assert resume["training_state"]["world_size"] == 2
        shard_size = math.ceil(len(load_data(DEFAULT_DATA).splits["train"]) / 2)
        steps = resume["training_state"]["scheduler"]["last_epoch"]
        assert steps == math.ceil(shard_size / default_batch_size(shard_size))
        logged = payload["history"][payload["best_epoch"] - 1]
        served_accuracy, served_loss = served_validation_metrics(Predictor(checkpoint))
        assert served_accuracy == pytest.approx(logged["val_accuracy"])
        assert served_loss == pytest.approx(logged["val_loss"], rel=1e-4)


@pytest.mark.gpu
def test_two_nccl_processes_step_like_one_process_on_the_whole_batch(tmp_path):
    """The parity check above on two GPUs with nccl (GPU_PARITY_ATOL). Catches a broken
    nccl set-up: processes sharing one GPU, or gradients not averaged across GPUs."""
    if torch.cuda.device_count() < 2:
        pytest.skip(f"needs 2 CUDA devices for nccl parity, found {torch.cuda.device_count()}")
    check_step_parity(tmp_path, "nccl", torch.device("cuda", 0), GPU_PARITY_ATOL)
