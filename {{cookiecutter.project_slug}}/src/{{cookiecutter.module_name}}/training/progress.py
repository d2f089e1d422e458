"""A progress bar for each training epoch, on a terminal only.

rich rather than tqdm: it ships type hints (the package is checked with mypy --strict, and
tqdm needs a separate stubs package) and its columns (steps per second, time left, the
running loss) are composed from parts instead of a format string. It is imported only when
a bar is shown, so scripts, tests and CI logs never pay for it; there ``fit`` logs one
plain line per epoch instead.
"""

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

# The bar redraws at most this often; more would cost time in a loop of millisecond steps.
REFRESHES_PER_SECOND = 4


def show_progress() -> bool:
    """True when stderr is a terminal: a bar there helps; in a log file it is noise."""
    return sys.stderr.isatty()


@contextmanager
def epoch_progress(
    steps: int, description: str, enabled: bool
) -> Iterator[Callable[[float], None] | None]:
    """Yields a callback that advances a bar of ``steps`` steps by one and shows the running
    mean loss, or None when not ``enabled`` or stderr is not a terminal. The bar disappears
    when the epoch ends, leaving the epoch's log line."""
    if not (enabled and show_progress()):
        yield None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]} steps/s"),
        TimeRemainingColumn(),
        TextColumn("loss {task.fields[loss]}"),
        console=Console(stderr=True),
        transient=True,
        refresh_per_second=REFRESHES_PER_SECOND,
    ) as bar:
        task = bar.add_task(description, total=steps, loss="-", rate="-")
        total_loss, seen = 0.0, 0

        def advance(loss: float) -> None:
            nonlocal total_loss, seen
            total_loss, seen = total_loss + loss, seen + 1
            speed = bar.tasks[task].speed
            rate = "-" if speed is None else f"{speed:.0f}"
            bar.update(task, advance=1, loss=f"{total_loss / seen:.4f}", rate=rate)

        yield advance
