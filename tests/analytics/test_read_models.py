"""The read models analytics_0002 and analytics_0003 added: each is what the live statement computes, stored once past.

- every stored month-end knows each loan's status at the month-end before (`prev_status`), so the
  roll rates are one read; the first month-end written has nothing before it and is read as before;
- the default dates on or before a stored month-end are stored, each lending's own (the oracle's);
- contact attempts per calendar month, written the day after the month's end, and the page's
  counts the same from them as from the log for ranges starting and ending inside months;
- each loan's facts (analytics_0003) are the published ones, moved on by end-of-day as the backfill
  writes them, and the loans opened and closings dated after the stored day come live.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import delete, select, update

from fairlend.analytics import loans, sources
from fairlend.analytics.model import Filter
from fairlend.analytics.tables import (
    analytics_attempt_month,
    analytics_attempt_snapshot,
    analytics_loan,
    analytics_loan_default,
    analytics_loan_month,
    analytics_loan_snapshot,
    analytics_snapshot_month,
)
from fairlend.bootstrap import Container
from fairlend.clock import FixedClock
from fairlend.sim.simulate import SimConfig, simulate
from fairlend.sim.timing import Timer
from tests.analytics.book import Oracle, build_book
from tests.analytics.test_snapshot import DAYS, MONTH_ENDS
from tests.finance.conftest import finance_only


@pytest.fixture
def book(container: Container, clock: FixedClock) -> tuple[Container, Oracle]:
    finance_only(container).eod.register(container.analytics.month_end_step())
    return container, build_book(container, clock, DAYS)


def test_each_stored_month_end_knows_every_loans_status_at_the_month_end_before(
    book: tuple[Container, Oracle],
) -> None:
    container, oracle = book
    t, m = analytics_loan_month, analytics_snapshot_month
    with container.engine.connect() as conn:
        rows = conn.execute(select(t.c.month_end, t.c.loan_id, t.c.status, t.c.prev_status)).all()
        rolls = dict(conn.execute(select(m.c.month_end, m.c.rolls)).all())
    assert rolls == {d: d != MONTH_ENDS[0] for d in MONTH_ENDS}  # the first has no month-end before it
    status = {(d, loan): s for d, loan, s, _ in rows}
    checked = 0
    for month_end, loan, _, prev in rows:
        before = month_end.replace(day=1) - timedelta(days=1)
        if month_end == MONTH_ENDS[0]:
            assert prev is None
            continue
        assert prev == status.get((before, loan)), (month_end, loan)
        assert prev is None or prev == oracle.snapshots[f"{before:%Y-%m}"][loan][0]
        checked += prev is not None
    assert checked >= 10, "few loans carried from one month-end to the next: a weak test"


def test_the_default_dates_on_or_before_a_stored_month_end_are_stored_and_are_lendings_own(
    book: tuple[Container, Oracle],
) -> None:
    container, oracle = book
    d = analytics_loan_default
    with container.engine.connect() as conn:
        stored = dict(conn.execute(select(d.c.loan_id, d.c.default_on)).all())
    expected = {
        loan: oracle.default_on(loan)
        for loan in oracle.opened
        if (day := oracle.default_on(loan)) is not None and day <= MONTH_ENDS[-1]
    }
    assert expected, "no loan defaulted by the last month-end: a weak test"
    assert stored == expected
    # A default after the last stored month-end is computed live, and the page agrees with the all-live one.
    flt = Filter(oracle.start, oracle.end)
    assert container.analytics.portfolio(flt) == container.analytics.portfolio(flt, live=True)
    container.analytics.backfill()
    with container.engine.connect() as conn:
        assert dict(conn.execute(select(d.c.loan_id, d.c.default_on)).all()) == stored


@pytest.mark.slow
def test_contact_attempts_are_stored_per_month_the_day_after_it_and_count_as_the_log_does(
    container: Container,
) -> None:
    simulate(container, SimConfig(borrowers=14, investors=2, days=70, seed=5), timer=Timer())
    end = container.clock.business_date()
    first = end - timedelta(days=70)
    a, s = analytics_attempt_month, analytics_attempt_snapshot
    with container.engine.connect() as conn:
        written = dict(conn.execute(select(s.c.month_end, s.c.attempts)).all())
        sums: dict[date, int] = {}
        for month_end, n in conn.execute(select(a.c.month_end, a.c.attempts)).all():
            sums[month_end] = sums.get(month_end, 0) + int(n)
    closed = [d for d in (first + timedelta(days=n) for n in range(70)) if (d + timedelta(days=1)).day == 1]
    # Written by the end-of-day of the day after the month's end: a month ending on the last simulated day is not.
    assert sorted(written) == [d for d in closed if d + timedelta(days=1) < end]
    assert written and sum(written.values()) > 0, "no attempt in a stored month: a weak test"
    assert {d: n for d, n in written.items() if n} == sums
    whole = container.analytics.portfolio(Filter(first, end), live=True)
    assert whole.blocked, "no attempt was blocked: the rule split goes untested"
    for start, stop in ((first, end), (first + timedelta(days=17), end - timedelta(days=9)), (first, closed[-1])):
        flt = Filter(start, stop)
        assert container.analytics.portfolio(flt) == container.analytics.portfolio(flt, live=True), flt


def _loan_rows(container: Container) -> dict[str, tuple[Any, ...]]:
    s = analytics_loan
    with container.engine.connect() as conn:
        rows = conn.execute(select(s.c.loan_id, s.c.grade, s.c.score, s.c.open_date, s.c.currency, s.c.closed_on))
        return {str(r[0]): tuple(r[1:]) for r in rows}


def test_end_of_day_keeps_each_loans_facts_as_the_published_ones_and_the_page_reads_them_as_the_live_one(
    book: tuple[Container, Oracle],
) -> None:
    container, oracle = book
    with container.engine.connect() as conn:
        through = loans.stored_through(conn)
        published = sources.loans().subquery("p")
        live = {
            str(r[0]): tuple(r[1:])
            for r in conn.execute(
                select(
                    published.c.loan_id,
                    published.c.grade,
                    published.c.score,
                    published.c.open_date,
                    published.c.currency,
                    published.c.closed_on,
                )
            )
        }
    assert through is not None and through >= MONTH_ENDS[-1]
    stored = _loan_rows(container)
    assert stored == {loan: facts for loan, facts in live.items() if facts[2] <= through}
    assert set(stored) == {loan for loan, day in oracle.opened.items() if day <= through}
    # Lending's own charge-offs, each dated after the loan was first stored: end-of-day's update, not a rewrite.
    charged = {loan: facts[4] for loan, facts in stored.items() if facts[4] is not None}
    assert charged and charged == {loan: day for loan, day in oracle.charged_on.items() if day <= through}
    assert all(day > oracle.opened[loan] for loan, day in charged.items())
    # Stored as of an earlier day: the loans opened and the closings dated since come live, and agree.
    earlier = min(max(oracle.opened.values()), min(charged.values())) - timedelta(days=1)
    s, snap = analytics_loan, analytics_loan_snapshot
    with container.engine.begin() as conn:
        conn.execute(delete(s).where(s.c.open_date > earlier))
        conn.execute(update(s).where(s.c.closed_on > earlier).values(closed_on=None))
        conn.execute(update(snap).values(through=earlier))
    assert any(day > earlier for day in oracle.opened.values()) and any(d > earlier for d in charged.values())
    for flt in (Filter(oracle.start, oracle.end), Filter(oracle.start, oracle.end, "A"), Filter(earlier, oracle.end)):
        assert container.analytics.portfolio(flt) == container.analytics.portfolio(flt, live=True), flt
    # End-of-day moves it on to the same rows the backfill writes from scratch.
    with container.uow() as uow:
        loans.refresh(uow, through)
        uow.commit()
    assert _loan_rows(container) == stored
    container.analytics.backfill()
    assert {k: v for k, v in _loan_rows(container).items() if v[2] <= through} == stored
