"""A hardship plan in the reporting file (pure): what the bureau is told while a loan is under a plan.

The reporter follows lending's `LoanModified` and `LoanDelinquencyReleased`
and hardship's `PlanReaged`, `PlanBroken`, `PlanEnded` (by type name: the
reporter imports neither context), keeping one `KeptPlan` per loan under a
plan (`lending_reporting_plan`).

- `LoanModified`: a `modification` record (event `started`, the plan's kind);
  the bureau shows the profile's code for the kind. A lender's own change inside
  the schedule (`plan` false: a rate change, a balance correction, a tranche) is
  no plan: a `status` record with the balance it leaves and its new terms
  (`due_schedule`: installment, installments remaining, maturity, rate).
- While a plan is kept, no new negative record (issue #15). A loan that was
  delinquent when the plan began keeps its status as reported (lending holds
  the days past due, so its records say no more than before). Once it is not
  held (re-aged, or current when the plan began), a late plan payment that
  has not broken the plan yet is reported as current: the status record keeps
  its balance with nothing overdue, and the real figures are kept back.
- `PlanBroken`: the figures kept back, with the days past due the break counts
  (from the missed plan payment), go in a status record, then a
  `modification` record `broken`: the delinquency is the bureau's again.
- `PlanReaged`, a completed `PlanEnded`: `modification` records `reaged`,
  `completed`; the re-aged status itself comes with lending's own records.
- `LoanSettled` of a discounted settlement: `settlement` with `for_less` (the
  profile's settled-for-less code: Metro 2 AU, cn 减免结清).
"""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import dataclass, replace
from typing import Any

from fairlend.lending_reporting.model import PLAN_EVENT_TYPES

MODIFIED, RELEASED, PLAN_REAGED, PLAN_BROKEN, PLAN_ENDED = PLAN_EVENT_TYPES
DISCOUNTED_SETTLEMENT = "discounted_settlement"


@dataclass(frozen=True, slots=True)
class Withheld:
    """A status the kept plan held back from the bureau: reported if the plan breaks."""

    balance: int
    amount_overdue: int
    days_overdue: int


@dataclass(frozen=True, slots=True)
class KeptPlan:
    loan_id: str
    kind: str
    held: bool  # the loan's delinquency is held as reported (lending's), not yet re-aged or released
    withheld: Withheld | None = None


def _minor(value: Any) -> int:
    return int(value["minor"]) if isinstance(value, dict) else int(value)


def _modification(loan_id: str, day: Any, event: str, suffix: str, kind: str = "") -> dict[str, Any]:
    record: dict[str, Any] = {
        "record_id": f"{loan_id}:{event}:{suffix}",
        "type": "modification",
        "account_ref": loan_id,
        "date": day,
        "event": event,
    }
    if kind:
        record["kind"] = kind
    return record


def changed_terms(loan_id: str, day: Any, payload: dict[str, Any]) -> dict[str, Any]:
    """A lender's change inside the schedule (a rate change, a balance correction, a tranche): no plan and
    no modification code; a status record with the balance it leaves and the terms it changed
    (`due_schedule`, as the opening record's: the installment, how many remain, the first and last due
    dates, the rate). Lending refuses such a change while anything is billed and unpaid, so nothing is
    overdue on it."""
    record: dict[str, Any] = {
        "record_id": f"{loan_id}:changed:{payload['schedule_version']}",
        "type": "status",
        "account_ref": loan_id,
        "date": day,
        "balance": _minor(payload["outstanding_principal"]),
        "amount_overdue": 0,
        "days_overdue": int(payload.get("days_past_due") or 0),
    }
    terms = {
        "installments": payload.get("installments"),
        "installment_amount": _minor(payload["installment"]) if payload.get("installment") is not None else None,
        "first_due_date": payload.get("first_due_date"),
        "maturity_date": payload.get("maturity_date"),
        "rate": payload.get("rate"),
    }
    # An event from before the terms were published (an outbox read after an upgrade) says only the balance.
    if any(value is not None for value in terms.values()):
        record["due_schedule"] = {k: v for k, v in terms.items() if v is not None}
    return record


def follow(event_type: str, payload: dict[str, Any], plans: MutableMapping[str, KeptPlan]) -> list[dict[str, Any]]:
    """The records a plan event becomes, updating `plans` (the loans under a kept plan)."""
    loan_id = str(payload["loan_id"])
    day = payload.get("business_date")
    plan = plans.get(loan_id)
    if event_type == MODIFIED and payload.get("plan") is False:
        return [changed_terms(loan_id, day, payload)]
    if event_type == MODIFIED:
        kind = str(payload["kind"])
        plans[loan_id] = KeptPlan(loan_id, kind, bool(payload.get("delinquency_held")))
        return [_modification(loan_id, day, "started", str(payload["schedule_version"]), kind)]
    if event_type == RELEASED:
        if plan is not None:
            plans[loan_id] = replace(plan, held=False)
        return []
    if event_type == PLAN_REAGED:
        return [_modification(loan_id, day, "reaged", str(payload["plan_id"]))]
    if event_type == PLAN_BROKEN:
        plans.pop(loan_id, None)
        records = []
        days = int(payload.get("days_past_due") or 0)
        kept = plan.withheld if plan is not None else None
        if kept is not None and kept.amount_overdue > 0 and days > 0:
            records.append(
                {
                    "record_id": f"{loan_id}:status:broken:{payload['plan_id']}",
                    "type": "status",
                    "account_ref": loan_id,
                    "date": day,
                    "balance": kept.balance,
                    "amount_overdue": kept.amount_overdue,
                    "days_overdue": days,
                }
            )
        return [*records, _modification(loan_id, day, "broken", str(payload["plan_id"]))]
    if event_type == PLAN_ENDED:
        plans.pop(loan_id, None)
        if payload.get("status") == "completed":
            return [_modification(loan_id, day, "completed", str(payload["plan_id"]))]
        return []
    return []


def under_plan(record: dict[str, Any], plans: MutableMapping[str, KeptPlan]) -> dict[str, Any]:
    """A lending record as a kept plan lets the bureau see it: nothing new overdue once it is not held."""
    loan_id = record["account_ref"]
    plan = plans.get(loan_id)
    if plan is None:
        return record
    kind = record["type"]
    if kind == "settlement" and plan.kind == DISCOUNTED_SETTLEMENT:
        return {**record, "for_less": True}
    days = int(record.get("days_overdue") or 0)
    if kind == "status" and days <= 0 and plan.withheld is not None:
        plans[loan_id] = replace(plan, withheld=None)  # paid within the plan's grace: nothing to report
    if plan.held or days <= 0 or kind not in ("status", "repayment"):
        return record
    if kind == "status":
        withheld = Withheld(_minor(record["balance"]), _minor(record.get("amount_overdue") or 0), days)
        plans[loan_id] = replace(plan, withheld=withheld)
    current = {k: v for k, v in record.items() if k != "first_delinquency_date"}
    current["days_overdue"] = 0
    if "amount_overdue" in current:
        current["amount_overdue"] = 0
    return current
