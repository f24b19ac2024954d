"""MK-3: while retail P2P is on, one borrower owes at most the profile's cap here and across platforms."""

from __future__ import annotations

from datetime import UTC, date, datetime

from fairlend.bootstrap import Container
from fairlend.jurisdiction.model import MarketplaceProfile
from fairlend.money import Money
from fairlend.origination.model import p2p_headroom
from fairlend.origination.ports import CertificateFacts, KycLevels, ReportAccount
from fairlend.origination.service import CONSENT_PURPOSE, SELF_CHECK_CONSENT_PURPOSE
from tests.market.support import build, p2p
from tests.origination.support import World, yuan


def wealthy_borrower(world: World, borrower_id: str, accounts: list[ReportAccount]) -> str:
    """Verified income of 100,000 a month: the credit policy alone would lend its maximum, 200,000."""
    id_number = f"ID{borrower_id}"
    world.identity.register(borrower_id, id_number, KycLevels(True, True, True))
    approved = datetime(2026, 1, 5, tzinfo=UTC)
    world.identity.certificates[borrower_id] = [CertificateFacts("salary_flow", yuan(100_000), approved)]
    world.bureau.accounts[id_number] = accounts
    world.identity.grant(borrower_id, CONSENT_PURPOSE, "fairlend", approved)
    world.identity.grant(borrower_id, SELF_CHECK_CONSENT_PURPOSE, "fairlend", approved)
    return borrower_id


def market_profile(retail: bool) -> MarketplaceProfile:
    from fairlend.jurisdiction.loader import load_profile

    return p2p(load_profile("cn"), retail=retail).marketplace


def test_the_cap_applies_only_while_retail_p2p_is_on() -> None:
    owed = Money.of(150_000, "CNY")
    assert p2p_headroom(market_profile(False), owed, owed) is None
    assert p2p_headroom(market_profile(True), owed, owed) == Money.of(50_000, "CNY")


def test_the_tighter_of_the_two_caps_binds_and_never_below_zero() -> None:
    market = market_profile(True)
    assert p2p_headroom(market, Money.of(10_000, "CNY"), Money.of(970_000, "CNY")) == Money.of(30_000, "CNY")
    assert p2p_headroom(market, Money.of(250_000, "CNY"), Money.of(250_000, "CNY")) == Money.zero("CNY")


def test_a_borrower_owing_this_platform_150000_is_offered_at_most_50000_naming_mk3(container: Container) -> None:
    m = build(container)
    opened = date(2025, 6, 1)
    wealthy_borrower(m.borrowers, "brw_rich", [ReportAccount("fairlend", False, opened, yuan(150_000), None)])
    app = m.origination.apply("brw_rich", yuan(120_000), 12, inquiry_disclosure_acknowledged=True)
    assert app.limit == yuan(50_000) and app.offer_id is not None
    offer = m.origination.offer("brw_rich", app.offer_id)
    assert offer.quote.amount == yuan(50_000)
    check = m.origination.prequalify("brw_rich", yuan(120_000), 12)
    assert check.limit_reason == "p2p_borrower_cap" and check.amount == yuan(50_000)


def test_debt_at_other_platforms_counts_toward_the_cap_across_platforms(container: Container) -> None:
    m = build(container)
    opened = date(2025, 6, 1)
    wealthy_borrower(
        m.borrowers,
        "brw_spread",
        [
            ReportAccount("fairlend", False, opened, yuan(10_000), None),
            ReportAccount("lender_b", False, opened, yuan(960_000), None),
        ],
    )
    check = m.origination.prequalify("brw_spread", yuan(100_000), 12)
    assert check.limit == yuan(30_000) and check.limit_reason == "p2p_borrower_cap"


def test_with_retail_off_the_same_borrower_gets_the_credit_policys_limit(container: Container) -> None:
    m = build(container, p2p(container.profile, retail=False))
    opened = date(2025, 6, 1)
    wealthy_borrower(m.borrowers, "brw_rich", [ReportAccount("fairlend", False, opened, yuan(150_000), None)])
    check = m.origination.prequalify("brw_rich", yuan(120_000), 12)
    assert check.limit == yuan(200_000) and check.limit_reason == "maximum"
