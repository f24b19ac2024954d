"""Distribution of repayments to notes (issue #13 item 5) on SQLite and PostgreSQL.

Prints:
- one repayment shared over 10,000 notes: the pure split (shares.py) and the
  whole path through the database (the loan's cumulative row, the holders'
  totals read over its 10,000 notes, 10,000 wallets, and one ledger entry of a
  posting pair per holder); target under 20 ms;
- end-of-day distribution of N repayments (default 100,000) on loans of ~10
  notes each (5 to 15), held by a pool of investors: repayments per second,
  with the ratio to a bare `INSERT ... SELECT` of the same rows (the same notes
  joined to the same receipts, no arithmetic) in the same run; targets
  >= 50,000/s on SQLite, >= 20,000/s on PostgreSQL, within 3x of the bare insert
  (which still writes the row per note that distribution no longer writes).

    .venv/bin/python -m bench.market                          # the issue's sizes
    .venv/bin/python -m bench.market --repayments 1000 --backends sqlite

PostgreSQL: 127.0.0.1, user postgres, scratch database `fairlend_bench_market`
(dropped and created by this script).
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench.scratch import fresh_database
from fairlend.bootstrap import Container, bootstrap
from fairlend.clock import FixedClock
from fairlend.config import Settings
from fairlend.db.migrate import upgrade
from fairlend.market.batch_audit import holder_batch_discrepancies
from fairlend.market.distribution_tables import market_loan_share, market_receipt
from fairlend.market.reconcile import distribution_discrepancies
from fairlend.market.shares import Weighted, share_columns
from fairlend.market.tables import market_note, market_wallet

PG_DB = "fairlend_bench_market"
BUSINESS_DATE = date(2026, 6, 15)
CHUNK = 20_000


def _insert(container: Container, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    with container.uow() as uow:
        for i in range(0, len(rows), CHUNK):
            uow.conn.execute(sa.insert(table), rows[i : i + CHUNK])
        uow.commit()


def seed(container: Container, loans: int, investors: int, rng: random.Random, prefix: str) -> int:
    """`loans` loans of 5-15 notes each over `investors` investors, one receipt per loan; returns the notes."""
    now = datetime.now(UTC)
    notes: list[dict[str, Any]] = []
    receipts: list[dict[str, Any]] = []
    loan_rows: list[dict[str, Any]] = []
    for k in range(loans):
        loan_id = f"loan_{prefix}{k:08d}"
        count = rng.randint(5, 15)
        total = 0
        for j in range(count):
            minor = rng.choice((5_000, 10_000, 20_000, 50_000)) * rng.randint(1, 4)
            total += minor
            notes.append(
                {
                    "holder_id": f"inv_{prefix}{rng.randrange(investors):06d}",
                    "id": f"note_{prefix}{k:08d}_{j:02d}",
                    "holder_kind": "investor",
                    "loan_id": loan_id,
                    "listing_id": "lst_bench",
                    "currency": "CNY",
                    "principal_minor": minor,
                    "outstanding_minor": minor,
                    "created_at": now,
                }
            )
        amount = total // 12 + rng.randrange(1, 5_000)
        loan_rows.append(_loan_row(loan_id, total))
        receipts.append(
            {
                "id": f"rpy_{prefix}{k:08d}",
                "loan_id": loan_id,
                "kind": "repayment",
                "business_date": BUSINESS_DATE,
                "currency": "CNY",
                "amount_minor": amount,
                "principal_minor": total // 12,
                "fee_minor": amount // 100,
                "received_days_past_due": 0,
                "batch_id": None,
                "created_at": now,
            }
        )
    wallets = [
        {"investor_id": f"inv_{prefix}{i:06d}", "currency": "CNY", "cash_minor": 0, "committed_minor": 0}
        for i in range(investors)
    ]
    _insert(container, market_wallet, wallets)
    _insert(container, market_note, notes)
    _insert(container, market_loan_share, loan_rows)  # as funding writes it (epochs.open_loan)
    _insert(container, market_receipt, receipts)
    return len(notes)


def _loan_row(loan_id: str, weight: int) -> dict[str, Any]:
    return {"loan_id": loan_id, "currency": "CNY", "epoch": 0, "weight_minor": weight}


def one_repayment(container: Container, notes: int, rng: random.Random) -> tuple[float, float]:
    """Best of 5: (pure split ms, whole database path ms) for one repayment over `notes` notes."""
    weighted = [Weighted(f"note_{i:06d}", rng.randint(1, 40) * 5_000) for i in range(notes)]
    total = sum(w.weight for w in weighted)
    pure = []
    for _ in range(5):
        t = time.perf_counter()
        share_columns(total // 12 + 12_345, total // 12, (total // 12 + 12_345) // 100, weighted)
        pure.append(time.perf_counter() - t)
    now = datetime.now(UTC)
    # One note per holder: the ledger entry has a posting pair for each of the 10,000 holders.
    _insert(
        container,
        market_wallet,
        [
            {"investor_id": f"inv_one{i:06d}", "currency": "CNY", "cash_minor": 0, "committed_minor": 0}
            for i in range(notes)
        ],
    )
    _insert(
        container,
        market_note,
        [
            {
                "holder_id": f"inv_one{i:06d}",
                "id": w.note_id,
                "holder_kind": "investor",
                "loan_id": "loan_one",
                "listing_id": "lst_bench",
                "currency": "CNY",
                "principal_minor": w.weight,
                "outstanding_minor": w.weight,
                "created_at": now,
            }
            for i, w in enumerate(weighted)
        ],
    )
    _insert(container, market_loan_share, [_loan_row("loan_one", total)])
    database = []
    for attempt in range(5):
        _insert(
            container,
            market_receipt,
            [
                {
                    "id": f"rpy_one_{attempt}",
                    "loan_id": "loan_one",
                    "kind": "repayment",
                    "business_date": BUSINESS_DATE,
                    "currency": "CNY",
                    "amount_minor": 100_000,
                    "principal_minor": 50_000,
                    "fee_minor": 1_000,
                    "received_days_past_due": 0,
                    "batch_id": None,
                    "created_at": datetime.now(UTC),
                }
            ],
        )
        t = time.perf_counter()
        with container.uow() as uow:
            report = container.market.distribution.run(uow, BUSINESS_DATE, loan_id="loan_one")
            uow.commit()
        database.append(time.perf_counter() - t)
        assert report.receipts == 1 and report.shares == 1, report
    return min(pure) * 1000, min(database) * 1000


_BARE = sa.text(
    """
    INSERT INTO market_distribution (holder_id, batch_id, note_id, holder_kind, loan_id, kind, currency,
                                     principal_minor, fee_minor, net_minor, business_date)
    SELECT n.holder_id, :batch_id, n.id, n.holder_kind, n.loan_id, r.kind, n.currency, 0, 0, 0, r.business_date
      FROM market_receipt r JOIN market_note n ON n.loan_id = r.loan_id
     WHERE r.batch_id = :claimed
    """
)


def run_backend(backend: str, repayments: int, investors: int, single: int, workdir: Path) -> dict[str, float]:
    url = fresh_database(backend, workdir, PG_DB)
    clock = FixedClock(datetime(2026, 6, 15, 2, 0, tzinfo=UTC), BUSINESS_DATE)
    container = bootstrap(Settings(environment="test", database_url=url, data_dir=workdir), clock=clock)
    upgrade(container.engine)
    rng = random.Random(13)
    try:
        pure_ms, single_ms = one_repayment(container, single, rng)
        print(f"[{backend}] one repayment over {single:,} notes: pure {pure_ms:.1f} ms, database {single_ms:.1f} ms")
        t = time.perf_counter()
        notes = seed(container, repayments, investors, rng, "")
        print(f"[{backend}] seeded {repayments:,} receipts over {notes:,} notes in {time.perf_counter() - t:.1f} s")
        if backend == "postgresql":
            with container.engine.connect() as conn:
                conn.execution_options(isolation_level="AUTOCOMMIT").execute(sa.text("VACUUM ANALYZE"))
        t, cpu = time.perf_counter(), time.process_time()
        with container.uow() as uow:
            report = container.market.distribution.run(uow, BUSINESS_DATE)
            uow.commit()
        took, cpu = time.perf_counter() - t, time.process_time() - cpu
        assert report.receipts == repayments and report.shares == repayments, report
        t = time.perf_counter()
        with container.uow() as uow:
            bare_rows = uow.conn.execute(_BARE, {"batch_id": "dist_bare", "claimed": report.batch_id}).rowcount
            bare = time.perf_counter() - t
            uow.rollback()
        assert bare_rows == notes
        problems = distribution_discrepancies(container.uow, container.ledger)
        t = time.perf_counter()
        with container.uow(read_only=True) as uow:
            batch_problems = holder_batch_discrepancies(uow.conn)  # verify's per-batch check, at this size
        audit = time.perf_counter() - t
        print(
            f"[{backend}] distributed {repayments:,} receipts ({notes:,} shares) in {took:.2f} s; "
            f"distribution discrepancies {len(problems)}; holder rows against notes and ledger "
            f"{len(batch_problems)} in {audit:.2f} s"
        )
        return {"took": took, "cpu": cpu, "bare": bare, "pure_ms": pure_ms, "single_ms": single_ms, "notes": notes}
    finally:
        container.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repayments", type=int, default=100_000)
    parser.add_argument("--investors", type=int, default=5_000)
    parser.add_argument("--single-notes", type=int, default=10_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args(argv)
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for backend in args.backends.split(","):
            results[backend] = run_backend(backend, args.repayments, args.investors, args.single_notes, Path(tmp))
    print()
    print(f"distribution of {args.repayments:,} repayments (~10 notes per loan, {args.investors:,} investors)")
    print(
        f"{'backend':<12}{'1 over N ms':>12}{'pure ms':>9}{'eod s':>8}{'eod cpu s':>10}{'repayments/s':>14}"
        f"{'bare s':>8}{'ratio':>8}"
    )
    for backend, r in results.items():
        ratio = r["took"] / r["bare"] if r["bare"] else float("inf")
        rate = args.repayments / r["took"]
        print(
            f"{backend:<12}{r['single_ms']:>12.1f}{r['pure_ms']:>9.1f}{r['took']:>8.2f}{r['cpu']:>10.2f}{rate:>14,.0f}"
            f"{r['bare']:>8.2f}{ratio:>7.2f}x"
        )
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"load average {load} (1, 5, 15 min; a shared machine's other work slows every figure above)")
    print(
        "eod cpu s: this process's CPU time for the day's batch (SQLite runs in it; PostgreSQL's server work is not in it)"
    )
    print("targets: one over 10,000 notes < 20 ms; >= 50,000/s SQLite, >= 20,000/s PostgreSQL; within 3x of bare")


if __name__ == "__main__":
    main()
