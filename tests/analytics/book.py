"""A small hand-built book and what happened to it, written down day by day as an oracle for the analytics.

Ten loans of five behaviours, booked in two months, run through end-of-day.
After each day the oracle notes every loan's state, bucket, days past due and
principal outstanding as lending's own `loan_facts` reports them, and each
charge-off as it is made: the measures are then recomputed from these notes in
plain Python, with none of analytics' SQL.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from fairlend.bootstrap import Container
from fairlend.clock import FixedClock
from fairlend.lending.model import LoanState
from fairlend.money import Money
from tests.lending.conftest import BASE

KINDS = ("current", "late", "prepaid", "defaulted", "recovered")


@dataclass
class Oracle:
    start: date
    end: date = date.min
    opened: dict[str, date] = field(default_factory=dict)
    principal: dict[str, int] = field(default_factory=dict)
    charged_on: dict[str, date] = field(default_factory=dict)
    late_on: dict[str, date] = field(default_factory=dict)  # first day past 90 days past due
    # month -> loan -> (status, principal outstanding) at the month's end (or the book's last day)
    snapshots: dict[str, dict[str, tuple[str, int]]] = field(default_factory=lambda: defaultdict(dict))

    def default_on(self, loan_id: str) -> date | None:
        days = [d for d in (self.charged_on.get(loan_id), self.late_on.get(loan_id)) if d is not None]
        return min(days) if days else None


def _status(state: LoanState, bucket: str) -> str:
    if state in (LoanState.CHARGED_OFF, LoanState.WRITTEN_OFF):
        return "charged_off"
    if state is LoanState.SETTLED:
        return "settled"
    return bucket


def build_book(container: Container, clock: FixedClock, days: int) -> Oracle:
    lending = container.lending
    currency = container.profile.currency
    lending.products.define(replace(BASE, currency=currency))

    def money(major: int) -> Money:
        return Money.of(str(major), currency)

    oracle = Oracle(clock.business_date())
    book: dict[str, str] = {}
    for offset in range(days):
        today = oracle.start + timedelta(days=offset)
        if offset in (0, 33):  # two vintages: March and April
            for i in range(5):
                loan_id = lending.book_loan(f"brw_{offset}_{i}", BASE.code, money(3_000 + 1_000 * i + offset))
                book[loan_id] = KINDS[i]
        for loan_id, kind in book.items():
            facts = lending.loan_facts(loan_id)
            if facts.state is not LoanState.ACTIVE:
                if kind == "recovered" and today.day == 15:
                    lending.repay(loan_id, money(300))
                continue
            due = facts.next_due_date
            if kind == "current" and due == today:
                lending.repay(loan_id, facts.next_due_amount)
            elif kind == "late" and facts.days_past_due >= 40 and today.day == 20:
                lending.repay(loan_id, facts.overdue_amount)
            elif kind == "prepaid" and due == today:
                lending.repay(loan_id, facts.next_due_amount + money(700))
            elif kind in ("defaulted", "recovered") and facts.days_past_due > 120:
                lending.charge_off(loan_id)
                oracle.charged_on[loan_id] = today
        container.eod.run_day(today)
        last_day = offset == days - 1
        month_end = today.day == calendar.monthrange(today.year, today.month)[1]
        for loan_id in book:
            facts = lending.loan_facts(loan_id)
            oracle.opened.setdefault(loan_id, today)
            if facts.days_past_due > 90 and loan_id not in oracle.late_on:
                oracle.late_on[loan_id] = today
            if month_end or last_day:
                label = f"{today.year:04d}-{today.month:02d}"
                oracle.snapshots[label][loan_id] = (
                    _status(facts.state, facts.bucket),
                    facts.outstanding_principal.minor,
                )
    oracle.end = oracle.start + timedelta(days=days - 1)
    for loan_id in book:
        detail = lending.loan_detail(loan_id)
        oracle.opened[loan_id] = detail.open_date
        oracle.principal[loan_id] = detail.principal.minor
    return oracle
