"""A fairlend server on this machine, in a child process: the load script's and the crash tests' target.

`Server` runs `fairlend serve` (what an operator runs: uvicorn, one process,
the sync routes on its thread pool) on 127.0.0.1 and a free port, with the
settings it is given as `FAIRLEND_*` variables, and waits for
`/api/v1/health`. It can be killed with SIGKILL (no shutdown, no flushed
buffer) and started again on the same database, which is what the crash
tests do. Its log goes to a file in its data directory, never to a pipe
nobody reads.

`require_loopback(url)` refuses every target but this machine: the load
script sends thousands of requests and signs people in with development
codes, which nothing outside a developer's own machine should ever see.
"""

from __future__ import annotations

import ipaddress
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType
from typing import Self
from urllib.parse import urlsplit

import httpx

LOOPBACK_NAMES = {"localhost"}
HEALTH = "/api/v1/health"


def require_loopback(url: str) -> str:
    """`url` when its host is this machine (127.0.0.0/8, ::1, localhost); ValueError otherwise."""
    host = urlsplit(url).hostname or ""
    if host.lower() in LOOPBACK_NAMES:
        return url
    try:
        if ipaddress.ip_address(host).is_loopback:
            return url
    except ValueError:
        pass
    raise ValueError(f"refusing {url!r}: only a server on this machine (127.0.0.1, ::1, localhost) is a target")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def child_environment(settings: dict[str, str], extra: dict[str, str] | None = None) -> dict[str, str]:
    """This process's environment without its FAIRLEND_* settings, then `settings` (FAIRLEND_ prefix added)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAIRLEND_")}
    env.update({f"FAIRLEND_{name.upper()}": value for name, value in settings.items()})
    env.update(extra or {})
    return env


def fairlend_command(*args: str) -> list[str]:
    """The `fairlend` command line, run by this interpreter (the virtualenv's, wherever it lives)."""
    return [sys.executable, "-m", "fairlend.cli", *args]


class Server:
    """`fairlend serve` on 127.0.0.1: start, wait until healthy, SIGKILL, start again."""

    def __init__(self, database_url: str, data_dir: Path, *, settings: dict[str, str] | None = None) -> None:
        self.data_dir = data_dir
        self.settings = {
            "environment": "development",  # one-time codes readable at /api/v1/dev/one-time-codes
            "database_url": database_url,
            "data_dir": str(data_dir),
            **(settings or {}),
        }
        self.port = free_port()
        self.log_path = data_dir / "server.log"
        self._process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def start(self, *, timeout: float = 90.0, extra_env: dict[str, str] | None = None) -> None:
        if self._process is not None:
            raise RuntimeError("the server is running already")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            log.write(f"--- start {self.starts + 1}\n".encode())
            log.flush()
            self._process = subprocess.Popen(
                # One process, whatever the database: SIGKILL here must stop the whole server.
                fairlend_command("serve", "--host", "127.0.0.1", "--port", str(self.port), "--workers", "1"),
                env=child_environment(self.settings, extra_env),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        self.starts += 1
        deadline = time.monotonic() + timeout
        with httpx.Client(base_url=self.url, timeout=2.0) as client:
            while time.monotonic() < deadline:
                if self._process.poll() is not None:
                    self._process = None
                    raise RuntimeError(f"the server exited while starting:\n{self.log_tail()}")
                try:
                    if client.get(HEALTH).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                time.sleep(0.1)
        self.kill()
        raise RuntimeError(f"the server did not answer {HEALTH} within {timeout:.0f} s:\n{self.log_tail()}")

    def kill(self) -> None:
        """SIGKILL: the process dies where it stands, as in a power cut or an OOM kill."""
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)

    def stop(self) -> None:
        """An orderly shutdown (SIGTERM), then SIGKILL if it does not come."""
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=15)

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text("utf-8", "replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
