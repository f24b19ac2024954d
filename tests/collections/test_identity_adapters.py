"""Collections over identity's real services: contact points and one-time codes."""

from __future__ import annotations

from typing import cast

import pytest

from fairlend.bootstrap import Container
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
    code = sender(container).last_code(f"+86{contact_phone}", "confirm_contact")
    assert code is not None
    with pytest.raises(Forbidden):
        c.service.confirm_contact_person(person.id, f"{(int(code) + 1) % 1_000_000:06d}")
    assert c.service.confirm_contact_person(person.id, code).status.value == "confirmed"


def test_a_refused_code_leaves_no_half_named_contact_person(container: Container) -> None:
    """identity allows one code a minute per number: the second naming fails whole."""
    from fairlend.errors import RateLimited

    borrower = sign_up(container)
    c = wire_collections(container, lending=InMemoryLending())
    contact_phone = cn_mobile()
    first = c.service.name_contact_person(borrower.subject_id, "李四", "friend", contact_phone)
    with pytest.raises(RateLimited):
        c.service.name_contact_person(borrower.subject_id, "李四", "friend", contact_phone)
    assert [p.id for p in c.service.contact_persons(borrower.subject_id)] == [first.id]
    with pytest.raises(RateLimited):
        c.service.resend_contact_code(borrower.subject_id, first.id)
