"""Turning fairlend's lending events into bureau reporting records (pure).

The payloads are `fairlend.events.to_payload` output: Money is
{"minor", "currency"} and dates are ISO strings. Record ids are derived from
the loan and the event so that re-sending a file is harmless (the bureau
skips ids it has applied).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

DISBURSED = "lending.LoanDisbursed"
REPAYMENT = "lending.RepaymentPosted"
DELINQUENCY = "lending.LoanDelinquencyChanged"
MONTH_END = "lending.LoanMonthEnd"
SETTLED = "lending.LoanSettled"
CHARGED_OFF = "lending.LoanChargedOff"
WRITTEN_OFF = "lending.LoanWrittenOff"
# With these, the hardship plans that change what is reported (plans.py): lending's and hardship's, by name.
PLAN_EVENT_TYPES = (
    "lending.LoanModified",
    "lending.LoanDelinquencyReleased",
    "hardship.PlanReaged",
    "hardship.PlanBroken",
    "hardship.PlanEnded",
)
EVENT_TYPES = (DISBURSED, REPAYMENT, DELINQUENCY, MONTH_END, SETTLED, CHARGED_OFF, WRITTEN_OFF, *PLAN_EVENT_TYPES)


@dataclass(frozen=True, slots=True)
class BorrowerIdentity:
    name: str
    id_number: str
    id_scheme: str


def minor(value: Any) -> int:
    """An amount from a payload: {"minor", "currency"} or a bare integer."""
    if isinstance(value, dict):
        return int(value["minor"])
    return int(value)


def _months_between(start: date, end: date) -> int:
    return max(0, (end.year - start.year) * 12 + end.month - start.month)


def opening_record(payload: dict[str, Any], person: BorrowerIdentity) -> dict[str, Any]:
    """The opening record; with an empty identity, a placeholder the submitter fills in."""
    loan_id = payload["loan_id"]
    who: dict[str, Any] = (
        {"name": person.name, "id_number": person.id_number, "id_scheme": person.id_scheme}
        if person.id_number
        else {"borrower_id": payload["borrower_id"], "identity_pending": True}
    )
    open_date = date.fromisoformat(payload["open_date"])
    maturity = date.fromisoformat(payload["maturity_date"])
    monthly = payload.get("frequency") == "monthly"
    return {
        "record_id": f"{loan_id}:opened",
        "type": "account_opened",
        "account_ref": loan_id,
        "date": open_date.isoformat(),
        "person": who,
        "account_type": "loan",
        "currency": payload["currency"],
        "amount": minor(payload["principal"]),
        "term_months": int(payload["term"]) if monthly else _months_between(open_date, maturity),
        "due_schedule": {
            "frequency": payload.get("frequency"),
            "installments": payload.get("term"),
            "installment_amount": minor(payload["installment"]) if payload.get("installment") is not None else None,
            "first_due_date": payload.get("first_due_date"),
            "maturity_date": payload.get("maturity_date"),
            "apr": payload.get("apr"),
        },
    }


def is_negative(event_type: str, payload: dict[str, Any]) -> bool:
    if event_type in (CHARGED_OFF, WRITTEN_OFF):
        return True
    if event_type in (DELINQUENCY, MONTH_END, "hardship.PlanBroken"):
        return int(payload.get("days_past_due") or 0) > 0
    return False


def notice_record(loan_id: str, notified_on: date) -> dict[str, Any]:
    return {
        "record_id": f"{loan_id}:notice",
        "type": "negative_notice",
        "account_ref": loan_id,
        "date": notified_on.isoformat(),
    }


def records_for(
    event_type: str, payload: dict[str, Any], position: int, *, person: BorrowerIdentity | None = None
) -> list[dict[str, Any]]:
    """The bureau records one lending event becomes (account_opened needs the borrower's identity)."""
    loan_id = payload["loan_id"]
    day = payload.get("business_date")
    if event_type == DISBURSED:
        if person is None:
            raise ValueError("an opening record needs the borrower's name and ID number")
        return [opening_record(payload, person)]
    if event_type == REPAYMENT:
        return [
            {
                "record_id": f"{loan_id}:repayment:{payload['repayment_id']}",
                "type": "repayment",
                "account_ref": loan_id,
                "date": day,
                "amount": minor(payload["amount"]),
                "balance": minor(payload["outstanding_principal"]),
                "days_overdue": int(payload.get("days_past_due") or 0),
            }
        ]
    if event_type == DELINQUENCY:
        record = {
            "record_id": f"{loan_id}:delinquency:{position}",
            "type": "status",
            "account_ref": loan_id,
            "date": day,
            "balance": minor(payload["outstanding_principal"]),
            "amount_overdue": minor(payload["overdue_amount"]),
            "days_overdue": int(payload["days_past_due"]),
        }
        if payload.get("first_delinquency_date") and int(payload["days_past_due"]) > 0:
            record["first_delinquency_date"] = payload["first_delinquency_date"]
        return [record]
    if event_type == MONTH_END:
        return [
            {
                "record_id": f"{loan_id}:month_end:{day}",
                "type": "status",
                "account_ref": loan_id,
                "date": day,
                "balance": minor(payload["outstanding"]),
                "amount_overdue": minor(payload["overdue_amount"]),
                "days_overdue": int(payload["days_past_due"]),
            }
        ]
    if event_type == SETTLED:
        if payload.get("after_charge_off"):
            # Neither code set has "paid in full after charge-off" (CN-17 C would hide the G; Metro 2's
            # 64 is not in the bureau's set): the recovery's repayment record already said balance 0.
            return []
        return [
            {
                "record_id": f"{loan_id}:settled",
                "type": "settlement",
                "account_ref": loan_id,
                "date": payload.get("settled_on") or day,
                "settled_by": "borrower",
            }
        ]
    if event_type in (CHARGED_OFF, WRITTEN_OFF):
        return [
            {
                "record_id": f"{loan_id}:charge_off",
                "type": "charge_off",
                "account_ref": loan_id,
                "date": day,
                "amount": minor(payload["amount"]),
            }
        ]
    return []
