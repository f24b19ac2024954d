"""Month-end close over N active loans: classification and provisions, set-based; and the statements.

Prints loans per second for the month-end classification and provisions (one
transaction each), the ratio to a bare `UPDATE` of the same rows run in the
same process, how long a month's statements take, the load average beside
the figures (the machine is shared) and the process's peak memory (seeding
included). On SQLite also the process's CPU seconds of each step and of the
bare UPDATE: SQLite works in-process, so they are the work itself, while the
wall seconds on a loaded machine are mostly a wait for a core. Two month-ends:
the worst case (a book classified for the first time, every loan changing
class) and a typical one (only the day's movers change class).

    .venv/bin/python -m bench.finance --loans 20000
    .venv/bin/python -m bench.finance --loans 1000000 --backends sqlite     # the issue's size

PostgreSQL: 127.0.0.1, user postgres, scratch database `fairlend_bench_finance`.
"""

from __future__ import annotations

import os
import resource
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from bench.eod import BARE_UPDATE, BUSINESS_DATE, seed
from bench.scratch import fresh_database, run_each_backend
from fairlend.bootstrap import Container, bootstrap
from fairlend.clock import FixedClock
from fairlend.config import Settings
from fairlend.db.migrate import upgrade
from fairlend.db.uow import UnitOfWork
from fairlend.finance.model import parse_month

PG_DB = "fairlend_bench_finance"
MONTH_END = date(2026, 6, 30)
NEXT_MONTH_END = date(2026, 7, 31)
# Spread the book over every class: days past due by loan number (0..399), as a set-based UPDATE.
SPREAD = sa.text("UPDATE loan SET dpd = (CAST(substr(id, 6) AS BIGINT) * 37) % 400 WHERE state = 'active'")


def _days_pass(days: int) -> sa.TextClause:
    """The late loans `days` later (the others stay current): some cross a class's threshold."""
    return sa.text(f"UPDATE loan SET dpd = dpd + {days} WHERE state = 'active' AND dpd > 0")


@dataclass(frozen=True, slots=True)
class Step:
    """One month-end step: its wall seconds and this process's CPU seconds (SQLite works in-process)."""

    wall: float
    cpu: float


def _timed(container: Container, step: Callable[[UnitOfWork], object]) -> tuple[object, Step]:
    wall, cpu = time.perf_counter(), time.process_time()
    with container.uow() as uow:
        result = step(uow)
        uow.commit()
    return result, Step(time.perf_counter() - wall, time.process_time() - cpu)


def month_end(container: Container, day: date) -> tuple[int, int, Step, Step]:
    """Classification and provisions of `day`, each in its own transaction: changes, segments, each step's time."""
    finance = container.finance
    changed, classified = _timed(container, lambda uow: finance.classifier.run(uow, day))
    segments, provisioned = _timed(container, lambda uow: finance.provisions.run(uow, day))
    assert isinstance(changed, int) and isinstance(segments, list)
    return changed, len(segments), classified, provisioned


def run_backend(backend: str, n: int, workdir: Path) -> None:
    url = fresh_database(backend, workdir, PG_DB)
    clock = FixedClock(datetime(2026, 6, 15, 2, tzinfo=UTC), BUSINESS_DATE)
    container = bootstrap(Settings(environment="test", database_url=url, data_dir=workdir), clock=clock)
    upgrade(container.engine)
    seed(container, n)
    with container.engine.begin() as conn:
        conn.execute(SPREAD)
    # The worst case: a book classified for the first time, every loan changing class on the day.
    worst = month_end(container, MONTH_END)
    # A month-end as end-of-day runs it: the book was classified the day before, so only the day's
    # movers change class; every loan is provisioned.
    with container.engine.begin() as conn:
        conn.execute(_days_pass(NEXT_MONTH_END.day - 1))
    with container.uow() as uow:
        container.finance.classifier.run(uow, NEXT_MONTH_END - timedelta(days=1))
        uow.commit()
    with container.engine.begin() as conn:
        conn.execute(_days_pass(1))
    typical = month_end(container, NEXT_MONTH_END)
    started = time.perf_counter()
    statements = container.finance.statements.for_period(parse_month("2026-06"))
    stated = time.perf_counter() - started
    started, cpu = time.perf_counter(), time.process_time()
    with container.engine.begin() as conn:  # last: it spoils the subledger
        conn.execute(BARE_UPDATE)
    bare = Step(time.perf_counter() - started, time.process_time() - cpu)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    for label, (changed, segments, classified, provisioned) in (
        ("first classification (every loan changes class)", worst),
        ("month-end after a classified day", typical),
    ):
        total = classified.wall + provisioned.wall
        print(
            f"{backend}: {n:,} loans, {label}: {changed:,} class changes, {segments} segments;"
            f" classification {classified.wall:.2f} s ({n / classified.wall:,.0f} loans/s,"
            f" {classified.wall / bare.wall:.2f}x bare) + provisions {provisioned.wall:.2f} s"
            f" ({n / provisioned.wall:,.0f} loans/s, {provisioned.wall / bare.wall:.2f}x bare)"
            f" = {n / total:,.0f} loans/s; ratio to the bare UPDATE {total / bare.wall:.1f}x",
            flush=True,
        )
        if backend == "sqlite":
            # SQLite works in this process, so its CPU seconds are the work itself, whatever the load
            # (the wall seconds are mostly waiting for a core on a shared machine).
            cpu = max(classified.cpu + provisioned.cpu, 1e-6)  # a tiny book can take no measurable CPU
            print(
                f"{backend}: {label}, CPU: classification {classified.cpu:.2f} s + provisions"
                f" {provisioned.cpu:.2f} s = {n / cpu:,.0f} loans per CPU-second;"
                f" ratio to the bare UPDATE's CPU ({bare.cpu:.2f} s) {cpu / max(bare.cpu, 1e-6):.1f}x",
                flush=True,
            )
    print(
        f"{backend}: bare UPDATE of the same rows {bare.wall:.2f} s; a month's statements {stated * 1000:.0f} ms,"
        f" balanced {all(s.balance_sheet.balanced for s in statements)}; load {load}; peak memory {peak:,} MB",
        flush=True,
    )
    container.close()


def main(argv: list[str] | None = None) -> None:
    run_each_backend(__doc__.splitlines()[0], run_backend, argv)


if __name__ == "__main__":
    main()
