"""The gateway's edges (gateway.py), found by mutation testing: what is recorded before a message leaves.

Each test asserts what the log, the dispatch row, the task or the outbox holds,
or what the person receives: the record of an attempt is the product (P-4).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from fairlend.clock import FixedClock
from fairlend.collections.gateway import ContactRequest
from fairlend.collections.model import DeliveryResult, Medium, Outcome, RecipientKind
from fairlend.collections.ports import DISPATCH, OutboundMessage
from fairlend.collections.tables import collection_task, contact_dispatch, contact_log
from fairlend.db import outbox
from fairlend.jurisdiction.model import CeaseScope
from tests.collections.conftest import BORROWER, DEBTOR_PHONE, LOAN, World

CALL = ContactRequest(LOAN, Medium.CALL, collector_id="op_1")
NIGHT = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)  # 23:00 in Shanghai


def _rows(world: World, table: sa.Table) -> list[sa.Row[Any]]:
    with world.container.engine.connect() as conn:
        return list(conn.execute(sa.select(table)))


@dataclass
class PeekingChannel:
    """A channel that, when handed a message, reads what is already recorded: the record comes first (P-4)."""

    world: World
    seen_log: list[sa.Row[Any]] = field(default_factory=list)
    seen_dispatch: list[sa.Row[Any]] = field(default_factory=list)
    sent: list[OutboundMessage] = field(default_factory=list)

    def send(self, message: OutboundMessage) -> DeliveryResult:
        self.seen_log = _rows(self.world, contact_log)
        self.seen_dispatch = _rows(self.world, contact_dispatch)
        self.sent.append(message)
        return DeliveryResult()


def _task(world: World, clock: FixedClock, medium: str = "call") -> str:
    with world.container.uow() as uow:
        world.c.planner.run(uow, clock.business_date())
        uow.commit()
    (task,) = [t for t in world.c.service.tasks_for_loan(LOAN) if t.medium == medium]
    return task.id


def _task_row(world: World, task_id: str) -> sa.Row[Any]:
    (row,) = [r for r in _rows(world, collection_task) if r.id == task_id]
    return row


# -- recorded before it leaves -------------------------------------------------------------------


def test_when_the_channel_is_called_the_attempt_is_already_recorded_with_its_sealed_dispatch(
    world: World, clock: FixedClock
) -> None:
    task_id = _task(world, clock)
    peek = PeekingChannel(world)
    world.c.channels[Medium.CALL] = peek  # type: ignore[index]
    decision = world.c.gateway.attempt(ContactRequest(LOAN, Medium.CALL, collector_id="op_1", task_id=task_id))
    assert (decision.outcome, decision.seq, decision.violations) == (Outcome.SENT, 1, ())
    assert decision.log_id.startswith("ctc_") and decision.allowed
    (attempt,) = peek.seen_log
    assert (attempt.id, attempt.seq, attempt.outcome, attempt.rules, attempt.resolves) == (
        decision.log_id,
        1,
        "dispatching",
        "",
        "",
    )
    assert (attempt.loan_id, attempt.medium, attempt.recipient_kind, attempt.recipient_id) == (
        LOAN,
        "call",
        "debtor",
        BORROWER,
    )
    assert (attempt.recipient_masked, attempt.recipient_tz, attempt.number_key) == (
        "+86138****5678",
        "Asia/Shanghai",
        world.c.gateway.number_key(DEBTOR_PHONE),
    )
    assert (attempt.template, attempt.collector_id, attempt.task_id, attempt.at) == (
        "collection",
        "op_1",
        task_id,
        clock.now(),
    )
    assert (attempt.connected, attempt.conversation) == (False, False)
    (row,) = peek.seen_dispatch
    assert (row.borrower_id, row.log_id, row.loan_id, row.medium, row.template) == (
        BORROWER,
        decision.log_id,
        LOAN,
        "call",
        "collection",
    )
    assert (row.created_at, row.tries, row.last_try_at) == (clock.now(), 1, clock.now())
    (message,) = peek.sent
    assert json.loads(world.c.sealer.open(row.sealed, DISPATCH)) == {
        "address": DEBTOR_PHONE,
        "text": message.text,
        "secrets": {},
    }
    assert (message.address, message.log_id, message.template) == (DEBTOR_PHONE, decision.log_id, "collection")
    # Resolved: the dispatch row is gone and the task is done.
    assert _rows(world, contact_dispatch) == []
    assert _task_row(world, task_id).status == "done"


def test_the_log_keeps_the_code_masked_while_the_dispatch_carries_it_sealed(world: World) -> None:
    peek = PeekingChannel(world)
    world.c.channels[Medium.SMS] = peek  # type: ignore[index]
    world.c.service.name_contact_person(BORROWER, "王五", "colleague", "+8613912345678")
    (message,) = peek.sent
    code = world.otp.sent[("+8613912345678", "confirm_contact")]
    assert message.secrets == {"code": code} and code in message.text
    (row,) = peek.seen_dispatch
    opened = json.loads(world.c.sealer.open(row.sealed, DISPATCH))
    assert opened["secrets"] == {"code": code} and opened["text"] == message.text
    (attempt,) = world.c.service.contacts_about(BORROWER)
    assert code not in attempt.text and "******" in attempt.text


def test_a_blocked_attempt_is_recorded_with_its_rules_and_never_reaches_a_channel(
    world: World, clock: FixedClock
) -> None:
    clock.set(NIGHT)
    decision = world.c.gateway.attempt(CALL)
    assert (decision.outcome, decision.seq, decision.rules) == (Outcome.BLOCKED, 1, ("CN-5",))
    (row,) = _rows(world, contact_log)
    assert (row.id, row.outcome, row.rules, row.collector_id) == (decision.log_id, "blocked", "CN-5", "op_1")
    assert _rows(world, contact_dispatch) == []
    assert world.channel(Medium.CALL).sent == []


def test_a_rule_broken_twice_is_named_once_in_the_decision_the_log_and_the_outbox(world: World) -> None:
    world.c.service.request_cease(BORROWER, CeaseScope.ALL)
    world.c.service.request_cease(BORROWER, CeaseScope.MEDIUM, medium=Medium.CALL)
    decision = world.c.gateway.attempt(CALL)
    assert [v.check for v in decision.violations] == ["cease_all", "cease_medium"]
    assert decision.rules == ("P-6",) and not decision.allowed
    (row,) = _rows(world, contact_log)
    assert row.rules == "P-6"
    with world.container.uow(read_only=True) as uow:
        (event,) = outbox.read_after(uow.conn, outbox.START, types=["collections.ContactAttempted"])
    assert event.payload["rules"] == ["P-6"]


def test_each_attempt_is_published_with_whom_it_was_about_and_how(world: World, clock: FixedClock) -> None:
    third = ContactRequest(
        LOAN, Medium.SMS, RecipientKind.THIRD_PARTY, third_party_number="13700001111", template="restore_contact"
    )
    decision = world.c.gateway.attempt(third)
    with world.container.uow(read_only=True) as uow:
        (event,) = outbox.read_after(uow.conn, outbox.START, types=["collections.ContactAttempted"])
    payload = {k: v for k, v in event.payload.items() if k != "business_date"}
    assert payload == {
        "log_id": decision.log_id,
        "borrower_id": BORROWER,
        "loan_id": LOAN,
        "medium": "sms",
        "recipient_kind": "third_party",
        "outcome": "blocked",
        "rules": ["CN-1"],
    }
    assert event.payload["business_date"] == clock.business_date().isoformat()


# -- the task an attempt was made for ------------------------------------------------------------


def test_a_blocked_attempt_marks_its_pending_task_blocked_with_the_rules(world: World, clock: FixedClock) -> None:
    task_id = _task(world, clock)
    world.c.service.request_cease(BORROWER, CeaseScope.ALL)
    clock.set(NIGHT)
    decision = world.c.gateway.attempt(ContactRequest(LOAN, Medium.CALL, collector_id="op_1", task_id=task_id))
    assert decision.rules == ("P-6", "CN-5")
    row = _task_row(world, task_id)
    assert (row.status, row.note) == ("blocked", "P-6,CN-5")
    (logged,) = _rows(world, contact_log)
    assert logged.task_id == task_id


def test_a_task_no_longer_pending_is_left_as_it_is(world: World, clock: FixedClock) -> None:
    task_id = _task(world, clock)
    assert world.c.gateway.attempt(ContactRequest(LOAN, Medium.CALL, task_id=task_id)).outcome is Outcome.SENT
    assert _task_row(world, task_id).status == "done"
    clock.set(NIGHT)
    assert world.c.gateway.attempt(ContactRequest(LOAN, Medium.CALL, task_id=task_id)).rules == ("CN-5",)
    row = _task_row(world, task_id)
    assert (row.status, row.note) == ("done", "")


def test_another_borrowers_task_of_the_same_id_is_not_touched(world: World, clock: FixedClock) -> None:
    task_id = _task(world, clock)
    with world.container.engine.begin() as conn:
        mine = conn.execute(sa.select(collection_task).where(collection_task.c.id == task_id)).one()
        conn.execute(
            sa.insert(collection_task).values(**{**mine._mapping, "borrower_id": "brw_2", "loan_id": "loan_2"})
        )
    clock.set(NIGHT)
    world.c.gateway.attempt(ContactRequest(LOAN, Medium.CALL, task_id=task_id))
    statuses = {r.borrower_id: r.status for r in _rows(world, collection_task) if r.id == task_id}
    assert statuses == {BORROWER: "blocked", "brw_2": "pending"}


def test_a_blocked_attempt_with_no_task_marks_no_task(world: World, clock: FixedClock) -> None:
    task_id = _task(world, clock)
    clock.set(NIGHT)
    assert world.c.gateway.attempt(CALL).rules == ("CN-5",)
    assert _task_row(world, task_id).status == "pending"


# -- what the gateway offers ---------------------------------------------------------------------


def test_the_preview_offers_only_the_media_a_channel_is_wired_for(world: World) -> None:
    from fairlend.collections.wiring import wire_collections

    c = wire_collections(
        world.container,
        lending=world.lending,
        contact_points=world.points,
        otp=world.otp,
        disputes=world.disputes,
        channels={Medium.SMS: world.channel(Medium.SMS), Medium.LETTER: world.channel(Medium.LETTER)},
    )
    preview = c.gateway.preview(LOAN)
    assert {o.medium for o in preview.options} == {Medium.SMS, Medium.LETTER}
    assert (preview.loan_id, preview.borrower_id) == (LOAN, BORROWER)
    assert {o.medium for o in world.c.gateway.preview(LOAN).options} == set(Medium)


def test_the_gateway_hands_out_a_persons_contact_point_and_none_for_a_stranger(world: World) -> None:
    point = world.c.gateway.contact_point(BORROWER)
    assert point is not None and point.phone_e164 == DEBTOR_PHONE
    assert world.c.gateway.contact_point("brw_nobody") is None
