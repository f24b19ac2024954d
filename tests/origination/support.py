"""Origination wired to in-memory fakes of identity, the bureau and lending."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from fairlend.bootstrap import Container
from fairlend.money import Money
from fairlend.origination.fakes import FakeBureau, FakeIdentity, FakeLending
from fairlend.origination.ports import CertificateFacts, KycLevels, ReportAccount, ReportInquiry, ReportNegative
from fairlend.origination.service import CONSENT_PURPOSE, SELF_CHECK_CONSENT_PURPOSE, OriginationService


def yuan(amount: int) -> Money:
    return Money.of(amount, "CNY")


@dataclass
class World:
    service: OriginationService
    identity: FakeIdentity
    bureau: FakeBureau
    lending: FakeLending
    today: date


def wire(container: Container) -> World:
    assert container.scoring is not None
    today = container.clock.business_date()
    identity, bureau, lending = FakeIdentity(), FakeBureau(today), FakeLending()
    service = OriginationService(
        container.uow, container.clock, container.profile, container.scoring, identity, bureau, lending
    )
    container.origination = service
    return World(service, identity, bureau, lending, today)


def solid_borrower(
    world: World, borrower_id: str = "brw_solid", *, consent: bool = True, self_check_consent: bool = True
) -> str:
    id_number = f"ID{borrower_id}"
    world.identity.register(borrower_id, id_number, KycLevels(True, True, True))
    approved = datetime(2026, 1, 5, tzinfo=UTC)
    world.identity.certificates[borrower_id] = [
        CertificateFacts("salary_flow", yuan(15_000), approved),
        CertificateFacts("property", yuan(1_200_000), approved),
    ]
    world.bureau.accounts[id_number] = [ReportAccount("bank_a", True, date(2016, 1, 1), yuan(500), yuan(20_000))]
    if consent:
        world.identity.grant(borrower_id, CONSENT_PURPOSE, "fairlend", approved)
    if self_check_consent:
        world.identity.grant(borrower_id, SELF_CHECK_CONSENT_PURPOSE, "fairlend", approved)
    return borrower_id


def struggling_borrower(
    world: World, borrower_id: str = "brw_struggling", *, consent: bool = True, self_check_consent: bool = True
) -> str:
    id_number = f"ID{borrower_id}"
    today = world.today
    world.identity.register(borrower_id, id_number, KycLevels(True, True, False))
    world.bureau.accounts[id_number] = [
        ReportAccount("bank_a", True, today - timedelta(days=900), yuan(9_000), yuan(10_000)),
        ReportAccount("bank_b", True, today - timedelta(days=400), yuan(4_500), yuan(5_000)),
        ReportAccount("lender_c", False, today - timedelta(days=200), yuan(30_000), None),
    ]
    world.bureau.negatives[id_number] = [
        ReportNegative("bank_a", 2, date(2021, 1, 5), date(2021, 6, 1), yuan(0)),
        ReportNegative("lender_c", 1, today - timedelta(days=20), None, yuan(800)),
    ]
    world.bureau.inquiries[id_number] = [
        ReportInquiry(today - timedelta(days=d), True, "other", "loan_application") for d in (3, 10, 70)
    ]
    given = datetime(2026, 1, 5, tzinfo=UTC)
    if consent:
        world.identity.grant(borrower_id, CONSENT_PURPOSE, "fairlend", given)
    if self_check_consent:
        world.identity.grant(borrower_id, SELF_CHECK_CONSENT_PURPOSE, "fairlend", given)
    return borrower_id
