"""A container under the `us` profile (retail investors on, MK-5), on the backend under test, for the demo's market."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from fairlend.bootstrap import Container, bootstrap
from fairlend.clock import FixedClock
from fairlend.config import Settings
from fairlend.sim.demo import contact_instant

US_TODAY = date(2026, 3, 2)


@pytest.fixture
def us_container(database_url: str, tmp_path: Path) -> Iterator[Container]:
    built = bootstrap(
        Settings(environment="test", database_url=database_url, data_dir=tmp_path, jurisdiction="us"),
        clock=FixedClock(contact_instant(US_TODAY, "America/New_York"), US_TODAY),
    )
    yield built
    built.close()
