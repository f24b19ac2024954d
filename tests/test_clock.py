from datetime import UTC, date, datetime, timedelta

import pytest

from fairlend.clock import FixedClock, PinnedDate, StoredBusinessDate, SystemClock


def test_fixed_clock_moves_only_when_told() -> None:
    clock = FixedClock(datetime(2026, 1, 1, 12, tzinfo=UTC), date(2026, 1, 1))
    assert clock.now() == datetime(2026, 1, 1, 12, tzinfo=UTC)
    clock.advance(timedelta(hours=1))
    clock.set_business_date(date(2026, 1, 2))
    assert clock.now().hour == 13 and clock.business_date() == date(2026, 1, 2)


def test_naive_instants_are_refused() -> None:
    with pytest.raises(ValueError):
        FixedClock(datetime(2026, 1, 1))


def test_system_clock_is_utc_aware() -> None:
    now = SystemClock().now()
    assert now.tzinfo is not None and now.utcoffset() == timedelta(0)


class _Ticker:
    """A monotonic clock that moves only when told."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def __call__(self) -> float:
        return self.seconds


def test_the_stored_business_date_is_read_again_only_after_the_refresh_interval() -> None:
    stored: list[date | None] = [None]
    reads: list[date | None] = []

    def load() -> date | None:
        reads.append(stored[0])
        return stored[0]

    ticker = _Ticker()
    base = FixedClock(datetime(2026, 3, 2, 2, tzinfo=UTC), date(2026, 3, 2))
    clock = StoredBusinessDate(base, load, refresh_seconds=5, monotonic=ticker)
    assert clock.business_date() == date(2026, 3, 2)  # nothing stored yet: the base clock's date
    stored[0] = date(2026, 3, 3)
    ticker.seconds = 4.9
    assert clock.business_date() == date(2026, 3, 2) and len(reads) == 1
    ticker.seconds = 5.0
    assert clock.business_date() == date(2026, 3, 3) and len(reads) == 2
    assert clock.now() == base.now()


def test_a_date_set_in_process_is_used_at_once_and_kept_until_the_next_read() -> None:
    ticker = _Ticker()
    clock = StoredBusinessDate(SystemClock(), lambda: date(2026, 3, 2), refresh_seconds=5, monotonic=ticker)
    assert clock.business_date() == date(2026, 3, 2)
    clock.set_business_date(date(2026, 3, 3))  # end-of-day in this process stored it
    ticker.seconds = 4.9
    assert clock.business_date() == date(2026, 3, 3)
    ticker.seconds = 9.9
    assert clock.business_date() == date(2026, 3, 2)  # what the database says wins on the next read


def test_a_unit_of_works_clock_keeps_the_date_it_read_first() -> None:
    base = FixedClock(datetime(2026, 3, 2, 2, tzinfo=UTC), date(2026, 3, 2))
    pinned = PinnedDate(base)
    assert pinned.business_date() == date(2026, 3, 2)
    base.set_business_date(date(2026, 3, 3))
    base.advance(timedelta(minutes=5))
    assert pinned.business_date() == date(2026, 3, 2)
    assert pinned.now() == base.now()  # instants still move
    assert PinnedDate(base, date(2026, 1, 5)).business_date() == date(2026, 1, 5)
