"""The gateway on storage: every attempt decided at sending time and logged, hash-chained."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from fairlend.clock import FixedClock
from fairlend.collections.gateway import ContactRequest
from fairlend.collections.model import ComplaintCategory, Medium, Outcome, RecipientKind
from fairlend.errors import Forbidden, NotFound
from fairlend.jurisdiction.model import CeaseScope
from tests.collections.conftest import BORROWER, CONTACT_PHONE, LOAN, World

CALL = ContactRequest(LOAN, Medium.CALL, collector_id="op_1")


def test_an_allowed_call_reaches_the_channel_and_the_log(world: World) -> None:
    decision = world.c.gateway.attempt(CALL)
    assert decision.allowed and decision.outcome is Outcome.SENT and decision.seq == 1
    sent = world.channel(Medium.CALL).sent
    assert len(sent) == 1 and sent[0].address == "+8613812345678" and sent[0].log_id == decision.log_id
    (view,) = world.c.service.contacts_about(BORROWER)
    assert view.outcome == "sent" and view.recipient_masked == "+86138****5678" and view.rules == ()


def test_a_call_at_night_is_blocked_logged_and_never_sent(world: World, clock: FixedClock) -> None:
    clock.set(datetime(2026, 3, 2, 15, 0, tzinfo=UTC))  # 23:00 in Shanghai
    decision = world.c.gateway.attempt(CALL)
    assert not decision.allowed and decision.rules == ("CN-5",)
    assert world.channel(Medium.CALL).sent == []
    (view,) = world.c.service.contacts_about(BORROWER)
    assert view.outcome == "blocked" and [r.rule for r in view.rules] == ["CN-5"]
    assert "22:00" in view.rules[0].en and "22:00" in view.rules[0].zh


def test_the_connected_call_cap_is_counted_from_the_log(world: World, clock: FixedClock) -> None:
    world.channel(Medium.CALL).connected = True
    for _ in range(3):
        assert world.c.gateway.attempt(CALL).allowed
        clock.advance(timedelta(minutes=30))
    fourth = world.c.gateway.attempt(CALL)
    assert fourth.rules == ("CN-5",)
    clock.advance(timedelta(days=1))
    assert world.c.gateway.attempt(CALL).allowed


def test_an_unknown_loan_or_template_is_refused_and_nothing_is_logged(world: World) -> None:
    with pytest.raises(NotFound):
        world.c.gateway.attempt(ContactRequest("loan_nope", Medium.CALL))
    from fairlend.errors import Invalid

    with pytest.raises(Invalid):
        world.c.gateway.attempt(ContactRequest(LOAN, Medium.SMS, template="threaten"))
    assert world.c.service.contacts_about(BORROWER) == []


def test_a_cease_request_takes_effect_at_once_for_that_medium_only(world: World) -> None:
    world.c.service.request_cease(BORROWER, CeaseScope.MEDIUM, medium=Medium.CALL)
    assert world.c.gateway.attempt(CALL).rules == (world.container.profile.collections.cease_rule,)
    assert world.c.gateway.attempt(ContactRequest(LOAN, Medium.SMS, template="gentle_reminder")).allowed


def test_a_cease_request_for_a_number_stops_that_number(world: World) -> None:
    world.c.service.request_cease(BORROWER, CeaseScope.NUMBER, number="13812345678")
    assert not world.c.gateway.attempt(CALL).allowed
    (cease,) = world.c.service.cease_requests(BORROWER)
    assert cease.number_masked == "+86138****5678"


def test_an_open_complaint_pauses_contact_until_it_is_answered(world: World) -> None:
    filed = world.c.complaints.file(BORROWER, LOAN, ComplaintCategory.HARASSMENT, "they call at night")
    assert world.c.gateway.attempt(CALL).rules == ("P-3",)
    world.c.complaints.answer(filed.id, "op_c", "we have stopped the night calls")
    assert world.c.gateway.attempt(CALL).allowed


def test_an_open_credit_report_dispute_pauses_contact(world: World) -> None:
    world.disputes.open.add((BORROWER, LOAN))
    assert world.c.gateway.attempt(CALL).rules == ("P-3",)


def test_a_contact_person_exists_only_after_confirming_with_their_own_code(world: World, clock: FixedClock) -> None:
    person = world.c.service.name_contact_person(BORROWER, "李四", "friend", CONTACT_PHONE)
    assert person.status.value == "pending" and person.phone_masked == "+86139****5678"
    restore = ContactRequest(
        LOAN, Medium.SMS, RecipientKind.CONTACT_PERSON, contact_person_id=person.id, template="restore_contact"
    )
    # The debtor has not answered for 3 days...
    world.c.gateway.attempt(CALL)
    clock.advance(timedelta(days=3))
    # ...but an unconfirmed contact person is still never reached.
    assert world.c.gateway.attempt(restore).rules == ("CN-1",)
    code = next(v for (phone, _purpose), v in world.otp.sent.items() if phone == CONTACT_PHONE)
    with pytest.raises(Forbidden):
        world.c.service.confirm_contact_person(person.id, f"{(int(code) + 1) % 1_000_000:06d}")
    assert world.c.service.confirm_contact_person(person.id, code).status.value == "confirmed"
    first = world.c.gateway.attempt(restore)
    assert first.allowed, first.violations
    sent = world.channel(Medium.SMS).sent[-1]
    assert sent.address == CONTACT_PHONE and "逾期" not in sent.text and "借款" not in sent.text
    assert world.c.gateway.attempt(restore).rules == ("CN-1",)  # once per person (max_contacts_per_person)


def test_the_log_is_hash_chained_and_verify_names_the_tampered_row(world: World) -> None:
    for _ in range(3):
        world.c.gateway.attempt(CALL)
    assert world.container.verify() == []
    with world.container.engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE contact_log SET text = 'nothing happened' WHERE borrower_id = :b AND seq = 2"),
            {"b": BORROWER},
        )
    found = world.container.verify()
    assert len(found) == 1 and found[0].check == "contact_log"
    assert "record #2" in found[0].subject and BORROWER in found[0].subject
    assert world.c.service.verify_borrower(BORROWER) == "record #2: its content does not match its hash"


def test_removing_the_last_record_is_caught_by_the_chain_head(world: World) -> None:
    for _ in range(2):
        world.c.gateway.attempt(CALL)
    with world.container.engine.begin() as conn:
        last = conn.execute(
            sa.text("SELECT max(seq) FROM contact_log WHERE borrower_id = :b"), {"b": BORROWER}
        ).scalar()
        conn.execute(sa.text("DELETE FROM contact_log WHERE borrower_id = :b AND seq = :s"), {"b": BORROWER, "s": last})
    (found,) = world.container.verify()
    assert f"record #{last - 1}" in found.subject and "head" in found.detail


def test_compliance_sees_blocked_attempts_per_rule_and_per_collector(world: World, clock: FixedClock) -> None:
    world.c.gateway.attempt(CALL)
    clock.set(datetime(2026, 3, 2, 15, 0, tzinfo=UTC))
    world.c.gateway.attempt(CALL)
    world.c.gateway.attempt(ContactRequest(LOAN, Medium.CALL, collector_id="op_2", text="老赖，坐牢吧"))
    per_rule, per_collector = world.c.service.blocked_summary()
    assert per_rule == {"CN-5": 2, "CN-6": 1}
    assert per_collector == {"op_1": 1, "op_2": 1}


def test_lendings_settled_state_alone_blocks_at_the_moment_of_sending(world: World) -> None:
    """P-2 is checked when sending, from lending's facts, even without the event having been seen."""
    world.lending.settle(LOAN, world.container.clock.business_date())
    # Settling brought the days overdue to 0 as well: collection has not started either (P-7).
    assert world.c.gateway.attempt(CALL).rules == ("P-2", "P-7")


