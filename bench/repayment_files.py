"""A payment processor's repayment file through `fairlend repayments import`'s service, on SQLite and PostgreSQL.

Seeds N active loans (rows written in bulk), each with an installment due on
the business date and one in 20 a month late as well, then writes a CSV file
of N lines: most pay what is due, one in 100 pays far more (the loan settles,
the excess is held for the borrower), one in 1,000 names no loan (refused).
Prints repayments/s for the import (one transaction: the waterfall per line,
the writes set-based per chunk), and in the same run the floor: the rows the
import wrote (repayments, journal entries and postings, outbox events, market
receipts, line results; the loans and installments updated) written again by
bare `INSERT ... SELECT` / `UPDATE` statements from a staging table, rolled back.
Also the growth of the process's peak memory during the import (the file is
streamed: it should not grow with the file) and `fairlend verify`.

    .venv/bin/python -m bench.repayment_files                    # 100,000 lines, both databases
    .venv/bin/python -m bench.repayment_files --lines 20000 --backends sqlite

Targets (issue #16): >= 50,000 repayments/s on SQLite, >= 25,000/s on PostgreSQL,
within 5x of the bare statements. PostgreSQL: 127.0.0.1, user postgres, scratch
database `fairlend_bench_files` (dropped and created).
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench.scratch import fresh_database
from fairlend.bootstrap import Container, bootstrap
from fairlend.clock import FixedClock
from fairlend.config import Settings
from fairlend.db.migrate import upgrade
from fairlend.ledger.model import AccountKey, AccountType, credit, debit, entry
from fairlend.lending.model import Frequency, Method, Product
from fairlend.lending.schedule import build_schedule, daily_rate_e10
from fairlend.lending.tables import loan, loan_installment
from fairlend.money import Money

PG_DB = "fairlend_bench_files"
TODAY = date(2026, 6, 15)
PRODUCT = Product(
    code="bench-files-12",
    name="bench",
    currency="CNY",
    method=Method.EQUAL_INSTALLMENT,
    frequency=Frequency.MONTHLY,
    rate=Decimal("0.18"),
    term=12,
    penalty_rate=Decimal("0.18"),
)
LATE_EVERY = 20
SETTLE_EVERY = 100
UNKNOWN_EVERY = 1000
SEED_BATCH = 5_000


def seed(container: Container, n: int) -> list[tuple[str, int]]:
    """N loans with an installment due today (one in 20 also a month late); (loan id, amount due) each."""
    product = container.lending.products.define(PRODUCT)
    profile = container.profile
    now = datetime.now(UTC)
    on_time = build_schedule(product, 1_000_000, TODAY - timedelta(days=31))
    late = build_schedule(product, 1_000_000, TODAY - timedelta(days=61))
    assert on_time.lines[0].due == TODAY and late.lines[1].due == TODAY
    due: list[tuple[str, int]] = []
    loans: list[dict[str, Any]] = []
    insts: list[dict[str, Any]] = []

    def flush() -> None:
        principal = sum(r["principal_outstanding"] for r in loans)
        interest = sum(r["interest_due"] for r in loans)
        with container.uow() as uow:
            uow.conn.execute(loan.insert(), loans)
            uow.conn.execute(loan_installment.insert(), insts)
            container.ledger.post(
                uow,
                entry(
                    TODAY,
                    "bench_seed",
                    debit(AccountKey(AccountType.LOAN_PRINCIPAL, "CNY"), Money(principal, "CNY")),
                    debit(AccountKey(AccountType.INTEREST_RECEIVABLE, "CNY"), Money(interest, "CNY")),
                    credit(AccountKey(AccountType.PLATFORM_CASH, "CNY"), Money(principal, "CNY")),
                    credit(AccountKey(AccountType.INTEREST_INCOME, "CNY"), Money(interest, "CNY")),
                ),
            )
            uow.commit()
        loans.clear()
        insts.clear()

    for i in range(n):
        is_late = i % LATE_EVERY == 0
        s = late if is_late else on_time
        billed = s.lines[:2] if is_late else s.lines[:1]
        current = s.lines[len(billed)]
        borrower, loan_id = f"brw_{i:08d}", f"loan_{i:021d}"
        overdue = s.lines[0] if is_late else None
        dpd = TODAY.toordinal() - 1 - overdue.due.toordinal() + 1 if overdue else 0
        loans.append(
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
                "apr": s.apr,
                "term": len(s.lines),
                "open_date": s.lines[0].start,
                "first_due_date": s.lines[0].due,
                "maturity_date": s.maturity,
                "principal": s.principal,
                "installment_amount": s.installment,
                "fee_amount": 0,
                "grace_days": 0,
                "penalty_daily_e10": daily_rate_e10(product.penalty_rate, product.day_count),
                "late_fee": 0,
                "principal_outstanding": s.principal,
                "principal_due": sum(line.principal for line in billed),
                "interest_due": sum(line.interest for line in billed),
                "accrued_interest": 0,
                "penalty_due": 0,
                "fees_due": 0,
                "cur_seq": current.seq,
                "accrual_start_day": current.start.toordinal(),
                "next_due_day": current.due.toordinal(),
                "accrual_interest": current.interest,
                "oldest_due_day": billed[0].due.toordinal(),
                "overdue_principal": overdue.principal if overdue else 0,
                "overdue_amount": overdue.total if overdue else 0,
                "dpd": dpd,
                "bucket": profile.bucket_for(dpd).name,
                "first_delinquency_day": overdue.due.toordinal() + 1 if overdue else None,
                "penalty_day": TODAY.toordinal() - 1,
                "settled_on": None,
                "closed_amount": 0,
                "created_at": now,
            }
        )
        for line in s.lines:
            insts.append(
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
                    "billed": line in billed,
                    "late_fee_charged": False,
                    "paid_on": None,
                }
            )
        due.append((loan_id, sum(line.total for line in billed)))
        if len(loans) >= SEED_BATCH:
            flush()
    if loans:
        flush()
    with container.engine.begin() as conn:
        conn.execute(sa.text("ANALYZE"))
    return due


def write_file(path: Path, due: list[tuple[str, int]], rng: random.Random) -> int:
    """The processor's file, in its own order; returns the lines written."""
    order = list(range(len(due)))
    rng.shuffle(order)
    with path.open("w") as out:
        out.write("loan_reference,amount,value_date,external_reference\n")
        for k, i in enumerate(order):
            loan_id, minor = due[i]
            if k % UNKNOWN_EVERY == UNKNOWN_EVERY - 1:
                loan_id = f"loan_{'9' * 21}"
            elif k % SETTLE_EVERY == SETTLE_EVERY - 1:
                minor = 2_000_000  # far beyond the payoff: settles, the rest held as borrower credit
            out.write(f"{loan_id},{Decimal(minor).scaleb(-2)},{TODAY.isoformat()},PSP{k:010d}\n")
    return len(order)


