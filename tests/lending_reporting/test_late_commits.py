"""End-of-day does not close a day's reporting file past an event whose transaction is still open.

A repayment (any lending change) that began before end-of-day may commit while
the day closes. End-of-day waits for it, bounded; past the bound the event goes
in the next day's file: late, never lost, never reported twice. On SQLite the
open writer holds the write lock, so end-of-day cannot even begin meanwhile.
"""

from __future__ import annotations

import json
import threading
import time
from datetime import date, timedelta
from decimal import Decimal

import pytest

from fairlend.bootstrap import Container, bootstrap
from fairlend.clock import FixedClock
from fairlend.config import Settings
from fairlend.lending.eod import EodRunResult
from fairlend.lending.events import LoanDisbursed
from fairlend.lending_reporting.service import reporting_file
from fairlend.money import Money

pytestmark = pytest.mark.backends("postgresql")


def _disbursed(loan_id: str, day: date) -> LoanDisbursed:
    return LoanDisbursed(
        loan_id,
        "brw_1",
        "std12",
        "CNY",
        Money(1_000_000, "CNY"),
        12,
        "monthly",
        day,
        day + timedelta(days=30),
        day + timedelta(days=365),
        Money(91_680, "CNY"),
        Decimal("0.18"),
        day,
    )


def _opened(container: Container, day: date) -> list[str]:
    content = reporting_file(container.uow, day) or ""
    ids = [json.loads(line)["record_id"] for line in content.splitlines()]
    return [i for i in ids if i.endswith(":opened")]


def test_end_of_day_waits_for_an_older_open_transaction_and_its_event_is_in_the_days_file(
    container: Container, clock: FixedClock
) -> None:
    day = clock.business_date()
    with container.uow() as uow:
        uow.publish(_disbursed("loan_late", day))
        done: list[EodRunResult] = []
        closing = threading.Thread(target=lambda: done.append(container.eod.run_day(day)))
        closing.start()
        time.sleep(0.5)
        assert closing.is_alive() and done == []  # waiting for the open transaction, not closing without it
        uow.commit()
    closing.join(timeout=30)
    (result,) = done
    assert result.outcome == "done" and result.counts["settle"] == 0
    assert _opened(container, day) == ["loan_late:opened"]


def test_past_the_settle_timeout_the_day_closes_and_the_late_event_goes_in_the_next_file_once(
    settings: Settings, clock: FixedClock
) -> None:
    container = bootstrap(settings.model_copy(update={"eod_settle_seconds": 0.3}), clock=clock)
    try:
        day = clock.business_date()
        with container.uow() as uow:
            uow.publish(_disbursed("loan_early", day))
            uow.commit()
        with container.uow() as late:
            late.publish(_disbursed("loan_late", day))
            started = time.monotonic()
            result = container.eod.run_day(day)
            assert time.monotonic() - started >= 0.3
            assert result.outcome == "done" and result.counts["settle"] == 1
            late.commit()
        assert _opened(container, day) == ["loan_early:opened"]
        container.eod.run_day(day + timedelta(days=1))
        assert _opened(container, day + timedelta(days=1)) == ["loan_late:opened"]
        container.eod.run_day(day + timedelta(days=2))
        assert _opened(container, day + timedelta(days=2)) == []
    finally:
        container.close()
