"""A lender's change inside a schedule is reported as the balance it leaves, never as a hardship plan."""

from __future__ import annotations

from typing import Any

from fairlend.lending_reporting.plans import KeptPlan, follow, under_plan

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
