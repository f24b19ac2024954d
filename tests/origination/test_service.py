from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from fairlend.bootstrap import Container
from fairlend.clock import FixedClock
from fairlend.db.tables import outbox
from fairlend.errors import Conflict, Forbidden, Invalid
from fairlend.origination.model import CreditPolicy
from fairlend.origination.service import SELF_CHECK_CONSENT_PURPOSE, OriginationService
from fairlend.scoring.model import Change
from tests.origination.support import solid_borrower, struggling_borrower, wire, yuan


def _events(container: Container) -> list[str]:
    with container.engine.connect() as conn:
        return list(conn.execute(sa.select(outbox.c.event_type).order_by(outbox.c.position)).scalars())


def test_self_check_is_a_soft_inquiry_that_records_the_score(container: Container) -> None:
    world = wire(container)
    borrower = struggling_borrower(world)
    check = world.service.self_check(borrower)
    assert check.score.reasons and check.score.plan
    assert world.bureau.hard_inquiry_count(f"ID{borrower}") == 3  # unchanged: the self-check was soft
    assert container.scoring is not None
    assert [r.score for r in container.scoring.history(borrower)] == [check.score.score]
    # looking again the same day shows the kept copy: no second inquiry, no second score
    soft = len(world.bureau.inquiries[f"ID{borrower}"])
    assert world.service.self_check(borrower) == check
    assert len(world.bureau.inquiries[f"ID{borrower}"]) == soft
    assert _events(container) == ["scoring.ScoreRecorded"]
    # the next day asks the bureau again, and the soft self-check did not lower the score
    container.clock.set_business_date(container.clock.business_date() + timedelta(days=1))  # type: ignore[attr-defined]
    assert world.service.self_check(borrower).score.score == check.score.score
    assert len(world.bureau.inquiries[f"ID{borrower}"]) == soft + 1
    assert _events(container) == ["scoring.ScoreRecorded", "scoring.ScoreRecorded"]


def test_no_soft_inquiry_runs_without_the_persons_self_check_consent(container: Container) -> None:
    world = wire(container)
    borrower = solid_borrower(world, self_check_consent=False)  # consented to applying, not to self-checks
    pulls: list[Callable[[], object]] = [
        lambda: world.service.self_check(borrower),
        lambda: world.service.prequalify(borrower, yuan(30_000), 12),
        lambda: world.service.inquiry_disclosure(borrower),
        lambda: world.service.what_if(borrower, Change(verify_bank_card=True)),
    ]
    for pull in pulls:
        with pytest.raises(Forbidden) as caught:
            pull()
        assert caught.value.code == "self_check_consent_required"
        assert caught.value.extra["rule"] == container.profile.bureau.inquiry_consent_rule == "CN-14"
    assert world.bureau.inquiries.get(f"ID{borrower}", []) == [] and world.bureau.attestations == []
    assert _events(container) == []  # no score recorded either


def test_a_soft_inquiry_carries_the_live_self_check_consent_and_stops_once_it_is_revoked(
    container: Container,
) -> None:
    world = wire(container)
    borrower = solid_borrower(world)
    given = world.identity.live_consent(borrower, SELF_CHECK_CONSENT_PURPOSE, "fairlend")
    assert given is not None
    world.service.self_check(borrower)
    [attested] = world.bureau.attestations
    assert (attested.consent_id, attested.purpose, attested.institution, attested.text_version) == (
        given.consent_id,
        SELF_CHECK_CONSENT_PURPOSE,
        "fairlend",
        given.text_version,
    )
    world.identity.revoke(borrower, SELF_CHECK_CONSENT_PURPOSE, "fairlend")
    with pytest.raises(Forbidden):
        world.service.prequalify(borrower, yuan(30_000), 12)
    assert len(world.bureau.attestations) == 1


def test_a_hard_inquiry_never_runs_without_consent(container: Container) -> None:
    world = wire(container)
    borrower = solid_borrower(world, consent=False)
    with pytest.raises(Forbidden) as caught:
        world.service.apply(borrower, yuan(30_000), 12, inquiry_disclosure_acknowledged=True)
    assert caught.value.code == "consent_required"
    assert world.bureau.hard_inquiry_count(f"ID{borrower}") == 0
    assert world.bureau.attestations == []
    assert _events(container) == []


def test_applying_needs_the_inquiry_disclosure_first(container: Container) -> None:
    world = wire(container)
    borrower = struggling_borrower(world)
    disclosure = world.service.inquiry_disclosure(borrower)
    assert disclosure.hard_inquiries_last_30_days == 2
    assert disclosure.points_one_more_costs >= 0
    with pytest.raises(Conflict):
        world.service.apply(borrower, yuan(10_000), 12, inquiry_disclosure_acknowledged=False)
    assert world.bureau.hard_inquiry_count(f"ID{borrower}") == 3


