"""One call to seed every random number generator, and a way to save and restore them all.

``seed_everything`` is also pytest-randomly's ``random_seeder`` entry point (see
pyproject.toml), so every test starts from a torch state derived from the run's seed.
"""

import random
from typing import Any

import numpy as np
import torch


def seed_everything(seed: int) -> None:
    """Seed Python's ``random``, NumPy's global generator and torch (CPU and every GPU)."""
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    random.seed(seed)
    np.random.seed(seed % 2**32)  # NumPy accepts only 0 <= seed < 2**32
    torch.manual_seed(seed)  # seeds the CPU generator and those of all CUDA devices


def rng_states() -> dict[str, Any]:
    """The state of every global generator, as plain types that ``torch.load(weights_only=True)``
    accepts, so it can travel in a checkpoint and resume training bit for bit."""
    version, python_state, gauss = random.getstate()
    numpy_name, numpy_keys, numpy_pos, numpy_has_gauss, numpy_gauss = np.random.get_state()
    return {
        "python": [version, list(python_state), gauss],
        "numpy": [numpy_name, numpy_keys.tolist(), numpy_pos, numpy_has_gauss, numpy_gauss],
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
    }


def restore_rng_states(states: dict[str, Any]) -> None:
    """Put every global generator back to the state that ``rng_states`` recorded."""
    version, python_state, gauss = states["python"]
    random.setstate((version, tuple(python_state), gauss))
    numpy_name, numpy_keys, numpy_pos, numpy_has_gauss, numpy_gauss = states["numpy"]
    np.random.set_state(
        (numpy_name, np.array(numpy_keys, dtype=np.uint32), numpy_pos, numpy_has_gauss, numpy_gauss)
    )
    torch.set_rng_state(states["torch"])
    if states["cuda"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(states["cuda"])
