"""The platform's notion of time.

Domain code never calls `date.today()` or `datetime.now()`: it asks a `Clock`.
The business date is the platform's "today" (end-of-day moves it forward);
instants are timezone-aware UTC.
"""

from __future__ import annotations

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