def test_every_attempt_is_published_on_the_outbox(world: World, clock: FixedClock) -> None:
    from fairlend.db import outbox

    world.c.gateway.attempt(CALL)
    clock.set(datetime(2026, 3, 2, 15, 0, tzinfo=UTC))
    world.c.gateway.attempt(CALL)
    with world.container.uow(read_only=True) as uow:
        events = outbox.read_after(uow.conn, outbox.START, types=["collections.ContactAttempted"])
        resolved = outbox.read_after(uow.conn, outbox.START, types=["collections.ContactResolved"])
    # Recorded before sending, resolved after (P-4): the allowed call is dispatching, then sent.
    assert [(e.payload["outcome"], e.payload["rules"]) for e in events] == [
        ("dispatching", []),
        ("blocked", ["CN-5"]),
    ]
    assert [(e.payload["attempt_id"], e.payload["outcome"]) for e in resolved] == [
        (events[0].payload["log_id"], "sent")
    ]


def test_a_failing_channel_is_logged_as_failed_not_lost(world: World) -> None:
    world.channel(Medium.CALL).failing = True
    decision = world.c.gateway.attempt(CALL)
    assert decision.outcome is Outcome.FAILED
    assert world.c.service.contacts_about(BORROWER)[0].outcome == "failed"
    # A failed call reached nobody: it is not counted against the person's caps.
    world.channel(Medium.CALL).failing = False
    assert world.c.gateway.attempt(CALL).outcome is Outcome.SENT


def test_concurrent_attempts_for_one_borrower_never_pass_a_cap_together(world: World) -> None:
    """Two collectors dialling at once: the chain stays whole and CN-5's 3 connected calls hold."""
    import threading

    world.channel(Medium.CALL).connected = True
    errors: list[BaseException] = []

    def dial(collector: str) -> None:
        try:
            for _ in range(6):
                world.c.gateway.attempt(ContactRequest(LOAN, Medium.CALL, collector_id=collector))
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=dial, args=(f"op_{i}",)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    views = world.c.service.contacts_about(BORROWER)
    assert len(views) == 12 and len({v.seq for v in views}) == 12
    assert sum(v.outcome == "sent" for v in views) == 3
    assert world.container.verify() == []


def test_a_third_party_number_is_normalised_so_a_cease_request_for_it_holds(world: World) -> None:
    """However the collector types it, the number a borrower forbade stays forbidden."""
    world.c.service.request_cease(BORROWER, CeaseScope.NUMBER, number="+86 139 1234 5678")
    tried = world.c.gateway.attempt(
        ContactRequest(LOAN, Medium.CALL, RecipientKind.THIRD_PARTY, third_party_number="13912345678")
    )
    # A collection script is not for a third party either (P-9).
    assert set(tried.rules) == {"CN-1", "P-9", world.container.profile.collections.cease_rule}
    from fairlend.errors import Invalid

    with pytest.raises(Invalid):
        world.c.gateway.attempt(ContactRequest(LOAN, Medium.CALL, RecipientKind.THIRD_PARTY, third_party_number="12"))
