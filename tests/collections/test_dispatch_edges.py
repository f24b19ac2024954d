"""The dispatcher's edges (dispatch.py), found by mutation testing: what a crash left is finished once, on time.

A process that dies while the channel has the message is stood in for by a
channel that raises a BaseException (not caught as a channel failure): the
decision is committed as DISPATCHING with its dispatch row, and nothing
resolved it. The dispatcher (`finish_dispatches`) then sends, cancels or
expires it; each test asserts what is recorded and what the person receives.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from fairlend.clock import FixedClock
from fairlend.collections.dispatch import Dispatch
from fairlend.collections.fakes import RecordingChannel
from fairlend.collections.gateway import ContactRequest
from fairlend.collections.log import to_record
from fairlend.collections.model import ComplaintCategory, DeliveryResult, Medium, Outcome
from fairlend.collections.ports import DISPATCH, OutboundMessage, Sealer
from fairlend.collections.tables import collection_task, contact_dispatch, contact_log
from fairlend.collections.wiring import wire_collections
from fairlend.db import outbox
from fairlend.jurisdiction.model import CeaseScope
from tests.collections.conftest import BORROWER, DEBTOR_PHONE, LOAN, World

CALL = ContactRequest(LOAN, Medium.CALL, collector_id="op_1")
REMINDER = ContactRequest(LOAN, Medium.SMS, template="gentle_reminder")
LATE = datetime(2026, 3, 2, 13, 59, tzinfo=UTC)  # 21:59 in Shanghai: a minute before cn's window closes


class Died(BaseException):
    """The process died with the message in the channel's hands."""


@dataclass
class DyingChannel:
    sent: list[OutboundMessage] = field(default_factory=list)

    def send(self, message: OutboundMessage) -> DeliveryResult:
        raise Died


@dataclass
class PeekingChannel:
    """Answers as a provider that connected and talked, after reading the dispatch row as it is when sent."""

    world: World
    seen: list[sa.Row[Any]] = field(default_factory=list)
    sent: list[OutboundMessage] = field(default_factory=list)

    def send(self, message: OutboundMessage) -> DeliveryResult:
        with self.world.container.engine.connect() as conn:
            self.seen = list(conn.execute(sa.select(contact_dispatch)))
        self.sent.append(message)
        return DeliveryResult(connected=True, conversation=True)


def _strand(world: World, request: ContactRequest = CALL) -> str:
    """Decide and record an allowed attempt, then die while sending; returns the attempt's log id."""
    live = world.c.channels[request.medium]
    world.c.channels[request.medium] = DyingChannel()  # type: ignore[index]
    with pytest.raises(Died):
        world.c.gateway.attempt(request)
    world.c.channels[request.medium] = live  # type: ignore[index]
    with world.container.engine.connect() as conn:
        rows = list(conn.execute(sa.select(contact_dispatch.c.log_id).order_by(contact_dispatch.c.created_at)))
    return str(rows[-1].log_id)


def _log(world: World) -> list[sa.Row[Any]]:
    with world.container.engine.connect() as conn:
        return list(conn.execute(sa.select(contact_log).order_by(contact_log.c.seq)))


def _pending(world: World) -> int:
    with world.container.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(contact_dispatch)).scalar_one())


def _tasks(world: World) -> dict[tuple[str, str], tuple[str, str]]:
    """(borrower, task id) -> (status, note) of every task."""
    with world.container.engine.connect() as conn:
        rows = conn.execute(sa.select(collection_task))
        return {(r.borrower_id, r.id): (r.status, r.note) for r in rows}


def _plan(world: World, clock: FixedClock) -> dict[str, str]:
    """Run the day's plan; its pending tasks' ids by medium."""
    with world.container.uow() as uow:
        world.c.planner.run(uow, clock.business_date())
        uow.commit()
    return {t.medium: t.id for t in world.c.service.tasks_for_loan(LOAN)}


def _dispatch_of(world: World, attempt_id: str) -> Dispatch:
    """The stranded dispatch as the request that made it still holds it."""
    with world.container.engine.connect() as conn:
        record = to_record(
            conn.execute(sa.select(contact_log).where(contact_log.c.id == attempt_id)).one(), world.c.sealer
        )
        sealed = conn.execute(
            sa.select(contact_dispatch.c.sealed).where(contact_dispatch.c.log_id == attempt_id)
        ).scalar_one()
    return Dispatch.from_sealed_form(record, world.c.sealer.open(sealed, DISPATCH))


