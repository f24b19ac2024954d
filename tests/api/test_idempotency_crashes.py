"""SIGKILL the server between each pair of an idempotent request's steps; restart; retry with the same key.

The steps are claim -> effect -> stored answer -> answer sent. The server runs
in a subprocess (`fairlend serve`) with `FAIRLEND_CRASH_AT` naming the point
to die at (`fairlend.faults`); the client's first attempt loses its
connection. After a restart, the retry must get a final answer once the lease
(2 s here) is over - never "in progress" for ever - and the ledger must hold
the repayment exactly once, with `fairlend verify`'s checks clean. Before the lease and
the effect mark, some of these keys answered 409 forever; others posted twice.

A repayment stores its answer in its own transaction (`AnswerWithEffect`): claim -> effect and
answer -> answer sent, so a crash after the effect leaves the answer, and the retry gets it. Booking
a loan stores its answer after the effect, the general path: there a crash in between leaves the
"answer lost" answer.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from fairlend.bootstrap import bootstrap
from fairlend.config import Settings
from fairlend.identity.model import Principal, Role
from fairlend.lending.tables import loan_repayment
from fairlend.money import Money
from tests.lending.conftest import BASE

LEASE_SECONDS = 2
AMOUNT = "250.00"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(database_url: str, data_dir: Path, crash_at: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAIRLEND_")}
    env.update(
        FAIRLEND_DATABASE_URL=database_url,
        FAIRLEND_DATA_DIR=str(data_dir),
        FAIRLEND_ENVIRONMENT="test",
        FAIRLEND_IDEMPOTENCY_LEASE_SECONDS=str(LEASE_SECONDS),
    )
    if crash_at:
        env["FAIRLEND_CRASH_AT"] = crash_at
    return env


@contextmanager
def _server(env: dict[str, str], log: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    port = _free_port()
    with log.open("ab") as out:
        proc = subprocess.Popen(
            # One process: the crash point kills "the server", which a supervisor would replace.
            [sys.executable, "-m", "fairlend.cli", "serve", "--port", str(port), "--workers", "1"],
            env=env,
            stdout=out,
            stderr=out,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(base + "/api/v1/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"the server did not start:\n{log.read_text(errors='replace')[-3000:]}")
            time.sleep(0.1)
        yield proc, base
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


REPAY = "repay"
BOOK = "book"


@pytest.mark.parametrize(
    ("call", "crash_at", "final_status", "final_code"),
    [
        (REPAY, "idempotency.after_claim", 201, None),  # nothing took effect: the retry takes the claim over and posts
        (REPAY, "idempotency.after_effect", 201, None),  # posted with its answer: the retry gets that answer
        (BOOK, "idempotency.after_claim", 201, None),
        (BOOK, "idempotency.after_effect", 409, "idempotency_response_lost"),  # booked; answer never made
        (BOOK, "idempotency.before_store", 409, "idempotency_response_lost"),  # booked; answer made, not stored
        (BOOK, "idempotency.after_store", 201, None),  # stored, not sent: the retry gets the stored answer
    ],
)
def test_a_crash_between_any_two_steps_leaves_one_posting_and_a_final_answer(
    database_url: str, tmp_path: Path, call: str, crash_at: str, final_status: int, final_code: str | None
) -> None:
    settings = Settings(environment="test", database_url=database_url, data_dir=tmp_path)
    setup = bootstrap(settings)
    setup.lending.products.define(BASE)
    loan = setup.lending.book_loan("brw_crash", BASE.code, Money.of("10000", "CNY"))
    token, _ = setup.identity.tokens.issue(Principal("op_crash", Role.UNDERWRITER))
    setup.close()
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "pay-after-crash"}
    if call == REPAY:
        url, body = f"/api/v1/loans/{loan}/repayments", {"amount": AMOUNT}
    else:
        url, body = "/api/v1/loans", {"borrower_id": "brw_booked", "product_code": BASE.code, "amount": "5000.00"}
    log = tmp_path / "server.log"

    with _server(_env(database_url, tmp_path, crash_at), log) as (proc, base):
        with pytest.raises(httpx.TransportError):
            httpx.post(base + url, json=body, headers=headers, timeout=30)
        assert proc.wait(timeout=15) == -signal.SIGKILL, log.read_text(errors="replace")[-2000:]

    with _server(_env(database_url, tmp_path), log) as (_, base):
        seen: list[tuple[int, str | None]] = []
        deadline = time.monotonic() + LEASE_SECONDS + 10
        while True:
            retry = httpx.post(base + url, json=body, headers=headers, timeout=30)
            code = retry.json().get("code") if retry.headers["content-type"] == "application/problem+json" else None
            seen.append((retry.status_code, code))
            if code != "idempotency_request_in_progress":
                break
            assert 1 <= int(retry.headers["retry-after"]) <= LEASE_SECONDS
            assert time.monotonic() < deadline, f"still in progress after the lease: {seen}"
            time.sleep(0.5)
        assert (retry.status_code, code) == (final_status, final_code), seen
        if (call, crash_at) == (REPAY, "idempotency.after_effect"):
            # The answer committed with the repayment: the very first retry replays it, no lease to wait out.
            assert seen == [(201, None)] and retry.headers.get("idempotent-replayed") == "true"
        if final_status == 201 and call == REPAY:
            assert retry.json()["amount"]["amount"] == AMOUNT
        if final_status == 201 and call == BOOK:
            assert retry.json()["borrower_id"] == "brw_booked"
        # Stable from now on: the same answer again, and nothing posted again.
        again = httpx.post(base + url, json=body, headers=headers, timeout=30)
        assert again.status_code == final_status and again.headers.get("idempotent-replayed") == "true"
        assert again.content == retry.content

    check = bootstrap(settings)
    try:
        with check.engine.connect() as conn:
            postings = conn.execute(
                sa.select(sa.func.count()).select_from(loan_repayment).where(loan_repayment.c.loan_id == loan)
            ).scalar_one()
        if call == REPAY:
            assert postings == 1
            paid = Money.of("10000", "CNY") - check.lending.loan_facts(loan).outstanding_principal
            assert Money.zero("CNY") < paid <= Money.of(AMOUNT, "CNY")
        else:
            assert postings == 0
            assert len(check.lending.loans_of_borrower("brw_booked")) == 1
        # What `fairlend verify` runs (tests/test_cli.py runs the command itself): the ledger, the
        # cached balances, the stored answers' seals - nothing out of place.
        assert check.verify() == []
    finally:
        check.close()
