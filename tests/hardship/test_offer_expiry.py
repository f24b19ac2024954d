"""Offers that expire, the cool-down after a decline or an expired offer, and the missed answer deadline (P-11).

Each at its boundary day, on the real services with end-of-day moving the date.
The profile's numbers are made small here (2-day offers, 3-day cool-down,
2-day answers) so that a boundary is a few days of end-of-day, not a month.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select

from fairlend.bootstrap import Container
from fairlend.collections.tables import loan_hardship
from fairlend.errors import Conflict
from fairlend.hardship.deadlines import ANSWERED_LATE, UNANSWERED
from fairlend.hardship.model import DeclineReason, Kind, ProposalStatus, RequestStatus, Terms
from fairlend.hardship.plans import HardshipPlans, HardshipStep
from fairlend.jurisdiction.loader import load_profile
from fairlend.lending.eod import EndOfDay
from fairlend.money import Money
from tests.hardship.conftest import BORROWER
from tests.hardship.helpers import CONSENT, counts, events, file

EXTEND = Terms(Kind.TERM_EXTENSION, periods=6)


@pytest.fixture
def small(container: Container) -> Container:
    """The cn profile with 2-day offers, a 3-day cool-down and a 2-day answer clock."""
    rules = replace(container.profile.hardship, offer_valid_days=2, cooldown_days=3, answer_days=2)
    profile = replace(container.profile, hardship=rules)
    container.hardship = HardshipPlans(container.uow, container.clock, profile, container.lending)
    container.eod = EndOfDay(container.uow, container.ledger, profile, container.clock)
    container.eod.register(HardshipStep(container.hardship))
    return container


def _accept(container: Container, request_id: str) -> None:
    offer = container.hardship.request(request_id, borrower_id=BORROWER).offer
    assert offer is not None
    container.hardship.accept(offer.proposal_id, BORROWER, offer.outcome.fingerprint, CONSENT)


def _holds(container: Container, loan_id: str) -> list[str]:
    with container.uow(read_only=True) as uow:
        return list(uow.conn.execute(select(loan_hardship.c.state).where(loan_hardship.c.loan_id == loan_id)).scalars())


def test_both_profiles_carry_an_offers_validity_and_a_cool_down() -> None:
    for code in ("cn", "us"):
        rules = load_profile(code).hardship
        assert rules.offer_valid_days >= 1 and rules.cooldown_days >= 1 and rules.answer_rule == "P-11"


def test_an_offer_is_accepted_on_its_last_day(small: Container, late_loan: str) -> None:
    request = file(small, late_loan)
    proposal = small.hardship.propose(request.request_id, EXTEND, "op_maker")
    assert proposal.offered_on == small.clock.business_date()
    assert proposal.expires_on == proposal.offered_on + timedelta(days=2)
    small.eod.run(through=proposal.expires_on - timedelta(days=1))
    assert small.clock.business_date() == proposal.expires_on
    assert small.hardship.request(request.request_id).offer_expires == proposal.expires_on
    _accept(small, request.request_id)
    assert small.hardship.request(request.request_id).status is RequestStatus.ACCEPTED


def test_the_day_after_its_last_day_the_offer_is_refused_and_end_of_day_has_closed_the_request(
    small: Container, late_loan: str
) -> None:
    request = file(small, late_loan)
    proposal = small.hardship.propose(request.request_id, EXTEND, "op_maker")
    offer = small.hardship.request(request.request_id).offer
    assert offer is not None and _holds(small, late_loan) == ["request"]
    assert proposal.expires_on is not None
    small.eod.run(through=proposal.expires_on)
    closed = small.hardship.request(request.request_id)
    assert closed.status is RequestStatus.EXPIRED and closed.decided_on == proposal.expires_on
    assert [p.status for p in closed.proposals] == [ProposalStatus.EXPIRED] and closed.offer is None
    (expired,) = events(small, "hardship.RequestExpired")
    assert expired["request_id"] == request.request_id and expired["proposal_id"] == proposal.proposal_id
    assert _holds(small, late_loan) == []  # collections lifted the pause (P-10) in the same transaction
    before = counts(small)
    with pytest.raises(Conflict) as late:
        small.hardship.accept(proposal.proposal_id, BORROWER, offer.outcome.fingerprint, CONSENT)
    assert late.value.code == "offer_expired" and late.value.status == 409
    assert counts(small) == before
    small.eod.run(through=small.clock.business_date())  # running again expires nothing twice
    assert len(events(small, "hardship.RequestExpired")) == 1


def test_an_offer_past_its_day_is_refused_even_before_end_of_day_closes_it(small: Container, late_loan: str) -> None:
    request = file(small, late_loan)
    proposal = small.hardship.propose(request.request_id, EXTEND, "op_maker")
    assert proposal.expires_on is not None
    small.clock.set_business_date(proposal.expires_on + timedelta(days=1))  # the day moved, end-of-day not yet run
    before = counts(small)
    with pytest.raises(Conflict) as late:
        _accept(small, request.request_id)
    assert late.value.code == "offer_expired" and late.value.extra["expired_on"] == proposal.expires_on.isoformat()
    assert counts(small) == before


def test_an_approved_offer_runs_from_its_approval_not_its_proposal(small: Container, late_loan: str) -> None:
    request = file(small, late_loan, Kind.DISCOUNTED_SETTLEMENT)
    position = small.lending.position(late_loan)
    terms = Terms(Kind.DISCOUNTED_SETTLEMENT, amount=position.owed - 300_000, pay_by=position.as_of + timedelta(10))
    waiting = small.hardship.propose(request.request_id, terms, "op_maker")
    assert waiting.offered_on is None and waiting.expires_on is None
    small.eod.run(through=small.clock.business_date() + timedelta(days=2))  # longer than an offer lives: it was none
    assert small.hardship.request(request.request_id).status is RequestStatus.PROPOSED
    approved = small.hardship.approve(waiting.proposal_id, "op_checker")
    assert approved.offered_on == small.clock.business_date()
    assert approved.expires_on == approved.offered_on + timedelta(days=2)


@pytest.mark.parametrize("ending", ["declined", "expired"])
def test_a_new_request_waits_out_the_cool_down_to_the_day(small: Container, late_loan: str, ending: str) -> None:
    request = file(small, late_loan)
    if ending == "declined":
        small.hardship.decline(request.request_id, "op_maker", [DeclineReason.AFFORDABILITY])
    else:
        proposal = small.hardship.propose(request.request_id, EXTEND, "op_maker")
        assert proposal.expires_on is not None
        small.eod.run(through=proposal.expires_on)
    closed_on = small.hardship.request(request.request_id).decided_on
    assert closed_on is not None
    small.eod.run(through=closed_on + timedelta(days=1))  # the business date is now the cool-down's last day
    assert small.clock.business_date() == closed_on + timedelta(days=2)
    before = counts(small)
    with pytest.raises(Conflict) as cooling:
        file(small, late_loan)
    assert cooling.value.code == "request_cooldown"
    assert cooling.value.extra["retry_on"] == (closed_on + timedelta(days=3)).isoformat()
    assert counts(small) == before
    small.eod.run(through=small.clock.business_date())
    assert file(small, late_loan).status is RequestStatus.PENDING


def test_a_missed_answer_deadline_is_flagged_the_day_after_never_on_the_day(small: Container, late_loan: str) -> None:
    request = file(small, late_loan)
    small.eod.run(through=request.answer_due - timedelta(days=1))
    assert small.clock.business_date() == request.answer_due
    assert small.hardship.missed_deadlines() == []
    small.eod.run(through=request.answer_due)
    (flag,) = small.hardship.missed_deadlines()
    assert (flag.rule, flag.check, flag.request_id, flag.days_late) == ("P-11", UNANSWERED, request.request_id, 1)
    small.hardship.propose(request.request_id, EXTEND, "op_maker")  # answered, a day late: it stays on the record
    (late,) = small.hardship.missed_deadlines()
    assert (late.check, late.days_late) == (ANSWERED_LATE, 1)


def test_an_answer_on_the_deadline_day_is_in_time_and_one_awaiting_approval_is_no_answer(
    small: Container, late_loan: str
) -> None:
    on_time = file(small, late_loan)
    small.eod.run(through=on_time.answer_due - timedelta(days=1))
    small.hardship.decline(on_time.request_id, "op_maker", [DeclineReason.OTHER])
    assert small.hardship.request(on_time.request_id).answered_on == on_time.answer_due
    assert small.hardship.missed_deadlines() == []
    position = small.lending.position(late_loan)
    other = small.lending.book_loan(BORROWER, position.product_code, Money(1_000_000, "CNY"))
    request = file(small, other, Kind.DISCOUNTED_SETTLEMENT)
    owed = small.lending.position(other).owed
    waiting = small.hardship.propose(
        request.request_id,
        Terms(Kind.DISCOUNTED_SETTLEMENT, amount=owed - 300_000, pay_by=small.clock.business_date() + timedelta(5)),
        "op_maker",
    )
    assert waiting.needs_approval
    small.eod.run(through=request.answer_due)
    (flag,) = small.hardship.missed_deadlines()
    assert (flag.request_id, flag.check) == (request.request_id, UNANSWERED)


@pytest.mark.parametrize(
    ("reasons", "cools"),
    [
        ([DeclineReason.INCOMPLETE], False),  # more information needed: ask again at once
        ([DeclineReason.TYPE_UNAVAILABLE], False),  # another kind may be asked for at once
        ([DeclineReason.AFFORDABILITY], True),
        ([DeclineReason.INCOMPLETE, DeclineReason.AFFORDABILITY], True),  # one reason of the profile's is enough
        ([DeclineReason.OTHER], True),
    ],
)
def test_only_a_decline_for_one_of_the_profiles_reasons_starts_the_cool_down(
    small: Container, late_loan: str, reasons: list[DeclineReason], cools: bool
) -> None:
    request = file(small, late_loan)
    small.hardship.decline(request.request_id, "op_maker", reasons)
    today = small.clock.business_date()
    assert small.hardship.cooldown_until(late_loan) == (today + timedelta(days=3) if cools else None)
    if cools:
        before = counts(small)
        with pytest.raises(Conflict) as cooling:
            file(small, late_loan)
        assert cooling.value.code == "request_cooldown" and counts(small) == before
    else:
        again = file(small, late_loan)  # the same day, on the same loan
        assert again.status is RequestStatus.PENDING and again.request_id != request.request_id


def test_the_reasons_that_start_a_cool_down_are_the_profiles_data_not_the_codes(
    small: Container, late_loan: str
) -> None:
    """A profile that cools down only "incomplete" declines: an affordability decline leaves the loan open."""
    rules = replace(
        small.profile.hardship, offer_valid_days=2, cooldown_days=3, cooldown_reasons=(DeclineReason.INCOMPLETE,)
    )
    small.hardship = HardshipPlans(small.uow, small.clock, replace(small.profile, hardship=rules), small.lending)
    first = file(small, late_loan)
    small.hardship.decline(first.request_id, "op_maker", [DeclineReason.AFFORDABILITY])
    assert small.hardship.cooldown_until(late_loan) is None
    second = file(small, late_loan)
    small.hardship.decline(second.request_id, "op_maker", [DeclineReason.INCOMPLETE])
    assert small.hardship.cooldown_until(late_loan) == small.clock.business_date() + timedelta(days=3)
    with pytest.raises(Conflict):
        file(small, late_loan)


def test_a_decline_that_starts_no_cool_down_neither_resets_nor_lengthens_a_running_one(
    small: Container, late_loan: str
) -> None:
    first = file(small, late_loan)
    small.hardship.decline(first.request_id, "op_maker", [DeclineReason.AFFORDABILITY])
    first_day = small.clock.business_date() + timedelta(days=3)
    small.eod.run(through=first_day - timedelta(days=1))
    assert small.clock.business_date() == first_day and small.hardship.cooldown_until(late_loan) is None
    second = file(small, late_loan)
    small.hardship.decline(second.request_id, "op_maker", [DeclineReason.INCOMPLETE])
    assert small.hardship.cooldown_until(late_loan) is None  # still counted from the affordability decline
    assert file(small, late_loan).status is RequestStatus.PENDING
