"""A lender's change inside a schedule is reported as the balance and the terms it leaves, never as a hardship plan."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

from fairlend.bootstrap import Container
from fairlend.jurisdiction.loader import load_profile
from fairlend.lending_reporting.metro2 import fold
from fairlend.lending_reporting.plans import KeptPlan, follow, under_plan
from fairlend.lending_reporting.service import BureauReportingStep, reporting_file
from fairlend.money import Money
from tests.lending.conftest import BASE
from tests.lending_reporting.test_reporter import FakeNotices

MODIFIED = "lending.LoanModified"


def _payload(**extra: Any) -> dict[str, Any]:
    return {
        "loan_id": "loan_1",
        "kind": "rate_change",
        "schedule_version": 2,
        "outstanding_principal": {"minor": 900_000, "currency": "CNY"},
        "days_past_due": 0,
        "delinquency_held": False,
        "business_date": "2026-03-12",
    } | extra


def test_a_rate_change_or_correction_becomes_a_status_record_with_the_new_balance_and_no_kept_plan() -> None:
    plans: dict[str, KeptPlan] = {}
    [record] = follow(MODIFIED, _payload(plan=False), plans)
    assert record == {
        "record_id": "loan_1:changed:2",
        "type": "status",
        "account_ref": "loan_1",
        "date": "2026-03-12",
        "balance": 900_000,
        "amount_overdue": 0,
        "days_overdue": 0,
    }
    assert plans == {}
    # With no plan kept, a later late status goes to the bureau as it is.
    late = {"type": "status", "account_ref": "loan_1", "amount_overdue": 100, "days_overdue": 3, "balance": 1}
    assert under_plan(late, plans) == late


def test_a_modification_without_the_flag_is_still_a_plan_as_before() -> None:
    plans: dict[str, KeptPlan] = {}
    [record] = follow(MODIFIED, _payload(kind="term_extension"), plans)
    assert record["type"] == "modification" and record["kind"] == "term_extension"
    assert plans["loan_1"].kind == "term_extension"


def test_a_change_on_a_loan_under_a_kept_plan_leaves_the_plan_kept() -> None:
    plans = {"loan_1": KeptPlan("loan_1", "term_extension", held=False)}
    follow(MODIFIED, _payload(plan=False, schedule_version=3), plans)
    assert plans["loan_1"].kind == "term_extension"


def test_the_status_record_of_a_change_carries_the_new_installment_maturity_rate_and_installments_left() -> None:
    terms = {
        "installments": 11,
        "installment": {"minor": 82_512, "currency": "CNY"},
        "first_due_date": "2026-04-02",
        "maturity_date": "2027-02-02",
        "rate": "0.18",
    }
    [record] = follow(MODIFIED, _payload(plan=False, **terms), {})
    assert record["due_schedule"] == {
        "installments": 11,
        "installment_amount": 82_512,
        "first_due_date": "2026-04-02",
        "maturity_date": "2027-02-02",
        "rate": "0.18",
    }
    assert record["balance"] == 900_000


def test_metro2_takes_the_changed_installment_and_term_from_the_change_s_status_record() -> None:
    opened = {
        "type": "account_opened",
        "account_ref": "loan_1",
        "date": "2026-03-02",
        "amount": 1_000_000,
        "term_months": 12,
        "person": {},
        "due_schedule": {"installment_amount": 91_680},
    }
    changed = follow(MODIFIED, _payload(plan=False, installment=88_849, maturity_date="2027-09-02"), {})
    [account] = fold([opened, *changed], load_profile("us").bureau.modification_codes).values()
    assert (account.installment, account.term_months, account.balance) == (88_849, 18, 900_000)


def test_a_rate_change_reaches_the_day_s_reporting_file_with_the_new_installment_and_maturity(
    container: Container,
) -> None:
    """End to end on the real lending: 10,000 at 18 % for 12 months (916.80 a month), repriced at 12 % on its
    booking day: 888.49 a month, the same twelve dates (docs/lending.md, "Changes inside a schedule")."""
    product = container.lending.products.define(BASE)
    today = container.clock.business_date()
    loan = container.lending.book_loan("brw_1", product.code, Money(1_000_000, "CNY"))
    container.lending.change_rate(loan, Decimal("0.12"), operator_id="op_1", reason="repriced")
    step = BureauReportingStep(FakeNotices())
    with container.uow() as uow:
        step.run(uow, today)
        uow.commit()
    records = [json.loads(line) for line in (reporting_file(container.uow, today) or "").splitlines()]
    [opened] = [r for r in records if r["type"] == "account_opened"]
    [changed] = [r for r in records if r["record_id"] == f"{loan}:changed:2"]
    assert opened["due_schedule"]["installment_amount"] == 91_680
    assert changed["type"] == "status" and changed["balance"] == 1_000_000
    assert changed["due_schedule"] == {
        "installments": 12,
        "installment_amount": 88_849,
        "first_due_date": "2026-04-02",
        "maturity_date": date(2027, 3, 2).isoformat(),
        "rate": "0.12",
    }
