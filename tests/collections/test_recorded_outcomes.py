"""A call outcome the collector records reaches the call limits: the stricter reading.

The dev channel (and a provider that misreports) says every call is not
connected. A collector who records "answered", "refused" or "disputed" spoke
with the person: the call counts as connected for CN-5's cap and as a
conversation for US-2's quiet days. "No answer", "voicemail" and a wrong
number do not. Each blocked case has its allowed twin.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from fairlend.clock import FixedClock
from fairlend.collections.gateway import ContactRequest
from fairlend.collections.model import REACHED, CallOutcome, Medium
from tests.collections.conftest import LOAN, World

CALL = ContactRequest(LOAN, Medium.CALL, collector_id="op_1")


def _call_and_record(world: World, heard: CallOutcome | None) -> None:
    decision = world.c.gateway.attempt(CALL)
    assert decision.allowed, decision.violations
    if heard is not None:
        world.c.desk.record_outcome(decision.log_id, heard, "", "op_1")


def test_the_reached_outcomes_are_answered_refused_and_disputed() -> None:
    assert {o.value for o in REACHED} == {"answered", "refused", "disputed"}


@pytest.mark.parametrize("heard", sorted(REACHED))
def test_cn5_three_calls_recorded_as_reached_block_a_fourth_with_the_rule(
    world: World, clock: FixedClock, heard: CallOutcome
) -> None:
    assert world.channel(Medium.CALL).connected is False  # the provider says: never connected
    for _ in range(3):
        _call_and_record(world, heard)
        clock.advance(timedelta(minutes=20))
    fourth = world.c.gateway.attempt(CALL)
    assert fourth.rules == ("CN-5",)
    assert any(v.check == "call_cap_per_debtor" for v in fourth.violations)
    preview = world.c.gateway.preview(LOAN)
    call = next(o for o in preview.options if o.medium is Medium.CALL and o.recipient_kind.value == "debtor")
    assert not call.allowed and call.rules == ("CN-5",)


@pytest.mark.parametrize("heard", [None, CallOutcome.NO_ANSWER, CallOutcome.VOICEMAIL, CallOutcome.WRONG_NUMBER])
def test_cn5_three_calls_nobody_answered_leave_a_fourth_allowed(
    world: World, clock: FixedClock, heard: CallOutcome | None
) -> None:
    for _ in range(3):
        _call_and_record(world, heard)
        clock.advance(timedelta(minutes=20))
    assert world.c.gateway.attempt(CALL).allowed


def test_cn5_two_answered_calls_leave_a_third_allowed(world: World, clock: FixedClock) -> None:
    for _ in range(2):
        _call_and_record(world, CallOutcome.ANSWERED)
        clock.advance(timedelta(minutes=20))
    assert world.c.gateway.attempt(CALL).allowed


def test_cn5_answered_calls_of_yesterday_do_not_count_today(world: World, clock: FixedClock) -> None:
    for _ in range(3):
        _call_and_record(world, CallOutcome.ANSWERED)
        clock.advance(timedelta(minutes=20))
    clock.advance(timedelta(days=1))
    assert world.c.gateway.attempt(CALL).allowed


def test_a_recorded_no_answer_never_unmakes_a_connection_the_provider_reported(world: World, clock: FixedClock) -> None:
    world.channel(Medium.CALL).connected = True
    for _ in range(3):
        _call_and_record(world, CallOutcome.NO_ANSWER)
        clock.advance(timedelta(minutes=20))
    assert world.c.gateway.attempt(CALL).rules == ("CN-5",)


# -- US-2: seven quiet days after a conversation -------------------------------------------------


@pytest.mark.parametrize("heard", sorted(REACHED))
def test_us2_a_call_recorded_as_a_conversation_keeps_the_next_six_days_quiet(
    us_world: World, clock: FixedClock, heard: CallOutcome
) -> None:
    _call_and_record(us_world, heard)
    clock.advance(timedelta(days=6))  # day 7, the conversation's day being day 1
    blocked = us_world.c.gateway.attempt(CALL)
    assert blocked.rules == ("US-2",) and blocked.violations[0].check == "quiet_days"
    clock.advance(timedelta(days=1))  # day 8
    assert us_world.c.gateway.attempt(CALL).allowed


@pytest.mark.parametrize("heard", [None, CallOutcome.NO_ANSWER, CallOutcome.VOICEMAIL, CallOutcome.WRONG_NUMBER])
def test_us2_a_call_nobody_spoke_on_leaves_the_next_day_open(
    us_world: World, clock: FixedClock, heard: CallOutcome | None
) -> None:
    _call_and_record(us_world, heard)
    clock.advance(timedelta(days=1))
    assert us_world.c.gateway.attempt(CALL).allowed
