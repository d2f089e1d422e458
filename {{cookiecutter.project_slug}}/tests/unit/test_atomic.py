"""Unit tests for atomic writes, which every output of the project goes through.

A reader must see the old file or the new one, never a part; a failed write must say which
file in one line; and the temporary files of killed writers must not pile up beside the
outputs, while a concurrent writer's temporary file is left alone.
"""

import errno
import os
import subprocess
import sys

import pytest

from {{ cookiecutter.module_name }}.atomic import write_atomically


def partial_of(target, pid):
    """The temporary file that process ``pid`` would write beside ``target``."""
    return target.with_name(f".{target.name}.{pid}.0123abcd.partial")


@pytest.fixture(scope="module")
def dead_pid():
    """The id of a process that has exited (a killed trainer, as far as its files go)."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


class TestWriteAtomically:
    def test_writes_the_content_under_the_target_name_only(self, tmp_path):
        """The target holds what was written and nothing else is left in the folder.
        Catches: the temporary file renamed to the wrong name, or not removed."""
        target = tmp_path / "out.bin"
        write_atomically(target, lambda file: file.write(b"new"))
        assert target.read_bytes() == b"new"
        assert [path.name for path in tmp_path.iterdir()] == ["out.bin"]

    def test_a_killed_writers_temporary_file_is_removed_by_the_next_write(self, tmp_path, dead_pid):
        """A .partial file of a process that is gone disappears at the next write to the
        same target. Catches: kills mid-save piling up .partial files (30 after 30 kills)."""
        target = tmp_path / "model.pt"
        partial_of(target, dead_pid).write_bytes(b"half")
        write_atomically(target, lambda file: file.write(b"whole"))
        assert sorted(path.name for path in tmp_path.iterdir()) == ["model.pt"]

    def test_a_live_writers_temporary_file_is_left_alone(self, tmp_path):
        """A .partial file whose process still runs (a concurrent trainer) is kept.
        Catches: a cleanup that deletes the file another save is about to rename."""
        target = tmp_path / "model.pt"
        live = partial_of(target, os.getpid())
        live.write_bytes(b"in progress")
        write_atomically(target, lambda file: file.write(b"whole"))
        assert live.read_bytes() == b"in progress"

    def test_a_full_disk_names_the_file_and_keeps_the_old_one(self, tmp_path):
        """A write that fails with ENOSPC, even wrapped in a RuntimeError as torch.save
        wraps it, raises OSError naming the target, which keeps its old content.
        Catches: torch's "unexpected pos" RuntimeError reaching the user as a traceback."""
        target = tmp_path / "model.pt"
        target.write_bytes(b"old")

        def full_disk(file):
            try:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            except OSError:
                raise RuntimeError("unexpected pos 64 vs 0") from None

        with pytest.raises(OSError, match=f"could not write {target}: No space left"):
            write_atomically(target, full_disk)
        assert target.read_bytes() == b"old"
        assert [path.name for path in tmp_path.iterdir()] == ["model.pt"]