def test_a_solid_borrower_gets_an_offer_under_the_cap_and_accepting_books_the_loan(container: Container) -> None:
    world = wire(container)
    borrower = solid_borrower(world)
    app = world.service.apply(borrower, yuan(30_000), 12, inquiry_disclosure_acknowledged=True)
    assert app.decision == "approve" and app.status == "offered" and app.offer_id
    assert world.bureau.attestations[0].purpose == "credit_inquiry"
    offer = world.service.offer(borrower, app.offer_id)
    assert offer.quote.apr <= container.profile.pricing.apr_cap
    assert sum(i.principal.minor for i in offer.quote.installments) == offer.quote.amount.minor
    accepted = world.service.accept(borrower, app.offer_id, agreed=True)
    assert accepted.status == "accepted" and accepted.loan_id and accepted.contract_id
    assert world.lending.bookings[0].funding == "platform"
    assert world.lending.bookings[0].grade == offer.grade  # lending stores the offer's grade on the loan
    assert world.service.application(borrower, app.id).status == "accepted"
    with pytest.raises(Conflict):
        world.service.accept(borrower, app.offer_id, agreed=True)
    assert _events(container)[-3:] == [
        "origination.ApplicationDecided",
        "origination.OfferMade",
        "origination.OfferAccepted",
    ]


def test_an_expired_offer_cannot_be_accepted(container: Container, clock: FixedClock) -> None:
    world = wire(container)
    borrower = solid_borrower(world)
    app = world.service.apply(borrower, yuan(30_000), 12, inquiry_disclosure_acknowledged=True)
    assert app.offer_id
    clock.advance(timedelta(days=15))
    with pytest.raises(Conflict) as caught:
        world.service.accept(borrower, app.offer_id, agreed=True)
    assert caught.value.code == "offer_expired"
    assert world.lending.bookings == []


def test_a_decline_carries_an_adverse_action_notice_with_reasons_and_plan(container: Container) -> None:
    world = wire(container)
    borrower = struggling_borrower(world)
    app = world.service.apply(borrower, yuan(20_000), 12, inquiry_disclosure_acknowledged=True)
    assert app.decision == "decline" and app.offer_id is None
    assert app.adverse_action is not None
    assert 1 <= len(app.adverse_action.reasons) <= 5
    assert any(item["lever"] == "repay_overdue" for item in app.adverse_action.plan)
    assert "20 days" in app.adverse_action.rights


def test_apr_above_the_cap_declines_instead_of_offering(container: Container) -> None:
    world = wire(container)
    # a pricing grid far above the cap: nothing may be offered
    world.service.policy = CreditPolicy(base_rate=Decimal("0.30"))
    borrower = solid_borrower(world)
    app = world.service.apply(borrower, yuan(30_000), 12, inquiry_disclosure_acknowledged=True)
    assert app.decision == "decline" and app.offer_id is None
    assert app.codes == ("risk_not_priceable_under_apr_cap",)
    # the fee pushes the APR of an under-cap nominal rate over the cap: refused by the quote
    world.service.policy = CreditPolicy(base_rate=Decimal("0.235"), rate_step=Decimal("0"), fee_rate=Decimal("0.03"))
    app = world.service.apply(borrower, yuan(30_000), 12, inquiry_disclosure_acknowledged=True)
    assert app.decision == "decline" and app.codes == ("apr_above_cap",)


def test_referred_applications_wait_in_the_underwriter_queue(container: Container) -> None:
    world = wire(container)
    borrower = solid_borrower(world)
    world.service.policy = CreditPolicy(approve_from=900)  # everything above the floor is reviewed
    app = world.service.apply(borrower, yuan(30_000), 12, inquiry_disclosure_acknowledged=True)
    assert app.status == "referred"
    assert [a.id for a in world.service.queue()] == [app.id]
    decided = world.service.underwrite(app.id, "op_1", approve=True, note="payslips checked")
    assert decided.status == "offered" and decided.offer_id and decided.decided_by == "op_1"
    assert world.service.queue() == []
    with pytest.raises(Conflict):
        world.service.underwrite(app.id, "op_1", approve=False)


def test_what_if_changes_the_score_and_records_nothing(container: Container) -> None:
    world = wire(container)
    borrower = struggling_borrower(world)
    result = world.service.what_if(borrower, Change(verify_bank_card=True))
    assert result.delta > 0
    assert _events(container) == []
    assert container.scoring is not None and container.scoring.history(borrower) == []


