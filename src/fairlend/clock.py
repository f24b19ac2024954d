"""The platform's notion of time.

Domain code never calls `date.today()` or `datetime.now()`: it asks a `Clock`.
The business date is the platform's "today" (end-of-day moves it forward);
instants are timezone-aware UTC.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware, in UTC."""
        ...

    def business_date(self) -> date:
        """The platform's business date."""
        ...


def ensure_utc(instant: datetime) -> datetime:
    if instant.tzinfo is None:
        raise ValueError("instants must be timezone-aware")
    return instant.astimezone(UTC)


class SystemClock:
    """Wall-clock time; the business date is the UTC date unless pinned."""

    def __init__(self, business_date: date | None = None) -> None:
        self._business_date = business_date

    def now(self) -> datetime:
        return datetime.now(UTC)

    def business_date(self) -> date:
        return self._business_date or self.now().date()

    def set_business_date(self, value: date) -> None:
        self._business_date = value


class FixedClock:
    """A clock that moves only when told to; for tests and the simulator."""

    def __init__(self, instant: datetime, business_date: date | None = None) -> None:
        self._now = ensure_utc(instant)
        self._business_date = business_date or self._now.date()

    def now(self) -> datetime:
        return self._now

    def business_date(self) -> date:
        return self._business_date

    def advance(self, delta: timedelta) -> None:
        self._now += delta

    def set(self, instant: datetime) -> None:
        self._now = ensure_utc(instant)

    def set_business_date(self, value: date) -> None:
        self._business_date = value


class StoredBusinessDate:
    """A clock whose business date is the one end-of-day stored, re-read at most every `refresh_seconds`.

    End-of-day often runs in another process (`fairlend eod` beside a running
    server); this clock sees the date it moved without a restart. `load` reads
    the stored date (None before end-of-day ever ran, or before the schema
    exists: the base clock's date then). One caller re-reads while the others
    keep the date they have, so a refresh never queues requests behind it.
    """

    def __init__(
        self,
        base: Clock,
        load: Callable[[], date | None],
        *,
        refresh_seconds: float = 1.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._base = base
        self._load = load
        self._refresh = refresh_seconds
        self._monotonic = monotonic
        self._stored: date | None = None
        self._next_read = float("-inf")
        self._reading = threading.Lock()

    def now(self) -> datetime:
        return self._base.now()

    def business_date(self) -> date:
        if self._monotonic() >= self._next_read and self._reading.acquire(blocking=False):
            try:
                found = self._load()
                if found is not None:
                    self._stored = found
                self._next_read = self._monotonic() + self._refresh
            finally:
                self._reading.release()
        return self._stored or self._base.business_date()

    def set_business_date(self, value: date) -> None:
        """End-of-day in this process stored `value` a moment ago: use it at once."""
        self._stored = value
        self._next_read = self._monotonic() + self._refresh


class PinnedDate:
    """One unit of work's clock: instants move, the business date is read once and kept.

    A transaction then works on one date even if end-of-day moves the stored
    date while it runs; `business_date` given up front runs the unit of work
    as of that date (lending replays an imported loan's past repayments so).
    """

    __slots__ = ("_clock", "_date")

    def __init__(self, clock: Clock, business_date: date | None = None) -> None:
        self._clock = clock
        self._date = business_date

    def now(self) -> datetime:
        return self._clock.now()

    def business_date(self) -> date:
        if self._date is None:
            self._date = self._clock.business_date()
        return self._date
