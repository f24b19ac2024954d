"""Collections fixtures: the container's collections context with its in-memory ports seeded."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import ClassVar, cast

import pytest

from fairlend.bootstrap import Container
from fairlend.collections.fakes import (
    InMemoryContactPoints,
    InMemoryDisputes,
    InMemoryLending,
    InMemoryOtp,
    RecordingChannel,
    recording_channels,
)
from fairlend.collections.model import LoanFacts, LoanState, Medium
from fairlend.collections.wiring import Collections, wire_collections
from fairlend.jurisdiction.loader import load_profile
from fairlend.money import Money

BORROWER = "brw_1"
LOAN = "loan_1"
DEBTOR_PHONE = "+8613812345678"
CONTACT_PHONE = "+8613912345678"


@dataclass(frozen=True, slots=True)
class LoanSettled:
    """The shape lending will publish; tests publish this one in a unit of work."""

    event_type: ClassVar[str] = "lending.LoanSettled"
    loan_id: str
    borrower_id: str
    settled_on: date
    was_overdue: bool
    business_date: date

    @property
    def aggregate_id(self) -> str:
        return self.loan_id


@dataclass
class World:
    container: Container
    c: Collections
    lending: InMemoryLending
    points: InMemoryContactPoints
    otp: InMemoryOtp
    disputes: InMemoryDisputes

    def channel(self, medium: Medium) -> RecordingChannel:
        return cast(RecordingChannel, self.c.channels[medium])

    def settle(self, loan_id: str = LOAN, borrower_id: str = BORROWER, *, commit: bool = True) -> None:
        """What lending does: settle and publish LoanSettled in the same transaction."""
        on = self.container.clock.business_date()
        with self.container.uow() as uow:
            uow.publish(LoanSettled(loan_id, borrower_id, on, True, on))
            if commit:
                uow.commit()


def wire_fakes(container: Container) -> Collections:
    """Collections over in-memory ports: loans, people, codes and channels the test controls.

    Sealing is identity's real vault: what a test stores must open in any process (`fairlend verify`).
    """
    return wire_collections(
        container,
        lending=InMemoryLending(),
        contact_points=InMemoryContactPoints(),
        otp=InMemoryOtp(),
        disputes=InMemoryDisputes(),
        channels=recording_channels(),
    )


@pytest.fixture
def world(container: Container) -> World:
    c = wire_fakes(container)
    lending = cast(InMemoryLending, c.lending)
    points = cast(InMemoryContactPoints, c.contact_points)
    lending.add(LoanFacts(LOAN, BORROWER, LoanState.ACTIVE, "CNY", Money(50_000, "CNY"), 10, "M1"))
    points.add(BORROWER, DEBTOR_PHONE, "Asia/Shanghai")
    return World(container, c, lending, points, cast(InMemoryOtp, c.otp), cast(InMemoryDisputes, c.disputes))


@pytest.fixture
def us_world(world: World) -> World:
    """The same world under the `us` profile: New York numbers and times, 10:00 there."""
    world.container.profile = load_profile("us")
    c = wire_collections(
        world.container,
        lending=world.lending,
        contact_points=world.points,
        otp=world.otp,
        disputes=world.disputes,
        channels=world.c.channels,
    )
    world.lending.add(LoanFacts(LOAN, BORROWER, LoanState.ACTIVE, "USD", Money(50_000, "USD"), 10, "1-30"))
    world.points.add(BORROWER, "+12025550100", "America/New_York")
    world.container.clock.set(datetime(2026, 3, 2, 15, 0, tzinfo=UTC))  # type: ignore[attr-defined]
    return World(world.container, c, world.lending, world.points, world.otp, world.disputes)
