"""A year of a book's journal, and the year's statements: from every posting, and with its months closed.

Seeds the journal a book of N loans writes in a year, set-based: each loan's
disbursement, then every loan repaying once a month (an entry a repayment:
cash in, principal and interest out) and each day's accrual for the book (one
entry). At N = 1,000,000 that is 12 million entries and 35 million postings
(written straight into the journal's tables: the cached balances, which
statements never read, are not moved).
Then it times `FinancialStatements.for_period` over the year (the trial
balance, balance sheet, income statement and cash flow) twice: with every
month open, which sums every posting; and after the twelve months are closed
as finance's close does to the journal (locked and summed, `ledger.summaries`).
Issue #19's target: a year's statements of that book in under 2 s.

    .venv/bin/python -m bench.statements --loans 20000
    .venv/bin/python -m bench.statements --loans 1000000 --backends sqlite     # the issue's size

PostgreSQL: 127.0.0.1, user postgres, scratch database `fairlend_bench_statements`.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from bench.scratch import fresh_database, run_each_backend
from fairlend.bootstrap import Container, bootstrap
from fairlend.clock import FixedClock
from fairlend.config import Settings
from fairlend.db.migrate import upgrade
from fairlend.finance.model import Period
from fairlend.ledger import periods, summaries
from fairlend.ledger.model import AccountKey, AccountType, credit, debit, entry
from fairlend.ledger.service import account_id
from fairlend.money import Money

PG_DB = "fairlend_bench_statements"
YEAR = Period(date(2026, 1, 1), date(2026, 12, 31))
PRINCIPAL, INSTALMENT_PRINCIPAL, INSTALMENT_INTEREST = 1_200_000, 100_000, 12_000  # minor units a loan
CASH, LOANS = AccountKey(AccountType.PLATFORM_CASH, "CNY"), AccountKey(AccountType.LOAN_PRINCIPAL, "CNY")
RECEIVABLE = AccountKey(AccountType.INTEREST_RECEIVABLE, "CNY")
INCOME, CAPITAL = AccountKey(AccountType.INTEREST_INCOME, "CNY"), AccountKey(AccountType.PLATFORM_CAPITAL, "CNY")
CHUNK = 50_000  # loans a statement inserts


def _months() -> list[Period]:
    out = []
    for month in range(1, 13):
        start = date(2026, month, 1)
        end = (date(2026, month + 1, 1) if month < 12 else date(2027, 1, 1)) - timedelta(days=1)
        out.append(Period(start, end))
    return out


def seed_year(container: Container, n: int) -> tuple[int, int]:
    """The year's journal of n loans, set-based; (entries, postings)."""
    capital = n * PRINCIPAL
    with container.uow() as uow:  # the accounts, and the capital the book is lent from
        container.ledger.post(
            uow,
            entry(
                date(2025, 12, 31),
                "capital_in",
                debit(CASH, Money(capital, "CNY")),
                credit(CAPITAL, Money(capital, "CNY")),
                debit(LOANS, Money(1, "CNY")),  # open the accounts the seed writes to
                credit(CASH, Money(1, "CNY")),
                debit(RECEIVABLE, Money(1, "CNY")),
                credit(INCOME, Money(1, "CNY")),
            ),
        )
        uow.commit()
    ids = {k: account_id(k) for k in (CASH, LOANS, RECEIVABLE, INCOME)}
    entries = postings = 0
    with container.engine.begin() as conn:
        conn.execute(sa.text("CREATE TEMP TABLE bench_n (i BIGINT PRIMARY KEY)"))
        for low in range(0, n, CHUNK):
            conn.execute(
                sa.text("INSERT INTO bench_n (i) VALUES (:i)"), [{"i": i} for i in range(low, min(n, low + CHUNK))]
            )
        now = datetime(2026, 1, 1, tzinfo=UTC)
        # Disbursements: each loan on a day of January (the loan's number mod 31).
        for d in range(31):
            on = date(2026, 1, 1) + timedelta(days=d)
            entries += _entries(conn, on, "disbursement", f"i % 31 = {d}", now)
            postings += _postings(
                conn, on, "disbursement", f"i % 31 = {d}", [(ids[LOANS], PRINCIPAL), (ids[CASH], -PRINCIPAL)]
            )
        # Repayments: each loan a month after its disbursement's day, every month from February.
        for month in range(2, 13):
            for d in range(28):
                on = date(2026, month, d + 1)
                where = f"i % 28 = {d}"
                entries += _entries(conn, on, f"repayment_{month}", where, now, kind="repayment")
                postings += _postings(
                    conn,
                    on,
                    f"repayment_{month}",
                    where,
                    [
                        (ids[CASH], INSTALMENT_PRINCIPAL + INSTALMENT_INTEREST),
                        (ids[LOANS], -INSTALMENT_PRINCIPAL),
                        (ids[RECEIVABLE], -INSTALMENT_INTEREST),
                    ],
                )
        conn.execute(sa.text("DROP TABLE bench_n"))
    # The day's accrual for the book: one entry a day.
    daily = n * INSTALMENT_INTEREST // 30
    for d in range(365):
        on = date(2026, 1, 1) + timedelta(days=d)
        with container.uow() as uow:
            container.ledger.post(
                uow,
                entry(on, "accrual", debit(RECEIVABLE, Money(daily, "CNY")), credit(INCOME, Money(daily, "CNY"))),
            )
            uow.commit()
        entries, postings = entries + 1, postings + 2
    return entries, postings


