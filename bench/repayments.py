"""Repayments through the service layer, beside the databases' own TPC-B-like anchors.

PostgreSQL: 4 client processes post repayments for --seconds, beside `pgbench`
TPC-B-like (scale 10, 4 clients) run by this script against the same server.
SQLite: one writer, beside a plain `sqlite3` loop doing the TPC-B-like
transaction (3 updates and 1 insert) on a file with the same settings
(WAL, synchronous=NORMAL, BEGIN IMMEDIATE). Beside them, a repayment's own
reads and writes hand-written in a plain sqlite3 loop (no domain logic, no
ORM): the most any implementation of this data model could reach.

    .venv/bin/python -m bench.repayments                # 10 s each
    .venv/bin/python -m bench.repayments --seconds 30   # the issue's length

PostgreSQL: 127.0.0.1, user postgres; scratch databases `fairlend_bench`
and `fairlend_pgbench` are dropped and created.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import random
import re
import sqlite3
import subprocess
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from bench.scratch import recreate_pg
from fairlend.bootstrap import bootstrap
from fairlend.clock import FixedClock
from fairlend.config import Settings
from fairlend.db.migrate import upgrade
from fairlend.lending.model import Frequency, Method, Product
from fairlend.money import Money

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/fairlend_bench"
TODAY = date(2026, 6, 15)
PRODUCT = Product(
    code="bench-12",
    name="bench",
    currency="CNY",
    method=Method.EQUAL_INSTALLMENT,
    frequency=Frequency.MONTHLY,
    rate=Decimal("0.18"),
    term=12,
)


def clock() -> FixedClock:
    return FixedClock(datetime(2026, 6, 15, 2, tzinfo=UTC), TODAY)


def seed(url: str, workdir: Path, loans: int) -> list[str]:
    """Loans booked through the import path a month ago, so an installment is due today on each."""
    container = bootstrap(Settings(environment="test", database_url=url, data_dir=workdir), clock=clock())
    upgrade(container.engine)
    container.lending.products.define(PRODUCT)
    opened = TODAY - timedelta(days=31)
    ids = [
        container.lending.book_loan(f"brw_{i:06d}", PRODUCT.code, Money.of("10000", "CNY"), open_date=opened)
        for i in range(loans)
    ]
    container.close()
    return ids


def repay_worker(url: str, workdir: str, loan_ids: list[str], seconds: float, seed_value: int) -> int:
    container = bootstrap(Settings(environment="test", database_url=url, data_dir=Path(workdir)), clock=clock())
    rng = random.Random(seed_value)
    one = Money.of("1.00", "CNY")
    done = 0
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        container.lending.repay(rng.choice(loan_ids), one)
        done += 1
    container.close()
    return done


def service_tps(url: str, workdir: Path, loan_ids: list[str], seconds: float, clients: int) -> float:
    share = [loan_ids[i::clients] for i in range(clients)]  # disjoint loans: no two clients wait on one loan
    if clients == 1:
        return repay_worker(url, str(workdir), share[0], seconds, 1) / seconds
    with mp.get_context("spawn").Pool(clients) as pool:
        counts = pool.starmap(repay_worker, [(url, str(workdir), share[i], seconds, i) for i in range(clients)])
    return sum(counts) / seconds


def pgbench_tps(seconds: float, clients: int) -> float:
    recreate_pg("fairlend_pgbench")
    base = ["-h", "127.0.0.1", "-U", "postgres"]
    subprocess.run(["pgbench", "-i", "-q", "-s", "10", *base, "fairlend_pgbench"], check=True, capture_output=True)
    result = subprocess.run(
        ["pgbench", "-c", str(clients), "-j", str(clients), "-T", str(int(seconds)), *base, "fairlend_pgbench"],
        check=True,
        capture_output=True,
        text=True,
    )
    found = re.search(r"tps = ([\d.]+) \(without initial connection time\)", result.stdout)
    if not found:
        raise RuntimeError(f"could not read pgbench's tps:\n{result.stdout}")
    return float(found.group(1))


def sqlite_tpcb_tps(path: Path, seconds: float) -> float:
    """The TPC-B-like transaction in a plain sqlite3 loop: 3 updates and 1 insert, scale 1."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.executescript(
        """
        CREATE TABLE branches (bid INTEGER PRIMARY KEY, bbalance INTEGER, filler TEXT);
        CREATE TABLE tellers (tid INTEGER PRIMARY KEY, bid INTEGER, tbalance INTEGER, filler TEXT);
        CREATE TABLE accounts (aid INTEGER PRIMARY KEY, bid INTEGER, abalance INTEGER, filler TEXT);
        CREATE TABLE history (tid INTEGER, bid INTEGER, aid INTEGER, delta INTEGER, mtime TEXT, filler TEXT);
        """
    )
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO branches VALUES (?, 0, '')", [(i,) for i in range(1, 2)])
    conn.executemany("INSERT INTO tellers VALUES (?, 1, 0, '')", [(i,) for i in range(1, 11)])
    conn.executemany("INSERT INTO accounts VALUES (?, 1, 0, '')", [(i,) for i in range(1, 100_001)])
    conn.execute("COMMIT")
    rng = random.Random(7)
    done = 0
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        aid, tid, delta = rng.randint(1, 100_000), rng.randint(1, 10), rng.randint(-5000, 5000)
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("UPDATE accounts SET abalance = abalance + ? WHERE aid = ?", (delta, aid))
        conn.execute("SELECT abalance FROM accounts WHERE aid = ?", (aid,)).fetchone()
        conn.execute("UPDATE tellers SET tbalance = tbalance + ? WHERE tid = ?", (delta, tid))
        conn.execute("UPDATE branches SET bbalance = bbalance + ? WHERE bid = 1", (delta,))
        conn.execute(
            "INSERT INTO history VALUES (?, 1, ?, ?, CURRENT_TIMESTAMP, '')",
            (tid, aid, delta),
        )
        conn.execute("COMMIT")
        done += 1
    conn.close()
    return done / seconds


