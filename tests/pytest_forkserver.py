"""Run pytest many times, each time in a fresh fork of one interpreter that imported torch once.

Importing torch, Hypothesis and pytest's plugins costs seconds of CPU; forking a process
that already did costs milliseconds. The seeded-bug catalogue runs the generated suite
dozens of times, so test_seeded_bugs.py starts this server once per worker and sends it
one run per line:

    {"cwd": "/path/to/project", "args": ["-q", "tests/unit"], "log": "/path/to/log"}

and reads back one line: pytest's exit code (negative: killed by that signal). Each run is
a new process that has never imported the project under test; it shares only third-party
modules, in the state their import left them in. Pass --assert=plain: pytest cannot
rewrite the asserts of plugins imported before it starts (and would warn), and whether a
test passes never depends on the rewriting, only its failure messages do.
"""

import gc
import json
import os
import signal
import sys
from importlib.metadata import entry_points

import hypothesis.strategies  # noqa: F401 (preloaded for the generated suites)
import numpy  # noqa: F401
import pytest
import torch
import torchvision.io  # the image tests decode with it, resize with v2
import torchvision.transforms.v2  # noqa: F401
from PIL import Image  # noqa: F401

TIMEOUT_S = 120  # a seeded bug that hangs a run is killed by SIGALRM instead of hanging us

# What every generated suite pays for at start-up: its pytest plugins, torch (and the
# torchvision and Pillow of its image tests), the torch._dynamo that an optimizer's first
# construction imports, and the sympy of assert_close's first call.
for plugin in entry_points(group="pytest11"):
    plugin.load()
torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
torch.testing.assert_close(torch.zeros(1), torch.zeros(1))
gc.freeze()  # keep all of that out of the garbage collections that pytest runs


def run_pytest(cwd: str, args: list[str], log: str) -> int:
    """`python -m pytest *args` in `cwd`, output to the file `log`, in a forked child."""
    pid = os.fork()
    if pid == 0:
        code = pytest.ExitCode.INTERNAL_ERROR
        try:
            signal.alarm(TIMEOUT_S)
            os.chdir(cwd)
            sys.path.insert(0, cwd)  # as `python -m pytest` does
            output = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
            os.dup2(output, 1)
            os.dup2(output, 2)
            code = pytest.main(args)
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(int(code))
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def main() -> None:
    del sys.path[0]  # this file's folder: the runs must not import the template's tests
    for line in sys.stdin:
        print(run_pytest(**json.loads(line)), flush=True)


if __name__ == "__main__":
    main()