def _entries(conn: sa.Connection, on: date, tag: str, where: str, now: datetime, kind: str = "") -> int:
    return int(
        conn.execute(
            sa.text(
                "INSERT INTO ledger_entry (id, business_date, kind, reference, description, posted_at) "
                f"SELECT 'e_{tag}_' || CAST(i AS TEXT), :on, :kind, '', '', :now FROM bench_n WHERE {where}"
            ),
            {"on": on, "kind": kind or tag, "now": now},
        ).rowcount
    )


def _postings(conn: sa.Connection, on: date, tag: str, where: str, legs: list[tuple[str, int]]) -> int:
    written = 0
    for account, amount in legs:
        written += conn.execute(
            sa.text(
                "INSERT INTO ledger_posting (entry_id, account_id, currency, amount) "
                f"SELECT 'e_{tag}_' || CAST(i AS TEXT), :account, 'CNY', :amount FROM bench_n WHERE {where}"
            ),
            {"account": account, "amount": amount},
        ).rowcount
    return written


def _timed_statements(container: Container) -> tuple[float, bool, int]:
    started = time.perf_counter()
    (statements,) = container.finance.statements.for_period(YEAR)
    took = time.perf_counter() - started
    return took, statements.balance_sheet.balanced, statements.income.net_income


def run_backend(backend: str, n: int, workdir: Path) -> None:
    url = fresh_database(backend, workdir, PG_DB)
    clock = FixedClock(datetime(2027, 1, 2, 2, tzinfo=UTC), date(2027, 1, 2))
    container = bootstrap(Settings(environment="test", database_url=url, data_dir=workdir), clock=clock)
    upgrade(container.engine)
    started = time.perf_counter()
    entries, postings = seed_year(container, n)
    with container.engine.begin() as conn:  # the planner's statistics, as a live database's autovacuum keeps them
        conn.execute(sa.text("ANALYZE"))
    seeded = time.perf_counter() - started
    print(
        f"{backend}: {n:,} loans, a year's journal: {entries:,} entries, {postings:,} postings in {seeded:.1f} s",
        flush=True,
    )
    scanned, balanced, income = _timed_statements(container)
    print(
        f"{backend}: the year's statements, every month open (every posting summed): {scanned:.2f} s;"
        f" balanced {balanced}, net income {income:,}",
        flush=True,
    )
    started = time.perf_counter()
    for month in _months():  # what finance's close does to the journal, month by month
        with container.engine.begin() as conn:
            periods.lock_through(conn, month.end)
            summaries.summarize(conn, month.start, month.end)
    closing = time.perf_counter() - started
    closed, balanced_closed, income_closed = _timed_statements(container)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"{backend}: the twelve months locked and summed in {closing:.1f} s ({closing / 12:.2f} s a month);"
        f" the year's statements then {closed * 1000:.0f} ms ({scanned / closed:,.0f}x faster); balanced"
        f" {balanced_closed}, the same net income {income_closed == income}; load {load}",
        flush=True,
    )
    print(f"target: a year's statements of the book in under 2 s: {'met' if closed < 2 else 'not met'}", flush=True)
    container.close()


def main(argv: list[str] | None = None) -> None:
    run_each_backend(__doc__.splitlines()[0], run_backend, argv)


if __name__ == "__main__":
    main()
