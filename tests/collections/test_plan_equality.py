"""The set-based planner writes exactly the tasks the per-row Python planner wrote.

Over a generated book in lending's real tables (overdue loans at every rung of
the ladder, settled and charged-off loans, loans collections recorded as
settled, hardship requests and kept plans, several installments due on one
date, paid ones, several currencies), for the cn and us ladders and a profile
without a plan reminder, in one transaction and in partitions: every column
but the id and the creation instant must match the oracle's
(tests/collections/oracle_planner.py, the planner before it moved into SQL).
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import delete, insert, select

from fairlend.batch.model import Partition, partitions
from fairlend.bootstrap import Container
from fairlend.collections.adapters import LendingLoans
from fairlend.collections.planner import CollectionsPlanningStep
from fairlend.collections.tables import collection_task, loan_hardship, settled_loan
from fairlend.ids import is_id, new_id
from fairlend.jurisdiction.model import Profile
from fairlend.lending.tables import loan, loan_installment
from tests.collections import oracle_planner
from tests.collections.helpers import CN, US

ON = date(2026, 3, 10)
_COMPARED = (
    "borrower_id",
    "loan_id",
    "business_date",
    "step",
    "action",
    "medium",
    "days_past_due",
    "overdue_minor",
    "currency",
    "priority",
    "status",
    "note",
)
# Every rung's edges in both ladders, and past the priority's clamp.
_EDGES = [1, 2, 3, 4, 5, 6, 7, 8, 10, 15, 16, 30, 31, 60, 61, 90, 91, 120, 121, 180, 181, 9_999, 10_000, 40_000]


def _without_plan_reminder(profile: Profile) -> Profile:
    content = profile.collections.content
    kept = tuple(t for t in content.templates if t.id != oracle_planner.PLAN_REMINDER)
    return replace(profile, collections=replace(profile.collections, content=replace(content, templates=kept)))


PROFILES = {"cn": CN, "us": US, "cn_without_plan_reminder": _without_plan_reminder(CN)}


def _loan_row(borrower: str, loan_id: str, state: str, dpd: int, overdue: int, currency: str) -> dict[str, Any]:
    return {
        "borrower_id": borrower,
        "id": loan_id,
        "product_code": "p",
        "product_version": 1,
        "currency": currency,
        "state": state,
        "method": "equal_installment",
        "frequency": "monthly",
        "rate": Decimal("0.18"),
        "apr": Decimal("0.18"),
        "term": 12,
        "open_date": ON - timedelta(days=200),
        "first_due_date": ON - timedelta(days=170),
        "maturity_date": ON + timedelta(days=200),
        "principal": 1_000_000,
        "installment_amount": 90_000,
        "fee_amount": 0,
        "grace_days": 0,
        "penalty_daily_e10": 0,
        "late_fee": 0,
        "principal_outstanding": 500_000,
        "principal_due": 0,
        "interest_due": 0,
        "accrued_interest": 0,
        "penalty_due": 0,
        "fees_due": 0,
        "cur_seq": 1,
        "accrual_start_day": ON.toordinal(),
        "next_due_day": None,
        "accrual_interest": 0,
        "oldest_due_day": None,
        "overdue_principal": overdue,
        "overdue_amount": overdue,
        "dpd": dpd,
        "bucket": "x",
        "first_delinquency_day": None,
        "penalty_day": ON.toordinal(),
        "settled_on": None,
        "closed_amount": 0,
        "created_at": datetime(2026, 1, 1, tzinfo=UTC),
    }


def _seed(container: Container, seed: int) -> None:
    rng = random.Random(seed)
    loans, installments, settled, holds = [], [], [], []
    now = datetime(2026, 3, 1, tzinfo=UTC)
    for i in range(600):
        borrower, loan_id = f"brw_{rng.randrange(200):04d}", f"loan_{i:05d}"
        state = rng.choice(["active"] * 8 + ["settled", "charged_off"])
        dpd = rng.choice([0] * 6 + _EDGES + list(range(1, 200)))
        overdue = rng.choice([0, 1, rng.randrange(1_000, 10**7), 10**12 + 7]) if dpd else 0
        loans.append(_loan_row(borrower, loan_id, state, dpd, overdue, rng.choice(["CNY", "CNY", "USD"])))
        for seq in range(1, rng.randrange(1, 6)):
            due = ON + timedelta(days=rng.randrange(-2, 6))  # several rows on one date now and then
            principal, interest, fee = rng.randrange(0, 90_000), rng.randrange(0, 9_000), rng.choice([0, 0, 500])
            paid = rng.random() < 0.2
            installments.append(
                {
                    "borrower_id": borrower,
                    "loan_id": loan_id,
                    "seq": seq,
                    "start_day": due.toordinal() - 30,
                    "due_day": due.toordinal(),
                    "due_date": due,
                    "late_day": due.toordinal(),
                    "principal": principal,
                    "interest": interest,
                    "fee": fee,
                    "principal_paid": principal if paid else rng.randrange(0, principal + 1),
                    "interest_paid": interest if paid else 0,
                    "fee_paid": fee if paid else 0,
                    "billed": False,
                    "late_fee_charged": False,
                    "paid_on": ON - timedelta(days=1) if paid else None,
                }
            )
        if rng.random() < 0.08:  # collections heard LoanSettled (whatever lending's row says)
            settled.append({"borrower_id": borrower, "loan_id": loan_id, "settled_on": ON, "recorded_at": now})
        elif (draw := rng.random()) < 0.2:
            state = "request" if draw < 0.1 else "plan"
            holds.append(
                {"borrower_id": borrower, "loan_id": loan_id, "state": state, "reference": f"hs_{i}", "since": ON}
                | {"recorded_at": now}
            )
    with container.uow() as uow:
        for table, rows in ((loan, loans), (loan_installment, installments), (settled_loan, settled)):
            uow.conn.execute(insert(table), rows)
        uow.conn.execute(insert(loan_hardship), holds)
        uow.commit()


def _key(row: Any) -> tuple[Any, ...]:
    return tuple(str(row[name]) for name in _COMPARED)


def _planned(container: Container, profile: Profile, parts: list[Partition | None]) -> tuple[list[Any], list[str]]:
    """The set-based planner's rows, partition by partition, in a transaction that is rolled back."""
    step = CollectionsPlanningStep(profile, LendingLoans(container.lending))
    with container.uow() as uow:
        counts = [step.run_partition(uow, ON, part) for part in parts]
        rows = uow.conn.execute(select(collection_task)).mappings().all()
        uow.conn.execute(delete(collection_task))  # rolled back: nothing stays
    assert sum(counts) == len(rows)
    return [_key(r) for r in rows], [str(r["id"]) for r in rows]


