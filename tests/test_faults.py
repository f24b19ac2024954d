"""Crash points fire only when asked, and then kill the process outright."""

from __future__ import annotations

import signal
import subprocess
import sys

from fairlend.faults import crash_point

SCRIPT = "from fairlend.faults import crash_point\nfor _ in range(3):\n    crash_point('here')\n    print('passed', flush=True)\n"


def test_a_crash_point_does_nothing_unless_named() -> None:
    crash_point("anything")  # no FAIRLEND_CRASH_AT in the test environment


def test_a_named_crash_point_kills_the_process_with_sigkill() -> None:
    run = subprocess.run(
        [sys.executable, "-c", SCRIPT], env={"FAIRLEND_CRASH_AT": "elsewhere,here"}, capture_output=True, text=True
    )
    assert run.returncode == -signal.SIGKILL
    assert run.stdout == ""


def test_a_crash_point_can_let_some_passes_through_first() -> None:
    run = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        env={"FAIRLEND_CRASH_AT": "here", "FAIRLEND_CRASH_AFTER": "2"},
        capture_output=True,
        text=True,
    )
    assert run.returncode == -signal.SIGKILL
    assert run.stdout.count("passed") == 2