def _resolved_events(world: World) -> list[dict[str, Any]]:
    with world.container.uow(read_only=True) as uow:
        events = outbox.read_after(uow.conn, outbox.START, types=["collections.ContactResolved"])
    return [e.payload for e in events]


# -- when a stranded dispatch is finished ----------------------------------------------------------


def test_a_dispatch_is_stranded_at_two_minutes_not_before(world: World, clock: FixedClock) -> None:
    _strand(world)
    clock.advance(timedelta(minutes=2) - timedelta(seconds=1))
    assert world.c.service.finish_dispatches() == {}
    assert world.channel(Medium.CALL).sent == [] and _pending(world) == 1
    clock.advance(timedelta(seconds=1))
    assert world.c.service.finish_dispatches() == {"sent": 1}
    assert _pending(world) == 0


def test_a_stranded_dispatch_is_sent_at_thirty_minutes(world: World, clock: FixedClock) -> None:
    _strand(world)
    clock.advance(timedelta(minutes=30))
    assert world.c.service.finish_dispatches() == {"sent": 1}


def test_a_stranded_dispatch_past_thirty_minutes_expires_unsent(world: World, clock: FixedClock) -> None:
    attempt_id = _strand(world)
    clock.advance(timedelta(minutes=30, seconds=1))
    assert world.c.service.finish_dispatches() == {"expired": 1}
    assert world.channel(Medium.CALL).sent == [] and _pending(world) == 0
    outcome = _log(world)[-1]
    assert (outcome.outcome, outcome.resolves, outcome.rules, outcome.at) == ("expired", attempt_id, "", clock.now())
    (event,) = _resolved_events(world)
    assert (event["attempt_id"], event["outcome"], event["rules"]) == (attempt_id, "expired", [])


def test_the_oldest_stranded_dispatch_is_finished_first_and_a_limit_holds(world: World, clock: FixedClock) -> None:
    first = _strand(world)
    clock.advance(timedelta(seconds=10))
    second = _strand(world, REMINDER)
    clock.advance(timedelta(minutes=5))
    assert world.c.gateway.resolver.finish_stranded(limit=1) == {"sent": 1}
    assert [m.log_id for m in world.channel(Medium.CALL).sent] == [first]
    assert world.channel(Medium.SMS).sent == []
    assert world.c.service.finish_dispatches() == {"sent": 1}
    assert [m.log_id for m in world.channel(Medium.SMS).sent] == [second]


def test_the_dispatch_decided_first_is_finished_first_even_when_it_was_written_last(
    world: World, clock: FixedClock
) -> None:
    """Two requests: the one that read the clock first may commit second. Age is the decision's time.

    (SQLite reads the rows through the created_at index, in that order anyway; PostgreSQL scans
    a small table in the order the rows were written.)
    """
    written_first = _strand(world)
    clock.advance(timedelta(seconds=10))
    written_last = _strand(world, REMINDER)
    with world.container.engine.begin() as conn:
        conn.execute(
            sa.update(contact_dispatch)
            .where(contact_dispatch.c.log_id == written_last)
            .values(created_at=clock.now() - timedelta(seconds=20))
        )
    clock.advance(timedelta(minutes=5))
    assert world.c.gateway.resolver.finish_stranded(limit=1) == {"sent": 1}
    assert [m.log_id for m in world.channel(Medium.SMS).sent] == [written_last]
    assert world.channel(Medium.CALL).sent == []
    assert world.c.service.finish_dispatches() == {"sent": 1}
    assert [m.log_id for m in world.channel(Medium.CALL).sent] == [written_first]


def test_every_message_one_run_sends_is_counted(world: World, clock: FixedClock) -> None:
    first, second = _strand(world), _strand(world, REMINDER)
    clock.advance(timedelta(minutes=3))
    assert world.c.service.finish_dispatches() == {"sent": 2}
    sent = world.channel(Medium.CALL).sent + world.channel(Medium.SMS).sent
    assert sorted(m.log_id for m in sent) == sorted([first, second])


