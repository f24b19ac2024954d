"""End-of-day over N active loans on SQLite and PostgreSQL.

Prints loans per second for one business date (lending's steps, one
transaction) and the ratio to a bare `UPDATE` of the same rows and columns
run in the same process, plus the process's peak memory. The next dates run
the whole platform's day as `fairlend eod` does (lending's steps, then
collections planning and the T+1 bureau report), printed beside it.

    .venv/bin/python -m bench.eod --loans 20000            # default, a few minutes at most
    .venv/bin/python -m bench.eod --loans 1000000          # the issue's size
    .venv/bin/python -m bench.eod --backends sqlite --days 3
    .venv/bin/python -m bench.eod --workers 1,2,4          # PostgreSQL + RabbitMQ, 1,000,000 loans

`--workers 1,2,4` closes one PostgreSQL book's next dates in-process and then
by 1, 2 and 4 `fairlend worker` processes over RabbitMQ (127.0.0.1:5672,
guest/guest; FAIRLEND_BENCH_BROKER overrides), and prints loans/s, the
speed-up over the in-process date and the CPU time per partition
(bench/eod_workers.py).

PostgreSQL: 127.0.0.1, user postgres, scratch database `fairlend_bench`
(dropped and created by this script).
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench import eod_workers
from bench.scratch import drop_pg, fresh_database
from fairlend.bootstrap import Container, bootstrap
from fairlend.cli import freeze_long_lived
from fairlend.clock import FixedClock
from fairlend.config import Settings
from fairlend.db.migrate import upgrade
from fairlend.ledger.model import AccountKey, AccountType, credit, debit, entry
from fairlend.lending.eod import EndOfDay
from fairlend.lending.model import Frequency, Method, Product
from fairlend.lending.schedule import build_schedule, daily_rate_e10
from fairlend.lending.tables import loan, loan_installment
from fairlend.money import Money

PG_DB = "fairlend_bench"
BUSINESS_DATE = date(2026, 6, 15)
PRODUCT = Product(
    code="bench-12",
    name="bench",
    currency="CNY",
    method=Method.EQUAL_INSTALLMENT,
    frequency=Frequency.MONTHLY,
    rate=Decimal("0.18"),
    term=12,
    penalty_rate=Decimal("0.18"),
    late_fee=5000,
)
DELINQUENT_EVERY = 20  # one loan in 20 has its first installment unpaid


def seed(container: Container, n: int) -> None:
    """N active loans opened over the last month, one in 20 a month late; rows written in bulk."""
    product = container.lending.products.define(PRODUCT)
    b = BUSINESS_DATE.toordinal()
    templates: dict[int, Any] = {}
    now = datetime.now(UTC)
    batch_loans: list[dict[str, Any]] = []
    batch_insts: list[dict[str, Any]] = []

    def flush() -> None:
        # One aggregate journal entry per batch keeps the control accounts equal to the seeded subledger.
        principal = sum(r["principal_outstanding"] for r in batch_loans)
        billed = sum(r["interest_due"] for r in batch_loans)
        postings = [
            debit(AccountKey(AccountType.LOAN_PRINCIPAL, "CNY"), Money(principal, "CNY")),
            credit(AccountKey(AccountType.PLATFORM_CASH, "CNY"), Money(principal, "CNY")),
        ]
        if billed:
            postings += [
                debit(AccountKey(AccountType.INTEREST_RECEIVABLE, "CNY"), Money(billed, "CNY")),
                credit(AccountKey(AccountType.INTEREST_INCOME, "CNY"), Money(billed, "CNY")),
            ]
        with container.uow() as uow:
            uow.conn.execute(loan.insert(), batch_loans)
            uow.conn.execute(loan_installment.insert(), batch_insts)
            container.ledger.post(uow, entry(BUSINESS_DATE, "bench_seed", *postings))
            uow.commit()
        batch_loans.clear()
        batch_insts.clear()

    for i in range(n):
        late = i % DELINQUENT_EVERY == 0
        opened_offset = 40 if late else 1 + i % 29
        if opened_offset not in templates:
            templates[opened_offset] = build_schedule(product, 1_000_000, BUSINESS_DATE - timedelta(days=opened_offset))
        s = templates[opened_offset]
        borrower, loan_id = f"brw_{i:08d}", f"loan_{i:021d}"
        lines = s.lines
        billed = 1 if late else 0
        cur = lines[billed]
        first = lines[0]
        batch_loans.append(
            {
                "borrower_id": borrower,
                "id": loan_id,
                "product_code": product.code,
                "product_version": product.version,
                "currency": "CNY",
                "state": "active",
                "method": product.method.value,
                "frequency": product.frequency.value,
                "rate": product.rate,
                "grade": "E5",  # the grade priced at 18 % (origination's CreditPolicy)
                "apr": s.apr,
                "term": len(lines),
                "open_date": first.start,
                "first_due_date": first.due,
                "maturity_date": s.maturity,
                "principal": s.principal,
                "installment_amount": s.installment,
                "fee_amount": 0,
                "grace_days": 0,
                "penalty_daily_e10": daily_rate_e10(product.penalty_rate, product.day_count),
                "late_fee": product.late_fee,
                "principal_outstanding": s.principal,
                "principal_due": first.principal if late else 0,
                "interest_due": first.interest if late else 0,
                "accrued_interest": 0,
                "penalty_due": 0,
                "fees_due": 0,
                "cur_seq": cur.seq,
                "accrual_start_day": cur.start.toordinal(),
                "next_due_day": cur.due.toordinal(),
                "accrual_interest": cur.interest,
                "oldest_due_day": first.due.toordinal() if late else None,
                "overdue_principal": first.principal if late else 0,
                "overdue_amount": first.total if late else 0,
                "dpd": b - 1 - first.due.toordinal() + 1 if late else 0,
                "bucket": "M1" if late else "current",
                "first_delinquency_day": first.due.toordinal() + 1 if late else None,
                "penalty_day": b - 1,
                "settled_on": None,
                "closed_amount": 0,
                "created_at": now,
            }
        )
        for line in lines:
            batch_insts.append(
                {
                    "borrower_id": borrower,
                    "loan_id": loan_id,
                    "seq": line.seq,
                    "start_day": line.start.toordinal(),
                    "due_day": line.due.toordinal(),
                    "due_date": line.due,
                    "late_day": line.due.toordinal(),
                    "principal": line.principal,
                    "interest": line.interest,
                    "fee": 0,
                    "principal_paid": 0,
                    "interest_paid": 0,
                    "fee_paid": 0,
                    "billed": line.seq <= billed,
                    "late_fee_charged": False,
                    "paid_on": None,
                }
            )
        if len(batch_loans) >= 5_000:
            flush()
    if batch_loans:
        flush()
    with container.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("ANALYZE"))
        else:
            conn.execute(sa.text("ANALYZE"))


BARE_UPDATE = sa.text(
    "UPDATE loan SET accrued_interest = accrued_interest + 1, penalty_due = penalty_due + 1, "
    "penalty_day = penalty_day + 1, dpd = dpd, overdue_principal = overdue_principal, "
    "overdue_amount = overdue_amount, bucket = bucket WHERE state = 'active'"
)


def bare_update(container: Container) -> float:
    """The same rows and columns in one UPDATE and its commit (run after end-of-day: it spoils the balances)."""
    started = time.perf_counter()
    with container.engine.begin() as conn:
        conn.execute(BARE_UPDATE)
    return time.perf_counter() - started


def run_backend(
    backend: str, n: int, days: int, workdir: Path, partitions: int = 16, freeze: bool = True
) -> dict[str, float]:
    url = fresh_database(backend, workdir, PG_DB)
    clock = FixedClock(datetime(2026, 6, 15, 2, tzinfo=UTC), BUSINESS_DATE)
    settings = Settings(environment="test", database_url=url, data_dir=workdir, eod_partitions=partitions)
    container = bootstrap(settings, clock=clock)
    upgrade(container.engine)
    started = time.perf_counter()
    seed(container, n)
    seeded = time.perf_counter() - started
    print(f"[{backend}] seeded {n:,} loans ({n * 12:,} installments) in {seeded:.1f} s", flush=True)
    if freeze:
        freeze_long_lived()  # as `fairlend eod` does once its container is open
    # Lending's own end-of-day (the measure) on the first dates, then the whole
    # platform's day (plus collections planning and T+1 bureau reporting) on the next ones.
    lending_only = EndOfDay(container.uow, container.ledger, container.profile, clock)
    timings: list[float] = []
    platform: list[float] = []
    cpu_of: dict[float, float] = {}  # a date's wall s -> its CPU s (this process: Python and SQLite)
    for k in range(2 * days):
        d = BUSINESS_DATE + timedelta(days=k)
        runner, label, into = (
            (lending_only, "lending steps", timings) if k < days else (container.eod, "whole platform", platform)
        )
        started, cpu = time.perf_counter(), time.process_time()
        result = runner.run_day(d)
        took = time.perf_counter() - started
        cpu_of[took] = time.process_time() - cpu
        into.append(took)
        print(
            f"[{backend}] {label} {d}: {took:.2f} s ({cpu_of[took]:.2f} s CPU), {n / took:,.0f} loans/s,"
            f" counts {result.counts}",
            flush=True,
        )
    if n <= 200_000:
        problems = container.verify()
        print(f"[{backend}] fairlend verify after end-of-day: {len(problems)} discrepancies {problems[:3]}", flush=True)
    else:
        problems = []
        print(f"[{backend}] verify skipped above 200,000 loans (run `fairlend verify` on the database)", flush=True)
    bares = []
    for _ in range(2):
        cpu = time.process_time()
        bares.append((bare_update(container), time.process_time() - cpu))
    bare, bare_cpu = min(bares)
    container.close()
    best = min(timings)
    whole = min(platform)
    return {
        "eod_s": best,
        "bare_s": bare,
        "loans_per_s": n / best,
        "ratio": best / bare,
        "platform_s": whole,
        "platform_ratio": whole / bare,
        "problems": len(problems),
        "eod_cpu": cpu_of[best],
        "platform_cpu": cpu_of[whole],
        "bare_cpu": bare_cpu,
    }


def run_workers(n: int, counts: list[int], workdir: Path) -> None:
    """One PostgreSQL book: its first date in-process, each next one by that many `fairlend worker`s."""
    if not eod_workers.broker_reachable():
        raise SystemExit(f"--workers needs RabbitMQ at {eod_workers.BROKER_URL}")
    database = f"{PG_DB}_workers_{os.getpid()}"  # its own: a smoke test in the suite may run beside a bench
    url = fresh_database("postgresql", workdir, database)
    clock = FixedClock(datetime(2026, 6, 15, 2, tzinfo=UTC), BUSINESS_DATE)
    container = bootstrap(Settings(environment="test", database_url=url, data_dir=workdir), clock=clock)
    try:
        upgrade(container.engine)
        started = time.perf_counter()
        seed(container, n)
        print(f"[postgresql] seeded {n:,} loans in {time.perf_counter() - started:.1f} s", flush=True)
        runs = eod_workers.close_with_workers(url, container, BUSINESS_DATE, counts, workdir, database)
        if n <= 200_000:
            problems = container.verify()
            print(f"[postgresql] fairlend verify after the dates: {len(problems)} discrepancies {problems[:3]}")
    finally:
        container.close()
        drop_pg(database)
    eod_workers.report(n, runs)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--loans", type=int, default=None, help="20,000 (1,000,000 with --workers)")
    parser.add_argument("--days", type=int, default=2, help="business dates to close; the best is reported")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument(
        "--partitions",
        type=int,
        default=16,
        help="the whole platform's day in this many partitions (1: one transaction)",
    )
    parser.add_argument(
        "--no-freeze", action="store_true", help="leave the seeded process's objects to the cyclic collector"
    )
    parser.add_argument("--workers", default="", help="e.g. 1,2,4: PostgreSQL closed by that many worker processes")
    args = parser.parse_args(argv)
    if args.workers:
        counts = [int(w) for w in args.workers.split(",")]
        with tempfile.TemporaryDirectory(prefix="fairlend-bench-") as tmp:
            run_workers(args.loans or 1_000_000, counts, Path(tmp))
        return
    args.loans = args.loans or 20_000
    results = {}
    with tempfile.TemporaryDirectory(prefix="fairlend-bench-") as tmp:
        for backend in args.backends.split(","):
            results[backend] = run_backend(
                backend, args.loans, args.days, Path(tmp), args.partitions, freeze=not args.no_freeze
            )
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print()
    print(
        f"end-of-day over {args.loans:,} active loans (one business date; lending's steps in one transaction,"
        f" the whole platform's day in {args.partitions} partition(s))"
    )
    print(
        f"{'backend':<12}{'steps':<16}{'eod s':>9}{'loans/s':>12}{'bare UPDATE s':>15}{'eod / bare':>12}"
        f"{'eod CPU s':>11}{'bare CPU s':>12}{'CPU / bare':>12}"
    )
    for backend, r in results.items():
        for steps, took, ratio, cpu in (
            ("lending", r["eod_s"], r["ratio"], r["eod_cpu"]),
            ("whole platform", r["platform_s"], r["platform_ratio"], r["platform_cpu"]),
        ):
            print(
                f"{backend:<12}{steps:<16}{took:>9.2f}{args.loans / took:>12,.0f}{r['bare_s']:>15.2f}{ratio:>12.2f}x"
                f"{cpu:>11.2f}{r['bare_cpu']:>12.2f}{cpu / r['bare_cpu']:>11.2f}x"
            )
    print(
        "(whole platform: lending's steps plus collections planning and the T+1 bureau report, as `fairlend eod` runs)"
    )
    print(f"peak memory of this process (seeding included): {peak_mb:,.0f} MB")
    load1, load5, load15 = os.getloadavg()
    print(f"load average (1/5/15 min): {load1:.2f} {load5:.2f} {load15:.2f} on {os.cpu_count()} cores")
    print("CPU: this process's (Python and SQLite's engine; PostgreSQL's server is another process)")
    print("targets: >= 100,000 loans/s on SQLite; within 3x of the bare UPDATE; peak memory under 1 GB")


if __name__ == "__main__":
    main()
