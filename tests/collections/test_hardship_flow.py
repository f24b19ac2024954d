"""A plan's whole life as collections sees it, on the real lending and hardship services (issue #15):
a delinquent borrower asks, contacts pause; a plan is agreed, only its reminders go, its payment
re-ages the loan; a missed payment breaks it and the ladder resumes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pytest

from fairlend.bootstrap import Container
from fairlend.clock import FixedClock
from fairlend.collections.adapters import LendingLoans
from fairlend.collections.fakes import (
    InMemoryContactPoints,
    InMemoryDisputes,
    InMemoryOtp,
    RecordingChannel,
    recording_channels,
)
from fairlend.collections.gateway import ContactRequest
from fairlend.collections.model import Medium, TaskStatus
from fairlend.collections.wiring import Collections, wire_collections
from fairlend.hardship.model import Kind, PlanStatus, Terms
from fairlend.hardship.plans import HardshipStep
from fairlend.lending.eod import EndOfDay
from fairlend.lending.views import PastRepayment
from fairlend.money import Money
from tests.hardship.conftest import BORROWER, OPENED
from tests.hardship.helpers import file, offer_and_accept
from tests.hardship.support import CASH12


@dataclass
class Flow:
    container: Container
    c: Collections
    loan: str
    clock: FixedClock

    def call(self) -> tuple[bool, tuple[str, ...]]:
        self.clock.advance(timedelta(minutes=20))  # apart, so no cap or quiet day is what a test sees
        decision = self.c.gateway.attempt(ContactRequest(self.loan, Medium.CALL, collector_id="op_7"))
        return decision.allowed, decision.rules

    def plan(self, day: date) -> list[tuple[str, str]]:
        """Plan `day`; the loan's pending tasks for it as (action, medium)."""
        with self.container.uow() as uow:
            self.c.planner.run(uow, day)
            uow.commit()
        return sorted(
            (t.action, t.medium)
            for t in self.c.service.tasks_for_loan(self.loan)
            if t.business_date == day and t.status == TaskStatus.PENDING.value
        )

    def texts(self) -> list[str]:
        channel = self.c.channels[Medium.SMS]
        assert isinstance(channel, RecordingChannel)
        return [m.text for m in channel.sent]


@pytest.fixture
def flow(container: Container, clock: FixedClock) -> Flow:
    container.eod = EndOfDay(container.uow, container.ledger, container.profile, container.clock)
    container.eod.register(HardshipStep(container.hardship))
    product = container.lending.products.define(CASH12)
    loan = container.lending.book_loan(
        BORROWER,
        product.code,
        Money(1_000_000, "CNY"),
        open_date=OPENED,
        repayments=[PastRepayment(date(2025, 12, 2), Money(91_680, "CNY"))],
    )
    points = InMemoryContactPoints()
    points.add(BORROWER, "+8613812345678")
    c = wire_collections(
        container,
        lending=LendingLoans(container.lending),
        contact_points=points,
        otp=InMemoryOtp(),
        disputes=InMemoryDisputes(),
        channels=recording_channels(),
    )
    return Flow(container, c, loan, clock)


def test_a_request_pauses_a_kept_plan_reminds_and_a_broken_plan_resumes_the_ladder(flow: Flow) -> None:
    container, today = flow.container, flow.clock.business_date()
    assert flow.call() == (True, ())  # 59 days overdue: collection is allowed before the borrower asks
    assert ("collect", "call") in flow.plan(today)

    request = file(container, flow.loan)
    assert flow.call() == (False, ("P-10",))
    assert flow.plan(today + timedelta(days=1)) == []  # the open request: no contact on the ladder

    offer, plan = offer_and_accept(container, request, Terms(Kind.INTEREST_STOP, periods=24))
    first, second = offer.outcome.installments[:2]
    assert flow.call() == (False, ("P-10",))  # still 59 days past due as reported, but the plan is kept
    assert flow.plan(today + timedelta(days=2)) == []
    # Three days before the plan's first payment, its reminder, and only that, is planned and sent.
    container.eod.run(through=first.due - timedelta(days=4))
    reminder_day = first.due - timedelta(days=3)
    assert flow.plan(reminder_day) == [("plan_reminder", "sms")]
    assert flow.c.service.dispatch_automated(reminder_day) == {"sent": 1}
    amount = Money(first.total, "CNY").format("zh_CN")
    assert any(amount in t and first.due.isoformat() in t and "协商还款" in t for t in flow.texts())

    # Paid on its due date (paid earlier, lending takes it as a prepayment, and the plan's payment is
    # still open): cn re-ages the loan on the plan's first payment; it stays off the ladder while kept.
    container.eod.run(through=first.due - timedelta(days=1))
    container.lending.repay(flow.loan, Money(first.total, "CNY"))
    container.eod.run(through=first.due)
    assert container.hardship.plan(plan.plan_id).reaged_on == first.due
    assert flow.call() == (False, ("P-10", "P-7"))  # current again: not even collection could start

    # The second payment missed past cn's 15 days of grace: the plan breaks and the ladder resumes.
    container.eod.run(through=second.due + timedelta(days=15))
    assert container.hardship.plan(plan.plan_id).status is PlanStatus.BROKEN
    facts = container.lending.loan_facts(flow.loan)
    assert facts.days_past_due == 16
    assert ("collect", "call") in flow.plan(second.due + timedelta(days=16))
    assert flow.call() == (True, ())
    # The borrower's log: every blocked try names P-10, in words they can read.
    blocked = [v for v in flow.c.service.contacts_about(BORROWER, flow.loan) if v.outcome == "blocked"]
    assert len(blocked) == 3 and all(v.rules[0].rule == "P-10" for v in blocked)
    assert container.verify() == []


def test_a_declined_request_lets_collection_resume_at_once(flow: Flow) -> None:
    from fairlend.hardship.model import DeclineReason

    request = file(flow.container, flow.loan)
    assert flow.call() == (False, ("P-10",))
    flow.container.hardship.decline(request.request_id, "op_1", [DeclineReason.AFFORDABILITY])
    assert flow.call() == (True, ())
