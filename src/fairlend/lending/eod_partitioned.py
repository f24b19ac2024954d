"""One partition of a business date, in its own transaction, once.

`run_partition` first marks the partition running (its own short transaction:
attempts, worker, start, so operators see who has it), then runs the date's
per-borrower steps over the partition's borrowers in one transaction that
starts by locking the partition's row: a partition found committed there is
left alone, so a redelivered task (its worker died after the commit, before
the broker heard) changes nothing. The day's journal entries of the partition
are posted at the end of lending's steps, as in a whole day's run (loans
first, then the control accounts, the order repayments take). An error is
recorded on the row (failed, with its error) and not raised: the caller
(in-process loop or Celery task) reports it through the row. Partitions do
not deadlock one another: their rows are their borrowers', and their journal
moves the control accounts once, last, in account order, on the partition's
own balance shard (`DayJournal.flush`), so nothing is retried.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Callable, Sequence
from datetime import date

from sqlalchemy import Connection

from fairlend.batch.model import COMMITTED, Partition, PartitionRun
from fairlend.db.uow import UnitOfWork, UnitOfWorkFactory
from fairlend.errors import Conflict, Invalid, NotFound
from fairlend.faults import crash_point, fault_point
from fairlend.lending.eod_dates import LOCK_BUSINESS_DATE, is_done_on, stored_business_date
from fairlend.lending.eod_journal import DayJournal
from fairlend.lending.eod_partitions import (
    dates_with_partitions,
    lock_partition,
    mark_committed,
    mark_failed,
    mark_running,
    open_partitions,
    partition_of,
    partitions_of,
)
from fairlend.lending.eod_types import (
    EMBEDDED,
    SETTLE,
    EodRunResult,
    EodStep,
    PartitionDispatcher,
    PartitionedEodStep,
    Progress,
)

log = logging.getLogger("fairlend.eod")


def this_worker() -> str:
    """The name partition rows show for work done by this process."""
    return f"{socket.gethostname()}:{os.getpid()}"


def run_one_partition(
    uow: UnitOfWorkFactory,
    journal: DayJournal,
    own: Sequence[PartitionedEodStep],
    registered: Sequence[PartitionedEodStep],
    business_date: date,
    number: int,
    worker: str,
    stored_date: Callable[[Connection], date | None],
) -> PartitionRun:
    """Run one partition of the date unless it has committed; the row as it stands afterwards."""
    started = time.perf_counter()
    with uow() as claim:
        row = lock_partition(claim.conn, business_date, number)
        if row is None:
            raise NotFound("eod_partition_not_found", f"{business_date} has no partition {number}")
        if row.state == COMMITTED:
            return row
        if stored_date(claim.conn) != business_date:
            raise Invalid("eod_out_of_order", f"partition {number} of {business_date}: that date is not the open one")
        mark_running(claim.conn, business_date, number, worker, claim.clock.now())
        claim.commit()
    part = Partition(number, row.of_count)
    try:
        return _run_once(uow, journal, own, registered, business_date, part, started)
    except Exception as exc:  # recorded on the row: the date stays open until a retry commits it
        return _failed(uow, business_date, number, started, exc)


def _run_once(
    uow: UnitOfWorkFactory,
    journal: DayJournal,
    own: Sequence[PartitionedEodStep],
    registered: Sequence[PartitionedEodStep],
    business_date: date,
    part: Partition,
    started: float,
) -> PartitionRun:
    with uow() as work:
        row = lock_partition(work.conn, business_date, part.number)
        assert row is not None
        if row.state == COMMITTED:
            return row  # a second delivery of the task got here first
        # Where a test stalls a worker inside its partition (to kill it there) or makes the partition fail.
        fault_point("eod.partition")
        fault_point(f"eod.partition.{part.number}")
        counts: dict[str, int] = {}
        journal.deferring = True
        try:
            for step in own:
                counts[step.name] = int(step.run_partition(work, business_date, part))
                crash_point("eod.after_step")
            journal.flush(work, shard=part.number)
        finally:
            journal.deferring = False
            journal.discard()
        for step in registered:
            counts[step.name] = int(step.run_partition(work, business_date, part))
            crash_point("eod.after_step")
        duration = int((time.perf_counter() - started) * 1000)
        mark_committed(work.conn, business_date, part.number, counts, work.clock.now(), duration)
        work.commit()
    crash_point("eod.partition.after_commit")
    return _as_stored(uow, business_date, part.number)


def _as_stored(uow: UnitOfWorkFactory, business_date: date, number: int) -> PartitionRun:
    with uow(read_only=True) as read:
        found = partition_of(read.conn, business_date, number)
    assert found is not None
    return found


def _failed(uow: UnitOfWorkFactory, business_date: date, number: int, started: float, exc: Exception) -> PartitionRun:
    log.error("partition %d of %s failed", number, business_date, exc_info=exc)
    duration = int((time.perf_counter() - started) * 1000)
    with uow() as record:
        mark_failed(record.conn, business_date, number, f"{type(exc).__name__}: {exc}", record.clock.now(), duration)
        record.commit()
    return _as_stored(uow, business_date, number)


class PartitionedDays:
    """End-of-day's dates run in partitions: the part of `EndOfDay` that opens, runs and closes them."""

    _uow: UnitOfWorkFactory
    _journal: DayJournal
    _own: list[PartitionedEodStep]
    _partitions: int
    _dispatcher: PartitionDispatcher | None

    # Provided by EndOfDay.
    @property
    def mode(self) -> str:
        raise NotImplementedError

    def is_done(self, business_date: date) -> bool:
        raise NotImplementedError

    def partitioned_steps(self) -> list[PartitionedEodStep]:
        raise NotImplementedError

    def final_steps(self) -> list[EodStep]:
        raise NotImplementedError

    def _ensure_stored_date(self, business_date: date) -> None:
        raise NotImplementedError

    def _settle(self, uow: UnitOfWork, business_date: date, progress: Progress | None) -> int:
        raise NotImplementedError

    def _record_done(
        self, uow: UnitOfWork, business_date: date, counts: dict[str, int], duration: int, partitions: int
    ) -> None:
        raise NotImplementedError

    def _record_failure(
        self, d: date, counts: dict[str, int], duration: int, exc: Exception, outcome: str = "failed"
    ) -> None:
        raise NotImplementedError

    def _after_day(self, business_date: date, counts: dict[str, int], progress: Progress | None) -> None:
        raise NotImplementedError

    def partition_runs(self, business_date: date) -> list[PartitionRun]:
        with self._uow(read_only=True) as uow:
            return partitions_of(uow.conn, business_date)

    def partitioned_dates(self, limit: int = 10) -> list[date]:
        with self._uow(read_only=True) as uow:
            return dates_with_partitions(uow.conn, limit)

    def open_partitions(self, business_date: date) -> list[PartitionRun]:
        """The date's partition rows (written the first time); the date must be the open one."""
        self._ensure_stored_date(business_date)
        with self._uow() as uow:
            stored = uow.conn.execute(LOCK_BUSINESS_DATE).scalar()
            if stored is not None and business_date != stored and not is_done_on(uow.conn, business_date):
                raise Invalid("eod_out_of_order", f"the next date to close is {stored}, not {business_date}")
            rows = open_partitions(uow.conn, business_date, self._partitions)
            uow.commit()
        return rows

    def run_partition(self, business_date: date, number: int, worker: str = "") -> PartitionRun:
        """Run one partition of the open date unless it has committed (any process: a worker, a retry)."""
        return run_one_partition(
            self._uow,
            self._journal,
            self._own,
            self.partitioned_steps(),
            business_date,
            number,
            worker or this_worker(),
            stored_business_date,
        )

    def retry(self, business_date: date, number: int) -> EodRunResult:
        """Run one partition again in this process; the date closes if that was the last one open."""
        if self.is_done(business_date):
            return EodRunResult(business_date, "skipped")
        run = self.run_partition(business_date, number)
        if run.state != COMMITTED:
            raise Conflict("eod_partition_failed", f"{business_date} partition {number} failed again: {run.error}")
        if any(r.state != COMMITTED for r in self.partition_runs(business_date)):
            return EodRunResult(business_date, "open", dict(run.counts), run.duration_ms)
        return self._close_partitioned(business_date, time.perf_counter(), None)

    def _run_partitioned(self, business_date: date, progress: Callable[[date, str], None] | None) -> EodRunResult:
        started = time.perf_counter()
        if self.is_done(business_date):
            return EodRunResult(business_date, "skipped")
        rows = self.open_partitions(business_date)
        todo = [r.number for r in rows if r.state != COMMITTED]
        if todo:
            dispatcher = self._dispatcher or InProcess(self)
            dispatcher.dispatch(business_date, todo, progress)
        open_ = [r for r in self.partition_runs(business_date) if r.state != COMMITTED]
        if open_:
            named = "; ".join(f"partition {r.number} {r.state}: {r.error}" for r in open_)
            exc = Conflict(
                "eod_partitions_open", f"{business_date} stays open: {len(open_)} of {len(rows)} partitions ({named})"
            )
            self._record_failure(business_date, {}, int((time.perf_counter() - started) * 1000), exc)
            raise exc
        return self._close_partitioned(business_date, started, progress)

    def _close_partitioned(
        self, business_date: date, started: float, progress: Callable[[date, str], None] | None
    ) -> EodRunResult:
        """The final step: once every partition committed, the work across borrowers, the record, the date."""
        counts: dict[str, int] = {}
        try:
            with self._uow() as uow:
                stored = uow.conn.execute(LOCK_BUSINESS_DATE).scalar()
                if is_done_on(uow.conn, business_date):
                    return EodRunResult(business_date, "skipped")
                if stored is not None and business_date != stored:
                    raise Invalid("eod_out_of_order", f"the next date to close is {stored}, not {business_date}")
                runs = partitions_of(uow.conn, business_date)
                if not runs or any(r.state != COMMITTED for r in runs):
                    raise Conflict("eod_partitions_open", f"{business_date}: not every partition has committed")
                counts[SETTLE] = self._settle(uow, business_date, progress)
                for step in [*self._own, *self.partitioned_steps()]:
                    counts[step.name] = sum(r.counts.get(step.name, 0) for r in runs)
                    closing = getattr(step, "close_partitions", None)
                    if callable(closing):
                        closing(uow, business_date, counts[step.name])
                for final in self.final_steps():
                    counts[final.name] = int(final.run(uow, business_date))
                    crash_point("eod.after_step")
                    if progress:
                        progress(business_date, final.name)
                duration = int((time.perf_counter() - started) * 1000)
                self._record_done(uow, business_date, counts, duration, len(runs))
                uow.commit()
        except Exception as exc:
            self._record_failure(business_date, counts, int((time.perf_counter() - started) * 1000), exc)
            raise
        self._after_day(business_date, counts, progress)
        return EodRunResult(business_date, "done", counts, duration, mode=self.mode, partitions=len(runs))


class InProcess:
    """Embedded: the partitions one after another in this process."""

    mode = EMBEDDED

    def __init__(self, eod: PartitionedDays) -> None:
        self._eod = eod

    def dispatch(self, business_date: date, numbers: list[int], progress: Callable[[date, str], None] | None) -> None:
        for number in numbers:
            self._eod.run_partition(business_date, number)
            if progress:
                progress(business_date, f"partition {number}")