def test_each_plan_item_gain_matches_the_what_if_through_the_service(container: Container) -> None:
    world = wire(container)
    borrower = struggling_borrower(world)
    service: OriginationService = world.service
    check = service.self_check(borrower)
    assert container.scoring is not None
    facts_plan = container.scoring.plan(service._soft(borrower, "self_check", None, None).facts, world.today)
    assert [p.points for p in facts_plan] == [p["points"] for p in check.score.plan]
    for item in facts_plan:
        assert service.what_if(borrower, item.change).delta == item.points


def test_verify_flags_an_offer_above_the_cap(container: Container) -> None:
    world = wire(container)
    borrower = solid_borrower(world)
    app = world.service.apply(borrower, yuan(30_000), 12, inquiry_disclosure_acknowledged=True)
    assert world.service.verify() == []
    from fairlend.origination.tables import loan_offer

    with container.engine.begin() as conn:
        conn.execute(sa.update(loan_offer).where(loan_offer.c.id == app.offer_id).values(apr=Decimal("0.99")))
    assert [d.check for d in world.service.verify()] == ["origination.apr_cap"]


def test_an_unverified_identity_cannot_apply_and_triggers_no_inquiry(container: Container) -> None:
    from fairlend.origination.ports import KycLevels

    world = wire(container)
    borrower = solid_borrower(world)
    world.identity.kyc[borrower] = KycLevels(True, False, True)
    with pytest.raises(Conflict) as caught:
        world.service.apply(borrower, yuan(30_000), 12, inquiry_disclosure_acknowledged=True)
    assert caught.value.code == "identity_not_verified"
    assert world.bureau.hard_inquiry_count(f"ID{borrower}") == 0


def test_an_amount_in_another_currency_is_refused_before_anything_happens(container: Container) -> None:
    from fairlend.money import Money

    world = wire(container)
    borrower = solid_borrower(world)
    with pytest.raises(Invalid):
        world.service.apply(borrower, Money.of(30_000, "USD"), 12, inquiry_disclosure_acknowledged=True)
    assert world.bureau.hard_inquiry_count(f"ID{borrower}") == 0 and _events(container) == []


@pytest.mark.parametrize("make", [solid_borrower, struggling_borrower])
def test_the_rate_check_quotes_what_the_application_then_decides(
    container: Container, make: Callable[..., str]
) -> None:
    # The check counts the hard inquiry applying will add: the offer's score, grade and rate match it.
    world = wire(container)
    borrower = make(world)
    check = world.service.prequalify(borrower, yuan(30_000), 12)
    app = world.service.apply(borrower, yuan(30_000), 12, inquiry_disclosure_acknowledged=True)
    assert (app.score, app.grade, app.nominal_rate, app.limit) == (
        check.score,
        check.grade,
        check.nominal_rate,
        check.limit,
    )
    assert app.decision == check.indicative_decision


def test_a_kept_self_check_goes_at_end_of_day_and_one_that_cannot_be_opened_asks_the_bureau_again(
    container: Container,
) -> None:
    from fairlend.origination.tables import self_check

    world = wire(container)
    borrower = struggling_borrower(world)
    world.service.self_check(borrower)
    soft = len(world.bureau.inquiries[f"ID{borrower}"])
    with container.uow() as uow:  # sealed under a key since retired
        uow.conn.execute(sa.update(self_check).values(sealed="k9:garbage"))
        uow.commit()
    world.service.self_check(borrower)
    assert len(world.bureau.inquiries[f"ID{borrower}"]) == soft + 1
    today = container.clock.business_date()
    assert world.service.prune_self_checks(today) == 1
    with container.uow(read_only=True) as uow:
        assert uow.conn.execute(sa.select(sa.func.count()).select_from(self_check)).scalar() == 0


def test_what_a_listing_shows_investors_is_what_the_model_scored(container: Container) -> None:
    from fairlend.origination.tables import loan_application
    from fairlend.scoring.model import features

    world = wire(container)
    borrower = struggling_borrower(world)
    app = world.service.apply(borrower, yuan(5_000), 12, inquiry_disclosure_acknowledged=True)
    with container.uow(read_only=True) as uow:
        shown = uow.conn.execute(
            sa.select(loan_application.c.listing_facts).where(loan_application.c.id == app.id)
        ).scalar_one()
    assert container.scoring is not None
    facts = world.service._soft(borrower, "listing-check", yuan(5_000), None).facts  # the same report, read again
    scored = features(facts, container.clock.business_date(), container.scoring.scorer.retention)
    assert shown["credit_history_months"] == int(scored["history_months"])
    assert shown["inquiries_6_months"] == int(scored["hard_inquiries_6m"])
