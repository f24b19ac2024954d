"""The gateway against a determined collector, on storage (issue #12): each way past it, and its allowed twin.

Every case is tried through `ContactGateway.attempt`, as the API does: the
blocked one names the rule, and a twin that differs only in what makes it
wrong goes through, so a test cannot pass by blocking everything.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from fairlend.clock import FixedClock
from fairlend.collections.gateway import ContactRequest
from fairlend.collections.model import Medium, Outcome, RecipientKind
from fairlend.collections.ports import CONTACT_PERSON_NAME, CONTACT_PERSON_PHONE
from fairlend.collections.tables import contact_person
from fairlend.errors import Conflict
from fairlend.jurisdiction.model import CeaseScope
from tests.collections.conftest import BORROWER, CONTACT_PHONE, DEBTOR_PHONE, LOAN, World

CALL = ContactRequest(LOAN, Medium.CALL, collector_id="op_1")


def _confirmed(world: World, phone: str = CONTACT_PHONE, name: str = "王五") -> str:
    person = world.c.service.name_contact_person(BORROWER, name, "colleague", phone)
    code = world.otp.sent[(phone, "confirm_contact")]
    world.c.service.confirm_contact_person(person.id, code)
    return person.id


def _debtor_unreachable(world: World, clock: FixedClock, days: int = 3) -> None:
    world.channel(Medium.CALL).connected = False
    assert world.c.gateway.attempt(CALL).allowed
    clock.advance(timedelta(days=days))


def _second_entry(world: World, existing_id: str) -> str:
    """The same number under a second contact-person entry, as data from before P-8 (or a tampered row)."""
    with world.container.engine.begin() as conn:
        row = conn.execute(sa.select(contact_person).where(contact_person.c.id == existing_id)).one()
        twin = dict(row._mapping, id="cp_twin")
        conn.execute(sa.insert(contact_person).values(**twin))
    return "cp_twin"


def _restore(contact_id: str) -> ContactRequest:
    return ContactRequest(
        LOAN, Medium.SMS, RecipientKind.CONTACT_PERSON, contact_person_id=contact_id, template="restore_contact"
    )


# -- 1. free text ------------------------------------------------------------------------------


def test_free_text_to_a_contact_person_that_names_the_debt_is_blocked_and_the_template_goes(
    world: World, clock: FixedClock
) -> None:
    contact_id = _confirmed(world)
    _debtor_unreachable(world, clock)
    pass_it_on = replace(
        _restore(contact_id), template=None, text="请转告李四：他在fairlend的借款已逾期，欠款5000元，让他马上还钱。"
    )
    blocked = world.c.gateway.attempt(pass_it_on)
    assert set(blocked.rules) == {"P-9", "CN-1"}  # own words to a third person, and the debt told
    # Even a harmless-looking note in the collector's own words is not for a contact person.
    assert world.c.gateway.attempt(replace(pass_it_on, text="您好，请让李四给我们回个电话。")).rules == ("P-9",)
    twin = world.c.gateway.attempt(_restore(contact_id))
    assert twin.outcome is Outcome.SENT, twin.violations
    # The contact person got their consent code, then the one restore-contact message: nothing else.
    assert [(m.address, m.template) for m in world.channel(Medium.SMS).sent] == [
        (CONTACT_PHONE, "contact_consent"),
        (CONTACT_PHONE, "restore_contact"),
    ]


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("再不还钱就让你坐 牢", "CN-6"),
        ("再不还钱就让你坐*牢", "CN-6"),
        ("我们是ｐｏｌｉｃｅ，请配合", "CN-6"),
        ("我们是公 安局的", "CN-6"),
        ("不还钱就通知你的家人和单位领导", "CN-6"),
        ("We will tell your b o s s", "CN-6"),
        ("You will go to j.a.i.l", "CN-6"),
        ("You will go to ja1l", "CN-6"),
        ("This is the shеriff (Cyrillic е)", "CN-6"),
        ("不还就发到你朋友圈让大家知道", "CN-6"),
    ],
)
def test_threats_exposure_and_false_authority_to_the_debtor_are_caught_however_written(
    world: World, text: str, rule: str
) -> None:
    assert world.c.gateway.attempt(replace(CALL, text=text)).rules == (rule,)


def test_the_debtor_may_get_a_collectors_own_plain_words(world: World) -> None:
    plain = replace(CALL, text="您好，您的借款已逾期10天，请今天联系我们商量还款计划。")
    decision = world.c.gateway.attempt(plain)
    assert decision.outcome is Outcome.SENT, decision.violations
    assert world.channel(Medium.CALL).sent[-1].text == plain.text
    (view,) = world.c.service.contacts_about(BORROWER)
    assert view.template == "free_text" and view.text == plain.text


def test_a_message_with_both_a_template_and_free_text_is_refused_unlogged(world: World) -> None:
    from fairlend.errors import Invalid

    with pytest.raises(Invalid) as refused:
        world.c.gateway.attempt(replace(CALL, template="collection", text="please pay"))
    assert refused.value.code == "template_or_text"
    assert world.c.service.contacts_about(BORROWER) == []


# -- 2. a person is a number ---------------------------------------------------------------------


def test_the_same_number_under_a_second_contact_person_entry_is_still_contacted_only_once(
    world: World, clock: FixedClock
) -> None:
    contact_id = _confirmed(world)
    twin_id = _second_entry(world, contact_id)
    _debtor_unreachable(world, clock)
    assert world.c.gateway.attempt(_restore(contact_id)).outcome is Outcome.SENT
    again = world.c.gateway.attempt(_restore(twin_id))
    assert again.rules == ("CN-1",) and "already contacted 1" in again.violations[0].detail
    # The twin with another number is another person: reached once too.
    other = _confirmed(world, "+8613711112222", "赵六")
    assert world.c.gateway.attempt(_restore(other)).outcome is Outcome.SENT


def test_a_failed_send_does_not_use_up_the_persons_one_contact(world: World, clock: FixedClock) -> None:
    contact_id = _confirmed(world)
    _debtor_unreachable(world, clock)
    world.channel(Medium.SMS).failing = True
    assert world.c.gateway.attempt(_restore(contact_id)).outcome is Outcome.FAILED
    world.channel(Medium.SMS).failing = False
    assert world.c.gateway.attempt(_restore(contact_id)).outcome is Outcome.SENT


def test_the_debtors_own_number_entered_as_someone_else_is_refused_as_the_debtor(world: World) -> None:
    third = ContactRequest(
        LOAN, Medium.CALL, RecipientKind.THIRD_PARTY, third_party_number=DEBTOR_PHONE[3:], template="restore_contact"
    )
    assert "P-8" in world.c.gateway.attempt(third).rules
    twin = replace(third, third_party_number="13700001111")
    assert "P-8" not in world.c.gateway.attempt(twin).rules


def test_a_number_the_borrower_forbade_stays_forbidden_under_every_entry(world: World, clock: FixedClock) -> None:
    contact_id = _confirmed(world)
    twin_id = _second_entry(world, contact_id)
    _debtor_unreachable(world, clock)
    world.c.service.request_cease(BORROWER, CeaseScope.NUMBER, number=CONTACT_PHONE)
    assert world.c.gateway.attempt(_restore(twin_id)).rules == ("P-6",)
    assert world.c.gateway.attempt(_restore(contact_id)).rules == ("P-6",)


def test_us_a_third_party_number_that_is_also_a_contact_person_is_one_person(us_world: World) -> None:
    world = us_world
    contact_id = _confirmed(world, "+12025550143", "Sam")
    location = ContactRequest(
        LOAN, Medium.SMS, RecipientKind.CONTACT_PERSON, contact_person_id=contact_id, template="location_inquiry"
    )
    assert world.c.gateway.attempt(location).outcome is Outcome.SENT
    as_third_party = replace(
        location, recipient_kind=RecipientKind.THIRD_PARTY, contact_person_id=None, third_party_number="(202) 555-0143"
    )
    assert world.c.gateway.attempt(as_third_party).rules == ("US-6",)
    someone_else = replace(as_third_party, third_party_number="(202) 555-0199")
    assert world.c.gateway.attempt(someone_else).outcome is Outcome.SENT


# -- 3. collection before its start day ----------------------------------------------------------


@pytest.mark.parametrize("dpd", [0, 1, 2, 3])
def test_no_collection_call_until_more_than_three_days_overdue(world: World, dpd: int) -> None:
    world.lending.add(replace(world.lending.loans[LOAN], days_past_due=dpd))
    assert world.c.gateway.attempt(CALL).rules == ("P-7",)
    # Reminders are not collection: they still go.
    assert world.c.gateway.attempt(ContactRequest(LOAN, Medium.SMS, template="gentle_reminder")).allowed


def test_a_collection_call_on_the_fourth_day_overdue_goes(world: World) -> None:
    world.lending.add(replace(world.lending.loans[LOAN], days_past_due=4))
    assert world.c.gateway.attempt(CALL).outcome is Outcome.SENT


def test_the_start_day_is_read_when_sending_not_when_planning(world: World, clock: FixedClock) -> None:
    with world.container.uow() as uow:
        world.c.planner.run(uow, clock.business_date())
        uow.commit()
    # The loan was 10 days overdue when planned; lending now says 2 (a payment re-aged it).
    (task,) = [t for t in world.c.service.tasks_for_loan(LOAN) if t.medium == "call"]
    assert task.days_past_due == 10
    world.lending.add(replace(world.lending.loans[LOAN], days_past_due=2))
    decision = world.c.gateway.attempt(replace(CALL, task_id=task.id))
    assert decision.rules == ("P-7",)
    assert [t.status for t in world.c.service.tasks_for_loan(LOAN) if t.id == task.id] == ["blocked"]


# -- 4. the cease request is its own rule -------------------------------------------------------


def test_a_cease_request_blocks_under_p6_with_its_own_words(world: World) -> None:
    world.c.service.request_cease(BORROWER, CeaseScope.ALL)
    blocked = world.c.gateway.attempt(CALL)
    assert blocked.rules == ("P-6",)
    (view,) = world.c.service.contacts_about(BORROWER)
    (words,) = view.rules
    assert "stop" in words.en and "停止联系" in words.zh and "dispute" not in words.en
    # What the law requires and what answers the borrower's own request still go.
    for template in ("credit_report_notice", "cease_confirmation"):
        decision = world.c.gateway.attempt(ContactRequest(LOAN, Medium.SMS, template=template))
        assert decision.outcome is Outcome.SENT, (template, decision.violations)
    assert world.c.gateway.attempt(ContactRequest(LOAN, Medium.SMS, template="gentle_reminder")).rules == ("P-6",)


def test_us_a_cease_request_names_us7_and_a_forbidden_medium_us8(us_world: World) -> None:
    us_world.c.service.request_cease(BORROWER, CeaseScope.MEDIUM, medium=Medium.CALL)
    assert us_world.c.gateway.attempt(CALL).rules == ("US-8",)
    us_world.c.service.request_cease(BORROWER, CeaseScope.ALL)
    assert set(us_world.c.gateway.attempt(CALL).rules) == {"US-7", "US-8"}


# -- 5. opt-out as people write it ---------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Your payment is 10 days overdue. Text STOP to opt out.",
        "Your payment is 10 days overdue. Reply STOP to end messages.",
        "Your payment is 10 days overdue. To opt-out, txt STOP.",
        "Your payment is 10 days overdue. Unsubscribe: reply END.",
        "您的借款已逾期10天。回复T退订",
    ],
)
def test_us_texts_with_an_opt_out_worded_as_people_write_it_go(us_world: World, text: str) -> None:
    decision = us_world.c.gateway.attempt(ContactRequest(LOAN, Medium.SMS, text=text))
    assert decision.outcome is Outcome.SENT, decision.violations


def test_us_a_text_without_any_opt_out_is_blocked_under_us9(us_world: World) -> None:
    decision = us_world.c.gateway.attempt(ContactRequest(LOAN, Medium.SMS, text="Your payment is 10 days overdue."))
    assert decision.rules == ("US-9",)


# -- 6. the consent request goes through the gateway ---------------------------------------------


def test_the_consent_request_to_a_contact_person_is_logged_and_kept_to_the_window(
    world: World, clock: FixedClock
) -> None:
    clock.set(datetime(2026, 3, 2, 15, 0, tzinfo=UTC))  # 23:00 in Shanghai
    with pytest.raises(Conflict) as refused:
        world.c.service.name_contact_person(BORROWER, "王五", "colleague", CONTACT_PHONE)
    assert refused.value.code == "contact_consent_blocked" and refused.value.extra["rules"] == ["CN-5"]
    assert world.c.service.contact_persons(BORROWER) == []  # nobody was asked: nobody was named
    assert world.channel(Medium.SMS).sent == []
    clock.set(datetime(2026, 3, 3, 2, 0, tzinfo=UTC))  # 10:00
    person = world.c.service.name_contact_person(BORROWER, "王五", "colleague", CONTACT_PHONE)
    (message,) = world.channel(Medium.SMS).sent
    code = world.otp.sent[(CONTACT_PHONE, "confirm_contact")]
    assert message.address == CONTACT_PHONE and code in message.text
    shown = world.c.service.contacts_about(BORROWER)
    assert [(v.template, v.outcome, v.recipient_kind) for v in shown] == [  # newest first
        ("contact_consent", "sent", "contact_person"),
        ("contact_consent", "blocked", "contact_person"),
    ]
    assert code not in shown[0].text and "******" in shown[0].text  # the log never holds the code
    assert person.status.value == "pending"


def test_a_contact_persons_name_and_number_are_sealed(world: World) -> None:
    person = world.c.service.name_contact_person(BORROWER, "王五", "colleague", CONTACT_PHONE)
    with world.container.engine.connect() as conn:
        row = conn.execute(sa.select(contact_person).where(contact_person.c.id == person.id)).one()
    assert row.name == "王*" and "王五" not in row.name_sealed
    assert world.c.sealer.open(row.name_sealed, CONTACT_PERSON_NAME) == "王五"
    assert world.c.sealer.open(row.phone_sealed, CONTACT_PERSON_PHONE) == CONTACT_PHONE
    assert world.c.service.contact_person(person.id).name == "王五"