def test_looking_for_stranded_dispatches_does_not_wait_for_another_writer(world: World) -> None:
    """SQLite has one write lock: the dispatcher's look must not queue behind end-of-day or a request."""
    with world.container.engine.begin() as writer:  # a write transaction holds the lock meanwhile
        writer.execute(sa.select(contact_dispatch.c.log_id)).all()
        started = time.monotonic()
        assert world.c.service.finish_dispatches() == {}
        assert time.monotonic() - started < 5  # the lock waits 30 s, then fails "database is locked"


# -- what is sent again, and recorded -----------------------------------------------------------


def test_a_stranded_message_is_sent_again_as_decided_and_its_try_counted(world: World, clock: FixedClock) -> None:
    attempt_id = _strand(world)
    clock.advance(timedelta(minutes=3))
    peek = PeekingChannel(world)
    world.c.channels[Medium.CALL] = peek  # type: ignore[index]
    assert world.c.service.finish_dispatches() == {"sent": 1}
    (row,) = peek.seen
    assert (row.log_id, row.tries, row.last_try_at) == (attempt_id, 2, clock.now())
    (message,) = peek.sent
    attempt = _log(world)[0]
    assert (message.log_id, message.address, message.medium, message.template) == (
        attempt_id,
        DEBTOR_PHONE,
        Medium.CALL,
        "collection",
    )
    assert message.text == "fairlend来电：您的借款有逾期金额¥500.00，请与我们协商还款。回复TD退订"
    outcome = _log(world)[-1]
    assert (outcome.outcome, outcome.resolves, outcome.connected, outcome.conversation, outcome.at) == (
        "sent",
        attempt.id,
        True,
        True,
        clock.now(),
    )
    assert (outcome.medium, outcome.recipient_id, outcome.number_key, outcome.collector_id) == (
        attempt.medium,
        attempt.recipient_id,
        attempt.number_key,
        "op_1",
    )
    (event,) = _resolved_events(world)
    assert event == {
        "log_id": outcome.id,
        "attempt_id": attempt_id,
        "borrower_id": BORROWER,
        "loan_id": LOAN,
        "outcome": "sent",
        "rules": [],
        "business_date": clock.business_date().isoformat(),
    }
    assert world.container.verify() == []


def test_a_dispatch_resolved_twice_is_recorded_once(world: World, clock: FixedClock) -> None:
    """A slow request and the dispatcher both finishing it: one outcome row."""
    dispatch = _dispatch_of(world, _strand(world))
    clock.advance(timedelta(minutes=3))
    assert world.c.service.finish_dispatches() == {"sent": 1}
    assert world.c.gateway.resolver.send_and_resolve(dispatch) is Outcome.SENT
    assert [r.outcome for r in _log(world)] == ["dispatching", "sent"]
    assert len(_resolved_events(world)) == 1


@dataclass
class PausingSealer:
    """Stops the dispatcher inside its transaction, holding the borrower's lock, until told to go on."""

    inner: Sealer
    holding: threading.Event = field(default_factory=threading.Event)
    go: threading.Event = field(default_factory=threading.Event)

    def seal(self, value: str, purpose: str) -> str:
        return self.inner.seal(value, purpose)

    def open(self, sealed: str, purpose: str) -> str:
        if threading.current_thread().name == "dispatcher" and not self.holding.is_set():
            self.holding.set()
            self.go.wait(30)
        return self.inner.open(sealed, purpose)

    def reseal(self, sealed: str, purpose: str) -> str | None:
        return self.inner.reseal(sealed, purpose)


