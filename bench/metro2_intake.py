"""Metro 2 intake at the bureau: base segments/s parsed, checked and applied into SQLite (bench/bureau.py runs it).

Two files for the same accounts, as a furnisher sends them: the first
month's (every account new: each base segment opens its account and gives
its status) and the next month-end's (every account known: a status each),
on SQLite and (`--metro2-backends`) PostgreSQL. The anchor, measured in the
same run on the same database: the month rows the month-end file wrote,
inserted again by one bare executemany of tuples into an empty copy of
`bureau_month` (same columns and key), committed: the least any intake
that writes a row per segment pays. The ratio says how many times that the
whole intake (parse, check, rules, read, write) costs. On PostgreSQL the
server's CPU is read from /proc as well (its backends for the bench's
database), so that work moved to the server is counted: client+server.
Memory: the peak Python allocation while intake reads a file (one pass: every
field and the trailer's totals, a chunk of segments at a time), for
the file and for a file four times its size: flat means the same peak.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
import tracemalloc
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench.scratch import PG_ADMIN, drop_pg, fresh_database
from fairlend.bootstrap import Container, bootstrap
from fairlend.bureau.client import InProcessBureau
from fairlend.bureau.metro2 import parts
from fairlend.bureau.tables import bureau_month
from fairlend.clock import FixedClock
from fairlend.config import Settings
from fairlend.db.migrate import upgrade
from fairlend.metro2.file import Account, write

TARGET = 50_000  # base segments/s on SQLite (issue #20)


def build_metro2_file(accounts: int, as_of: date, *, overdue_every: int = 17) -> bytes:
    def segment(a: int) -> Account:
        late = a % overdue_every == 0
        values: dict[str, Any] = {
            "processing_indicator": 1,
            "consumer_account_number": f"M{a:07d}",
            "portfolio_type": "I",
            "account_type": "01",
            "date_opened": date(2025, 1, 15),
            "highest_credit": 10_000,
            "terms_duration": "024",
            "terms_frequency": "M",
            "scheduled_monthly_payment_amount": 460,
            "account_status": "71" if late else "11",
            "payment_history_profile": "0" * 12 + "B" * 12,
            "current_balance": 8_000,
            "amount_past_due": 460 if late else 0,
            "date_account_information": as_of,
            "date_first_delinquency": date(as_of.year, as_of.month, 1) if late else None,
            "surname": "DOE",
            "first_name": "JANE",
            "social_security_number": 100_000_000 + a,
            "ecoa_code": "1",
        }
        return Account(values)

    header = {"activity_date": as_of, "date_created": as_of, "reporter_name": "BENCH BANK"}
    return "".join(write(header, (segment(a) for a in range(accounts)))).encode()


def _parse_peak(content: bytes) -> int:
    """Peak Python allocation while intake reads a file: one pass, a chunk of records at a time."""
    tracemalloc.start()
    for _ in parts(content, date(2026, 3, 2)):
        pass
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def _server_cpu(name: str) -> dict[int, float] | None:
    """CPU seconds of each server process serving database `name` (PostgreSQL on this machine), or None.

    The bench's `process_time` is the client's alone: work moved to the
    server (COPY, UPDATE ... FROM) must be counted where it went.
    """
    admin = sa.create_engine(PG_ADMIN)
    try:
        with admin.connect() as conn:
            query = sa.text("SELECT pid FROM pg_stat_activity WHERE datname = :name")
            pids = [int(r[0]) for r in conn.execute(query, {"name": name})]
    finally:
        admin.dispose()
    used: dict[int, float] = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None  # not this machine's server, or not readable
        used[pid] = (int(fields[11]) + int(fields[12])) / _TICKS  # utime + stime
    return used


def _server_used(before: dict[int, float] | None, after: dict[int, float] | None) -> float | None:
    if before is None or after is None:
        return None
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())


_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _us_container(url: str, directory: Path) -> Container:
    """The bureau under the `us` profile (Metro 2's codes; CR-8 warns of a late notice, never refuses)."""
    settings = Settings(environment="test", database_url=url, data_dir=directory, jurisdiction="us")
    container = bootstrap(settings, clock=FixedClock(datetime(2026, 3, 2, 14, 0, tzinfo=UTC), date(2026, 3, 2)))
    upgrade(container.engine)
    return container


def _bare_insert(container: Container, month: int, name: str) -> tuple[int, float, float, float | None]:
    """The month rows intake wrote for `month`, inserted again bare into an empty copy; (rows, wall, CPU, server CPU)."""
    copy = sa.Table(
        "bench_bare_month",
        sa.MetaData(),
        *(sa.Column(c.name, c.type, nullable=c.nullable) for c in bureau_month.columns),
        sa.PrimaryKeyConstraint(*(c.name for c in bureau_month.primary_key), name="pk_bench_bare_month"),
    )
    with container.engine.begin() as conn:
        rows = [tuple(r) for r in conn.execute(sa.select(bureau_month).where(bureau_month.c.month == month))]
        copy.drop(conn, checkfirst=True)
        copy.create(conn)
    marker = "?" if container.engine.dialect.name == "sqlite" else "%s"
    sql = f"INSERT INTO {copy.name} VALUES ({', '.join([marker] * len(copy.columns))})"
    raw = container.engine.raw_connection()
    server = container.engine.dialect.name != "sqlite"
    try:
        before = _server_cpu(name) if server else None
        started, cpu = time.perf_counter(), time.process_time()
        cursor = raw.cursor()
        cursor.executemany(sql, rows)
        raw.commit()
        wall, used = time.perf_counter() - started, time.process_time() - cpu
        served = _server_used(before, _server_cpu(name)) if server else None
        cursor.close()
    finally:
        raw.close()
    with container.engine.begin() as conn:
        copy.drop(conn)
    return len(rows), wall, used, served


def _both(accounts: int, runs: list[tuple[float, float, float | None]]) -> float | None:
    """Median base segments per CPU-second of client and server together; None when the server's is unknown."""
    if any(server is None for _, _, server in runs):
        return None
    return statistics.median(accounts / (client + (server or 0.0)) for _, client, server in runs)


def bench_metro2_intake(accounts: int, runs: int, backends: tuple[str, ...] = ("sqlite",)) -> float:
    """Median SQLite base segments/s (wall) of the month-end file; prints both files, the anchor and memory."""
    first = build_metro2_file(accounts, date(2026, 1, 31))
    month_end = build_metro2_file(accounts, date(2026, 2, 28))
    result = 0.0
    for backend in backends:
        # (wall, client CPU, server CPU or None) a run
        timings: dict[str, list[tuple[float, float, float | None]]] = {"new": [], "month_end": [], "bare": []}
        for _ in range(runs):
            with tempfile.TemporaryDirectory() as tmp:
                name = f"fairlend_bench_metro2_{uuid.uuid4().hex[:8]}"
                container = _us_container(fresh_database(backend, Path(tmp), name), Path(tmp))
                try:
                    assert isinstance(container.bureau, InProcessBureau)
                    institution = container.bureau.register_institution("Metro 2 Bank").institution_id
                    client = container.bureau.client_for(institution)
                    for label, content in (("new", first), ("month_end", month_end)):
                        before = _server_cpu(name) if backend != "sqlite" else None
                        started, cpu = time.perf_counter(), time.process_time()
                        ack = client.submit_file(content)
                        wall, used = time.perf_counter() - started, time.process_time() - cpu
                        served = _server_used(before, _server_cpu(name)) if backend != "sqlite" else None
                        timings[label].append((wall, used, served))
                        assert ack.rejected == (), ack.rejected[:3]
                    rows, wall, used, served = _bare_insert(container, 202602, name)
                    assert rows == accounts, rows
                    timings["bare"].append((wall, used, served))
                finally:
                    container.close()
                    if backend != "sqlite":
                        drop_pg(name)
        print(f"Metro 2 intake into {backend}, {accounts:,} base segments a file, {runs} runs (target {TARGET:,}/s)")
        rates = {}
        bare_cpu = statistics.median(accounts / c for _, c, _ in timings["bare"])
        bare_wall = statistics.median(accounts / w for w, _, _ in timings["bare"])
        bare_both = _both(accounts, timings["bare"])
        for label, what in (("new", "first month, every account new"), ("month_end", "month-end, every account known")):
            wall = sorted(accounts / w for w, _, _ in timings[label])
            cpu = statistics.median(accounts / c for _, c, _ in timings[label])
            rates[label] = statistics.median(wall)
            print(
                f"  {what}: {rates[label]:,.0f} base segments/s (range {wall[0]:,.0f}-{wall[-1]:,.0f}); "
                f"ratio {rates[label] / TARGET:.2f}; {cpu:,.0f} per CPU-second; "
                f"costs {bare_cpu / cpu:.1f}x the bare insert (CPU), {bare_wall / rates[label]:.1f}x (wall)"
            )
            both = _both(accounts, timings[label])
            if backend != "sqlite":
                print(
                    f"    client+server: {both:,.0f} per CPU-second, costs {bare_both / both:.1f}x the bare insert"
                    if both and bare_both
                    else "    client+server: server CPU not readable (not this machine's server)"
                )
        print(
            f"  anchor, bare insert of the same {accounts:,} month rows: {bare_wall:,.0f} rows/s, {bare_cpu:,.0f} per CPU-second"
            + (f", {bare_both:,.0f} of client and server" if bare_both else "")
        )
        if backend == "sqlite":
            result = rates["month_end"]
    small, large = _parse_peak(month_end), _parse_peak(build_metro2_file(accounts * 4, date(2026, 2, 28)))
    print(
        f"  reading, peak memory beyond the file: {small / 1e6:.1f} MB for {accounts:,} segments, "
        f"{large / 1e6:.1f} MB for {accounts * 4:,} (ratio {large / small:.2f}; flat is 1)"
    )
    return result
