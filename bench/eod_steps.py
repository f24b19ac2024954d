"""Where the whole platform's day goes: wall and CPU time of each end-of-day step.

Seeds the book of `bench.eod`, closes one date with lending's steps alone, then
the next dates with the whole platform's day (`fairlend eod`) with a timer
around every step and after-day work, then the bare UPDATE of the same rows in
the same process, and prints one table per date (wall s, CPU s, share of the
day) and the ratios to the bare UPDATE.

    .venv/bin/python -m bench.eod_steps --loans 50000
    .venv/bin/python -m bench.eod_steps --backends postgresql --loans 50000
    .venv/bin/python -m bench.eod_steps --loans 50000 --profile 25   # cProfile's top 25 of the last date
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench.eod import BARE_UPDATE, BUSINESS_DATE, PG_DB, bare_update, seed
from bench.scratch import fresh_database
from fairlend.bootstrap import bootstrap
from fairlend.cli import freeze_long_lived
from fairlend.clock import FixedClock
from fairlend.collections.tables import collection_task
from fairlend.config import Settings
from fairlend.db.migrate import upgrade
from fairlend.db.tables import outbox
from fairlend.finance.tables import finance_class_change, finance_non_accrual_change
from fairlend.lending.eod import EndOfDay
from fairlend.lending.tables import loan_delinquency_transition

Timings = dict[str, list[float]]  # step name -> [wall s, CPU s]


def _timed(name: str, fn: Callable[..., Any], into: Timings) -> Callable[..., Any]:
    def run(*args: Any, **kwargs: Any) -> Any:
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            return fn(*args, **kwargs)
        finally:
            into.setdefault(name, [0.0, 0.0])
            into[name][0] += time.perf_counter() - wall
            into[name][1] += time.process_time() - cpu

    return run


def instrument(eod: EndOfDay, into: Timings) -> None:
    """A timer around every step's run (or partition run: one transaction's `run` calls it) and after-day work."""
    for step in eod.steps:
        if eod.partition_count == 1 or not hasattr(step, "run_partition"):
            object.__setattr__(step, "run", _timed(step.name, step.run, into))
        else:
            object.__setattr__(step, "run_partition", _timed(step.name, step.run_partition, into))
    eod._after = [(name, _timed(f"after:{name}", fn, into)) for name, fn in eod._after]
    eod._journal.flush = _timed("journal flush", eod._journal.flush, into)  # type: ignore[method-assign]


def statement_timer(engine: Any, into: dict[str, list[float]]) -> None:
    """Wall and CPU time of every statement, keyed by its first 110 characters."""
    from sqlalchemy import event

    started: list[tuple[float, float]] = []

    @event.listens_for(engine, "before_cursor_execute")
    def before(*_: Any) -> None:
        started.append((time.perf_counter(), time.process_time()))

    @event.listens_for(engine, "after_cursor_execute")
    def after(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        wall, cpu = started.pop()
        key = " ".join(statement.split())[:110]
        row = into.setdefault(key, [0.0, 0.0, 0.0])
        row[0] += time.perf_counter() - wall
        row[1] += time.process_time() - cpu
        row[2] += 1


GC_TIME = [0.0, 0.0]  # seconds in the garbage collector, collections of generation 2


def gc_timer() -> None:
    import gc

    began: list[float] = []

    def callback(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            began.append(time.perf_counter())
        elif began:
            GC_TIME[0] += time.perf_counter() - began.pop()
            GC_TIME[1] += info["generation"] == 2

    gc.callbacks.append(callback)


def _copy(table: sa.Table, day: Any, to: Any, **replace: Any) -> Any:
    """INSERT ... SELECT of one date's rows of `table` at date `to` (other columns replaced as given)."""
    columns = [c for c in table.c if c.name != "position" and c.name != "xact_order"]
    picked = [
        replace[c.name](c).label(c.name)
        if c.name in replace
        else sa.literal(to, sa.Date).label(c.name)
        if c.name == "business_date"
        else c
        for c in columns
    ]
    rows = sa.select(*picked).where(table.c.business_date == day)
    return sa.insert(table).from_select([c.name for c in columns], rows)


def floor(container: Any, day: Any) -> tuple[float, float, dict[str, int]]:
    """The rows the data model makes one date write, bare: the bare UPDATE of the loans, then a copy of the
    date's task, transition, event and finance rows, in one transaction (wall s, CPU s, rows copied)."""
    to = day + timedelta(days=1000)
    copies = {
        "collection_task": _copy(collection_task, day, to, id=lambda c: c + "f"),
        "loan_delinquency_transition": _copy(loan_delinquency_transition, day, to, id=lambda c: c + "f"),
        "outbox": _copy(outbox, day, to),
        "finance_class_change": _copy(finance_class_change, day, to, latest=lambda c: sa.literal(0)),
        "finance_non_accrual_change": _copy(finance_non_accrual_change, day, to),
    }
    counts: dict[str, int] = {}
    wall, cpu = time.perf_counter(), time.process_time()
    with container.engine.begin() as conn:
        conn.execute(BARE_UPDATE)
        for name, statement in copies.items():
            counts[name] = conn.execute(statement.execution_options(preserve_rowcount=True)).rowcount
    return time.perf_counter() - wall, time.process_time() - cpu, counts