def _until_the_request_waits_for_a_lock(world: World, request: threading.Thread) -> None:
    if world.container.engine.dialect.name != "postgresql":
        time.sleep(0.3)  # SQLite: the other writer is in BEGIN IMMEDIATE's busy wait by then
        return
    waiting = sa.text(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    # A loaded CI machine (the full suite on 2 cores) took over 30 s once to start the request's transaction.
    deadline = time.monotonic() + 120
    with world.container.engine.connect() as conn:
        while conn.execute(waiting).scalar_one() == 0:
            assert request.is_alive(), "the request finished without waiting for the dispatcher's lock"
            assert time.monotonic() < deadline, "nobody ever waited for the borrower's lock"
            time.sleep(0.02)


def test_a_slow_request_and_the_dispatcher_finishing_one_dispatch_at_once_both_succeed(
    world: World, clock: FixedClock
) -> None:
    """Both take the borrower's lock before the dispatch row: the other way round PostgreSQL finds a deadlock.

    The dispatcher holds the lock and has read the row (it will update the row's tries); the
    request, whose channel answered after two minutes, resolves meanwhile (it deletes the row).
    """
    sealer = PausingSealer(world.c.sealer)
    c = wire_collections(
        world.container,
        lending=world.lending,
        contact_points=world.points,
        otp=world.otp,
        disputes=world.disputes,
        channels=world.c.channels,
        sealer=sealer,
    )
    dispatch = _dispatch_of(world, _strand(world))
    clock.advance(timedelta(minutes=3))
    failures: list[BaseException] = []

    def run(work: Callable[[], object]) -> None:
        try:
            work()
        except BaseException as failure:  # reported below, with the thread's name lost otherwise
            failures.append(failure)

    dispatcher = threading.Thread(target=run, args=(c.service.finish_dispatches,), name="dispatcher")
    dispatcher.start()
    assert sealer.holding.wait(30)
    request = threading.Thread(target=run, args=(lambda: c.gateway.resolver.send_and_resolve(dispatch),))
    request.start()
    try:
        _until_the_request_waits_for_a_lock(world, request)
    finally:
        sealer.go.set()
    dispatcher.join(60)
    request.join(60)
    assert failures == []
    assert [r.outcome for r in _log(world)] == ["dispatching", "sent"] and _pending(world) == 0
    assert len(_resolved_events(world)) == 1
    assert len(world.channel(Medium.CALL).sent) == 1  # handed over twice, delivered once (same log id)


def test_a_message_for_a_medium_with_no_channel_is_recorded_as_failed(world: World) -> None:
    del world.c.channels[Medium.LETTER]  # type: ignore[attr-defined]
    decision = world.c.gateway.attempt(ContactRequest(LOAN, Medium.LETTER, template="formal_letter"))
    assert decision.outcome is Outcome.FAILED
    assert [r.outcome for r in _log(world)] == ["dispatching", "failed"] and _pending(world) == 0


def test_a_sent_message_marks_only_its_own_task_done(world: World, clock: FixedClock) -> None:
    call = _plan(world, clock)["call"]
    with world.container.engine.begin() as conn:
        mine = conn.execute(sa.select(collection_task).where(collection_task.c.id == call)).one()
        # Yesterday's call, still pending, and another borrower's task that happens to share the id.
        yesterday = mine.business_date - timedelta(days=1)
        conn.execute(sa.insert(collection_task).values(**{**mine._mapping, "id": "task_y", "business_date": yesterday}))
        conn.execute(
            sa.insert(collection_task).values(**{**mine._mapping, "borrower_id": "brw_2", "loan_id": "loan_2"})
        )
    _strand(world, ContactRequest(LOAN, Medium.CALL, task_id=call))
    clock.advance(timedelta(minutes=3))
    assert world.c.service.finish_dispatches() == {"sent": 1}
    statuses = {key: status for key, (status, _) in _tasks(world).items()}
    assert statuses == {
        (BORROWER, call): "done",
        (BORROWER, "task_y"): "pending",
        ("brw_2", call): "pending",
    }


def test_a_done_task_keeps_the_note_that_says_why_it_was_made(world: World, clock: FixedClock) -> None:
    tasks = _plan(world, clock)
    with world.container.engine.begin() as conn:  # as the desk writes a broken promise's follow-up call
        conn.execute(
            sa.update(collection_task).where(collection_task.c.id == tasks["call"]).values(note="promise pro_1 broken")
        )
    decision = world.c.gateway.attempt(ContactRequest(LOAN, Medium.CALL, task_id=tasks["call"]))
    assert decision.outcome is Outcome.SENT
    assert _tasks(world)[(BORROWER, tasks["call"])] == ("done", "promise pro_1 broken")


@dataclass
class SettlingChannel:
    """The borrower repays in full while the channel still has the message."""

    world: World
    sent: list[OutboundMessage] = field(default_factory=list)

    def send(self, message: OutboundMessage) -> DeliveryResult:
        self.world.settle()
        self.sent.append(message)
        return DeliveryResult()


def test_a_task_cancelled_by_a_settlement_while_its_message_was_in_flight_stays_cancelled(
    world: World, clock: FixedClock
) -> None:
    tasks = _plan(world, clock)
    world.c.channels[Medium.CALL] = SettlingChannel(world)  # type: ignore[index]
    decision = world.c.gateway.attempt(ContactRequest(LOAN, Medium.CALL, task_id=tasks["call"]))
    assert decision.outcome is Outcome.SENT  # it had left before the loan was settled
    assert _tasks(world)[(BORROWER, tasks["call"])] == ("cancelled", "loan settled (P-2)")


# -- re-checked just before sending ------------------------------------------------------------


def test_a_stranded_call_after_a_cease_request_is_cancelled_under_p6(world: World, clock: FixedClock) -> None:
    _strand(world)
    world.c.service.request_cease(BORROWER, CeaseScope.ALL)
    clock.advance(timedelta(minutes=3))
    assert world.c.service.finish_dispatches() == {"cancelled": 1}
    assert world.channel(Medium.CALL).sent == []
    outcome = _log(world)[-1]
    assert (outcome.outcome, outcome.rules) == ("cancelled", "P-6")
    assert _resolved_events(world)[0]["rules"] == ["P-6"]


def test_a_stranded_call_after_its_number_was_forbidden_is_cancelled(world: World, clock: FixedClock) -> None:
    _strand(world)
    world.c.service.request_cease(BORROWER, CeaseScope.NUMBER, number=DEBTOR_PHONE)
    clock.advance(timedelta(minutes=3))
    assert world.c.service.finish_dispatches() == {"cancelled": 1}


def test_a_stranded_call_after_its_medium_was_forbidden_is_cancelled_and_a_text_is_not(
    world: World, clock: FixedClock
) -> None:
    _strand(world)
    _strand(world, REMINDER)
    world.c.service.request_cease(BORROWER, CeaseScope.MEDIUM, medium=Medium.CALL)
    clock.advance(timedelta(minutes=3))
    assert world.c.service.finish_dispatches() == {"cancelled": 1, "sent": 1}
    assert len(world.channel(Medium.SMS).sent) == 1 and world.channel(Medium.CALL).sent == []


def test_a_stranded_collection_call_is_paused_by_a_complaint_and_a_reminder_is_not(
    world: World, clock: FixedClock
) -> None:
    _strand(world)
    _strand(world, REMINDER)
    world.c.complaints.file(BORROWER, LOAN, ComplaintCategory.HARASSMENT, "they call too often")
    clock.advance(timedelta(minutes=3))
    assert world.c.service.finish_dispatches() == {"cancelled": 1, "sent": 1}
    cancelled = [r for r in _log(world) if r.outcome == "cancelled"]
    assert [(r.medium, r.rules) for r in cancelled] == [("call", "P-3")]


def test_a_stranded_collection_call_is_paused_by_a_dispute_and_a_reminder_is_not(
    world: World, clock: FixedClock
) -> None:
    """P-3 pauses collection for an open credit-report dispute as for a complaint, at the moment of sending."""
    _strand(world)
    _strand(world, REMINDER)
    world.disputes.open.add((BORROWER, LOAN))
    clock.advance(timedelta(minutes=3))
    assert world.c.service.finish_dispatches() == {"cancelled": 1, "sent": 1}
    assert world.channel(Medium.CALL).sent == []
    cancelled = [r for r in _log(world) if r.outcome == "cancelled"]
    assert [(r.medium, r.rules) for r in cancelled] == [("call", "P-3")]


def test_a_dispute_about_another_loan_does_not_stop_a_stranded_call(world: World, clock: FixedClock) -> None:
    _strand(world)
    world.disputes.open.add((BORROWER, "loan_2"))
    clock.advance(timedelta(minutes=3))
    assert world.c.service.finish_dispatches() == {"sent": 1}


def test_the_debtors_consent_to_later_hours_lets_a_stranded_call_go_after_the_laws_window(
    world: World, clock: FixedClock
) -> None:
    world.c.service.consent_to_window(BORROWER, "21:30", "23:00")
    clock.set(LATE)
    attempt_id = _strand(world)
    clock.advance(timedelta(minutes=3))  # 22:02: outside CN-5's 08:00-22:00, inside what the debtor agreed to
    assert world.c.service.finish_dispatches() == {"sent": 1}
    assert [m.log_id for m in world.channel(Medium.CALL).sent] == [attempt_id]


def test_the_debtors_consent_to_later_hours_is_not_the_contact_persons(world: World, clock: FixedClock) -> None:
    world.c.service.consent_to_window(BORROWER, "21:30", "23:00")
    clock.set(LATE)
    world.c.channels[Medium.SMS] = DyingChannel()  # type: ignore[index]
    with pytest.raises(Died):
        world.c.service.name_contact_person(BORROWER, "王五", "colleague", "+8613912345678")
    world.c.channels[Medium.SMS] = RecordingChannel(Medium.SMS)  # type: ignore[index]
    clock.advance(timedelta(minutes=3))
    assert world.c.service.finish_dispatches() == {"cancelled": 1}
    assert world.channel(Medium.SMS).sent == []
    assert (_log(world)[-1].outcome, _log(world)[-1].rules) == ("cancelled", "CN-5")


def test_the_exempt_notice_stranded_after_a_cease_request_still_goes(world: World, clock: FixedClock) -> None:
    _strand(world, ContactRequest(LOAN, Medium.SMS, template="credit_report_notice"))
    world.c.service.request_cease(BORROWER, CeaseScope.ALL)
    clock.advance(timedelta(minutes=3))
    assert world.c.service.finish_dispatches() == {"sent": 1}


def test_a_cancelled_or_failed_message_leaves_its_task_pending(world: World, clock: FixedClock) -> None:
    with world.container.uow() as uow:
        world.c.planner.run(uow, clock.business_date())
        uow.commit()
    (task,) = [t for t in world.c.service.tasks_for_loan(LOAN) if t.medium == "call"]
    _strand(world, ContactRequest(LOAN, Medium.CALL, task_id=task.id))
    world.c.service.request_cease(BORROWER, CeaseScope.ALL)
    clock.advance(timedelta(minutes=3))
    assert world.c.service.finish_dispatches() == {"cancelled": 1}
    with world.container.engine.connect() as conn:
        status = conn.execute(sa.select(collection_task.c.status).where(collection_task.c.id == task.id)).scalar_one()
    assert status == "pending"


def test_a_stranded_consent_request_is_sent_again_with_its_code(world: World, clock: FixedClock) -> None:
    phone = "+8613912345678"
    world.c.channels[Medium.SMS] = DyingChannel()  # type: ignore[index]
    with pytest.raises(Died):
        world.c.service.name_contact_person(BORROWER, "王五", "colleague", phone)
    world.c.channels[Medium.SMS] = RecordingChannel(Medium.SMS)  # type: ignore[index]
    clock.advance(timedelta(minutes=3))
    assert world.c.service.finish_dispatches() == {"sent": 1}
    (message,) = world.channel(Medium.SMS).sent
    code = world.otp.sent[(phone, "confirm_contact")]
    assert (message.address, message.template, message.secrets) == (phone, "contact_consent", {"code": code})
    assert code in message.text
    assert code not in world.c.service.contacts_about(BORROWER)[0].text


def test_the_dispatcher_sends_the_stranded_message_not_another_of_the_same_borrower(
    world: World, clock: FixedClock
) -> None:
    """Two ids drawn in one millisecond need not sort by time: the in-flight one may sort first."""
    stranded = _strand(world)
    clock.advance(timedelta(minutes=3))
    in_flight = _strand(world, REMINDER)
    with world.container.engine.begin() as conn:
        conn.execute(sa.update(contact_dispatch).where(contact_dispatch.c.log_id == in_flight).values(log_id="ctc_0"))
    assert world.c.service.finish_dispatches() == {"sent": 1}
    (message,) = world.channel(Medium.CALL).sent
    assert (message.log_id, message.text) == (
        stranded,
        "fairlend来电：您的借款有逾期金额¥500.00，请与我们协商还款。回复TD退订",
    )
    with world.container.engine.connect() as conn:
        (left,) = conn.execute(sa.select(contact_dispatch.c.log_id, contact_dispatch.c.tries)).all()
    assert tuple(left) == ("ctc_0", 1)
