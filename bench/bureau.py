"""Bureau benchmarks: intake records/s from a JSON Lines file, and report latency.

    .venv/bin/python -m bench.bureau                       # defaults, about a minute
    .venv/bin/python -m bench.bureau --accounts 20000 --months 12 --report-accounts 50 --report-months 60

Targets (issue 5): intake >= 50,000 records/s into SQLite; a report for a
person with 50 accounts x 60 months has p99 < 20 ms.

Intake is measured for the two files a lender sends: a file of new accounts
(each opened, then a status a month), and a month-end file with one status
record for every account the bureau already holds. Each is run --intake-runs
times on a fresh database; the median and the range are printed, as records
per wall-clock second and per CPU-second of this process (the machine is
shared, so the wall clock includes waiting for a core). Beside the month-end
file: its unavoidable reads and writes hand-written in a plain sqlite3 loop on
a copy of the same database (the record log, the accounts with their month,
the account and month updates, the stored file, one commit; no validation, no
rules): the most any implementation of this data model could reach.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from bench.metro2_intake import bench_metro2_intake
from fairlend.bootstrap import Container, bootstrap
from fairlend.bureau.client import InProcessBureau
from fairlend.bureau.documents import Ack
from fairlend.clock import FixedClock
from fairlend.config import Settings
from fairlend.db.migrate import upgrade

INTAKE_TARGET = 50_000
REPORT_TARGET_MS = 20.0


def _month_end(year: int, month: int) -> date:
    following = date(year + (month == 12), month % 12 + 1, 1)
    return date.fromordinal(following.toordinal() - 1)


def _id_number(n: int) -> str:
    return f"11010119900101{n:04d}"[-18:] if n < 10_000 else f"1101011990{n:08d}"


def build_file(accounts: int, months: int, *, first_person: int = 0, people: int | None = None) -> bytes:
    """Accounts opened `months` months before March 2026, with a status record each month-end."""
    out: list[str] = []
    start_index = 2026 * 12 + 2 - months  # month index of the opening month
    people = people or accounts
    for a in range(accounts):
        ref = f"A{a:07d}"
        person = first_person + a % people
        open_year, open_month = divmod(start_index, 12)
        out.append(
            json.dumps(
                {
                    "record_id": f"{ref}-o",
                    "type": "account_opened",
                    "account_ref": ref,
                    "date": date(open_year, open_month + 1, 5).isoformat(),
                    "person": {"name": "张三", "id_number": _id_number(person)},
                    "account_type": "loan",
                    "currency": "CNY",
                    "amount": 1_200_000,
                    "term_months": months,
                    "due_schedule": {"frequency": "monthly", "installments": months},
                }
            )
        )
        noticed = False
        for m in range(months):
            year, month = divmod(start_index + m, 12)
            overdue = 15 if (a + m) % 17 == 0 else 0
            if overdue and not noticed:
                out.append(
                    json.dumps(
                        {
                            "record_id": f"{ref}-n",
                            "type": "negative_notice",
                            "account_ref": ref,
                            "date": date(year, month + 1, 10).isoformat(),
                        }
                    )
                )
                noticed = True
            out.append(
                json.dumps(
                    {
                        "record_id": f"{ref}-{m}",
                        "type": "status",
                        "account_ref": ref,
                        "date": _month_end(year, month + 1).isoformat(),
                        "balance": 1_200_000 - 1_000 * m,
                        "amount_overdue": 100_000 if overdue else 0,
                        "days_overdue": overdue,
                    }
                )
            )
    return ("\n".join(out) + "\n").encode()


def _container(directory: Path) -> Container:
    settings = Settings(environment="test", database_url=f"sqlite:///{directory / 'bench.db'}", data_dir=directory)
    clock = FixedClock(datetime(2026, 3, 2, 2, 0, tzinfo=UTC), date(2026, 3, 2))
    container = bootstrap(settings, clock=clock)
    upgrade(container.engine)
    return container


def build_month_file(accounts: int, month_end: date, *, overdue_every: int = 17) -> bytes:
    """A day's file for accounts the bureau already holds: one status record each (a month-end run)."""
    out = []
    for a in range(accounts):
        ref = f"A{a:07d}"
        overdue = 20 if a % overdue_every == 0 else 0
        out.append(
            json.dumps(
                {
                    "record_id": f"{ref}-{month_end.isoformat()}",
                    "type": "status",
                    "account_ref": ref,
                    "date": month_end.isoformat(),
                    "balance": 1_000_000,
                    "amount_overdue": 100_000 if overdue else 0,
                    "days_overdue": overdue,
                }
            )
        )
    return ("\n".join(out) + "\n").encode()


