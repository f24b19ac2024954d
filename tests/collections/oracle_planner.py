"""The planner as it was before planning moved into SQL: per-row Python, kept as the test's oracle.

`tasks(...)` computes the rows the old `CollectionsPlanningStep._plan`
inserted (from the `LendingPort`'s row-by-row reads, the settled loans and
the hardship holds), without writing them. tests/collections/test_plan_equality.py
holds the set-based planner to it, column by column.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import date

from sqlalchemy import Connection, select

from fairlend.batch.model import Partition
from fairlend.collections.ladder import Ladder, priority
from fairlend.collections.model import HardshipState, TaskStatus
from fairlend.collections.ports import LendingPort, UpcomingDue
from fairlend.collections.tables import loan_hardship, settled_loan
from fairlend.jurisdiction.model import Profile

NO_CONTACT = "none"
PLAN_REMINDER = "plan_reminder"


def tasks(
    conn: Connection, lending: LendingPort, profile: Profile, business_date: date, part: Partition | None
) -> list[dict[str, object]]:
    settled = {str(r) for r in conn.execute(select(settled_loan.c.loan_id)).scalars()}
    holds = {
        str(loan): HardshipState(state)
        for loan, state in conn.execute(select(loan_hardship.c.loan_id, loan_hardship.c.state))
    }
    ladder = Ladder.from_profile(profile)
    plan_reminder = profile.collections.content.template(PLAN_REMINDER)
    pending = TaskStatus.PENDING.value
    rows: list[dict[str, object]] = []
    for loan in lending.delinquent_loans(1, part):
        hold = holds.get(loan.loan_id)
        if loan.loan_id in settled or hold is HardshipState.PLAN:
            continue
        dpd = loan.days_past_due
        minor = loan.overdue_amount.minor
        for step in ladder.steps_for_overdue(dpd):
            if hold is HardshipState.REQUEST and step.medium != NO_CONTACT:
                continue
            rows.append(
                {
                    "borrower_id": loan.borrower_id,
                    "loan_id": loan.loan_id,
                    "business_date": business_date,
                    "step": step.step,
                    "action": step.action,
                    "medium": step.medium,
                    "days_past_due": dpd,
                    "overdue_minor": minor,
                    "currency": loan.overdue_amount.currency,
                    "priority": priority(dpd, minor),
                    "status": pending,
                    "note": "",
                }
            )
    if ladder.before_due:
        for due in _one_per_day(lending.upcoming_dues(business_date, ladder.max_days_before, part)):
            if due.loan_id in settled:
                continue
            before = ladder.step_before_due((due.due_date - business_date).days)
            if before is None:
                continue
            if holds.get(due.loan_id) is HardshipState.PLAN:
                if plan_reminder is None:
                    continue
                before = replace(before, action=PLAN_REMINDER)
            rows.append(
                {
                    "borrower_id": due.borrower_id,
                    "loan_id": due.loan_id,
                    "business_date": business_date,
                    "step": before.step,
                    "action": before.action,
                    "medium": before.medium,
                    "days_past_due": -(due.due_date - business_date).days,
                    "overdue_minor": due.amount_due.minor,
                    "currency": due.amount_due.currency or profile.currency,
                    "priority": 0,
                    "status": pending,
                    "note": "",
                }
            )
    return rows


def _one_per_day(dues: Iterable[UpcomingDue]) -> list[UpcomingDue]:
    merged: dict[tuple[str, date], UpcomingDue] = {}
    for due in dues:
        key = (due.loan_id, due.due_date)
        held = merged.get(key)
        merged[key] = due if held is None else replace(held, amount_due=held.amount_due + due.amount_due)
    return list(merged.values())
