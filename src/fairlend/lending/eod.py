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
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Protocol

from sqlalchemy import (
    Connection,
    Engine,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from fairlend.clock import Clock
from fairlend.db.outbox import settle
from fairlend.db.uow import UnitOfWork, UnitOfWorkFactory
from fairlend.errors import Invalid
from fairlend.faults import crash_point
from fairlend.jurisdiction.model import Profile
from fairlend.ledger.service import Ledger
from fairlend.lending.eod_status import BucketStep, MonthEndStep, ReminderStep
from fairlend.lending.eod_steps import (
    AccrualStep,
    BillingStep,
    DayJournal,
    DelinquencyStep,
    LateFeeStep,
    PenaltyStep,
)
from fairlend.lending.tables import (
    eod_run,
    platform_business_date,
)

log = logging.getLogger("fairlend.eod")

SETTLE = "settle"
SETTLE_TIMEOUT_SECONDS = 10.0


class EodStep(Protocol):
    """A step other contexts add to end-of-day; it runs inside the day's transaction."""

    name: str

    def run(self, uow: UnitOfWork, business_date: date) -> int:
        """Do the day's work; return how many things it touched."""
        ...


AfterDay = Callable[[date], int]


@dataclass(frozen=True, slots=True)
class EodRunResult:
    business_date: date
    outcome: str  # done | skipped | failed
    counts: dict[str, int] = field(default_factory=dict)
    duration_ms: int = 0
    error: str = ""


# -- the business date ------------------------------------------------------------


def stored_business_date(conn: Connection) -> date | None:
    found: date | None = conn.execute(
        select(platform_business_date.c.business_date).where(platform_business_date.c.id == 1)
    ).scalar()
    return found


# Taken first in a day's transaction: a second run of the same date waits here, then finds it done.
_LOCK_BUSINESS_DATE = (
    select(platform_business_date.c.business_date).where(platform_business_date.c.id == 1).with_for_update()
)


def store_business_date(conn: Connection, value: date) -> None:
    changed = conn.execute(
        update(platform_business_date).where(platform_business_date.c.id == 1).values(business_date=value)
    ).rowcount
    if not changed:
        conn.execute(insert(platform_business_date).values(id=1, business_date=value))


# -- the runner -------------------------------------------------------------------------


class EndOfDay:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        ledger: Ledger,
        profile: Profile,
        clock: Clock,
        *,
        settle_timeout: float = SETTLE_TIMEOUT_SECONDS,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._settle_timeout = settle_timeout
        self._journal = journal = DayJournal(ledger)
        self._own: list[EodStep] = [
            PenaltyStep(journal, profile),
            AccrualStep(journal, profile),
            BillingStep(journal, profile),
            LateFeeStep(journal, profile),
            DelinquencyStep(journal, profile),
            BucketStep(journal, profile),
            ReminderStep(journal, profile),
            MonthEndStep(journal, profile),
        ]
        self._registered: list[EodStep] = []
        self._after: list[tuple[str, AfterDay]] = []

    def register(self, step: EodStep) -> None:
        """Add a step; it runs in the day's transaction after lending's own, in registration order."""
        if step.name == SETTLE or any(s.name == step.name for s in self.steps):
            raise Invalid("eod_step_exists", f"an end-of-day step named {step.name!r} is registered already")
        self._registered.append(step)

    def register_after_day(self, name: str, fn: AfterDay) -> None:
        """Add work that runs after a date commits (it must catch up by itself if it fails)."""
        self._after.append((name, fn))

    @property
    def steps(self) -> list[EodStep]:
        return self._own + self._registered

    def step_names(self) -> list[str]:
        return [SETTLE] + [s.name for s in self.steps] + [f"after:{name}" for name, _ in self._after]

    def business_date(self) -> date:
        with self._uow(read_only=True) as uow:
            return stored_business_date(uow.conn) or uow.clock.business_date()

    def is_done(self, business_date: date) -> bool:
        with self._uow(read_only=True) as uow:
            return _done(uow.conn, business_date)

    def runs(self, limit: int = 50, offset: int = 0, *, on: date | None = None) -> list[EodRunResult]:
        """Runs, newest first; `on` keeps one business date's (a failed run and its re-run)."""
        query = select(eod_run).order_by(eod_run.c.id.desc()).limit(limit).offset(offset)
        if on is not None:
            query = query.where(eod_run.c.business_date == on)
        with self._uow(read_only=True) as uow:
            rows = uow.conn.execute(query).all()
        return [EodRunResult(r.business_date, r.outcome, dict(r.counts), r.duration_ms, r.error) for r in rows]

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
        """Close one date in one transaction; a date already done changes nothing."""
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
                stored = uow.conn.execute(_LOCK_BUSINESS_DATE).scalar()
                if _done(uow.conn, business_date):
                    return EodRunResult(business_date, "skipped")
                if stored is not None and business_date != stored:
                    raise Invalid("eod_out_of_order", f"the next date to close is {stored}, not {business_date}")
                counts[SETTLE] = settle(uow.conn, timeout=self._settle_timeout)
                if counts[SETTLE]:
                    log.warning(
                        "%s: %d older transactions still open after %.0f s; their events and the day's go in the"
                        " next reporting file",
                        business_date,
                        counts[SETTLE],
                        self._settle_timeout,
                    )
                if progress:
                    progress(business_date, SETTLE)
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
                for step in self._registered:
                    counts[step.name] = int(step.run(uow, business_date))
                    crash_point("eod.after_step")
                    if progress:
                        progress(business_date, step.name)
                duration = int((time.perf_counter() - started) * 1000)
                uow.conn.execute(
                    insert(eod_run).values(
                        business_date=business_date,
                        outcome="done",
                        counts=counts,
                        started_at=uow.clock.now(),
                        duration_ms=duration,
                        error="",
                    )
                )
                store_business_date(uow.conn, business_date + timedelta(days=1))
                uow.commit()
        except Exception as exc:
            duration = int((time.perf_counter() - started) * 1000)
            self._record_failure(business_date, counts, duration, exc)
            raise
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
        return EodRunResult(business_date, "done", counts, duration)

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
        self, d: date, counts: dict[str, int], duration: int, exc: Exception, outcome: str = "failed"
    ) -> None:
        with self._uow() as uow:
            uow.conn.execute(
                insert(eod_run).values(
                    business_date=d,
                    outcome=outcome,
                    counts=counts,
                    started_at=uow.clock.now(),
                    duration_ms=duration,
                    error=f"{type(exc).__name__}: {exc}"[:2000],
                )
            )
            uow.commit()


def _done(conn: Connection, d: date) -> bool:
    return (
        conn.execute(
            select(eod_run.c.id).where(eod_run.c.business_date == d, eod_run.c.outcome == "done").limit(1)
        ).first()
        is not None
    )


def business_date_reader(engine: Engine) -> Callable[[], date | None]:
    """Reads the stored business date on a connection of its own; None if there is none (or no schema yet)."""

    def read() -> date | None:
        try:
            # Read-only: on SQLite a plain transaction takes the write lock, which the caller's may hold.
            with engine.connect().execution_options(fairlend_read_only=True) as conn:
                return stored_business_date(conn)
        except SQLAlchemyError:
            return None

    return read


def restore_business_date(engine: Engine, clock: Clock) -> None:
    """Set the clock's business date from the stored one, once (bootstrap, for a clock the caller supplied)."""
    stored = business_date_reader(engine)()
    if stored is not None:
        set_clock_date(clock, stored)


def set_clock_date(clock: Clock, value: date) -> None:
    """Move a clock that can be moved (SystemClock, FixedClock) to the stored business date."""
    setter = getattr(clock, "set_business_date", None)
    if callable(setter):
        setter(value)
