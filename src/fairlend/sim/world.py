"""What every agent of a simulation shares: the contexts' services (timed), the clock, the run's record.

`World` hands out the container's services wrapped in `Timed` (sim/timing.py),
typed as the services themselves, so the agents call exactly what a user's
request would and every call is counted to its service. `SimReport` is what
the run made, filled by the agents and summed up at the end (sim/summary.py).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, cast
from zoneinfo import ZoneInfo

from fairlend.bootstrap import Container
from fairlend.errors import Conflict
from fairlend.lending.eod import set_clock_date
from fairlend.sim.timing import Timed, Timer

if TYPE_CHECKING:
    from fairlend.collections.wiring import Collections
    from fairlend.hardship.plans import HardshipPlans
    from fairlend.identity.service import IdentityService
    from fairlend.lending.eod import EndOfDay
    from fairlend.lending.service import LendingService
    from fairlend.market.service import MarketService
    from fairlend.origination.service import OriginationService

DAY_HOUR = time(10, 0)  # each simulated business day happens from 10:00 local: inside every contact window
NIGHT_HOUR = time(23, 30)  # when the careless collector calls: outside every profile's window


def local_instant(day: date, timezone: str, at: time = DAY_HOUR) -> datetime:
    """`at` o'clock on `day` in `timezone`, as a UTC instant."""
    return datetime.combine(day, at, tzinfo=ZoneInfo(timezone)).astimezone(UTC)


@dataclass(frozen=True, slots=True)
class CarelessAttempt:
    kind: str  # "settled_loan", "contact_person", "night_call"
    loan_id: str
    outcome: str
    rules: tuple[str, ...]
    expected: str  # the rule id that must block it


@dataclass
class SimReport:
    start: date
    end: date
    seed: int
    borrowers: int = 0
    investors: int = 0
    signed_up: int = 0
    applications: Counter[str] = field(default_factory=Counter)  # offered, declined, referred, ...
    originations: Counter[str] = field(default_factory=Counter)  # by grade letter
    originated_minor: Counter[str] = field(default_factory=Counter)  # by grade letter
    defaults: Counter[str] = field(default_factory=Counter)  # charged off, by grade letter
    not_funded: int = 0
    repayments: int = 0
    cures: int = 0
    settled_early: int = 0
    job_losses: int = 0
    certificates: Counter[str] = field(default_factory=Counter)
    inquiries: Counter[str] = field(default_factory=Counter)  # self, other_lender
    bureau: Counter[str] = field(default_factory=Counter)  # records applied/rejected, disputes
    contacts: Counter[str] = field(default_factory=Counter)  # outcome
    blocked_by_rule: Counter[str] = field(default_factory=Counter)
    careless: list[CarelessAttempt] = field(default_factory=list)
    complaints: Counter[str] = field(default_factory=Counter)  # filed, acknowledged, answered
    hardship: Counter[str] = field(default_factory=Counter)  # requested, accepted:<kind>, declined
    trades: Counter[str] = field(default_factory=Counter)  # placed, bought, refused:<code>
    delinquency: Counter[str] = field(default_factory=Counter)  # by bucket, at the end
    loan_states: Counter[str] = field(default_factory=Counter)  # at the end
    nar_percentiles: dict[str, str] = field(default_factory=dict)  # p10, p50, p90 (fractions)
    eod_days: int = 0
    loans: list[str] = field(default_factory=list)  # every loan booked, in booking order
    borrower_ids: list[str] = field(default_factory=list)  # every borrower signed up, in order
    investor_ids: list[str] = field(default_factory=list)  # every investor signed up, in order


class World:
    def __init__(self, container: Container, report: SimReport, timer: Timer) -> None:
        if container.origination is None or container.collections is None:
            raise Conflict("sim_needs_contexts", "the simulator needs origination and collections wired")
        self.c = container
        self.report = report
        self.timer = timer
        self.profile = container.profile
        self.scheme = container.profile.id_number_scheme
        self.retail = container.market is not None and container.profile.marketplace.retail
        self.identity = cast("IdentityService", Timed(container.identity, "identity", timer))
        self.lending = cast("LendingService", Timed(container.lending, "lending", timer))
        self.origination = cast("OriginationService", Timed(container.origination, "origination", timer))
        self.collections = cast("Collections", Timed(container.collections, "collections", timer))
        self.hardship = cast("HardshipPlans", Timed(container.hardship, "hardship", timer))
        self.market = cast("MarketService", Timed(container.market, "market", timer))
        self.eod = cast("EndOfDay", Timed(container.eod, "eod", timer))
        self.ops: dict[str, str] = {}  # operator username -> id
        self.contacted: dict[str, date] = {}  # loan -> the last day a collector reached its borrower
        self.grade_of: dict[str, str] = {}  # loan -> grade letter
        self.order: dict[str, int] = {}  # loan -> booking order: ids differ between runs, this does not

    # -- the clock ------------------------------------------------------------------------------

    def move_to(self, day: date) -> None:
        set_clock_date(self.c.clock, day)
        self.set_time(day, DAY_HOUR)

    def set_time(self, day: date, at: time) -> None:
        setter = getattr(self.c.clock, "set", None)
        if callable(setter):
            setter(local_instant(day, self.profile.timezone, at))

    def can_set_time(self) -> bool:
        return callable(getattr(self.c.clock, "set", None))

    def advance(self, minutes: int) -> None:
        setter = getattr(self.c.clock, "set", None)
        if callable(setter):
            setter(self.c.clock.now() + timedelta(minutes=minutes))

    def booked(self, loan_id: str, grade: str) -> None:
        self.order[loan_id] = len(self.order)
        self.report.loans.append(loan_id)
        self.grade_of[loan_id] = grade[:1] or "?"
