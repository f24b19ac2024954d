"""A plan payment made before its due date: it pays that payment, and the plan counts it kept (lending/paying_early.py).

As the adversary would check: the payment must not turn into a prepayment that rebuilds the schedule
and leaves the plan payment open; it must not charge a day's interest twice (billed early, then accrued
again); a payment beyond the plan payment still keeps it and pays the rest in the usual order; a
payment that is not enough leaves the rest owed on the due date; and the books balance throughout.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from fairlend.bootstrap import Container
from fairlend.hardship.model import Kind, PlanStatus, Terms
from fairlend.money import Money
from tests.hardship.helpers import file, offer_and_accept

KINDS = {
    "interest_stop": Terms(Kind.INTEREST_STOP, periods=12),  # no interest: carried arrears and principal
    "term_extension": Terms(Kind.TERM_EXTENSION, periods=6),  # interest runs: billed early, never twice
}


def _later_lines(container: Container, loan_id: str, after: int) -> list[tuple[str, int, int, int]]:
    """The schedule's rows after the first `after` ones: (due date, principal, interest, owed)."""
    return [
        (i.due_date.isoformat(), i.principal.minor, i.interest.minor, i.outstanding.minor)
        for i in container.lending.loan_detail(loan_id).schedule[after:]
    ]


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_a_plan_payment_made_two_days_early_pays_it_and_the_plan_counts_it_on_its_due_date(
    container: Container, late_loan: str, kind: str
) -> None:
    offer, plan = offer_and_accept(container, file(container, late_loan), KINDS[kind])
    first, second = offer.outcome.installments[:2]
    container.eod.run(through=first.due - timedelta(days=3))  # the business date: two days before it
    schedule = container.lending.loan_detail(late_loan).schedule
    plan_rows = len(schedule) - len(offer.outcome.installments)
    later = _later_lines(container, late_loan, plan_rows + 1)
    assert container.lending.loan_facts(late_loan).next_due_amount.minor == first.total

    paid = container.lending.repay(late_loan, Money(first.total, "CNY"))
    assert (paid.refunded.minor, paid.prepayment_fee.minor) == (0, 0)
    assert (
        _later_lines(container, late_loan, plan_rows + 1) == later
    )  # no rebuilt schedule: a payment, not a prepayment
    row = container.lending.loan_detail(late_loan).schedule[plan_rows]
    assert (row.due_date, row.status, row.outstanding.minor) == (first.due, "paid", 0)
    facts = container.lending.loan_facts(late_loan)
    assert (facts.next_due_date, facts.next_due_amount.minor) == (second.due, second.total)
    assert container.verify() == []

    container.eod.run(through=first.due)
    kept = container.hardship.plan(plan.plan_id)
    assert kept.status is PlanStatus.ACTIVE and kept.reaged_on is not None and kept.reaged_on <= first.due
    assert container.lending.loan_facts(late_loan).days_past_due == 0
    # The next period accrues from the first payment's due date: on the eve of the second, exactly its interest.
    container.eod.run(through=second.due - timedelta(days=1))
    position = container.lending.position(late_loan)
    # Billed: the second payment's own interest and the interest every later payment carries (billed at the
    # plan's start), no more; nothing accrued left over.
    carried = sum(line.arrears_interest for line in offer.outcome.installments[1:])
    assert (position.interest_billed, position.accrued_interest) == (second.interest + carried, 0)
    assert container.lending.loan_facts(late_loan).next_due_amount.minor == second.total
    container.lending.repay(late_loan, Money(second.total, "CNY"))
    container.eod.run(through=second.due + timedelta(days=20))
    assert container.hardship.plan(plan.plan_id).status is PlanStatus.ACTIVE
    assert container.verify() == []


def test_an_early_payment_short_of_the_plan_payment_leaves_the_rest_owed_on_its_date_and_nothing_late_before(
    container: Container, late_loan: str
) -> None:
    offer, plan = offer_and_accept(container, file(container, late_loan), KINDS["term_extension"])
    first = offer.outcome.installments[0]
    carried = first.arrears_principal + first.arrears_interest + first.arrears_fee
    container.eod.run(through=first.due - timedelta(days=6))
    part = carried + (first.total - carried) // 2
    paid = container.lending.repay(late_loan, Money(part, "CNY"))
    assert (paid.refunded.minor, paid.prepayment_fee.minor) == (0, 0)
    facts = container.lending.loan_facts(late_loan)
    assert (facts.next_due_date, facts.next_due_amount.minor) == (first.due, first.total - part)
    container.eod.run(through=first.due - timedelta(days=1))
    assert container.lending.loan_facts(late_loan).next_due_amount.minor == first.total - part  # nothing more billed
    container.lending.repay(late_loan, Money(first.total - part, "CNY"))
    container.eod.run(through=first.due)
    assert container.hardship.plan(plan.plan_id).reaged_on == first.due
    assert container.verify() == []


def test_paying_more_than_the_plan_payment_early_keeps_it_and_the_rest_pays_carried_arrears_then_prepays(
    container: Container, late_loan: str
) -> None:
    offer, plan = offer_and_accept(container, file(container, late_loan), KINDS["term_extension"])
    lines = offer.outcome.installments
    first = lines[0]
    carried_later = sum(line.arrears_principal + line.arrears_interest + line.arrears_fee for line in lines[1:])
    container.eod.run(through=first.due - timedelta(days=3))
    paid = container.lending.repay(late_loan, Money(first.total + carried_later + 100_000, "CNY"))
    assert paid.refunded.minor == 0 and paid.prepayment_fee.minor >= 0
    position = container.lending.position(late_loan)
    assert position.interest_billed == 0 and position.fees == 0 and position.accrued_interest == 0
    prepaid = 100_000 - paid.prepayment_fee.minor
    assert position.principal == sum(line.principal + line.arrears_principal for line in lines[1:]) - prepaid
    assert container.verify() == []
    # The rebuilt schedule's first period starts on the first payment's due date, not today: on its eve
    # nothing has accrued (the days until then were billed with the first payment).
    container.eod.run(through=first.due - timedelta(days=1))
    assert container.lending.position(late_loan).accrued_interest == 0
    container.eod.run(through=first.due)
    kept = container.hardship.plan(plan.plan_id)
    assert kept.status is PlanStatus.ACTIVE and kept.reaged_on is not None
    assert container.verify() == []


def test_a_payment_while_a_plan_payment_is_overdue_pays_that_first_and_bills_nothing_early(
    container: Container, late_loan: str
) -> None:
    offer, _ = offer_and_accept(container, file(container, late_loan), KINDS["term_extension"])
    first, second = offer.outcome.installments[:2]
    container.eod.run(through=first.due + timedelta(days=3))  # the first plan payment is 4 days late
    before = _later_lines(container, late_loan, 0)
    # The plan payment, its late fee and the penalty interest run since: what is past due.
    owed = container.lending.loan_facts(late_loan).next_due_amount.minor + container.lending.position(late_loan).penalty
    assert owed > first.total
    container.lending.repay(late_loan, Money(owed, "CNY"))
    facts = container.lending.loan_facts(late_loan)
    assert facts.next_due_date == second.due and facts.next_due_amount.minor == second.total
    after = _later_lines(container, late_loan, 0)
    assert [r for r in after if r[0] == second.due.isoformat()] == [r for r in before if r[0] == second.due.isoformat()]
    assert container.verify() == []
