"""Paying a plan from the loan page: one row and one amount per plan payment, and that amount keeps the plan.

A modified loan holds two installments on each plan due date (the arrears the plan carries, billed
already, and the new schedule's own). As the adversary would check: the row's button must pay the
whole plan payment, not the carried part alone (¥158.46 of ¥4,005.63 once did, and the row said
"paid" while the plan payment was not made); no button may offer a later plan payment's carried part
before it falls due; and paying the row's amount must keep the plan on its due date.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from fairlend.bootstrap import Container
from fairlend.hardship.model import Kind, PlanStatus, Terms
from fairlend.hardship.plans import HardshipStep
from fairlend.identity.model import Role
from fairlend.lending.eod import EndOfDay
from fairlend.lending.model import LoanState
from fairlend.money import Money
from tests.web import test_hardship_pages as hardship_pages
from tests.web.helpers import csrf, sign_in

OWNER, _ask = hardship_pages.OWNER, hardship_pages._ask
late_loan = hardship_pages.late_loan  # the fixture: ¥50,000, January's and February's instalments unpaid


@pytest.fixture
def planned(api: TestClient, container: Container, late_loan: str) -> tuple[Container, str]:
    """The late loan under an accepted twelve-month interest-stop plan; end-of-day with lending's and
    hardship's steps only (collections and the bureau need people in identity)."""
    container.eod = EndOfDay(container.uow, container.ledger, container.profile, container.clock)
    container.eod.register(HardshipStep(container.hardship))
    request_id = _ask(api, container, late_loan)
    made = container.hardship.propose(request_id, Terms(Kind.INTEREST_STOP, periods=12), "op_maker")
    if made.needs_approval:
        container.hardship.approve(made.proposal_id, "op_checker")
    offer = container.hardship.request(request_id).offer
    assert offer is not None
    consent = container.profile.hardship.consent_version
    container.hardship.accept(offer.proposal_id, OWNER, offer.outcome.fingerprint, consent)
    return container, late_loan


def _rows(html: str) -> list[str]:
    table = re.search(r'<table data-testid="schedule">(.*?)</table>', html, re.S)
    assert table is not None
    return re.findall(r"<tr class=\"status-[a-z]+\">.*?</tr>", table.group(1), re.S)


def _pay_forms(html: str) -> dict[str, str]:
    """Each per-row pay form's amount, by its test id."""
    found = re.findall(r'data-testid="(pay-installment-\d+)">.*?name="amount" value="([^"]+)"', html, re.S)
    return dict(found)


def test_a_plan_payment_is_one_row_with_one_amount_and_paying_it_from_the_row_keeps_the_plan(
    api: TestClient, planned: tuple[Container, str]
) -> None:
    container, loan = planned
    (plan,) = container.hardship.plans_of_loan(loan)
    lines = container.hardship.request(plan.request_id).proposals[-1].outcome.installments
    first = lines[0]
    assert first.arrears_interest + first.arrears_fee > 0 and first.principal > 0  # two installments on one date

    sign_in(api, container, OWNER, Role.BORROWER)
    page = api.get(f"/borrower/loans/{loan}?lang=en").text
    rows = _rows(page)
    for line in lines:  # one row per plan due date, with the whole payment
        (row,) = [r for r in rows if line.due.isoformat() in r]
        assert Money(line.total, "CNY").format("en") in row
    # Before the first plan payment falls due no row offers to pay a part of one (the carried arrears are
    # billed already, yet the payment is not due): the repay form below takes early payments.
    assert _pay_forms(page) == {}

    container.eod.run(through=first.due - timedelta(days=1))  # the business date is the first plan due date
    sign_in(api, container, OWNER, Role.BORROWER)
    page = api.get(f"/borrower/loans/{loan}?lang=en").text
    due_today = container.lending.loan_facts(loan).next_due_amount
    assert due_today.minor == first.total
    forms = _pay_forms(page)
    assert list(forms.values()) == [str(due_today.to_decimal())]  # the whole plan payment, once
    (form_id,) = forms
    pay_key = re.search(rf'data-testid="{form_id}">.*?name="pay_key" value="([^"]+)"', page, re.S)
    assert pay_key is not None
    paid = api.post(
        f"/borrower/loans/{loan}/repay",
        data={"csrf_token": csrf(page), "pay_key": pay_key.group(1), "amount": forms[form_id]},
        follow_redirects=False,
    )
    assert paid.status_code == 303, paid.text
    after = api.get(f"/borrower/loans/{loan}?lang=en").text
    (row,) = [r for r in _rows(after) if first.due.isoformat() in r]
    assert "status-paid" in row

    container.eod.run(through=first.due)
    kept = container.hardship.plan(plan.plan_id)
    assert kept.status is PlanStatus.ACTIVE and kept.reaged_on == first.due
    facts = container.lending.loan_facts(loan)
    assert facts.state is LoanState.ACTIVE and facts.days_past_due == 0
    assert container.verify() == []