def run_backend(backend: str, n: int, days: int, workdir: Path, partitions: int, profile: int, freeze: bool) -> None:
    url = fresh_database(backend, workdir, PG_DB)
    clock = FixedClock(datetime(2026, 6, 15, 2, tzinfo=UTC), BUSINESS_DATE)
    settings = Settings(environment="test", database_url=url, data_dir=workdir, eod_partitions=partitions)
    container = bootstrap(settings, clock=clock)
    upgrade(container.engine)
    seed(container, n)
    if freeze:
        freeze_long_lived()  # as `fairlend eod` does once its container is open
    gc_timer()
    lending_only = EndOfDay(container.uow, container.ledger, container.profile, clock)
    wall, cpu = time.perf_counter(), time.process_time()
    lending_only.run_day(BUSINESS_DATE)
    lending = (time.perf_counter() - wall, time.process_time() - cpu)
    timings: Timings = {}
    instrument(container.eod, timings)
    statements: dict[str, list[float]] = {}
    if os.environ.get("EOD_STATEMENTS"):
        statement_timer(container.engine, statements)
    days_taken: list[tuple[float, float, Timings]] = []
    for k in range(1, days + 1):
        timings.clear()
        statements.clear()
        GC_TIME[:] = [0.0, 0.0]
        profiler = cProfile.Profile() if profile and k == days else None
        wall, cpu = time.perf_counter(), time.process_time()
        if profiler:
            profiler.enable()
        container.eod.run_day(BUSINESS_DATE + timedelta(days=k))
        if profiler:
            profiler.disable()
        days_taken.append((time.perf_counter() - wall, time.process_time() - cpu, dict(timings)))
        print(f"date {k}: {GC_TIME[0]:.3f} s in the garbage collector ({GC_TIME[1]:.0f} full collections)")
        if profiler:
            pstats.Stats(profiler).sort_stats(os.environ.get("EOD_PROFILE_SORT", "cumulative")).print_stats(profile)
    if statements:
        print(f"{'statement (last date)':<112}{'wall s':>8}{'CPU s':>8}{'n':>6}")
        for key, (w, c, k) in sorted(statements.items(), key=lambda kv: -kv[1][1])[:30]:
            print(f"{key:<112}{w:>8.3f}{c:>8.3f}{int(k):>6}")
    cpu = time.process_time()
    bare = bare_update(container)
    bare_cpu = time.process_time() - cpu
    floor_wall, floor_cpu, copied = floor(container, BUSINESS_DATE + timedelta(days=days))
    container.close()
    print(f"\n[{backend}] {n:,} loans, partitions {partitions}")
    print(f"lending's steps alone: {lending[0]:.2f} s wall, {lending[1]:.2f} s CPU; bare UPDATE {bare:.2f} s")
    for k, (day_wall, day_cpu, steps) in enumerate(days_taken, start=1):
        print(f"\nwhole day {k}: {day_wall:.2f} s wall ({n / day_wall:,.0f} loans/s), {day_cpu:.2f} s CPU;")
        print(f"  {day_wall / bare:.2f}x the bare UPDATE's wall ({bare:.2f} s, CPU {bare_cpu:.2f} s)")
        print(f"{'step':<34}{'wall s':>9}{'CPU s':>9}{'share':>8}")
        for name, (w, c) in sorted(steps.items(), key=lambda kv: -kv[1][0]):
            print(f"{name:<34}{w:>9.3f}{c:>9.3f}{w / day_wall:>8.0%}")
        rest = day_wall - sum(w for w, _ in steps.values())
        print(f"{'(settle, lock, run record, commit)':<34}{rest:>9.3f}{'':>9}{rest / day_wall:>8.0%}")
    last_wall, last_cpu = days_taken[-1][0], days_taken[-1][1]
    print(f"\nthe last date's rows written bare (the bare UPDATE, then a copy of {copied}) in one transaction:")
    print(f"  floor {floor_wall:.2f} s wall, {floor_cpu:.2f} s CPU = {floor_wall / bare:.2f}x the bare UPDATE's wall,")
    print(
        f"  {floor_cpu / bare_cpu:.2f}x its CPU; the last date: {last_wall / bare:.2f}x wall, {last_cpu / bare_cpu:.2f}x CPU"
    )
    print(f"  of the bare UPDATE; {last_wall / floor_wall:.2f}x wall, {last_cpu / floor_cpu:.2f}x CPU of the floor")
    load1, load5, load15 = os.getloadavg()
    print(f"load average (1/5/15 min): {load1:.2f} {load5:.2f} {load15:.2f} on {os.cpu_count()} cores")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--loans", type=int, default=20_000)
    parser.add_argument("--days", type=int, default=2, help="whole-platform dates to close after lending's")
    parser.add_argument("--backends", default="sqlite")
    parser.add_argument("--partitions", type=int, default=1)
    parser.add_argument("--profile", type=int, default=0, help="print cProfile's top N of the last date")
    parser.add_argument("--no-freeze", action="store_true", help="leave the process's objects to the collector")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="fairlend-bench-") as tmp:
        for backend in args.backends.split(","):
            run_backend(backend, args.loans, args.days, Path(tmp), args.partitions, args.profile, not args.no_freeze)


if __name__ == "__main__":
    main()