def sqlite_repayment_sql_tps(path: Path, loan_ids: list[str], seconds: float) -> float:
    """A repayment's own reads and writes, hand-written, in a plain sqlite3 loop: no domain logic, no ORM.

    A lower bound on what any implementation of this data model costs per
    repayment (the real service updates more columns and posts more lines):
    it shows how much of the gap to the TPC-B-like anchor is the data a
    repayment must write, not the service layer.
    """
    conn = sqlite3.connect(path, isolation_level=None)
    for pragma in ("PRAGMA journal_mode=WAL", "PRAGMA foreign_keys=ON", "PRAGMA synchronous=NORMAL"):
        conn.execute(pragma)
    borrower_of = dict(conn.execute("SELECT id, borrower_id FROM loan").fetchall())
    cash, receivable = (r[0] for r in conn.execute("SELECT id FROM ledger_account WHERE owner_id = '' LIMIT 2"))
    rng = random.Random(3)
    done = 0
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        loan_id = rng.choice(loan_ids)
        borrower = borrower_of[loan_id]
        key = f"floor_{done}"
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("SELECT * FROM loan WHERE id = ?", (loan_id,)).fetchone()
        seq = conn.execute(
            "SELECT * FROM loan_installment WHERE borrower_id = ? AND loan_id = ? AND paid_on IS NULL ORDER BY seq",
            (borrower, loan_id),
        ).fetchall()[0][2]
        conn.execute(
            "UPDATE loan_installment SET interest_paid = interest_paid + 1"
            " WHERE borrower_id = ? AND loan_id = ? AND seq = ?",
            (borrower, loan_id, seq),
        )
        conn.execute(
            "UPDATE loan SET interest_due = interest_due - 1 WHERE borrower_id = ? AND id = ?", (borrower, loan_id)
        )
        conn.execute(
            "INSERT INTO loan_repayment (borrower_id, id, loan_id, business_date, amount, principal, interest,"
            " penalty, fees, prepayment_fee, refunded, reference, created_at)"
            " VALUES (?, ?, ?, '2026-06-15', 100, 0, 100, 0, 0, 0, 0, '', '2026-06-15 02:00:00')",
            (borrower, key, loan_id),
        )
        conn.execute(
            "INSERT INTO outbox (event_type, aggregate_id, business_date, occurred_at, payload)"
            " VALUES ('lending.RepaymentPosted', ?, '2026-06-15', '2026-06-15 02:00:00', ?)",
            (loan_id, f'{{"loan_id": "{loan_id}", "amount": 100}}'),
        )
        conn.execute(
            "INSERT INTO ledger_entry (id, business_date, kind, reference, description, posted_at)"
            " VALUES (?, '2026-06-15', 'loan_repayment', ?, '', '2026-06-15 02:00:00')",
            (key, key),
        )
        conn.executemany(
            "UPDATE ledger_account SET balance = balance + ? WHERE id = ?", [(100, cash), (-100, receivable)]
        )
        conn.executemany(
            "INSERT INTO ledger_posting (entry_id, account_id, currency, amount) VALUES (?, ?, 'CNY', ?)",
            [(key, cash, 100), (key, receivable, -100)],
        )
        conn.execute("COMMIT")
        done += 1
    conn.close()
    return done / seconds


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--loans", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory(prefix="fairlend-bench-") as tmp:
        workdir = Path(tmp)
        if "sqlite" in args.backends:
            url = f"sqlite:///{workdir / 'service.db'}"
            ids = seed(url, workdir, args.loans)
            ours = service_tps(url, workdir, ids, args.seconds, 1)
            anchor = sqlite_tpcb_tps(workdir / "tpcb.db", args.seconds)
            bare = sqlite_repayment_sql_tps(workdir / "service.db", ids, args.seconds)
            rows.append(("sqlite, 1 writer", ours, "sqlite3 TPC-B-like loop", anchor))
            rows.append(("sqlite, bare repayment SQL", bare, "sqlite3 TPC-B-like loop", anchor))
            print(
                f"[sqlite] service {ours:,.0f} repayments/s, sqlite3 TPC-B-like {anchor:,.0f} tx/s, "
                f"a repayment's SQL alone in sqlite3 {bare:,.0f} tx/s",
                flush=True,
            )
        if "postgresql" in args.backends:
            recreate_pg("fairlend_bench")
            ids = seed(PG_URL, workdir, args.loans)
            ours = service_tps(PG_URL, workdir, ids, args.seconds, args.clients)
            anchor = pgbench_tps(args.seconds, args.clients)
            rows.append((f"postgresql, {args.clients} clients", ours, f"pgbench -s 10 -c {args.clients}", anchor))
            print(f"[postgresql] service {ours:,.0f} repayments/s, pgbench {anchor:,.0f} tps", flush=True)
    print()
    print(f"repayments through the service layer, {args.seconds:.0f} s each")
    print(f"{'setup':<28}{'repayments/s':>14}  {'anchor':<26}{'anchor tx/s':>12}{'ours / anchor':>15}")
    for setup, ours, anchor_name, anchor in rows:
        print(f"{setup:<28}{ours:>14,.0f}  {anchor_name:<26}{anchor:>12,.0f}{ours / anchor:>14.0%}")
    by_setup = {row[0]: row[1] for row in rows}
    if "sqlite, 1 writer" in by_setup:
        ratio = by_setup["sqlite, 1 writer"] / by_setup["sqlite, bare repayment SQL"]
        print(f"sqlite: the service posts {ratio:.0%} of the same repayment's bare SQL in sqlite3 (target 40 %)")
    print("targets (issue #16): SQLite service >= 40 % of its bare SQL; PostgreSQL 4 clients >= 25 % of pgbench")


if __name__ == "__main__":
    main()
