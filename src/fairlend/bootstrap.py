"""Wire the platform together: one place builds every service.

`bootstrap(settings)` makes the engine, the unit-of-work factory, the clock,
the jurisdiction profile and each context's services. Nothing happens at
import time; the API, the web pages and the CLI each call this once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from fairlend.clock import Clock, SystemClock
from fairlend.config import Settings
from fairlend.db.engine import make_engine
from fairlend.db.uow import EventBus, UnitOfWorkFactory, uow_factory
from fairlend.identity.model import Principal
from fairlend.jurisdiction.loader import load_profile
from fairlend.jurisdiction.model import Profile
from fairlend.ledger.service import Discrepancy, Ledger
from fairlend.lending.eod import EndOfDay, restore_business_date
from fairlend.lending.service import LendingService


class Authenticator(Protocol):
    def authenticate(self, token: str) -> Principal | None: ...


# A check that `fairlend verify` runs: returns what it found wrong.
Verifier = Callable[[], list[Discrepancy]]


@dataclass
class Container:
    settings: Settings
    profile: Profile
    engine: Engine
    clock: Clock
    uow: UnitOfWorkFactory
    bus: EventBus
    ledger: Ledger
    lending: LendingService
    eod: EndOfDay
    # Checks bearer tokens (identity's token service); None until wired.
    authenticator: Authenticator | None = None
    verifiers: dict[str, Verifier] = field(default_factory=dict)

    def verify(self) -> list[Discrepancy]:
        found: list[Discrepancy] = []
        for check in self.verifiers.values():
            found.extend(check())
        return found

    def database_problem(self) -> str | None:
        """None when the database answers, else what went wrong."""
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except SQLAlchemyError as exc:
            return type(exc).__name__
        return None

    def close(self) -> None:
        self.engine.dispose()


def bootstrap(settings: Settings, *, clock: Clock | None = None, engine: Engine | None = None) -> Container:
    profile = load_profile(settings.jurisdiction)
    engine = engine or make_engine(settings.database_url, echo=settings.echo_sql)
    clock = clock or SystemClock()
    bus = EventBus()
    uow = uow_factory(engine, clock, bus)
    ledger = Ledger(uow)
    lending = LendingService(uow, ledger, profile)
    eod = EndOfDay(uow, ledger, profile, clock)
    container = Container(
        settings=settings,
        profile=profile,
        engine=engine,
        clock=clock,
        uow=uow,
        bus=bus,
        ledger=ledger,
        lending=lending,
        eod=eod,
    )
    container.verifiers["ledger"] = ledger.verify
    container.verifiers["lending"] = lending.verify
    restore_business_date(engine, clock)
    return container