def _oracle(container: Container, profile: Profile, parts: list[Partition | None]) -> list[Any]:
    lending = LendingLoans(container.lending)
    with container.uow(read_only=True) as uow:
        return [_key(r) for part in parts for r in oracle_planner.tasks(uow.conn, lending, profile, ON, part)]


@pytest.mark.parametrize("profile", sorted(PROFILES))
@pytest.mark.parametrize("count", [1, 3])
def test_the_set_based_planner_writes_exactly_the_tasks_the_python_planner_wrote(
    container: Container, profile: str, count: int
) -> None:
    _seed(container, seed=7)
    parts: list[Partition | None] = [None] if count == 1 else list(partitions(count))
    expected = _oracle(container, PROFILES[profile], parts)
    before = new_id("task")
    actual, ids = _planned(container, PROFILES[profile], parts)
    after = new_id("task")
    assert len(expected) > 300  # the book reaches every branch, not a handful of rows
    assert sorted(actual) == sorted(expected)
    kinds = {(row[4], row[5]) for row in expected}  # (action, medium)
    assert ("plan_reminder", "sms") in kinds or profile != "cn"
    assert any(row[5] == "none" for row in expected) and any(int(row[6]) < 0 for row in expected)
    # The ids are fairlend's: prefixed, 26 sortable digits, unique, after every id made before and before every after.
    assert all(is_id(i, "task") for i in ids) and len(set(ids)) == len(ids)
    assert before < min(ids) and max(ids) < after


def test_a_plan_without_a_reminder_template_gets_no_reminder_and_the_others_the_plans_own(
    container: Container,
) -> None:
    _seed(container, seed=11)
    with_template, _ = _planned(container, CN, [None])
    without, _ = _planned(container, PROFILES["cn_without_plan_reminder"], [None])
    plan_reminders = [r for r in with_template if r[4] == "plan_reminder"]
    assert plan_reminders and all(int(r[6]) <= 0 for r in plan_reminders)
    assert sorted(without) == sorted(r for r in with_template if r[4] != "plan_reminder")
