"""One call to seed every random number generator, and ways to save and restore them all.

The test suite's conftest.py also reseeds torch from pytest-randomly's seed before every
test, so every test starts from a torch state derived from the run's seed.
"""

import random
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import torch


def seed_everything(seed: int) -> None:
    """Seed Python's ``random``, NumPy's global generator and torch (CPU and every GPU)."""
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    random.seed(seed)
    # The legacy global generator is the one that library code may still draw from.
    np.random.seed(seed % 2**32)  # noqa: NPY002 (NumPy accepts only 0 <= seed < 2**32)
    if torch.cuda.is_available() or torch.backends.mps.is_available():
        torch.manual_seed(seed)  # the CPU generator and every accelerator's
    else:
        # The CPU generator alone: torch.manual_seed would also queue a seed for each absent
        # accelerator backend, keeping a formatted copy of the call stack with each one
        # (0.5 ms a call on a test's deep stack; the suite calls this about 150 times).
        torch.default_generator.manual_seed(seed)


def rng_states() -> dict[str, Any]:
    """The state of every global generator, as plain types that ``torch.load(weights_only=True)``
    accepts, so it can travel in a checkpoint and resume training bit for bit."""
    version, python_state, gauss = random.getstate()
    numpy_state = np.random.get_state(legacy=False)  # noqa: NPY002 (the generator seeded above)
    key = numpy_state["state"]["key"].tolist()  # weights_only refuses NumPy arrays
    return {
        "python": [version, list(python_state), gauss],
        "numpy": {**numpy_state, "state": {**numpy_state["state"], "key": key}},
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
    }


def restore_rng_states(states: dict[str, Any]) -> None:
    """Put every global generator back to the state that ``rng_states`` recorded."""
    version, python_state, gauss = states["python"]
    random.setstate((version, tuple(python_state), gauss))
    numpy_state = states["numpy"]
    key = np.array(numpy_state["state"]["key"], dtype=np.uint32)
    np.random.set_state({**numpy_state, "state": {**numpy_state["state"], "key": key}})  # noqa: NPY002
    torch.set_rng_state(states["torch"])
    if states["cuda"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(states["cuda"])


@contextmanager
def seeded(seed: int) -> Iterator[None]:
    """Run a block with every generator seeded and cuDNN deterministic, then restore them.

    Code after the block draws exactly what it would have drawn without it, so a seeded
    evaluation (or test) cannot change the randomness of whatever runs next.
    """
    states = rng_states()
    cudnn_flags = torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark
    seed_everything(seed)
    torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = True, False
    try:
        yield
    finally:
        restore_rng_states(states)
        torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = cudnn_flags
