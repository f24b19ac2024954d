"""End-of-day: the ordered steps that close a business date, set-based.

One business date is one transaction: lending's steps (penalty, accrual,
billing, late fees, days past due, buckets, reminders, month-end), then the
steps other contexts registered, then the run record and the new business
date. A failure anywhere rolls the whole date back and records the failed run
on its own; the date stays not done. Missed dates are caught up one at a
time. Every step is idempotent by its data too (the penalty remembers the
last day it charged, accrual is a function of the date, billing moves the
current installment on), and a date that is done is skipped. Runs of one
date at once (two processes) queue on the stored business-date row, so the
date closes once. A process killed mid-run (crash points `eod.after_step`,
`eod.after_commit`; `fairlend.faults`) leaves either nothing of the date or
all of it, and a re-run finishes it.

The day's transaction first settles the outbox (`settle`, db/outbox.py): it
waits, at most `settle_timeout` seconds (10), until no transaction of the
database that began before the day's own is still open, so that their events
(a repayment committing as the day closes) are final before the day's steps
and the T+1 reporting step read the outbox. It waits before any step touches
a loan, so nothing it waits for can be waiting on end-of-day's locks. Past
the timeout it goes on: the reporting step then reads only below the outbox's
horizon, and what is above it (the late transactions' events, and the day's
own) goes into the next run's file: never lost nor sent twice, and within T+1
when end-of-day runs within the day it closes (docs/reliability.md, "The
outbox"). The count `settle` records how many were still open (0: settled).

Lending's steps (`eod_steps.py`) are a few UPDATE ... WHERE statements over the loan table,
never a Python loop over loans. Extension point: `register(step)` with an
`EodStep`, and `register_after_day(name, fn)` for work that must follow the
commit (submitting the T+1 file to the bureau).

Partitions (`partitions` > 1, or a dispatcher; docs/scale-out.md): the date's
per-borrower work runs as partitions of the book, each in its own transaction
(eod_partitioned.py): lending's steps and every registered step that has
`run_partition` (a `PartitionedEodStep`). The other registered steps are
cross-borrower (listings, distribution to investors, the T+1 file) and run in
the final transaction with the outbox's settling, the run record and the new
business date, once every partition of the date has committed. A failed
partition leaves the date open; running the date again (or `retry`) runs only
the partitions not committed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import date, timedelta

from sqlalchemy import (
    func,
    insert,
    select,
)
from sqlalchemy.exc import IntegrityError

from fairlend.batch.model import Partition
from fairlend.clock import Clock
from fairlend.db.outbox import settle
from fairlend.db.uow import UnitOfWork, UnitOfWorkFactory
from fairlend.errors import Invalid
from fairlend.faults import crash_point
from fairlend.jurisdiction.model import Profile
from fairlend.ledger.service import Ledger
from fairlend.lending.eod_dates import (
    LOCK_BUSINESS_DATE,
    business_date_reader,
    is_done_on,
    restore_business_date,
    set_clock_date,
    store_business_date,
    stored_business_date,
)
from fairlend.lending.eod_journal import DayJournal
from fairlend.lending.eod_partitioned import PartitionedDays
from fairlend.lending.eod_status import BucketStep, MonthEndStep, ReminderStep
from fairlend.lending.eod_steps import (
    ACTIVE,
    AccrualStep,
    BillingStep,
    DelinquencyStep,
    LateFeeStep,
    PenaltyStep,
)
from fairlend.lending.eod_types import (
    EMBEDDED,
    SETTLE,
    SINGLE,
    AfterDay,
    EodRunResult,
    EodStep,
    PartitionDispatcher,
    PartitionedEodStep,
    is_partitioned,
)
from fairlend.lending.tables import (
    eod_run,
    loan,
    platform_business_date,
)

log = logging.getLogger("fairlend.eod")

SETTLE_TIMEOUT_SECONDS = 10.0

__all__ = [
    "SETTLE",
    "EndOfDay",
    "EodRunResult",
    "EodStep",
    "PartitionDispatcher",
    "PartitionedEodStep",
    "business_date_reader",
    "restore_business_date",
    "set_clock_date",
    "store_business_date",
    "stored_business_date",
]


# -- the runner -------------------------------------------------------------------------


class EndOfDay(PartitionedDays):
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        ledger: Ledger,
        profile: Profile,
        clock: Clock,
        *,
        settle_timeout: float = SETTLE_TIMEOUT_SECONDS,
        partitions: int = 1,
        single_below: int = 0,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._settle_timeout = settle_timeout
        Partition(0, partitions)  # refuses a count the slots cannot split
        self._partitions = partitions
        # In-process partitions run one after another, each with its own fixed cost (its steps' statements
        # and commit, about 28 ms on PostgreSQL): a book under `single_below` active loans closes a date in
        # one transaction instead (docs/scale-out.md, section 1).
        self._single_below = single_below
        self._dispatcher: PartitionDispatcher | None = None
        self._journal = journal = DayJournal(ledger)
        self._own: list[PartitionedEodStep] = [
            PenaltyStep(journal, profile),
            AccrualStep(journal, profile),
            BillingStep(journal, profile),
            LateFeeStep(journal, profile),
            DelinquencyStep(journal, profile),
            BucketStep(journal, profile),
            ReminderStep(journal, profile),
            MonthEndStep(journal, profile),
        ]
        self._registered: list[EodStep] = []  # partitioned ones and final ones, in registration order
        self._after: list[tuple[str, AfterDay]] = []

    def register(self, step: EodStep) -> None:
        """Add a step; it runs in the day's transaction after lending's own, in registration order."""
        if step.name == SETTLE or any(s.name == step.name for s in self.steps):
            raise Invalid("eod_step_exists", f"an end-of-day step named {step.name!r} is registered already")
        self._registered.append(step)

    def register_after_day(self, name: str, fn: AfterDay) -> None:
        """Add work that runs after a date commits (it must catch up by itself if it fails)."""
        self._after.append((name, fn))

    def use_dispatcher(self, dispatcher: PartitionDispatcher) -> None:
        """Have the partitions run elsewhere (Celery workers: fairlend.batch.celery_app)."""
        self._dispatcher = dispatcher

    @property
    def mode(self) -> str:
        """single (the whole date in one transaction), embedded (partitions in-process) or the dispatcher's."""
        if self._dispatcher is not None:
            return self._dispatcher.mode
        return EMBEDDED if self._partitions > 1 else SINGLE

    @property
    def partition_count(self) -> int:
        return self._partitions

    @property
    def steps(self) -> list[EodStep]:
        return [*self._own, *self._registered]

    def partitioned_steps(self) -> list[PartitionedEodStep]:
        """The registered steps that run in each partition (after lending's own), in registration order."""
        return [s for s in self._registered if is_partitioned(s)]  # type: ignore[misc]

    def final_steps(self) -> list[EodStep]:
        """The registered steps across borrowers: they run once, after every partition has committed."""
        return [s for s in self._registered if not is_partitioned(s)]

    def step_names(self) -> list[str]:
        return [SETTLE] + [s.name for s in self.steps] + [f"after:{name}" for name, _ in self._after]

    def business_date(self) -> date:
        with self._uow(read_only=True) as uow:
            return stored_business_date(uow.conn) or uow.clock.business_date()

    def is_done(self, business_date: date) -> bool:
        with self._uow(read_only=True) as uow:
            return is_done_on(uow.conn, business_date)

    def runs(self, limit: int = 50, offset: int = 0, *, on: date | None = None) -> list[EodRunResult]:
        """Runs, newest first; `on` keeps one business date's (a failed run and its re-run)."""
        query = select(eod_run).order_by(eod_run.c.id.desc()).limit(limit).offset(offset)
        if on is not None:
            query = query.where(eod_run.c.business_date == on)
        with self._uow(read_only=True) as uow:
            rows = uow.conn.execute(query).all()
        return [
            EodRunResult(r.business_date, r.outcome, dict(r.counts), r.duration_ms, r.error, r.mode, r.partitions)
            for r in rows
        ]

    def run(
        self, through: date | None = None, progress: Callable[[date, str], None] | None = None
    ) -> list[EodRunResult]:
        """Close every business date from the current one through `through` (default: just the current)."""
        current = self.business_date()
        through = through or current
        # Dates before the current one are closed already: asking again does nothing.
        results = []
        d = current
        while d <= through:
            results.append(self.run_day(d, progress))
            d += timedelta(days=1)
        return results

    def run_day(self, business_date: date, progress: Callable[[date, str], None] | None = None) -> EodRunResult:
        """Close one date; a date already done changes nothing."""
        if self._in_one_transaction(business_date):
            return self._run_single(business_date, progress)
        return self._run_partitioned(business_date, progress)

    def _in_one_transaction(self, business_date: date) -> bool:
        """Single mode, or in-process partitions over a book under `single_below` active loans; a date
        begun in partitions (the setting or the book changed since) is finished in them."""
        if self.mode == SINGLE:
            return not self.partition_runs(business_date)
        if self.mode != EMBEDDED or not self._single_below:
            return False
        return self._active_loans_fewer_than(self._single_below) and not self.partition_runs(business_date)

    def _active_loans_fewer_than(self, limit: int) -> bool:
        # Counts no further than the limit: on a book of a million loans this reads `limit` index entries.
        active = select(loan.c.id).where(ACTIVE).limit(limit).subquery()
        with self._uow(read_only=True) as uow:
            return int(uow.conn.execute(select(func.count()).select_from(active)).scalar_one()) < limit

    # -- one transaction ------------------------------------------------------------

    def _run_single(self, business_date: date, progress: Callable[[date, str], None] | None) -> EodRunResult:
        """Close one date in one transaction."""
        started = time.perf_counter()
        counts: dict[str, int] = {}
        self._ensure_stored_date(business_date)
        try:
            with self._uow() as uow:
                # Two runs at once (a scheduler and an operator, two machines) must not both close the
                # date: each step computes its journal totals before its UPDATE, so the second run would
                # post the day's penalty and accrual again from what it read before the first committed.
                # The business-date row is the day's lock; the second run waits on it, then sees the date
                # done. Repayments never take it, so they are not held up. (SQLite's BEGIN IMMEDIATE
                # already runs one writer at a time.)
                stored = uow.conn.execute(LOCK_BUSINESS_DATE).scalar()
                if is_done_on(uow.conn, business_date):
                    return EodRunResult(business_date, "skipped")
                if stored is not None and business_date != stored:
                    raise Invalid("eod_out_of_order", f"the next date to close is {stored}, not {business_date}")
                counts[SETTLE] = self._settle(uow, business_date, progress)
                self._journal.deferring = True
                try:
                    for step in self._own:
                        counts[step.name] = int(step.run(uow, business_date))
                        crash_point("eod.after_step")
                        if progress:
                            progress(business_date, step.name)
                    self._journal.flush(uow)
                finally:
                    self._journal.deferring = False
                    self._journal.discard()
                for registered in self._registered:
                    counts[registered.name] = int(registered.run(uow, business_date))
                    crash_point("eod.after_step")
                    if progress:
                        progress(business_date, registered.name)
                duration = int((time.perf_counter() - started) * 1000)
                self._record_done(uow, business_date, counts, duration, 1, mode=SINGLE)
                uow.commit()
        except Exception as exc:
            duration = int((time.perf_counter() - started) * 1000)
            self._record_failure(business_date, counts, duration, exc, mode=SINGLE)
            raise
        self._after_day(business_date, counts, progress)
        return EodRunResult(business_date, "done", counts, duration)

    def _settle(self, uow: UnitOfWork, business_date: date, progress: Callable[[date, str], None] | None) -> int:
        waited = settle(uow.conn, timeout=self._settle_timeout)
        if waited:
            log.warning(
                "%s: %d older transactions still open after %.0f s; their events and the day's go in the"
                " next reporting file",
                business_date,
                waited,
                self._settle_timeout,
            )
        if progress:
            progress(business_date, SETTLE)
        return waited

    def _record_done(
        self,
        uow: UnitOfWork,
        business_date: date,
        counts: dict[str, int],
        duration: int,
        partitions: int,
        *,
        mode: str | None = None,
    ) -> None:
        """The run record and the next business date, in the closing transaction."""
        uow.conn.execute(
            insert(eod_run).values(
                business_date=business_date,
                outcome="done",
                counts=counts,
                started_at=uow.clock.now(),
                duration_ms=duration,
                error="",
                mode=mode or self.mode,
                partitions=partitions,
            )
        )
        store_business_date(uow.conn, business_date + timedelta(days=1))

    def _after_day(
        self, business_date: date, counts: dict[str, int], progress: Callable[[date, str], None] | None
    ) -> None:
        crash_point("eod.after_commit")  # the date is closed; its after-day work has not run
        set_clock_date(self._clock, business_date + timedelta(days=1))
        for name, fn in self._after:
            try:
                counts[f"after:{name}"] = int(fn(business_date))
            except Exception as exc:  # the date is closed; record and let the work catch up later
                log.exception("after-day work %s failed for %s", name, business_date)
                self._record_failure(business_date, {f"after:{name}": -1}, 0, exc, outcome="after_failed")
            if progress:
                progress(business_date, f"after:{name}")

    def _ensure_stored_date(self, business_date: date) -> None:
        """Store the date being closed if none is stored yet, so the day's transaction has a row to lock."""
        with self._uow(read_only=True) as uow:
            if stored_business_date(uow.conn) is not None:
                return
        try:
            with self._uow() as uow:
                if stored_business_date(uow.conn) is None:
                    uow.conn.execute(insert(platform_business_date).values(id=1, business_date=business_date))
                    uow.commit()
        except IntegrityError:
            pass  # another run stored it a moment ago

    def _record_failure(
        self,
        d: date,
        counts: dict[str, int],
        duration: int,
        exc: Exception,
        outcome: str = "failed",
        *,
        mode: str | None = None,
    ) -> None:
        mode = mode or self.mode
        with self._uow() as uow:
            uow.conn.execute(
                insert(eod_run).values(
                    business_date=d,
                    outcome=outcome,
                    counts=counts,
                    started_at=uow.clock.now(),
                    duration_ms=duration,
                    error=f"{type(exc).__name__}: {exc}"[:2000],
                    mode=mode,
                    partitions=self._partitions if mode != SINGLE else 1,
                )
            )
            uow.commit()
