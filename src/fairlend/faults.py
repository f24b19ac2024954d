"""Named crash points for the fault tests (DESIGN: every failure reproducible).

Code that orders work against a transaction marks the places between its
steps with `crash_point("gateway.after_record")`. Nothing happens unless the
process was started with `FAIRLEND_CRASH_AT` naming that point: then the
process kills itself with SIGKILL there, exactly as a power cut or an OOM kill
would, with no cleanup, no rollback handler and no flushed buffer. The crash
tests start a server or a command in a subprocess with that variable and
check what survived.

`FAIRLEND_CRASH_AT` may name several points separated by commas;
`FAIRLEND_CRASH_AFTER=N` lets the point pass N times before it fires (to kill
mid-load rather than on the first request).

`fault_point(name)` is a crash point that can also fail or stall:
`FAIRLEND_FAIL_AT` naming it raises `InjectedFault` there (a bug in a step, as
the partition tests inject one), and `FAIRLEND_PAUSE_AT=name=seconds` sleeps
there (to kill a worker in the middle of its work).
"""

from __future__ import annotations

import os
import signal
import threading
import time

_ENV = "FAIRLEND_CRASH_AT"
_AFTER_ENV = "FAIRLEND_CRASH_AFTER"
_FAIL_ENV = "FAIRLEND_FAIL_AT"
_PAUSE_ENV = "FAIRLEND_PAUSE_AT"
_passes: dict[str, int] = {}
_lock = threading.Lock()


def crash_point(name: str) -> None:
    """Die here, now, if this run was told to (see the module docstring); otherwise do nothing."""
    wanted = os.environ.get(_ENV)
    if not wanted or name not in wanted.split(","):
        return
    with _lock:
        seen = _passes.get(name, 0)
        _passes[name] = seen + 1
    if seen < int(os.environ.get(_AFTER_ENV, "0") or 0):
        return
    os.kill(os.getpid(), signal.SIGKILL)


class InjectedFault(RuntimeError):
    """Raised where `FAIRLEND_FAIL_AT` names a fault point."""


def fault_point(name: str) -> None:
    """A crash point that may also raise (`FAIRLEND_FAIL_AT`) or sleep (`FAIRLEND_PAUSE_AT=name=seconds`)."""
    crash_point(name)
    failing = os.environ.get(_FAIL_ENV)
    if failing and name in failing.split(","):
        raise InjectedFault(f"fault injected at {name}")
    for pause in (os.environ.get(_PAUSE_ENV) or "").split(","):
        where, _, seconds = pause.partition("=")
        if where == name and seconds:
            time.sleep(float(seconds))
