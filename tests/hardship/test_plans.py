"""Acceptance in one transaction, and end-of-day keeping, breaking and re-aging, on the real services."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from fairlend.bootstrap import Container
from fairlend.errors import Conflict, Invalid, NotFound
from fairlend.hardship.model import Kind, PlanStatus, ProposalStatus, RequestStatus, Terms
from fairlend.hardship.plans import HardshipPlans, HardshipStep
from fairlend.ledger.model import AccountKey, AccountType
from fairlend.lending.eod import EndOfDay
from fairlend.lending.model import LoanState, Method
from fairlend.money import Money
from tests.hardship.conftest import BORROWER
from tests.hardship.helpers import CONSENT, counts, events, file, offer_and_accept, settlement
from tests.hardship.support import US


def _credit_loss(container: Container) -> int:
    return container.ledger.balance(AccountKey(AccountType.CREDIT_LOSS, "CNY")).minor


def test_accepting_changes_the_schedule_posts_the_concessions_and_keeps_the_old_schedule(
    container: Container, late_loan: str
) -> None:
    container.eod.run(through=container.clock.business_date() + timedelta(days=3))  # penalty and late fees
    before = container.lending.position(late_loan)
    assert before.penalty > 0 and before.fees > 0 and before.days_past_due > 0
    terms = Terms(Kind.INTEREST_STOP, periods=24, waive_penalty=before.penalty, waive_fees=before.fees)
    offer, plan = offer_and_accept(container, file(container, late_loan), terms)
    assert plan.status is PlanStatus.ACTIVE and plan.schedule_version == 2 and plan.delinquency_held
    assert plan.consent_version == CONSENT and plan.fingerprint == offer.outcome.fingerprint
    after = container.lending.position(late_loan)
    # Nothing owed is lost: what is still owed plus the concessions is what was owed.
    assert after.owed + before.penalty + before.fees == before.owed
    assert (after.penalty, after.accrued_interest, after.rate, after.method) == (0, 0, 0, Method.EQUAL_PRINCIPAL)
    assert after.days_past_due == before.days_past_due  # held as reported until re-aged
    versions = container.lending.schedule_versions(late_loan)
    assert [(v["version"], v["current"]) for v in versions] == [(1, False), (2, True)]
    assert versions[0]["replaced_by"] == "interest_stop" and versions[0]["reference"] == plan.plan_id
    assert len(versions[0]["installments"]) == 12
    (modified,) = events(container, "lending.LoanModified")
    assert modified["waived_penalty"]["minor"] == before.penalty and modified["delinquency_held"] is True
    (started,) = events(container, "hardship.PlanStarted")
    assert started["plan_id"] == plan.plan_id and started["installments"] == 24
    request = container.hardship.request(offer.request_id)
    assert request.status is RequestStatus.ACCEPTED and request.proposals[0].status is ProposalStatus.ACCEPTED
    assert container.verify() == []


def test_the_borrower_accepts_only_the_numbers_they_saw_and_a_refusal_writes_nothing(
    container: Container, late_loan: str
) -> None:
    request = file(container, late_loan)
    proposal = container.hardship.propose(request.request_id, Terms(Kind.TERM_EXTENSION, periods=6), "op_maker")
    seen = proposal.outcome.fingerprint
    before = counts(container)
    with pytest.raises(Invalid) as consent:
        container.hardship.accept(proposal.proposal_id, BORROWER, seen, "hardship-consent-v0")
    assert consent.value.code == "consent_version_mismatch"
    with pytest.raises(NotFound):
        container.hardship.accept(proposal.proposal_id, "brw_other", seen, CONSENT)
    container.lending.repay(late_loan, Money(1_000, "CNY"))  # the loan moves
    moved = counts(container)
    with pytest.raises(Conflict) as changed:
        container.hardship.accept(proposal.proposal_id, BORROWER, seen, CONSENT)
    assert changed.value.code == "proposal_changed" and changed.value.extra["fingerprint"] != seen
    assert counts(container) == moved and moved["hardship_plan"] == before["hardship_plan"] == 0
    fresh = container.hardship.request(request.request_id, borrower_id=BORROWER).offer
    assert fresh is not None and fresh.outcome.fingerprint == changed.value.extra["fingerprint"]
    plan = container.hardship.accept(proposal.proposal_id, BORROWER, fresh.outcome.fingerprint, CONSENT)
    assert plan.status is PlanStatus.ACTIVE
    with pytest.raises(Conflict) as twice:
        container.hardship.accept(proposal.proposal_id, BORROWER, fresh.outcome.fingerprint, CONSENT)
    assert twice.value.code == "proposal_not_offered"


def test_a_proposal_waiting_for_approval_cannot_be_accepted(container: Container, late_loan: str) -> None:
    request = file(container, late_loan)
    proposal = container.hardship.propose(request.request_id, settlement(container, late_loan), "op_maker")
    with pytest.raises(Conflict) as waiting:
        container.hardship.accept(proposal.proposal_id, BORROWER, proposal.outcome.fingerprint, CONSENT)
    assert waiting.value.code == "proposal_not_offered"


def test_cn_a_kept_plan_re_ages_on_its_first_payment_and_a_missed_one_breaks_it(
    container: Container, late_loan: str
) -> None:
    offer, plan = offer_and_accept(container, file(container, late_loan), Terms(Kind.INTEREST_STOP, periods=24))
    first, second = offer.outcome.installments[:2]
    container.eod.run(through=first.due - timedelta(days=1))
    assert container.lending.loan_facts(late_loan).days_past_due > 0  # still as reported
    assert container.lending.loan_facts(late_loan).next_due_amount.minor == first.total
    container.lending.repay(late_loan, Money(first.total, "CNY"))
    container.eod.run(through=first.due)
    reaged = container.hardship.plan(plan.plan_id)
    assert reaged.status is PlanStatus.ACTIVE and reaged.reaged_on == first.due and not reaged.delinquency_held
    facts = container.lending.loan_facts(late_loan)
    assert (facts.days_past_due, facts.bucket) == (0, "current")
    (released,) = events(container, "lending.LoanDelinquencyReleased")
    assert released["reaged"] is True and released["days_past_due"] == 0
    assert [e["rule"] for e in events(container, "hardship.PlanReaged")] == ["CN-17"]
    container.eod.run(through=second.due + timedelta(days=14))
    assert container.hardship.plan(plan.plan_id).status is PlanStatus.ACTIVE  # 14 days: still within grace
    owed_before_break = container.lending.position(late_loan).owed
    container.eod.run(through=second.due + timedelta(days=15))
    broken = container.hardship.plan(plan.plan_id)
    assert broken.status is PlanStatus.BROKEN and broken.missed_due == second.due
    (event,) = events(container, "hardship.PlanBroken")
    assert event["days_past_due"] == 16
    # Reverting never brings back what was given up: only the day's late fee is added (no penalty: interest stop).
    assert container.lending.position(late_loan).owed == owed_before_break
    assert container.verify() == []


def test_a_broken_plan_that_was_never_re_aged_keeps_its_first_delinquency_date(
    container: Container, late_loan: str
) -> None:
    first_delinquency = events(container, "lending.LoanDelinquencyChanged")[0]["first_delinquency_date"]
    offer, plan = offer_and_accept(container, file(container, late_loan), Terms(Kind.INTEREST_STOP, periods=24))
    first = offer.outcome.installments[0]
    container.eod.run(through=first.due + timedelta(days=15))
    assert container.hardship.plan(plan.plan_id).status is PlanStatus.BROKEN
    changed = events(container, "lending.LoanDelinquencyChanged")[-1]
    assert changed["first_delinquency_date"] == first_delinquency and changed["days_past_due"] == 16


def test_us_re_ages_only_after_three_consecutive_on_time_plan_payments(container: Container, late_loan: str) -> None:
    # The cn platform with us's re-age rule (FFIEC): the loan and its currency stay as they are.
    profile = replace(container.profile, hardship=replace(container.profile.hardship, reage=US.hardship.reage))
    container.hardship = HardshipPlans(container.uow, container.clock, profile, container.lending)
    container.eod = EndOfDay(container.uow, container.ledger, profile, container.clock)
    container.eod.register(HardshipStep(container.hardship))
    offer, plan = offer_and_accept(container, file(container, late_loan), Terms(Kind.INTEREST_STOP, periods=24))
    for k, line in enumerate(offer.outcome.installments[:3]):
        container.eod.run(through=line.due - timedelta(days=1))
        container.lending.repay(late_loan, Money(line.total, "CNY"))
        container.eod.run(through=line.due)
        assert container.hardship.plan(plan.plan_id).delinquency_held is (k < 2), f"after payment {k + 1}"
        assert (container.lending.loan_facts(late_loan).days_past_due > 0) is (k < 2)
    assert [e["rule"] for e in events(container, "hardship.PlanReaged")] == ["FFIEC"]


def test_a_discounted_settlement_paid_settles_the_loan_with_the_rest_written_off(
    container: Container, late_loan: str
) -> None:
    terms = settlement(container, late_loan)
    loss_before = _credit_loss(container)
    offer, plan = offer_and_accept(container, file(container, late_loan), terms)
    c = offer.outcome.concessions
    assert c.principal > 0 and c.owed == 300_000
    assert _credit_loss(container) - loss_before == c.principal
    container.lending.repay(late_loan, Money(terms.amount, "CNY"))
    facts = container.lending.loan_facts(late_loan)
    assert facts.state is LoanState.SETTLED
    container.eod.run()
    assert container.hardship.plan(plan.plan_id).status is PlanStatus.COMPLETED
    assert container.verify() == []


def test_a_settlement_not_paid_breaks_and_the_rest_stays_forgiven(container: Container, late_loan: str) -> None:
    terms = settlement(container, late_loan)
    assert terms.pay_by is not None
    _, plan = offer_and_accept(container, file(container, late_loan), terms)
    container.eod.run(through=terms.pay_by + timedelta(days=15))
    assert container.hardship.plan(plan.plan_id).status is PlanStatus.BROKEN
    owed = container.lending.position(late_loan).owed
    assert terms.amount <= owed <= terms.amount + 10_000  # the lump sum, its late fee and penalty: not the 3,000
    assert container.verify() == []


@pytest.mark.parametrize(
    "kind", [Kind.PAYMENT_HOLIDAY, Kind.TERM_EXTENSION, Kind.REDUCED_INSTALLMENTS, Kind.OPERATOR_RESCHEDULE]
)
def test_every_kind_applies_and_leaves_the_books_balanced(container: Container, late_loan: str, kind: Kind) -> None:
    position = container.lending.position(late_loan)
    terms = {
        Kind.PAYMENT_HOLIDAY: Terms(kind, periods=2),
        Kind.TERM_EXTENSION: Terms(kind, periods=6),
        Kind.REDUCED_INSTALLMENTS: Terms(kind, periods=3, installment=position.installment // 2, extra_periods=3),
        Kind.OPERATOR_RESCHEDULE: Terms(kind, periods=1, first_due=position.as_of + timedelta(days=45)),
    }[kind]
    offer, plan = offer_and_accept(container, file(container, late_loan), terms)
    now = container.lending.position(late_loan)
    assert now.owed == sum(line.debt for line in offer.outcome.installments)
    assert container.verify() == []
    # Paid as planned, every installment on its due date, the plan completes and the loan settles.
    for line in offer.outcome.installments:
        container.eod.run(through=line.due - timedelta(days=1))
        container.lending.repay(late_loan, Money(line.total, "CNY"))
    container.eod.run()
    assert container.lending.loan_facts(late_loan).state is LoanState.SETTLED
    assert container.hardship.plan(plan.plan_id).status is PlanStatus.COMPLETED
    assert container.verify() == []


def test_paying_ahead_on_a_plan_pays_the_carried_arrears_then_prepays_and_the_books_balance(
    container: Container, late_loan: str
) -> None:
    offer, plan = offer_and_accept(container, file(container, late_loan), Terms(Kind.TERM_EXTENSION, periods=6))
    first = offer.outcome.installments[0]
    container.eod.run(through=first.due - timedelta(days=1))
    carried_ahead = sum(line.arrears_interest + line.arrears_fee for line in offer.outcome.installments[1:])
    paid = container.lending.repay(late_loan, Money(first.total + carried_ahead + 100_000, "CNY"))
    assert paid.refunded.minor == 0
    position = container.lending.position(late_loan)
    assert position.interest_billed == 0 and position.fees == 0  # every carried part paid ahead
    assert position.principal == sum(line.principal for line in offer.outcome.installments) - first.principal - (
        100_000 - paid.prepayment_fee.minor
    )
    container.eod.run(through=first.due)
    assert container.hardship.plan(plan.plan_id).status is PlanStatus.ACTIVE
    assert container.verify() == []
