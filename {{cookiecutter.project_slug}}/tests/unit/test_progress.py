"""Unit tests for the per-epoch progress bar: drawn on a terminal, absent elsewhere.

CI logs and piped output must get plain epoch lines, never bar redraws; a terminal gets a
bar that counts every step and shows the running loss.
"""

import pytest

from {{ cookiecutter.module_name }}.training import progress
from {{ cookiecutter.module_name }}.training.progress import epoch_progress


class TestEpochProgress:
    def test_off_a_terminal_there_is_no_bar(self, monkeypatch):
        """Without a terminal the context yields None, so fit logs plain lines.
        Catches: a bar's escape codes written into CI logs and files."""
        monkeypatch.setattr(progress, "show_progress", lambda: False)
        with epoch_progress(10, "epoch 1/1", enabled=True) as advance:
            assert advance is None

    def test_quiet_means_no_bar_even_on_a_terminal(self, monkeypatch):
        """enabled=False (--quiet) yields None on a terminal too."""
        monkeypatch.setattr(progress, "show_progress", lambda: True)
        with epoch_progress(10, "epoch 1/1", enabled=False) as advance:
            assert advance is None

    def test_on_a_terminal_every_step_advances_the_bar(self, monkeypatch, capsys):
        """On a terminal the callback advances the bar once per step with the mean loss,
        and the bar is gone when the epoch ends. Catches: a callback that raises (an
        unknown field), or a bar left on screen under the epoch's log line."""
        monkeypatch.setattr(progress, "show_progress", lambda: True)
        with epoch_progress(3, "epoch 1/1", enabled=True) as advance:
            assert advance is not None
            for loss in (3.0, 2.0, 1.0):
                advance(loss)
        assert capsys.readouterr().out == ""  # never on stdout, which holds JSON


@pytest.fixture(autouse=True)
def _no_real_terminal(monkeypatch):
    """rich asks the environment whether to colour; tests must not depend on it."""
    monkeypatch.setenv("TERM", "dumb")
