"""Complaints: clocks both sides see, the officer's queue, and the pause they put on contact."""

from __future__ import annotations

from datetime import timedelta

import pytest

from fairlend.clock import FixedClock
from fairlend.collections.model import ComplaintCategory, ComplaintStatus
from fairlend.errors import Conflict, Invalid, NotFound
from tests.collections.conftest import BORROWER, LOAN, World


def test_a_complaint_runs_on_the_acknowledge_and_answer_clocks(world: World, clock: FixedClock) -> None:
    filed = world.c.complaints.file(BORROWER, LOAN, ComplaintCategory.CONTACT_AFTER_REPAYMENT, "still calling")
    assert filed.status is ComplaintStatus.OPEN
    assert filed.ack_due - filed.filed_at == timedelta(days=2)
    assert filed.answer_due - filed.filed_at == timedelta(days=15)
    assert filed.ack_seconds_left == 2 * 86_400 and not filed.ack_breached
    clock.advance(timedelta(days=3))
    late = world.c.complaints.get(filed.id)
    assert late.ack_breached and not late.answer_breached and late.ack_seconds_left == -86_400
    acknowledged = world.c.complaints.acknowledge(filed.id, "op_c")
    assert acknowledged.status is ComplaintStatus.ACKNOWLEDGED and acknowledged.ack_breached
    assert acknowledged.ack_seconds_left is None
    answered = world.c.complaints.answer(filed.id, "op_c", "we stopped")
    assert answered.status is ComplaintStatus.ANSWERED and not answered.answer_breached
    by_status, ack_breaches, answer_breaches = world.c.complaints.sla_summary()
    assert by_status == {"open": 0, "acknowledged": 0, "answered": 1} and (ack_breaches, answer_breaches) == (1, 0)


def test_a_complaint_cannot_be_acknowledged_twice_or_about_someone_elses_loan(world: World) -> None:
    filed = world.c.complaints.file(BORROWER, LOAN, ComplaintCategory.OTHER, "x")
    world.c.complaints.acknowledge(filed.id, "op_c")
    with pytest.raises(Conflict):
        world.c.complaints.acknowledge(filed.id, "op_c")
    with pytest.raises(NotFound):
        world.c.complaints.file("brw_other", LOAN, ComplaintCategory.OTHER, "not mine")
    with pytest.raises(Invalid):
        world.c.complaints.file(BORROWER, LOAN, ComplaintCategory.OTHER, "   ")


def test_attachments_are_kept_with_their_digest(world: World) -> None:
    filed = world.c.complaints.file(BORROWER, LOAN, ComplaintCategory.HARASSMENT, "see the recording")
    view = world.c.complaints.attach(BORROWER, filed.id, "call.m4a", "audio/mp4", b"\x00\x01recording")
    assert view.seq == 1 and view.size == 11 and len(view.sha256) == 64
    assert world.c.complaints.get(filed.id).attachments == (view,)
    with pytest.raises(NotFound):
        world.c.complaints.attach("brw_other", filed.id, "x", "text/plain", b"x")


def test_the_officers_queue_lists_complaints_by_status_nearest_deadline_first(world: World, clock: FixedClock) -> None:
    first = world.c.complaints.file(BORROWER, LOAN, ComplaintCategory.HARASSMENT, "one")
    clock.advance(timedelta(hours=1))
    second = world.c.complaints.file(BORROWER, LOAN, ComplaintCategory.WRONG_AMOUNT, "two")
    assert [c.id for c in world.c.complaints.list(status=ComplaintStatus.OPEN)] == [first.id, second.id]
