"""The stored business date, its lock, and whether a date is done (end-of-day's bookkeeping rows)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from sqlalchemy import Connection, Engine, insert, select, update
from sqlalchemy.exc import SQLAlchemyError

from fairlend.clock import Clock
from fairlend.lending.tables import eod_run, platform_business_date


def stored_business_date(conn: Connection) -> date | None:
    found: date | None = conn.execute(
        select(platform_business_date.c.business_date).where(platform_business_date.c.id == 1)
    ).scalar()
    return found


# Taken first in a day's transaction: a second run of the same date waits here, then finds it done.
LOCK_BUSINESS_DATE = (
    select(platform_business_date.c.business_date).where(platform_business_date.c.id == 1).with_for_update()
)


def store_business_date(conn: Connection, value: date) -> None:
    changed = conn.execute(
        update(platform_business_date).where(platform_business_date.c.id == 1).values(business_date=value)
    ).rowcount
    if not changed:
        conn.execute(insert(platform_business_date).values(id=1, business_date=value))


def is_done_on(conn: Connection, d: date) -> bool:
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
