"""Collections over identity's real services: contact points and one-time codes."""

from __future__ import annotations

from datetime import timedelta
from typing import cast

import pytest

from fairlend.bootstrap import Container
from fairlend.clock import FixedClock
from fairlend.collections.fakes import InMemoryLending, RecordingChannel
from fairlend.collections.gateway import ContactRequest
from fairlend.collections.model import LoanFacts, LoanState, Medium
from fairlend.collections.wiring import wire_collections
from fairlend.errors import Forbidden
from fairlend.money import Money
from tests.identity.helpers import cn_mobile, sender, sign_up


def test_the_gateway_reaches_the_borrowers_registered_number_from_identity(container: Container) -> None:
    phone = cn_mobile()
    borrower = sign_up(container, phone)
    lending = InMemoryLending()
    lending.add(LoanFacts("loan_i", borrower.subject_id, LoanState.ACTIVE, "CNY", Money(100, "CNY"), 5, "M1"))
    c = wire_collections(container, lending=lending)  # identity's adapters by default
    decision = c.gateway.attempt(ContactRequest("loan_i", Medium.CALL, collector_id="op_1"))
    assert decision.allowed
    sent = cast(RecordingChannel, c.channels[Medium.CALL]).sent[-1]
    assert sent.address == f"+86{phone}"
    (view,) = c.service.contacts_about(borrower.subject_id)
    assert view.recipient_masked.endswith(phone[-4:]) and phone not in view.recipient_masked


def test_a_contact_person_confirms_with_identitys_one_time_code(container: Container) -> None:
    borrower = sign_up(container)
    c = wire_collections(container, lending=InMemoryLending())
    contact_phone = cn_mobile()
    person = c.service.name_contact_person(borrower.subject_id, "李四", "friend", contact_phone)
    # Delivered through the contact gateway's SMS channel, which is identity's SMS gateway.
    code = sender(container).last_code(f"+86{contact_phone}", "confirm_contact")
    assert code is not None
    with pytest.raises(Forbidden):
        c.service.confirm_contact_person(person.id, f"{(int(code) + 1) % 1_000_000:06d}")
    assert c.service.confirm_contact_person(person.id, code).status.value == "confirmed"


def test_a_refused_code_leaves_no_half_named_contact_person(container: Container) -> None:
    """identity allows one code a minute per number: naming the number again at once fails whole."""
    from fairlend.errors import RateLimited

    borrower = sign_up(container)
    c = wire_collections(container, lending=InMemoryLending())
    contact_phone = cn_mobile()
    first = c.service.name_contact_person(borrower.subject_id, "李四", "friend", contact_phone)
    with pytest.raises(RateLimited) as refused:
        c.service.resend_contact_code(borrower.subject_id, first.id)
    assert refused.value.code == "code_send_rate_limited"
    c.service.revoke_contact_person(borrower.subject_id, first.id)
    with pytest.raises(RateLimited) as again:
        c.service.name_contact_person(borrower.subject_id, "李四", "friend", contact_phone)
    assert again.value.code == "code_send_rate_limited"
    assert [p.id for p in c.service.contact_persons(borrower.subject_id)] == [first.id]


def test_the_same_number_cannot_be_named_twice_nor_the_borrowers_own(container: Container) -> None:
    """P-8: a person is a number; a second entry would start the contact person's caps afresh."""
    from fairlend.errors import Conflict, Invalid

    own = cn_mobile()
    borrower = sign_up(container, own)
    c = wire_collections(container, lending=InMemoryLending())
    contact_phone = cn_mobile()
    c.service.name_contact_person(borrower.subject_id, "李四", "friend", contact_phone)
    with pytest.raises(Conflict) as twice:
        c.service.name_contact_person(borrower.subject_id, "李小四", "brother", f"+86 {contact_phone}")
    assert twice.value.code == "contact_person_exists"
    with pytest.raises(Invalid) as mine:
        c.service.name_contact_person(borrower.subject_id, "我", "self", own)
    assert mine.value.code == "contact_person_is_you"
    assert len(c.service.contact_persons(borrower.subject_id)) == 1


def test_a_borrower_cannot_have_numbers_texted_without_end(container: Container, clock: FixedClock) -> None:
    """Consent codes spend the borrower's own budget of codes (identity's per-client budget)."""
    from fairlend.errors import RateLimited

    borrower = sign_up(container)
    c = wire_collections(container, lending=InMemoryLending())
    people = [c.service.name_contact_person(borrower.subject_id, f"友{i}", "friend", cn_mobile()) for i in range(5)]
    limit = container.identity.otp.budgets.per_client_hour
    sent = len(people)
    with pytest.raises(RateLimited) as refused:
        while True:
            clock.advance(timedelta(minutes=2))  # past the one-a-minute limit per number
            for person in people:
                c.service.resend_contact_code(borrower.subject_id, person.id)
                sent += 1
    assert refused.value.code == "code_send_client_budget" and sent == limit


def test_the_collectors_preview_reads_the_number_logged_as_a_preview_not_as_a_contact(container: Container) -> None:
    borrower = sign_up(container, cn_mobile())
    lending = InMemoryLending()
    lending.add(LoanFacts("loan_p", borrower.subject_id, LoanState.ACTIVE, "CNY", Money(100, "CNY"), 5, "M1"))
    c = wire_collections(container, lending=lending)

    def phone_reads() -> list[str]:
        return [e.purpose for e in container.identity.audit.entries(borrower.subject_id) if "phone" in e.field_names]

    c.gateway.preview("loan_p")
    assert phone_reads() == ["collections_preview"]  # looking is logged as looking
    assert c.gateway.attempt(ContactRequest("loan_p", Medium.CALL, collector_id="op_1")).allowed
    assert sorted(phone_reads()) == ["collections_contact", "collections_preview"]
