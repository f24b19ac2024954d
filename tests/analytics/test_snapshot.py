"""The month-end snapshot: what end-of-day stores is what the live statements compute, and re-writing it changes nothing.

Two books on each backend: the hand-built one (tests/analytics/book.py: ten
loans, six month-ends, every kind of loan life, an oracle of lending's own
facts) and a small simulated market (graded offers, investors, collectors).
The page reads stored month-ends where they were written and computes the
rest live; `portfolio(flt, live=True)` computes everything live, and the two
must agree for every range and grade, including ranges starting or ending
inside a month.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import delete, select

from fairlend.analytics.model import CHARGED_OFF, SETTLED, Filter
from fairlend.analytics.tables import analytics_loan_month, analytics_snapshot_month
from fairlend.bootstrap import Container
from fairlend.clock import FixedClock
from fairlend.errors import Invalid
from fairlend.sim.simulate import SimConfig, simulate
from fairlend.sim.timing import Timer
from tests.analytics.book import Oracle, build_book
from tests.finance.conftest import finance_only

DAYS = 185  # through 2 September: August's month-end holds the charge-offs (late July, August)
MONTH_ENDS = [date(2026, 3, 31), date(2026, 4, 30), date(2026, 5, 31), date(2026, 6, 30), date(2026, 7, 31)]
MONTH_ENDS += [date(2026, 8, 31)]


def _stored(container: Container) -> tuple[list[dict[str, Any]], list[tuple[date, int]]]:
    """Every stored loan-month row, and every month-end written with its count of rows."""
    t, m = analytics_loan_month, analytics_snapshot_month
    with container.engine.connect() as conn:
        rows = conn.execute(select(t).order_by(t.c.month_end, t.c.borrower_id, t.c.loan_id)).all()
        months = conn.execute(select(m.c.month_end, m.c.loans).order_by(m.c.month_end)).all()
    return [dict(r._mapping) for r in rows], [(d, int(n)) for d, n in months]


def _forget(container: Container) -> None:
    with container.engine.begin() as conn:
        conn.execute(delete(analytics_loan_month))
        conn.execute(delete(analytics_snapshot_month))


def _ranges(start: date, end: date) -> list[Filter]:
    """The whole book, one starting mid-month, ones ending mid-month (in April, loans opened since the stored
    month-end), one ending on a month-end, one month."""
    return [
        Filter(start, end),
        Filter(start, date(2026, 4, 20)),
        Filter(start + timedelta(days=40), end),
        Filter(start, date(2026, 6, 10)),
        Filter(start, date(2026, 7, 31)),
        Filter(date(2026, 5, 1), date(2026, 5, 31)),
    ]


@pytest.fixture
def book(container: Container, clock: FixedClock) -> tuple[Container, Oracle]:
    finance_only(container).eod.register(container.analytics.month_end_step())
    return container, build_book(container, clock, DAYS)


def test_end_of_day_stores_each_month_end_as_lendings_own_facts_and_the_live_figures_give_it(
    book: tuple[Container, Oracle],
) -> None:
    container, oracle = book
    rows, months = _stored(container)
    assert [m for m, _ in months] == MONTH_ENDS  # each month's last day, and no other day
    buckets = container.analytics.portfolio(Filter(oracle.start, oracle.end)).buckets
    for month_end in MONTH_ENDS:
        stored = {r["loan_id"]: (r["status"], r["outstanding"]) for r in rows if r["month_end"] == month_end}
        noted = oracle.snapshots[f"{month_end:%Y-%m}"]
        on_book = {loan: v for loan, v in noted.items() if v[0] in buckets}
        assert {loan: v for loan, v in stored.items() if v[0] in buckets} == on_book
        # Left the book: stored in the month it left (a roll's destination), never after.
        for loan, (status, _) in stored.items():
            if status in (SETTLED, CHARGED_OFF):
                before = oracle.snapshots.get(f"{month_end - timedelta(days=month_end.day):%Y-%m}", {})
                assert before.get(loan, ("", 0))[0] not in (SETTLED, CHARGED_OFF), (month_end, loan)
        assert dict(months)[month_end] == len(stored)
    statuses = {r["status"] for r in rows}
    assert {SETTLED, CHARGED_OFF} <= statuses and statuses - {SETTLED, CHARGED_OFF, buckets[0]}, "a weak book"

    for flt in _ranges(oracle.start, oracle.end):
        assert container.analytics.portfolio(flt) == container.analytics.portfolio(flt, live=True), flt


def test_a_backfill_rewrites_the_same_rows_end_of_day_wrote_and_again_on_a_re_run(
    book: tuple[Container, Oracle],
) -> None:
    container, oracle = book
    written = _stored(container)
    assert written[0], "end-of-day wrote nothing: a weak test"
    flt = Filter(oracle.start, oracle.end)
    read = container.analytics.portfolio(flt)

    _forget(container)
    assert _stored(container) == ([], [])
    assert container.analytics.portfolio(flt) == read  # nothing stored: every month live, the same figures
    done = container.analytics.backfill()
    assert [(m.month_end, m.loans) for m in done] == written[1]
    assert _stored(container) == written
    assert container.analytics.backfill() == done and _stored(container) == written
    # The day's step again for a month-end it already wrote: replaced by the same rows.
    with container.uow() as uow:
        assert container.analytics.month_end_step().run(uow, MONTH_ENDS[1]) == dict(written[1])[MONTH_ENDS[1]]
        assert container.analytics.month_end_step().run(uow, MONTH_ENDS[1] + timedelta(days=1)) == 0
        uow.commit()
    assert _stored(container) == written
    assert container.analytics.portfolio(flt) == read


def test_a_backfill_through_a_date_not_yet_closed_is_refused_and_writes_nothing(
    book: tuple[Container, Oracle],
) -> None:
    container, _ = book
    _forget(container)
    today = container.eod.business_date()
    with pytest.raises(Invalid) as refused:
        container.analytics.backfill(today)
    assert refused.value.code == "analytics_snapshot_open_date"
    assert _stored(container) == ([], [])
    assert [m.month_end for m in container.analytics.backfill(date(2026, 4, 30))] == MONTH_ENDS[:2]


@pytest.mark.slow
def test_on_a_simulated_market_the_stored_month_ends_give_the_live_figures_for_every_grade(
    container: Container,
) -> None:
    report = simulate(container, SimConfig(borrowers=12, investors=4, days=64, seed=11), timer=Timer())
    assert len(report.loans) >= 6
    rows, months = _stored(container)
    end = container.clock.business_date()  # the market ran up to the clock's date
    first = end - timedelta(days=64)
    days = [first + timedelta(days=n) for n in range(64)]
    assert [m for m, _ in months] == [d for d in days if (d + timedelta(days=1)).day == 1] and rows
    whole = container.analytics.portfolio(Filter(first, end), live=True)
    graded = {g.grade for g in whole.grade_months} - {""}
    assert graded, "the market graded no loan: the grade filter goes untested"
    absent = next(g for g in "ABCDEFG" if g not in graded)
    for start in (first, first + timedelta(days=20), months[-1][0] + timedelta(days=1)):
        for grade in (None, *sorted(graded), absent):
            flt = Filter(start, end, grade)
            assert container.analytics.portfolio(flt) == container.analytics.portfolio(flt, live=True), flt
