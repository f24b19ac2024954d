"""`fairlend serve --workers 2` on one PostgreSQL database: the two processes share nothing in memory.

Which worker takes a connection is the kernel's choice, so the test makes it:
it stops one worker (SIGSTOP) while the other serves a step, then swaps. A
code texted by one worker is listed by the other; a session made on one
works on the other; a repayment posted on one with an Idempotency-Key and
sent again to the other is answered from the first, and posts once. Then
SIGTERM: the supervisor and both workers exit cleanly.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from bench.loopback import child_environment, fairlend_command, free_port

from fairlend.bootstrap import Container
from fairlend.lending.model import Product
from fairlend.money import Money
from tests.identity.helpers import cn_mobile
from tests.lending.conftest import BASE


def _workers(supervisor: int) -> list[int]:
    """The supervisor's worker processes (multiprocessing's spawned children), by pid."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        ppid = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("PPid:"))
        if ppid == supervisor and b"spawn_main" in cmdline:
            found.append(int(entry.name))
    return sorted(found)


@contextmanager
def _only(serving: int, stopped: int) -> Iterator[None]:
    """While inside, `stopped` accepts no connection: every new one goes to `serving`."""
    os.kill(stopped, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(stopped, signal.SIGCONT)


def _call(url: str, method: str, path: str, **kwargs: object) -> httpx.Response:
    # A connection per call: a kept-alive one would stay with the worker that accepted it.
    with httpx.Client(base_url=url, timeout=30.0) as client:
        return client.request(method, path, **kwargs)  # type: ignore[arg-type]


@pytest.mark.backends("postgresql")
def test_two_workers_share_codes_sessions_and_idempotency_through_the_database(
    container: Container, database_url: str, tmp_path: Path
) -> None:
    product: Product = container.lending.products.define(BASE)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    settings = {"environment": "development", "database_url": database_url, "data_dir": str(tmp_path)}
    log = (tmp_path / "serve.log").open("wb")
    server = subprocess.Popen(
        fairlend_command("serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"),
        env=child_environment(settings),
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        workers: list[int] = []
        while time.monotonic() < deadline and len(workers) < 2:
            assert server.poll() is None, (tmp_path / "serve.log").read_text()
            workers = _workers(server.pid)
            time.sleep(0.2)
        assert len(workers) == 2, (tmp_path / "serve.log").read_text()
        while time.monotonic() < deadline:  # both workers serving
            try:
                with _only(workers[0], workers[1]):
                    first = _call(url, "GET", "/api/v1/health").status_code
                with _only(workers[1], workers[0]):
                    second = _call(url, "GET", "/api/v1/health").status_code
                if first == second == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        one, two = workers
        phone = cn_mobile()

        with _only(one, two):  # worker one texts the code
            sent = _call(url, "POST", "/api/v1/auth/otp", json={"phone": phone, "purpose": "sign_up"})
            assert sent.status_code == 202, sent.text
        with _only(two, one):  # worker two lists it, and the sign-up makes a session there
            codes = _call(url, "GET", "/api/v1/dev/one-time-codes", params={"phone": phone}).json()
            assert len(codes) == 1
            signed = _call(
                url, "POST", "/api/v1/auth/sign-up", json={"phone": phone, "code": codes[0]["code"], "role": "borrower"}
            )
            assert signed.status_code == 201, signed.text
        person = signed.json()
        headers = {"Authorization": f"Bearer {person['access_token']}"}
        loan = container.lending.book_loan(person["subject_id"], product.code, Money.of("10000", "CNY"))
        pay = {"json": {"amount": "100.00"}, "headers": {**headers, "Idempotency-Key": "pay-across-workers"}}

        with _only(one, two):  # worker one takes the session worker two made, and posts a repayment
            mine = _call(url, "GET", f"/api/v1/borrowers/{person['subject_id']}/loans", headers=headers)
            assert mine.status_code == 200 and [x["id"] for x in mine.json()] == [loan]
            posted = _call(url, "POST", f"/api/v1/loans/{loan}/repayments", **pay)
            assert posted.status_code == 201, posted.text
        with _only(two, one):  # worker two answers the same key from the store: it posts nothing
            again = _call(url, "POST", f"/api/v1/loans/{loan}/repayments", **pay)
            assert again.status_code == 201 and again.headers.get("Idempotent-Replayed") == "true"
            assert again.json() == posted.json()
        assert len(container.lending.repayments_of(loan)) == 1

        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=60) == 0
        assert all(not Path(f"/proc/{pid}").exists() for pid in workers)
        assert "Stopping parent process" in (tmp_path / "serve.log").read_text()
    finally:
        if server.poll() is None:
            for pid in _workers(server.pid):
                os.kill(pid, signal.SIGCONT)
            server.kill()
            server.wait(timeout=30)
        log.close()
