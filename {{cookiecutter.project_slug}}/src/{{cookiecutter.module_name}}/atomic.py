"""Atomic file writes: a reader sees the old file or the new one, never a part of either.

Every output (checkpoint, resume state, metrics, report) is written to a temporary file
beside its target, synced, and renamed onto it, so a crash, a kill or a full disk never
leaves a truncated file under the target's name. The temporary name carries the writer's
process id: the next write to the same target removes what a killed writer left behind,
and never a file that a live writer (a concurrent run) is still filling.
"""

import glob
import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO


def write_atomically(path: Path, write: Callable[[BinaryIO], object]) -> None:
    """Call ``write`` on a new temporary file beside ``path``, sync it, rename it onto ``path``.

    The temporary file gets the usual permissions (0o666 less the umask), not tempfile's
    owner-only 0o600, so the output is as readable as any file one writes. A failed write
    (for example ENOSPC, also when torch.save reports it as a RuntimeError) raises OSError
    naming ``path``, after the temporary file is removed.
    """
    _remove_abandoned_partials(path)
    partial = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(descriptor, "wb") as file:
            write(file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(partial, path)
    except BaseException as error:
        partial.unlink(missing_ok=True)
        cause = _os_error_behind(error)
        if cause is None:
            raise
        raise OSError(f"could not write {path}: {cause.strerror}") from error
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)  # the rename itself survives a power cut
    finally:
        os.close(folder)


def _os_error_behind(error: BaseException) -> OSError | None:
    """The OSError that caused ``error`` (itself, or one it was raised while handling)."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, OSError) and seen.errno is not None:
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def _remove_abandoned_partials(path: Path) -> None:
    """Delete the temporary files of earlier writes to ``path`` whose process is gone."""
    if os.name != "posix":  # os.kill(pid, 0) only probes a process on POSIX
        return
    for partial in path.parent.glob(f".{glob.escape(path.name)}.*.partial"):
        pid = partial.name[len(path.name) + 2 :].split(".")[0]
        if pid.isdecimal() and not _is_running(int(pid)):
            partial.unlink(missing_ok=True)


def _is_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, but another user's
        return True
    return True
