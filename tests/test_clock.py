from datetime import UTC, date, datetime, timedelta

import pytest

from fairlend.clock import FixedClock, SystemClock


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
