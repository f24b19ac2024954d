"""End-of-day planning: the ladder from the profile, set-based, idempotent, settlement-aware."""

from __future__ import annotations

from datetime import date, timedelta

from fairlend.clock import FixedClock
from fairlend.collections.ladder import Ladder
from fairlend.collections.model import LoanFacts, LoanState
from fairlend.collections.ports import UpcomingDue
from fairlend.money import Money
from tests.collections.conftest import World
from tests.collections.helpers import CN, US


def _loan(world: World, loan_id: str, dpd: int, minor: int = 10_000) -> None:
    world.lending.add(
        LoanFacts(loan_id, f"brw_{loan_id}", LoanState.ACTIVE, "CNY", Money(minor, "CNY"), dpd, CN.bucket_for(dpd).name)
    )


def _plan(world: World, on: date) -> int:
    with world.container.uow() as uow:
        count = world.c.planner.run(uow, on)
        uow.commit()
    return count


def test_the_ladder_follows_the_profile() -> None:
    ladder = Ladder.from_profile(CN)
    start, escalation = CN.collections.collection_start_dpd, CN.collections.escalation_dpd
    assert [s.action for s in ladder.steps_for_overdue(1)] == ["gentle_reminder"]
    assert [s.action for s in ladder.steps_for_overdue(start)] == ["gentle_reminder"]
    assert [s.action for s in ladder.steps_for_overdue(start + 1)] == ["collect"]
    escalated = {s.step for s in ladder.steps_for_overdue(escalation + 1)}
    assert escalated == {"collection_call", "formal_letter", "supervisor_review"}
    assert {s.action for s in ladder.steps_for_overdue(91)} >= {"decide_referral"}
    assert {s.action for s in ladder.steps_for_overdue(181)} >= {"decide_charge_off"}
    assert {ladder.step_before_due(d).step for d in (3, 1, 0)} == {  # type: ignore[union-attr]
        "reminder_3_days_before",
        "reminder_1_day_before",
        "reminder_due_date",
    }
    assert ladder.step_before_due(2) is None
    # Escalation never reaches anyone but the debtor: its steps are letters and reviews.
    for dpd in range(1, 200):
        assert all(s.medium in {"sms", "call", "letter", "email", "none"} for s in ladder.steps_for_overdue(dpd))
    assert Ladder.from_profile(US).steps_for_overdue(1)[0].medium == "email"


def test_planning_makes_the_days_tasks_once_and_skips_settled_loans(world: World, clock: FixedClock) -> None:
    today = clock.business_date()
    _loan(world, "l2", 2)
    _loan(world, "l5", 5, 90_000)
    _loan(world, "l31", 31)
    _loan(world, "lsettled", 40)
    world.settle("lsettled", "brw_lsettled")
    world.lending.dues.append(UpcomingDue("l_due", "brw_due", today + timedelta(days=3), Money(5_000, "CNY")))
    # loan_1 from the fixture is 10 days past due.
    count = _plan(world, today)
    assert count == 1 + 1 + 1 + 3 + 1  # l2, l5, loan_1, l31 (call, letter, review), reminder
    assert _plan(world, today) == 0  # re-running end-of-day changes nothing
    queue = world.c.service.queue(today, limit=100)
    assert len(queue) == count
    assert all(t.loan_id != "lsettled" for t in queue)
    priorities = [t.priority for t in queue]
    assert priorities == sorted(priorities, reverse=True)
    assert queue[0].loan_id == "l31"
    assert {t.step for t in queue if t.loan_id == "l_due"} == {"reminder_3_days_before"}
    assert _plan(world, today + timedelta(days=1)) > 0  # the next day is its own plan


def test_settling_cancels_only_that_loans_pending_tasks(world: World, clock: FixedClock) -> None:
    _loan(world, "l5", 5)
    _plan(world, clock.business_date())
    world.settle()
    assert {t.status for t in world.c.service.tasks_for_loan("loan_1")} == {"cancelled"}
    assert {t.status for t in world.c.service.tasks_for_loan("l5")} == {"pending"}


def test_automated_tasks_go_out_through_the_gateway_and_calls_wait_for_a_collector(
    world: World, clock: FixedClock
) -> None:
    from fairlend.collections.model import Medium
    from fairlend.jurisdiction.model import CeaseScope

    today = clock.business_date()
    _loan(world, "l2", 2)  # gentle reminder (sms)
    _loan(world, "l31", 31)  # call + formal letter + supervisor review
    world.points.add("brw_l2", "+8613700000002")
    world.points.add("brw_l31", "+8613700000031")
    world.c.service.request_cease("brw_l31", CeaseScope.MEDIUM, medium=Medium.LETTER)
    _plan(world, today)
    counts = world.c.service.dispatch_automated(today)
    assert counts == {"sent": 1, "blocked": 1}
    assert world.channel(Medium.SMS).sent[0].address == "+8613700000002"
    assert world.channel(Medium.LETTER).sent == []
    statuses = {(t.loan_id, t.step): t.status for t in world.c.service.queue(today, limit=100)}
    assert ("l31", "collection_call") in statuses and ("l31", "supervisor_review") in statuses
    assert {t.status for t in world.c.service.tasks_for_loan("l2")} == {"done"}
    letter = next(t for t in world.c.service.tasks_for_loan("l31") if t.step == "formal_letter")
    assert letter.status == "blocked"
    assert world.c.service.dispatch_automated(today) == {}  # nothing left to send