# The floor: the import's rows written again by bare set-based statements from a staging table.
_STAGE = sa.table(
    "bench_stage",
    sa.column("n"),
    sa.column("loan_id"),
    sa.column("borrower_id"),
    sa.column("amount"),
    sa.column("reference"),
)


def floor(container: Container, lines: list[tuple[int, str, str, int, str]], postings: int) -> tuple[float, float]:
    """(seconds for the repayment rows alone, seconds for every row the import writes), rolled back."""
    with container.engine.connect() as conn:
        with conn.begin():
            conn.execute(
                sa.text(
                    "CREATE TABLE bench_stage (n INTEGER PRIMARY KEY, loan_id VARCHAR(40), borrower_id VARCHAR(40),"
                    " amount BIGINT, reference VARCHAR(80))"
                )
            )
            for i in range(0, len(lines), 20_000):
                conn.execute(
                    sa.insert(_STAGE),
                    [
                        {"n": n, "loan_id": lid, "borrower_id": bid, "amount": a, "reference": ref}
                        for n, lid, bid, a, ref in lines[i : i + 20_000]
                    ],
                )
        now = "'2026-06-15 02:00:00'"
        day = "'2026-06-15'"
        per_line = max(1, postings // max(1, len(lines)))
        repayments = (
            "INSERT INTO loan_repayment (borrower_id, id, loan_id, business_date, amount, principal, interest,"
            " penalty, fees, prepayment_fee, refunded, reference, created_at)"
            f" SELECT borrower_id, 'rpyb' || n, loan_id, {day}, amount, amount - 1, 1, 0, 0, 0, 0, reference, {now}"
            " FROM bench_stage"
        )
        rest = [
            "UPDATE loan SET principal_outstanding = principal_outstanding - 1, principal_due = principal_due,"
            " interest_due = interest_due, dpd = 0, bucket = bucket, oldest_due_day = oldest_due_day"
            " WHERE id IN (SELECT loan_id FROM bench_stage)",
            "UPDATE loan_installment SET principal_paid = principal_paid + 1, paid_on = NULL"
            " WHERE seq = 1 AND loan_id IN (SELECT loan_id FROM bench_stage)",
            "INSERT INTO ledger_entry (id, business_date, kind, reference, description, posted_at)"
            f" SELECT 'jeb' || n, {day}, 'loan_repayment', 'rpyb' || n, '', {now} FROM bench_stage",
            *(
                "INSERT INTO ledger_posting (entry_id, account_id, currency, amount)"
                f" SELECT 'jeb' || n, (SELECT min(id) FROM ledger_account), 'CNY', {k} FROM bench_stage"
                for k in range(per_line)
            ),
            "INSERT INTO outbox (event_type, aggregate_id, business_date, occurred_at, payload)"
            f" SELECT 'bench', loan_id, {day}, {now}, '{{\"n\": 1}}' FROM bench_stage",
            "INSERT INTO market_receipt (id, loan_id, kind, business_date, currency, amount_minor, principal_minor,"
            " fee_minor, received_days_past_due, batch_id, created_at)"
            f" SELECT 'rpyb' || n, loan_id, 'repayment', {day}, 'CNY', amount, amount, 0, 0, NULL, {now}"
            " FROM bench_stage",
            "INSERT INTO repayment_file_line (file_id, line, status, code, detail, loan_id, amount_minor, currency,"
            " value_date, external_reference, repayment_id)"
            f" SELECT 'rpf_bench', n, 'refused', '', '', loan_id, amount, 'CNY', {day}, reference, '' FROM bench_stage",
        ]
        with conn.begin() as tx:
            started = time.perf_counter()
            conn.execute(sa.text(repayments))
            alone = time.perf_counter() - started
            for statement in rest:
                conn.execute(sa.text(statement))
            whole = time.perf_counter() - started
            tx.rollback()
        with conn.begin():
            conn.execute(sa.text("DROP TABLE bench_stage"))
    return alone, whole


def run_backend(backend: str, n: int, workdir: Path) -> dict[str, float]:
    url = fresh_database(backend, workdir, PG_DB)
    clock = FixedClock(datetime(2026, 6, 15, 2, tzinfo=UTC), TODAY)
    container = bootstrap(Settings(environment="test", database_url=url, data_dir=workdir), clock=clock)
    upgrade(container.engine)
    started = time.perf_counter()
    due = seed(container, n)
    path = workdir / f"payments-{backend}.csv"
    write_file(path, due, random.Random(16))
    print(
        f"[{backend}] seeded {n:,} loans and wrote a {path.stat().st_size / 1e6:.1f} MB file in "
        f"{time.perf_counter() - started:.1f} s",
        flush=True,
    )
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started, cpu = time.perf_counter(), time.process_time()
    with path.open("rb") as stream:
        view = container.lending.files.import_file(stream, name=path.name, imported_by="op_bench")
    took, cpu = time.perf_counter() - started, time.process_time() - cpu
    grew_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) / 1024
    print(
        f"[{backend}] import: {view.lines:,} lines in {took:.2f} s ({cpu:.2f} s of this process's CPU): "
        f"applied {view.applied:,}, "
        f"duplicates {view.duplicates:,}, refused {view.refused:,}; peak memory grew {grew_mb:.0f} MB",
        flush=True,
    )
    again = time.perf_counter()
    second = container.lending.files.import_file(path.open("rb"), name=path.name, imported_by="op_bench")
    print(
        f"[{backend}] the same file again: already imported {second.already_imported} "
        f"in {time.perf_counter() - again:.2f} s",
        flush=True,
    )
    problems = container.verify() if n <= 200_000 else []
    print(f"[{backend}] fairlend verify: {len(problems)} discrepancies {problems[:3]}", flush=True)
    borrower = {loan_id: f"brw_{int(loan_id[5:]):08d}" for loan_id, _ in due}
    staged = [
        (r.line, r.loan_id, borrower.get(r.loan_id, "brw_x"), r.amount_minor, r.external_reference)
        for r in container.lending.files.results(view.file_id)
        if r.repayment_id
    ]
    with container.engine.connect() as conn:
        postings = int(conn.execute(sa.text("SELECT count(*) FROM ledger_posting")).scalar() or 0)
    alone, whole = floor(container, staged, postings)
    container.close()
    return {
        "took": took,
        "cpu": cpu,
        "per_s": view.applied / took,
        "alone": alone,
        "whole": whole,
        "grew_mb": grew_mb,
        "problems": len(problems),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args(argv)
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for backend in args.backends.split(","):
            results[backend] = run_backend(backend, args.lines, Path(tmp))
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print()
    print(f"{args.lines:,} lines; load average {load} on {os.cpu_count()} cores")
    print(
        f"{'backend':<12}{'import s':>9}{'repayments/s':>14}{'bare rows s':>12}{'ratio':>8}"
        f"{'bare repayments s':>19}{'ratio':>8}{'memory MB':>11}"
    )
    for backend, r in results.items():
        print(
            f"{backend:<12}{r['took']:>9.2f}{r['per_s']:>14,.0f}{r['whole']:>12.2f}{r['took'] / r['whole']:>7.1f}x"
            f"{r['alone']:>19.2f}{r['took'] / r['alone']:>7.1f}x{r['grew_mb']:>11.0f}"
        )
    print("targets: >= 50,000/s SQLite, >= 25,000/s PostgreSQL, within 5x of the bare statements")


if __name__ == "__main__":
    main()
