"""End-of-day: ordered steps, one transaction per date, idempotent, catching up, failing cleanly."""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from fairlend.bootstrap import Container, bootstrap
from fairlend.clock import FixedClock
from fairlend.config import Settings
from fairlend.db.uow import UnitOfWork
from fairlend.errors import Invalid
from fairlend.ledger.model import AccountType
from fairlend.lending.eod import EndOfDay, EodRunResult
from fairlend.lending.model import Product
from fairlend.lending.tables import eod_run, loan, loan_delinquency_transition, loan_installment
from tests.lending.helpers import balance, cny, eod_through, events

SNAPSHOT_TABLES = (
    "loan",
    "loan_installment",
    "ledger_account",
    "ledger_posting",
    "outbox",
    "loan_delinquency_transition",
)


def snapshot(container: Container) -> dict[str, list[Any]]:
    with container.engine.connect() as conn:
        return {
            t: sorted(tuple(map(str, row)) for row in conn.execute(sa.text(f"SELECT * FROM {t}")))
            for t in SNAPSHOT_TABLES
        }


class CountingStep:
    def __init__(self, name: str, log: list[str], fail_on: date | None = None) -> None:
        self.name = name
        self.log = log
        self.fail_on = fail_on

    def run(self, uow: UnitOfWork, business_date: date) -> int:
        if business_date == self.fail_on:
            self.fail_on = None  # fails once, like a dropped connection
            raise RuntimeError("the bureau step broke")
        self.log.append(f"{self.name}:{business_date}")
        return 1


def test_end_of_day_moves_the_business_date_and_records_each_run(
    container: Container, clock: FixedClock, cash12: Product
) -> None:
    container.lending.book_loan("brw_a", "cash-12", cny("10000"))
    results = container.eod.run(through=date(2026, 3, 4))
    assert [r.business_date for r in results] == [date(2026, 3, 2), date(2026, 3, 3), date(2026, 3, 4)]
    assert clock.business_date() == date(2026, 3, 5)
    assert container.eod.business_date() == date(2026, 3, 5)
    runs = container.eod.runs()
    assert [r.outcome for r in runs] == ["done"] * 3
    assert runs[0].counts["accrual"] == 1
    assert list(runs[0].counts)[:7] == [
        "settle",
        "penalty",
        "accrual",
        "billing",
        "late_fees",
        "days_past_due",
        "buckets",
    ]
    assert runs[0].counts["settle"] == 0  # no older transaction was open


def test_rerunning_a_closed_date_changes_nothing(container: Container, clock: FixedClock, cash12: Product) -> None:
    container.lending.book_loan("brw_a", "cash-12", cny("10000"))
    eod_through(container, clock, date(2026, 4, 5))
    before = snapshot(container)
    again = container.eod.run_day(date(2026, 4, 5))
    assert again.outcome == "skipped"
    assert container.eod.run(through=date(2026, 4, 4)) == []
    assert snapshot(container) == before
    # The steps are idempotent by their data too: running them again for the closed date moves nothing.
    with container.uow() as uow:
        for step in container.eod.steps:
            if step.name != "reminders":
                step.run(uow, date(2026, 4, 5))
        uow.commit()
    assert snapshot(container) == before


def test_skipped_days_are_caught_up_one_at_a_time(container: Container, clock: FixedClock, cash12: Product) -> None:
    day_by_day = container.lending.book_loan("brw_a", "cash-12", cny("10000"))
    log: list[str] = []
    container.eod.register(CountingStep("bureau", log))
    container.eod.run(through=date(2026, 4, 12))
    assert len(log) == (date(2026, 4, 12) - date(2026, 3, 2)).days + 1
    assert log[0] == "bureau:2026-03-02" and log[-1] == "bureau:2026-04-12"
    facts = container.lending.loan_facts(day_by_day)
    assert facts.days_past_due == 11  # due April 2, unpaid
    assert balance(container, AccountType.PENALTY_RECEIVABLE) == 38 * 10  # ten days of 0.38
    assert balance(container, AccountType.FEE_RECEIVABLE) == 5_000  # the late fee, once


