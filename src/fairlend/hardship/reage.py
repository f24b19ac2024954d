"""Keeping, breaking and re-aging a plan, as pure functions of its installments and the profile.

A plan's payments are its due dates: an installment of carried arrears and
one of the new schedule may share a due date, and the borrower pays them
together. A payment is on time when it is paid by the end of the day the
loan counts it late (its due date plus the loan's grace days).

Re-age (账龄重置): a plan that is kept returns a delinquent loan to current,
but only as the profile's rule allows: `us` (FFIEC) after at least 3
consecutive on-time payments under the plan, at most once in any 12 months
and twice in any 5 years; `cn` once the plan's first payment is made, with
no limit. Until then the loan's status stays as reported (lending holds it).
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from fairlend.hardship.model import Problem
from fairlend.jurisdiction.model import ReagePolicy
from fairlend.lending.position_model import InstallmentState
from fairlend.lending.schedule import add_months


class Standing(enum.StrEnum):
    KEPT = "kept"
    BROKEN = "broken"
    COMPLETED = "completed"


@dataclass(frozen=True, slots=True)
class Payment:
    """One due date of the plan: what falls due on it, and when it was paid in full (None: not yet)."""

    due: date
    late: date
    amount: int
    outstanding: int
    paid_on: date | None

    @property
    def on_time(self) -> bool:
        return self.paid_on is not None and self.paid_on <= self.late


@dataclass(frozen=True, slots=True)
class PlanProgress:
    standing: Standing
    payments: tuple[Payment, ...]
    counted: int  # payments that count towards a re-age under the policy given
    missed: Payment | None  # the payment whose lateness broke the plan


def payments_of(installments: Sequence[InstallmentState]) -> tuple[Payment, ...]:
    """The plan's installments grouped by due date, oldest first."""
    by_due: dict[date, list[InstallmentState]] = {}
    for inst in installments:
        by_due.setdefault(inst.due, []).append(inst)
    payments = []
    for due in sorted(by_due):
        group = by_due[due]
        paid = [i.paid_on for i in group]
        payments.append(
            Payment(
                due=due,
                late=min(i.late for i in group),
                amount=sum(i.amount for i in group),
                outstanding=sum(i.outstanding for i in group),
                paid_on=max(p for p in paid if p is not None) if all(p is not None for p in paid) else None,
            )
        )
    return tuple(payments)


def counted_payments(payments: Sequence[Payment], policy: ReagePolicy) -> int:
    """Payments that count towards a re-age: every one made, or (consecutive on time) the run of on-time
    payments up to the latest one made, which a late payment starts over."""
    made = [p for p in payments if p.paid_on is not None]
    if not policy.consecutive_on_time:
        return len(made)
    run = 0
    for p in made:
        run = run + 1 if p.on_time else 0
    return run


def progress(
    installments: Sequence[InstallmentState], today: date, break_grace_days: int, policy: ReagePolicy
) -> PlanProgress:
    """Where the plan stands at the end of `today`: broken when a payment is still unpaid
    `break_grace_days` after its due date; completed when every payment is made; else kept."""
    payments = payments_of(installments)
    missed = next(
        (p for p in payments if p.paid_on is None and p.due + timedelta(days=break_grace_days) <= today), None
    )
    if missed is not None:
        standing = Standing.BROKEN
    elif payments and all(p.paid_on is not None for p in payments):
        standing = Standing.COMPLETED
    else:
        standing = Standing.KEPT
    return PlanProgress(standing, payments, counted_payments(payments, policy), missed)


def reages_within(history: Sequence[date], on: date, months: int) -> int:
    """Re-ages in the `months` before `on` (a window (on - months, on]): the one exactly `months` ago is out."""
    since = add_months(on, -months)
    return sum(1 for h in history if since < h <= on)


def reage_limit_problem(policy: ReagePolicy, history: Sequence[date], on: date) -> Problem | None:
    """`reage_limit_reached` when one more re-age on `on` would pass the profile's limits (0: no limit)."""
    if policy.max_in_12_months and reages_within(history, on, 12) >= policy.max_in_12_months:
        return Problem(
            "reage_limit_reached",
            f"this loan was re-aged {policy.max_in_12_months} time(s) in the last 12 months, the most allowed",
            policy.rule,
        )
    if policy.max_in_5_years and reages_within(history, on, 60) >= policy.max_in_5_years:
        return Problem(
            "reage_limit_reached",
            f"this loan was re-aged {policy.max_in_5_years} time(s) in the last 5 years, the most allowed",
            policy.rule,
        )
    return None


def should_reage(policy: ReagePolicy, plan: PlanProgress, history: Sequence[date], on: date) -> bool:
    """A held loan in a kept (or completed) plan is re-aged once enough payments count and the limits allow."""
    if plan.standing is Standing.BROKEN or plan.counted < policy.payments_required:
        return False
    return reage_limit_problem(policy, history, on) is None
