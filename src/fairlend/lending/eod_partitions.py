"""A business date's partitions as rows: opened once, claimed, committed or failed, listed.

A partition's row is its lock: the transaction that runs a partition's steps
takes the row first (`FOR UPDATE` on PostgreSQL; SQLite runs one writer at a
time) and does nothing if it is committed, so a task delivered twice (a worker
killed after its commit, before its acknowledgement) runs once. The number of
partitions is fixed when the date's rows are first written: a date half run
with 16 is finished with 16 whatever the setting says afterwards.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Row, insert, select, update

from fairlend.batch.model import COMMITTED, FAILED, PENDING, RUNNING, PartitionRun
from fairlend.lending.tables import eod_partition

_p = eod_partition.c


def _view(row: Row[Any]) -> PartitionRun:
    return PartitionRun(
        business_date=row.business_date,
        number=row.number,
        of_count=row.of_count,
        state=row.state,
        counts=dict(row.counts),
        attempts=row.attempts,
        worker=row.worker,
        started_at=row.started_at,
        finished_at=row.finished_at,
        duration_ms=row.duration_ms,
        error=row.error,
    )


def partitions_of(conn: Connection, business_date: date) -> list[PartitionRun]:
    rows = conn.execute(select(eod_partition).where(_p.business_date == business_date).order_by(_p.number)).all()
    return [_view(r) for r in rows]


def dates_with_partitions(conn: Connection, limit: int) -> list[date]:
    """The latest business dates that ran in partitions, newest first."""
    found = conn.execute(select(_p.business_date).distinct().order_by(_p.business_date.desc()).limit(limit)).scalars()
    return list(found)


def open_partitions(conn: Connection, business_date: date, count: int) -> list[PartitionRun]:
    """The date's partitions, written as pending the first time it is asked for."""
    existing = partitions_of(conn, business_date)
    if existing:
        return existing
    conn.execute(
        insert(eod_partition),
        [
            {
                "business_date": business_date,
                "number": n,
                "of_count": count,
                "state": PENDING,
                "counts": {},
                "attempts": 0,
                "worker": "",
                "started_at": None,
                "finished_at": None,
                "duration_ms": 0,
                "error": "",
            }
            for n in range(count)
        ],
    )
    return partitions_of(conn, business_date)


def partition_of(conn: Connection, business_date: date, number: int) -> PartitionRun | None:
    row = conn.execute(select(eod_partition).where(_p.business_date == business_date, _p.number == number)).first()
    return None if row is None else _view(row)


def lock_partition(conn: Connection, business_date: date, number: int) -> PartitionRun | None:
    row = conn.execute(
        select(eod_partition).where(_p.business_date == business_date, _p.number == number).with_for_update()
    ).first()
    return None if row is None else _view(row)


def mark_running(conn: Connection, business_date: date, number: int, worker: str, now: datetime) -> None:
    conn.execute(
        update(eod_partition)
        .where(_p.business_date == business_date, _p.number == number, _p.state != COMMITTED)
        .values(state=RUNNING, attempts=_p.attempts + 1, worker=worker[:200], started_at=now, error="")
    )


def mark_committed(
    conn: Connection, business_date: date, number: int, counts: dict[str, int], now: datetime, duration_ms: int
) -> None:
    conn.execute(
        update(eod_partition)
        .where(_p.business_date == business_date, _p.number == number)
        .values(state=COMMITTED, counts=counts, finished_at=now, duration_ms=duration_ms, error="")
    )


def mark_failed(
    conn: Connection, business_date: date, number: int, error: str, now: datetime, duration_ms: int
) -> None:
    """Failed, with what went wrong; never over a commit (a duplicate delivery failing late changes nothing)."""
    conn.execute(
        update(eod_partition)
        .where(_p.business_date == business_date, _p.number == number, _p.state != COMMITTED)
        .values(state=FAILED, error=error[:2000], finished_at=now, duration_ms=duration_ms)
    )