def test_a_failure_mid_run_leaves_the_date_not_done_and_nothing_written(
    container: Container, clock: FixedClock, cash12: Product
) -> None:
    container.lending.book_loan("brw_a", "cash-12", cny("10000"))
    eod_through(container, clock, date(2026, 4, 1))
    log: list[str] = []
    container.eod.register(CountingStep("bureau", log, fail_on=date(2026, 4, 2)))
    before = snapshot(container)
    with pytest.raises(RuntimeError):
        container.eod.run(through=date(2026, 4, 3))
    assert snapshot(container) == before  # lending's steps ran before the failure and were rolled back
    assert clock.business_date() == date(2026, 4, 2)
    assert not container.eod.is_done(date(2026, 4, 2))
    failed = container.eod.runs()[0]
    assert (failed.outcome, failed.business_date) == ("failed", date(2026, 4, 2))
    assert "the bureau step broke" in failed.error
    results = container.eod.run(through=date(2026, 4, 3))
    assert [r.outcome for r in results] == ["done", "done"]
    assert log == ["bureau:2026-04-02", "bureau:2026-04-03"]
    assert container.verify() == []


class HoldingStep:
    """Keeps the day's transaction open (its loans locked, its journal posted) until told to finish."""

    name = "holding"

    def __init__(self) -> None:
        self.reached = threading.Event()
        self.release = threading.Event()

    def run(self, uow: UnitOfWork, business_date: date) -> int:
        self.reached.set()
        self.release.wait(timeout=30)
        return 0


def test_two_end_of_day_runs_of_one_date_at_once_close_it_once_and_post_its_journal_once(
    container: Container, clock: FixedClock, cash12: Product, settings: Settings
) -> None:
    # Overdue loans, so the day has penalty and accrual to post.
    for i in range(20):
        container.lending.book_loan(f"brw_{i}", "cash-12", cny("10000"), open_date=date(2026, 1, 15))
    today = clock.business_date()
    holding = HoldingStep()
    container.eod.register(holding)
    # A second process: its own engine and clock, lending's steps only.
    other_clock = FixedClock(datetime(2026, 3, 2, 2, 0).astimezone(), today)
    other = bootstrap(settings, clock=other_clock)
    other.eod = EndOfDay(other.uow, other.ledger, other.profile, other.clock)
    results: list[EodRunResult] = []
    failures: list[BaseException] = []

    def run(eod: EndOfDay) -> None:
        try:
            results.append(eod.run_day(today))
        except BaseException as exc:  # asserted below
            failures.append(exc)

    first = threading.Thread(target=run, args=(container.eod,))
    second = threading.Thread(target=run, args=(other.eod,))
    first.start()
    assert holding.reached.wait(timeout=30)
    second.start()
    second.join(timeout=1.0)  # long enough for it to read the day's totals and queue behind the first
    holding.release.set()
    first.join(timeout=60)
    second.join(timeout=60)
    other.close()
    assert failures == []
    assert sorted(r.outcome for r in results) == ["done", "skipped"]
    with container.engine.connect() as conn:
        done = conn.execute(sa.select(eod_run.c.business_date).where(eod_run.c.outcome == "done")).scalars().all()
    assert done == [today]
    assert container.eod.business_date() == today + timedelta(days=1)
    assert balance(container, AccountType.PENALTY_RECEIVABLE) > 0
    assert container.verify() == []


def test_registered_steps_run_after_lendings_in_order_and_after_day_work_follows_the_commit(
    container: Container, clock: FixedClock
) -> None:
    log: list[str] = []
    container.eod.register(CountingStep("first", log))
    container.eod.register(CountingStep("second", log))
    with pytest.raises(Invalid):
        container.eod.register(CountingStep("accrual", log))

    def submit(d: date) -> int:
        log.append(f"after:{d}:{container.eod.is_done(d)}")
        return 7

    container.eod.register_after_day("bureau_file", submit)
    (result,) = container.eod.run()
    assert log == ["first:2026-03-02", "second:2026-03-02", "after:2026-03-02:True"]
    assert result.counts["after:bureau_file"] == 7
    assert container.eod.step_names()[-3:] == ["first", "second", "after:bureau_file"]


