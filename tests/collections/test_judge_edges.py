"""The judge's edges (judge.py), found by mutation testing: what a message says, and what is refused unlogged.

Each test goes through `ContactGateway.attempt`, as the API does, and asserts
what a person receives, what the log keeps, or a refusal's stable code and words.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from fairlend.clock import FixedClock
from fairlend.collections.gateway import ContactRequest
from fairlend.collections.model import LoanFacts, LoanState, Medium, Outcome, RecipientKind
from fairlend.collections.tables import contact_log
from fairlend.errors import DomainError
from fairlend.jurisdiction.model import CeaseScope
from fairlend.money import Money
from tests.collections.conftest import BORROWER, CONTACT_PHONE, DEBTOR_PHONE, LOAN, World

CALL = ContactRequest(LOAN, Medium.CALL, collector_id="op_1")


def _confirmed(world: World, phone: str = CONTACT_PHONE, name: str = "王五") -> str:
    person = world.c.service.name_contact_person(BORROWER, name, "colleague", phone)
    world.c.service.confirm_contact_person(person.id, world.otp.sent[(phone, "confirm_contact")])
    return person.id


# -- what a message says ---------------------------------------------------------------------------


def test_a_template_tells_the_debtor_the_overdue_amount_and_days_and_the_log_keeps_the_same_words(
    world: World,
) -> None:
    decision = world.c.gateway.attempt(ContactRequest(LOAN, Medium.SMS, template="gentle_reminder"))
    assert decision.outcome is Outcome.SENT, decision.violations
    (sent,) = world.channel(Medium.SMS).sent
    assert sent.text == "fairlend：您有¥500.00已逾期10天，请尽快处理；逾期信息将按规定报送征信机构。回复TD退订"
    (view,) = world.c.service.contacts_about(BORROWER)
    assert view.text == sent.text


def test_a_collection_call_with_no_template_named_is_the_profiles_collection_text(world: World) -> None:
    assert world.c.gateway.attempt(CALL).outcome is Outcome.SENT
    (sent,) = world.channel(Medium.CALL).sent
    assert sent.template == "collection"
    assert sent.text == "fairlend来电：您的借款有逾期金额¥500.00，请与我们协商还款。回复TD退订"


def test_a_contact_person_is_told_only_who_named_them_in_the_profiles_language(world: World, clock: FixedClock) -> None:
    contact_id = _confirmed(world)
    restore = ContactRequest(
        LOAN, Medium.SMS, RecipientKind.CONTACT_PERSON, contact_person_id=contact_id, template="restore_contact"
    )
    world.channel(Medium.CALL).connected = False
    assert world.c.gateway.attempt(CALL).allowed
    clock.advance(timedelta(days=3))
    assert world.c.gateway.attempt(restore).outcome is Outcome.SENT
    sent = world.channel(Medium.SMS).sent[-1]
    assert sent.text == "您好，这里是fairlend，请转告指定您为紧急联系人的人回电。回复TD退订"


def test_us_a_contact_person_is_told_who_named_them_in_english(us_world: World) -> None:
    contact_id = _confirmed(us_world, "+12025550143", "Sam")
    location = ContactRequest(
        LOAN, Medium.SMS, RecipientKind.CONTACT_PERSON, contact_person_id=contact_id, template="location_inquiry"
    )
    assert us_world.c.gateway.attempt(location).outcome is Outcome.SENT
    assert us_world.channel(Medium.SMS).sent[-1].text == (
        "Hello, this is fairlend. We are trying to confirm contact details for "
        "the person who named you as their contact. Reply STOP to opt out."
    )


def test_a_collectors_own_words_of_exactly_the_longest_length_go(world: World) -> None:
    words = "请今天联系我们商量还款计划。"
    text = (words * 200)[:2_000]
    decision = world.c.gateway.attempt(replace(CALL, text=text))
    assert decision.outcome is Outcome.SENT, decision.violations
    assert world.channel(Medium.CALL).sent[-1].text == text


# -- what is refused before anything is recorded -------------------------------------------------


@pytest.mark.parametrize(
    ("request_", "code", "detail"),
    [
        (
            replace(CALL, template="collection", text="please pay"),
            "template_or_text",
            "send a template id or your own words, not both",
        ),
        (replace(CALL, text="   "), "empty_text", "a message needs words"),
        (replace(CALL, text="还" * 2_001), "text_too_long", "at most 2000 characters"),
        (
            ContactRequest("", Medium.SMS, text="please call us", borrower_id=BORROWER),
            "loan_required",
            "a collector's own words are about a loan",
        ),
        (
            ContactRequest("", Medium.SMS, template="gentle_reminder", borrower_id=BORROWER),
            "loan_required",
            "name the loan the contact is about",
        ),
        (
            ContactRequest(LOAN, Medium.SMS, template="threaten"),
            "unknown_template",
            "no template 'threaten' in this jurisdiction",
        ),
        (
            ContactRequest(LOAN, Medium.SMS, template="contact_consent"),
            "consent_request_has_no_loan",
            "a consent request is about no loan",
        ),
    ],
    ids=["both", "empty", "too_long", "words_no_loan", "template_no_loan", "unknown_template", "consent_with_loan"],
)
def test_a_malformed_request_is_refused_with_its_code_and_words_and_nothing_is_logged(
    world: World, request_: ContactRequest, code: str, detail: str
) -> None:
    with pytest.raises(DomainError) as refused:
        world.c.gateway.attempt(request_)
    assert (refused.value.code, refused.value.detail) == (code, detail)
    assert world.c.service.contacts_about(BORROWER) == []
    assert world.channel(Medium.SMS).sent == [] and world.channel(Medium.CALL).sent == []


@pytest.mark.parametrize(
    ("request_", "code", "detail"),
    [
        (
            ContactRequest("", Medium.SMS, template="gentle_reminder"),
            "loan_required",
            "name the loan the contact is about",
        ),
        (ContactRequest("loan_nope", Medium.CALL), "loan_not_found", "no loan loan_nope"),
        (
            ContactRequest(LOAN, Medium.SMS, RecipientKind.CONTACT_PERSON, template="restore_contact"),
            "contact_person_required",
            "name the contact person to reach",
        ),
        (
            ContactRequest(
                LOAN, Medium.SMS, RecipientKind.CONTACT_PERSON, contact_person_id="cp_nope", template="restore_contact"
            ),
            "contact_person_not_found",
            "the borrower named no such contact person",
        ),
        (
            ContactRequest(
                LOAN, Medium.SMS, RecipientKind.THIRD_PARTY, third_party_number="  ", template="restore_contact"
            ),
            "number_required",
            "a third-party attempt needs the one number tried",
        ),
        (
            ContactRequest(LOAN, Medium.SMS, RecipientKind.THIRD_PARTY, template="restore_contact"),
            "number_required",
            "a third-party attempt needs the one number tried",
        ),
    ],
    ids=["no_loan_no_borrower", "unknown_loan", "no_contact_person", "unknown_contact_person", "blank", "no_number"],
)
def test_a_request_naming_nobody_reachable_is_refused_with_its_code_and_words_and_nothing_is_logged(
    world: World, request_: ContactRequest, code: str, detail: str
) -> None:
    with pytest.raises(DomainError) as refused:
        world.c.gateway.attempt(request_)
    assert (refused.value.code, refused.value.detail) == (code, detail)
    assert world.c.service.contacts_about(BORROWER) == []


def test_another_borrowers_contact_person_is_not_found_for_this_loan(world: World) -> None:
    world.points.add("brw_2", "+8613800000002", "Asia/Shanghai")
    person = world.c.service.name_contact_person("brw_2", "赵六", "friend", CONTACT_PHONE)
    world.c.service.confirm_contact_person(person.id, world.otp.sent[(CONTACT_PHONE, "confirm_contact")])
    with pytest.raises(DomainError) as refused:
        world.c.gateway.attempt(
            ContactRequest(
                LOAN, Medium.SMS, RecipientKind.CONTACT_PERSON, contact_person_id=person.id, template="restore_contact"
            )
        )
    assert refused.value.code == "contact_person_not_found"


# -- who is reached, and what the log says about them --------------------------------------------


def _logged(world: World, borrower_id: str = BORROWER) -> list[sa.Row[Any]]:
    with world.container.engine.connect() as conn:
        return list(
            conn.execute(
                sa.select(contact_log).where(contact_log.c.borrower_id == borrower_id).order_by(contact_log.c.seq)
            )
        )


def test_a_third_party_is_logged_by_their_masked_number_in_their_own_time_zone(world: World) -> None:
    third = ContactRequest(
        LOAN,
        Medium.CALL,
        RecipientKind.THIRD_PARTY,
        third_party_number="137 0000 1111",
        third_party_timezone="America/New_York",
        template="restore_contact",
    )
    assert world.c.gateway.attempt(third).rules == ("CN-1",)  # nobody the debtor named
    (row,) = _logged(world)
    key = world.c.gateway.number_key("+8613700001111")
    assert (row.recipient_kind, row.recipient_id, row.recipient_masked, row.recipient_tz, row.number_key) == (
        "third_party",
        f"tp:{key[:16]}",
        "+86137****1111",
        "America/New_York",
        key,
    )


def test_a_third_party_with_no_time_zone_is_in_the_profiles(world: World) -> None:
    third = ContactRequest(
        LOAN, Medium.CALL, RecipientKind.THIRD_PARTY, third_party_number="13700001111", template="restore_contact"
    )
    world.c.gateway.attempt(third)
    (row,) = _logged(world)
    assert row.recipient_tz == "Asia/Shanghai"


def test_a_debtor_with_no_number_on_file_is_logged_as_such_in_the_profiles_time_zone(world: World) -> None:
    world.lending.add(LoanFacts("loan_2", "brw_2", LoanState.ACTIVE, "CNY", Money(50_000, "CNY"), 10, "M1"))
    decision = world.c.gateway.attempt(ContactRequest("loan_2", Medium.LETTER, template="formal_letter"))
    assert decision.outcome is Outcome.SENT, decision.violations
    assert world.channel(Medium.LETTER).sent[-1].address == ""
    attempt, _outcome = _logged(world, "brw_2")
    assert (attempt.recipient_id, attempt.recipient_masked, attempt.recipient_tz, attempt.number_key) == (
        "brw_2",
        "(no number on file)",
        "Asia/Shanghai",
        "",
    )


def test_the_debtor_is_logged_by_their_masked_number_and_their_own_time_zone(world: World) -> None:
    world.points.add(BORROWER, DEBTOR_PHONE, "America/New_York")
    world.c.gateway.attempt(CALL)  # 21:00 in New York: within CN-5's hours
    attempt = _logged(world)[0]
    assert (attempt.recipient_id, attempt.recipient_masked, attempt.recipient_tz, attempt.number_key) == (
        BORROWER,
        "+86138****5678",
        "America/New_York",
        world.c.gateway.number_key(DEBTOR_PHONE),
    )


def test_a_cease_on_the_debtors_number_stops_calls_and_texts_but_not_a_letter(world: World) -> None:
    """P-8: the debtor is their number where a phone is used; a letter is not sent to a number."""
    world.c.service.request_cease(BORROWER, CeaseScope.NUMBER, number=DEBTOR_PHONE)
    assert world.c.gateway.attempt(CALL).rules == ("P-6",)
    assert world.c.gateway.attempt(ContactRequest(LOAN, Medium.SMS, template="gentle_reminder")).rules == ("P-6",)
    letter = world.c.gateway.attempt(ContactRequest(LOAN, Medium.LETTER, template="formal_letter"))
    assert letter.outcome is Outcome.SENT, letter.violations
    assert _logged(world)[-1].number_key == ""


def test_a_third_party_reached_by_letter_is_still_their_number(world: World) -> None:
    third = ContactRequest(
        LOAN, Medium.LETTER, RecipientKind.THIRD_PARTY, third_party_number="13700001111", template="restore_contact"
    )
    world.c.gateway.attempt(third)
    (row,) = _logged(world)
    assert row.number_key == world.c.gateway.number_key("+8613700001111")


def test_a_contact_person_is_logged_by_their_entry_masked_number_and_own_time_zone(
    world: World, clock: FixedClock
) -> None:
    clock.set(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))  # 17:00 in Shanghai, 09:00 in London
    person = world.c.service.name_contact_person(BORROWER, "王五", "colleague", CONTACT_PHONE, timezone="Europe/London")
    world.c.service.confirm_contact_person(person.id, world.otp.sent[(CONTACT_PHONE, "confirm_contact")])
    world.channel(Medium.CALL).connected = False
    assert world.c.gateway.attempt(CALL).allowed
    clock.advance(timedelta(days=3, hours=17))  # 10:00 in Shanghai, 02:00 in London: the contact person's night
    restore = ContactRequest(
        LOAN, Medium.SMS, RecipientKind.CONTACT_PERSON, contact_person_id=person.id, template="restore_contact"
    )
    assert world.c.gateway.attempt(restore).rules == ("CN-5",)
    row = _logged(world)[-1]
    assert (row.recipient_id, row.recipient_masked, row.recipient_tz, row.number_key) == (
        person.id,
        "+86139****5678",
        "Europe/London",
        world.c.gateway.number_key(CONTACT_PHONE),
    )
    clock.advance(timedelta(hours=8))  # 10:00 in London
    assert world.c.gateway.attempt(restore).outcome is Outcome.SENT
    assert world.channel(Medium.SMS).sent[-1].address == CONTACT_PHONE
