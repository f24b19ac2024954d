"""Building the collections context and hooking it into the container.

identity's contact points and one-time codes are wired when the container
has identity (adapters.py). What collections keeps about people (contact
persons' phones and names, log texts, complaints) is sealed by identity's PII
vault: the container's own instance when identity is wired, else one built
from the same settings, so the keys are the same either way. bootstrap passes
the real lending and bureau adapters; ports left out get the in-memory
adapters from fakes.py (tests wire those explicitly).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Protocol

from fairlend.batch.model import Partition
from fairlend.collections.addresses import NumberKeys
from fairlend.collections.complaints import ComplaintService
from fairlend.collections.desk import CollectorDesk
from fairlend.collections.fakes import (
    InMemoryContactPoints,
    InMemoryDisputes,
    InMemoryLending,
    InMemoryOtp,
    recording_channels,
)
from fairlend.collections.gateway import ContactGateway
from fairlend.collections.holds import EVENT_TYPES as HARDSHIP_EVENTS
from fairlend.collections.holds import on_hardship_event
from fairlend.collections.model import Medium
from fairlend.collections.planner import CollectionsPlanningStep
from fairlend.collections.ports import (
    ChannelPort,
    ContactPointPort,
    DisputePort,
    LendingPort,
    OtpPort,
    Sealer,
)
from fairlend.collections.promises import PromisesStep
from fairlend.collections.service import CollectionsService
from fairlend.config import Settings
from fairlend.db.uow import EventBus, UnitOfWork, UnitOfWorkFactory
from fairlend.jurisdiction.model import Profile
from fairlend.ledger.service import Discrepancy


class Host(Protocol):
    """What collections needs of the container that wires it (bootstrap's `Container`; wiring never imports it)."""

    collections: Collections | None

    @property
    def settings(self) -> Settings: ...

    @property
    def profile(self) -> Profile: ...

    @property
    def uow(self) -> UnitOfWorkFactory: ...

    @property
    def bus(self) -> EventBus: ...

    @property
    def verifiers(self) -> dict[str, Callable[[], list[Discrepancy]]]: ...


@dataclass
class Collections:
    service: CollectionsService
    complaints: ComplaintService
    gateway: ContactGateway
    planner: CollectionsPlanningStep
    lending: LendingPort
    contact_points: ContactPointPort
    otp: OtpPort
    disputes: DisputePort
    channels: Mapping[Medium, ChannelPort]
    sealer: Sealer
    desk: CollectorDesk
    promises: PromisesStep


def wire_collections(
    container: Host,
    *,
    lending: LendingPort | None = None,
    contact_points: ContactPointPort | None = None,
    otp: OtpPort | None = None,
    disputes: DisputePort | None = None,
    channels: Mapping[Medium, ChannelPort] | None = None,
    sealer: Sealer | None = None,
) -> Collections:
    from fairlend.collections.adapters import IdentityContactPoints, IdentityOtp, IdentitySealer, IdentitySms

    identity = getattr(container, "identity", None)
    if identity is not None:
        contact_points = contact_points or IdentityContactPoints(identity)
        otp = otp or IdentityOtp(identity)
        if channels is None:
            # Texts go out through identity's SMS gateway (one per platform); calls, e-mail,
            # letters and visits are recorded until a provider is configured.
            channels = {**recording_channels(), Medium.SMS: IdentitySms(identity.sender)}
        sealer = sealer or IdentitySealer(identity.vault)
    if sealer is None:
        # No in-memory stand-in here: a sealed phone must outlive the process, so without
        # identity the vault is built from the same settings identity would use.
        from fairlend.identity.pii import PiiVault

        settings = container.settings
        vault = PiiVault(settings.pii_keys.get_secret_value(), settings.blind_index_key.get_secret_value())
        sealer = IdentitySealer(vault)
    # Ports bootstrap did not pass (tests, a collections-only container): in-memory adapters.
    lending = lending or InMemoryLending()
    contact_points = contact_points or InMemoryContactPoints()
    otp = otp or InMemoryOtp()
    disputes = disputes or InMemoryDisputes()
    channels = channels or recording_channels()
    keys = NumberKeys(container.settings.blind_index_key.get_secret_value().encode())
    gateway = ContactGateway(
        container.uow, container.profile, lending, contact_points, disputes, channels, keys, sealer
    )
    service = CollectionsService(container.uow, container.profile, gateway, lending, otp, keys, sealer)
    complaints = ComplaintService(container.uow, container.profile.collections.complaints, service, sealer)
    planner = CollectionsPlanningStep(container.profile, lending)
    desk = CollectorDesk(container.uow, container.profile, lending)
    promises = PromisesStep(container.profile, lending)
    built = Collections(
        service, complaints, gateway, planner, lending, contact_points, otp, disputes, channels, sealer, desk, promises
    )
    first_time = container.collections is None
    container.collections = built
    container.verifiers["contact_log"] = service.verify
    if first_time:
        # Wiring again (real adapters at merge) swaps the services; these hooks follow the container.
        container.bus.subscribe(
            "lending.LoanSettled", lambda uow, event: _current(container).on_loan_settled(uow, event)
        )
        container.bus.subscribe_many(
            "lending.RepaymentPosted", lambda uow, events: _desk(container).on_repayments_posted(uow, events)
        )
        # The borrower's hardship requests and plans, in hardship's own transactions (P-10, holds.py).
        for event_type in HARDSHIP_EVENTS:
            container.bus.subscribe(event_type, on_hardship_event)
        eod = getattr(container, "eod", None)
        if eod is not None:
            # Promises first: a broken one puts its account in the same next day the planner plans.
            eod.register(_PromisesProxy(container))
            eod.register(_PlannerProxy(container))
    return built


def _current(container: Host) -> CollectionsService:
    assert container.collections is not None
    return container.collections.service


def _desk(container: Host) -> CollectorDesk:
    assert container.collections is not None
    return container.collections.desk


class _PromisesProxy:
    """The promises' end-of-day step as registered: always the container's current one."""

    name = PromisesStep.name

    def __init__(self, container: Host) -> None:
        self._container = container

    def run(self, uow: UnitOfWork, business_date: date) -> int:
        assert self._container.collections is not None
        return self._container.collections.promises.run(uow, business_date)

    def run_partition(self, uow: UnitOfWork, business_date: date, part: Partition | None) -> int:
        assert self._container.collections is not None
        return self._container.collections.promises.run_partition(uow, business_date, part)


class _PlannerProxy:
    """The end-of-day step as registered: always the container's current planner.

    End-of-day closes business date D after its working hours, so it plans the
    tasks of D + 1, the day collectors and the dispatcher work next. Days past
    due are D's, one day behind: the ladder starts a step a day later, never
    earlier.
    """

    name = CollectionsPlanningStep.name

    def __init__(self, container: Host) -> None:
        self._container = container

    def run(self, uow: UnitOfWork, business_date: date) -> int:
        assert self._container.collections is not None
        return self._container.collections.planner.run(uow, business_date + timedelta(days=1))

    def run_partition(self, uow: UnitOfWork, business_date: date, part: Partition | None) -> int:
        assert self._container.collections is not None
        return self._container.collections.planner.run_partition(uow, business_date + timedelta(days=1), part)

    def close_partitions(self, uow: UnitOfWork, business_date: date, count: int) -> None:
        assert self._container.collections is not None
        self._container.collections.planner.close_partitions(uow, business_date + timedelta(days=1), count)
