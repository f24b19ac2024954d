"""P-10 at the gateway, as a collector would try it: a hardship request pauses every collection contact
about the loan (all media, contact persons, third parties, a message stranded before the request), a
kept plan lets only its reminders through, and a plan broken or a request declined lets the ladder resume.

Hardship publishes its events in its own transactions; here the tests publish them as it does (the
real event classes), in a unit of work, so collections' in-transaction subscriber runs as it would.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from fairlend.clock import FixedClock
from fairlend.collections.gateway import ContactRequest
from fairlend.collections.model import LoanFacts, LoanState, Medium, RecipientKind, TaskStatus
from fairlend.collections.tables import loan_hardship
from fairlend.hardship.events import PlanBroken, PlanEnded, PlanStarted, RequestDeclined, RequestFiled
from fairlend.money import Money
from tests.collections.conftest import BORROWER, CONTACT_PHONE, LOAN, World
from tests.collections.test_dispatch_edges import _log, _plan, _strand, _tasks

CALL = ContactRequest(LOAN, Medium.CALL, collector_id="op_7")
TODAY = date(2026, 3, 2)


def _publish(world: World, *events: Any) -> None:
    with world.container.uow() as uow:
        for event in events:
            uow.publish(event)
        uow.commit()


def _filed(request_id: str = "hrq_1", loan_id: str = LOAN) -> RequestFiled:
    return RequestFiled(request_id, loan_id, BORROWER, "interest_stop", TODAY + timedelta(days=15), TODAY)


def _started(plan_id: str = "hpl_1") -> PlanStarted:
    return PlanStarted(
        plan_id=plan_id,
        request_id="hrq_1",
        proposal_id="hpp_1",
        loan_id=LOAN,
        borrower_id=BORROWER,
        kind="interest_stop",
        schedule_version=2,
        first_due_date=TODAY + timedelta(days=3),
        maturity_date=TODAY + timedelta(days=365),
        installments=12,
        concessions=Money(0, "CNY"),
        interest_forgone=Money(0, "CNY"),
        delinquency_held=True,
        consent_version="hardship-consent-v1",
        business_date=TODAY,
    )


def _holds(world: World) -> list[tuple[str, str, str]]:
    with world.container.engine.connect() as conn:
        rows = conn.execute(sa.select(loan_hardship.c.loan_id, loan_hardship.c.state, loan_hardship.c.reference))
        return sorted((r.loan_id, r.state, r.reference) for r in rows)


def _confirmed_contact_person(world: World) -> str:
    person = world.c.service.name_contact_person(BORROWER, "王五", "colleague", CONTACT_PHONE)
    code = next(v for (phone, _), v in world.otp.sent.items() if phone == CONTACT_PHONE)
    world.c.service.confirm_contact_person(person.id, code)
    return person.id


def _with_next_due(world: World, amount: int = 78_438) -> None:
    facts = world.lending.loan_facts(LOAN)
    assert facts is not None
    world.lending.add(replace(facts, next_due_date=TODAY + timedelta(days=3), next_due_amount=Money(amount, "CNY")))


def test_a_collector_is_blocked_by_every_medium_and_through_every_person_while_a_request_is_open(
    world: World, clock: FixedClock
) -> None:
    contact_id = _confirmed_contact_person(world)
    assert world.c.gateway.attempt(CALL).allowed  # the oracle bites: the same call went before the request
    _publish(world, _filed())
    clock.advance(timedelta(minutes=5))
    sent_before = {m: len(world.channel(m).sent) for m in Medium}
    tries = [ContactRequest(LOAN, medium, collector_id="op_7") for medium in Medium]
    tries += [
        ContactRequest(LOAN, Medium.SMS, text="请尽快还款", collector_id="op_7"),
        ContactRequest(LOAN, Medium.LETTER, template="formal_letter", collector_id="op_7"),
        ContactRequest(
            LOAN,
            Medium.CALL,
            RecipientKind.CONTACT_PERSON,
            contact_person_id=contact_id,
            template="restore_contact",
            collector_id="op_7",
        ),
        ContactRequest(
            LOAN,
            Medium.CALL,
            RecipientKind.THIRD_PARTY,
            third_party_number="+8613700000000",
            template="restore_contact",
            collector_id="op_7",
        ),
    ]
    decisions = [world.c.gateway.attempt(t) for t in tries]
    assert all(not d.allowed and "P-10" in d.rules for d in decisions)
    assert {m: len(world.channel(m).sent) for m in Medium} == sent_before
    # The borrower's contact log shows each attempt blocked, naming P-10 in both languages.
    page = {v.id: v for v in world.c.service.contacts_about(BORROWER, LOAN)}
    for decision in decisions:
        view = page[decision.log_id]
        assert view.outcome == "blocked"
        p10 = next(r for r in view.rules if r.rule == "P-10")
        assert "repayment plan" in p10.en and "协商还款" in p10.zh


def test_a_reminder_still_goes_while_a_request_is_open_as_under_a_complaint(world: World) -> None:
    _publish(world, _filed())
    assert world.c.gateway.attempt(ContactRequest(LOAN, Medium.SMS, template="gentle_reminder")).allowed


def test_a_request_about_another_loan_does_not_pause_this_one(world: World) -> None:
    _publish(world, _filed(loan_id="loan_2"))
    assert world.c.gateway.attempt(CALL).allowed


def test_a_message_stranded_before_the_request_is_cancelled_under_p10_not_sent(world: World, clock: FixedClock) -> None:
    _strand(world)
    _strand(world, ContactRequest(LOAN, Medium.SMS, template="gentle_reminder"))
    _publish(world, _filed())
    clock.advance(timedelta(minutes=3))
    assert world.c.service.finish_dispatches() == {"cancelled": 1, "sent": 1}
    assert world.channel(Medium.CALL).sent == []
    cancelled = [r for r in _log(world) if r.outcome == "cancelled"]
    assert [(r.medium, r.rules) for r in cancelled] == [("call", "P-10")]


def test_filing_cancels_the_loans_pending_contact_tasks_and_planning_gives_it_none(
    world: World, clock: FixedClock
) -> None:
    planned = _plan(world, clock)
    assert planned  # ten days overdue: the ladder has a step for it today
    _publish(world, _filed())
    tasks = world.c.service.tasks_for_loan(LOAN)
    assert tasks and all(t.status == TaskStatus.CANCELLED.value for t in tasks if t.medium != "none")
    notes = {note for (_, task), (status, note) in _tasks(world).items() if status == TaskStatus.CANCELLED.value}
    assert notes == {"hardship request (P-10)"}
    for days in range(1, 40):  # every step of the ladder a month on, none of them a contact
        with world.container.uow() as uow:
            world.c.planner.run(uow, clock.business_date() + timedelta(days=days))
            uow.commit()
        facts = world.lending.loan_facts(LOAN)
        assert facts is not None
        world.lending.add(replace(facts, days_past_due=facts.days_past_due + 1))
    later = [t for t in world.c.service.tasks_for_loan(LOAN) if t.status == TaskStatus.PENDING.value]
    assert later and {t.medium for t in later} == {"none"}  # decisions for a person stay (review at 31 days)


def test_a_kept_plan_lets_only_its_reminders_through(world: World, clock: FixedClock) -> None:
    _with_next_due(world)
    _publish(world, _filed(), _started())
    assert _holds(world) == [(LOAN, "plan", "hpl_1")]
    for request in (
        CALL,
        ContactRequest(LOAN, Medium.SMS, template="reminder"),
        ContactRequest(LOAN, Medium.SMS, template="gentle_reminder"),
        ContactRequest(LOAN, Medium.SMS, text="记得还款", collector_id="op_7"),
    ):
        decision = world.c.gateway.attempt(request)
        assert not decision.allowed and decision.rules == ("P-10",), request
    reminder = world.c.gateway.attempt(ContactRequest(LOAN, Medium.SMS, template="plan_reminder"))
    assert reminder.allowed
    (text,) = [m.text for m in world.channel(Medium.SMS).sent]
    assert "协商还款计划" in text and "¥784.38" in text and "2026-03-05" in text


def test_planning_a_kept_plan_gives_only_plan_reminders_before_its_due_dates(world: World, clock: FixedClock) -> None:
    from fairlend.collections.ports import UpcomingDue

    _with_next_due(world)
    world.lending.dues.append(UpcomingDue(LOAN, BORROWER, TODAY + timedelta(days=3), Money(78_438, "CNY")))
    _publish(world, _filed(), _started())
    planned = [t for t in world.c.service.tasks_for_loan(LOAN) if t.status == TaskStatus.PENDING.value]
    assert planned == []
    with world.container.uow() as uow:
        world.c.planner.run(uow, TODAY)
        uow.commit()
    tasks = [t for t in world.c.service.tasks_for_loan(LOAN) if t.status == TaskStatus.PENDING.value]
    # Ten days overdue as held, yet no ladder step: only the plan's reminder three days before its due date.
    assert [(t.action, t.medium) for t in tasks] == [("plan_reminder", "sms")]
    counts = world.c.service.dispatch_automated(TODAY)
    assert counts == {"sent": 1}
    assert "¥784.38" in world.channel(Medium.SMS).sent[-1].text


def test_a_broken_plan_puts_the_loan_back_on_the_ladder_and_its_reminder_is_refused(
    world: World, clock: FixedClock
) -> None:
    _with_next_due(world)
    _publish(world, _filed(), _started())
    assert not world.c.gateway.attempt(CALL).allowed
    _publish(world, PlanBroken("hpl_1", LOAN, BORROWER, TODAY, 16, TODAY))
    assert _holds(world) == []
    clock.advance(timedelta(minutes=5))
    assert world.c.gateway.attempt(CALL).allowed
    refused = world.c.gateway.attempt(ContactRequest(LOAN, Medium.SMS, template="plan_reminder"))
    assert refused.rules == ("P-10",) and refused.violations[0].check == "no_plan_in_force"
    _plan(world, clock)
    pending = [t for t in world.c.service.tasks_for_loan(LOAN) if t.status == TaskStatus.PENDING.value]
    assert [(t.action, t.medium) for t in pending] == [("collect", "call")]  # ten days overdue: the ladder is back


@pytest.mark.parametrize(
    "release",
    [
        RequestDeclined("hrq_1", LOAN, BORROWER, ("affordability",), "op_1", TODAY),
        PlanEnded("hpl_1", LOAN, BORROWER, "completed", TODAY),
    ],
    ids=["declined", "ended"],
)
def test_a_declined_request_or_an_ended_plan_lifts_the_pause(world: World, release: Any) -> None:
    _publish(world, _filed())
    if isinstance(release, PlanEnded):
        _publish(world, _started())
    _publish(world, release)
    assert _holds(world) == [] and world.c.gateway.attempt(CALL).allowed


def test_an_event_about_another_request_or_plan_lifts_nothing(world: World) -> None:
    _publish(world, _filed("hrq_2"))
    _publish(world, RequestDeclined("hrq_1", LOAN, BORROWER, ("other",), "op_1", TODAY))
    _publish(world, PlanBroken("hpl_1", LOAN, BORROWER, TODAY, 16, TODAY))
    assert _holds(world) == [(LOAN, "request", "hrq_2")]
    assert not world.c.gateway.attempt(CALL).allowed


def test_a_settled_loans_request_still_blocks_and_settlement_names_p2(world: World) -> None:
    _publish(world, _filed())
    world.settle()
    world.lending.add(LoanFacts(LOAN, BORROWER, LoanState.SETTLED, "CNY", Money(0, "CNY"), 0, "current"))
    assert set(world.c.gateway.attempt(CALL).rules) >= {"P-2", "P-10"}
