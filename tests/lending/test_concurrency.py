"""Repayments from many clients at once, while end-of-day runs: no lost update, no deadlock, a clean verify."""

from __future__ import annotations

import random
import threading
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

from fairlend.bootstrap import Container, bootstrap
from fairlend.clock import FixedClock
from fairlend.config import Settings
from fairlend.ledger.model import AccountType
from fairlend.lending.eod import EndOfDay
from fairlend.lending.model import Product
from fairlend.lending.tables import loan_repayment
from tests.lending.helpers import balance, cny, eod_through, events


def test_concurrent_repayments_and_end_of_day_lose_nothing(
    container: Container, clock: FixedClock, cash12: Product
) -> None:
    loans = [container.lending.book_loan(f"brw_{i}", "cash-12", cny("10000")) for i in range(3)]
    eod_through(container, clock, date(2026, 4, 1))
    cash_before = balance(container, AccountType.PLATFORM_CASH)
    failures: list[BaseException] = []

    def client(seed: int) -> None:
        rng = random.Random(seed)
        try:
            for _ in range(8):
                container.lending.repay(rng.choice(loans), cny("10"))
        except BaseException as exc:  # collected and asserted below
            failures.append(exc)

    def end_of_day() -> None:
        try:
            container.eod.run()
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(4)] + [threading.Thread(target=end_of_day)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert failures == []
    assert balance(container, AccountType.PLATFORM_CASH) - cash_before == 32 * 1_000
    assert len(events(container, "lending.RepaymentPosted")) == 32
    assert container.eod.is_done(date(2026, 4, 2))
    assert container.verify() == []


def test_a_repayment_that_reaches_the_loan_after_end_of_day_closed_its_date_is_dated_the_next_one(
    container: Container, clock: FixedClock, cash12: Product, settings: Settings
) -> None:
    # A server's clock re-reads the stored date once a second (and a unit of work reads it once, before
    # it waits for the loan's lock): for that moment it still says the date end-of-day has just closed.
    today = clock.business_date()
    stale, fresh = (container.lending.book_loan(f"brw_{n}", "cash-12", cny("10000")) for n in ("stale", "fresh"))
    other = bootstrap(settings, clock=FixedClock(datetime(2026, 3, 2, 2, 0, tzinfo=UTC), today))
    other.eod = EndOfDay(other.uow, other.ledger, other.profile, other.clock)
    other.eod.run_day(today)
    assert clock.business_date() == today  # this process has not seen it yet

    late = container.lending.repay(stale, cny("5000"), reference="late")  # a prepayment, with interest accrued
    on_time = other.lending.repay(fresh, cny("5000"), reference="on time")
    other.eod.run_day(today + timedelta(days=1))
    other.close()

    with container.engine.connect() as conn:
        dated = dict(conn.execute(sa.select(loan_repayment.c.reference, loan_repayment.c.business_date)).all())
    assert dated == {"late": today + timedelta(days=1), "on time": today + timedelta(days=1)}
    assert late.interest_paid == on_time.interest_paid
    # Interest for the day that had closed is paid once, not accrued again on the new balance.
    stale_facts, fresh_facts = container.lending.loan_detail(stale), container.lending.loan_detail(fresh)
    assert stale_facts.accrued_interest == fresh_facts.accrued_interest
    assert container.verify() == []
