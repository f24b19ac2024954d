"""Closed months read from their sums (ledger/summaries.py): the same statements as from every posting."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from fairlend.bootstrap import Container
from fairlend.ledger import periods, reports, summaries
from fairlend.ledger.model import AccountKey, AccountType, Posting, entry
from fairlend.money import Money

ACCOUNTS = (
    AccountKey(AccountType.PLATFORM_CASH, "CNY"),
    AccountKey(AccountType.LOAN_PRINCIPAL, "CNY"),
    AccountKey(AccountType.INTEREST_INCOME, "CNY"),
    AccountKey(AccountType.INVESTOR_CASH, "CNY", "inv_a"),
    AccountKey(AccountType.INVESTOR_CASH, "CNY", "inv_b"),
    AccountKey(AccountType.PLATFORM_CASH, "USD"),
    AccountKey(AccountType.FEE_INCOME, "USD"),
)
KINDS = ("repayment", "disbursement", "accrual", "fee")
CASH = (AccountType.PLATFORM_CASH, AccountType.INVESTOR_CASH)
MONTHS = [(date(2026, m, 1), date(2026, m + 1, 1) - timedelta(days=1)) for m in range(1, 6)]  # Jan .. May


def _post_days(container: Container, rng: random.Random, days: list[date]) -> None:
    with container.uow() as uow:
        for day in days:
            for _ in range(rng.randint(1, 3)):
                cur = rng.choice(("CNY", "USD"))
                dr, cr = rng.sample([a for a in ACCOUNTS if a.currency == cur], 2)
                amount = rng.randint(1, 50_000)
                container.ledger.post(
                    uow,
                    entry(
                        day,
                        rng.choice(KINDS),
                        Posting(dr, Money(amount, cur)),
                        Posting(cr, Money(-amount, cur)),
                    ),
                )
        uow.commit()


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def _close(container: Container, start: date, end: date) -> None:
    """What finance's close does to the journal: lock the month and sum it, in one transaction."""
    with container.uow() as uow:
        periods.lock_through(uow.conn, end)
        summaries.summarize(uow.conn, start, end)
        uow.commit()


PERIODS = [
    (None, date(2026, 5, 31)),  # from the first day
    (None, date(2026, 2, 14)),  # from the first day to the middle of a closed month
    (date(2026, 1, 1), date(2026, 12, 31)),  # the year
    (date(2026, 2, 1), date(2026, 2, 28)),  # one closed month
    (date(2026, 2, 10), date(2026, 3, 20)),  # across a month's end, both months partly
    (date(2026, 2, 1), date(2026, 4, 30)),  # a quarter, closed and open months
    (date(2026, 3, 1), date(2026, 3, 31)),
    (date(2026, 4, 5), date(2026, 5, 31)),  # open months only
    (date(2026, 3, 31), date(2026, 3, 31)),  # a closed month's last day
]


def _read(container: Container) -> list[object]:
    with container.uow(read_only=True) as uow:
        return [
            (reports.activity(uow.conn, start, end), reports.kind_movements(uow.conn, CASH, start, end))
            for start, end in PERIODS
        ]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_statements_over_closed_months_read_the_same_as_from_every_posting(container: Container, seed: int) -> None:
    rng = random.Random(seed)
    for start, end in MONTHS[:3]:  # January .. March posted
        _post_days(container, rng, _days(start, end))
    _close(container, *MONTHS[0])
    _close(container, *MONTHS[1])
    _close(container, *MONTHS[2])
    for start, end in MONTHS[3:]:  # April and May posted after March was locked
        _post_days(container, rng, _days(start, end))
    with container.uow(read_only=True) as uow:
        assert [m.end for m in summaries.closed_months(uow.conn)] == [end for _, end in MONTHS[:3]]
    summed = _read(container)
    with container.engine.begin() as conn:  # the sums forgotten: every figure read from the postings
        summaries.drop_after(conn, None)
    assert _read(container) == summed
    assert container.verify() == []


def test_a_closed_month_is_read_from_its_sums_and_verify_finds_a_sum_that_drifted(container: Container) -> None:
    _post_days(container, random.Random(5), _days(*MONTHS[0]))
    _close(container, *MONTHS[0])
    january = (date(2026, 1, 1), date(2026, 1, 31))
    with container.uow(read_only=True) as uow:
        before = {a.key: a.debits for a in reports.activity(uow.conn, *january)}
    with container.engine.begin() as conn:
        conn.execute(sa.text("UPDATE ledger_month_activity SET debits = debits + 7"))
    with container.uow(read_only=True) as uow:
        after = {a.key: a.debits for a in reports.activity(uow.conn, *january)}
    assert after != before and all(after[k] - before[k] in (0, 7, 14, 21, 28) for k in before)
    found = container.verify()
    assert found and {d.check for d in found} == {"month_summary"}


def test_reopening_forgets_the_sums_and_a_month_the_lock_no_longer_covers_is_read_from_its_postings(
    container: Container,
) -> None:
    rng = random.Random(9)
    _post_days(container, rng, _days(*MONTHS[0]))
    _close(container, *MONTHS[0])
    with container.engine.begin() as conn:  # the lock moved back by hand, the sums left behind
        periods.lock_through(conn, None)
    _post_days(container, rng, [date(2026, 1, 15)])  # January changes
    with container.uow(read_only=True) as uow:
        assert summaries.closed_months(uow.conn) == []
        read = reports.activity(uow.conn, date(2026, 1, 1), date(2026, 1, 31))
    with container.engine.begin() as conn:
        summaries.drop_after(conn, None)
        assert conn.execute(sa.text("SELECT count(*) FROM ledger_month_activity")).scalar() == 0
    with container.uow(read_only=True) as uow:
        assert reports.activity(uow.conn, date(2026, 1, 1), date(2026, 1, 31)) == read
    assert container.verify() == []


def test_uncovered_days_are_the_ranges_between_the_summed_months() -> None:
    jan, feb, apr = (summaries.Span(*MONTHS[i]) for i in (0, 1, 3))
    assert summaries.uncovered(date(2026, 5, 31), []) == [(None, date(2026, 5, 31))]
    assert summaries.uncovered(date(2026, 5, 31), [feb, jan, apr]) == [
        (None, date(2025, 12, 31)),
        (date(2026, 3, 1), date(2026, 3, 31)),
        (date(2026, 5, 1), date(2026, 5, 31)),
    ]
    assert summaries.uncovered(date(2026, 2, 28), [jan, feb]) == [(None, date(2025, 12, 31))]
    assert summaries.joined([jan, feb, apr]) == [summaries.Span(date(2026, 1, 1), date(2026, 2, 28)), apr]