def test_buckets_change_with_a_history_row_per_transition_not_per_day(
    container: Container, clock: FixedClock, cash12: Product
) -> None:
    loan_id = container.lending.book_loan("brw_a", "cash-12", cny("10000"))
    eod_through(container, clock, date(2026, 6, 5))
    with container.engine.connect() as conn:
        rows = conn.execute(
            sa.select(
                loan_delinquency_transition.c.from_bucket,
                loan_delinquency_transition.c.to_bucket,
                loan_delinquency_transition.c.business_date,
            ).order_by(loan_delinquency_transition.c.business_date)
        ).all()
    assert [(r[0], r[1]) for r in rows] == [("current", "M1"), ("M1", "M2"), ("M2", "M3")]
    assert rows[0][2] == date(2026, 4, 2) and rows[1][2] == date(2026, 5, 2)
    facts = container.lending.loan_facts(loan_id)
    assert (facts.days_past_due, facts.bucket) == (65, "M3")
    changed = events(container, "lending.LoanDelinquencyChanged")
    assert [c["bucket"] for c in changed] == ["M1", "M2", "M3"]
    assert all(c["first_delinquency_date"] == "2026-04-03" for c in changed)
    assert container.verify() == []


def test_grace_days_delay_lateness_but_count_from_the_due_date(container: Container, clock: FixedClock) -> None:
    from tests.lending.conftest import product

    container.lending.products.define(product(code="grace", grace_days=3))
    loan_id = container.lending.book_loan("brw_a", "grace", cny("10000"))
    eod_through(container, clock, date(2026, 4, 4))
    assert container.lending.loan_facts(loan_id).days_past_due == 0
    eod_through(container, clock, date(2026, 4, 5))
    assert container.lending.loan_facts(loan_id).days_past_due == 4


def test_month_end_announces_every_active_loan_and_reminders_count_installments_due_in_three_days(
    container: Container, clock: FixedClock, cash12: Product
) -> None:
    first = container.lending.book_loan("brw_a", "cash-12", cny("10000"))
    container.lending.book_loan("brw_b", "cash-12", cny("5000"))
    results = container.eod.run(through=date(2026, 3, 31))
    month_end = events(container, "lending.LoanMonthEnd")
    assert len(month_end) == 2 and {e["business_date"] for e in month_end} == {"2026-03-31"}
    assert results[-1].counts["month_end"] == 2
    by_date = {r.business_date: r.counts["reminders"] for r in results}
    assert by_date[date(2026, 3, 29)] == 2  # due April 2, three days after March 30
    assert sum(by_date.values()) == 2
    reminders = container.lending.due_soon(date(2026, 4, 2))
    assert {r.loan_id for r in reminders} >= {first} and reminders[0].amount.minor > 0


def test_bootstrap_takes_the_business_date_from_the_database(
    container: Container, clock: FixedClock, settings: Settings
) -> None:
    container.eod.run(through=date(2026, 3, 9))
    fresh_clock = FixedClock(datetime(2026, 3, 2, 2, 0).astimezone(), date(2026, 3, 2))
    other = bootstrap(settings, clock=fresh_clock)
    assert fresh_clock.business_date() == date(2026, 3, 10)
    other.close()


def test_end_of_day_is_set_based_not_a_loop_over_loans(
    container: Container, clock: FixedClock, cash12: Product
) -> None:
    statements: list[str] = []
    sa.event.listen(container.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))

    def statements_for_one_day() -> int:
        statements.clear()
        container.eod.run()
        return len(statements)

    for i in range(5):
        container.lending.book_loan(f"brw_{i}", "cash-12", cny("1000"))
    few = statements_for_one_day()
    for i in range(5, 60):
        container.lending.book_loan(f"brw_{i}", "cash-12", cny("1000"))
    many = statements_for_one_day()
    assert many <= few  # twelve times the loans, no more statements (the first day also inserts the date)
    with container.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.sum(loan.c.accrued_interest))).scalar() > 0
        assert conn.execute(sa.select(sa.func.count()).select_from(loan_installment)).scalar() == 720