def bench_intake(accounts: int, months: int, runs: int) -> tuple[float, float]:
    """Median records/s (wall) of the new-accounts file and of the month-end file."""
    content = build_file(accounts, months)
    lines = content.count(b"\n")
    month_end = build_month_file(accounts, date(2026, 2, 28))
    opened: list[tuple[float, float]] = []  # (wall s, CPU s) per run
    updated: list[tuple[float, float]] = []
    floor: list[float] = []  # CPU s
    applied = (0, 0)
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            container = _container(Path(tmp))
            assert isinstance(container.bureau, InProcessBureau)
            client = container.bureau.client_for(container.bureau.register_institution("Bench Bank").institution_id)
            ack, elapsed = _timed(client.submit_file, content)
            assert ack.rejected == (), ack.rejected[:3]
            opened.append(elapsed)
            # A copy as the month-end file finds the database, for the bare-sqlite3 floor.
            with sqlite3.connect(Path(tmp) / "bench.db") as source, sqlite3.connect(Path(tmp) / "floor.db") as copy:
                source.backup(copy)
            # Then a month-end file for the same accounts: the steady state of reporting.
            daily, elapsed = _timed(client.submit_file, month_end)
            assert daily.rejected == () and daily.applied == accounts, daily.rejected[:3]
            updated.append(elapsed)
            applied = (ack.applied, daily.applied)
            container.close()
            floor.append(_bare_month_end(Path(tmp) / "floor.db", client.institution_id, month_end))
    print(
        f"intake into SQLite, {runs} runs of each file (target {INTAKE_TARGET:,} records/s, issue 5); "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    rates = []
    for label, count, timings in (
        (f"new accounts, {lines:,} lines ({accounts:,} accounts x {months} months)", applied[0], opened),
        (f"month-end, {applied[1]:,} status records for those accounts", applied[1], updated),
    ):
        wall = sorted(count / w for w, _ in timings)
        cpu = sorted(count / c for _, c in timings)
        rate = statistics.median(wall)
        rates.append(rate)
        print(f"  {label}:")
        print(
            f"    {rate:,.0f} records/s (range {wall[0]:,.0f}-{wall[-1]:,.0f}); ratio {rate / INTAKE_TARGET:.2f}; "
            f"{statistics.median(cpu):,.0f} per CPU-second (range {cpu[0]:,.0f}-{cpu[-1]:,.0f})"
        )
    bare = sorted(applied[1] / c for c in floor)
    print(
        f"  month-end reads and writes alone in plain sqlite3, no validation: {statistics.median(bare):,.0f} "
        f"per CPU-second (range {bare[0]:,.0f}-{bare[-1]:,.0f}): the floor of this data model"
    )
    return rates[0], rates[1]


def _timed(submit: Callable[[bytes], Ack], content: bytes) -> tuple[Ack, tuple[float, float]]:
    started, cpu_started = time.perf_counter(), time.process_time()
    ack = submit(content)
    return ack, (time.perf_counter() - started, time.process_time() - cpu_started)


def _bare_month_end(path: Path, institution_id: str, content: bytes) -> float:
    """CPU seconds for a month-end file's unavoidable reads and writes in plain sqlite3 (see the module doc)."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    state = "a.rowid, a.id, a.account_ref, a.open_date, a.state, a.settled_by, a.balance, a.amount_overdue, "
    state += "a.days_overdue, a.as_of, a.account_status, a.rating, a.codes, a.first_negative_on, a.notice_on, "
    state += "a.closed_on, m.code, m.worst, m.account_status, m.rating, m.first_overdue_on, m.cured_on, m.suppressed"
    month_columns = "account_id, month, code, worst, account_status, rating, days_overdue, balance, amount_overdue, "
    month_columns += "as_of, first_overdue_on, cured_on, suppressed"
    kept = ", ".join(f"{c} = excluded.{c}" for c in month_columns.split(", ")[2:])
    started = time.process_time()
    db.execute("BEGIN IMMEDIATE")
    sha256 = hashlib.sha256(content).hexdigest()
    db.execute("SELECT ack FROM bureau_submission WHERE institution_id = ? AND sha256 = ?", (institution_id, sha256))
    records = json.loads("[" + ",".join(line for line in content.decode().splitlines() if line.strip()) + "]")
    db.executemany(
        "INSERT INTO bureau_record VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
        [(institution_id, r["record_id"], "bsub_bare", n) for n, r in enumerate(records, start=1)],
    )
    month = int(records[-1]["date"][:7].replace("-", ""))
    refs = sorted({r["account_ref"] for r in records})
    held: dict[str, tuple[Any, ...]] = {}
    for start in range(0, len(refs), 2000):
        chunk = refs[start : start + 2000]
        sql = (
            f"SELECT {state} FROM bureau_account a LEFT JOIN bureau_month m ON m.account_id = a.id AND m.month = ? "
            f"WHERE a.institution_id = ? AND a.account_ref IN ({', '.join('?' * len(chunk))})"
        )
        held.update((row[2], row) for row in db.execute(sql, (month, institution_id, *chunk)).fetchall())
    accounts, month_rows = [], []
    for r in records:
        a = held[r["account_ref"]]
        day = r["date"]
        # The columns intake rewrites: any of them may change with a record.
        accounts.append((a[4], a[5], r["balance"], r["amount_overdue"], r["days_overdue"], day, *a[10:16], a[0]))
        month_rows.append((a[1], month, "N", "N", "N", "", r["days_overdue"], r["balance"], 0, day, None, None, 0))
    db.executemany(
        "UPDATE bureau_account SET state = ?, settled_by = ?, balance = ?, amount_overdue = ?, days_overdue = ?, "
        "as_of = ?, account_status = ?, rating = ?, codes = ?, first_negative_on = ?, notice_on = ?, closed_on = ? "
        "WHERE rowid = ?",
        accounts,
    )
    db.executemany(
        f"INSERT INTO bureau_month ({month_columns}) VALUES ({', '.join('?' * 13)}) "
        f"ON CONFLICT (account_id, month) DO UPDATE SET {kept}",
        month_rows,
    )
    # The file is kept sealed (bureau/sealed.py): the floor pays for the encryption too.
    sealed = AESGCM(bytes(32)).encrypt(bytes(12), content, b"bureau_submission.content:bsub_bare")
    db.execute(
        "INSERT INTO bureau_submission (id, institution_id, sha256, received_at, lines, applied, rejected, ack, "
        "key_id, content) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        ("bsub_bare", institution_id, sha256, "2026-03-02 02:00:00", len(records), len(records), 0, "{}", "k1", sealed),
    )
    db.execute("COMMIT")
    elapsed = time.process_time() - started
    db.close()
    return elapsed


def bench_report(accounts: int, months: int, runs: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        container = _container(Path(tmp))
        assert isinstance(container.bureau, InProcessBureau)
        service = container.bureau.service
        inst = service.register_institution("Bench Bank").institution_id
        # The person under test, plus a crowd so the indexes are not trivially small.
        service.submit(inst, build_file(accounts, months, people=1))
        crowd = container.bureau.service.register_institution("Crowd Bank").institution_id
        service.submit(crowd, build_file(2_000, 12, first_person=100))
        id_number = _id_number(0)
        report = service.report(id_number)
        assert (
            len(report.accounts) == accounts and len(report.accounts[0].grid) == service.profile.bureau.history_months
        )
        for _ in range(10):
            service.report(id_number)
        timings = []
        for _ in range(runs):
            started = time.perf_counter()
            service.report(id_number)
            timings.append((time.perf_counter() - started) * 1000)
        inquiry_timings = []
        for _ in range(max(runs // 4, 20)):
            started = time.perf_counter()
            container.bureau.counter_report(id_number)
            inquiry_timings.append((time.perf_counter() - started) * 1000)
        container.close()
    timings.sort()
    p50 = statistics.median(timings)
    p99 = timings[min(len(timings) - 1, int(len(timings) * 0.99))]
    inquiry_timings.sort()
    ip99 = inquiry_timings[min(len(inquiry_timings) - 1, int(len(inquiry_timings) * 0.99))]
    print(f"report: {accounts} accounts x {months} months, {runs} runs")
    print(
        f"  p50 {p50:.2f} ms, p99 {p99:.2f} ms; target p99 < {REPORT_TARGET_MS} ms; ratio {p99 / REPORT_TARGET_MS:.2f}"
    )
    print(f"  as a self-query (records the inquiry, one write transaction): p99 {ip99:.2f} ms")
    return p99


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=5_000, help="intake: accounts in the file")
    parser.add_argument("--months", type=int, default=12, help="intake: monthly status records per account")
    parser.add_argument("--intake-runs", type=int, default=3, help="intake: runs of each file (median and range)")
    parser.add_argument("--report-accounts", type=int, default=50)
    parser.add_argument("--report-months", type=int, default=60)
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--metro2-accounts", type=int, default=20_000, help="Metro 2 intake: base segments a file")
    parser.add_argument(
        "--metro2-backends",
        default="sqlite",
        help="Metro 2 intake: sqlite and/or postgresql (127.0.0.1, comma-separated)",
    )
    args = parser.parse_args(argv)
    bench_intake(args.accounts, args.months, args.intake_runs)
    bench_metro2_intake(args.metro2_accounts, args.intake_runs, tuple(args.metro2_backends.split(",")))
    bench_report(args.report_accounts, args.report_months, args.runs)


if __name__ == "__main__":
    main()
